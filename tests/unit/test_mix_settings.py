"""The marketing_mix configuration section: its defaults are the model's, and what it refuses."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from core.settings import DEFAULT_MIX_DRIVERS, MixSettings
from sources.config import load_config


def test_the_configuration_file_holds_the_defaults():
    assert load_config().marketing_mix == MixSettings()
    assert MixSettings().drivers == DEFAULT_MIX_DRIVERS


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"drivers": {"television": "impressions"}}, "unknown channel"),
        ({"drivers": {"tv": "gross_rating_points"}}, "Input should be"),
        ({"kpi": ["newsletter_signup"]}, "Input should be"),
        ({"min_weeks": 90}, "min_weeks cannot exceed trusted_weeks"),
        ({"holdout_weeks": 30}, "holdout_weeks must leave"),
        ({"drivers": {"meta_ads": "spend"}}, "bounds.fixed names channel"),
    ],
)
def test_a_setting_the_model_cannot_use_is_refused(change, reason):
    with pytest.raises(ValidationError, match=reason):
        MixSettings.model_validate(change)
