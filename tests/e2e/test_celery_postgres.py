"""The nightly DAG on the production executor: Airflow's metadata DB on the local PostgreSQL, the
CeleryExecutor with Redis as broker and Postgres as result backend, and scheduler, dag-processor,
Celery worker and API server as separate processes, driven through the REST API as an operator
would drive docker-compose.yml's stack.

Needs PostgreSQL on 127.0.0.1:5432 (trust auth, user postgres) and Redis on 127.0.0.1:6379. It
skips where they are absent, except in CI (CI=true), where their absence fails the run."""

from __future__ import annotations

import os
import time

import duckdb
import psycopg2
import pytest

from benchmarks.celery_postgres import POSTGRES, celery_postgres_stack, services_unavailable
from core.paths import DataPaths
from core.windows import partition_date_for
from nightly import DAG_ID
from sandbox.demo import stage_inboxes
from sources.config import load_config

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module", autouse=True)
def services():
    reason = services_unavailable()
    if reason is None:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI must run the Celery/Postgres test, but {reason}")
    pytest.skip(reason)


def postgres_rows(database: str, sql: str) -> list[tuple]:
    with psycopg2.connect(f"postgresql://{POSTGRES}/{database}") as connection, connection.cursor() as cursor:
        cursor.execute(sql)
        rows = cursor.fetchall()
    connection.close()
    return rows


# Only bounds a wait that fails: the count returns as soon as every result is stored. A loaded
# machine can take far longer than the usual second between a task's state and its stored result.
RESULTS_TIMEOUT_SECONDS = 300


def celery_successes(database: str, expected: int, timeout: float = RESULTS_TIMEOUT_SECONDS) -> int:
    """Successful task results in the Celery result backend, once `expected` are there or at the timeout."""
    deadline = time.monotonic() + timeout
    while True:
        [(count,)] = postgres_rows(database, "select count(*) from celery_taskmeta where status = 'SUCCESS'")
        if count >= expected or time.monotonic() > deadline:
            return count
        time.sleep(1)


def test_nightly_dag_runs_on_celery_workers_with_a_postgres_metadata_db(
    tmp_path, fixed_clock_sandboxes, nightly_logical_date
):
    config = load_config()
    paths = DataPaths(tmp_path / "data")
    logical_date = nightly_logical_date
    stage_inboxes(config, paths, partition_date_for(logical_date, config.organisation.tz))
    urls = {name: server.base_url for name, server in fixed_clock_sandboxes.items()}

    with celery_postgres_stack(urls, config, paths, tmp_path / "airflow") as stack:
        result = stack.run_dag(DAG_ID, logical_date)
        assert result.state == "success", stack.describe(result)
        print(f"\n{DAG_ID} on Celery/Postgres: {result.seconds:.1f} s from trigger to success")
        # Every task went through the Celery queue, and its result through the Postgres backend (the
        # worker stores a result just after the task has reported its state: allow it a moment).
        assert {ti["queue"] for ti in result.task_states} == {stack.queue}
        assert celery_successes(stack.database, expected=len(result.task_states)) == len(result.task_states)

    with duckdb.connect(str(paths.published_warehouse), read_only=True) as warehouse:
        [(roi_rows, investment)] = warehouse.execute("select count(*), sum(total_investment) from mart_roi").fetchall()
        channels = {row[0] for row in warehouse.execute("select distinct channel from fct_channel_daily").fetchall()}
    assert roi_rows > 0 and investment > 0
    assert {"facebook", "meta_ads", "tv"} <= channels

    # Nothing is left behind: every component stopped, the metadata database dropped.
    assert all(process.poll() is not None for process in stack.processes.values())
    assert not postgres_rows("postgres", f"select 1 from pg_database where datname = '{stack.database}'")
