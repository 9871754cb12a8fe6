"""The `report_deliveries` record: which report was sent for which period, when, how and where.

The published warehouse is rebuilt every night and reports only read it, so the record lives in
the landing zone the report DAG writes: one Parquet file per delivery under
`<landing>/pipeline/report_deliveries/date=<delivery day>/<report>.<period>.<time>.parquet`, written
atomically by `core.landing.write_partition` (with the lineage columns `_extracted_at` and
`_run_id`). A period counts as done once it has a row with status `sent` or `skipped_no_data`.
Recipients are counted, never listed: the record is meant to be read by BI tools."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from core import storage
from core.contract import REPORT_DELIVERIES
from core.landing import RunContext, write_partition
from reports.periods import ReportPeriod

if TYPE_CHECKING:
    from airflow.sdk import ObjectStoragePath

    from core.landing import Root

SOURCE = "pipeline"
ENTITY = "report_deliveries"
SENT = "sent"
SKIPPED_NO_DATA = "skipped_no_data"


@dataclass(frozen=True)
class Delivery:
    report_name: str
    period_start: date
    period_end: date
    status: str
    trigger: str
    delivered_at: datetime
    message_id: str | None


def record_delivery(
    report: str,
    period: ReportPeriod,
    status: str,
    trigger: str,
    formats: list[str],
    files: int,
    recipients: int,
    targets: list[str],
    message_id: str | None,
    run_id: str,
    tz: ZoneInfo,
    landing_root: Root,
) -> ObjectStoragePath:
    """Land one delivery row; the partition is the delivery day in the organisation's timezone."""
    now = datetime.now(UTC)
    row = {
        "report_name": report,
        "period_start": period.start,
        "period_end": period.end,
        "period_unit": period.unit,
        "status": status,
        "trigger": trigger,
        "formats": ",".join(formats),
        "files": files,
        "recipients": recipients,
        "targets": "; ".join(targets),
        "message_id": message_id,
        "delivered_at": now,
    }
    part = f"{report}.{period.key}.{now:%Y%m%dT%H%M%S%f}"
    ctx = RunContext(now.astimezone(tz).date(), run_id, now)
    return write_partition(SOURCE, ENTITY, part, [row], REPORT_DELIVERIES, ctx, landing_root)


def deliveries(landing_root: Root, report: str | None = None) -> list[Delivery]:
    """Every recorded delivery (of one report), oldest first."""
    folder = storage.location(landing_root) / SOURCE / ENTITY
    prefix = f"{report}." if report else ""
    out = []
    for path in sorted(folder.glob(f"date=*/{prefix}*.parquet"), key=str):
        for row in storage.read_table(path).to_pylist():
            if report is None or row["report_name"] == report:
                out.append(
                    Delivery(
                        row["report_name"],
                        row["period_start"],
                        row["period_end"],
                        row["status"],
                        row["trigger"],
                        row["delivered_at"],
                        row["message_id"],
                    )
                )
    return sorted(out, key=lambda delivery: delivery.delivered_at)


def done(landing_root: Root, report: str, period: ReportPeriod) -> Delivery | None:
    """The first delivery that settled this report's period (sent, or skipped for lack of data)."""
    for delivery in deliveries(landing_root, report):
        if (delivery.period_start, delivery.period_end) == (period.start, period.end):
            return delivery
    return None
