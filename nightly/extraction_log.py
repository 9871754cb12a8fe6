"""The extraction log: every extract task lands one row saying what it landed, or why it failed,
so that source_freshness can tell a quiet day from a broken source."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from core.landing import RunContext, write_partition

SOURCE = "pipeline"
ENTITY = "extractions"


class _Outcome:
    rows_landed: int | None = None

    def record(self, landed: dict[str, int]) -> None:
        self.rows_landed = sum(landed.values())


@contextmanager
def logged_extraction(
    source: str, account_id: str, ctx: RunContext, landing_root: Path | None = None
) -> Iterator[_Outcome]:
    """Wrap one extraction; land its outcome (success with rows, or the error) either way."""
    from core.contract import PIPELINE_EXTRACTIONS

    outcome = _Outcome()

    def land(status: str, error: str | None) -> None:
        row = {
            "source": source,
            "account_id": account_id,
            "partition_date": ctx.partition_date,
            "status": status,
            "rows_landed": outcome.rows_landed,
            "error": error,
            "finished_at": datetime.now(UTC),
        }
        write_partition(SOURCE, ENTITY, f"{source}__{account_id}", [row], PIPELINE_EXTRACTIONS, ctx, landing_root)

    try:
        yield outcome
    except BaseException as exc:
        land("failed", f"{type(exc).__name__}: {exc}"[:2000])
        raise
    land("success", None)
