"""README's "Backfill and rerun one source" on the production executor: `airflow backfill create`
over three nights, run by the scheduler on Celery workers with a Postgres metadata DB (the stack of
test_celery_postgres.py), one night at a time, the last publish being the newest night's.

Needs PostgreSQL on 127.0.0.1:5432 (trust auth, user postgres) and Redis on 127.0.0.1:6379. It
skips where they are absent, except in CI (CI=true), where their absence fails the run."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime, timedelta

import duckdb
import pytest

from benchmarks.celery_postgres import DagRunResult, celery_postgres_stack, services_unavailable
from core.landing import landed_dates
from core.paths import DataPaths
from core.windows import partition_date_for
from nightly import DAG_ID
from sandbox.demo import stage_inboxes
from sources import API_SOURCES, INBOX_SOURCES
from sources.config import load_config
from warehouse import BUILD_INFO
from warehouse.build import latest_build
from warehouse.duckdb_file import DuckDBFile

pytestmark = pytest.mark.e2e

# Only bounds a wait that fails: the wait ends as soon as the scheduler has finished the backfill.
# Three nights one after the other on a loaded 2-core machine, the first of them the 90-day history.
BACKFILL_TIMEOUT_SECONDS = 20 * 60


@pytest.fixture(scope="module", autouse=True)
def services():
    reason = services_unavailable()
    if reason is None:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI must run the Celery/Postgres backfill test, but {reason}")
    pytest.skip(reason)


def backfill_nights(stack, timeout: float = BACKFILL_TIMEOUT_SECONDS) -> tuple[dict, list[dict]]:
    """The DAG's only backfill once the scheduler has marked it complete (every run of it ended),
    and its runs, oldest logical date first."""
    started = time.monotonic()
    while True:
        stack.check_alive()
        [backfill] = stack.request("GET", "/api/v2/backfills", params={"dag_id": DAG_ID})["backfills"]
        runs = stack.request("GET", f"/api/v2/dags/{DAG_ID}/dagRuns", params={"order_by": "logical_date"})
        if backfill["completed_at"] is not None or time.monotonic() - started > timeout:
            return backfill, runs["dag_runs"]
        time.sleep(2)


def task_states(stack, run: dict) -> DagRunResult:
    tasks = stack.request(
        "GET", f"/api/v2/dags/{DAG_ID}/dagRuns/{run['dag_run_id']}/taskInstances", params={"limit": 200}
    )["task_instances"]
    seconds = (datetime.fromisoformat(run["end_date"]) - datetime.fromisoformat(run["start_date"])).total_seconds()
    return DagRunResult(DAG_ID, run["dag_run_id"], run["state"], seconds, tasks)


def test_backfill_runs_three_nights_in_order_and_publishes_the_newest(
    tmp_path, fixed_clock_sandboxes, nightly_logical_date
):
    config = load_config()
    tz = config.organisation.tz
    paths = DataPaths(tmp_path / "data")
    # The three runs up to the one scheduled on the sandbox clock's day (04:30 in the organisation's
    # timezone), which land the three days before it. A later run is in the sandboxes' future: their
    # APIs refuse it as the platforms do (LinkedIn: statistics end at least two days before now).
    nights = [nightly_logical_date - timedelta(days=back) for back in (2, 1, 0)]
    days = [partition_date_for(night, tz) for night in nights]
    # The inbox as marketing ops leave it on the last day: every run takes the export as it is
    # when it runs, which holds the days after its own.
    stage_inboxes(config, paths, days[-1])
    urls = {name: server.base_url for name, server in fixed_clock_sandboxes.items()}

    with celery_postgres_stack(urls, config, paths, tmp_path / "airflow") as stack:
        stack.wait_for_dag(DAG_ID)
        # The scheduler starts no run of a paused DAG, backfill runs included (new DAGs are paused).
        stack.request("PATCH", f"/api/v2/dags/{DAG_ID}", json={"is_paused": False})
        started = time.monotonic()
        # README's command, with the window of the three runs (UTC, whole days).
        stack.cli(
            "backfill",
            "create",
            "--dag-id",
            DAG_ID,
            "--from-date",
            f"{nights[0].astimezone(UTC).date().isoformat()}T00:00",
            "--to-date",
            f"{nights[-1].astimezone(UTC).date().isoformat()}T23:59",
            "--reprocess-behavior",
            "completed",
            "--max-active-runs",
            "1",
        )
        backfill, runs = backfill_nights(stack)
        seconds = time.monotonic() - started
        results = [task_states(stack, run) for run in runs if run["end_date"]]
        failures = "\n\n".join(stack.describe(result) for result in results)
        assert backfill["completed_at"] is not None, (
            f"the backfill did not finish within {BACKFILL_TIMEOUT_SECONDS} s: runs "
            f"{[(run['logical_date'], run['state']) for run in runs]}\n{failures}"
        )
        nights_seconds = ", ".join(f"{result.run_id} {result.seconds:.0f} s" for result in results)
        print(f"\n{DAG_ID} backfill on Celery/Postgres: {seconds:.1f} s from create to complete ({nights_seconds})")

    assert (backfill["max_active_runs"], backfill["reprocess_behavior"]) == (1, "completed")
    assert [datetime.fromisoformat(run["logical_date"]) for run in runs] == nights
    assert {run["run_type"] for run in runs} == {"backfill"}
    assert [run["state"] for run in runs] == ["success"] * 3, failures
    for result in results:
        assert result.task_states and {ti["state"] for ti in result.task_states} == {"success"}, stack.describe(result)
    # One night at a time, oldest first: each run started once the one before it had ended.
    for before, after in zip(runs, runs[1:], strict=False):
        assert datetime.fromisoformat(after["start_date"]) >= datetime.fromisoformat(before["end_date"]), (
            f"{after['dag_run_id']} started at {after['start_date']}, before {before['dag_run_id']} "
            f"ended at {before['end_date']}"
        )

    # Every source landed each of the three days.
    for source in (*API_SOURCES, *INBOX_SOURCES):
        entities = sorted(p.name for p in (paths.landing / source.name).iterdir() if p.is_dir())
        assert entities, f"{source.name} landed nothing under {paths.landing / source.name}"
        for entity in entities:
            landed = set(landed_dates(source.name, entity, landing_root=paths.landing))
            assert set(days) <= landed, f"{source.name}/{entity} landed {sorted(landed)}, not every day of {days}"

    # The warehouse in service is the newest night's, and the last build is the one published.
    with duckdb.connect(str(paths.published_warehouse), read_only=True) as warehouse:
        [(run_date,)] = warehouse.execute(f"select run_date from {BUILD_INFO}").fetchall()
    assert run_date == days[-1], f"the published warehouse is the build of {run_date}, not of {days[-1]}"
    assert DuckDBFile(paths.published_warehouse).build_id() == latest_build(paths)
