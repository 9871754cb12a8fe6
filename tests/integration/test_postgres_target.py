"""The same dbt project on PostgreSQL: the roi_env landing zone loaded into a fresh database, built
with `dbt build --target postgres` (seeds, models, data tests and unit tests) and published, holds
the same marts with the same numbers as the DuckDB warehouse roi_env built from the same files.

Needs PostgreSQL (DBT_POSTGRES_* or the defaults: 127.0.0.1:5432, user postgres). It skips where
the server does not answer, except in CI (CI=true), where that fails the run."""

from __future__ import annotations

import dataclasses
import json
import math
import os
import secrets
import shutil
from contextlib import closing
from datetime import date
from decimal import Decimal

import duckdb
import pytest

from core import storage
from core.paths import PROJECT_ROOT, DataPaths
from expectations.reconciliation import expected_totals, mart_totals
from nightly import tasks
from sources import LANDING_CONTRACT
from sources.config import load_config
from tests.conftest import ROI_LOGICAL_DATE
from warehouse import build as warehouse
from warehouse import postgres as postgres_warehouse
from warehouse.duckdb_file import DuckDBFile
from warehouse.postgres import PostgresSchema, PostgresSettings, PostgresWarehouseError

pytestmark = pytest.mark.integration

MARTS = sorted(path.stem for path in (warehouse.DBT_PROJECT_DIR / "models" / "marts").glob("*.sql"))
SEEDS = PROJECT_ROOT / "dbt" / "seeds"
RATIO_TOLERANCE = 1e-9


@pytest.fixture(scope="module")
def server() -> PostgresSettings:
    settings = PostgresSettings.from_environment()
    reason = postgres_warehouse.unreachable(settings)
    if reason is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI must run the PostgreSQL target test, but {reason}")
        pytest.skip(reason)
    return settings


@pytest.fixture(scope="module")
def reader_role(server):
    """A role for BI tools, granted read access at every publish (DBT_POSTGRES_READER_ROLE)."""
    role = f"marketing_bi_{secrets.token_hex(4)}"
    _admin_rows(server, f'create role "{role}" nologin')
    yield role
    # After postgres_build (which depends on this fixture) dropped its database and the grants in it.
    _admin_rows(server, f'drop role "{role}"')


@pytest.fixture(scope="module")
def postgres_build(server, roi_env, reader_role, tmp_path_factory):
    """roi_env's landing zone built, passed through the mart gate and published on a fresh
    database (dropped at the end), chosen as the pipeline chooses it: PIPELINE_WAREHOUSE_TARGET,
    DBT_POSTGRES_DBNAME and DBT_POSTGRES_READER_ROLE."""
    paths, ctx = roi_env
    # A data folder of its own (dbt's target folder, logs) reading roi_env's landing zone.
    scratch = DataPaths(tmp_path_factory.mktemp("postgres_target") / "data")
    scratch.root.mkdir(parents=True)
    # A copy, not a link: the mart gate below records its results in this landing zone.
    shutil.copytree(storage.local_path(paths.landing), scratch.root / "landing")
    with (
        postgres_warehouse.scratch_database(server, "marketing_test") as settings,
        pytest.MonkeyPatch.context() as patch,
    ):
        patch.setenv("PIPELINE_WAREHOUSE_TARGET", "postgres")
        patch.setenv("DBT_POSTGRES_DBNAME", settings.dbname)
        patch.setenv("DBT_POSTGRES_READER_ROLE", reader_role)
        result = warehouse.build(scratch, load_config(), ctx.partition_date, docs=False)
        # The mart gate as the nightly DAG runs it: on the PostgreSQL build schema.
        tasks.mart_gate(ROI_LOGICAL_DATE, "manual__postgres", scratch)
        published = str(warehouse.publish(scratch))
        yield paths, scratch, settings, result, published


def postgres_rows(settings: PostgresSettings, sql: str, params: tuple = ()) -> list[tuple]:
    with closing(settings.connect()) as connection, connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def duckdb_rows(path, sql: str) -> list[tuple]:
    with duckdb.connect(str(path), read_only=True) as connection:
        return connection.execute(sql).fetchall()


def mart_columns(path, mart: str) -> list[tuple[str, str]]:
    """(column, DuckDB type) of a mart in the DuckDB warehouse."""
    return duckdb_rows(
        path,
        f"select column_name, data_type from information_schema.columns where table_name = '{mart}' "
        "order by ordinal_position",
    )


def is_float(duckdb_type: str) -> bool:
    return duckdb_type in ("DOUBLE", "FLOAT")


