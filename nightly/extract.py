"""The one extract runner: an API source's account is fetched, then landed, the same way for every
source (`extractors.spec.ApiSource`). No Airflow here: `nightly/tasks.py` adds the connection, the
extraction log and the token-expiry warning; tests and benchmarks call `extract` directly."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from core.landing import RunContext, land_entities
from core.settings import Account, HttpSettings, Windows
from extractors.http import ApiEndpoint
from extractors.spec import ApiSource, Extraction

if TYPE_CHECKING:
    from core.landing import Root

logger = logging.getLogger(__name__)


def extract(
    source: ApiSource,
    account: Account,
    endpoint: ApiEndpoint,
    settings: Any,
    windows: Windows,
    http: HttpSettings,
    ctx: RunContext,
    tz: ZoneInfo,
    landing_root: Root | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> dict[str, int]:
    """Extract one account of `source` for `ctx.partition_date` and land every entity; return rows
    per entity. Everything is fetched before anything is landed: a failure (an expired token, say)
    leaves the previous partitions as they were."""
    extraction = Extraction(
        source.name, account, endpoint, settings, windows, http, ctx, tz, source.history_entity, landing_root, sleep
    )
    rows = source.fetch(extraction)
    if set(rows) != set(source.entities):
        raise RuntimeError(f"{source.name}: fetch returned {sorted(rows)}, the spec lands {sorted(source.entities)}")
    landed = land_entities(
        source.name,
        account.id,
        ((entity, list(rows[entity]), schema) for entity, schema in source.entities.items()),
        ctx,
        landing_root,
    )
    logger.info("%s %s (%s): landed %s", source.connection.platform, account.id, account.name, landed)
    return landed
