"""Build the warehouse with dbt into a build file, and publish it by an atomic rename.

DuckDB allows one writer or many readers, never both: dbt is the only writer and writes
`build.duckdb`; BI tools and reports open `marketing.duckdb` read-only. The publish is a rename,
so a reader never sees a half-built warehouse, and one still holding the old file keeps reading it
(the old inode lives until it closes) without blocking the run.

The same dbt project builds on PostgreSQL (`PIPELINE_WAREHOUSE_TARGET=postgres`, or the `target`
argument): the landing zone is loaded into the server first, dbt builds a build schema, and the
publish swaps it in by a rename in one transaction (warehouse/postgres.py).

Every build carries its id (table `build_info`), and the build step records the id of the last
build it finished beside the warehouse (`latest_build`): a publish retried after a crash that
followed its rename finds no build, sees that build already published, and succeeds doing nothing."""

from __future__ import annotations

import json
import logging
import os
import shutil
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
from warehouse import postgres as postgres_warehouse
from warehouse.postgres import BUILD_INFO, PostgresSettings

if TYPE_CHECKING:
    import pyarrow as pa

logger = logging.getLogger(__name__)

DBT_PROJECT_DIR = PROJECT_ROOT / "dbt"
TARGETS = ("duckdb", "postgres")


class WarehouseBuildError(RuntimeError):
    """dbt could not build or test the warehouse."""


class PublishError(RuntimeError):
    """The build could not be published."""


@dataclass(frozen=True)
class BuildResult:
    # The DuckDB build file, or the PostgreSQL build schema.
    warehouse: Path | PostgresSettings
    seconds: float
    docs: Path | None
    # Of `seconds`, the time before dbt started (on PostgreSQL: loading the landing zone).
    prepare_seconds: float = 0.0


def warehouse_target(target: str | None = None) -> str:
    """`target`, else PIPELINE_WAREHOUSE_TARGET, else duckdb."""
    chosen = target or os.environ.get("PIPELINE_WAREHOUSE_TARGET") or "duckdb"
    if chosen not in TARGETS:
        raise ValueError(f"warehouse target {chosen!r} (PIPELINE_WAREHOUSE_TARGET): use one of {', '.join(TARGETS)}")
    return chosen


def build_location(
    paths: DataPaths, target: str | None = None, postgres: PostgresSettings | None = None
) -> Path | PostgresSettings:
    """Where tonight's build is, for the mart gate: `build.duckdb`, or the PostgreSQL build schema."""
    if warehouse_target(target) == "postgres":
        settings = postgres or PostgresSettings.from_environment()
        return settings.with_schema(postgres_warehouse.build_schema(settings.schema))
    return paths.build_warehouse


def published_location(
    paths: DataPaths, target: str | None = None, postgres: PostgresSettings | None = None
) -> Path | PostgresSettings:
    """Where the published warehouse is, for readers: `marketing.duckdb`, or the PostgreSQL schema."""
    if warehouse_target(target) == "postgres":
        return postgres or PostgresSettings.from_environment()
    return paths.published_warehouse


def read_table(where: Path | PostgresSettings, table: str) -> pa.Table:
    """Every row of a table or view of a warehouse (a DuckDB file, or a PostgreSQL schema) as Arrow."""
    if isinstance(where, PostgresSettings):
        return postgres_warehouse.read_table(where, table)
    import duckdb
    import pyarrow as pa

    with duckdb.connect(str(where), read_only=True) as connection:
        arrow = connection.sql(f'select * from "{table}"').arrow()
    # DuckDB 2 hands a record batch reader; earlier versions a table.
    return arrow.read_all() if isinstance(arrow, pa.RecordBatchReader) else arrow


def query(where: Path | PostgresSettings, sql: str) -> list[tuple]:
    """The rows of one query in SQL both targets speak."""
    if isinstance(where, PostgresSettings):
        return postgres_warehouse.query(where, sql)
    import duckdb

    with duckdb.connect(str(where), read_only=True) as connection:
        return connection.execute(sql).fetchall()


