"""The Airflow Assets the DAGs share: the nightly DAG's publish emits the published warehouse, and
the report DAG runs when it changes."""

from __future__ import annotations

from airflow.sdk import Asset

# The published warehouse's identity, on every target and wherever PIPELINE_DATA_DIR points.
# Airflow's metadata DB keys an asset by its name and by its URI, each unique among active assets:
# a URI derived from the local path would change with the data folder, the new asset would clash
# by name with the registered one and stay inactive, and every publish would fail
# (AirflowInactiveAssetInInletOrOutletException). A scheme of its own (any but `airflow`, which
# is reserved) keeps Airflow from reading it as a file path. The name is new as well as the URI,
# so a metadata DB holding the earlier path-bound asset has no clash either.
PUBLISHED_WAREHOUSE_NAME = "published_marketing_warehouse"
PUBLISHED_WAREHOUSE_URI = "marketing://warehouse/published"


def published_warehouse() -> Asset:
    return Asset(name=PUBLISHED_WAREHOUSE_NAME, uri=PUBLISHED_WAREHOUSE_URI)
