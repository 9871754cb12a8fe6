"""The warehouse: what dbt builds from the landing zone, the mart gate checks and BI tools and
reports read. It lives on one of two targets, behind one interface (`Warehouse`):

- DuckDB (the default): a file, `build.duckdb` while it is built, `marketing.duckdb` once
  published (warehouse/duckdb_file.py);
- PostgreSQL (`PIPELINE_WAREHOUSE_TARGET=postgres`): a schema of a database, `<schema>_build`
  while it is built, `<schema>` once published (warehouse/postgres.py).

warehouse/targets.py resolves both for the configured target; warehouse/build.py runs dbt on the
build and publishes it. Callers hold a `Warehouse` and never ask which target it is on."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, Protocol, Self

if TYPE_CHECKING:
    from collections.abc import Sequence
    from datetime import date
    from pathlib import Path

    import duckdb
    import pyarrow as pa

    from core.landing import Root

# The table of a build (and, once published, of the warehouse) naming the build (build.record_build).
BUILD_INFO = "build_info"


class PublishError(RuntimeError):
    """The build could not be published."""


class UpdateUnsupportedError(PublishError):
    """The target cannot publish an updated copy of its warehouse: what was meant for it is
    published with the next build."""


class WarehouseMissingError(FileNotFoundError):
    """There is no published warehouse to read."""


class Warehouse(Protocol):
    """A warehouse on one target: `str()` says where it is (for messages), `name` is the short
    name quality results give it."""

    # The dbt target (dbt/profiles.yml) that builds it.
    dbt_target: ClassVar[str]

    @property
    def name(self) -> str: ...

    def query(self, sql: str) -> list[tuple]:
        """The rows of one query in SQL both targets speak."""
        ...

    def read_table(self, table: str) -> pa.Table:
        """Every row of a table or view, as Arrow."""
        ...

    def snapshot(self, tables: Sequence[str]) -> duckdb.DuckDBPyConnection:
        """A DuckDB connection reading `tables` as they are now, whatever publish comes next;
        WarehouseMissingError when there is no warehouse to read."""
        ...

    def append_rows(self, table: str, rows: pa.Table) -> None:
        """Insert an Arrow table's rows into `table`, matching columns by name (extra ones left out)."""
        ...

    def build_id(self) -> str | None:
        """The id of the build this warehouse was made from (its BUILD_INFO table); None when
        there is no warehouse, or it predates build ids."""
        ...

    def record_build(self, build_id: str, run_date: date) -> None:
        """Name this build in its BUILD_INFO table."""
        ...

    def prepare_build(self, landing_root: Root) -> None:
        """Make this build ready for dbt to build from the landing zone."""
        ...

    def dbt_environment(self) -> dict[str, str]:
        """The variables dbt/profiles.yml reads for this warehouse's target."""
        ...

    def dbt_vars(self) -> dict[str, str]:
        """The dbt variables this warehouse's target adds to the run's."""
        ...

    def publish(self, build: Self, latest_build: str | None, record: Path) -> None:
        """Replace this (published) warehouse with `build` in one atomic step. Without a build,
        this warehouse being `latest_build` (the last build the build step finished, recorded
        in `record`) means an earlier publish did it and did not live to report it: nothing is
        done."""
        ...

    def updated_copy(self, work: Path) -> Self:
        """A copy of this (published) warehouse, for a step that adds tables to the published
        warehouse between builds (the marketing_mix DAG) and puts it back with
        `replace_if_unchanged`; `work` names where a file copy goes. UpdateUnsupportedError where
        the target cannot copy one."""
        ...

    def replace_if_unchanged(self, copy: Self, build_id: str | None) -> bool:
        """Put `copy` in this warehouse's place in one atomic step if this warehouse is still
        build `build_id` (the one copied); False, and the copy dropped, when a publish came in
        between (its build holds what the copy added, or the next one will)."""
        ...
