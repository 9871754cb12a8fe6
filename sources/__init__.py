"""The registry: every source's spec (`extractors.spec`), the API sources (organic social, paid
social, web analytics) and the inbox sources, each declared by its module's `SPEC`. A spec ties a
config section to its fetch or inbox, its landed entities, its suites, its Airflow connection's
meaning and its sandbox."""

from __future__ import annotations

from typing import TYPE_CHECKING

from core.contract import CONTENT_TABLES, MIX_TABLES, PIPELINE_TABLES
from extractors.spec import ApiSource, InboxSource
from sources import (
    call_tracking,
    employee_advocacy,
    facebook_pages,
    ga4,
    instagram,
    linkedin,
    marketing_history,
    meta_ads,
    traditional_media,
    x,
    youtube,
)

if TYPE_CHECKING:
    import pyarrow as pa


API_SOURCES = (
    facebook_pages.SPEC,
    instagram.SPEC,
    x.SPEC,
    youtube.SPEC,
    linkedin.SPEC,
    meta_ads.SPEC,
    ga4.SPEC,
)
SOURCES_BY_NAME = {source.name: source for source in API_SOURCES}


INBOX_SOURCES = (traditional_media.SPEC, call_tracking.SPEC, marketing_history.SPEC, employee_advocacy.SPEC)
INBOXES_BY_NAME = {source.name: source for source in INBOX_SOURCES}


def enabled_api_sources(config) -> list[ApiSource]:
    return [source for source in API_SOURCES if source.accounts(config)]


def enabled_inbox_sources(config) -> list[InboxSource]:
    return [source for source in INBOX_SOURCES if source.enabled(config)]


def source_dbt_vars(config) -> dict[str, object]:
    """The dbt vars the sources' settings set (a source's `dbt_vars()`), enabled or not: the models
    read them either way."""
    found: dict[str, object] = {}
    for source in ALL_SOURCES:
        settings = getattr(config.sources, source.name, None)
        if settings is not None and hasattr(settings, "dbt_vars"):
            found.update(settings.dbt_vars())
    return found


def expected_accounts(config) -> list[dict[str, str]]:
    """Every source x account the nightly run should land (the rows of source_freshness)."""
    expected = [
        {"source": source.name, "account_id": account.id}
        for source in API_SOURCES
        for account in source.accounts(config)
    ]
    expected += [{"source": source.name, "account_id": source.part} for source in enabled_inbox_sources(config)]
    return expected


ALL_SOURCES: tuple[ApiSource | InboxSource, ...] = (*API_SOURCES, *INBOX_SOURCES)

# Every landed entity, by (source, entity): the dbt sources (dbt/models/staging/<source>/) declare
# exactly these columns, which tests/unit/test_landing_contract.py checks.
LANDING_CONTRACT: dict[tuple[str, str], pa.Schema] = {
    **{(source.name, entity): schema for source in ALL_SOURCES for entity, schema in source.entities.items()},
    **PIPELINE_TABLES,
    **MIX_TABLES,
    **CONTENT_TABLES,
}
