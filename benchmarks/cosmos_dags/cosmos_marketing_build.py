"""
### Cosmos-rendered warehouse build (benchmark only)

The same dbt project as the nightly DAG's single `build_warehouse` task, rendered by
astronomer-cosmos as one Airflow task per seed and model (each model followed by its tests).
It exists so `benchmarks/dbt_strategies.py` can measure both strategies on the same data; it is
not a product DAG and lives outside `dags/`.

- Rendering reads a `manifest.json` written by `dbt parse` beforehand (`COSMOS_DBT_MANIFEST`),
  so parsing this file never starts dbt.
- Every task writes the DuckDB file named by `DBT_DUCKDB_PATH` from the landing folder named by
  `PIPELINE_LANDING_DIR`. DuckDB allows a single writer, so the DAG runs one task at a time.
- Trigger with `{"run_date": "YYYY-MM-DD"}`: the last complete day the warehouse covers.
"""

from __future__ import annotations

import os
import sys
from datetime import datetime
from pathlib import Path

from airflow.sdk import Param
from cosmos import DbtDag, ExecutionConfig, ProfileConfig, ProjectConfig, RenderConfig
from cosmos.constants import ExecutionMode, InvocationMode, LoadMode, TestBehavior

from core.paths import data_paths
from sources.config import load_config

# Relative to this file, so the DAG renders wherever the repository is checked out.
REPO_ROOT = Path(__file__).resolve().parents[2]
DBT_PROJECT_DIR = REPO_ROOT / "dbt"
MANIFEST = Path(os.environ.get("COSMOS_DBT_MANIFEST", DBT_PROJECT_DIR / "target" / "manifest.json"))
# The dbt next to the interpreter running Airflow: the project virtualenv.
DBT_EXECUTABLE = Path(sys.executable).with_name("dbt")

DBT_ENV = {
    # A local landing zone (the benchmark reads the one a bench night landed).
    "PIPELINE_LANDING_DIR": os.environ.get("PIPELINE_LANDING_DIR", str(data_paths().root / "landing")),
    # Never the product's build file by default: a benchmark must not clobber the nightly build.
    "DBT_DUCKDB_PATH": os.environ.get("DBT_DUCKDB_PATH", str(data_paths().warehouse_dir / "cosmos_build.duckdb")),
    "DO_NOT_TRACK": "1",
    "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
}

cosmos_marketing_build = DbtDag(
    dag_id="cosmos_marketing_build",
    schedule=None,
    start_date=datetime(2026, 1, 1),
    catchup=False,
    max_active_runs=1,
    # DuckDB has a single writer and every task here is a dbt process writing the same file.
    max_active_tasks=1,
    doc_md=__doc__,
    tags=["benchmark", "dbt", "cosmos"],
    params={"run_date": Param(type="string", format="date", description="last complete day to build (YYYY-MM-DD)")},
    # A failed task should end the measured run at once, not retry inside the timing.
    default_args={"owner": "data-engineering", "retries": 0},
    project_config=ProjectConfig(
        dbt_project_path=DBT_PROJECT_DIR,
        manifest_path=MANIFEST,
        env_vars=DBT_ENV,
        # The project has no packages.yml; skipping `dbt deps` keeps each task from trying the network.
        install_dbt_deps=False,
    ),
    profile_config=ProfileConfig(
        profile_name="marketing_roi",
        target_name="duckdb",
        profiles_yml_filepath=DBT_PROJECT_DIR / "profiles.yml",
    ),
    render_config=RenderConfig(
        load_method=LoadMode.DBT_MANIFEST,
        test_behavior=TestBehavior.AFTER_EACH,
        # A relationships test from a model to a seed (e.g. fct_channel_daily -> channels) is
        # otherwise also run by the seed's test task, before the model exists, and fails.
        # Detaching runs each multi-parent test once, after all its parents
        # (astronomer-cosmos#1365; the opt-in flag came with #1433).
        should_detach_multiple_parents_tests=True,
    ),
    execution_config=ExecutionConfig(
        execution_mode=ExecutionMode.LOCAL,
        # A dbt process per task, like the single-build strategy: a fair comparison, and no DuckDB
        # connection left open in a long-lived worker between tasks.
        invocation_mode=InvocationMode.SUBPROCESS,
        dbt_executable_path=DBT_EXECUTABLE,
    ),
    operator_args={
        "vars": {
            "org_timezone": load_config().organisation.timezone,
            "run_date": "{{ params.run_date }}",
        },
    },
)
