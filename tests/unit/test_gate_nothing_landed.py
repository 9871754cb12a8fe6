"""The landing gate of a night on which no extraction landed anything fails at once (no retry),
saying which day landed nothing and where to look."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from airflow.sdk.exceptions import AirflowFailException

from expectations.runner import QualityGateError
from nightly import tasks

# The run of the 21st covers the 20th.
LOGICAL_DATE = datetime(2026, 11, 21, 10, 30, tzinfo=UTC)


def test_a_night_with_nothing_landed_fails_fast_naming_the_day_and_the_extract_logs(data_dir):
    with pytest.raises(AirflowFailException) as caught:
        tasks.landing_gate(LOGICAL_DATE, "scheduled__empty", data_dir)

    assert isinstance(caught.value.__cause__, QualityGateError)
    message = str(caught.value)
    assert "nothing landed for 2026-11-20" in message
    assert "scheduled__empty" in message
    assert "extract tasks" in message
