"""The landing writer and the publish under faults the operating system causes: a writer killed
with SIGKILL in the middle of a file, folders the OS refuses to write in, and what a killed build
leaves in the warehouse folder.

The writers killed here are real processes writing through core.storage; the refusals are
real too: `chattr +i` makes a folder immutable, which the kernel enforces even for root (the
tests run as root, for whom chmod denies nothing)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from core import storage
from core.landing import RunContext, partition_dir, write_partition
from core.paths import PROJECT_ROOT, DataPaths
from core.storage import FolderNotWritableError
from nightly.dag_defaults import non_retryable_errors
from warehouse import build as warehouse
from warehouse.duckdb_file import DuckDBFile

SCHEMA = pa.schema([pa.field("id", pa.string()), pa.field("value", pa.int64())])
DAY = date(2026, 11, 20)
CTX = RunContext(DAY, "scheduled__2026-11-21", datetime(2026, 11, 21, 10, 30, tzinfo=UTC))

# A process writing one file through core.storage that stops half-way, says so on stdout,
# and waits on stdin: the test then kills it (SIGKILL) or lets it finish.
HALTED_WRITER = """
import sys
from pathlib import Path

from core import storage


def write(handle):
    handle.write(b"PAR1 half a file")
    handle.flush()
    print("writing", flush=True)
    sys.stdin.readline()
    handle.write(b" and the rest")


storage.replace_file(Path(sys.argv[1]), write)
print("renamed", flush=True)
"""


def rows(count: int) -> list[dict]:
    return [{"id": f"r{i}", "value": i} for i in range(count)]


def start_halted_writer(target: Path) -> subprocess.Popen:
    writer = subprocess.Popen(
        [sys.executable, "-c", HALTED_WRITER, str(target)],
        cwd=PROJECT_ROOT,
        env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)},
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    # Blocks until the writer is inside its write, its temporary file on disk.
    assert writer.stdout.readline().strip() == "writing", "the writer did not start writing"
    return writer


def kill_halfway(target: Path) -> None:
    writer = start_halted_writer(target)
    os.kill(writer.pid, signal.SIGKILL)
    assert writer.wait(timeout=60) == -signal.SIGKILL


def temporaries(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.glob(".*.tmp"))


def test_a_writer_killed_twice_leaves_one_temporary_and_the_next_write_none(tmp_path):
    folder = Path(partition_dir("src", "things", DAY, tmp_path).path)
    good = Path(write_partition("src", "things", "acct1", rows(3), SCHEMA, CTX, tmp_path).path)
    before = good.read_bytes()

    kill_halfway(good)
    [first] = temporaries(folder)
    # The retry is killed too: it removed the first attempt's temporary before writing its own.
    kill_halfway(good)
    [second] = temporaries(folder)
    assert second != first and second.startswith(".acct1.parquet.")
    assert good.read_bytes() == before

    write_partition("src", "things", "acct1", rows(5), SCHEMA, CTX, tmp_path)
    assert sorted(path.name for path in folder.iterdir()) == ["acct1.parquet"]
    assert pq.read_table(good).column("value").to_pylist() == list(range(5))


def test_a_concurrent_writer_of_another_file_in_the_partition_is_left_alone(tmp_path):
    """Extract tasks of two accounts write the same partition folder at once: landing one
    account must not remove the other's file in the making."""
    folder = Path(partition_dir("src", "things", DAY, tmp_path).path)
    other = folder / "acct2.parquet"
    folder.mkdir(parents=True)
    writer = start_halted_writer(other)
    try:
        [in_progress] = temporaries(folder)
        write_partition("src", "things", "acct1", rows(2), SCHEMA, CTX, tmp_path)
        assert temporaries(folder) == [in_progress]
        writer.stdin.write("\n")
        writer.stdin.flush()
        assert writer.stdout.readline().strip() == "renamed"
        assert writer.wait(timeout=60) == 0
    finally:
        if writer.poll() is None:
            writer.kill()
            writer.wait(timeout=60)
    assert other.read_bytes() == b"PAR1 half a file and the rest"
    assert sorted(path.name for path in folder.iterdir()) == ["acct1.parquet", "acct2.parquet"]


