"""The report DAG's schedule: every report definition's cron in the organisation's timezone, or the
published warehouse, whichever comes first. The cron run sends what is due when the warehouse
already covers the period; when the nightly publish is late, the run its Asset triggers sends it.
Runs that find nothing due (already sent, or the warehouse not there yet) do nothing."""

from __future__ import annotations

from airflow.sdk import Asset, AssetOrTimeSchedule, MultipleCronTriggerTimetable

from sources.config import PipelineConfig


def report_crons(config: PipelineConfig) -> list[str]:
    return sorted({report.schedule for report in config.reports})


def report_schedule(config: PipelineConfig, warehouse: Asset) -> AssetOrTimeSchedule | list[Asset]:
    crons = report_crons(config)
    if not crons:
        return [warehouse]
    timetable = MultipleCronTriggerTimetable(*crons, timezone=config.organisation.timezone)
    return AssetOrTimeSchedule(timetable=timetable, assets=[warehouse])
