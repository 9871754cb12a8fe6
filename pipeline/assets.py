"""The Airflow Assets the DAGs share: the nightly DAG's publish emits the published warehouse, and
the report DAG runs when it changes."""

from __future__ import annotations

from airflow.sdk import Asset

from pipeline.paths import data_paths


def published_warehouse() -> Asset:
    return Asset(name="marketing_warehouse", uri=data_paths().published_warehouse.as_uri())