def is_number(duckdb_type: str) -> bool:
    return is_float(duckdb_type) or duckdb_type.startswith(("DECIMAL", "BIGINT", "HUGEINT", "INTEGER"))


def same_value(duck, postgres, duckdb_type: str) -> bool:
    """Equal, ratios within RATIO_TOLERANCE relative (decimals, counts and the rest exactly)."""
    if duck is None or postgres is None or not is_float(duckdb_type):
        return duck == postgres
    return math.isclose(duck, postgres, rel_tol=RATIO_TOLERANCE, abs_tol=0)


def totals_sql(table: str, totalled: list[tuple[str, str]]) -> str:
    """Row count, then the sum of every numeric column and the count of true of every boolean one."""
    figures = ["count(*)"] + [
        f"sum({column})" if is_number(kind) else f"sum(case when {column} then 1 else 0 end)"
        for column, kind in totalled
    ]
    return f"select {', '.join(figures)} from {table}"


@pytest.mark.parametrize("mart", MARTS)
def test_every_mart_has_the_same_rows_and_totals_on_both_targets(postgres_build, mart):
    paths, _, settings, _, _ = postgres_build
    columns = mart_columns(paths.published_warehouse, mart)
    assert columns, f"{mart} is not in the DuckDB warehouse"
    published = f'"{settings.schema}"."{mart}"'
    if mart == "quality_results":
        # Less the mart gate run on the PostgreSQL build itself, which the DuckDB build never had.
        published = f"(select * from {published} where run_id <> 'manual__postgres') as gated"
    postgres_columns = postgres_rows(
        settings,
        "select column_name from information_schema.columns where table_schema = %s and table_name = %s "
        "order by ordinal_position",
        (settings.schema, mart),
    )
    assert [name for (name,) in postgres_columns] == [name for name, _ in columns]

    totalled = [(column, kind) for column, kind in columns if is_number(kind) or kind == "BOOLEAN"]
    [duck_totals] = duckdb_rows(paths.published_warehouse, totals_sql(mart, totalled))
    [postgres_totals] = postgres_rows(settings, totals_sql(published, totalled))
    differing = {
        column: (duck, postgres)
        for (column, kind), duck, postgres in zip(
            [("rows", "BIGINT"), *totalled], duck_totals, postgres_totals, strict=True
        )
        if not same_value(duck, postgres, kind)
    }
    assert not differing, f"{mart}: totals differ (DuckDB, PostgreSQL): {differing}"

    # Row by row too, in the same order: ordered by every column but the ratios (both databases
    # sort text by byte and put NULLs last).
    order = ", ".join(column for column, kind in columns if not is_float(kind))
    duck_table = duckdb_rows(paths.published_warehouse, f"select * from {mart} order by {order}")
    postgres_table = postgres_rows(settings, f"select * from {published} order by {order}")
    for duck_row, postgres_row in zip(duck_table, postgres_table, strict=True):
        differing = {
            column: (duck, postgres)
            for (column, kind), duck, postgres in zip(columns, duck_row, postgres_row, strict=True)
            if not same_value(duck, postgres, kind)
        }
        assert not differing, f"{mart}: a row differs (DuckDB, PostgreSQL): {differing} in {duck_row}"


def test_every_mart_and_column_carries_the_same_description_on_both_targets(postgres_build):
    """dbt's persist_docs on PostgreSQL too: the published schema's marts and their columns carry
    their dbt descriptions as comments (the schema swap keeps them), the same as on DuckDB."""
    paths, _, settings, _, _ = postgres_build
    marts = ", ".join(f"'{mart}'" for mart in MARTS)
    duck_tables = duckdb_rows(
        paths.published_warehouse, f"select table_name, comment from duckdb_tables() where table_name in ({marts})"
    )
    duck_columns = duckdb_rows(
        paths.published_warehouse,
        f"select table_name, column_name, comment from duckdb_columns() where table_name in ({marts})",
    )
    postgres_tables = postgres_rows(
        settings,
        "select c.relname, obj_description(c.oid, 'pg_class') from pg_class c "
        "join pg_namespace n on n.oid = c.relnamespace where n.nspname = %s and c.relname = any(%s)",
        (settings.schema, MARTS),
    )
    postgres_columns = postgres_rows(
        settings,
        "select c.relname, a.attname, col_description(c.oid, a.attnum) from pg_class c "
        "join pg_namespace n on n.oid = c.relnamespace "
        "join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped "
        "where n.nspname = %s and c.relname = any(%s)",
        (settings.schema, MARTS),
    )
    assert len(postgres_tables) == len(MARTS)
    assert all(comment for *_, comment in postgres_tables + postgres_columns)
    assert sorted(postgres_tables) == sorted(duck_tables)
    assert sorted(postgres_columns) == sorted(duck_columns)


