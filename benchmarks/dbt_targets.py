"""`dbt build` on DuckDB against PostgreSQL, on the same landing data.

Each target builds from the caller's landing folder (read through a symlink, so the caller's data
folder is left as it was) into a scratch place of its own: a DuckDB file under a temporary folder,
a fresh PostgreSQL database dropped afterwards. Each target builds `repeats` times and the best
run counts: the first run of each pays dbt's full parse, the next ones start from its partial-parse
state, as a nightly run does after the first night. PostgreSQL's figure is the `dbt build` alone;
loading the landing zone into it (the step DuckDB does not need) is reported beside it.

    python -m benchmarks.dbt_targets --data-root data --run-date 2026-11-20
"""

from __future__ import annotations

import argparse
import json
import tempfile
from datetime import date
from pathlib import Path

from benchmarks.dbt_strategies import _scratch_paths
from core.paths import PROJECT_ROOT
from sources.config import load_config
from warehouse import build as warehouse
from warehouse import postgres as postgres_warehouse
from warehouse.postgres import PostgresSettings


def measure(data_root: Path, run_date: date, repeats: int = 2) -> dict:
    """Seconds of `dbt build` (seeds, models, data and unit tests) on each target from
    `data_root/landing` for `run_date`, best of `repeats` (the first run also parses the project);
    the ratio PostgreSQL / DuckDB; and the PostgreSQL load step. PostgreSQL is reported as not
    measured when the server (DBT_POSTGRES_*) does not answer."""
    landing = Path(data_root).resolve() / "landing"
    if not landing.is_dir():
        raise FileNotFoundError(f"{landing}: no landing folder to build from; run `make demo` or a bench night first")
    config = load_config()
    figures: dict = {"run_date": run_date.isoformat(), "repeats": repeats}
    with tempfile.TemporaryDirectory(prefix="dbt-targets-") as tmp:
        paths = _scratch_paths(Path(tmp) / "duckdb", landing)
        runs = [warehouse.build(paths, config, run_date, docs=False, target="duckdb") for _ in range(repeats)]
        figures["duckdb_build_seconds"] = _best(run.seconds - run.prepare_seconds for run in runs)

        server = PostgresSettings.from_environment()
        reason = postgres_warehouse.unreachable(server)
        if reason is not None:
            figures["postgres"] = f"not measured: {reason}"
            return figures
        paths = _scratch_paths(Path(tmp) / "postgres", landing)
        with postgres_warehouse.scratch_database(server, "marketing_bench") as settings:
            runs = [
                warehouse.build(paths, config, run_date, docs=False, target="postgres", postgres=settings)
                for _ in range(repeats)
            ]
    figures["postgres_build_seconds"] = _best(run.seconds - run.prepare_seconds for run in runs)
    figures["postgres_load_seconds"] = _best(run.prepare_seconds for run in runs)
    figures["postgres_to_duckdb_ratio"] = round(figures["postgres_build_seconds"] / figures["duckdb_build_seconds"], 2)
    return figures


def _best(seconds) -> float:
    return round(min(seconds), 2)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-root", type=Path, default=PROJECT_ROOT / "data")
    parser.add_argument("--run-date", type=date.fromisoformat, required=True, help="the run's partition date")
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args(argv)
    figures = measure(args.data_root, args.run_date, args.repeats)
    print(json.dumps(figures, indent=2))
    if "postgres_to_duckdb_ratio" in figures:
        print(
            f"dbt build: DuckDB {figures['duckdb_build_seconds']} s, PostgreSQL {figures['postgres_build_seconds']} s "
            f"(x{figures['postgres_to_duckdb_ratio']}; loading the landing zone into PostgreSQL: "
            f"{figures['postgres_load_seconds']} s)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
