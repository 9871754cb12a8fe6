"""Measure the two ways to run dbt in Airflow on the same landing data.

- **single build**: the nightly DAG's way, one `dbt build` process (`warehouse.build.build`);
- **Cosmos**: `benchmarks/cosmos_dags/cosmos_marketing_build.py`, one Airflow task per seed and
  model plus their tests, run whole by `airflow dags test` on a throwaway metadata database;
- **parse**: how long the Airflow DAG processor takes to import the Cosmos DAG file against the
  nightly DAG file.

Each strategy writes its own DuckDB file under a temporary folder and reads the caller's landing
folder through a symlink, so the caller's data folder is left as it was. Both start from a
`dbt parse` made with their own settings (the state a nightly run finds after the first night),
so neither pays a full dbt parse the other does not.

    python -m benchmarks.dbt_strategies --data-root data --run-date 2026-11-20
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import date, datetime, timedelta
from pathlib import Path

from core.paths import PROJECT_ROOT, DataPaths
from sandbox.demo import AIRFLOW, airflow_base_environment, demo_logical_date
from sources.config import PipelineConfig, load_config
from warehouse import build as warehouse
from warehouse.targets import warehouses

COSMOS_DAGS_FOLDER = Path(__file__).resolve().parent / "cosmos_dags"
COSMOS_DAG_ID = "cosmos_marketing_build"
COSMOS_DAG_FILE = COSMOS_DAGS_FOLDER / f"{COSMOS_DAG_ID}.py"
NIGHTLY_DAG_FILE = PROJECT_ROOT / "dags" / "nightly_marketing.py"
LOG_TAIL_LINES = 40
ANSI_COLOUR = re.compile(r"\x1b\[[0-9;]*m")
# dbt's failures ("ERROR creating ...", "Runtime Error in ...") and Airflow's error records, not
# dbt's "ERROR=0" summary counts.
ERROR_LINE = re.compile(r"\bERROR\b(?!=)|Error|\[error")
FULL_PARSE = re.compile(r"Unable to do partial parsing because ([^.\[]+)")

# Runs in a fresh interpreter per DAG file, as the DAG processor parses a file in a fresh process:
# Airflow itself is already imported there, whatever the DAG file imports is not. The second parse
# shows the cost once those imports are cached.
PARSE_PROBE = """
import json, sys, time
from airflow.dag_processing.dagbag import DagBag

timings, tasks = [], {}
for _ in range(2):
    started = time.perf_counter()
    bag = DagBag(dag_folder=sys.argv[1])
    timings.append(time.perf_counter() - started)
    if bag.import_errors:
        raise SystemExit(json.dumps(bag.import_errors))
    tasks = {dag_id: len(dag.tasks) for dag_id, dag in bag.dags.items()}
