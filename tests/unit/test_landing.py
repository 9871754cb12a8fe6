"""The landing writer and readers behave the same on a local folder and on object storage.

Object storage is exercised with fsspec's in-memory filesystem, attached to Airflow's object
store registry like a provider's filesystem: it has an object store's semantics (no real folders,
no rename), so every function is shown not to rely on a local disk."""

import os
import uuid
from datetime import UTC, date, datetime

import fsspec
import pyarrow as pa
import pytest

from core import landing, storage
from core.landing import (
    LandingError,
    RunContext,
    landed_before,
    landed_dates,
    landed_entities,
    partition_files,
    quarantine_partition,
    write_partition,
)

SCHEMA = pa.schema([pa.field("id", pa.string(), nullable=False), pa.field("value", pa.int64())])
DAY = date(2026, 11, 20)


def ctx(run_id="scheduled__1", day=DAY):
    return RunContext(day, run_id, datetime(2026, 11, 21, 10, tzinfo=UTC))


def rows(n):
    return [{"id": f"r{i}", "value": i} for i in range(n)]


@pytest.fixture(params=["local", "object storage"])
def store(request, tmp_path):
    """A store root: a local folder, or a fresh bucket on the in-memory object store."""
    if request.param == "local":
        yield storage.location(tmp_path)
        return
    from airflow.sdk.io.store import attach

    memory = fsspec.filesystem("memory")
    attach("memory", fs=memory)
    bucket = f"bucket-{uuid.uuid4().hex}"
    yield storage.location(f"memory://{bucket}")
    if memory.exists(bucket):
        memory.rm(bucket, recursive=True)


def test_a_local_folder_is_a_file_location_and_object_storage_is_not(tmp_path, store):
    assert storage.local_path(storage.location(tmp_path)) == tmp_path.resolve()
    assert storage.location(str(tmp_path)) == storage.location(tmp_path.as_uri())
    if store.protocol == "memory":
        assert storage.local_path(store) is None
        assert storage.uri(store / "a.parquet") == f"{store}/a.parquet"


def test_partition_carries_lineage_and_rerun_replaces_it(store):
    first = write_partition("src", "things", "acct1", rows(5), SCHEMA, ctx("run_a"), store)
    second = write_partition("src", "things", "acct1", rows(5), SCHEMA, ctx("run_b"), store)
    assert first == second == store / "src" / "things" / "date=2026-11-20" / "acct1.parquet"
    table = storage.read_table(second)
    assert table.num_rows == 5
    assert set(table.column("_run_id").to_pylist()) == {"run_b"}
    assert table.schema.field("_extracted_at").type == pa.timestamp("us", tz="UTC")
    assert partition_files("src", "things", DAY, store) == [second]
    assert storage.parquet_file(second).metadata.num_rows == 5
    assert "_run_id" in storage.read_schema(second).names


def test_a_url_string_and_the_location_name_the_same_landing_zone(store):
    write_partition("src", "things", "acct1", rows(2), SCHEMA, ctx(), str(store))
    assert [f.name for f in partition_files("src", "things", DAY, store)] == ["acct1.parquet"]


def test_rows_that_do_not_fit_the_schema_are_refused(store):
    with pytest.raises(LandingError, match="src/things part acct1"):
        write_partition("src", "things", "acct1", [{"id": "x", "value": "12,000"}], SCHEMA, ctx(), store)
    assert not (store / "src" / "things" / "date=2026-11-20" / "acct1.parquet").exists()


def test_unsafe_part_name_is_refused(store):
    with pytest.raises(LandingError, match="unsafe"):
        write_partition("src", "things", "../escape", rows(1), SCHEMA, ctx(), store)


def test_landed_dates_entities_and_history(store):
    write_partition("src", "things", "a", rows(1), SCHEMA, ctx(), store)
    write_partition("src", "things", "b", rows(1), SCHEMA, ctx(day=date(2026, 11, 21)), store)
    write_partition("other", "stuff", "a", rows(1), SCHEMA, ctx(), store)
    assert landed_dates("src", "things", landing_root=store) == [DAY, date(2026, 11, 21)]
    assert landed_dates("src", "things", part="a", landing_root=store) == [DAY]
    assert landed_dates("src", "missing", landing_root=store) == []
    assert landed_entities(store) == {"other": ["stuff"], "src": ["things"]}
    assert landed_before("src", "things", "a", date(2026, 11, 21), store)
    assert not landed_before("src", "things", "b", date(2026, 11, 21), store)


