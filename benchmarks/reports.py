"""Report exports benchmark: the time to build each format of every configured report, from the
demo world's published warehouse (`make demo`) and from a copy of it scaled to 10x.

The 10x warehouse is made by scaling rows, not by a new sandbox run: in a copy of the published
file, every row of the tables the reports read is repeated ten times under new keys (accounts in
`fct_channel_daily` and `source_freshness`, posts in `mart_social_posts`, campaigns in
`mart_cost_per_engagement` and `mart_roi`), as if the organisation ran ten times the accounts
and campaigns. Figures are the median of three builds; nothing is emailed or recorded.

    python -m benchmarks.reports [--warehouse PATH] [--factor 10] [--out data/bench]

`make bench` runs it at the end and appends its section to `data/bench/report.md`."""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from core.paths import PROJECT_ROOT, data_paths
from sources.config import PipelineConfig, load_config

# table -> the key column that gets a copy suffix
SCALED_TABLES = {
    "fct_channel_daily": "account_id",
    "mart_social_posts": "post_id",
    "mart_cost_per_engagement": "campaign_id",
    "mart_roi": "campaign_id",
    "source_freshness": "account_id",
}
STEPS = ("query", "pdf", "xlsx", "csv")


def scaled_copy(warehouse: Path, target: Path, factor: int) -> Path:
    """A copy of the warehouse with the report tables' rows repeated `factor` times under new keys."""
    shutil.copy(warehouse, target)
    with duckdb.connect(str(target)) as connection:
        for table, key in SCALED_TABLES.items():
            connection.execute(
                f"create or replace table {table} as "
                f"select * replace (case when copy = 0 then {key} else {key} || '~' || copy end as {key}) "
                f"from {table}, range({int(factor)}) as copies(copy)"
            )
    return target


def table_rows(warehouse: Path) -> dict[str, int]:
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        return {table: connection.execute(f"select count(*) from {table}").fetchone()[0] for table in SCALED_TABLES}


def time_reports(warehouse: Path, config: PipelineConfig, out: Path, repeats: int = 3) -> dict[str, dict]:
    """Median seconds per step (query, each format) of every report, and the files' size."""
    from reports.build import write_files
    from reports.periods import latest_covered_period
    from reports.queries import data_range, load_report_data
    from warehouse.duckdb_file import DuckDBFile

    warehouse_file = DuckDBFile(warehouse)
    _, data_through = data_range(warehouse_file)
    results = {}
    for definition in config.reports:
        unit, count = definition.period.unit, definition.period.count
        period = latest_covered_period(
            definition.schedule, unit, count, datetime.now(UTC), config.organisation.tz, data_through
        )
        runs: dict[str, list[float]] = {step: [] for step in STEPS}
        files: list[Path] = []
        for _ in range(repeats):
            started = time.perf_counter()
            data = load_report_data(warehouse_file, definition, period, config)
            runs["query"].append(time.perf_counter() - started)
            files, seconds = write_files(data, out / definition.name, ["pdf", "xlsx", "csv"])
            for kind, value in seconds.items():
                runs[kind].append(value)
        results[definition.name] = {
            "period": period.label,
            "seconds": {step: round(statistics.median(values), 3) for step, values in runs.items()},
            "megabytes": {
                kind: round(sum(p.stat().st_size for p in files if p.suffix == f".{kind}") / 1e6, 2)
                for kind in ("pdf", "xlsx", "csv")
            },
        }
    return results


def measure(warehouse: Path, factor: int = 10, repeats: int = 3, config: PipelineConfig | None = None) -> dict:
    config = config or load_config()
    with tempfile.TemporaryDirectory(prefix="bench-reports-") as tmp:
        tmp = Path(tmp)
        scaled = scaled_copy(warehouse, tmp / "scaled.duckdb", factor)
        return {
            "warehouse": str(warehouse),
            "factor": factor,
            "rows": {"demo": table_rows(warehouse), f"{factor}x": table_rows(scaled)},
            "demo": time_reports(warehouse, config, tmp / "demo", repeats),
            f"{factor}x": time_reports(scaled, config, tmp / "scaled", repeats),
        }


def render(figures: dict) -> str:
    lines = ["## Report exports: time to build each format", ""]
    if "not_measured" in figures:
        return "\n".join([*lines, figures["not_measured"], ""])
    factor = figures["factor"]
    lines += [
        f"From the published demo warehouse ({figures['warehouse']}) and a copy scaled to {factor}x rows "
        "(every account, post and campaign row of the report tables repeated under new keys). "
        "Median of three builds, seconds; sizes of one build.",
        "",
        "| report | period | scale | fct_channel_daily rows | query | PDF | XLSX | CSV | PDF MB | XLSX MB | CSV MB |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for scale in ("demo", f"{factor}x"):
        rows = figures["rows"][scale]["fct_channel_daily"]
        for report, result in figures[scale].items():
            s, mb = result["seconds"], result["megabytes"]
            lines.append(
                f"| {report} | {result['period']} | {scale} | {rows:,} | {s['query']:.2f} | {s['pdf']:.2f} | "
                f"{s['xlsx']:.2f} | {s['csv']:.2f} | {mb['pdf']} | {mb['xlsx']} | {mb['csv']} |"
            )
    return "\n".join([*lines, ""])


def append_to_bench_report(out: Path, warehouse: Path | None = None) -> dict:
    """Measure, add the figures to `report.json` and `report.md` in `out`, and print them."""
    warehouse = warehouse or data_paths().published_warehouse
    if warehouse.exists():
        figures = measure(warehouse)
    else:
        figures = {"not_measured": f"Not measured: no published warehouse at {warehouse}; run `make demo` first."}
    out.mkdir(parents=True, exist_ok=True)
    report_json = out / "report.json"
    existing = json.loads(report_json.read_text()) if report_json.exists() else {}
    report_json.write_text(json.dumps({**existing, "reports": figures}, indent=2, default=str))
    section = render(figures)
    with open(out / "report.md", "a", encoding="utf-8") as handle:
        handle.write("\n" + section)
    print(section)
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warehouse", type=Path, default=None, help="default: the published warehouse")
    parser.add_argument("--factor", type=int, default=10)
    parser.add_argument("--out", type=Path, default=PROJECT_ROOT / "data" / "bench")
    args = parser.parse_args(argv)
    warehouse = args.warehouse or data_paths().published_warehouse
    if not warehouse.exists():
        print(f"No published warehouse at {warehouse}; run `make demo` first.")
        return 1
    print(render(measure(warehouse, args.factor)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
