"""A night whose landing zone is given as a URL (PIPELINE_LANDING_URL), the way an s3:// bucket is:
the inboxes land into it, the landing gate, dbt on DuckDB, the mart gate (reconciliation) and the
publish all read it through core.storage, and the marts equal those of roi_env, built from the
same files on the local disk.

The URL uses fsspec's `local://` scheme: the same code path as any object-storage scheme (objects
written in place, DuckDB and dbt reading through the registered fsspec filesystem), on a
filesystem this machine has. No object store is reachable here; tests/unit/test_landing.py runs
the landing functions on an in-memory object store."""

from __future__ import annotations

import shutil

import duckdb
import pytest

from core import storage
from core.paths import data_paths
from sources.config import load_config
from tests.conftest import finish_roi_night

pytestmark = pytest.mark.integration

# Marts whose rows depend on when the night ran (freshness, gate timings) are left out.
COMPARED = [
    "fct_channel_daily",
    "mart_roi",
    "mart_social_vs_traditional",
    "mart_objective_performance",
    "mart_cost_per_engagement",
    "mart_social_posts",
]


@pytest.fixture(scope="module")
def url_night(roi_env, tmp_path_factory):
    local_paths, ctx = roi_env
    scratch = tmp_path_factory.mktemp("landing_by_url")
    lake = scratch / "lake" / "landing"
    shutil.copytree(storage.local_path(local_paths.landing), lake)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PIPELINE_DATA_DIR", str(scratch / "data"))
        patch.setenv(storage.LANDING_URL_ENV, f"local://{lake}")
        paths = data_paths()
        # Tonight's inbox snapshots land again, through the URL, and the night goes on from there.
        finish_roi_night(paths, load_config(), ctx.partition_date, "manual__url")
        yield local_paths, paths, lake


def test_the_landing_zone_is_the_url_and_nothing_lands_on_the_data_folder(url_night):
    _, paths, lake = url_night
    assert paths.landing.protocol == "local"
    assert storage.local_path(paths.landing) is None
    assert not (paths.root / "landing").exists()
    # The gate's record of tonight, written through the URL.
    assert list((lake / "pipeline" / "quality_results").glob("date=*/landing__*.parquet"))
    # dbt read the local mirror: every file landed before the build, and nothing else (the gate
    # results written after the last sync are the only files it lacks).
    landed = {p.relative_to(lake).as_posix() for p in lake.rglob("*.parquet")}
    mirrored = {p.relative_to(paths.landing_mirror).as_posix() for p in paths.landing_mirror.rglob("*.parquet")}
    assert mirrored <= landed
    assert {name for name in landed - mirrored if not name.startswith("pipeline/quality_results/")} == set()


@pytest.mark.parametrize("mart", COMPARED)
def test_every_mart_equals_the_local_build(url_night, mart):
    local_paths, paths, _ = url_night

    def rows(warehouse_file):
        with duckdb.connect(str(warehouse_file), read_only=True) as connection:
            return connection.execute(f"select * from {mart} order by all").fetchall()

    from_url = rows(paths.published_warehouse)
    assert from_url, f"{mart} is empty"
    assert from_url == rows(local_paths.published_warehouse)
