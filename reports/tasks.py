"""What each task of the report DAG does (`dags/report_exports.py` only wires these together). Each
function takes plain values, so it runs and is tested without Airflow.

- `plan`: for each definition, the period its schedule last fired for; due when it has not been
  sent yet (or a resend is asked for) and the published warehouse covers its last day. A period
  without data for the filter is recorded as skipped when the definition says "skip if no data".
- `build`: the files of one due report.
- `deliver`: copies, email, then the `report_deliveries` row."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from core.paths import DataPaths, data_paths
from core.settings import EmailTarget, ReportDefinition
from nightly.dag_defaults import RunRequestError, fail_fast
from reports.periods import ReportPeriod, due_period, period_starting
from sources.config import PipelineConfig, load_config

logger = logging.getLogger(__name__)

SCHEDULED = "scheduled"
RESEND = "resend"


class ReportRequestError(RunRequestError):
    """The DAG params name a report or period that does not exist: retrying will not help."""


def reports_root(paths: DataPaths) -> Path:
    return paths.root / "reports"


def definition_named(config: PipelineConfig, name: str) -> ReportDefinition:
    for definition in config.reports:
        if definition.name == name:
            return definition
    known = ", ".join(d.name for d in config.reports) or "none configured"
    raise ReportRequestError(f"no report named {name!r} in the configuration's reports (known: {known})")


@dataclass(frozen=True)
class ReportRequest:
    """What a run's params ask for. `report` None = every report; `period_start` None = the period
    each schedule last fired for. The trigger form sends an empty field as None (its default), the
    CLI's `--conf` may send "": both mean the scheduled default."""

    resend: bool = False
    report: str | None = None
    period_start: str | None = None

    @classmethod
    def from_params(cls, params: Mapping | None) -> ReportRequest:
        params = params or {}

        def text(name: str) -> str | None:
            value = params.get(name)
            return None if value is None else (str(value).strip() or None)

        return cls(bool(params.get("resend")), text("report"), text("period_start"))


def _requested_period(definition: ReportDefinition, period_start: str) -> ReportPeriod:
    try:
        day = date.fromisoformat(period_start)
    except ValueError:
        raise ReportRequestError(f"period_start {period_start!r} is not a date (YYYY-MM-DD)") from None
    return period_starting(day, definition.period.unit, definition.period.count)


@fail_fast
def plan(
    as_of: datetime,
    params: Mapping | None = None,
    run_id: str = "manual",
    paths: DataPaths | None = None,
    config: PipelineConfig | None = None,
) -> list[dict]:
    """The reports to build and deliver in this run, as jobs for `build`.

    as_of: the instant the run stands for; the period is the one each schedule last fired for at it.
    params: `report` (one definition's name; None or empty = all), `resend` (send even if the
    period was sent), `period_start` (a day inside the period to send; None or empty = the period
    the schedule last fired for): see `ReportRequest`."""
    from reports.deliveries import SKIPPED_NO_DATA, done, record_delivery
    from reports.queries import data_range, period_totals
    from warehouse import WarehouseMissingError
    from warehouse.targets import warehouses

    config = config or load_config()
    paths = paths or data_paths()
    request = ReportRequest.from_params(params)
    resend = request.resend
    definitions = [definition_named(config, request.report)] if request.report else config.reports
    tz = config.organisation.tz
    published = warehouses(paths).published
    try:
        _, data_through = data_range(published)
    except WarehouseMissingError as exc:
        logger.warning("no report is due yet: %s", exc)
        return []

    jobs = []
    for definition in definitions:
        if request.period_start:
            period = _requested_period(definition, request.period_start)
        else:
            fired, period = due_period(definition.schedule, definition.period.unit, definition.period.count, as_of, tz)
            logger.info("report %s: schedule last fired %s, for %s", definition.name, fired.isoformat(), period.label)
        settled = done(paths.landing, definition.name, period)
        if settled and not resend:
            logger.info(
                "report %s for %s: already %s on %s; resend with params {resend: true, report: %s}",
                definition.name,
                period.label,
                settled.status.replace("_", " "),
                settled.delivered_at.isoformat(timespec="minutes"),
                definition.name,
            )
            continue
        if data_through is None or data_through < period.end:
            logger.info(
                "report %s for %s: waiting, the published warehouse has data through %s; "
                "the run after the next publish sends it",
                definition.name,
                period.label,
                data_through,
            )
            continue
        if definition.skip_if_no_data and not period_totals(published, period, definition.filter).has_activity:
            logger.info(
                "report %s for %s: no data for its filter, skipped (skip_if_no_data)", definition.name, period.label
            )
            record_delivery(
                definition.name,
                period,
                SKIPPED_NO_DATA,
                RESEND if resend else SCHEDULED,
                list(definition.formats),
                0,
                0,
                [],
                None,
                run_id,
                tz,
                paths.landing,
            )
            continue
        jobs.append({"report": definition.name, "period": period.as_dict(), "trigger": RESEND if resend else SCHEDULED})
    logger.info("%d report(s) due in this run", len(jobs))
    return jobs


@fail_fast
def build(job: Mapping, paths: DataPaths | None = None, config: PipelineConfig | None = None) -> dict:
    from reports.build import build_report
    from warehouse.targets import warehouses

    config = config or load_config()
    paths = paths or data_paths()
    definition = definition_named(config, job["report"])
    built = build_report(
        definition, ReportPeriod.from_dict(job["period"]), warehouses(paths).published, reports_root(paths), config
    )
    return {**built.as_dict(), "trigger": job["trigger"]}


@fail_fast
def deliver(
    built: Mapping, run_id: str = "manual", paths: DataPaths | None = None, config: PipelineConfig | None = None
) -> dict:
    from reports.deliveries import SENT, record_delivery
    from reports.delivery import deliver_files

    config = config or load_config()
    paths = paths or data_paths()
    definition = definition_named(config, built["report"])
    period = ReportPeriod.from_dict(built["period"])
    files = [Path(path) for path in built["files"]]
    places, message_id = deliver_files(definition, period, files, built["headline"], built["trigger"], paths)
    emailed = any(isinstance(target, EmailTarget) for target in definition.targets)
    record = record_delivery(
        definition.name,
        period,
        SENT,
        built["trigger"],
        list(definition.formats),
        len(files),
        len(definition.recipients) if emailed else 0,
        places,
        message_id,
        run_id,
        config.organisation.tz,
        paths.landing,
    )
    logger.info(
        "report %s for %s delivered (%s); recorded in %s", definition.name, period.label, ", ".join(places), record
    )
    return {"report": definition.name, "period": period.label, "targets": places, "files": len(files)}
