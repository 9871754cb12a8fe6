"""The fault matrix: bad data of many kinds, each caught by the right check with the right
severity, alerted by email (a real SMTP server on loopback) and webhook (a local receiver), and,
when critical, stopped before the publish with the published warehouse unchanged byte for byte.

Every case starts from a copy of a realistic sandbox night (the `roi_env` fixture) with 6 earlier
nights of history, so the checks across days (volume, lifetime metrics, zeroed metrics) have
something to compare with."""

from __future__ import annotations

import hashlib
import json
import logging
import re
import shutil
import subprocess
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace
from typing import TYPE_CHECKING

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pytest
import yaml
from airflow.sdk.exceptions import AirflowFailException

from core import storage
from core.landing import partition_files
from core.paths import PROJECT_ROOT, DataPaths
from expectations.runner import QualityGateError
from nightly import tasks
from nightly.alerts import on_task_failure
from tests.conftest import ROI_LOGICAL_DATE, Mailbox

if TYPE_CHECKING:
    from airflow.sdk import ObjectStoragePath

HISTORY_NIGHTS = 6


@pytest.fixture(scope="module")
def webhook():
    received: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 (the stdlib's naming)
            received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    server.received = received
    yield server
    server.shutdown()


@dataclass
class Night:
    paths: DataPaths
    day: object
    smtp: Mailbox
    webhook: object

    def published_digest(self) -> str:
        return hashlib.sha256(self.paths.published_warehouse.read_bytes()).hexdigest()

    def today(self, source: str, entity: str) -> ObjectStoragePath:
        return partition_files(source, entity, self.day, self.paths.landing)[0]

    def rewrite(self, source: str, entity: str, change: Callable[[pa.Table], pa.Table]) -> None:
        path = self.today(source, entity)
        storage.write_table(change(storage.read_table(path)), path)

    def alerts(self) -> tuple[list[str], list[str]]:
        """(email subjects and bodies, webhook texts) received so far."""
        mails = []
        for _, message in self.smtp.messages:
            body = next(
                part.get_payload(decode=True).decode()
                for part in message.walk()
                if part.get_content_type() == "text/html"
            )
            mails.append(f"{message['Subject']}\n{body}")
        hooks = [payload["text"] + "\n" + payload["blocks"][1]["text"]["text"] for payload in self.webhook.received]
        return mails, hooks


@pytest.fixture
def night(roi_env, tmp_path, monkeypatch, mail_server, webhook):
    """A copy of the roi_env night with history, a config trimmed to the sources it landed, and
    alerts pointed at the local SMTP server and webhook receiver."""
    source_paths, ctx = roi_env
    paths = DataPaths(tmp_path / "data")
    shutil.copytree(source_paths.root, paths.root)
    for folder in storage.local_path(paths.landing).glob("*/*/date=" + ctx.partition_date.isoformat()):
        if folder.parts[-3] == "pipeline":
            continue
        for back in range(1, HISTORY_NIGHTS + 1):
            earlier = folder.with_name(f"date={ctx.partition_date - timedelta(days=back)}")
            if not earlier.exists():
                shutil.copytree(folder, earlier)
    config = yaml.safe_load((PROJECT_ROOT / "config" / "pipeline.yml").read_text())
    for absent in ("instagram", "x", "youtube", "linkedin"):
        config["sources"].pop(absent)
    config["quality"]["alerts"] = {
        "email_to": ["data-team@cedarvalleyhealth.org", "oncall@cedarvalleyhealth.org"],
        "smtp_conn_id": "smtp_default",
        "webhook_conn_id": "quality_webhook",
    }
    config_file = tmp_path / "pipeline.yml"
    config_file.write_text(yaml.safe_dump(config))
    monkeypatch.setenv("PIPELINE_CONFIG", str(config_file))
    monkeypatch.setenv("PIPELINE_DATA_DIR", str(paths.root))
    monkeypatch.setenv("AIRFLOW_CONN_SMTP_DEFAULT", mail_server.connection())
    monkeypatch.setenv(
        "AIRFLOW_CONN_QUALITY_WEBHOOK",
        json.dumps({"conn_type": "http", "host": f"http://127.0.0.1:{webhook.server_port}/hooks/quality"}),
    )
    webhook.received.clear()
    return Night(paths, ctx.partition_date, mail_server, webhook)


def run_night(night: Night, stage: str = "all") -> str:
    """The nightly sequence after the extracts, as the DAG runs it: landing gate, build, mart gate,
    publish; a failed task runs the DAG's failure callback. `stage` "landing" stops after the
    landing gate, "mart" starts at the mart gate (the build is already there). Returns the task
    that failed, or ''."""
    steps = {
        "landing_gate": lambda: tasks.landing_gate(ROI_LOGICAL_DATE, "scheduled__fault", night.paths),
        "build_warehouse": lambda: tasks.build_warehouse(ROI_LOGICAL_DATE, night.paths),
        "mart_gate": lambda: tasks.mart_gate(ROI_LOGICAL_DATE, "scheduled__fault", night.paths),
        "publish": lambda: tasks.publish(night.paths),
    }
    chosen = {"all": list(steps), "landing": ["landing_gate"], "mart": ["mart_gate", "publish"]}[stage]
    for task_id in chosen:
        try:
            steps[task_id]()
        except AirflowFailException as failure:
            on_task_failure(_context(task_id, failure.__cause__ or failure))
            return task_id
    return ""


def _context(task_id: str, exception: BaseException) -> dict:
    """What Airflow hands a failure callback (the parts the callback reads)."""
    ti = SimpleNamespace(dag_id="nightly_marketing", task_id=task_id, run_id="scheduled__fault")
    return {"ti": ti, "task_instance": ti, "run_id": "scheduled__fault", "exception": exception}


def _replace(table: pa.Table, column: str, values) -> pa.Table:
    index = table.schema.get_field_index(column)
    return table.set_column(index, table.schema.field(index), pa.array(values, table.schema.field(index).type))


def _mutate_build(night: Night, sql: str) -> None:
    """A build with a wrong mart: the published warehouse copied to the build file, then changed."""
    shutil.copy(night.paths.published_warehouse, night.paths.build_warehouse)
    with duckdb.connect(str(night.paths.build_warehouse)) as connection:
        connection.execute(sql)


# -- the faults -------------------------------------------------------------------------------


def duplicate_ad_rows(night):
    night.rewrite("meta_ads", "ads_insights", lambda t: pa.concat_tables([t, t.slice(0, 3)]))


def negative_spend(night):
    night.rewrite(
        "meta_ads",
        "ads_insights",
        lambda t: _replace(t, "spend", [-abs(v.as_py()) if i == 0 else v.as_py() for i, v in enumerate(t["spend"])]),
    )


def deprecated_metric_answers_zeros(night):
    night.rewrite(
        "facebook_pages",
        "page_insights",
        lambda t: _replace(
            t,
            "value",
            [
                0 if m == "page_video_views" else v
                for m, v in zip(t["metric"].to_pylist(), t["value"].to_pylist(), strict=True)
            ],
        ),
    )


def missing_day(night):
    night.today("ga4", "sessions").unlink()


def volume_collapse(night):
    night.rewrite("ga4", "sessions", lambda t: t.slice(0, max(1, t.num_rows // 20)))


def volume_dip(night):
    night.rewrite("ga4", "sessions", lambda t: t.slice(0, t.num_rows * 3 // 10))


def lifetime_goes_backwards(night):
    def halve(table):
        values = table["value"].to_pylist()
        metrics = table["metric"].to_pylist()
        first = next(i for i, (m, v) in enumerate(zip(metrics, values, strict=True)) if m == "post_media_view" and v)
        values[first] //= 2
        return _replace(table, "value", values)

    night.rewrite("facebook_pages", "post_snapshots", halve)


def future_dates(night):
    night.rewrite(
        "meta_ads", "ads_insights", lambda t: _replace(t, "date", [night.day + timedelta(days=3)] * t.num_rows)
    )


def more_qualified_calls_than_calls(night):
    night.rewrite(
        "call_tracking",
        "calls",
        lambda t: _replace(t, "qualified_calls", pc.add(t["calls"], 1).to_pylist()),
    )


def half_landed_call_log(night):
    night.rewrite("call_tracking", "calls", lambda t: t.slice(0, t.num_rows // 2))


def inbox_snapshot_missing(night):
    night.today("call_tracking", "calls").unlink()


def unknown_key_event(night):
    night.rewrite("ga4", "key_events", lambda t: _replace(t, "event_name", ["newsletter_signup"] * t.num_rows))


def column_dropped_by_platform(night):
    night.rewrite("facebook_pages", "posts", lambda t: t.drop_columns(["message"]))


def mart_does_not_reconcile(night):
    _mutate_build(
        night, "update mart_roi set media_spend = media_spend + 0.01 where rowid = (select min(rowid) from mart_roi)"
    )


def mart_grain_duplicated(night):
    _mutate_build(night, "insert into mart_roi select * from mart_roi limit 1")


def infinite_ratio(night):
    _mutate_build(
        night,
        "update mart_social_vs_traditional set cpm = 'infinity'::double "
        "where rowid = (select min(rowid) from mart_social_vs_traditional)",
    )


def implausible_roi(night):
    _mutate_build(
        night,
        "update mart_social_vs_traditional set roi = 75.0 where rowid = (select min(rowid) from mart_social_vs_traditional)",
    )


@dataclass(frozen=True)
class Fault:
    inject: Callable[[Night], None]
    stage: str  # landing: the fault is in what landed; mart: in the build
    caught_by: str  # the suite named in the alert
    severity: str  # critical: the run stops, not published; warning: it goes on, with an alert
    evidence: str  # text the alert must carry (the failed expectation or the offending value)


FAULTS = {
    "duplicate keys": Fault(
        duplicate_ad_rows, "landing", "landing.meta_ads.ads_insights", "critical", "compound_columns_to_be_unique"
    ),
    "negative spend": Fault(negative_spend, "landing", "landing.meta_ads.ads_insights", "critical", "on spend"),
    "zeros for a deprecated metric": Fault(
        deprecated_metric_answers_zeros, "landing", "landing.zeroed_metrics", "warning", "page_video_views"
    ),
    "a missing day": Fault(missing_day, "landing", "landing.freshness", "warning", "ga4/sessions/date="),
    "a volume collapse": Fault(volume_collapse, "landing", "landing.volume", "critical", "ga4/sessions/date="),
    "a volume dip": Fault(volume_dip, "landing", "landing.volume", "warning", "ga4/sessions/date="),
    "a lifetime metric going backwards": Fault(
        lifetime_goes_backwards, "landing", "landing.lifetime_metrics", "critical", "post_media_view"
    ),
    "dates in the future": Fault(future_dates, "landing", "landing.meta_ads.ads_insights", "critical", "on date"),
    "more qualified calls than calls": Fault(
        more_qualified_calls_than_calls, "landing", "landing.call_tracking.calls", "critical", "qualified_calls"
    ),
    "a half-landed call log": Fault(
        half_landed_call_log, "landing", "landing.snapshot_volume", "critical", "call_tracking calls snapshot of"
    ),
    "an inbox snapshot missing tonight": Fault(
        inbox_snapshot_missing, "landing", "landing.freshness", "warning", "call_tracking/calls/date="
    ),
    "an event outside the key events": Fault(
        unknown_key_event, "landing", "landing.ga4.key_events", "critical", "newsletter_signup"
    ),
    "a column dropped by the platform": Fault(
        column_dropped_by_platform, "landing", "landing.facebook_pages.posts", "critical", "columns_to_match_set"
    ),
    "a mart not reconciling": Fault(mart_does_not_reconcile, "mart", "mart.reconciliation", "critical", "media_spend"),
    "a mart grain duplicated": Fault(
        mart_grain_duplicated, "mart", "mart.mart_roi", "critical", "compound_columns_to_be_unique"
    ),
    "an infinite ratio": Fault(infinite_ratio, "mart", "mart.mart_social_vs_traditional", "critical", "on cpm"),
    "an implausible ROI": Fault(implausible_roi, "mart", "mart.mart_social_vs_traditional", "warning", "on roi"),
}
GATE_TASK = {"landing": "landing_gate", "mart": "mart_gate"}


@pytest.mark.parametrize("name", list(FAULTS))
def test_fault_matrix(name, night):
    fault = FAULTS[name]
    before = night.published_digest()
    fault.inject(night)

    failed_task = run_night(night, fault.stage)

    mails, hooks = night.alerts()
    assert len(mails) == len(hooks) >= 1, (mails, hooks)
    for recipients, _ in night.smtp.messages:
        assert sorted(recipients) == ["data-team@cedarvalleyhealth.org", "oncall@cedarvalleyhealth.org"]
    for alerts in (mails, hooks):
        alert = next((a for a in alerts if fault.caught_by in a), None)
        assert alert is not None, alerts
        assert f"[{fault.severity}] nightly_marketing.{GATE_TASK[fault.stage]}" in alert
        assert fault.evidence in alert and "Data Docs" in alert, alert
    if fault.severity == "critical":
        assert failed_task == GATE_TASK[fault.stage]
        assert len(mails) == 1, "the run stops at the first critical gate"
        assert night.published_digest() == before, "a critical fault must leave the published warehouse as it was"
    else:
        assert failed_task == ""
        if fault.stage == "mart":
            assert night.published_digest() != before, "a warning publishes"
    _results_are_recorded(night, fault)


def _results_are_recorded(night: Night, fault: Fault) -> None:
    files = partition_files("pipeline", "quality_results", night.day, night.paths.landing)
    rows = pa.concat_tables([storage.read_table(f) for f in files], promote_options="default").to_pylist()
    recorded = [
        r for r in rows if r["suite"] == fault.caught_by and not r["success"] and r["run_id"] == "scheduled__fault"
    ]
    assert recorded and {r["severity"] for r in recorded} >= {fault.severity}


def test_a_quarantined_partition_lands_again_after_the_fix_and_the_history_keeps_both_runs(night):
    good = night.today("meta_ads", "ads_insights").read_bytes()
    negative_spend(night)
    assert run_night(night, "landing") == "landing_gate"
    quarantine = night.paths.landing_quarantine / "meta_ads" / "ads_insights" / f"date={night.day}"
    assert "expect_column_values_to_be_between on spend" in (quarantine / "REASON.txt").read_text()
    assert not partition_files("meta_ads", "ads_insights", night.day, night.paths.landing)

    # The fix: the extract task reruns and lands the day again; the night then publishes.
    (night.paths.landing / "meta_ads" / "ads_insights" / f"date={night.day}" / "1200300400501.parquet").write_bytes(
        good
    )
    before = night.published_digest()
    assert run_night(night) == ""
    assert night.published_digest() != before

    # The published quality_results keep the history: the refused run, tonight's gates, earlier runs.
    with duckdb.connect(str(night.paths.published_warehouse), read_only=True) as connection:
        verdicts = connection.execute(
            "select gate, verdict, count(*) from quality_results where run_id = 'scheduled__fault' group by all"
        ).fetchall()
        earlier = connection.execute("select count(*) from quality_results where run_id = 'manual__roi'").fetchone()[0]
    gates = {(gate, verdict) for gate, verdict, _ in verdicts}
    assert {("landing", "failed"), ("landing", "passed"), ("mart", "passed")} <= gates
    assert earlier > 0


def test_a_critical_landing_fault_raises_the_gate_error_with_every_suite(night):
    volume_collapse(night)
    with pytest.raises(AirflowFailException) as caught:
        tasks.landing_gate(ROI_LOGICAL_DATE, "scheduled__fault", night.paths)
    cause = caught.value.__cause__
    assert isinstance(cause, QualityGateError)
    assert {s.suite for s in cause.summaries} >= {"landing.volume", "landing.freshness", "landing.ga4.sessions"}
    assert "Quarantined:" in str(caught.value)


def test_a_volume_fall_of_one_account_quarantines_only_that_accounts_file(night):
    healthy, failing = (
        p.stem for p in partition_files("facebook_pages", "page_insights", night.day, night.paths.landing)
    )
    path = night.paths.landing / "facebook_pages" / "page_insights" / f"date={night.day}" / f"{failing}.parquet"
    storage.write_table(storage.read_table(path).slice(0, 0), path)

    assert run_night(night, "landing") == "landing_gate"

    left = [p.stem for p in partition_files("facebook_pages", "page_insights", night.day, night.paths.landing)]
    assert left == [healthy], "the healthy page's insights stay in the landing zone"
    quarantine = night.paths.landing_quarantine / "facebook_pages" / "page_insights" / f"date={night.day}"
    assert {p.name for p in quarantine.iterdir()} == {"REASON.txt", f"{failing}.parquet"}
    reason = (quarantine / "REASON.txt").read_text()
    assert (
        f"account {failing} landed 0 rows in facebook_pages/page_insights/date={night.day}/{failing}.parquet" in reason
    )
    assert healthy not in reason
    mails, _ = night.alerts()
    assert f"account {failing} landed 0 rows" in mails[0]


def test_a_half_landed_inbox_snapshot_is_refused_naming_the_files_and_both_row_counts(night):
    before = storage.read_table(night.today("call_tracking", "calls"))
    files = ", ".join(sorted(set(before["source_file"].to_pylist())))
    half_landed_call_log(night)

    with pytest.raises(AirflowFailException) as caught:
        tasks.landing_gate(ROI_LOGICAL_DATE, "scheduled__fault", night.paths)

    expected = (
        f"call_tracking/calls/date={night.day}/call_log: call_tracking calls snapshot of {before.num_rows // 2:,} rows "
        f"(inbox files: {files}) vs {before.num_rows:,} rows in the snapshot of {night.day - timedelta(days=1)} "
        f"(inbox files: {files})"
    )
    assert expected in str(caught.value)
    quarantine = night.paths.landing_quarantine / "call_tracking" / "calls" / f"date={night.day}"
    assert expected in (quarantine / "REASON.txt").read_text()


def test_an_inbox_with_no_snapshot_tonight_is_only_stale(night):
    inbox_snapshot_missing(night)
    outcome = tasks.landing_gate(ROI_LOGICAL_DATE, "scheduled__fault", night.paths)
    assert outcome[f"landing.snapshot_volume inbox snapshots on {night.day} vs the previous snapshot"] == 0
    assert outcome[f"landing.freshness partitions expected on {night.day}"] == 1


def test_a_mart_not_reconciling_is_named_with_both_totals_and_the_difference(night):
    mart_does_not_reconcile(night)
    assert run_night(night, "mart") == "mart_gate"

    mails, hooks = night.alerts()
    for alert in (mails[0], hooks[0]):
        match = re.search(
            r"media_spend \S+: the marts report ([0-9,.]+) and the inputs add up to ([0-9,.]+) \(difference \+0\.01\)",
            alert,
        )
        assert match, alert
        reported, expected = (Decimal(group.replace(",", "")) for group in match.groups())
        assert reported - expected == Decimal("0.01")


def test_the_landing_gates_log_holds_its_validations_without_gx_import_noise(night):
    """The gate's log as a fresh task process writes it at INFO (GX is imported anew there, as in
    every Airflow task): GX's import-time lines ("Skipping registering function ...", some 200 of
    them) stay out, and each validation's summary is in."""
    script = (
        "import logging, sys\n"
        "from datetime import datetime\n"
        "logging.basicConfig(level=logging.INFO, stream=sys.stdout, format='%(levelname)s %(name)s: %(message)s')\n"
        "from nightly import tasks\n"
        f"tasks.landing_gate(datetime.fromisoformat({ROI_LOGICAL_DATE.isoformat()!r}), 'scheduled__log')\n"
    )
    completed = subprocess.run(
        [sys.executable, "-c", script], cwd=PROJECT_ROOT, capture_output=True, text=True, check=True, timeout=300
    )
    log = completed.stdout + completed.stderr
    assert "Skipping registering function" not in log
    assert "great_expectations" not in log, log
    assert re.search(r"landing\.meta_ads\.ads_insights on .*: passed", log), log
    assert len(log.splitlines()) < 60, log


def test_a_failed_dbt_build_names_the_failing_node_in_the_log_and_the_error(night, caplog):
    """dbt's own output is not kept in the task log: the build reads run_results.json and logs each
    failure by node, the slowest models, and a summary line without colour codes."""
    duplicate_ad_rows(night)
    with caplog.at_level(logging.INFO, logger="warehouse.build"), pytest.raises(AirflowFailException) as caught:
        tasks.build_warehouse(ROI_LOGICAL_DATE, night.paths)

    failing = "test unique_combination_stg_meta_ads__ads_insights_ad_id__date_day fail"
    errors = [record.getMessage() for record in caplog.records if record.levelno == logging.ERROR]
    assert any(failing in message for message in errors), errors
    assert failing in str(caught.value.__cause__)
    assert any("slowest models: " in record.getMessage() for record in caplog.records)
    assert not any("\x1b[" in record.getMessage() for record in caplog.records)
