"""Landing a large call-tracking export through the inbox: seconds and peak memory.

Writes a call log in the vendor's column shape (date, tracking_number, calls, qualified_calls; ISO
dates and E.164 numbers, one row per number and day) into a temporary inbox, lands it with the
call-log inbox, and prints the rows landed, the seconds (wall and CPU) the landing took and the
process's peak resident memory. The file is written line by line, so the peak is the landing's.

    python -m benchmarks.inbox_large --rows 1000000
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from core import storage
from core.landing import RunContext
from sources.call_tracking import CALL_LOG

RUN_DAY = date(2026, 11, 20)
DAYS = 365  # a year's export


def write_call_log(path: Path, rows: int, seed: int = 7) -> None:
    """`rows` rows: as many tracking numbers as needed for one row per number and day of a year."""
    rng = random.Random(seed)
    numbers = -(-rows // DAYS)
    written = 0
    with path.open("w", encoding="utf-8", newline="") as handle:
        handle.write("date,tracking_number,calls,qualified_calls\n")
        for back in range(DAYS):
            day = (RUN_DAY - timedelta(days=back)).isoformat()
            lines = []
            for n in range(numbers):
                if written == rows:
                    break
                calls = rng.randrange(0, 40)
                lines.append(f"{day},+1319{2000000 + n:07d},{calls},{rng.randrange(0, calls + 1)}\n")
                written += 1
            handle.writelines(lines)


def peak_rss_megabytes() -> float:
    # ru_maxrss is in kilobytes on Linux and in bytes on macOS.
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return round(peak / (1e6 if sys.platform == "darwin" else 1e3), 1)


def measure(rows: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="inbox-large-") as tmp:
        root = Path(tmp)
        inbox = root / "inbox"
        inbox.mkdir()
        export = inbox / "call_log_export.csv"
        write_call_log(export, rows)
        megabytes = round(export.stat().st_size / 1e6, 1)
        # The landing zone's first use loads the object-storage layer (Airflow): a cost of the
        # process, which a task pays anyway, not of the file.
        storage.location(root / "landing")
        before = peak_rss_megabytes()
        ctx = RunContext(RUN_DAY, "bench__inbox_large", datetime.now(UTC))
        started, cpu_started = time.perf_counter(), time.process_time()
        result = CALL_LOG.land(inbox, root / "quarantine", ctx, root / "landing")
        seconds = round(time.perf_counter() - started, 2)
        # On a shared machine the wall time includes waiting for a core; the CPU time does not.
        cpu_seconds = round(time.process_time() - cpu_started, 2)
        return {
            "rows": rows,
            "file_megabytes": megabytes,
            "rows_landed": result.rows_landed,
            "seconds": seconds,
            "cpu_seconds": cpu_seconds,
            "peak_rss_megabytes_before_landing": before,
            "peak_rss_megabytes": peak_rss_megabytes(),
        }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows of the generated call log")
    args = parser.parse_args(argv)
    print(json.dumps(measure(args.rows), indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