def test_the_reconciliation_totals_match_on_both_targets(postgres_build):
    """mart_totals' figures (the reporting calendar, media spend, whole investment, impressions and
    conversions) read from PostgreSQL equal DuckDB's and the inputs' independent recomputation."""
    paths, _, settings, _, _ = postgres_build
    first, last, duck = mart_totals(DuckDBFile(paths.published_warehouse))
    schema = settings.schema
    [(pg_first, pg_last)] = postgres_rows(
        settings, f'select min(date_day), max(date_day) from "{schema}".int_reporting_calendar'
    )
    [(media, investment, conversions)] = postgres_rows(
        settings,
        "select coalesce(sum(media_spend), 0), coalesce(sum(total_investment), 0), coalesce(sum(conversions), 0) "
        f'from "{schema}".mart_roi',
    )
    [(impressions,)] = postgres_rows(
        settings, f'select coalesce(sum(impressions), 0) from "{schema}".fct_channel_daily'
    )
    postgres = {
        "media_spend": Decimal(media),
        "total_investment": Decimal(investment),
        "impressions": Decimal(impressions),
        "conversions": Decimal(conversions),
    }
    assert (pg_first, pg_last) == (first, last)
    assert postgres == duck
    assert postgres == expected_totals(paths.landing, SEEDS, first, last)
    assert isinstance(first, date) and postgres["total_investment"] > 0


def test_the_mart_gate_ran_on_the_postgres_build_and_its_results_were_published(postgres_build):
    _, _, settings, _, _ = postgres_build
    rows = postgres_rows(
        settings,
        f'select suite, success, severity from "{settings.schema}".quality_results where run_id = %s',
        ("manual__postgres",),
    )
    suites = {suite for suite, _, _ in rows}
    assert {"mart.reconciliation", "mart.mart_roi", "mart.fct_channel_daily"} <= suites
    assert not [(suite, severity) for suite, success, severity in rows if not success and severity == "critical"]


def test_the_reader_role_can_read_every_published_mart_and_write_none(postgres_build, reader_role):
    _, _, settings, _, _ = postgres_build
    with closing(settings.connect()) as connection, connection.cursor() as cursor:
        cursor.execute(f'set role "{reader_role}"')
        for mart in MARTS:
            cursor.execute(f'select count(*) from "{settings.schema}"."{mart}"')
            assert cursor.fetchone()[0] >= 0, mart
        cursor.execute(f'select count(*) from "{settings.schema}_landing".facebook_pages__posts')
        assert cursor.fetchone()[0] > 0
        with pytest.raises(Exception, match="permission denied"):
            cursor.execute(f'delete from "{settings.schema}".mart_roi')


def test_a_missing_reader_role_fails_the_publish_and_keeps_the_published_warehouse(postgres_build, tmp_path):
    _, _, settings, _, _ = postgres_build
    with closing(settings.connect()) as connection, connection, connection.cursor() as cursor:
        cursor.execute(f'create schema "{settings.schema}_build"; create schema "{settings.schema}_build_landing"')
    before = postgres_rows(settings, f'select sum(total_investment) from "{settings.schema}".mart_roi')
    absent = dataclasses.replace(settings, reader_role="no_such_marketing_role")
    with pytest.raises(PostgresWarehouseError, match="no_such_marketing_role.*DBT_POSTGRES_READER_ROLE"):
        # A data folder of its own: no build recorded.
        warehouse.publish(DataPaths(tmp_path / "data"), target="postgres", postgres=absent)
    assert postgres_rows(settings, f'select sum(total_investment) from "{settings.schema}".mart_roi') == before
    with closing(settings.connect()) as connection, connection, connection.cursor() as cursor:
        cursor.execute(f'drop schema "{settings.schema}_build"; drop schema "{settings.schema}_build_landing"')


