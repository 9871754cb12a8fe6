"""A BI tool's view of the published warehouse: SQLAlchemy with duckdb-engine, the driver Superset
(and any SQLAlchemy-based tool) uses, on the connection string the README documents. It lists,
reflects and reads every mart, finds what each table and column means in its comments, and it
cannot change anything."""

from __future__ import annotations

import hashlib

import pytest
import yaml
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


def _documented(mart: str) -> tuple[str, dict[str, str]]:
    """The description of `mart` and of each of its columns, as its yml in dbt/models/marts says."""
    [model] = yaml.safe_load((DBT_PROJECT_DIR / "models" / "marts" / f"{mart}.yml").read_text())["models"]
    return model["description"].strip(), {c["name"]: (c.get("description") or "").strip() for c in model["columns"]}


def test_every_mart_is_listed_and_read_through_sqlalchemy(bi_engine):
    assert set(MARTS) <= set(inspect(bi_engine).get_table_names())
    counts = {}
    with bi_engine.connect() as connection:
        for mart in MARTS:
            # Reflected as a BI tool does (Superset lists a dataset's columns this way).
            columns = [column["name"] for column in inspect(connection).get_columns(mart)]
            result = connection.execute(text(f"select * from {mart}"))
            counts[mart] = len(result.fetchall())
            assert list(result.keys()) == columns, mart
    assert all(counts[mart] > 0 for mart in ROI_MARTS), counts


def test_every_mart_and_every_column_carries_its_description_as_a_comment(bi_engine):
    """dbt's persist_docs writes each mart's yml descriptions into the warehouse: a BI tool that
    reflects the tables shows what every column means (and which docs/metrics.md section it follows)."""
    inspector = inspect(bi_engine)
    undocumented = []
    for mart in MARTS:
        table_description, column_descriptions = _documented(mart)
        assert (inspector.get_table_comment(mart)["text"] or "").strip() == table_description, mart
        for column in inspector.get_columns(mart):
            comment = (column["comment"] or "").strip()
            if not comment:
                undocumented.append(f"{mart}.{column['name']}")
            else:
                assert comment == column_descriptions[column["name"]], f"{mart}.{column['name']}"
    assert not undocumented, f"mart columns without a description in their yml: {undocumented}"


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
