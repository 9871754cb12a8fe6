"""Where things live. Every path derives from environment variables so that tests, the demo and
production can point the same code at different places: `PIPELINE_DATA_DIR` (the local data
folder) and, for a landing zone on object storage, `PIPELINE_LANDING_URL` with
`PIPELINE_LANDING_CONN_ID` (core/storage.py)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from core import storage

if TYPE_CHECKING:
    from airflow.sdk import ObjectStoragePath

PROJECT_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class DataPaths:
    root: Path
    # Object storage for the landing zone (e.g. s3://bucket/landing); None: `<root>/landing`.
    landing_url: str | None = None
    landing_conn_id: str | None = None

    @property
    def landing(self) -> ObjectStoragePath:
        if self.landing_url:
            return storage.location(self.landing_url.rstrip("/"), self.landing_conn_id)
        return storage.location(self.root / "landing")

    @property
    def landing_quarantine(self) -> ObjectStoragePath:
        """Where the landing gate moves failing partitions: beside the landing zone, in the same store."""
        return self.landing.parent / "quarantine"

    @property
    def landing_mirror(self) -> Path:
        """The local copy of a landing zone on object storage that DuckDB reads (storage.local_copy)."""
        return self.root / "landing_mirror"

    def local_landing(self) -> Path:
        """The landing zone as a local folder for DuckDB: itself, or its mirror brought up to date."""
        return storage.local_copy(self.landing, self.landing_mirror)

    @property
    def quarantine(self) -> Path:
        """Where inbox files that cannot be read are moved (beside the local inbox)."""
        return self.root / "quarantine"

    @property
    def inbox(self) -> Path:
        return self.root / "inbox"

    @property
    def warehouse_dir(self) -> Path:
        return self.root / "warehouse"

    @property
    def build_warehouse(self) -> Path:
        return self.warehouse_dir / "build.duckdb"

    @property
    def published_warehouse(self) -> Path:
        return self.warehouse_dir / "marketing.duckdb"

    @property
    def gx_dir(self) -> Path:
        return self.root / "gx"

    @property
    def data_docs_index(self) -> Path:
        return self.gx_dir / "uncommitted" / "data_docs" / "local_site" / "index.html"

    @property
    def dbt_target(self) -> Path:
        return self.root / "dbt_target"

    @property
    def dbt_docs_index(self) -> Path:
        return self.dbt_target / "index.html"


def data_paths() -> DataPaths:
    """`PIPELINE_DATA_DIR` (default: `data/` in the repository), `PIPELINE_LANDING_URL` and
    `PIPELINE_LANDING_CONN_ID` (default: the landing zone is `<data dir>/landing`)."""
    return DataPaths(
        Path(os.environ.get("PIPELINE_DATA_DIR", PROJECT_ROOT / "data")).resolve(),
        os.environ.get(storage.LANDING_URL_ENV) or None,
        os.environ.get(storage.LANDING_CONN_ENV) or None,
    )


def config_path() -> Path:
    """`PIPELINE_CONFIG` (default: `config/pipeline.yml` in the repository)."""
    return Path(os.environ.get("PIPELINE_CONFIG", PROJECT_ROOT / "config" / "pipeline.yml")).resolve()
