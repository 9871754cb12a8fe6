"""`make bench`: measure a nightly run on the demo world and write `data/bench/report.md`.

Measured: the DAG run's wall time in Airflow (`airflow dags test`, SQLite), split by task from the
metadata database; API calls made against the minimum the paging allows; the peak memory of the
largest process; the next night's incremental run; and the dbt strategy comparison (one
`dbt build` task vs Cosmos-rendered model tasks) when its module is present."""

from __future__ import annotations

import argparse
import json
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from benchmarks.stages import stage_seconds
from core.paths import PROJECT_ROOT, DataPaths
from core.windows import partition_date_for
from sandbox import registry
from sandbox.demo import AIRFLOW, DAG_ID, airflow_environment, demo_logical_date, stage_inboxes
from sandbox.facebook import minimum_calls
from sandbox.world import posts_window
from sources.config import load_config


def last_run_tasks(airflow_home: Path) -> list[tuple[str, str | None, str | None]]:
    """(task id, start, end) of every task instance of the DAG's last run, from the metadata DB."""
    with sqlite3.connect(airflow_home / "airflow.db") as db:
        return db.execute(
            "select task_id, start_date, end_date from task_instance "
            "where dag_id = ? and run_id = (select run_id from dag_run where dag_id = ? "
            "order by id desc limit 1)",
            (DAG_ID, DAG_ID),
        ).fetchall()


def run_night(env: dict, logical_date, log_file: Path) -> float:
    started = time.monotonic()
    with open(log_file, "w") as log:
        subprocess.run(
            [AIRFLOW, "dags", "test", DAG_ID, logical_date.isoformat()],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            check=True,
        )
    return time.monotonic() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="sandbox scale factor (posts per day, audiences)")
    parser.add_argument("--out", type=Path, default=PROJECT_ROOT / "data" / "bench")
    parser.add_argument("--skip-dbt-strategies", action="store_true")
    args = parser.parse_args(argv)

    config = load_config()
    source = config.sources.facebook_pages
    today = date.today()
    logical_date = demo_logical_date(config, today)
    partition_date = partition_date_for(logical_date, config.organisation.tz)
    figures: dict = {"scale": args.scale, "logical_date": logical_date.isoformat()}

    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        tmp = Path(tmp)
        paths = DataPaths(tmp / "data")
        stage_inboxes(config, paths, partition_date)
        servers = {name: registry.create(name, scale=args.scale).start() for name in registry.platforms()}
        server = servers["facebook"]
        try:
            env = airflow_environment(
                {name: s.base_url for name, s in servers.items()}, config, airflow_home=tmp / "airflow"
            )
            env["PIPELINE_DATA_DIR"] = str(paths.root)
            subprocess.run([AIRFLOW, "db", "migrate"], env=env, check=True, capture_output=True)

            for label, night, has_history in (
                ("first night (90-day backfill)", logical_date, False),
                ("next night (incremental)", logical_date + timedelta(days=1), True),
            ):
                for each in servers.values():
                    each.reset_calls()
                seconds = run_night(env, night, tmp / f"{label[:5]}.log")
                night_partition = partition_date_for(night, config.organisation.tz)
                insight_days = config.windows.lookback_days if has_history else config.windows.backfill_days
                minimum = minimum_calls(
                    server.world,
                    server.now(),
                    source,
                    insight_days,
                    posts_window(config.windows, has_history, night_partition),
                )
                figures[label] = {
                    "dag_run_seconds": round(seconds, 1),
                    "stages_seconds": stage_seconds(last_run_tasks(tmp / "airflow")),
                    # The Graph sandbox also answers Instagram: count Facebook's endpoints only.
                    "api_calls": sum(server.calls[kind] for kind in minimum),
                    "api_calls_minimum": sum(minimum.values()),
                    "api_calls_by_endpoint": dict(server.calls),
                    "api_calls_by_platform": {name: s.total_calls for name, s in servers.items()},
                    "gate_seconds_by_suite": gate_seconds(paths, night_partition),
                }
        finally:
            for each in servers.values():
                each.stop()
        figures["peak_rss_mb_largest_process"] = round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1)

        if not args.skip_dbt_strategies:
            try:
                from benchmarks.dbt_strategies import measure
            except ImportError:
                figures["dbt_strategies"] = "not measured (benchmarks/dbt_strategies.py missing)"
            else:
                figures["dbt_strategies"] = measure(paths.root, partition_date + timedelta(days=1))
        from benchmarks.dbt_targets import measure as measure_targets

        figures["dbt_targets"] = measure_targets(paths.root, partition_date + timedelta(days=1))
        from benchmarks.landing_mirror import measure as measure_mirror

        figures["landing_mirror"] = measure_mirror(paths.root)
    figures["inbox_large"] = measure_inbox_large(1_000_000)
    figures["mix_fit"] = [measure_in_process("benchmarks.mix_fit", "--scale", str(scale)) for scale in (1, 10)]
    figures["content_classifier"] = measure_content_classifier()

    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "report.json").write_text(json.dumps(figures, indent=2, default=str))
    (args.out / "report.md").write_text(render(figures))
    print(render(figures))
    print(f"Written to {args.out / 'report.md'}")
    from benchmarks.reports import append_to_bench_report

    append_to_bench_report(args.out)
    from benchmarks.celery_postgres import add_to_report

    add_to_report(args.out)
    return 0


