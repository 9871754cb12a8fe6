"""Checks across landing partitions: what one partition cannot tell about itself.

Each function builds a small frame (one row per thing checked, with a `key` naming the partition
or the row it concerns) that a suite in `expectations/landing_history.py` validates:
- volume: rows a source x entity x account landed today against the median of its trailing days;
- lifetime: a post's lifetime metrics against the previous snapshot of the same post;
- zeroed metrics: a metric reported as all zeros today that had values before (deprecated or
  renamed by the platform, which then answers 0 instead of an error);
- freshness: the partition of the day exists for every enabled account.

Row counts come from the Parquet footers, so the volume of a long history costs no data reads."""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from datetime import date, timedelta
from pathlib import Path

import pandas as pd

from pipeline import storage
from pipeline.config import VolumeBand
from pipeline.landing import partition_dir, partition_files

# The long shapes whose `value` is a lifetime total that only grows (extractors/schemas.py).
LIFETIME_ENTITIES = {
    ("facebook_pages", "post_snapshots"): "post_id",
    ("instagram", "media_snapshots"): "media_id",
    ("x", "post_snapshots"): "post_id",
    ("youtube", "video_snapshots"): "video_id",
}


def partition_key(source: str, entity: str, day: date, part: str | None = None) -> str:
    return f"{source}/{entity}/date={day}" + (f"/{part}" if part else "")


def _rows(path: Path) -> int:
    return storage.parquet_file(path).metadata.num_rows


def volume_frame(entities: Iterable[tuple[str, str]], day: date, band: VolumeBand, landing_root: Path) -> pd.DataFrame:
    """One row per source x entity x part landed on `day`: today's rows, the median of the
    trailing days that landed, and their ratio (NULL while there is too little history)."""
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
            records.append(
                {
                    "key": partition_key(source, entity, day, part),
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


def _latest_before(source: str, entity: str, day: date, landing_root: Path, days_back: int) -> list[Path]:
    for back in range(1, days_back + 1):
        files = partition_files(source, entity, day - timedelta(days=back), landing_root)
        if files:
            return files
    return []


def lifetime_frame(source: str, entity: str, day: date, landing_root: Path, days_back: int = 28) -> pd.DataFrame:
    """One row per post x metric read today and in the latest earlier partition: the share by
    which today's lifetime value is below the earlier one (0 when it grew or stayed)."""
    post_column = LIFETIME_ENTITIES[(source, entity)]
    columns = ["key", "previous", "current", "drop_share"]
    today_files = partition_files(source, entity, day, landing_root)
    before_files = _latest_before(source, entity, day, landing_root, days_back)
    if not today_files or not before_files:
        return pd.DataFrame(columns=columns).astype({"drop_share": "float64"})

    def read(files: list[Path]) -> pd.DataFrame:
        frames = [storage.read_table(f, columns=[post_column, "metric", "value"]).to_pandas() for f in files]
        return pd.concat(frames).dropna(subset=["value"])

    joined = read(before_files).merge(read(today_files), on=[post_column, "metric"], suffixes=("_previous", ""))
    joined = joined[joined["value_previous"] > 0]
    drop = ((joined["value_previous"] - joined["value"]) / joined["value_previous"]).clip(lower=0)
    return pd.DataFrame(
        {
            "key": partition_key(source, entity, day) + "/" + joined[post_column] + ":" + joined["metric"],
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
