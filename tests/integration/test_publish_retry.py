"""A publish retried after a crash that followed its rename (or, on PostgreSQL, its commit): the
build is gone because it is the published warehouse now. The retry recognises tonight's build by
the id the build step recorded, and succeeds without doing anything; a missing build that is not
the published one still fails, naming what to do.

The PostgreSQL cases need a server (DBT_POSTGRES_* or the defaults: 127.0.0.1:5432, user
postgres); they skip where none answers, except in CI (CI=true), where that fails the run."""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
from contextlib import closing
from datetime import date

import duckdb
import pytest

from core.paths import DataPaths
from nightly import tasks
from warehouse import PublishError
from warehouse import build as warehouse
from warehouse import postgres as postgres_warehouse
from warehouse.duckdb_file import DuckDBFile
from warehouse.postgres import PostgresSchema, PostgresSettings, PostgresWarehouseError
from warehouse.targets import warehouses

pytestmark = pytest.mark.integration

DAY = date(2026, 11, 20)


def digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def duckdb_build(paths: DataPaths, value: int) -> str:
    """A build file with one mart, named by the build step's own record_build; returns its id."""
    paths.warehouse_dir.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(paths.build_warehouse)) as connection:
        connection.execute("create or replace table mart_roi as select ?::integer as total_investment", [value])
    return warehouse.record_build(paths, DuckDBFile(paths.build_warehouse), DAY)


def test_a_retried_publish_finds_tonights_build_published_and_does_nothing(tmp_path, caplog):
    paths = DataPaths(tmp_path / "data")
    build_id = duckdb_build(paths, 7)
    # The publish task as the DAG runs it; the retry finds the state a crash after the rename leaves.
    assert tasks.publish(paths) == str(paths.published_warehouse)
    assert not paths.build_warehouse.exists()
    published = digest(paths.published_warehouse)

    with caplog.at_level(logging.INFO, logger="warehouse.duckdb_file"):
        assert tasks.publish(paths) == str(paths.published_warehouse)
    assert f"build {build_id} is already published" in caplog.text
    assert digest(paths.published_warehouse) == published
    assert DuckDBFile(paths.published_warehouse).build_id() == build_id


def test_a_missing_build_that_is_not_the_published_one_still_fails(tmp_path):
    paths = DataPaths(tmp_path / "data")
    duckdb_build(paths, 1)
    warehouse.publish(paths)
    # Tonight's build finished, then its file was lost (deleted by hand, another disk).
    tonight = duckdb_build(paths, 2)
    paths.build_warehouse.unlink()
    with pytest.raises(PublishError, match=rf"no build at .*build\.duckdb.*not the last build \({tonight} in "):
        warehouse.publish(paths)


def test_a_published_warehouse_without_a_build_id_is_not_taken_for_tonights(tmp_path):
    paths = DataPaths(tmp_path / "data")
    paths.warehouse_dir.mkdir(parents=True)
    with duckdb.connect(str(paths.published_warehouse)) as connection:
        connection.execute("create table mart_roi as select 1 as total_investment")
    with pytest.raises(PublishError, match=r"none recorded.*run the build task first"):
        warehouse.publish(paths)


def test_the_build_step_names_the_build_it_publishes(roi_env, tmp_path):
    """The nightly build (dbt) recorded the id the published warehouse carries, so a retry of
    roi_env's publish would do nothing. (On a copy: roi_env is shared, read-only.)"""
    source, _ = roi_env
    assert warehouse.latest_build(source) == DuckDBFile(source.published_warehouse).build_id() is not None
    paths = DataPaths(tmp_path / "data")
    shutil.copytree(source.warehouse_dir, paths.warehouse_dir)
    before = digest(paths.published_warehouse)
    assert warehouse.publish(paths).path == paths.published_warehouse
    assert digest(paths.published_warehouse) == before


@pytest.fixture(scope="module")
def server() -> PostgresSettings:
    settings = PostgresSettings.from_environment()
    reason = postgres_warehouse.unreachable(settings)
    if reason is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI must run the PostgreSQL publish retry test, but {reason}")
        pytest.skip(reason)
    return settings


def postgres_build(settings: PostgresSettings, paths: DataPaths, value: int) -> str:
    """Build schemas as prepare_build and dbt leave them (a landing table, a mart), named by the
    build step's own record_build; returns the build id."""
    build = warehouses(paths, "postgres", settings).build
    with closing(settings.connect()) as connection, connection, connection.cursor() as cursor:
        for schema in (build.schema, build.landing_schema):
            cursor.execute(f'drop schema if exists "{schema}" cascade; create schema "{schema}"')
        cursor.execute(f'create table "{build.landing_schema}".ga4__events as select 1 as id')
        cursor.execute(f'create table "{build.schema}".mart_roi as select %s::integer as total_investment', (value,))
    return warehouse.record_build(paths, build, DAY)


def published_total(settings: PostgresSettings) -> int:
    [(total,)] = PostgresSchema(settings).query("select total_investment from mart_roi")
    return total


def test_a_retried_postgres_publish_finds_tonights_build_published_and_does_nothing(server, tmp_path, caplog):
    paths = DataPaths(tmp_path / "data")
    with postgres_warehouse.scratch_database(server, "marketing_retry") as settings:
        postgres_warehouse.ensure_database(settings)
        build_id = postgres_build(settings, paths, 7)
        warehouse.publish(paths, target="postgres", postgres=settings)
        with caplog.at_level(logging.INFO, logger="warehouse.postgres"):
            assert str(warehouse.publish(paths, target="postgres", postgres=settings)) == str(settings)
        assert f"build {build_id} is already published" in caplog.text
        assert published_total(settings) == 7
        assert PostgresSchema(settings).build_id() == build_id

        # Tonight's build finished and was then dropped: the published warehouse is not it.
        tonight = postgres_build(settings, paths, 8)
        with closing(settings.connect()) as connection, connection, connection.cursor() as cursor:
            cursor.execute('drop schema "marketing_build" cascade; drop schema "marketing_build_landing" cascade')
        with pytest.raises(PostgresWarehouseError, match=rf"not the last build \({tonight}\); run the build task"):
            warehouse.publish(paths, target="postgres", postgres=settings)
        assert published_total(settings) == 7