def gate_seconds(paths: DataPaths, day) -> dict[str, float]:
    """Seconds each quality-gate suite took on one night (from its quality_results rows)."""
    import duckdb

    from core import storage

    files = sorted((paths.landing / "pipeline" / "quality_results" / f"date={day}").glob("*.parquet"), key=str)
    if not files:
        return {}
    with duckdb.connect() as connection:
        rows = connection.execute(
            "select gate || ' ' || suite, round(sum(seconds), 2) from ("
            "  select distinct gate, suite, data_name, validated_at, seconds"
            "  from read_parquet(?, hive_partitioning = false)"
            ") group by 1 order by 2 desc",
            [[str(storage.local_path(f)) for f in files]],
        ).fetchall()
    return dict(rows)


# Figures rendered as JSON under their heading, in this order.
JSON_SECTIONS = [
    ("dbt_targets", "dbt build: DuckDB vs PostgreSQL (same landing files)"),
    ("landing_mirror", "Landing zone on object storage: the local mirror DuckDB reads"),
    ("dbt_strategies", "dbt: one build task vs Cosmos model tasks"),
    ("inbox_large", "Inbox: a year's call log of 1,000,000 rows, landed"),
    ("mix_fit", "Marketing mix: the weekly fit on two years of history, scale 1 and 10"),
]


def measure_inbox_large(rows: int) -> dict:
    """benchmarks.inbox_large in a process of its own: its peak memory is then the landing's alone."""
    return measure_in_process("benchmarks.inbox_large", "--rows", str(rows))


def measure_in_process(module: str, *args: str) -> dict:
    """A benchmark module's JSON figures, measured in a process of its own (so its peak memory is
    its own)."""
    done = subprocess.run(
        [sys.executable, "-m", module, *args],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout)


def measure_content_classifier() -> dict:
    """The content classifier's candidates on the hand-labelled posts, by 5-fold cross-validation
    (content/evaluate.py): macro-F1, and precision and recall per intent, as a Markdown table."""
    from content.evaluate import FOLDS, cross_validate, report

    started = time.monotonic()
    scores = cross_validate()
    return {
        "folds": FOLDS,
        "seconds": round(time.monotonic() - started, 1),
        "macro_f1": {s.candidate: round(s.macro_f1, 3) for s in scores},
        "table": report(scores),
    }


def render(figures: dict) -> str:
    lines = [f"# Nightly pipeline benchmark (sandbox scale {figures['scale']})", ""]
    for label in ("first night (90-day backfill)", "next night (incremental)"):
        night = figures[label]
        lines += [
            f"## {label}",
            "",
            f"- DAG run wall time: {night['dag_run_seconds']} s",
            "- stages: " + ", ".join(f"{k} {v} s" for k, v in night["stages_seconds"].items()),
            f"- Facebook API calls: {night['api_calls']} "
            f"(Facebook's minimum the paging allows: {night['api_calls_minimum']}); "
            f"by endpoint: {night['api_calls_by_endpoint']}",
            f"- API calls by platform sandbox: {night['api_calls_by_platform']}",
            "- quality gate seconds by suite: "
            + ", ".join(f"{suite} {seconds}" for suite, seconds in night["gate_seconds_by_suite"].items()),
            "",
        ]
    lines += [f"Peak RSS of the largest process: {figures['peak_rss_mb_largest_process']} MB", ""]
    for key, heading in JSON_SECTIONS:
        if key in figures:
            lines += [f"## {heading}", "", "```", json.dumps(figures[key], indent=2, default=str), "```", ""]
    if "content_classifier" in figures:
        content = figures["content_classifier"]
        lines += [
            "## Content classifier: precision and recall per intent (hand-labelled posts)",
            "",
            f"{content['folds']}-fold stratified cross-validation, each fold labelled by a classifier trained on the "
            f"others ({content['seconds']} s for every candidate). `rules+model` is the one the build runs.",
            "",
            content["table"],
            "",
        ]
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
