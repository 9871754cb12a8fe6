"""Where things live on disk. Every path derives from two environment variables so that tests,
the demo and production can point the same code at different folders."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class DataPaths:
    root: Path

    @property
    def landing(self) -> Path:
        return self.root / "landing"

    @property
    def quarantine(self) -> Path:
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
    """`PIPELINE_DATA_DIR` (default: `data/` in the repository)."""
    return DataPaths(Path(os.environ.get("PIPELINE_DATA_DIR", PROJECT_ROOT / "data")).resolve())


def config_path() -> Path:
    """`PIPELINE_CONFIG` (default: `config/pipeline.yml` in the repository)."""
    return Path(os.environ.get("PIPELINE_CONFIG", PROJECT_ROOT / "config" / "pipeline.yml")).resolve()
