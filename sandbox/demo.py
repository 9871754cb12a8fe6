"""`make demo` and `make airflow`: run the nightly pipeline in real Airflow against the local sandbox.

The demo starts the sandbox on a free loopback port, points the configured Airflow connections at
it, drops the sandbox's media plan, call log, marketing history and advocacy export in the inboxes
(and gives Airflow the sandbox's advocacy pseudonymisation key), runs the nightly
DAG once with `airflow dags test` (SQLite metadata database under `.airflow/`), then the weekly
marketing_mix DAG on what it published, and prints cost per engagement and ROI by channel for the
last full month with the verdict of helpful against promotional posts that month, and attributed
beside incremental conversions and ROI per channel."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from datetime import time as dtime
from pathlib import Path

from core.paths import PROJECT_ROOT, DataPaths, data_paths
from core.windows import partition_date_for
from nightly import DAG_ID
from nightly.marketing_mix import DAG_ID as MIX_DAG_ID
from sources import API_SOURCES, ApiSource
from sources.config import PipelineConfig, load_config

AIRFLOW_HOME = PROJECT_ROOT / ".airflow"
# The airflow command of the interpreter running the demo (the project virtualenv).
AIRFLOW = str(Path(sys.executable).with_name("airflow"))


# The sandbox's pseudonymisation key for the advocacy export (the Airflow Variable
# advocacy_pseudonym_key, read from AIRFLOW_VAR_ADVOCACY_PSEUDONYM_KEY): a fixed, public demo key,
# so that the demo's advocates keep their pseudonyms from run to run. It protects nothing: a real
# deployment sets its own secret key in Airflow (see the README), which this never overrides.
DEMO_PSEUDONYM_KEY = "sandbox-only-advocacy-pseudonym-key-not-a-secret"
PSEUDONYM_KEY_ENV = "AIRFLOW_VAR_ADVOCACY_PSEUDONYM_KEY"


def airflow_base_environment(
    airflow_home: Path = AIRFLOW_HOME, dags_folder: Path = PROJECT_ROOT / "dags"
) -> dict[str, str]:
    """Environment for Airflow commands run by the demo, the tests and the benchmarks: one
    Airflow home, one DAG folder, no examples, no network calls home, and the sandbox's advocacy
    pseudonymisation key unless one is set."""
    return {
        **os.environ,
        # `airflow standalone` starts its components as `airflow ...` from PATH.
        "PATH": f"{Path(AIRFLOW).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "AIRFLOW_HOME": str(airflow_home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(dags_folder),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
        "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
        "GX_ANALYTICS_ENABLED": "False",
        "DO_NOT_TRACK": "1",
        PSEUDONYM_KEY_ENV: os.environ.get(PSEUDONYM_KEY_ENV) or DEMO_PSEUDONYM_KEY,
    }


def sandbox_connection(source: ApiSource, base_url: str) -> dict:
    """The Airflow connection that points one source at its sandbox (each sandbox's default token)."""
    import importlib

    module = importlib.import_module(f"sandbox.{source.sandbox}")
    extra: dict[str, str] = {}
    if source.connection.default_api_version:
        extra["api_version"] = source.connection.default_api_version
    if source.name == "youtube":
        # One sandbox serves both YouTube hosts (Data API and Analytics API).
        extra["analytics_base_url"] = base_url
    return {"conn_type": "http", "host": base_url, "password": module.DEFAULT_TOKEN, "extra": extra}


def airflow_environment(
    sandbox_urls: Mapping[str, str], config: PipelineConfig, airflow_home: Path = AIRFLOW_HOME
) -> dict[str, str]:
    """The base environment with every configured connection pointed at its platform's sandbox
    (`sandbox_urls`: platform → base URL, as `running_sandbox` yields)."""
    env = airflow_base_environment(airflow_home)
    for source in API_SOURCES:
        for account in source.accounts(config):
            connection = sandbox_connection(source, sandbox_urls[source.sandbox])
            env[f"AIRFLOW_CONN_{account.connection_id.upper()}"] = json.dumps(connection)
    return env


@contextmanager
def running_sandbox(extra_args: list[str] | None = None) -> Iterator[dict[str, str]]:
    """Start `python -m sandbox serve` (each platform on its own free port); yield the mapping of
    platform to base URL; stop it."""
    with tempfile.TemporaryDirectory() as tmp:
        url_file = Path(tmp) / "urls.json"
        process = subprocess.Popen(
            [sys.executable, "-m", "sandbox", "serve", "--url-file", str(url_file), *(extra_args or [])],
            cwd=PROJECT_ROOT,
        )
        try:
            deadline = time.monotonic() + 30
            # The file is written atomically once every platform listens: existing means complete.
            while not url_file.exists():
                if process.poll() is not None:
                    raise RuntimeError(f"the sandbox exited with code {process.returncode} before it listened")
                if time.monotonic() > deadline:
                    raise RuntimeError("the sandbox did not start listening within 30 s")
                time.sleep(0.1)
            yield json.loads(url_file.read_text())
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()


def migrate_metadata_db(env: dict[str, str]) -> None:
    AIRFLOW_HOME.mkdir(exist_ok=True)
    subprocess.run([AIRFLOW, "db", "migrate"], env=env, check=True, stdout=subprocess.DEVNULL)


def demo_logical_date(config: PipelineConfig, today: date | None = None) -> datetime:
    """Today's scheduled run time in the organisation's timezone: it lands yesterday."""
    tz = config.organisation.tz
    today = today or datetime.now(tz).date()
    minute, hour = config.schedule.cron.split()[:2]
    at = dtime(int(hour), int(minute)) if hour.isdigit() and minute.isdigit() else dtime(4, 30)
    return datetime.combine(today, at, tzinfo=tz)


def roi_table(warehouse: Path, month_start: date) -> str:
    """Investment, CPE, conversions, cost per conversion and ROI per channel group and channel for
    one month, from the published mart_roi (engagements from mart_cost_per_engagement's month),
    with a total line per channel group."""
    import duckdb

    with duckdb.connect(str(warehouse), read_only=True) as connection:
        rows = connection.execute(
            """
            with roi as (
                select channel_group, channel, sum(total_investment) as investment, sum(conversions) as conversions,
                       sum(conversion_value) as conversion_value
                from mart_roi where month_start = ? group by channel_group, channel
            ),
            engagement as (
                select channel, sum(engagements) as engagements from mart_cost_per_engagement
                where period_type = 'month' and period_start = ? group by channel
            ),
            joined as (
                select roi.*, coalesce(engagement.engagements, 0) as engagements
                from roi left join engagement on roi.channel = engagement.channel
            )
            select channel_group, coalesce(channel, '(all)') as channel,
                   sum(investment) as investment,
                   sum(engagements) as engagements,
                   sum(investment) / nullif(sum(engagements), 0) as cpe,
                   sum(conversions) as conversions,
                   sum(investment) / nullif(sum(conversions), 0) as cost_per_conversion,
                   sum(conversion_value) as conversion_value,
                   (sum(conversion_value) - sum(investment)) / nullif(sum(investment), 0) as roi
            from joined
            group by grouping sets ((channel_group, channel), (channel_group))
            order by channel_group, channel = '(all)', channel
            """,
            [month_start, month_start],
        ).fetchall()
    header = (
        f"{'group':<19}{'channel':<19}{'investment':>13}{'engagements':>13}{'CPE':>8}"
        f"{'conversions':>13}{'per conv.':>11}{'value':>14}{'ROI':>9}"
    )
    lines = [header, "-" * len(header)]
    for group, channel, investment, engagements, cpe, conversions, per_conversion, value, roi in rows:
        lines.append(
            f"{group:<19}{channel:<19}{investment:>13,.2f}{engagements:>13,}{_ratio(cpe, 8)}"
            f"{conversions:>13,}{_ratio(per_conversion, 11)}{value:>14,.2f}"
            + (f"{roi:>9.1%}" if roi is not None else f"{'∞ no spend' if value else 'n/a':>9}")
        )
    return "\n".join(lines)


def content_verdicts(warehouse: Path, month_start: date) -> str:
    """The plain-words verdicts of helpful against promotional posts for one month (share rate,
    then save rate), from mart_content_comparison."""
    import duckdb

    with duckdb.connect(str(warehouse), read_only=True) as connection:
        rows = connection.execute(
            """
            select verdict from mart_content_comparison
            where period_type = 'month' and period_start = ? and metric in ('share_rate', 'save_rate')
            order by metric = 'save_rate'
            """,
            [month_start],
        ).fetchall()
    return "\n".join(verdict for (verdict,) in rows) or "No helpful or promotional posts this month."


def run_dag_test(dag_id: str, logical_date: datetime, env: dict[str, str], log_file: Path) -> int:
    """One run of a DAG with `airflow dags test`, its output in `log_file`; the exit code."""
    with open(log_file, "w") as log:
        return subprocess.run(
            [AIRFLOW, "dags", "test", dag_id, logical_date.isoformat()],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        ).returncode


def incremental_table(warehouse: Path) -> str:
    """Per channel over the latest fit's last 52 weeks: investment, the conversions tracking
    attributed and the model's incremental ones with their interval, and both ROIs; then the fit."""
    import duckdb

    with duckdb.connect(str(warehouse), read_only=True) as connection:
        rows = connection.execute(
            """
            select channel, investment, attributed_conversions, incremental_conversions,
                   incremental_conversions_low, incremental_conversions_high, attributed_roi, incremental_roi
            from mart_incremental_roi where period = 'last 52 weeks' order by channel_group, channel
            """
        ).fetchall()
        [(weeks, r2, holdout, version, trusted)] = connection.execute(
            "select weeks, r2, holdout_mape, model_version, trusted from mart_mmm_diagnostics where is_latest"
        ).fetchall()
    header = (
        f"{'channel':<13}{'investment':>13}{'attributed':>12}{'incremental':>13}{'interval':>18}"
        f"{'attr. ROI':>11}{'incr. ROI':>11}"
    )
    lines = [header, "-" * len(header)]
    for channel, investment, attributed, incremental, low, high, attributed_roi, incremental_roi in rows:
        lines.append(
            f"{channel:<13}{investment:>13,.2f}{attributed:>12,}{incremental:>13,.0f}{f'{low:,.0f} to {high:,.0f}':>18}"
            + "".join(
                f"{roi:>11.0%}" if roi is not None else f"{'n/a':>11}" for roi in (attributed_roi, incremental_roi)
            )
        )
    lines.append(
        f"\nFit ({version}): {weeks} weeks, R² {r2:.3f}, held-out error {holdout:.1%}"
        + ("" if trusted else "; too short a history to trust")
    )
    return "\n".join(lines)


def _ratio(value: float | None, width: int) -> str:
    return f"{value:{width}.2f}" if value is not None else f"{'n/a':>{width}}"


# The marketing history staged: two years of weeks, as a marketing-mix model needs.
HISTORY_WEEKS = 104


def history_first_monday(config: PipelineConfig, as_of: date, weeks: int = HISTORY_WEEKS) -> date:
    """The first Monday of the `weeks` ISO weeks before the warehouse's first whole week (the first
    Monday on or after the first day the first run's backfill lands). A week the backfill covers
    only in part is the history's, as a team's spreadsheet holds whole weeks: the model's inputs
    (int_mix__weekly) take the history for every week before the warehouse's first whole one."""
    first_landed_day = as_of - timedelta(days=config.windows.backfill_days - 1)
    first_whole_week = first_landed_day + timedelta(days=-first_landed_day.weekday() % 7)
    return first_whole_week - timedelta(weeks=weeks)


def stage_inboxes(config: PipelineConfig, paths: DataPaths, as_of: date) -> None:
    """Drop the sandbox world's media plan, call log, marketing history (the weeks before the
    first landed day) and advocacy export (users and shares reports) in the inboxes, as marketing
    ops would."""
    from extractors.inbox import done_marker
    from sandbox.advocacy import write_advocacy_export
    from sandbox.call_tracking import write_call_log
    from sandbox.marketing_history import write_marketing_history
    from sandbox.media_plan import write_media_plan

    for path in (
        write_media_plan(paths.inbox / config.sources.traditional_media.inbox, as_of),
        write_call_log(paths.inbox / config.sources.call_tracking.inbox, as_of),
        write_marketing_history(
            paths.inbox / config.sources.marketing_history.inbox,
            history_first_monday(config, as_of),
            HISTORY_WEEKS,
        ),
        *write_advocacy_export(paths.inbox / config.sources.employee_advocacy.inbox, as_of),
    ):
        # Written after the file, as an upload that is complete: the run takes it without waiting
        # for the inbox's settle time.
        done_marker(path).touch()


def run_demo(today: date | None = None) -> int:
    config = load_config()
    paths = data_paths()
    logical_date = demo_logical_date(config, today)
    partition_date = partition_date_for(logical_date, config.organisation.tz)
    stage_inboxes(config, paths, partition_date)

    with running_sandbox() as sandbox_urls:
        env = airflow_environment(sandbox_urls, config)
        started = time.monotonic()
        migrate_metadata_db(env)
        migrated = time.monotonic()
        print(
            f"Airflow metadata DB ready in {migrated - started:.1f} s; running {DAG_ID} for {logical_date.isoformat()}"
        )
        log_file = paths.root / "demo_dag_run.log"
        result = run_dag_test(DAG_ID, logical_date, env, log_file)
        finished = time.monotonic()
    if result != 0:
        print(f"The DAG run failed; see {log_file}", file=sys.stderr)
        return result
    # The weekly marketing-mix fit, as the published warehouse's Asset would trigger it.
    mix_log = paths.root / "demo_marketing_mix.log"
    print(f"Running {MIX_DAG_ID} on the published warehouse")
    result = run_dag_test(MIX_DAG_ID, logical_date, env, mix_log)
    mixed = time.monotonic()
    if result != 0:
        print(f"The {MIX_DAG_ID} run failed; see {mix_log}", file=sys.stderr)
        return result

    month_start = (partition_date.replace(day=1) - timedelta(days=1)).replace(day=1)
    print(f"\nDAG run finished in {finished - migrated:.1f} s (log: {log_file})")
    print(f"\n{config.organisation.name}: investment, cost per engagement and ROI, {month_start:%B %Y}\n")
    print(roi_table(paths.published_warehouse, month_start))
    print(f"\nHelpful against promotional posts, {month_start:%B %Y}\n")
    print(content_verdicts(paths.published_warehouse, month_start))
    print(f"\n{MIX_DAG_ID} finished in {mixed - finished:.1f} s (log: {mix_log})")
    print("\nWhat each channel adds: attributed and incremental (marketing-mix model), last 52 weeks\n")
    print(incremental_table(paths.published_warehouse))
    print(f"\nPublished warehouse: {paths.published_warehouse}")
    print(f"Data Docs:           {paths.data_docs_index}")
    print(f"dbt docs:            {paths.dbt_target / 'static_index.html'}")
    return 0


def run_airflow_standalone() -> int:
    """`airflow standalone` with the project's DAGs and connections, against the sandbox."""
    config = load_config()
    stage_inboxes(
        config, data_paths(), partition_date_for(datetime.now(config.organisation.tz), config.organisation.tz)
    )
    with running_sandbox() as sandbox_urls:
        env = airflow_environment(sandbox_urls, config)
        sandboxes = ", ".join(f"{name} {url}" for name, url in sandbox_urls.items())
        print(f"Sandboxes: {sandboxes}; Airflow UI on http://localhost:8080 (credentials are printed below)")
        return subprocess.run([AIRFLOW, "standalone"], env=env).returncode


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["demo", "airflow"])
    parser.add_argument("--date", type=date.fromisoformat, help="run as if today were this date (YYYY-MM-DD)")
    args = parser.parse_args(argv)
    if args.command == "airflow":
        return run_airflow_standalone()
    return run_demo(args.date)


if __name__ == "__main__":
    raise SystemExit(main())
