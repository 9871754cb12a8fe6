"""One report's files for one period: `data/reports/<report>/<period start>_<period end>/`.

Each file is written to a hidden temporary name in that folder and renamed into place, so a
delivery never picks up a half-written file and a rebuild replaces the previous one."""

from __future__ import annotations

import logging
import os
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from core.settings import ReportDefinition
from reports.periods import ReportPeriod
from reports.queries import ReportData, kpi_figures, load_report_data
from sources.config import PipelineConfig

if TYPE_CHECKING:
    from warehouse import Warehouse

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class BuiltReport:
    report: str
    period: ReportPeriod
    files: list[Path]
    # What the email body shows, as plain values (it crosses XCom).
    headline: dict
    seconds: dict[str, float]

    def as_dict(self) -> dict:
        return {
            "report": self.report,
            "period": self.period.as_dict(),
            "files": [str(path) for path in self.files],
            "headline": self.headline,
            "seconds": self.seconds,
        }


def report_folder(reports_root: Path, report: str, period: ReportPeriod) -> Path:
    return reports_root / report / period.key


def write_atomically(path: Path, write: Callable[[Path], object]) -> Path:
    """Let `write` fill a temporary file next to `path`, then rename it over `path`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def headline(data: ReportData) -> dict:
    return {
        "organisation": data.organisation,
        "title": data.definition.title,
        "period": data.period.label,
        "previous": data.previous.label if data.previous_complete else None,
        "filter": data.filter_text,
        "kpis": [
            {"label": kpi.label, "value": kpi.text, "change": kpi.change.text, "direction": kpi.change.direction}
            for kpi in kpi_figures(data)
        ],
        "freshness": data.freshness_note,
        "stale_sources": len(data.stale),
    }


def write_files(data: ReportData, folder: Path, formats: list[str]) -> tuple[list[Path], dict[str, float]]:
    """The report's files in the definition's format order; seconds spent per format."""
    from reports.csv_extracts import write_csv
    from reports.pdf import write_pdf
    from reports.xlsx import write_xlsx

    stem = f"{data.definition.name}_{data.period.key}"
    files: list[Path] = []
    seconds: dict[str, float] = {}
    for kind in formats:
        started = time.perf_counter()
        if kind == "pdf":
            files.append(write_atomically(folder / f"{stem}.pdf", lambda tmp: write_pdf(data, tmp)))
        elif kind == "xlsx":
            files.append(write_atomically(folder / f"{stem}.xlsx", lambda tmp: write_xlsx(data, tmp)))
        else:
            for extract in data.extracts:
                path = folder / f"{stem}_{extract.name}.csv"
                files.append(write_atomically(path, lambda tmp, extract=extract: write_csv(extract, tmp)))
        seconds[kind] = round(time.perf_counter() - started, 3)
    return files, seconds


def build_report(
    definition: ReportDefinition, period: ReportPeriod, warehouse: Warehouse, reports_root: Path, config: PipelineConfig
) -> BuiltReport:
    started = time.perf_counter()
    needs_extracts = "csv" in definition.formats or "xlsx" in definition.formats
    data = load_report_data(warehouse, definition, period, config, with_extracts=needs_extracts)
    queried = round(time.perf_counter() - started, 3)
    files, seconds = write_files(data, report_folder(reports_root, definition.name, period), definition.formats)
    logger.info(
        "report %s for %s: %d file(s) in %.1f s (query %.2f s, %s)",
        definition.name,
        period.label,
        len(files),
        time.perf_counter() - started,
        queried,
        ", ".join(f"{kind} {value:.2f} s" for kind, value in seconds.items()),
    )
    return BuiltReport(definition.name, period, files, headline(data), {"query": queried, **seconds})
