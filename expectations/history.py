"""Checks across landing partitions: what one partition cannot tell about itself.

Each function builds a small frame (one row per thing checked, with a `key` naming the partition
file, `<source>/<entity>/date=<day>/<part>`, and what it concerns) that a suite in
`expectations/landing_history.py` validates:
- volume: rows a source x entity x account landed today against the median of its trailing days;
- snapshot volume: rows an inbox snapshot holds against the previous snapshot (an inbox lands the
  whole file set every night, so a snapshot only shrinks when files or rows went missing);
- lifetime: a post's lifetime metrics against the previous snapshot of the same post;
- zeroed metrics: a metric reported as all zeros today that had values before (deprecated or
  renamed by the platform, which then answers 0 instead of an error);
- freshness: the partition of the day exists for every enabled account.

Row counts come from the Parquet footers, so the volume of a long history costs no data reads."""

from __future__ import annotations

import re
import statistics
from collections.abc import Iterable
from datetime import date, timedelta
from pathlib import Path

import pandas as pd

from core import storage
from core.landing import landed_dates, partition_dir, partition_files
from core.settings import VolumeBand

# The long shapes whose `value` is a lifetime total that only grows (core/contract.py).
LIFETIME_ENTITIES = {
    ("facebook_pages", "post_snapshots"): "post_id",
    ("instagram", "media_snapshots"): "media_id",
    ("x", "post_snapshots"): "post_id",
    ("youtube", "video_snapshots"): "video_id",
}


def partition_key(source: str, entity: str, day: date, part: str | None = None) -> str:
    return f"{source}/{entity}/date={day}" + (f"/{part}" if part else "")


_KEY = re.compile(r"^(?P<source>[^/]+)/(?P<entity>[^/]+)/date=[0-9-]+(?:/(?P<part>[A-Za-z0-9_.-]+))?")


def key_partition(key: str) -> tuple[str, str, str | None]:
    """(source, entity, part) a frame's key concerns; part is None when the key names the whole
    partition. Part names never hold ':' or '/' (core/landing.py), so what follows them is
    the key's description."""
    match = _KEY.match(key)
    if match is None:
        raise ValueError(f"not a landing key: {key!r}")
    return match["source"], match["entity"], match["part"]


def _rows(path: Path) -> int:
    return storage.parquet_file(path).metadata.num_rows


def _count(number: float) -> str:
    return f"{number:,.0f}" if float(number).is_integer() else f"{number:,.1f}"


def volume_frame(entities: Iterable[tuple[str, str]], day: date, band: VolumeBand, landing_root: Path) -> pd.DataFrame:
    """One row per source x entity x part (account) landed on `day`: today's rows, the median of
    the trailing days that landed, and their ratio (NULL while there is too little history). Each
    account is judged on its own file, so one account's bad night holds back only that file."""
    records = []
    for source, entity in entities:
        for path in partition_files(source, entity, day, landing_root):
            part = path.stem
            history = [
                _rows(earlier)
                for back in range(1, band.trailing_days + 1)
                if (
                    earlier := partition_dir(source, entity, day - timedelta(days=back), landing_root) / path.name
                ).exists()
            ]
            median = statistics.median(history) if len(history) >= band.min_history_days else None
            rows = _rows(path)
            compared = (
                f"a median of {_count(median)} over its {len(history)} earlier days"
                if median is not None
                else f"too little history to compare ({len(history)} earlier days)"
            )
            records.append(
                {
                    "key": f"{partition_key(source, entity, day, part)}: account {part} landed {_count(rows)} rows "
                    f"in {partition_key(source, entity, day, path.name)} vs {compared}",
                    "rows": rows,
                    "history_days": len(history),
                    "trailing_median": median,
                    # An empty history median (0 rows every day) compares as "no history".
                    "ratio": rows / median if median else None,
                }
            )
    return pd.DataFrame.from_records(
        records, columns=["key", "rows", "history_days", "trailing_median", "ratio"]
    ).astype({"ratio": "float64", "trailing_median": "float64"})


def _inbox_files(path: Path) -> str:
    """The inbox files a snapshot file was landed from (its `source_file` column)."""
    names = sorted(set(storage.read_table(path, columns=["source_file"])["source_file"].to_pylist()))
    return ", ".join(names) if names else "no file"