@contextmanager
def refusing_writes(folder: Path):
    """`folder` made immutable: the kernel refuses to create, rename or delete entries in it."""
    folder.mkdir(parents=True, exist_ok=True)
    try:
        result = subprocess.run(["chattr", "+i", str(folder)], capture_output=True, text=True)
    except FileNotFoundError:
        pytest.skip("chattr is not installed: no way to make the OS refuse root a write here")
    if result.returncode != 0:
        pytest.skip(f"chattr +i {folder} failed ({result.stderr.strip()}): the filesystem has no immutable flag")
    try:
        probe = folder / "probe"
        with pytest.raises(PermissionError):
            probe.touch()
        yield
    finally:
        subprocess.run(["chattr", "-i", str(folder)], check=True)


def test_a_read_only_landing_folder_fails_naming_the_folder_the_operation_and_the_fix(tmp_path):
    folder = Path(partition_dir("src", "things", DAY, tmp_path).path)
    with refusing_writes(folder), pytest.raises(FolderNotWritableError) as raised:
        write_partition("src", "things", "acct1", rows(1), SCHEMA, CTX, tmp_path)
    message = str(raised.value)
    assert str(folder) in message and "writing acct1.parquet" in message
    assert "writable" in message and "PIPELINE_DATA_DIR" in message and "PIPELINE_LANDING_URL" in message
    # A task fails at once: a folder does not become writable by retrying.
    assert isinstance(raised.value, non_retryable_errors())


def test_a_landing_folder_that_cannot_be_created_fails_the_same_way(tmp_path):
    """PIPELINE_DATA_DIR below a regular file: the OS refuses to create the folders (ENOTDIR)."""
    (tmp_path / "data").write_text("not a folder")
    root = tmp_path / "data" / "landing"
    with pytest.raises(FolderNotWritableError, match=r"writing acct1\.parquet: cannot write in .*data/landing/src"):
        write_partition("src", "things", "acct1", rows(1), SCHEMA, CTX, root)


def small_build(paths: DataPaths, value: int) -> None:
    """A build file as dbt leaves it, with one table, named as the build step names it."""
    paths.warehouse_dir.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(paths.build_warehouse)) as connection:
        connection.execute("create table mart_roi as select ?::integer as total_investment", [value])
    warehouse.record_build(paths, DuckDBFile(paths.build_warehouse), DAY)


def test_a_publish_into_a_read_only_warehouse_folder_names_the_folder_and_keeps_the_build(tmp_path):
    paths = DataPaths(tmp_path / "data")
    small_build(paths, 1)
    build_bytes = paths.build_warehouse.read_bytes()
    with refusing_writes(paths.warehouse_dir), pytest.raises(FolderNotWritableError) as raised:
        warehouse.publish(paths)
    message = str(raised.value)
    assert f"publishing build.duckdb as marketing.duckdb: cannot write in {paths.warehouse_dir}" in message
    assert "writable by the user the pipeline runs as" in message and "PIPELINE_DATA_DIR" in message
    assert isinstance(raised.value, non_retryable_errors())
    assert paths.build_warehouse.read_bytes() == build_bytes
    assert not paths.published_warehouse.exists()


def test_what_a_killed_build_left_is_removed_before_the_next_build(tmp_path):
    paths = DataPaths(tmp_path / "data")
    small_build(paths, 1)
    build_file = paths.build_warehouse
    wal, spill = build_file.with_name("build.duckdb.wal"), build_file.with_name("build.duckdb.tmp")
    wal.write_bytes(b"log of a killed writer")
    spill.mkdir()
    (spill / "duckdb_temp_storage-0.tmp").write_bytes(b"spilled")
    published = paths.published_warehouse
    published.write_bytes(b"yesterday's warehouse")

    DuckDBFile(paths.build_warehouse).prepare_build(paths.landing)
    assert sorted(path.name for path in paths.warehouse_dir.iterdir()) == ["latest_build", "marketing.duckdb"]
    assert published.read_bytes() == b"yesterday's warehouse"


def test_recording_a_build_after_a_killed_one_leaves_no_temporary(tmp_path):
    paths = DataPaths(tmp_path / "data")
    paths.warehouse_dir.mkdir(parents=True)
    kill_halfway(warehouse.latest_build_file(paths))
    assert len(temporaries(paths.warehouse_dir)) == 1
    small_build(paths, 1)
    assert temporaries(paths.warehouse_dir) == []
    assert warehouse.latest_build(paths).startswith(f"{DAY.isoformat()}-")


def test_failures_other_than_a_refusal_to_write_pass_through_unchanged(tmp_path):
    """Only the OS refusing to write becomes FolderNotWritableError; other failures stay themselves."""
    with pytest.raises(ZeroDivisionError), storage.writing_in(tmp_path, "dividing"):
        _ = 1 / 0
