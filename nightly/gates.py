"""The two quality gates of the nightly run.

Landing gate (before dbt): every landed partition of the day against its source's suite, then the
checks across partitions (volume, lifetime metrics, zeroed metrics, freshness). A partition with a
critical failure is moved to the quarantine folder with a reason, so no build reads it; after the
fix a rerun of the day lands it again.

Mart gate (after dbt, before publish): every mart's suite and the reconciliation of the marts'
totals with the landing zone and the cost inputs.

Both gates record every validation in quality_results, send a warning alert when they pass with
warnings, and raise QualityGateError on a critical failure (the failure callback alerts then)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from core.landing import RunContext, quarantine_partition
from core.paths import PROJECT_ROOT, DataPaths
from expectations.runner import QualityGateError, ValidationSummary, Validator, raise_on_critical
from nightly import DAG_ID
from sources.config import PipelineConfig

if TYPE_CHECKING:
    from warehouse import Warehouse

logger = logging.getLogger(__name__)

SEEDS = PROJECT_ROOT / "dbt" / "seeds"


@dataclass
class GateOutcome:
    gate: str
    summaries: list[ValidationSummary] = field(default_factory=list)
    quarantined: list[Path] = field(default_factory=list)
    results_file: Path | None = None

    def counts(self) -> dict[str, int]:
        """Failed expectations per suite and data (the task's return value, shown in the UI)."""
        return {f"{s.suite} {s.data_name}": len(s.failures) for s in self.summaries}


def landing_suites(config: PipelineConfig):
    """(source, entity, suite factory) for every entity of every enabled source."""
    from sources import enabled_api_sources, enabled_inbox_sources

    for source in [*enabled_api_sources(config), *enabled_inbox_sources(config)]:
        for entity, factory in source.landing_suites(config).items():
            yield source.name, entity, factory


def expected_partitions(config: PipelineConfig) -> list[tuple[str, str, str]]:
    """(source, entity, part) the run should land for every enabled account and inbox."""
    from sources import LANDING_CONTRACT, enabled_api_sources, enabled_inbox_sources

    expected = [
        (source.name, entity, account.id)
        for source in enabled_api_sources(config)
        for account in source.accounts(config)
        for (name, entity) in LANDING_CONTRACT
        if name == source.name
    ]
    expected += [
        (inbox.name, entity, inbox.part) for inbox in enabled_inbox_sources(config) for entity in inbox.entities
    ]
    return expected


def run_landing_gate(config: PipelineConfig, paths: DataPaths, ctx: RunContext) -> GateOutcome:
    from core.landing import partition_files
    from expectations import history, landing_history
    from expectations.runner import validate_landing_partition
    from sources import enabled_inbox_sources

    day, quality = ctx.partition_date, config.quality
    validator = Validator(paths)
    outcome = GateOutcome("landing")
    # (source, entity) -> reasons, and the parts (account files) refused; None: the whole partition.
    failed: dict[tuple[str, str], list[str]] = {}
    failed_parts: dict[tuple[str, str], set[str] | None] = {}

    def refuse(source: str, entity: str, part: str | None, reason: str) -> None:
        failed.setdefault((source, entity), []).append(reason)
        if part is None or failed_parts.get((source, entity), set()) is None:
            failed_parts[(source, entity)] = None
        else:
            failed_parts.setdefault((source, entity), set()).add(part)

    def validate(suite, frame: pd.DataFrame, data_name: str) -> ValidationSummary:
        summary = validator.validate(suite, frame, data_name)
        outcome.summaries.append(summary)
        for failure in summary.critical_failures:
            for key in failure.keys:
                source, entity, part = history.key_partition(key)
                refuse(source, entity, part, f"{summary.suite} ({failure.expectation} on {failure.column}): {key}")
        return summary

    landed: list[tuple[str, str]] = []
    for source, entity, factory in landing_suites(config):
        if not partition_files(source, entity, day, paths.landing):
            continue  # the freshness check below reports it
        summary = validate_landing_partition(validator, source, entity, day, factory)
        outcome.summaries.append(summary)
        landed.append((source, entity))
        if summary.critical_failures:
            refuse(source, entity, None, summary.describe())
    if not landed:
        raise QualityGateError(
            f"landing gate: nothing landed for {day} (run {ctx.run_id}): no enabled source has a partition "
            f"under {paths.landing}/<source>/<entity>/date={day}/. Every extraction failed or none ran: "
            "check the logs of this run's extract tasks (extract_<source>), fix the cause, then rerun the day."
        )

    snapshots = [
        (inbox.name, entity, inbox.part) for inbox in enabled_inbox_sources(config) for entity in inbox.entities
    ]
    snapshot_entities = {(source, entity) for source, entity, _ in snapshots}
    validate(
        landing_history.volume_suite(quality),
        history.volume_frame(
            [landed_entity for landed_entity in landed if landed_entity not in snapshot_entities],
            day,
            quality.volume,
            paths.landing,
        ),
        f"landing volume on {day}",
    )
    validate(
        landing_history.snapshot_volume_suite(quality),
        history.snapshot_volume_frame(snapshots, day, paths.landing),
        f"inbox snapshots on {day} vs the previous snapshot",
    )
    lifetime = [
        history.lifetime_frame(source, entity, day, paths.landing)
        for source, entity in landed
        if (source, entity) in history.LIFETIME_ENTITIES
    ]
    if lifetime:
        validate(landing_history.lifetime_suite(quality), pd.concat(lifetime), f"lifetime metrics on {day}")
    zeroed = [
        history.zeroed_metrics_frame(source, entity, day, paths.landing, quality.volume.trailing_days)
        for source, entity in landed
    ]
    validate(landing_history.zeroed_metrics_suite(), pd.concat(zeroed), f"metrics reported as zeros on {day}")
    validate(
        landing_history.freshness_suite(quality),
        history.freshness_frame(expected_partitions(config), day, paths.landing),
        f"partitions expected on {day}",
    )

    for (source, entity), reasons in sorted(failed.items()):
        parts = failed_parts[(source, entity)]
        what = f"{source}/{entity}" + (f" (files {', '.join(f'{p}.parquet' for p in sorted(parts))})" if parts else "")
        reason = (
            f"The landing gate of run {ctx.run_id} refused {what} for {day}:\n"
            + "\n".join(reasons)
            + f"\nData Docs: {paths.data_docs_index}\n"
            "Fix the cause (a platform change, a bad file, a bug), then rerun the day: it lands again."
        )
        moved = quarantine_partition(source, entity, day, reason, paths.landing, paths.landing_quarantine, parts)
        if moved is not None:
            logger.error("quarantined %s for %s to %s", what, day, moved)
            outcome.quarantined.append(moved)
    return outcome


def run_mart_gate(config: PipelineConfig, paths: DataPaths, built: Warehouse) -> GateOutcome:
    """Validate every mart of tonight's build (see warehouse.targets) and reconcile its totals
    with the inputs."""
    from expectations import marts
    from expectations.reconciliation import expected_totals, mart_totals
    from expectations.runner import validate_warehouse_table

    validator = Validator(paths)
    outcome = GateOutcome("mart")
    for table, factory in marts.SUITES.items():
        outcome.summaries.append(validate_warehouse_table(validator, built, table, factory(config.quality)))
    # The build reports on its calendar, which ends on the run date dbt was given: a rerun of a
    # past day reconciles up to that day, whatever later nights landed.
    first, last, reported = mart_totals(built)
    expected = expected_totals(
        paths.local_landing(),
        SEEDS,
        first,
        last,
        config.organisation.timezone,
        config.sources.employee_advocacy.minutes_per_share,
    )
    frame = pd.DataFrame(
        [
            {
                "key": f"{measure} {first}..{last}: the marts report {reported[measure]:,} and the inputs "
                f"add up to {expected[measure]:,} (difference {reported[measure] - expected[measure]:+,})",
                "expected": float(expected[measure]),
                "reported": float(reported[measure]),
                "difference": float(reported[measure] - expected[measure]),
            }
            for measure in expected
        ]
    )
    outcome.summaries.append(
        validator.validate(marts.reconciliation_suite(config.quality), frame, f"mart totals vs inputs {first}..{last}")
    )
    outcome.summaries.append(
        validator.validate(
            marts.advocacy_sessions_suite(config.quality),
            marts.advocacy_clicks_and_sessions(built.read_table),
            "advocacy clicks vs the sessions their links brought",
        )
    )
    least = config.sources.employee_advocacy.min_team_advocates
    outcome.summaries.append(
        validator.validate(
            marts.small_groups_suite(least),
            marts.people_described(built.read_table),
            f"advocacy rows describing fewer than {least} people",
        )
    )
    return outcome


def finish(outcome: GateOutcome, config: PipelineConfig, paths: DataPaths, ctx: RunContext, task_id: str) -> None:
    """Record the gate's validations, alert on warnings, raise on critical failures."""
    from expectations.results import record
    from nightly.alerts import Alert, send

    outcome.results_file = record(outcome.summaries, outcome.gate, ctx, paths.landing)
    gate = f"{outcome.gate} gate"
    try:
        raise_on_critical(gate, outcome.summaries, paths.data_docs_index)
    except QualityGateError as exc:
        if outcome.quarantined:
            raise QualityGateError(
                f"{exc}\nQuarantined: {', '.join(str(p) for p in outcome.quarantined)}", exc.summaries
            ) from exc
        raise
    warned = [s for s in outcome.summaries if s.warnings]
    if warned:
        send(
            Alert(
                severity="warning",
                dag_id=DAG_ID,
                task_id=task_id,
                run_id=ctx.run_id,
                headline=f"{gate} passed with warnings in {len(warned)} validation(s); the warehouse is published",
                summaries=warned,
                data_docs=paths.data_docs_index.as_uri(),
            ),
            config.quality.alerts,
        )