print(json.dumps({"first": timings[0], "again": timings[1], "tasks": tasks}))
"""


def measure(data_root: Path, run_date: date) -> dict:
    """Wall times in seconds of both strategies building the warehouse for `run_date` from
    `data_root/landing`, plus what the Cosmos DAG renders and how long its file takes to parse."""
    landing = Path(data_root).resolve() / "landing"
    if not landing.is_dir():
        raise FileNotFoundError(f"{landing}: no landing folder to build from; run the demo or a bench night first")
    config = load_config()
    with tempfile.TemporaryDirectory(prefix="dbt-strategies-") as tmp:
        tmp = Path(tmp)
        single_paths, cosmos_paths = _scratch_paths(tmp / "single", landing), _scratch_paths(tmp / "cosmos", landing)
        airflow_env = _airflow_environment(tmp / "airflow", cosmos_paths)

        _dbt_parse(single_paths, config, run_date)
        # Cosmos names the profile and target on every dbt command line, and dbt keeps its
        # partial-parse state only for the same command-line profile and target.
        dbt_parse_seconds = _dbt_parse(
            cosmos_paths, config, run_date, "--profile", "marketing_roi", "--target", "duckdb"
        )
        _seed_cosmos_partial_parse(cosmos_paths, Path(airflow_env["AIRFLOW__COSMOS__CACHE_DIR"]))

        figures: dict = {"run_date": run_date.isoformat(), "dbt_parse_seconds": round(dbt_parse_seconds, 2)}
        figures["single_build"] = _measure_single_build(single_paths, config, run_date)
        cosmos_parse, cosmos_tasks = _parse_dag_file(COSMOS_DAG_FILE, airflow_env)
        nightly_parse, _ = _parse_dag_file(NIGHTLY_DAG_FILE, airflow_env)
        figures["cosmos_parse_seconds"] = {COSMOS_DAG_ID: cosmos_parse, "nightly_marketing": nightly_parse}
        figures["cosmos_dags_test"] = _measure_cosmos_dags_test(
            airflow_env, config, run_date, cosmos_tasks[COSMOS_DAG_ID], tmp / "cosmos_dags_test.log"
        )
        if figures["single_build"]["succeeded"] and figures["cosmos_dags_test"]["succeeded"]:
            figures["same_tables_and_row_counts"] = _row_counts(single_paths.build_warehouse) == _row_counts(
                cosmos_paths.build_warehouse
            )
    return figures


def _scratch_paths(root: Path, landing: Path) -> DataPaths:
    paths = DataPaths(root)
    root.mkdir(parents=True)
    (root / "landing").symlink_to(landing, target_is_directory=True)
    paths.warehouse_dir.mkdir()
    return paths


def _airflow_environment(airflow_home: Path, paths: DataPaths) -> dict[str, str]:
    return {
        **airflow_base_environment(airflow_home, COSMOS_DAGS_FOLDER),
        **warehouse.dbt_environment(paths, warehouses(paths, target="duckdb").build),
        "PIPELINE_DATA_DIR": str(paths.root),
        # Cosmos keeps dbt's partial-parse state per DAG here; the default (/tmp/cosmos) would carry
        # it from one benchmark run to the next.
        "AIRFLOW__COSMOS__CACHE_DIR": str(airflow_home / "cosmos_cache"),
        "COSMOS_DBT_MANIFEST": str(paths.dbt_target / "manifest.json"),
    }


def _dbt_parse(paths: DataPaths, config: PipelineConfig, run_date: date, *flags: str) -> float:
    started = time.monotonic()
    warehouse.run_dbt(["parse", *flags], paths, warehouses(paths, target="duckdb").build, config, run_date)
    return time.monotonic() - started


def _seed_cosmos_partial_parse(paths: DataPaths, cache_dir: Path) -> None:
    """Give Cosmos the partial-parse state `dbt parse` left, as the single build has it in its
    target folder; Cosmos looks for it in its cache folder for the DAG."""
    cached_target = cache_dir / COSMOS_DAG_ID / "target"
    cached_target.mkdir(parents=True)
    for name in ("partial_parse.msgpack", "manifest.json"):
        shutil.copy2(paths.dbt_target / name, cached_target / name)


def _measure_single_build(paths: DataPaths, config: PipelineConfig, run_date: date) -> dict:
    started = time.monotonic()
    try:
        warehouse.build(paths, config, run_date, docs=False)
    except warehouse.WarehouseBuildError as exc:
        return {"seconds": round(time.monotonic() - started, 2), "succeeded": False, "error": str(exc)}
    return {"seconds": round(time.monotonic() - started, 2), "succeeded": True}


def _parse_dag_file(dag_file: Path, env: dict[str, str]) -> tuple[dict[str, float], dict[str, int]]:
    """Seconds to parse the file (first time, and again), and the tasks of each DAG it defines."""
    result = subprocess.run(
        [sys.executable, "-c", PARSE_PROBE, str(dag_file)], env=env, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise RuntimeError(f"parsing {dag_file} failed:\n{result.stdout[-2000:]}{result.stderr[-2000:]}")
    parsed = json.loads(result.stdout.strip().splitlines()[-1])
    return {"first": round(parsed["first"], 3), "again": round(parsed["again"], 3)}, parsed["tasks"]


def _measure_cosmos_dags_test(
    env: dict[str, str], config: PipelineConfig, run_date: date, tasks_rendered: int, log_file: Path
) -> dict:
    airflow_home = Path(env["AIRFLOW_HOME"])
    airflow_home.mkdir(parents=True, exist_ok=True)
    subprocess.run([AIRFLOW, "db", "migrate"], env=env, check=True, capture_output=True)

    # The nightly run that would build `run_date`: the day after, at the scheduled time.
    logical_date = demo_logical_date(config, run_date + timedelta(days=1))
    started = time.monotonic()
    with open(log_file, "w") as log:
        completed = subprocess.run(
            [
                AIRFLOW,
                "dags",
                "test",
                COSMOS_DAG_ID,
                logical_date.isoformat(),
                "--conf",
                json.dumps({"run_date": run_date.isoformat()}),
            ],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            check=False,
        )
    seconds = time.monotonic() - started

    run_state, run_seconds, task_states = _dag_run_record(airflow_home / "airflow.db")
    log_text = ANSI_COLOUR.sub("", log_file.read_text(errors="replace"))
    succeeded = completed.returncode == 0 and run_state == "success"
    figures = {
        "seconds": round(seconds, 2),
        "tasks_span_seconds": round(run_seconds, 2) if run_seconds is not None else None,
        "tasks": tasks_rendered,
        "task_states": task_states,
        # A task whose partial-parse state was missing or stale parses the whole project again.
        "dbt_full_parses": dict(Counter(FULL_PARSE.findall(log_text))),
        "succeeded": succeeded,
    }
    if not succeeded:
        lines = log_text.splitlines()
        # The run goes on with the branches a failure does not block, so the tail alone may show
        # only later successes: keep dbt's error lines too.
        figures["log_errors"] = [line for line in lines if ERROR_LINE.search(line)][-LOG_TAIL_LINES:]
        figures["log_tail"] = "\n".join(lines[-LOG_TAIL_LINES:])
    return figures


def _dag_run_record(metadata_db: Path) -> tuple[str | None, float | None, dict[str, int]]:
    """State of the Cosmos DAG run, first task start to last task end, and its task instances
    counted by state. (`airflow dags test` backdates the run's own start to its logical date.)"""
    with sqlite3.connect(metadata_db) as db:
        run = db.execute(
            "select run_id, state from dag_run where dag_id = ? order by id desc limit 1", (COSMOS_DAG_ID,)
        ).fetchone()
        if run is None:
            return None, None, {}
        run_id, state = run
        first_start, last_end = db.execute(
            "select min(start_date), max(end_date) from task_instance where dag_id = ? and run_id = ?",
            (COSMOS_DAG_ID, run_id),
        ).fetchone()
        states = db.execute(
            "select coalesce(state, 'none'), count(*) from task_instance where dag_id = ? and run_id = ? group by 1",
            (COSMOS_DAG_ID, run_id),
        ).fetchall()
    seconds = None
    if first_start and last_end:
        seconds = (datetime.fromisoformat(last_end) - datetime.fromisoformat(first_start)).total_seconds()
    return state, seconds, dict(states)


def _row_counts(warehouse_file: Path) -> dict[str, int]:
    import duckdb

    with duckdb.connect(str(warehouse_file), read_only=True) as connection:
        tables = connection.execute(
            "select table_schema, table_name from information_schema.tables order by all"
        ).fetchall()
        return {
            f"{schema}.{name}": connection.execute(f'select count(*) from "{schema}"."{name}"').fetchone()[0]
            for schema, name in tables
        }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-root", type=Path, required=True, help="folder holding a populated landing/")
    parser.add_argument(
        "--run-date", type=date.fromisoformat, required=True, help="last complete day to build (YYYY-MM-DD)"
    )
    args = parser.parse_args(argv)
    print(json.dumps(measure(args.data_root, args.run_date), indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
