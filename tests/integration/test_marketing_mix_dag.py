"""The marketing_mix DAG's tasks on a copy of the roi_env warehouse (a sandbox night with the two
years of marketing history the demo stages): the fit lands, its checks refuse a bad fit, the
publish adds the marts to the published warehouse, and a week already fitted is not refitted."""

from __future__ import annotations

import shutil
from decimal import Decimal

import duckdb
import pytest
import yaml
from airflow.sdk.exceptions import AirflowFailException

from core.contract import MIX_SOURCE, MIX_TABLES
from core.landing import landed_dates
from core.paths import PROJECT_ROOT, data_paths
from nightly.marketing_mix import fit_and_land, publish_fit
from warehouse.duckdb_file import DuckDBFile

MARTS = ("mart_incremental_roi", "mart_response_curves", "mart_budget_scenarios", "mart_mmm_diagnostics")


@pytest.fixture
def mix_env(roi_env, tmp_path, monkeypatch):
    """A writable copy of the roi_env data folder, and a config file the test may change."""
    source, _ = roi_env
    root = tmp_path / "data"
    shutil.copytree(source.root, root)
    monkeypatch.setenv("PIPELINE_DATA_DIR", str(root))
    config_file = tmp_path / "pipeline.yml"
    shutil.copy(PROJECT_ROOT / "config" / "pipeline.yml", config_file)
    monkeypatch.setenv("PIPELINE_CONFIG", str(config_file))
    return data_paths(), config_file


def query(paths, sql):
    with duckdb.connect(str(paths.published_warehouse), read_only=True) as connection:
        return connection.execute(sql).fetchall()


def test_a_fit_lands_and_its_marts_are_published_beside_the_others(mix_env):
    paths, _ = mix_env
    build_id = DuckDBFile(paths.published_warehouse).build_id()

    assert fit_and_land("manual__mix") is True
    for _, entity in MIX_TABLES:
        assert landed_dates(MIX_SOURCE, entity, "fit", paths.landing)
    assert publish_fit() == str(paths.published_warehouse)

    # The same build, now with the model's marts: every earlier mart is still there.
    assert DuckDBFile(paths.published_warehouse).build_id() == build_id
    assert query(paths, "select count(*) from mart_roi")[0][0] > 0
    [(fit_id, weeks, trusted, latest)] = query(
        paths, "select fit_id, weeks, trusted, is_latest from mart_mmm_diagnostics"
    )
    assert weeks > 104 and trusted and latest
    rows = query(
        paths,
        "select channel, investment, attributed_conversions, incremental_conversions, incremental_conversions_low, "
        "incremental_conversions_high, incremental_roi, attributed_roi from mart_incremental_roi "
        "where period = 'last 52 weeks' order by channel",
    )
    channels = {row[0] for row in rows}
    assert {"meta_ads", "facebook", "tv", "radio"} <= channels
    for _, investment, attributed, incremental, low, high, _, _ in rows:
        assert investment >= 0 and attributed >= 0 and low <= high and incremental >= 0
    by_channel = {row[0]: row for row in rows}
    assert by_channel["meta_ads"][6] is not None and by_channel["meta_ads"][7] is not None
    # The periods tile the fitted range: its quarters' weeks add up to it.
    [(range_weeks, quarter_weeks)] = query(
        paths,
        "select max(weeks) filter (where period = 'fitted range'), "
        "sum(weeks) filter (where period like '____-Q_') / count(distinct channel) from mart_incremental_roi",
    )
    assert range_weeks == quarter_weeks == weeks
    # One current spend per channel on its curve; the scenario keeps the total and the fixed channels.
    assert query(
        paths, "select count(*) = count(distinct channel) from mart_response_curves where is_current_spend"
    ) == [(True,)]
    scenario = query(
        paths,
        "select channel, movable, current_weekly_spend, recommended_weekly_spend from mart_budget_scenarios",
    )
    assert sum(r[3] for r in scenario) == pytest.approx(sum(r[2] for r in scenario), abs=Decimal("0.05"))
    for channel, movable, current, recommended in scenario:
        if channel in ("tv", "radio", "print", "ooh", "direct_mail"):
            assert not movable and recommended == current
    assert {r[0] for r in query(paths, f"select distinct fit_id from {' union select fit_id from '.join(MARTS)}")} == {
        fit_id
    }


def test_a_week_already_fitted_is_not_refitted_unless_forced(mix_env):
    paths, _ = mix_env
    assert fit_and_land("manual__first") is True
    publish_fit()
    assert fit_and_land("asset_triggered__again") is False
    assert fit_and_land("manual__forced", force=True) is True
    publish_fit()
    # A rerun on the same warehouse day replaces that day's fit: one fit, the forced one.
    [(run_id, latest)] = query(paths, "select run_id, is_latest from mart_mmm_diagnostics")
    assert run_id == "manual__forced" and latest


def test_a_fit_that_fails_its_checks_lands_nothing_and_the_last_results_stay(mix_env):
    paths, config_file = mix_env
    config = yaml.safe_load(config_file.read_text())
    config["marketing_mix"]["checks"]["min_r2"] = 0.99
    config_file.write_text(yaml.safe_dump(config))
    before = sorted(p.name for p in paths.warehouse_dir.iterdir())

    with pytest.raises(AirflowFailException, match=r"not published, last week's results stay:\n- R² 0\.\d+ is below"):
        fit_and_land("manual__strict")
    assert not landed_dates(MIX_SOURCE, "diagnostics", landing_root=paths.landing)
    assert sorted(p.name for p in paths.warehouse_dir.iterdir()) == before


def test_too_little_history_stops_with_what_to_do(mix_env):
    paths, config_file = mix_env
    config = yaml.safe_load(config_file.read_text())
    config["marketing_mix"].update(min_weeks=520, trusted_weeks=520)
    config_file.write_text(yaml.safe_dump(config))

    with pytest.raises(AirflowFailException, match="at least 520 needed; load the weeks before the pipeline"):
        fit_and_land("manual__short")
    assert not landed_dates(MIX_SOURCE, "diagnostics", landing_root=paths.landing)


def test_a_publish_that_came_in_between_wins_over_the_copy(mix_env):
    paths, _ = mix_env
    published = DuckDBFile(paths.published_warehouse)
    copy = published.updated_copy(paths.warehouse_dir / "copy.duckdb")
    with duckdb.connect(str(paths.published_warehouse)) as connection:
        connection.execute("update build_info set build_id = 'a-newer-build'")

    assert published.replace_if_unchanged(copy, "the-copied-build") is False
    assert not copy.path.exists()
    assert published.build_id() == "a-newer-build"
