"""Delivering a built report: copies to folders and object storage first (a rerun overwrites them),
then the email, then the `report_deliveries` row. A failed send raises before anything is
recorded, so the task's retry sends again and the period is recorded once, when it went out.

Email goes through Airflow's SMTP provider (`SmtpHook`, the email target's connection, by default
`smtp_default`): a short HTML body with the headline figures, and the files attached. Recipients
appear in no log line and no error message, only their number."""

from __future__ import annotations

import html
import logging
import re
import smtplib
from email.utils import make_msgid
from pathlib import Path

from core.paths import DataPaths
from core.settings import EmailTarget, FolderTarget, ObjectStorageTarget, ReportDefinition
from reports.periods import ReportPeriod

logger = logging.getLogger(__name__)
_ADDRESS = re.compile(r"[^\s<>@,;:\"']+@[^\s<>@,;:\"']+")
GOOD, BAD, MUTED = "#1E7B34", "#B3261E", "#6B6B6B"


class ReportDeliveryError(RuntimeError):
    """A delivery failed; nothing was recorded, so a retry delivers again."""


def _redact(text: str) -> str:
    return _ADDRESS.sub("<address>", text)


def email_subject(headline: dict, trigger: str) -> str:
    subject = f"{headline['title']}: {headline['period']}"
    return subject + " (resent)" if trigger == "resend" else subject


def email_html(headline: dict, files: list[Path]) -> str:
    """The email body: what the report covers, the KPI figures with their change, freshness."""
    e = html.escape
    compared = f", compared with {e(headline['previous'])}" if headline["previous"] else ""
    rows = "".join(
        f"<tr><td style='padding:3px 14px 3px 0;color:{MUTED}'>{e(kpi['label'])}</td>"
        f"<td style='padding:3px 14px 3px 0;font-weight:bold;text-align:right'>{e(kpi['value'])}</td>"
        f"<td style='padding:3px 0;color:{ {1: GOOD, -1: BAD}.get(kpi['direction'], MUTED) }'>{e(kpi['change'])}</td></tr>"
        for kpi in headline["kpis"]
    )
    attached = ", ".join(e(path.name) for path in files)
    freshness_colour = BAD if headline["stale_sources"] else MUTED
    return (
        "<div style='font-family:Segoe UI,Helvetica,Arial,sans-serif;font-size:14px;color:#222'>"
        f"<p style='margin:0;color:{MUTED}'>{e(headline['organisation'])}</p>"
        f"<h2 style='margin:4px 0 6px'>{e(headline['title'])}</h2>"
        f"<p style='margin:0 0 12px'>{e(headline['period'])}{compared} &middot; {e(headline['filter'])}</p>"
        f"<table style='border-collapse:collapse'>{rows}</table>"
        f"<p style='margin:12px 0 4px;color:{freshness_colour}'>{e(headline['freshness'])}</p>"
        f"<p style='margin:4px 0;color:{MUTED};font-size:12px'>Attached: {attached}. The PDF is the snapshot; the "
        "workbook and the CSV files hold the rows behind it.</p></div>"
    )


def send_email(
    target: EmailTarget, recipients: list[str], subject: str, body: str, files: list[Path], report: str
) -> str:
    """Send through the target's SMTP connection; return the Message-ID. Errors name the report and
    the connection, never an address."""
    from airflow.providers.smtp.hooks.smtp import SmtpHook

    what = f"emailing report {report} to {len(recipients)} recipient(s) through connection {target.conn_id}"
    try:
        with SmtpHook(smtp_conn_id=target.conn_id) as hook:
            domain = (hook.from_email or "localhost").rpartition("@")[2] or "localhost"
            message_id = make_msgid(idstring=report, domain=domain)
            hook.send_email_smtp(
                to=recipients,
                subject=subject,
                html_content=body,
                files=[str(path) for path in files],
                custom_headers={"Message-ID": message_id},
            )
    except smtplib.SMTPRecipientsRefused as exc:
        raise ReportDeliveryError(f"{what} failed: the server refused all {len(exc.recipients)} recipient(s)") from None
    except smtplib.SMTPResponseException as exc:
        reason = exc.smtp_error.decode(errors="replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
        raise ReportDeliveryError(f"{what} failed: SMTP {exc.smtp_code} {_redact(reason)}") from None
    except Exception as exc:  # connection refused, timeouts, a missing connection: all retryable
        # `from None`: the original message may hold addresses (SMTPRecipientsRefused, SMTPSenderRefused).
        raise ReportDeliveryError(f"{what} failed: {type(exc).__name__}: {_redact(str(exc))}") from None
    logger.info("emailed report %s to %d recipient(s) (%d file(s) attached)", report, len(recipients), len(files))
    return message_id


def copy_files(files: list[Path], destination) -> str:
    """Copy into an ObjectStoragePath folder (local folder or object storage). On a local disk each
    file goes to a temporary name first and is renamed, so readers never see half a file; object
    stores write an object whole."""
    destination.mkdir(parents=True, exist_ok=True)
    local = destination.protocol in ("file", "local", "")
    for path in files:
        target = destination / path.name
        if local:
            tmp = destination / f".{path.name}.tmp"
            tmp.write_bytes(path.read_bytes())
            tmp.rename(target)
        else:
            target.write_bytes(path.read_bytes())
    logger.info("copied %d file(s) to %s", len(files), destination)
    return str(destination)


def destination_for(target: FolderTarget | ObjectStorageTarget, paths: DataPaths, report: str, period: ReportPeriod):
    """`<target>/<report>/<period>/` as an ObjectStoragePath; a relative folder is under the data directory."""
    from airflow.sdk import ObjectStoragePath

    if isinstance(target, FolderTarget):
        folder = Path(target.path)
        folder = folder if folder.is_absolute() else paths.root / folder
        base = ObjectStoragePath(folder.resolve().as_uri())
    else:
        base = ObjectStoragePath(target.url, conn_id=target.conn_id)
    return base / report / period.key


def deliver_files(
    definition: ReportDefinition,
    period: ReportPeriod,
    files: list[Path],
    headline: dict,
    trigger: str,
    paths: DataPaths,
) -> tuple[list[str], str | None]:
    """Copy and email; return (where the files went, the email's Message-ID or None)."""
    missing = [str(path) for path in files if not path.exists()]
    if missing:
        raise ReportDeliveryError(f"report {definition.name} for {period.label}: built files are missing: {missing}")
    places: list[str] = []
    for target in definition.targets:
        if isinstance(target, FolderTarget | ObjectStorageTarget):
            places.append(f"{target.type}:{copy_files(files, destination_for(target, paths, definition.name, period))}")
    message_id = None
    for target in definition.targets:
        if isinstance(target, EmailTarget):
            message_id = send_email(
                target,
                definition.recipients,
                email_subject(headline, trigger),
                email_html(headline, files),
                files,
                definition.name,
            )
            places.append(f"email:{target.conn_id}")
    return places, message_id
