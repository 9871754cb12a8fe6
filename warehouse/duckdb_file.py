"""The warehouse in a DuckDB file (dbt target `duckdb`), published by an atomic rename.

DuckDB allows one writer or many readers, never both: dbt is the only writer and writes
`build.duckdb`; BI tools and reports open `marketing.duckdb` read-only. The publish is a rename,
so a reader never sees a half-built warehouse, and one still holding the old file keeps reading it
(the old inode lives until it closes) without blocking the run."""

from __future__ import annotations

import logging
import os
import shutil
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from core import storage
from warehouse import BUILD_INFO, PublishError, WarehouseMissingError

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence
    from datetime import date
    from pathlib import Path

    import duckdb
    import pyarrow as pa

    from core.landing import Root

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class DuckDBFile:
    """A warehouse in a DuckDB file: tonight's build, or the published warehouse."""

    path: Path

    dbt_target: ClassVar[str] = "duckdb"

    @property
    def name(self) -> str:
        return self.path.name

    def __str__(self) -> str:
        return str(self.path)

    def _sibling(self, suffix: str) -> Path:
        """A file DuckDB keeps beside the database: its write-ahead log (.wal), its spill folder (.tmp)."""
        return self.path.with_name(self.path.name + suffix)

    def query(self, sql: str) -> list[tuple]:
        import duckdb

        with duckdb.connect(str(self.path), read_only=True) as connection:
            return connection.execute(sql).fetchall()

    def read_table(self, table: str) -> pa.Table:
        import duckdb
        import pyarrow as pa

        with duckdb.connect(str(self.path), read_only=True) as connection:
            arrow = connection.sql(f'select * from "{table}"').arrow()
        # DuckDB 2 hands a record batch reader; earlier versions a table.
        return arrow.read_all() if isinstance(arrow, pa.RecordBatchReader) else arrow

    def snapshot(self, tables: Sequence[str]) -> duckdb.DuckDBPyConnection:
        """The file opened read-only: the publish replaces it by a rename, so the connection keeps
        reading the file it opened."""
        import duckdb

        if not self.path.exists():
            raise WarehouseMissingError(f"no published warehouse at {self}: run the nightly DAG (or `make demo`) first")
        return duckdb.connect(str(self.path), read_only=True)

    def append_rows(self, table: str, rows: pa.Table) -> None:
        import duckdb

        with duckdb.connect(str(self.path)) as connection:
            columns = {
                name for (name,) in connection.execute(f'select column_name from (describe "{table}")').fetchall()
            }
            incoming = rows.select([name for name in rows.column_names if name in columns])
            connection.register("incoming", incoming)
            connection.execute(f'insert into "{table}" by name select * from incoming')

    def build_id(self) -> str | None:
        if not self.path.exists():
            return None
        import duckdb

        with duckdb.connect(str(self.path), read_only=True) as connection:
            found = connection.execute(
                "select 1 from information_schema.tables where table_name = ?", [BUILD_INFO]
            ).fetchall()
            if not found:
                return None
            [(build_id,)] = connection.execute(f"select build_id from {BUILD_INFO}").fetchall()
        return build_id

    def record_build(self, build_id: str, run_date: date) -> None:
        import duckdb

        with duckdb.connect(str(self.path)) as connection:
            connection.execute(
                f"create or replace table {BUILD_INFO} as "
                "select ?::varchar as build_id, ?::date as run_date, current_timestamp as built_at",
                [build_id, run_date],
            )

    def prepare_build(self, landing_root: Root) -> None:
        """Remove what a build killed before it finished left: the build file, its write-ahead log
        and DuckDB's spill folder (dbt reads the landing zone in place). One build runs at a time
        (the build task has one slot, the DAG one active run), so none of them can belong to a
        live writer. A killed publish leaves nothing: its rename is atomic, and the temporaries of
        `latest_build` are removed by its next write."""
        for stale in (self.path, self._sibling(".wal")):
            stale.unlink(missing_ok=True)
        shutil.rmtree(self._sibling(".tmp"), ignore_errors=True)

    def dbt_environment(self) -> dict[str, str]:
        return {"DBT_DUCKDB_PATH": str(self.path)}

    def dbt_vars(self) -> dict[str, str]:
        return {}

    def publish(self, build: DuckDBFile, latest_build: str | None, record: Path) -> None:
        """Rename the build file over this one."""
        build_file, published = build.path, self.path
        if not build_file.exists():
            if latest_build is not None and self.build_id() == latest_build:
                logger.info("publish: build %s is already published at %s; nothing to do", latest_build, published)
                return
            raise PublishError(
                f"publish: no build at {build_file}, and {published} is not the last build "
                f"({latest_build or 'none recorded'} in {record}); run the build task first"
            )
        wal = build._sibling(".wal")
        if wal.exists():
            # A writer did not close cleanly: fold the log into the file so the renamed file is whole.
            import duckdb

            with duckdb.connect(str(build_file)) as connection:
                connection.execute("checkpoint")
            if wal.exists():
                raise PublishError(f"publish: {wal} is still present; another process holds the build open")
        with self._replacing(f"publishing {build_file.name} as {published.name}"):
            self._rename_into_place(build_file)
        logger.info("published %s", published)

    def updated_copy(self, work: Path) -> DuckDBFile:
        """A copy of this published file at `work`, to add tables to (see Warehouse.updated_copy)."""
        if not self.path.exists():
            raise WarehouseMissingError(f"no published warehouse at {self}: run the nightly DAG (or `make demo`) first")
        copy = DuckDBFile(work)
        copy.prepare_build("")
        with storage.writing_in(work.parent, f"copying {self.name} to {work.name}"):
            shutil.copyfile(self.path, work)
        return copy

    def replace_if_unchanged(self, copy: DuckDBFile, build_id: str | None) -> bool:
        """Rename `copy` over this file if this is still build `build_id`; else drop the copy."""
        with self._replacing(f"publishing {copy.path.name} as {self.name}"):
            if self.build_id() != build_id:
                copy.path.unlink(missing_ok=True)
                return False
            self._rename_into_place(copy.path)
        logger.info("published %s as %s", copy.path.name, self.path)
        return True

    @contextmanager
    def _replacing(self, operation: str) -> Iterator[None]:
        """Hold the file's replace lock: a publish and an updated copy's replace never interleave
        their check and their rename."""
        import fcntl

        with storage.writing_in(self.path.parent, operation):
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with open(self._sibling(".lock"), "a") as lock:
                fcntl.flock(lock, fcntl.LOCK_EX)
                try:
                    yield
                finally:
                    fcntl.flock(lock, fcntl.LOCK_UN)

    def _rename_into_place(self, source: Path) -> None:
        """Replace this file by `source` in one rename, both made durable first."""
        with open(source, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(source, self.path)
        directory = os.open(self.path.parent, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)