def snapshot_volume_frame(snapshots: Iterable[tuple[str, str, str]], day: date, landing_root: Path) -> pd.DataFrame:
    """One row per inbox snapshot (source, entity, part) landed on `day` with an earlier snapshot:
    tonight's rows, the previous snapshot's, and their ratio. An inbox that landed nothing tonight
    has no row here: it is stale (the freshness check), not smaller."""
    records = []
    for source, entity, part in snapshots:
        today = partition_dir(source, entity, day, landing_root) / f"{part}.parquet"
        earlier = [d for d in landed_dates(source, entity, part, landing_root) if d < day]
        if not today.exists() or not earlier:
            continue
        previous = partition_dir(source, entity, earlier[-1], landing_root) / f"{part}.parquet"
        rows, previous_rows = _rows(today), _rows(previous)
        records.append(
            {
                "key": f"{partition_key(source, entity, day, part)}: {source} {entity} snapshot of {_count(rows)} rows "
                f"(inbox files: {_inbox_files(today)}) vs {_count(previous_rows)} rows in the snapshot of "
                f"{earlier[-1]} (inbox files: {_inbox_files(previous)})",
                "rows": rows,
                "previous_rows": previous_rows,
                # An empty previous snapshot compares as "no history".
                "ratio": rows / previous_rows if previous_rows else None,
            }
        )
    return pd.DataFrame.from_records(records, columns=["key", "rows", "previous_rows", "ratio"]).astype(
        {"ratio": "float64"}
    )


def _latest_before(source: str, entity: str, day: date, landing_root: Path, days_back: int) -> list[Path]:
    for back in range(1, days_back + 1):
        files = partition_files(source, entity, day - timedelta(days=back), landing_root)
        if files:
            return files
    return []


def lifetime_frame(source: str, entity: str, day: date, landing_root: Path, days_back: int = 28) -> pd.DataFrame:
    """One row per post x metric read today and in the latest earlier partition: the share by
    which today's lifetime value is below the earlier one (0 when it grew or stayed). The key
    names today's file (the account) the post was read in."""
    post_column = LIFETIME_ENTITIES[(source, entity)]
    columns = ["key", "previous", "current", "drop_share"]
    today_files = partition_files(source, entity, day, landing_root)
    before_files = _latest_before(source, entity, day, landing_root, days_back)
    if not today_files or not before_files:
        return pd.DataFrame(columns=columns).astype({"drop_share": "float64"})

    def read(files: list[Path]) -> pd.DataFrame:
        frames = [
            storage.read_table(f, columns=[post_column, "metric", "value"]).to_pandas().assign(part=f.stem)
            for f in files
        ]
        return pd.concat(frames).dropna(subset=["value"])

    joined = read(before_files).drop(columns="part")
    joined = joined.merge(read(today_files), on=[post_column, "metric"], suffixes=("_previous", ""))
    joined = joined[joined["value_previous"] > 0]
    drop = ((joined["value_previous"] - joined["value"]) / joined["value_previous"]).clip(lower=0)
    return pd.DataFrame(
        {
            "key": partition_key(source, entity, day)
            + "/"
            + joined["part"]
            + ": post "
            + joined[post_column]
            + ":"
            + joined["metric"],
            "previous": joined["value_previous"],
            "current": joined["value"],
            "drop_share": drop.astype("float64"),
        }
    )


def zeroed_metrics_frame(source: str, entity: str, day: date, landing_root: Path, trailing_days: int) -> pd.DataFrame:
    """For long shapes (one row per metric), per account: one row per metric that had a positive
    total on the trailing days, with today's total."""
    columns = ["key", "today_total", "trailing_median_total"]

    def totals(path: Path) -> dict[str, float]:
        sums = storage.read_table(path, columns=["metric", "value"]).group_by("metric").aggregate([("value", "sum")])
        return {m: t or 0 for m, t in zip(sums["metric"].to_pylist(), sums["value_sum"].to_pylist(), strict=True)}

    records = []
    for path in partition_files(source, entity, day, landing_root):
        if "metric" not in storage.read_schema(path).names:
            continue
        today = totals(path)
        history: dict[str, list[float]] = {}
        for back in range(1, trailing_days + 1):
            earlier = partition_dir(source, entity, day - timedelta(days=back), landing_root) / path.name
            if earlier.exists():
                for metric, total in totals(earlier).items():
                    history.setdefault(metric, []).append(total)
        records += [
            {
                "key": partition_key(source, entity, day, path.stem) + ":" + metric,
                "today_total": today[metric],
                "trailing_median_total": statistics.median(before),
            }
            for metric, before in sorted(history.items())
            if metric in today and statistics.median(before) > 0
        ]
    return pd.DataFrame.from_records(records, columns=columns)


def freshness_frame(expected: Iterable[tuple[str, str, str]], day: date, landing_root: Path) -> pd.DataFrame:
    """One row per expected (source, entity, part): whether its partition for `day` exists."""
    records = [
        {
            "key": partition_key(source, entity, day, part),
            "landed": (partition_dir(source, entity, day, landing_root) / f"{part}.parquet").exists(),
        }
        for source, entity, part in expected
    ]
    return pd.DataFrame.from_records(records, columns=["key", "landed"])
