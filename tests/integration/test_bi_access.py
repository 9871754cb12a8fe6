"""A BI tool's view of the published warehouse: SQLAlchemy with duckdb-engine, the driver Superset
(and any SQLAlchemy-based tool) uses, on the connection string the README documents. It lists and
reads every mart, and it cannot change anything."""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.exc import DBAPIError

from warehouse.build import DBT_PROJECT_DIR

pytestmark = pytest.mark.integration

MARTS = sorted(path.stem for path in (DBT_PROJECT_DIR / "models" / "marts").glob("*.sql"))
# The ROI figures a dashboard opens with; the sandbox day of `roi_env` fills every one of them.
# (History tables such as deliveries may rightly be empty.)
ROI_MARTS = ["fct_channel_daily", "mart_roi", "mart_social_vs_traditional", "mart_objective_performance"]


@pytest.fixture(scope="module")
def bi_engine(roi_env):
    paths, _ = roi_env
    engine = create_engine(f"duckdb:///{paths.published_warehouse}?access_mode=read_only")
    yield engine
    engine.dispose()


def test_every_mart_is_listed_and_read_through_sqlalchemy(bi_engine):
    assert set(MARTS) <= set(inspect(bi_engine).get_table_names())
    counts = {}
    with bi_engine.connect() as connection:
        for mart in MARTS:
            # Column names from the catalog, as a SQL client lists them. (SQLAlchemy's own column
            # reflection, Inspector.get_columns, fails with SQLAlchemy >= 2.0.45 on duckdb-engine 0.17:
            # its query reads pg_catalog.pg_collation, which DuckDB does not provide.)
            columns = (
                connection.execute(
                    text(
                        "select column_name from information_schema.columns "
                        "where table_schema = 'main' and table_name = :mart order by ordinal_position"
                    ),
                    {"mart": mart},
                )
                .scalars()
                .all()
            )
            result = connection.execute(text(f"select * from {mart}"))
            counts[mart] = len(result.fetchall())
            assert list(result.keys()) == columns, mart
    assert all(counts[mart] > 0 for mart in ROI_MARTS), counts


@pytest.mark.parametrize(
    "statement",
    [
        "create table bi_scratch as select 1 as x",
        "update mart_roi set total_investment = 0",
        "delete from mart_roi",
        "drop table mart_roi",
    ],
)
def test_a_write_through_the_bi_connection_is_refused(bi_engine, roi_env, statement):
    paths, _ = roi_env
    before = hashlib.sha256(paths.published_warehouse.read_bytes()).hexdigest()

    with bi_engine.connect() as connection, pytest.raises(DBAPIError, match="read-only mode"):
        connection.execute(text(statement))

    assert hashlib.sha256(paths.published_warehouse.read_bytes()).hexdigest() == before
    assert not paths.published_warehouse.with_name(paths.published_warehouse.name + ".wal").exists()
