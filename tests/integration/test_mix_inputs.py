"""The marketing-mix model's weekly inputs on a sandbox warehouse (the roi_env day): whole weeks
only, the channels' sums those of fct_channel_daily, the KPI every web key event of those weeks."""

from __future__ import annotations

from datetime import timedelta

import duckdb
import pytest

from mix.inputs import load
from mix.model import MixInputError, fit
from warehouse.duckdb_file import DuckDBFile


def query(paths, sql):
    with duckdb.connect(str(paths.published_warehouse), read_only=True) as connection:
        return connection.execute(sql).fetchall()


def test_weekly_inputs_are_whole_weeks_that_add_up_to_the_warehouse(roi_env):
    paths, ctx = roi_env
    weeks = [w for (w,) in query(paths, "select distinct week_start from int_mix__weekly order by 1")]
    [(first_day, last_day)] = query(paths, "select min(date_day), max(date_day) from fct_channel_daily")
    assert weeks and all(w.weekday() == 0 for w in weeks)
    assert weeks[0] >= first_day and weeks[-1] + timedelta(days=6) <= last_day
    assert [b - a for a, b in zip(weeks, weeks[1:], strict=False)] == [timedelta(weeks=1)] * (len(weeks) - 1)
    span = f"date_day between date '{weeks[0]}' and date '{weeks[-1] + timedelta(days=6)}'"
    [expected] = query(
        paths,
        f"select sum(media_spend), sum(total_investment), sum(impressions) from fct_channel_daily where {span}",
    )
    [weekly] = query(paths, "select sum(media_spend), sum(total_investment), sum(impressions) from int_mix__weekly")
    assert weekly == expected
    [(all_key_events,)] = query(
        paths,
        "select sum(key_events) from stg_ga4__key_events where event_name in ('appointment_request', "
        f"'class_registration') and {span}",
    )
    [(kpi,)] = query(paths, "select sum(appointment_requests + class_registrations) from int_mix__weekly")
    assert kpi == all_key_events > 0


def test_the_inputs_load_and_a_fit_on_a_quarter_is_refused(roi_env):
    paths, _ = roi_env
    inputs = load(DuckDBFile(paths.published_warehouse))
    assert "meta_ads" in inputs.channels and "facebook" in inputs.channels
    assert inputs.kpi.sum() > 0 and (inputs.investment >= inputs.drivers * 0).all()
    with pytest.raises(MixInputError, match=rf"only {len(inputs.weeks)} weeks of history"):
        fit(inputs)
