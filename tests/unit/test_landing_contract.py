"""The landing contract and the dbt sources agree: every landed entity is declared in dbt with the
same columns and types, and dbt declares nothing that is never landed."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest
import yaml

from core.paths import PROJECT_ROOT
from sources import LANDING_CONTRACT

STAGING = PROJECT_ROOT / "dbt" / "models" / "staging"


def _duckdb_type(arrow_type: pa.DataType) -> str:
    if pa.types.is_string(arrow_type):
        return "varchar"
    if pa.types.is_date32(arrow_type):
        return "date"
    if pa.types.is_int64(arrow_type):
        return "bigint"
    if pa.types.is_float64(arrow_type):
        return "double"
    if pa.types.is_boolean(arrow_type):
        return "boolean"
    if pa.types.is_decimal(arrow_type):
        return f"decimal({arrow_type.precision}, {arrow_type.scale})"
    if pa.types.is_timestamp(arrow_type) and arrow_type.tz is not None:
        return "timestamptz"
    raise AssertionError(f"no DuckDB type mapped for {arrow_type}")


def _declared() -> dict[tuple[str, str], list[tuple[str, str]]]:
    declared = {}
    for path in STAGING.glob("*/_*__sources.yml"):
        for source in yaml.safe_load(Path(path).read_text())["sources"]:
            for table in source["tables"]:
                columns = [(c["name"], c["data_type"]) for c in table["columns"]]
                declared[(source["name"], table["name"])] = columns
    return declared


def test_dbt_declares_exactly_the_landed_entities():
    assert sorted(_declared()) == sorted(LANDING_CONTRACT)


@pytest.mark.parametrize("key", sorted(LANDING_CONTRACT), ids=lambda key: ".".join(key))
def test_dbt_source_columns_match_the_landing_schema(key):
    expected = [(field.name, _duckdb_type(field.type)) for field in LANDING_CONTRACT[key]]
    assert _declared()[key] == expected
