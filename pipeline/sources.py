"""The organic social sources: one entry per platform, the one place that ties a config section
to its extractor module, its landing source name and its Airflow connection's meaning."""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.config import Account, PipelineConfig


@dataclass(frozen=True)
class SocialSource:
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


SOCIAL_SOURCES = (
    SocialSource(
        "facebook_pages",
        "extractors.facebook_pages",
        "extract_page",
        "Facebook Graph API",
        "Page access token",
        "v24.0",
        "facebook",
    ),
    SocialSource(
        "instagram",
        "extractors.instagram",
        "extract_account",
        "Instagram Graph API",
        "Instagram access token",
        "v24.0",
        "facebook",
    ),
    SocialSource("x", "extractors.x", "extract_account", "X API v2", "app-only Bearer token", "2", "x"),
    SocialSource(
        "youtube", "extractors.youtube", "extract_account", "YouTube Data API", "OAuth access token", "", "youtube"
    ),
    SocialSource("linkedin", "extractors.linkedin", "extract_account", "LinkedIn API", "access token", "", "linkedin"),
)
SOURCES_BY_NAME = {source.name: source for source in SOCIAL_SOURCES}

TRADITIONAL_MEDIA = "traditional_media"
# The media plan is one account-less snapshot; the extraction log names it so.
MEDIA_PLAN_PART = "media_plan"


def enabled_social_sources(config: PipelineConfig) -> list[SocialSource]:
    return [source for source in SOCIAL_SOURCES if source.accounts(config)]


def expected_accounts(config: PipelineConfig) -> list[dict[str, str]]:
    """Every source x account the nightly run should land (the rows of source_freshness)."""
    expected = [
        {"source": source.name, "account_id": account.id}
        for source in SOCIAL_SOURCES
        for account in source.accounts(config)
    ]
    if config.sources.traditional_media.enabled:
        expected.append({"source": TRADITIONAL_MEDIA, "account_id": MEDIA_PLAN_PART})
    return expected
