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
import re
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from content.posts import classify_landing
from core import storage
from core.paths import PROJECT_ROOT, DataPaths
from sources.config import PipelineConfig
from warehouse import Warehouse
from warehouse.targets import warehouses

if TYPE_CHECKING:
    from warehouse.postgres import PostgresSettings

logger = logging.getLogger(__name__)

DBT_PROJECT_DIR = PROJECT_ROOT / "dbt"

# Colour codes dbt writes even when its output is not a terminal; they garble task logs.
ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
# How many of the slowest models a build names in the log: where to look when a night runs long.
SLOWEST_MODELS = 5


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
        "DBT_USE_COLORS": "false",
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
    from sources import expected_accounts, source_dbt_vars

    dbt_vars = {
        "org_timezone": config.organisation.timezone,
        "run_date": run_date.isoformat(),
        # Entities that never landed (a platform's first run failed) build as empty relations.
        "landed_entities": landed_entities(paths.landing),
        "expected_accounts": expected_accounts(config),
        **source_dbt_vars(config),
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
    # A results file an earlier command left must not be read as this one's.
    results_file = target_path / "run_results.json"
    results_file.unlink(missing_ok=True)
    completed = subprocess.run(
        command,
        env={**os.environ, **dbt_environment(paths, build)},
        capture_output=True,
        text=True,
        check=False,
    )
    output = ANSI_ESCAPE.sub("", completed.stdout + completed.stderr)
    failures = log_run_results(" ".join(args), results_file)
    if completed.returncode != 0:
        # Without results dbt stopped before running anything (a parse or profile error): its output says why.
        lines = [line for line in output.splitlines() if "ERROR" in line or "FAIL" in line or "Error" in line]
        raise WarehouseBuildError(
            f"dbt {' '.join(args)} failed (exit {completed.returncode}) building {build}:\n"
            + "\n".join(failures or lines[-40:] or output.splitlines()[-40:])
            + f"\nFull log: {target_path / 'logs' / 'dbt.log'}"
        )
    return output


def _node_name(result: dict) -> str:
    """`model mart_roi`, `test not_null_mart_roi_channel`, `unit_test mart_roi.roi_formula`: a node
    as dbt's own output names it (a generic test's unique id ends in a hash dbt never shows)."""
    kind, _package, *name = result["unique_id"].split(".")
    if kind == "test" and len(name) > 1:
        name = name[:-1]
    return f"{kind} {'.'.join(name)}"


def _one_line(message: str | None) -> str:
    return " ".join((message or "").split())


def log_run_results(command: str, results_file: Path) -> list[str]:
    """Log what dbt's run_results.json says of the nodes that failed (errors and failed tests, as
    errors), that warned, and, for a build or run, the slowest models. Returns the failures, one
    line each; none when dbt wrote no results."""
    if not results_file.exists():
        return []
    results = json.loads(results_file.read_text())["results"]
    failures = [
        f"{_node_name(result)} {result['status']}: {_one_line(result.get('message'))}"
        for result in results
        if result["status"] in ("error", "fail", "runtime error")
    ]
    for failure in failures:
        logger.error("dbt %s: %s", command, failure)
    for result in results:
        if result["status"] == "warn":
            logger.warning("dbt %s: %s warn: %s", command, _node_name(result), _one_line(result.get("message")))
    if command.split()[0] in ("build", "run"):
        models = [result for result in results if result["unique_id"].startswith("model.")]
        slowest = sorted(models, key=lambda result: result["execution_time"], reverse=True)[:SLOWEST_MODELS]
        if slowest:
            logger.info(
                "dbt %s: slowest models: %s",
                command,
                ", ".join(
                    f"{_node_name(result).split(' ', 1)[1]} {result['execution_time']:.1f} s" for result in slowest
                ),
            )
    return failures


def build(
    paths: DataPaths,
    config: PipelineConfig,
    run_date: date,
    docs: bool = True,
    target: str | None = None,
    postgres: PostgresSettings | None = None,
) -> BuildResult:
    """Rebuild the warehouse from the landing zone (the source of truth) with `dbt build` (seeds,
    models, data tests and unit tests), then render the dbt docs. The landed posts are classified
    first (content/posts.py). Into the build warehouse of
    `target` and `postgres` (see warehouse.targets): `build.duckdb`, or the build schema."""
    started = time.monotonic()
    built = warehouses(paths, target, postgres).build
    # Labels are derived from the landed text at every build (a changed rule is a rebuild), and
    # landed beside it, so both targets read them as they read the landing zone.
    classify_landing(paths.landing, run_date)
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
