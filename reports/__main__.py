"""`make report`: build one report from the published warehouse and print its files.

    python -m reports build [--report NAME] [--period-start YYYY-MM-DD] [--warehouse PATH] [--out DIR]
    python -m reports history [--report NAME]

`build` only writes files (nothing is emailed or recorded); sending is the report_exports DAG's
job. Without --period-start it builds the period the report's schedule last fired for, or, when the
warehouse does not reach that far yet, the latest period the warehouse covers."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, date, datetime
from pathlib import Path

from core.paths import data_paths
from core.settings import ConfigError
from sources.config import load_config

# What `make report` builds without REPORT: the monthly ROI report, the one that tells the whole
# story (social next to traditional, the investment's parts, what each channel adds); a
# configuration without it builds its first report.
DEFAULT_REPORT = "monthly_marketing_roi"


def _build(args: argparse.Namespace) -> int:
    from reports.build import build_report
    from reports.periods import latest_covered_period, period_starting
    from reports.queries import data_range
    from reports.tasks import ReportRequestError, definition_named, reports_root
    from warehouse import WarehouseMissingError
    from warehouse.duckdb_file import DuckDBFile
    from warehouse.targets import warehouses

    config = load_config()
    if not config.reports:
        print("No reports are defined in the configuration (the `reports:` section).", file=sys.stderr)
        return 1
    try:
        names = [report.name for report in config.reports]
        default = DEFAULT_REPORT if DEFAULT_REPORT in names else names[0]
        definition = definition_named(config, args.report or default)
    except ReportRequestError as exc:
        print(exc, file=sys.stderr)
        return 1
    warehouse = DuckDBFile(args.warehouse) if args.warehouse else warehouses(data_paths()).published
    try:
        _, data_through = data_range(warehouse)
    except WarehouseMissingError:
        print(
            f"No published warehouse at {warehouse}. Run `make demo` first: it builds the demo warehouse.",
            file=sys.stderr,
        )
        return 1
    if data_through is None:
        print(
            f"The warehouse {warehouse} holds no data yet: run the nightly DAG (or `make demo`) first.", file=sys.stderr
        )
        return 1
    unit, count = definition.period.unit, definition.period.count
    if args.period_start:
        period = period_starting(args.period_start, unit, count)
    else:
        period = latest_covered_period(
            definition.schedule, unit, count, datetime.now(UTC), config.organisation.tz, data_through
        )
    out = args.out or reports_root(data_paths())
    built = build_report(definition, period, warehouse, out, config)
    print(f"{definition.title}, {period.label} ({definition.name}), from {warehouse}:")
    for path in built.files:
        print(f"  {path}")
    return 0


def _history(args: argparse.Namespace) -> int:
    from reports.deliveries import deliveries

    rows = deliveries(data_paths().landing, args.report)
    if not rows:
        print("No report deliveries recorded yet.")
    for row in rows:
        print(
            f"{row.delivered_at:%Y-%m-%d %H:%M} UTC  {row.report_name:<30} {row.period_start} to {row.period_end}  "
            f"{row.status:<16} {row.trigger}"
        )
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m reports", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    build = commands.add_parser("build", help="build one report's files from the published warehouse")
    build.add_argument(
        "--report", help=f"definition name (default: {DEFAULT_REPORT}, else the first in the configuration)"
    )
    build.add_argument("--period-start", type=date.fromisoformat, help="a day in the period to build (YYYY-MM-DD)")
    build.add_argument("--warehouse", type=Path, help="warehouse file (default: the published warehouse)")
    build.add_argument("--out", type=Path, help="folder for the files (default: data/reports)")
    history = commands.add_parser("history", help="list the recorded deliveries")
    history.add_argument("--report")
    args = parser.parse_args(argv)
    try:
        return _build(args) if args.command == "build" else _history(args)
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
