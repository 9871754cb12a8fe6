"""The landing zone: immutable Parquet partitions, one per source x entity x day x account.

Layout: `<landing>/<source>/<entity>/date=YYYY-MM-DD/<part>.parquet`, where `date` is the day the
extraction ran for and `part` is the account (or file set) it covers. A reader (dbt, the quality
gate) sees either the previous partition file or the new one, never a half-written file, and a
rerun replaces the partition instead of adding rows to it. The landing zone is a local folder or
object storage (core/storage.py); every function here takes either as `landing_root`."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from core import storage
from core.paths import data_paths

if TYPE_CHECKING:
    from airflow.sdk import ObjectStoragePath

    # A landing or quarantine root: a local folder, a URL, or a location from core.storage.
    Root = Path | str | ObjectStoragePath

# Lineage columns every landed row carries.
EXTRACTED_AT = "_extracted_at"
RUN_ID = "_run_id"
LINEAGE_FIELDS = [pa.field(EXTRACTED_AT, pa.timestamp("us", tz="UTC")), pa.field(RUN_ID, pa.string())]

_PART_NAME = re.compile(r"^[A-Za-z0-9_.-]+$")
_DATE_DIR = re.compile(r"^date=(\d{4}-\d{2}-\d{2})$")


class LandingError(RuntimeError):
    """Rows could not be landed (they do not fit the entity's schema, or a name is unsafe)."""


@dataclass(frozen=True)
class RunContext:
    """Who is landing: the day the run covers, the orchestrator's run id, and when it extracted."""

    partition_date: date
    run_id: str
    extracted_at: datetime

    @classmethod
    def now(cls, partition_date: date, run_id: str) -> RunContext:
        return cls(partition_date, run_id, datetime.now(UTC))

    @property
    def latest_day(self) -> date:
        """The last day a row of a file taken in this run may carry: the day the run executes. A
        rerun of a past day takes the export as it is now, which holds the days since; a night's
        export taken after midnight holds the small hours of today. (The UTC day: at most one day
        past the organisation's, which keeps a mistyped year just as visible.)"""
        return max(self.partition_date, self.extracted_at.date())


def _root(landing_root: Root | None) -> ObjectStoragePath:
    return storage.location(landing_root) if landing_root is not None else data_paths().landing


def partition_dir(source: str, entity: str, day: date, landing_root: Root | None = None) -> ObjectStoragePath:
    return _root(landing_root) / source / entity / f"date={day.isoformat()}"


def write_partition(
    source: str,
    entity: str,
    part: str,
    rows: Iterable[Mapping[str, Any]] | pa.Table,
    schema: pa.Schema,
    ctx: RunContext,
    landing_root: Root | None = None,
) -> ObjectStoragePath:
    """Land `rows` (dicts with the schema's fields, or a table of them: far smaller for a large
    file) as one partition file; return its path."""
    if not _PART_NAME.match(part):
        raise LandingError(f"landing {source}/{entity}: unsafe partition part name {part!r}")
    full_schema = pa.schema(list(schema) + LINEAGE_FIELDS)
    try:
        if isinstance(rows, pa.Table):
            lineage = [
                pa.repeat(pa.scalar(value, field.type), rows.num_rows)
                for field, value in zip(LINEAGE_FIELDS, (ctx.extracted_at, ctx.run_id), strict=True)
            ]
            table = pa.Table.from_arrays([*rows.select(schema.names).columns, *lineage], schema=full_schema)
        else:
            records = [
                {**{name: row.get(name) for name in schema.names}, EXTRACTED_AT: ctx.extracted_at, RUN_ID: ctx.run_id}
                for row in rows
            ]
            table = pa.Table.from_pylist(records, schema=full_schema)
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError) as exc:
        raise LandingError(f"landing {source}/{entity} part {part}: rows do not fit the schema: {exc}") from exc

    target = partition_dir(source, entity, ctx.partition_date, landing_root) / f"{part}.parquet"
    storage.write_table(table, target)
    return target


def landed_dates(source: str, entity: str, part: str | None = None, landing_root: Root | None = None) -> list[date]:
    """Days with a landed partition for the entity (optionally: holding this part), oldest first."""
    folder = _root(landing_root) / source / entity
    if not folder.is_dir():
        return []
    days = []
    for child in folder.iterdir():
        match = _DATE_DIR.match(child.name)
        if not match:
            continue
        if part is not None and not (child / f"{part}.parquet").exists():
            continue
        days.append(date.fromisoformat(match.group(1)))
    return sorted(days)


def landed_before(source: str, entity: str, part: str, day: date, landing_root: Root | None = None) -> bool:
    """Whether `part` landed `entity` on a day before `day`: an extractor's first run backfills."""
    return any(earlier < day for earlier in landed_dates(source, entity, part, landing_root))


def land_entities(
    source: str,
    part: str,
    entities: Iterable[tuple[str, list[Mapping[str, Any]], pa.Schema]],
    ctx: RunContext,
    landing_root: Root | None = None,
) -> dict[str, int]:
    """Land every (entity, rows, schema) of one extraction as its partition; return rows per entity.
    Extractors call it once everything is fetched, so a failure leaves the earlier partitions intact."""
    landed = {}
    for entity, rows, schema in entities:
        write_partition(source, entity, part, rows, schema, ctx, landing_root)
        landed[entity] = len(rows)
    return landed


def partition_files(source: str, entity: str, day: date, landing_root: Root | None = None) -> list[ObjectStoragePath]:
    folder = partition_dir(source, entity, day, landing_root)
    return sorted(folder.glob("*.parquet"), key=str) if folder.is_dir() else []


def landed_entities(landing_root: Root | None = None) -> dict[str, list[str]]:
    """{source: [entity, ...]} for every entity with at least one landed partition file."""
    root = _root(landing_root)
    if not root.is_dir():
        return {}
    found: dict[str, list[str]] = {}
    for entity_dir in sorted(root.glob("*/*"), key=str):
        if entity_dir.is_dir() and next(iter(entity_dir.glob("date=*/*.parquet")), None) is not None:
            found.setdefault(entity_dir.parent.name, []).append(entity_dir.name)
    return found


def quarantine_partition(
    source: str,
    entity: str,
    day: date,
    reason: str,
    landing_root: Root,
    quarantine_root: Root,
    parts: set[str] | None = None,
) -> ObjectStoragePath | None:
    """Move a partition that failed the landing gate out of the landing zone, to
    `<quarantine>/<source>/<entity>/date=<day>/` with a `REASON.txt`, so no build reads it; a
    rerun of the day after the fix lands it again. With `parts`, only those accounts' files move,
    so the healthy accounts of the entity still publish. Returns the quarantine folder (None when
    nothing was moved)."""
    files = [p for p in partition_files(source, entity, day, landing_root) if parts is None or p.stem in parts]
    if not files:
        return None
    target = storage.location(quarantine_root) / source / entity / f"date={day.isoformat()}"
    storage.write_text(reason.rstrip() + "\n", target / "REASON.txt")
    for path in files:
        # A partition quarantined earlier the same day is replaced: the newest landing is the one to look at.
        storage.move(path, target / path.name)
    return target
