"""Validate data against a suite, keep the results in a file data context under the data folder,
and re-render the Data Docs.

DuckDB data is validated as pandas dataframes: GX's SQL datasource returns empty metric results on
DuckDB (IndexError in resolve_metric_bundle, GX 1.24 with duckdb-engine), while a dataframe read
from a read-only connection validates quickly."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa

from core import storage
from core.landing import partition_files
from core.paths import DataPaths
from core.severity import CRITICAL, WARNING

if TYPE_CHECKING:
    from warehouse import Warehouse

logger = logging.getLogger(__name__)

# GX phones home on start unless told not to; this machine and CI have no network for it.
os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
# Importing GX logs some 200 INFO lines ("Skipping registering function ...", from
# great_expectations._docs_decorators), which made up most of a gate's task log. They are written
# at import, so the level is set here, before anything imports GX: both gates import this module
# first. GX's warnings and errors still reach the log.
logging.getLogger("great_expectations").setLevel(logging.WARNING)


# Enough keys of failing rows to quarantine every failing partition of a day.
KEYS_LISTED = 1000


class QualityGateError(RuntimeError):
    """A critical expectation failed: the data must not be published. `summaries` are the
    validations of the gate, for the alert."""

    def __init__(self, message: str, summaries: list[ValidationSummary] | None = None) -> None:
        super().__init__(message)
        self.summaries = summaries or []


@dataclass
class ExpectationOutcome:
    """One expectation of one validation, passed or failed (a row of quality_results)."""

    expectation: str
    column: str | None
    severity: str
    success: bool
    unexpected_count: int | None = None
    unexpected_percent: float | None = None
    sample: list = field(default_factory=list)
    observed: object = None
    # For frames with a `key` column: the keys of the failing rows (which partition, which post).
    keys: list[str] = field(default_factory=list)

    def describe(self) -> str:
        where = f" on {self.column}" if self.column else ""
        counts = f", {self.unexpected_count} unexpected" if self.unexpected_count is not None else ""
        shown = self.keys or self.sample
        sample = f", e.g. {shown[:5]}" if shown else ""
        observed = f", observed {self.observed}" if self.observed is not None and not self.sample else ""
        return f"[{self.severity}] {self.expectation}{where}{counts}{sample}{observed}"


@dataclass
class ValidationSummary:
    suite: str
    data_name: str
    rows: int
    evaluated: int
    outcomes: list[ExpectationOutcome] = field(default_factory=list)
    docs_url: str | None = None
    validated_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    seconds: float = 0.0

    @property
    def failures(self) -> list[ExpectationOutcome]:
        return [o for o in self.outcomes if not o.success]

    @property
    def critical_failures(self) -> list[ExpectationOutcome]:
        return [f for f in self.failures if f.severity == CRITICAL]

    @property
    def warnings(self) -> list[ExpectationOutcome]:
        return [f for f in self.failures if f.severity == WARNING]

    @property
    def verdict(self) -> str:
        return "failed" if self.critical_failures else ("warning" if self.failures else "passed")

    def describe(self) -> str:
        verdict = {"failed": "FAILED", "warning": "passed with warnings", "passed": "passed"}[self.verdict]
        lines = [f"{self.suite} on {self.data_name} ({self.rows} rows, {self.evaluated} expectations): {verdict}"]
        lines += [f"  - {failure.describe()}" for failure in self.failures]
        if self.failures and self.docs_url:
            lines.append(f"  Data Docs: {self.docs_url}")
        return "\n".join(lines)


def _columns_of(kwargs: dict) -> str | None:
    names = [kwargs.get("column"), *(kwargs.get("column_list") or []), kwargs.get("column_A"), kwargs.get("column_B")]
    return ",".join(name for name in names if name) or None


def _plain(value: object) -> str:
    """A sample value as a person reads it: (8, 9), not (np.int64(8), np.int64(9))."""
    if isinstance(value, (tuple, list)):
        return "(" + ", ".join(_plain(v) for v in value) + ")"
    return str(value.item() if hasattr(value, "item") else value)


def _dataframe_for_validation(table: pa.Table):
    """Decimals become floats (GX's pandas metrics expect numbers); dates stay `datetime.date`
    objects, which compare with the suites' date bounds (ISO strings would not: GX 1.x no longer
    parses strings as dates)."""
    columns = {}
    for name, column in zip(table.column_names, table.columns, strict=True):
        if pa.types.is_decimal(column.type):
            column = column.cast(pa.float64())
        columns[name] = column
    return pa.table(columns).to_pandas()


class Validator:
    """One GX file context under `<data>/gx`, reused for every validation of a run."""

    def __init__(self, paths: DataPaths):
        import great_expectations as gx

        paths.root.mkdir(parents=True, exist_ok=True)
        self._gx = gx
        self.paths = paths
        self.context = gx.get_context(mode="file", project_root_dir=str(paths.root))
        # Progress bars would flood the task logs with carriage-return noise.
        progress_bars = self.context.variables.progress_bars
        if progress_bars is None or dict(progress_bars).get("globally", True):
            from great_expectations.data_context.types.base import ProgressBarsConfig

            self.context.variables.progress_bars = ProgressBarsConfig(globally=False)
            self.context.variables.save()
        self.datasource = self.context.data_sources.add_or_update_pandas("pipeline")

    def validate(self, suite, dataframe, data_name: str) -> ValidationSummary:
        """Run `suite` on `dataframe`; a frame with a `key` column reports the keys of failing rows."""
        gx = self._gx
        from great_expectations.checkpoint import UpdateDataDocsAction

        started = time.monotonic()
        asset_name = suite.name
        try:
            asset = self.datasource.get_asset(asset_name)
        except LookupError:
            asset = self.datasource.add_dataframe_asset(name=asset_name)
        try:
            batch_definition = asset.get_batch_definition("whole")
        except KeyError:
            batch_definition = asset.add_batch_definition_whole_dataframe("whole")
        suite = self.context.suites.add_or_update(suite)
        definition = self.context.validation_definitions.add_or_update(
            gx.ValidationDefinition(name=suite.name, data=batch_definition, suite=suite)
        )
        keyed = "key" in dataframe.columns
        result_format = {"result_format": "SUMMARY", "partial_unexpected_count": KEYS_LISTED if keyed else 10}
        if keyed:
            result_format["unexpected_index_column_names"] = ["key"]
        checkpoint = self.context.checkpoints.add_or_update(
            gx.Checkpoint(
                name=suite.name,
                validation_definitions=[definition],
                actions=[UpdateDataDocsAction(name="update_data_docs")],
                result_format=result_format,
            )
        )
        result = checkpoint.run(batch_parameters={"dataframe": dataframe}, run_id=None)
        identifier, validation = next(iter(result.run_results.items()))
        summary = ValidationSummary(
            suite=suite.name,
            data_name=data_name,
            rows=len(dataframe),
            evaluated=len(validation.results),
            docs_url=self._docs_url(identifier),
        )
        for outcome in validation.results:
            config = outcome.expectation_config
            details = outcome.result or {}
            summary.outcomes.append(
                ExpectationOutcome(
                    expectation=config.type,
                    column=_columns_of(config.kwargs),
                    severity=(config.meta or {}).get("severity", CRITICAL),
                    success=bool(outcome.success),
                    unexpected_count=details.get("unexpected_count"),
                    unexpected_percent=details.get("unexpected_percent"),
                    sample=[_plain(v) for v in details.get("partial_unexpected_list", []) or []],
                    observed=details.get("observed_value"),
                    keys=[str(row["key"]) for row in details.get("partial_unexpected_index_list") or []]
                    if keyed and not outcome.success
                    else [],
                )
            )
        summary.seconds = time.monotonic() - started
        log = logger.error if summary.critical_failures else (logger.warning if summary.failures else logger.info)
        log("%s", summary.describe())
        return summary

    def _docs_url(self, identifier) -> str | None:
        try:
            sites = self.context.get_docs_sites_urls(resource_identifier=identifier)
        except Exception:  # the page link is a convenience; a validation never fails for it
            logger.debug("no Data Docs page for %s", identifier, exc_info=True)
            return None
        return next((site["site_url"] for site in sites if site.get("site_url")), None)


def validate_landing_partition(
    validator: Validator, source: str, entity: str, day: date, suite_factory: Callable[[date], object]
) -> ValidationSummary:
    """Validate every file of one landing partition (all accounts of the day) together."""
    files = partition_files(source, entity, day, validator.paths.landing)
    if not files:
        raise QualityGateError(
            f"landing gate: no partition landed for {source}/{entity} on {day} "
            f"(expected files under {validator.paths.landing / source / entity / f'date={day}'}); "
            "did the extract task for this day succeed?"
        )
    tables = [storage.read_table(path) for path in files]
    # One account's file missing a column must fail the column check, not be filled with NULLs by
    # the concatenation: validate the columns every file has.
    common = [name for name in tables[0].column_names if all(name in t.column_names for t in tables[1:])]
    table = pa.concat_tables([t.select(common) for t in tables], promote_options="default")
    return validator.validate(
        suite_factory(day), _dataframe_for_validation(table), data_name=f"{source}/{entity}/date={day}"
    )


def validate_warehouse_table(validator: Validator, where: Warehouse, table: str, suite) -> ValidationSummary:
    """Validate a table of a built warehouse."""
    return validator.validate(
        suite, _dataframe_for_validation(where.read_table(table)), data_name=f"{where.name}:{table}"
    )


def raise_on_critical(gate: str, summaries: list[ValidationSummary], data_docs: Path) -> None:
    failed = [s for s in summaries if s.critical_failures]
    if failed:
        details = "\n".join(s.describe() for s in failed)
        raise QualityGateError(
            f"{gate}: {len(failed)} suite(s) failed critical expectations; the warehouse is not published.\n"
            f"{details}\nSee the Data Docs: {data_docs}",
            summaries,
        )
