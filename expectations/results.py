"""quality_results: every gate run's validations, landed as Parquet (one file per gate run under
landing/pipeline/quality_results/), so the warehouse rebuilt each night keeps the whole history."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from core import storage
from core.contract import QUALITY_RESULTS
from core.landing import RunContext, partition_dir, write_partition
from expectations.runner import ValidationSummary

if TYPE_CHECKING:
    from airflow.sdk import ObjectStoragePath

    from core.landing import Root
    from warehouse import Warehouse

SOURCE = "pipeline"
ENTITY = "quality_results"


def rows_for(summaries: list[ValidationSummary], gate: str, ctx: RunContext) -> list[dict]:
    return [
        {
            "run_id": ctx.run_id,
            "gate": gate,
            "partition_date": ctx.partition_date,
            "validated_at": summary.validated_at,
            "suite": summary.suite,
            "data_name": summary.data_name,
            "rows": summary.rows,
            "verdict": summary.verdict,
            "expectation": outcome.expectation,
            "column_name": outcome.column,
            "severity": outcome.severity,
            "success": outcome.success,
            "unexpected_count": outcome.unexpected_count,
            "unexpected_percent": outcome.unexpected_percent,
            "sample": json.dumps((outcome.keys or outcome.sample)[:20]) if not outcome.success else None,
            "observed": None if outcome.observed is None else str(outcome.observed)[:1000],
            "docs_url": summary.docs_url,
            "seconds": summary.seconds,
        }
        for summary in summaries
        for outcome in summary.outcomes
    ]


def record(summaries: list[ValidationSummary], gate: str, ctx: RunContext, landing_root: Root) -> ObjectStoragePath:
    """Land one gate run's results (a new file per run: reruns add history, never replace it)."""
    part = f"{gate}__{ctx.extracted_at:%Y%m%dT%H%M%S%f}"
    # Each gate run writes a new name, so a killed run's temporary is never swept by a rewrite of
    # the same file: sweep this gate's for the day. One gate of a kind validates a day at a time
    # (it follows that day's extractions), so no live writer's temporary is among them.
    storage.remove_temporaries(partition_dir(SOURCE, ENTITY, ctx.partition_date, landing_root), f"{gate}__*.parquet")
    return write_partition(SOURCE, ENTITY, part, rows_for(summaries, gate, ctx), QUALITY_RESULTS, ctx, landing_root)


def append_to_warehouse(where: Warehouse, results_file: ObjectStoragePath) -> None:
    """Add a gate run's results to the quality_results table of a built (not yet published)
    warehouse. The lineage columns stay in the landing zone."""
    results = storage.read_table(results_file)
    where.append_rows("quality_results", results.drop_columns(["_extracted_at", "_run_id"]))
