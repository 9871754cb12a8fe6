"""The local mirror DuckDB reads when the landing zone is on object storage (core/storage.py).

Reads the caller's landing folder through a URL (`local://…`, the object-storage code path) and
mirrors it into a temporary folder three times: from empty (the first night), with nothing changed
(a night that landed nothing new), and after one more partition landed (a typical night adds one
file per account and entity). Reports files, megabytes and seconds of each.

    python -m benchmarks.landing_mirror --data-root data
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from pathlib import Path

from core import storage


def measure(data_root: Path) -> dict:
    landing = Path(data_root).resolve() / "landing"
    if not landing.is_dir():
        raise FileNotFoundError(f"{landing}: no landing folder to mirror; run `make demo` or a bench night first")
    files = [path for path in landing.rglob("*.parquet") if not path.name.startswith(".")]
    figures: dict = {
        "files": len(files),
        "megabytes": round(sum(path.stat().st_size for path in files) / 1e6, 1),
    }
    with tempfile.TemporaryDirectory(prefix="landing-mirror-") as tmp:
        # The store is a copy, so that the "one more partition" step leaves the caller's data alone.
        store_dir = Path(tmp) / "store"
        shutil.copytree(landing, store_dir)
        store, mirror = storage.location(f"local://{store_dir}"), Path(tmp) / "mirror"
        for step in ("first_sync_seconds", "unchanged_sync_seconds"):
            started = time.perf_counter()
            storage.local_copy(store, mirror)
            figures[step] = round(time.perf_counter() - started, 3)
        newest = max(files, key=lambda path: path.stat().st_mtime)
        added = store_dir / newest.relative_to(landing).parent.with_name("date=2099-01-01") / newest.name
        added.parent.mkdir(parents=True)
        shutil.copy(newest, added)
        started = time.perf_counter()
        storage.local_copy(store, mirror)
        figures["one_new_file_sync_seconds"] = round(time.perf_counter() - started, 3)
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-root", type=Path, required=True, help="folder holding a populated landing/")
    args = parser.parse_args(argv)
    print(json.dumps(measure(args.data_root), indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