def append_rows(where: Path | PostgresSettings, table: str, rows: pa.Table) -> None:
    """Insert an Arrow table's rows into `table`, matching columns by name (extra columns are left out)."""
    if isinstance(where, PostgresSettings):
        postgres_warehouse.append_rows(where, table, rows)
        return
    import duckdb

    with duckdb.connect(str(where)) as connection:
        columns = {name for (name,) in connection.execute(f'select column_name from (describe "{table}")').fetchall()}
        incoming = rows.select([name for name in rows.column_names if name in columns])
        connection.register("incoming", incoming)
        connection.execute(f'insert into "{table}" by name select * from incoming')


def dbt_environment(paths: DataPaths, warehouse: Path, postgres: PostgresSettings | None = None) -> dict[str, str]:
    """The variables dbt/profiles.yml and the sources read (to be laid over a process environment)."""
    return {
        "PIPELINE_LANDING_DIR": str(paths.local_landing()),
        "DBT_DUCKDB_PATH": str(warehouse),
        "DBT_PROFILES_DIR": str(DBT_PROJECT_DIR),
        # dbt's anonymous usage events would try the network on every command.
        "DO_NOT_TRACK": "1",
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        **(postgres.dbt_environment() if postgres is not None else {}),
    }


def run_dbt(
    args: list[str],
    paths: DataPaths,
    warehouse: Path,
    config: PipelineConfig,
    run_date: date,
    postgres: PostgresSettings | None = None,
) -> str:
    """Run one dbt command in its own process (so every DuckDB connection is closed when it ends),
    on DuckDB (`warehouse`) or, given `postgres`, on that database and schema."""
    from core.landing import landed_entities
    from sources import expected_accounts

    dbt_vars = {
        "org_timezone": config.organisation.timezone,
        "run_date": run_date.isoformat(),
        # Entities that never landed (a platform's first run failed) build as empty relations.
        "landed_entities": landed_entities(paths.landing),
        "expected_accounts": expected_accounts(config),
    }
    if postgres is not None:
        dbt_vars["landing_schema"] = postgres.landing_schema
    command = [
        sys.executable,
        "-m",
        "dbt.cli.main",
        *args,
        "--target",
        "duckdb" if postgres is None else "postgres",
        "--project-dir",
        str(DBT_PROJECT_DIR),
        "--target-path",
        str(paths.dbt_target),
        "--log-path",
        str(paths.dbt_target / "logs"),
        "--vars",
        json.dumps(dbt_vars),
    ]
    completed = subprocess.run(
        command,
        env={**os.environ, **dbt_environment(paths, warehouse, postgres)},
        capture_output=True,
        text=True,
        check=False,
    )
    output = completed.stdout + completed.stderr
    if completed.returncode != 0:
        failures = [line for line in output.splitlines() if "ERROR" in line or "FAIL" in line or "Error" in line]
        raise WarehouseBuildError(
            f"dbt {' '.join(args)} failed (exit {completed.returncode}) building {postgres or warehouse}:\n"
            + "\n".join(failures[-40:] or output.splitlines()[-40:])
            + f"\nFull log: {paths.dbt_target / 'logs' / 'dbt.log'}"
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
    models, data tests and unit tests), then render the dbt docs. On DuckDB into `build.duckdb`;
    on PostgreSQL (`target`, see warehouse_target) the landing zone is loaded first and dbt
    builds the build schema of `postgres` (default: the server DBT_POSTGRES_* name)."""
    started = time.monotonic()
    warehouse = paths.build_warehouse
    postgres_build = None
    with storage.writing_in(paths.warehouse_dir, "building the warehouse"):
        warehouse.parent.mkdir(parents=True, exist_ok=True)
        if warehouse_target(target) == "postgres":
            postgres_build = postgres_warehouse.prepare_build(
                paths.landing, postgres or PostgresSettings.from_environment()
            )
        else:
            remove_build_leftovers(paths)
    prepared = time.monotonic()
    output = run_dbt(["build"], paths, warehouse, config, run_date, postgres_build)
    logger.info("dbt build: %s", next((line for line in reversed(output.splitlines()) if "Done." in line), "done"))
    docs_index = None
    if docs:
        run_dbt(["docs", "generate", "--static"], paths, warehouse, config, run_date, postgres_build)
        docs_index = paths.dbt_target / "static_index.html"
    record_build(paths, postgres_build or warehouse, run_date)
    return BuildResult(postgres_build or warehouse, time.monotonic() - started, docs_index, prepared - started)


def remove_build_leftovers(paths: DataPaths) -> None:
    """What a build killed before it finished leaves in the warehouse folder: the build file, its
    write-ahead log and DuckDB's spill folder. One build runs at a time (the build task has one
    slot, the DAG one active run), so none of them can belong to a live writer. A killed publish
    leaves nothing: its rename is atomic, and the temporaries of `latest_build` are removed by
    its next write."""
    build_file = paths.build_warehouse
    for stale in (build_file, build_file.with_name(build_file.name + ".wal")):
        stale.unlink(missing_ok=True)
    shutil.rmtree(build_file.with_name(build_file.name + ".tmp"), ignore_errors=True)


def latest_build_file(paths: DataPaths) -> Path:
    return paths.warehouse_dir / "latest_build"


def record_build(paths: DataPaths, where: Path | PostgresSettings, run_date: date) -> str:
    """Name a finished build: its id in its `build_info` table (published with it), and the same
    id in `latest_build`, which the publish compares with the published warehouse's. Returns the id."""
    build_id = f"{run_date.isoformat()}-{uuid.uuid4().hex}"
    if isinstance(where, PostgresSettings):
        postgres_warehouse.record_build(where, build_id, run_date)
    else:
        import duckdb

        with duckdb.connect(str(where)) as connection:
            connection.execute(
                f"create or replace table {BUILD_INFO} as "
                "select ?::varchar as build_id, ?::date as run_date, current_timestamp as built_at",
                [build_id, run_date],
            )
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


