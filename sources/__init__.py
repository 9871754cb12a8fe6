"""The API sources (organic social, paid social, web analytics): one entry per platform, the one
place that ties a config section to its extractor module, its landing source name, its Airflow
connection's meaning and its sandbox."""

from __future__ import annotations

from dataclasses import dataclass

from core.settings import Account
from sources.config import PipelineConfig


@dataclass(frozen=True)
class ApiSource:
    name: str  # config key under `sources`, landing source name and sandbox platform
    module: str  # extractor module with `extract_account(...)` (or `extract_page` for Facebook)
    entry_point: str
    platform: str  # named in error messages
    token_kind: str
    default_api_version: str = ""
    sandbox_platform: str = ""

    def settings(self, config: PipelineConfig):
        return getattr(config.sources, self.name)

    def accounts(self, config: PipelineConfig) -> list[Account]:
        settings = self.settings(config)
        return list(settings.accounts) if settings is not None and settings.enabled else []


API_SOURCES = (
    ApiSource(
        "facebook_pages",
        "sources.facebook_pages",
        "extract_page",
        "Facebook Graph API",
        "Page access token",
        "v24.0",
        "facebook",
    ),
    ApiSource(
        "instagram",
        "sources.instagram",
        "extract_account",
        "Instagram Graph API",
        "Instagram access token",
        "v24.0",
        "facebook",
    ),
    ApiSource("x", "sources.x", "extract_account", "X API v2", "app-only Bearer token", "2", "x"),
    ApiSource("youtube", "sources.youtube", "extract_account", "YouTube Data API", "OAuth access token", "", "youtube"),
    ApiSource("linkedin", "sources.linkedin", "extract_account", "LinkedIn API", "access token", "", "linkedin"),
    ApiSource(
        "meta_ads",
        "sources.meta_ads",
        "extract_account",
        "Meta Marketing API",
        "system-user access token with ads_read",
        "v24.0",
        "meta_ads",
    ),
    ApiSource(
        "ga4", "sources.ga4", "extract_account", "GA4 Data API", "OAuth access token (analytics.readonly)", "", "ga4"
    ),
)
SOURCES_BY_NAME = {source.name: source for source in API_SOURCES}


@dataclass(frozen=True)
class InboxSource:
    """A source that marketing ops feed by dropping files (CSV or XLSX) in an inbox folder. The
    inbox is the current state: each run lands one account-less snapshot, named `part` in the
    landing zone and in the extraction log."""

    name: str  # config key under `sources` and landing source name
    module: str  # extractor module with `land_inbox(inbox, quarantine_root, ctx, landing_root)`
    entity: str
    part: str

    def settings(self, config: PipelineConfig):
        return getattr(config.sources, self.name)

    def enabled(self, config: PipelineConfig) -> bool:
        return self.settings(config).enabled


INBOX_SOURCES = (
    InboxSource("traditional_media", "sources.traditional_media", "placements", "media_plan"),
    InboxSource("call_tracking", "sources.call_tracking", "calls", "call_log"),
)
INBOXES_BY_NAME = {source.name: source for source in INBOX_SOURCES}


def enabled_api_sources(config: PipelineConfig) -> list[ApiSource]:
    return [source for source in API_SOURCES if source.accounts(config)]


def enabled_inbox_sources(config: PipelineConfig) -> list[InboxSource]:
    return [source for source in INBOX_SOURCES if source.enabled(config)]


def expected_accounts(config: PipelineConfig) -> list[dict[str, str]]:
    """Every source x account the nightly run should land (the rows of source_freshness)."""
    expected = [
        {"source": source.name, "account_id": account.id}
        for source in API_SOURCES
        for account in source.accounts(config)
    ]
    expected += [{"source": source.name, "account_id": source.part} for source in enabled_inbox_sources(config)]
    return expected
