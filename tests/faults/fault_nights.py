"""What the fault matrix shares: one clean sandbox night (Facebook pages, the media plan and the
call log, gated, built and published), copies of it for each fault, and digests that tell whether
a night after a fault holds the same rows as the clean one.

Digests hash every row, sorted, so they see a lost or duplicated row where a count may not. The
lineage columns (`_extracted_at`, `_run_id`) and the tables that record when things ran
(`quality_results`, `source_freshness`, `report_deliveries`, the build's id in `build_info`) differ between any two runs by design
and are left out."""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import yaml

from core import storage
from core.landing import partition_files
from core.paths import PROJECT_ROOT, DataPaths

# The run of the 21st lands the 20th, the sandbox's "today" at noon UTC.
LOGICAL_DATE = datetime(2026, 11, 21, 10, 30, tzinfo=UTC)
RUN_ID = "scheduled__faults"
PAGE = "100200300400501"
PAGE_CONNECTION = "facebook_cedar_valley_health"
PAGE_ENTITIES = ("page_insights", "posts", "post_snapshots")
INBOXES = ("traditional_media", "call_tracking")
LINEAGE = ("_extracted_at", "_run_id")
# Tables whose rows say when something ran: different on every run, whatever the data.
RUN_RECORD_TABLES = frozenset({"quality_results", "source_freshness", "report_deliveries", "build_info"})

# Short waits, so that retries and timeouts cost milliseconds: the faults are the same.
FAST_HTTP = {
    "timeout_seconds": 0.5,
    "max_retries": 3,
    "backoff_base_seconds": 0.01,
    "max_backoff_seconds": 0.05,
    "usage_slowdown_seconds": 0,
}


def write_config(
    folder: Path,
    sources: tuple[str, ...] = ("facebook_pages", *INBOXES),
    inboxes: dict | None = None,
    windows: dict | None = None,
    **changes,
) -> Path:
    """The project's config with only `sources`, fast HTTP retries, and `changes` laid over
    `sources.<name>` (e.g. `facebook_pages={"page_metrics": [...]}`)."""
    config = yaml.safe_load((PROJECT_ROOT / "config" / "pipeline.yml").read_text())
    config["sources"] = {name: settings for name, settings in config["sources"].items() if name in sources}
    for name, settings in changes.items():
        config["sources"][name].update(settings)
    config["http"].update(FAST_HTTP)
    # Inbox files are taken at once; the case of a file still being written asks for markers.
    config.setdefault("inboxes", {})["settle_seconds"] = 0
    config["inboxes"].update(inboxes or {})
    config["windows"].update(windows or {})
    config["schedule"]["retries"] = 0
    path = folder / "pipeline.yml"
    path.write_text(yaml.safe_dump(config))
    return path


def graph_connection(url: str, token: str = "sandbox-page-token") -> str:
    return json.dumps({"conn_type": "http", "host": url, "password": token, "extra": {"api_version": "v24.0"}})


def rows_digest(table, leave_out: tuple[str, ...] = LINEAGE) -> tuple[int, str]:
    """(row count, sha256 of the sorted rows) of an Arrow table, without the `leave_out` columns."""
    names = [n for n in table.column_names if n not in leave_out]
    lines = sorted(json.dumps(row, default=str, sort_keys=True) for row in table.select(names).to_pylist())
    return len(lines), hashlib.sha256("\n".join(lines).encode()).hexdigest()


def landed_digest(paths: DataPaths, source: str, entity: str, day: date, part: str | None = None) -> tuple[int, str]:
    """The digest of what one partition (or one part of it) holds."""
    import pyarrow as pa

    files = [f for f in partition_files(source, entity, day, paths.landing) if part is None or f.stem == part]
    if not files:
        return 0, ""
    return rows_digest(pa.concat_tables([storage.read_table(f) for f in files], promote_options="default"))


def marts_digest(warehouse: Path) -> dict[str, tuple[int, str]]:
    """{table: digest} of every table of a DuckDB warehouse but the run records."""
    import duckdb

    with duckdb.connect(str(warehouse), read_only=True) as connection:
        tables = [
            name
            for (name,) in connection.execute(
                "select table_name from information_schema.tables "
                "where table_schema = 'main' and table_type = 'BASE TABLE' order by 1"
            ).fetchall()
            if name not in RUN_RECORD_TABLES
        ]
        return {name: rows_digest(connection.sql(f'select * from "{name}"').arrow().read_all()) for name in tables}


def leftovers(root: Path) -> list[str]:
    """Temporary files anywhere under the data folder (a writer killed between write and rename)."""
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file() and p.name.endswith(".tmp"))


@dataclass
class Night:
    """A data folder holding one night, with the config it ran with."""

    paths: DataPaths
    config_file: Path
    day: date

    def copy_to(self, folder: Path) -> Night:
        paths = DataPaths(folder / "data")
        shutil.copytree(self.paths.root, paths.root, symlinks=True)
        config_file = folder / "pipeline.yml"
        shutil.copy(self.config_file, config_file)
        return Night(paths, config_file, self.day)

    def page_digests(self, page: str = PAGE) -> dict[str, tuple[int, str]]:
        return {e: landed_digest(self.paths, "facebook_pages", e, self.day, page) for e in PAGE_ENTITIES}

    def page_files(self, page: str = PAGE) -> dict[str, bytes]:
        found = {}
        for entity in PAGE_ENTITIES:
            for f in partition_files("facebook_pages", entity, self.day, self.paths.landing):
                if f.stem == page:
                    found[entity] = f.read_bytes()
        return found


def run_after_extracts(night: Night) -> None:
    """The nightly sequence after the extract tasks, as the DAG runs it, in this process."""
    from nightly import tasks
    from sources.config import load_config
    from warehouse import build as warehouse

    tasks.landing_gate(LOGICAL_DATE, RUN_ID, night.paths)
    warehouse.build(night.paths, load_config(), night.day, docs=False)
    tasks.mart_gate(LOGICAL_DATE, RUN_ID, night.paths)
    tasks.publish(night.paths)


def run_night(night: Night) -> None:
    """Every task of a night (the environment must point at `night` and the sandbox)."""
    from nightly import tasks

    for page in ("100200300400501", "100200300400502"):
        tasks.extract_api_account("facebook_pages", page, LOGICAL_DATE, RUN_ID)
    for inbox in INBOXES:
        tasks.extract_inbox(inbox, LOGICAL_DATE, RUN_ID)
    run_after_extracts(night)
