"""The marketing-mix model's weekly inputs on a sandbox warehouse (the roi_env day, with the two
years of marketing history the demo stages): whole weeks only, the warehouse's channel sums those
of fct_channel_daily, its KPI every web key event of those weeks, the history's weeks right before."""

from __future__ import annotations

from datetime import timedelta

import duckdb
import pytest

from mix.inputs import load
from mix.model import MixInputError, WeeklyInputs, fit
from mix.run import fit_published, summary
from warehouse.duckdb_file import DuckDBFile


def query(paths, sql):
    with duckdb.connect(str(paths.published_warehouse), read_only=True) as connection:
        return connection.execute(sql).fetchall()


def test_weekly_inputs_are_whole_weeks_that_add_up_to_the_warehouse_and_the_history(roi_env):
    paths, _ = roi_env
    weeks = {
        source: [
            w
            for (w,) in query(
                paths, f"select distinct week_start from int_mix__weekly where input_source = '{source}' order by 1"
            )
        ]
        for source in ("history", "warehouse")
    }
    [(first_web_day, last_day)] = query(paths, "select min(date_day), max(date_day) from int_web_analytics__daily")
    every = weeks["history"] + weeks["warehouse"]
    assert len(weeks["history"]) == 104 and weeks["warehouse"]
    assert all(w.weekday() == 0 for w in every)
    assert [b - a for a, b in zip(every, every[1:], strict=False)] == [timedelta(weeks=1)] * (len(every) - 1)
    # The warehouse's weeks are whole weeks of web analytics; the history holds the weeks before.
    assert weeks["warehouse"][0] >= first_web_day > weeks["warehouse"][0] - timedelta(days=7)
    assert weeks["warehouse"][-1] + timedelta(days=6) <= last_day
    span = f"date_day between date '{weeks['warehouse'][0]}' and date '{weeks['warehouse'][-1] + timedelta(days=6)}'"
    measures = "sum(media_spend), sum(total_investment), sum(impressions)"
    [expected] = query(paths, f"select {measures} from fct_channel_daily where {span}")
    [weekly] = query(paths, f"select {measures} from int_mix__weekly where input_source = 'warehouse'")
    assert weekly == expected
    [(all_key_events,)] = query(
        paths,
        "select sum(key_events) from stg_ga4__key_events where event_name in ('appointment_request', "
        f"'class_registration') and {span}",
    )
    [(kpi,)] = query(
        paths,
        "select sum(appointment_requests + class_registrations) from int_mix__weekly where input_source = 'warehouse'",
    )
    assert kpi == all_key_events > 0


def test_the_model_fits_the_warehouse_and_its_history_with_the_configured_settings(roi_env):
    paths, _ = roi_env
    model = fit_published(paths)
    assert len(model.inputs.weeks) > 104
    assert {"meta_ads", "facebook", "tv", "radio"} <= set(model.channels)
    assert model.r2 > 0.5 and len(model.draws) == 200
    incremental = model.incremental()
    assert incremental["meta_ads"][0] > 0 and incremental["tv"][0] > 0
    text = summary(model)
    assert "too short to trust" not in text
    assert "meta_ads" in text and "Budget scenario" in text


def test_a_quarter_without_history_is_refused(roi_env):
    paths, _ = roi_env
    inputs = load(DuckDBFile(paths.published_warehouse))
    recent = len(inputs.weeks) - 104
    quarter = WeeklyInputs(
        inputs.weeks[-recent:],
        inputs.channels,
        inputs.drivers[-recent:],
        inputs.investment[-recent:],
        inputs.kpi[-recent:],
    )
    with pytest.raises(MixInputError, match=rf"only {recent} weeks of history .*marketing_history inbox"):
        fit(quarter)
