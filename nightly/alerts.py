"""Alerts for the data engineers: an email through the Airflow SMTP connection and, when one is
configured, a Slack-style webhook. An alert names the DAG, the task and the run, and for a quality
gate the suites, their failed expectations and the link to each validation's Data Docs page.

Sent on two occasions: a task failure (`on_task_failure`, the DAG's failure callback: a critical
gate failure, a quarantined file, an expired token) and a gate that passed with warnings (the gate
task sends it itself, since the task succeeds). Sending never raises: a broken mail server must not
turn a published night into a failed one; a failed send is logged."""

from __future__ import annotations

import html
import json
import logging
from dataclasses import dataclass, field
from typing import Any

from core.settings import Alerts

logger = logging.getLogger(__name__)

# Enough of each suite to act on without opening the Data Docs; the rest is one click away.
FAILURES_PER_SUITE = 10


@dataclass
class Alert:
    severity: str  # critical | warning | failure
    dag_id: str
    task_id: str
    run_id: str
    headline: str
    summaries: list = field(default_factory=list)  # expectations.runner.ValidationSummary
    detail: str | None = None
    data_docs: str | None = None

    @property
    def subject(self) -> str:
        return f"[{self.severity}] {self.dag_id}.{self.task_id}: {self.headline}"

    def lines(self) -> list[str]:
        lines = [f"DAG: {self.dag_id}", f"Task: {self.task_id}", f"Run: {self.run_id}", ""]
        for summary in self.summaries:
            if not summary.failures:
                continue
            lines.append(f"Suite {summary.suite} on {summary.data_name}: {summary.verdict}")
            lines += [f"  - {failure.describe()}" for failure in summary.failures[:FAILURES_PER_SUITE]]
            if len(summary.failures) > FAILURES_PER_SUITE:
                lines.append(f"  - ... and {len(summary.failures) - FAILURES_PER_SUITE} more")
            if summary.docs_url:
                lines.append(f"  Data Docs: {summary.docs_url}")
        if self.detail:
            lines += ["", self.detail]
        if self.data_docs:
            lines += ["", f"All validations: {self.data_docs}"]
        return lines

    def html(self) -> str:
        body = "<br>\n".join(html.escape(line) for line in self.lines())
        return f"<p><b>{html.escape(self.headline)}</b></p>\n<p style='font-family:monospace'>{body}</p>"

    def webhook_payload(self) -> dict[str, Any]:
        """Slack's incoming-webhook shape (also read by Mattermost, Rocket.Chat and Teams workflows)."""
        text = "\n".join(self.lines())
        return {
            "text": self.subject,
            "blocks": [
                {"type": "header", "text": {"type": "plain_text", "text": self.subject[:150]}},
                {"type": "section", "text": {"type": "mrkdwn", "text": f"```{text[:2900]}```"}},
            ],
        }


def send(alert: Alert, settings: Alerts) -> dict[str, bool]:
    """Send `alert` by email and webhook as configured; returns which channel got it."""
    sent: dict[str, bool] = {}
    if settings.email_to:
        sent["email"] = _send_email(alert, settings)
    if settings.webhook_conn_id:
        sent["webhook"] = _send_webhook(alert, settings.webhook_conn_id)
    return sent


def _connection(conn_id: str, purpose: str):
    """The Airflow connection, or None (logged) when it is not defined: a deployment without a mail
    server or a webhook still runs, it just cannot alert that way."""
    from airflow.sdk import Connection

    try:
        return Connection.get(conn_id)
    except Exception as exc:  # the SDK raises its own not-found type, which varies by context
        logger.warning("no %s alert: connection %s is not defined (%s)", purpose, conn_id, exc)
        return None


def _send_email(alert: Alert, settings: Alerts) -> bool:
    if _connection(settings.smtp_conn_id, "email") is None:
        return False
    try:
        from airflow.providers.smtp.hooks.smtp import SmtpHook

        with SmtpHook(smtp_conn_id=settings.smtp_conn_id) as hook:
            hook.send_email_smtp(to=settings.email_to, subject=alert.subject, html_content=alert.html())
    except Exception as exc:  # an alert must never fail the task that sends it
        logger.error(
            "could not email the alert %r through connection %s: %s", alert.subject, settings.smtp_conn_id, exc
        )
        return False
    logger.info("alert emailed to %d recipient(s): %s", len(settings.email_to), alert.subject)
    return True


def _send_webhook(alert: Alert, conn_id: str) -> bool:
    import requests

    from extractors.http import base_url

    connection = _connection(conn_id, "webhook")
    if connection is None:
        return False
    # The connection's host is the webhook URL (scheme and path included).
    url = base_url(connection.host, connection.schema, connection.port)
    try:
        response = requests.post(
            url,
            data=json.dumps(alert.webhook_payload()),
            headers={"Content-Type": "application/json"},
            timeout=15,
        )
        response.raise_for_status()
    except requests.RequestException as exc:
        logger.error("could not post the alert %r to the webhook of connection %s: %s", alert.subject, conn_id, exc)
        return False
    logger.info("alert posted to the webhook of connection %s", conn_id)
    return True


def on_task_failure(context: dict[str, Any]) -> None:
    """The DAGs' failure callback: one alert per failed task (after its retries)."""
    from core.paths import data_paths
    from expectations.runner import QualityGateError
    from sources.config import load_config

    ti = context.get("ti") or context.get("task_instance")
    exception = context.get("exception")
    summaries = exception.summaries if isinstance(exception, QualityGateError) else []
    first_line = str(exception).splitlines()[0] if exception else "the task failed"
    alert = Alert(
        severity="critical" if summaries else "failure",
        dag_id=getattr(ti, "dag_id", "?"),
        task_id=getattr(ti, "task_id", "?"),
        run_id=context.get("run_id") or getattr(ti, "run_id", "?"),
        headline=first_line[:200],
        summaries=summaries,
        detail=None if summaries else str(exception),
        data_docs=data_paths().data_docs_index.as_uri() if summaries else None,
    )
    try:
        settings = load_config().quality.alerts
    except Exception as exc:
        logger.error("no alert sent for %s: the configuration could not be read: %s", alert.subject, exc)
        return
    send(alert, settings)
