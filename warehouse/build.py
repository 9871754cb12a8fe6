"""Build the warehouse with dbt, and publish the build in one atomic step, on the configured
target (see warehouse/targets.py): on DuckDB dbt writes the build file and the publish renames
it (warehouse/duckdb_file.py); on PostgreSQL the landing zone is loaded into the server first,
dbt builds the build schema, and the publish swaps it in by a rename in one transaction
(warehouse/postgres.py).

Every build carries its id (table `build_info`), and the build step records the id of the last
build it finished beside the warehouse (`latest_build`): a publish retried after a crash that
followed its rename finds no build, sees that build already published, and succeeds doing nothing."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from core import storage
from core.paths import PROJECT_ROOT, DataPaths
from sources.config import PipelineConfig
from warehouse import Warehouse
from warehouse.targets import warehouses

if TYPE_CHECKING:
    from warehouse.postgres import PostgresSettings

logger = logging.getLogger(__name__)

DBT_PROJECT_DIR = PROJECT_ROOT / "dbt"


class WarehouseBuildError(RuntimeError):
    """dbt could not build or test the warehouse."""


@dataclass(frozen=True)
class BuildResult:
    # The DuckDB build file, or the PostgreSQL build schema.
    warehouse: Warehouse
    seconds: float
    docs: Path | None
    # Of `seconds`, the time before dbt started (on PostgreSQL: loading the landing zone).
    prepare_seconds: float = 0.0


def dbt_environment(paths: DataPaths, build: Warehouse) -> dict[str, str]:
    """The variables dbt/profiles.yml and the sources read (to be laid over a process environment)."""
    return {
        "PIPELINE_LANDING_DIR": str(paths.local_landing()),
        "DBT_PROFILES_DIR": str(DBT_PROJECT_DIR),
        # dbt's anonymous usage events would try the network on every command.
        "DO_NOT_TRACK": "1",
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        **build.dbt_environment(),
    }


def run_dbt(
    args: list[str],
    paths: DataPaths,
    build: Warehouse,
    config: PipelineConfig,
    run_date: date,
    target_path: Path | None = None,
) -> str:
    """Run one dbt command on the build in its own process (so every DuckDB connection is closed
    when it ends). `target_path` (default: the data folder's dbt_target) holds dbt's compiled
    files and logs: a dbt run beside the nightly one needs its own."""
    target_path = target_path or paths.dbt_target
    from core.landing import landed_entities
    from sources import expected_accounts

    dbt_vars = {
        "org_timezone": config.organisation.timezone,
        "run_date": run_date.isoformat(),
        "advocacy_minutes_per_share": config.sources.employee_advocacy.minutes_per_share,
        # Entities that never landed (a platform's first run failed) build as empty relations.
        "landed_entities": landed_entities(paths.landing),
        "expected_accounts": expected_accounts(config),
        **build.dbt_vars(),
    }
    command = [
        sys.executable,
        "-m",
        "dbt.cli.main",
        *args,
        "--target",
        build.dbt_target,
        "--project-dir",
        str(DBT_PROJECT_DIR),
        "--target-path",
        str(target_path),
        "--log-path",
        str(target_path / "logs"),
        "--vars",
        json.dumps(dbt_vars),
    ]
    completed = subprocess.run(
        command,
        env={**os.environ, **dbt_environment(paths, build)},
        capture_output=True,
        text=True,
        check=False,
    )
    output = completed.stdout + completed.stderr
    if completed.returncode != 0:
        failures = [line for line in output.splitlines() if "ERROR" in line or "FAIL" in line or "Error" in line]
        raise WarehouseBuildError(
            f"dbt {' '.join(args)} failed (exit {completed.returncode}) building {build}:\n"
            + "\n".join(failures[-40:] or output.splitlines()[-40:])
            + f"\nFull log: {target_path / 'logs' / 'dbt.log'}"
        )
    return output


def build(
    paths: DataPaths,
    config: PipelineConfig,
    run_date: date,
    docs: bool = True,
    target: str | None = None,
    postgres: PostgresSettings | None = None,
) -> BuildResult:
    """Rebuild the warehouse from the landing zone (the source of truth) with `dbt build` (seeds,
    models, data tests and unit tests), then render the dbt docs. Into the build warehouse of
    `target` and `postgres` (see warehouse.targets): `build.duckdb`, or the build schema."""
    started = time.monotonic()
    built = warehouses(paths, target, postgres).build
    with storage.writing_in(paths.warehouse_dir, "building the warehouse"):
        paths.warehouse_dir.mkdir(parents=True, exist_ok=True)
        built.prepare_build(paths.landing)
    prepared = time.monotonic()
    output = run_dbt(["build"], paths, built, config, run_date)
    logger.info("dbt build: %s", next((line for line in reversed(output.splitlines()) if "Done." in line), "done"))
    docs_index = None
    if docs:
        run_dbt(["docs", "generate", "--static"], paths, built, config, run_date)
        docs_index = paths.dbt_target / "static_index.html"
    record_build(paths, built, run_date)
    return BuildResult(built, time.monotonic() - started, docs_index, prepared - started)


def latest_build_file(paths: DataPaths) -> Path:
    return paths.warehouse_dir / "latest_build"


def record_build(paths: DataPaths, built: Warehouse, run_date: date) -> str:
    """Name a finished build: its id in its `build_info` table (published with it), and the same
    id in `latest_build`, which the publish compares with the published warehouse's. Returns the id."""
    build_id = f"{run_date.isoformat()}-{uuid.uuid4().hex}"
    built.record_build(build_id, run_date)
    record = latest_build_file(paths)
    with storage.writing_in(record.parent, f"recording build {build_id}"):
        storage.replace_file(record, lambda handle: handle.write(f"{build_id}\n".encode()))
    return build_id


def latest_build(paths: DataPaths) -> str | None:
    """The id of the last build the build step finished, or None."""
    record = latest_build_file(paths)
    if not record.exists():
        return None
    return record.read_text().strip() or None


def publish(paths: DataPaths, target: str | None = None, postgres: PostgresSettings | None = None) -> Warehouse:
    """Atomically replace the published warehouse with the build (see warehouse.targets for
    `target` and `postgres`) and return it. Safe to retry: when there is no build because the
    last one is already published, nothing is done."""
    chosen = warehouses(paths, target, postgres)
    chosen.published.publish(chosen.build, latest_build(paths), latest_build_file(paths))
    return chosen.published
