"""The stages of a nightly run the benchmarks time: the DAG's tasks grouped by what they do, and
the wall time of each in one run, however the run was executed (LocalExecutor or Celery)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sources import API_SOURCES, INBOX_SOURCES

STAGES = {
    "extract": tuple(f"extract_{s.name}" for s in (*API_SOURCES, *INBOX_SOURCES)),
    "landing gate": ("landing_gate",),
    "dbt build": ("build_warehouse",),
    "mart gate": ("mart_gate",),
    "publish": ("publish",),
}


def stage_seconds(task_spans: Iterable[tuple[str, str | None, str | None]]) -> dict[str, float]:
    """Seconds of each stage, first task start to last task end (mapped tasks overlap), from the
    run's (task id, start, end) in ISO format; a task that did not start or end counts for none."""
    spans = [
        (task_id, datetime.fromisoformat(start), datetime.fromisoformat(end))
        for task_id, start, end in task_spans
        if start and end
    ]
    out = {}
    for stage, task_ids in STAGES.items():
        ran = [(start, end) for task_id, start, end in spans if task_id in task_ids]
        if ran:
            out[stage] = round((max(end for _, end in ran) - min(start for start, _ in ran)).total_seconds(), 1)
    return out
