"""A BI reader during the nightly publish: a separate process keeps opening the published warehouse
read-only and querying it while three builds are published one after another. The reader never
fails, never sees two builds at once, and never holds up a publish."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from core.paths import DataPaths
from warehouse.build import publish

pytestmark = pytest.mark.integration

# One read = one connection: the build id, the ROI total, then the build id again. The pause widens
# the window in which a publish happens while the connection is open.
READER = """
import json, os, sys, time
import duckdb

warehouse, stop, out = sys.argv[1:4]
with open(out, "w", buffering=1) as log:
    while True:
        try:
            opened = time.time()
            with duckdb.connect(warehouse, read_only=True) as connection:
                [(build,)] = connection.execute("select build_id from build_marker").fetchall()
                time.sleep(0.02)
                [(investment,)] = connection.execute("select sum(total_investment) from mart_roi").fetchall()
                [(again,)] = connection.execute("select build_id from build_marker").fetchall()
            read = {"build": build, "investment": str(investment), "again": again, "opened": opened, "closed": time.time()}
            log.write(json.dumps(read) + "\\n")
        except Exception as exc:
            log.write(json.dumps({"error": f"{type(exc).__name__}: {exc}"}) + "\\n")
        if os.path.exists(stop):
            break
"""


def stage_build(source: Path, paths: DataPaths, build_id: int) -> Decimal:
    """A build that differs from the others in its marker and its ROI totals; returns its total."""
    paths.warehouse_dir.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, paths.build_warehouse)
    with duckdb.connect(str(paths.build_warehouse)) as connection:
        connection.execute("create table build_marker as select ?::integer as build_id", [build_id])
        connection.execute("update mart_roi set total_investment = total_investment + ?", [build_id])
        [(total,)] = connection.execute("select sum(total_investment) from mart_roi").fetchall()
    return total


def reads(log: Path) -> list[dict]:
    lines = log.read_text().splitlines() if log.exists() else []
    # The last line may still be being written.
    return [json.loads(line) for line in lines if line.endswith("}")]


def wait_for_reads(log: Path, build_id: int, reader: subprocess.Popen, count: int = 20, timeout: float = 60) -> None:
    """Wait until the reader has read `build_id` `count` times."""
    deadline = time.monotonic() + timeout
    while sum(read.get("build") == build_id for read in reads(log)) < count:
        assert reader.poll() is None, f"the reader exited with code {reader.returncode}"
        assert time.monotonic() < deadline, f"the reader did not read build {build_id} {count} times in {timeout:.0f} s"
        time.sleep(0.05)


def test_a_reader_sees_each_publish_whole_and_never_blocks_it(roi_env, tmp_path):
    source, _ = roi_env
    paths = DataPaths(tmp_path / "data")
    totals = {0: stage_build(source.published_warehouse, paths, 0)}
    publish(paths)

    stop, log = tmp_path / "stop", tmp_path / "reads.jsonl"
    reader = subprocess.Popen([sys.executable, "-c", READER, str(paths.published_warehouse), str(stop), str(log)])
    renames = []
    try:
        wait_for_reads(log, 0, reader)
        for build_id in (1, 2, 3):
            totals[build_id] = stage_build(source.published_warehouse, paths, build_id)
            started = time.time()
            assert publish(paths).path == paths.published_warehouse
            renames.append((started, time.time()))
            wait_for_reads(log, build_id, reader)
    finally:
        stop.touch()
        reader.wait(timeout=30)

    observed = reads(log)
    assert reader.returncode == 0
    assert [read for read in observed if "error" in read] == []
    # Within one read, the marker and the totals belong to the same build.
    assert all(read["again"] == read["build"] for read in observed)
    assert all(Decimal(read["investment"]) == totals[read["build"]] for read in observed)
    # Builds appear in publish order: once a build is seen, an older one never comes back.
    sequence = [read["build"] for read in observed]
    assert sequence == sorted(sequence) and set(sequence) == {0, 1, 2, 3}
    publishes_seen = sum(1 for before, after in zip(sequence, sequence[1:], strict=False) if after != before)
    # Reads whose connection was open during a whole publish: they kept reading the build they opened.
    spanning = sum(1 for read in observed for start, end in renames if read["opened"] < start and read["closed"] > end)
    print(
        f"\nreader: {len(observed)} reads, {publishes_seen} publishes seen, "
        f"{spanning} reads open across a publish, 0 errors"
    )