def published_build(where: Path | PostgresSettings) -> str | None:
    """The id of the build a published warehouse was made from; None when it has none (there is
    no published warehouse, or it predates build ids)."""
    if isinstance(where, PostgresSettings):
        return postgres_warehouse.build_id(where)
    if not where.exists():
        return None
    import duckdb

    with duckdb.connect(str(where), read_only=True) as connection:
        found = connection.execute(
            "select 1 from information_schema.tables where table_name = ?", [BUILD_INFO]
        ).fetchall()
        if not found:
            return None
        [(build_id,)] = connection.execute(f"select build_id from {BUILD_INFO}").fetchall()
    return build_id


def publish(paths: DataPaths, target: str | None = None, postgres: PostgresSettings | None = None) -> Path | str:
    """Atomically replace the published warehouse with the build: on DuckDB by renaming the build
    file; on PostgreSQL by swapping the build schemas in (one transaction). Safe to retry: when
    there is no build because the last one is already published, nothing is done."""
    if warehouse_target(target) == "postgres":
        return postgres_warehouse.publish(postgres or PostgresSettings.from_environment(), latest_build(paths))
    build_file, published = paths.build_warehouse, paths.published_warehouse
    if not build_file.exists():
        latest = latest_build(paths)
        if latest is not None and published_build(published) == latest:
            logger.info("publish: build %s is already published at %s; nothing to do", latest, published)
            return published
        raise PublishError(
            f"publish: no build at {build_file}, and {published} is not the last build "
            f"({latest or 'none recorded'} in {latest_build_file(paths)}); run the build task first"
        )
    wal = build_file.with_name(build_file.name + ".wal")
    if wal.exists():
        # A writer did not close cleanly: fold the log into the file so the renamed file is whole.
        import duckdb

        with duckdb.connect(str(build_file)) as connection:
            connection.execute("checkpoint")
        if wal.exists():
            raise PublishError(f"publish: {wal} is still present; another process holds the build open")
    with storage.writing_in(published.parent, f"publishing {build_file.name} as {published.name}"):
        with open(build_file, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(build_file, published)
        directory = os.open(published.parent, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)
    logger.info("published %s", published)
    return published
