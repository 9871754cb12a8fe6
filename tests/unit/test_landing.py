import os
from datetime import UTC, date, datetime

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pipeline import landing
from pipeline.landing import LandingError, RunContext, landed_dates, partition_files, write_partition

SCHEMA = pa.schema([pa.field("id", pa.string(), nullable=False), pa.field("value", pa.int64())])
DAY = date(2026, 11, 20)


def ctx(run_id="scheduled__1"):
    return RunContext(DAY, run_id, datetime(2026, 11, 21, 10, tzinfo=UTC))


def rows(n):
    return [{"id": f"r{i}", "value": i} for i in range(n)]


def test_partition_carries_lineage_and_rerun_replaces_it(tmp_path):
    first = write_partition("src", "things", "acct1", rows(5), SCHEMA, ctx("run_a"), tmp_path)
    second = write_partition("src", "things", "acct1", rows(5), SCHEMA, ctx("run_b"), tmp_path)
    assert first == second == tmp_path / "src" / "things" / "date=2026-11-20" / "acct1.parquet"
    table = pq.read_table(second)
    assert table.num_rows == 5
    assert set(table.column("_run_id").to_pylist()) == {"run_b"}
    assert table.schema.field("_extracted_at").type == pa.timestamp("us", tz="UTC")
    assert partition_files("src", "things", DAY, tmp_path) == [second]


def test_crash_between_write_and_rename_leaves_previous_partition(tmp_path, monkeypatch):
    good = write_partition("src", "things", "acct1", rows(3), SCHEMA, ctx(), tmp_path)
    before = good.read_bytes()

    def crash(*args, **kwargs):
        raise OSError("simulated crash before rename")

    monkeypatch.setattr(landing.os, "replace", crash)
    with pytest.raises(OSError, match="simulated crash"):
        write_partition("src", "things", "acct1", rows(10), SCHEMA, ctx("run_c"), tmp_path)
    monkeypatch.setattr(landing.os, "replace", os.replace)

    assert good.read_bytes() == before
    assert [p.name for p in good.parent.iterdir()] == ["acct1.parquet"]


def test_temporary_left_by_a_killed_process_is_invisible_and_cleaned(tmp_path):
    folder = tmp_path / "src" / "things" / "date=2026-11-20"
    folder.mkdir(parents=True)
    (folder / ".acct1.parquet.deadbeef.tmp").write_bytes(b"half a file")
    assert partition_files("src", "things", DAY, tmp_path) == []
    write_partition("src", "things", "acct1", rows(1), SCHEMA, ctx(), tmp_path)
    assert sorted(p.name for p in folder.iterdir()) == ["acct1.parquet"]


def test_rows_that_do_not_fit_the_schema_are_refused(tmp_path):
    with pytest.raises(LandingError, match="src/things part acct1"):
        write_partition("src", "things", "acct1", [{"id": "x", "value": "12,000"}], SCHEMA, ctx(), tmp_path)
    assert not (tmp_path / "src" / "things" / "date=2026-11-20" / "acct1.parquet").exists()


def test_unsafe_part_name_is_refused(tmp_path):
    with pytest.raises(LandingError, match="unsafe"):
        write_partition("src", "things", "../escape", rows(1), SCHEMA, ctx(), tmp_path)


def test_landed_dates_per_part(tmp_path):
    write_partition("src", "things", "a", rows(1), SCHEMA, ctx(), tmp_path)
    later = RunContext(date(2026, 11, 21), "r", datetime.now(UTC))
    write_partition("src", "things", "b", rows(1), SCHEMA, later, tmp_path)
    assert landed_dates("src", "things", landing_root=tmp_path) == [DAY, date(2026, 11, 21)]
    assert landed_dates("src", "things", part="a", landing_root=tmp_path) == [DAY]
    assert landed_dates("src", "missing", landing_root=tmp_path) == []