def test_a_quarantined_partition_leaves_the_landing_zone_with_its_reason(store):
    write_partition("src", "things", "a", rows(3), SCHEMA, ctx(), store / "landing")
    write_partition("src", "things", "b", rows(2), SCHEMA, ctx(), store / "landing")
    moved = quarantine_partition("src", "things", DAY, "negative values", store / "landing", store / "quarantine")
    assert moved == store / "quarantine" / "src" / "things" / "date=2026-11-20"
    assert partition_files("src", "things", DAY, store / "landing") == []
    assert sorted(p.name for p in moved.iterdir()) == ["REASON.txt", "a.parquet", "b.parquet"]
    assert (moved / "REASON.txt").read_text() == "negative values\n"
    assert storage.read_table(moved / "a.parquet").num_rows == 3
    # Nothing left to move: the gate's second look at the day is a no-op.
    assert quarantine_partition("src", "things", DAY, "again", store / "landing", store / "quarantine") is None


def test_duckdb_reads_a_local_copy_that_follows_the_store(store, tmp_path):
    import duckdb

    write_partition("src", "things", "a", rows(4), SCHEMA, ctx(), store / "landing")
    write_partition("src", "things", "b", rows(2), SCHEMA, ctx(), store / "landing")
    mirror = tmp_path / "mirror"

    def total(folder):
        with duckdb.connect() as connection:
            return connection.execute(
                "select sum(value), count(*) from read_parquet(?, hive_partitioning = false)",
                [str(folder / "src" / "things" / "date=*" / "*.parquet")],
            ).fetchone()

    local = storage.local_copy(store / "landing", mirror)
    assert local == (storage.local_path(store / "landing") or mirror)
    assert total(local) == (7, 6)
    if store.protocol != "memory":
        assert not mirror.exists()
        return
    copied = local / "src" / "things" / "date=2026-11-20" / "a.parquet"
    first_copy = copied.stat().st_mtime_ns
    # Unchanged objects are not downloaded again; a rewritten one is; a removed one leaves.
    storage.local_copy(store / "landing", mirror)
    assert copied.stat().st_mtime_ns == first_copy
    write_partition("src", "things", "a", rows(5), SCHEMA, ctx("run_b"), store / "landing")
    quarantine_partition("src", "things", DAY, "bad", store / "landing", store / "quarantine")
    write_partition("src", "things", "a", rows(3), SCHEMA, ctx(day=date(2026, 11, 21)), store / "landing")
    storage.local_copy(store / "landing", mirror)
    assert total(mirror) == (3, 3)
    assert sorted(p.relative_to(mirror).as_posix() for p in mirror.rglob("*.parquet")) == [
        "src/things/date=2026-11-21/a.parquet"
    ]


def test_an_unknown_scheme_names_the_provider_to_install():
    with pytest.raises(storage.StorageError, match=r"s3://bucket/landing.*apache-airflow-providers-amazon"):
        storage.location("s3://bucket/landing")


def test_crash_between_write_and_rename_leaves_previous_partition(tmp_path, monkeypatch):
    good = write_partition("src", "things", "acct1", rows(3), SCHEMA, ctx(), tmp_path)
    before = good.read_bytes()

    def crash(*args, **kwargs):
        raise OSError("simulated crash before rename")

    monkeypatch.setattr(storage.os, "replace", crash)
    with pytest.raises(OSError, match="simulated crash"):
        write_partition("src", "things", "acct1", rows(10), SCHEMA, ctx("run_c"), tmp_path)
    monkeypatch.setattr(storage.os, "replace", os.replace)

    assert good.read_bytes() == before
    assert [p.name for p in good.parent.iterdir()] == ["acct1.parquet"]


def test_temporary_left_by_a_killed_process_is_invisible_and_cleaned(tmp_path):
    folder = tmp_path / "src" / "things" / "date=2026-11-20"
    folder.mkdir(parents=True)
    (folder / ".acct1.parquet.deadbeef.tmp").write_bytes(b"half a file")
    assert partition_files("src", "things", DAY, tmp_path) == []
    write_partition("src", "things", "acct1", rows(1), SCHEMA, ctx(), tmp_path)
    assert sorted(p.name for p in folder.iterdir()) == ["acct1.parquet"]


def test_the_module_names_no_local_path_function():
    """Every landing read and write goes through core.storage (the one abstraction)."""
    assert not hasattr(landing, "os")