def test_a_report_from_the_postgres_warehouse_equals_the_one_from_duckdb(postgres_build, tmp_path):
    from reports.build import build_report
    from reports.periods import latest_covered_period

    paths, _, settings, _, _ = postgres_build
    config = load_config()
    definition = next(d for d in config.reports if "csv" in d.formats)
    [(data_through,)] = DuckDBFile(paths.published_warehouse).query("select max(date_day) from fct_channel_daily")
    period = latest_covered_period(
        definition.schedule,
        definition.period.unit,
        definition.period.count,
        ROI_LOGICAL_DATE,
        config.organisation.tz,
        data_through,
    )
    duck = build_report(definition, period, DuckDBFile(paths.published_warehouse), tmp_path / "duckdb", config)
    postgres = build_report(definition, period, PostgresSchema(settings), tmp_path / "postgres", config)
    assert postgres.headline == duck.headline
    csv = sorted(f for f in duck.files if f.suffix == ".csv")
    assert csv
    for duck_file in csv:
        postgres_file = tmp_path / "postgres" / duck_file.relative_to(tmp_path / "duckdb")
        assert postgres_file.read_text() == duck_file.read_text(), duck_file.name


def test_dbt_build_ran_every_unit_and_data_test_on_postgres(postgres_build):
    _, scratch, _, result, _ = postgres_build
    manifest = json.loads((scratch.dbt_target / "manifest.json").read_text())
    results = json.loads((scratch.dbt_target / "run_results.json").read_text())["results"]
    assert manifest["metadata"]["adapter_type"] == "postgres"
    statuses = {entry["unique_id"]: entry["status"] for entry in results}
    unit_tests = set(manifest["unit_tests"])
    data_tests = {node for node, spec in manifest["nodes"].items() if spec["resource_type"] == "test"}
    assert unit_tests and data_tests
    assert {node: statuses.get(node) for node in unit_tests} == dict.fromkeys(unit_tests, "pass")
    assert {statuses.get(node) for node in data_tests} <= {"pass", "warn"}
    assert result.prepare_seconds > 0


def test_the_load_step_lands_every_row_and_the_publish_swaps_the_schemas(postgres_build, tmp_path):
    paths, _, settings, result, published = postgres_build
    assert published == str(settings) and result.warehouse.schema == f"{settings.schema}_build"
    schemas = {name for (name,) in postgres_rows(settings, "select nspname from pg_namespace")}
    assert {settings.schema, f"{settings.schema}_landing"} <= schemas
    assert not {f"{settings.schema}_build", f"{settings.schema}_build_landing"} & schemas

    tables = {
        name
        for (name,) in postgres_rows(
            settings, "select tablename from pg_tables where schemaname = %s", (f"{settings.schema}_landing",)
        )
    }
    for source, entity in LANDING_CONTRACT:
        files = sorted((paths.landing / source / entity).glob("date=*/*.parquet"))
        if not files:
            assert f"{source}__{entity}" not in tables
            continue
        [(count,)] = postgres_rows(settings, f'select count(*) from "{settings.schema}_landing"."{source}__{entity}"')
        assert count == sum(storage.parquet_file(file).metadata.num_rows for file in files), f"{source}.{entity}"

    # Nothing left to publish: the next publish needs a build first, and says so.
    with pytest.raises(PostgresWarehouseError, match="run the build task first"):
        warehouse.publish(DataPaths(tmp_path / "data"), target="postgres", postgres=settings)


def test_a_database_that_does_not_sort_text_by_byte_is_refused(server):
    """The allocation rules give the remainder cent by alphabetical order, so a linguistic
    collation would move cents between rows: the build refuses such a database, saying why."""
    [(icu,)] = _admin_rows(server, "select count(*) from pg_collation where collprovider = 'i'")
    [(server_version,)] = _admin_rows(server, "show server_version_num")
    if int(server_version) < 150000 or not icu:
        pytest.skip("needs PostgreSQL 15+ with ICU to create a database with a linguistic default collation")
    with postgres_warehouse.scratch_database(server, "marketing_collation") as settings:
        # Made again with a linguistic collation, under the name the scratch database drops at the end.
        _admin_rows(server, f'drop database "{settings.dbname}"')
        _admin_rows(
            server, f"create database \"{settings.dbname}\" template template0 locale_provider icu icu_locale 'en-US'"
        )
        with pytest.raises(PostgresWarehouseError, match="LC_COLLATE 'C'"):
            postgres_warehouse.ensure_database(settings)


def _admin_rows(settings: PostgresSettings, sql: str) -> list[tuple]:
    with closing(settings.connect("postgres")) as connection:
        connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute(sql)
            return cursor.fetchall() if cursor.description else []


def test_a_warehouse_without_a_published_fit_has_no_incremental_roi_to_report(postgres_build):
    from reports.incremental import load_incremental_roi

    _, _, settings, _, _ = postgres_build
    # Without the marketing-mix marts (built before the model) or without a fit in them: no page.
    assert load_incremental_roi(PostgresSchema(settings), ("true", {})) is None
