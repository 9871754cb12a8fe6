"""Validate data against a suite, keep the results in a file data context under the data folder,
and re-render the Data Docs.

DuckDB data is validated as pandas dataframes: GX's SQL datasource returns empty metric results on
DuckDB (IndexError in resolve_metric_bundle, GX 1.24 with duckdb-engine), while a dataframe read
from a read-only connection validates quickly."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from expectations.severity import CRITICAL, WARNING
from pipeline.landing import partition_files
from pipeline.paths import DataPaths

logger = logging.getLogger(__name__)

# GX phones home on start unless told not to; this machine and CI have no network for it.
os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")


class QualityGateError(RuntimeError):
    """A critical expectation failed: the data must not be published."""


@dataclass
class FailedExpectation:
    expectation: str
    column: str | None
    severity: str
    unexpected_count: int | None
    sample: list
    observed: object = None

    def describe(self) -> str:
        where = f" on {self.column}" if self.column else ""
        counts = f", {self.unexpected_count} unexpected" if self.unexpected_count is not None else ""
        sample = f", e.g. {self.sample[:5]}" if self.sample else ""
        observed = f", observed {self.observed}" if self.observed is not None and not self.sample else ""
        return f"[{self.severity}] {self.expectation}{where}{counts}{sample}{observed}"


@dataclass
class ValidationSummary:
    suite: str
    data_name: str
    rows: int
    evaluated: int
    failures: list[FailedExpectation] = field(default_factory=list)

    @property
    def critical_failures(self) -> list[FailedExpectation]:
        return [f for f in self.failures if f.severity == CRITICAL]

    @property
    def warnings(self) -> list[FailedExpectation]:
        return [f for f in self.failures if f.severity == WARNING]

    def describe(self) -> str:
        verdict = "FAILED" if self.critical_failures else ("passed with warnings" if self.failures else "passed")
        lines = [f"{self.suite} on {self.data_name} ({self.rows} rows, {self.evaluated} expectations): {verdict}"]
        lines += [f"  - {failure.describe()}" for failure in self.failures]
        return "\n".join(lines)


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

        logging.getLogger("great_expectations").setLevel(logging.WARNING)
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
        gx = self._gx
        from great_expectations.checkpoint import UpdateDataDocsAction

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
        checkpoint = self.context.checkpoints.add_or_update(
            gx.Checkpoint(
                name=suite.name,
                validation_definitions=[definition],
                actions=[UpdateDataDocsAction(name="update_data_docs")],
                result_format={"result_format": "SUMMARY", "partial_unexpected_count": 10},
            )
        )
        result = checkpoint.run(batch_parameters={"dataframe": dataframe}, run_id=None)
        validation = next(iter(result.run_results.values()))
        summary = ValidationSummary(
            suite=suite.name, data_name=data_name, rows=len(dataframe), evaluated=len(validation.results)
        )
        for outcome in validation.results:
            if outcome.success:
                continue
            config = outcome.expectation_config
            details = outcome.result or {}
            summary.failures.append(
                FailedExpectation(
                    expectation=config.type,
                    column=config.kwargs.get("column") or ",".join(config.kwargs.get("column_list", []) or []) or None,
                    severity=(config.meta or {}).get("severity", CRITICAL),
                    unexpected_count=details.get("unexpected_count"),
                    sample=[str(v) for v in details.get("partial_unexpected_list", [])],
                    observed=details.get("observed_value"),
                )
            )
        log = logger.error if summary.critical_failures else (logger.warning if summary.failures else logger.info)
        log("%s", summary.describe())
        return summary


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
    table = pa.concat_tables([pq.read_table(path) for path in files], promote_options="default")
    return validator.validate(
        suite_factory(day), _dataframe_for_validation(table), data_name=f"{source}/{entity}/date={day}"
    )


def validate_warehouse_table(validator: Validator, warehouse: Path, table: str, suite) -> ValidationSummary:
    import duckdb

    with duckdb.connect(str(warehouse), read_only=True) as connection:
        arrow_table = connection.sql(f'select * from "{table}"').arrow()
    if isinstance(arrow_table, pa.RecordBatchReader):
        arrow_table = arrow_table.read_all()
    return validator.validate(suite, _dataframe_for_validation(arrow_table), data_name=f"{warehouse.name}:{table}")


def raise_on_critical(gate: str, summaries: list[ValidationSummary], data_docs: Path) -> None:
    failed = [s for s in summaries if s.critical_failures]
    if failed:
        details = "\n".join(s.describe() for s in failed)
        raise QualityGateError(
            f"{gate}: {len(failed)} suite(s) failed critical expectations; the warehouse is not published.\n"
            f"{details}\nSee the Data Docs: {data_docs}"
        )
