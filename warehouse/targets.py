"""Which warehouses a night builds and readers read: the configured target resolved to tonight's
build and the published warehouse (see the warehouse package)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

from warehouse.duckdb_file import DuckDBFile
from warehouse.postgres import PostgresSchema, PostgresSettings

if TYPE_CHECKING:
    from core.paths import DataPaths
    from warehouse import Warehouse

TARGETS = ("duckdb", "postgres")


@dataclass(frozen=True)
class Warehouses:
    """Tonight's build and the published warehouse readers read, on one target."""

    build: Warehouse
    published: Warehouse


def warehouses(paths: DataPaths, target: str | None = None, postgres: PostgresSettings | None = None) -> Warehouses:
    """The build and published warehouses on `target`, else PIPELINE_WAREHOUSE_TARGET, else
    duckdb: `build.duckdb` and `marketing.duckdb` of the data folder, or the build and published
    schemas of `postgres` (default: the DBT_POSTGRES_* server and schema)."""
    chosen = target or os.environ.get("PIPELINE_WAREHOUSE_TARGET") or "duckdb"
    if chosen == "duckdb":
        return Warehouses(DuckDBFile(paths.build_warehouse), DuckDBFile(paths.published_warehouse))
    if chosen == "postgres":
        published = PostgresSchema(postgres or PostgresSettings.from_environment())
        return Warehouses(published.build(), published)
    raise ValueError(f"warehouse target {chosen!r} (PIPELINE_WAREHOUSE_TARGET): use one of {', '.join(TARGETS)}")
