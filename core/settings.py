"""The sections of the pipeline configuration (`config/pipeline.yml`) that every step shares, as
typed, validated objects; the whole file is `sources.config.PipelineConfig`, whose loader turns
any value these sections refuse into the `ConfigError` defined here."""

from __future__ import annotations

import csv
import re
from functools import cache, cached_property
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import croniter
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

from core.paths import PROJECT_ROOT

Identifier = Annotated[str, Field(pattern=r"^[A-Za-z0-9_.-]+$", min_length=1)]


def _valid_cron(value: str) -> str:
    if not croniter.is_valid(value):
        raise ValueError(f"not a valid cron expression: {value!r} (e.g. '0 7 * * 1', Mondays at 07:00)")
    return value


Cron = Annotated[str, AfterValidator(_valid_cron)]


class ConfigError(ValueError):
    """The configuration file is missing, unreadable or invalid."""


class _Strict(BaseModel):
    # Unknown keys are errors: a typo must not silently fall back to a default.
    model_config = ConfigDict(extra="forbid", frozen=True)


class Organisation(_Strict):
    name: str = Field(min_length=1)
    timezone: str

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown IANA timezone {value!r} (e.g. America/Chicago)") from exc
        return value

    @cached_property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


class Schedule(_Strict):
    cron: Cron
    retries: int = Field(default=3, ge=0)
    retry_delay_seconds: int = Field(default=60, gt=0)
    max_retry_delay_seconds: int = Field(default=1800, gt=0)


class Windows(_Strict):
    backfill_days: int = Field(default=90, ge=1, le=730)
    lookback_days: int = Field(default=3, ge=1, le=90)
    post_snapshot_days: int = Field(default=28, ge=1, le=365)


class HttpSettings(_Strict):
    timeout_seconds: float = Field(default=30, gt=0)
    max_retries: int = Field(default=6, ge=0)
    backoff_base_seconds: float = Field(default=2, ge=0)
    max_backoff_seconds: float = Field(default=300, ge=0)
    # Above this usage percent (X-App-Usage / X-Business-Use-Case-Usage) requests are spaced out.
    usage_slowdown_percent: float = Field(default=80, gt=0, le=100)
    usage_slowdown_seconds: float = Field(default=5, ge=0)
    # The most pages one paged edge may run to before the extraction stops as a paging loop. The
    # biggest real edges stay far below: Instagram's media edge reaches 10,000 items (100 pages of
    # 100), X's timeline 3,200 posts (32 pages), and a Meta Ads backfill of a large account some
    # hundreds of pages; 10,000 pages leaves room for all of them, while an edge that never ends (a
    # new cursor on every page, which the repeated-cursor check cannot see) still stops the same night.
    max_pages_per_edge: int = Field(default=10_000, ge=1)
    # A Meta token that dies within this many days (debug_token's expires_at or
    # data_access_expires_at) gets a warning alert every night until it is renewed.
    token_expiry_warning_days: int = Field(default=7, ge=0)


class Account(_Strict):
    id: Identifier
    name: str = Field(min_length=1)
    connection_id: Identifier


def _no_duplicate_accounts(accounts: list[Account]) -> None:
    ids = [a.id for a in accounts]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise ValueError(f"duplicate account id(s): {', '.join(duplicates)}")


class ApiSourceSettings(_Strict):
    enabled: bool = True
    accounts: list[Account] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_accounts(self):
        _no_duplicate_accounts(self.accounts)
        return self


class InboxSettle(_Strict):
    """When a file dropped in an inbox is complete enough to read: at once when `<file>.done` was
    written after it; otherwise, unless `require_done_marker`, once it has not changed for
    `settle_seconds` (a copy still running keeps changing it). A file not complete yet waits in the
    inbox, and the source is not refreshed that night."""

    settle_seconds: int = Field(default=300, ge=0, le=86_400)
    require_done_marker: bool = False


class InboxSourceSettings(_Strict):
    enabled: bool = True
    # Unset: the global `inboxes` setting.
    settle_seconds: int | None = Field(default=None, ge=0, le=86_400)
    require_done_marker: bool | None = None

    def settle(self, defaults: InboxSettle) -> InboxSettle:
        return InboxSettle(
            settle_seconds=defaults.settle_seconds if self.settle_seconds is None else self.settle_seconds,
            require_done_marker=(
                defaults.require_done_marker if self.require_done_marker is None else self.require_done_marker
            ),
        )


class VolumeBand(_Strict):
    """Rows a source x account lands for a day against the median of its trailing days: outside the
    warning band alerts, outside the failure band stops the run."""

    trailing_days: int = Field(default=14, ge=3, le=90)
    # Fewer landed days than this and the band is not checked yet (a new source has no history).
    min_history_days: int = Field(default=5, ge=1)
    warn_below: float = Field(default=0.5, gt=0)
    fail_below: float = Field(default=0.1, ge=0)
    warn_above: float = Field(default=3.0, gt=1)
    fail_above: float = Field(default=10.0, gt=1)

    @model_validator(mode="after")
    def _ordered(self):
        if not (self.fail_below <= self.warn_below < 1 < self.warn_above <= self.fail_above):
            raise ValueError("need fail_below <= warn_below < 1 < warn_above <= fail_above")
        if self.min_history_days > self.trailing_days:
            raise ValueError("min_history_days cannot exceed trailing_days")
        return self


class SnapshotBand(_Strict):
    """Rows an inbox snapshot holds against the previous snapshot. An inbox lands all its files
    every night, so a snapshot shrinks only when a file or rows went missing (a half-landed
    export): below the warning share alerts, below the failure share stops the run."""

    warn_below: float = Field(default=0.95, gt=0, le=1)
    fail_below: float = Field(default=0.8, ge=0, le=1)

    @model_validator(mode="after")
    def _ordered(self):
        if self.fail_below > self.warn_below:
            raise ValueError("need fail_below <= warn_below")
        return self


class Plausibility(_Strict):
    """Mart values outside these bounds raise a warning (they publish, and alert). They apply per
    channel and month (mart_social_vs_traditional), where a small campaign's few dollars cannot
    make a ratio explode; `max_cost_per_engagement` applies to 95% of mart_cost_per_engagement."""

    max_cost_per_engagement: float = Field(default=50, gt=0)
    max_cost_per_active_engagement: float = Field(default=150, gt=0)
    max_cost_per_conversion: float = Field(default=5_000, gt=0)
    min_roi: float = Field(default=-1.0, ge=-1.0)
    max_roi: float = Field(default=50.0, gt=0)
    # Web sessions arriving through advocacy links per click the advocacy platform counted, over the
    # days GA4 covers: consent banners, bots and blocked trackers lose some clicks, but far fewer
    # sessions than clicks means the links' UTM tags or the GA4 extract broke.
    min_advocacy_sessions_per_click: float = Field(default=0.5, ge=0)
    max_advocacy_sessions_per_click: float = Field(default=1.2, gt=0)


class Alerts(_Strict):
    """Where quality alerts go. Recipients are addresses, not secrets; the SMTP server and the
    webhook URL (which carries a token) live in Airflow connections."""

    email_to: list[Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]] = Field(default_factory=list)
    smtp_conn_id: Identifier = "smtp_default"
    # An http connection whose host is the Slack-style incoming webhook URL; None = no webhook.
    webhook_conn_id: Identifier | None = None


class Quality(_Strict):
    volume: VolumeBand = VolumeBand()
    snapshot_volume: SnapshotBand = SnapshotBand()
    # A lifetime post metric may be revised down by this share of its previous value (platforms
    # correct spam and bots) before the landing gate treats it as going backwards.
    lifetime_drop_tolerance: float = Field(default=0.05, ge=0, lt=1)
    # A partition missing for an enabled account: "warning" publishes the others and marks the
    # source stale; "critical" stops the run.
    missing_partition_severity: Literal["warning", "critical"] = "warning"
    plausibility: Plausibility = Plausibility()
    alerts: Alerts = Alerts()


# Marketing mix (mix/; docs/marketing-mix.md) -----------------------------------------------------

# What moves each channel's effect (channel keys as in dbt/seeds/channels.csv): paid media its media
# spend; organic social the campaign posts it published, since most of its cost is staff time that
# does not move with what a week delivers; traditional media the media plan's gross impressions,
# which carry a flight's weight better than its invoice dates.
MixDriver = Literal["spend", "posts", "impressions"]
MIX_TRADITIONAL = ("tv", "radio", "print", "ooh", "direct_mail")
DEFAULT_MIX_DRIVERS: dict[str, MixDriver] = {
    "meta_ads": "spend",
    **dict.fromkeys(("facebook", "instagram", "x", "youtube", "linkedin"), "posts"),
    **dict.fromkeys(MIX_TRADITIONAL, "impressions"),
}


class MixBounds(_Strict):
    """How far a budget scenario may move a channel's weekly spend from the current one (a share up
    or down), and the channels it may not move: traditional media are bought in contracts a quarter
    or more ahead, so a reallocation proposes nothing the team cannot buy."""

    max_change: float = Field(default=0.30, gt=0, lt=1)
    fixed: list[Identifier] = list(MIX_TRADITIONAL)


class MixChecks(_Strict):
    """What a fit must show before its results are published (the marketing_mix DAG's fit gate):
    a fit that explains too little of the weekly KPI, or predicts the weeks it was not shown too
    badly, publishes nothing and last week's results stay."""

    min_r2: float = Field(default=0.5, ge=0, lt=1)
    # The mean absolute error on the held-out last weeks, as a share of their KPI.
    max_holdout_error: float = Field(default=0.25, gt=0)


class MixSettings(_Strict):
    """The marketing-mix model (config `marketing_mix`): the KPI, each channel's driver, how much
    history a fit needs and how its intervals are drawn."""

    # Web key events whose weekly count (every session, tagged or not) is the KPI.
    kpi: list[Literal["appointment_request", "class_registration"]] = Field(
        default=["appointment_request", "class_registration"], min_length=1
    )
    drivers: dict[Identifier, MixDriver] = Field(default_factory=lambda: dict(DEFAULT_MIX_DRIVERS), min_length=1)
    # Channels whose conversions are all tracked by their own links and follow no response curve of
    # a budget (employee advocacy: a share's clicks are its visits): their key events are taken out
    # of the KPI, so they are not read as baseline or as another channel's effect, and their return
    # is the attributed one (mart_roi).
    tracked_only: list[Identifier] = ["employee_advocacy"]
    # Fewer weeks do not fit at all; fewer than `trusted_weeks` fit, flagged as too short to trust.
    min_weeks: int = Field(default=52, ge=26)
    trusted_weeks: int = Field(default=78, ge=26)
    # The last weeks refitted without and predicted, to check the model on weeks it has not seen.
    holdout_weeks: int = Field(default=13, ge=1)
    interval: float = Field(default=0.90, gt=0.5, lt=1)
    bootstrap_draws: int = Field(default=200, ge=10, le=10_000)
    # Yearly seasonality of the baseline: Fourier harmonics (0: none).
    seasonality_harmonics: int = Field(default=0, ge=0, le=4)
    # Weekly indicators the baseline may move with (mix.model.named_controls).
    controls: list[Literal["flu_season", "holidays"]] = []
    seed: int = 7
    bounds: MixBounds = MixBounds()
    checks: MixChecks = MixChecks()

    @model_validator(mode="after")
    def _consistent(self):
        if self.min_weeks > self.trusted_weeks:
            raise ValueError("min_weeks cannot exceed trusted_weeks")
        if self.holdout_weeks * 2 > self.min_weeks:
            raise ValueError("holdout_weeks must leave at least half of min_weeks to fit on")
        known = seed_values("channels.csv", "channel")
        unknown = sorted(set(self.drivers) - known)
        if unknown:
            raise ValueError(
                f"drivers: unknown channel(s) {', '.join(unknown)}; known (dbt/seeds/channels.csv): "
                + ", ".join(sorted(known))
            )
        both = sorted(set(self.tracked_only) & set(self.drivers))
        if both:
            raise ValueError(f"tracked_only names channel(s) that also have a driver: {', '.join(both)}")
        unmodelled = sorted(set(self.bounds.fixed) - set(self.drivers))
        if unmodelled:
            raise ValueError(f"bounds.fixed names channel(s) without a driver: {', '.join(unmodelled)}")
        return self


# Report exports (reports/, dags/report_exports.py) ----------------------------------------------

SEEDS_DIR = PROJECT_ROOT / "dbt" / "seeds"
# A report filter may only name values the dbt seeds know: filter key -> (seed file, column).
REPORT_FILTER_SEEDS = {
    "objective": ("objectives.csv", "objective"),
    "campaign": ("campaigns.csv", "campaign_id"),
    "service_line": ("campaigns.csv", "service_line"),
    "channel_group": ("channels.csv", "channel_group"),
}
_EMAIL = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$"
)


@cache
def seed_values(file: str, column: str) -> frozenset[str]:
    """The values of one column of a dbt seed (read once per process)."""
    with open(SEEDS_DIR / file, newline="", encoding="utf-8") as handle:
        return frozenset(row[column] for row in csv.DictReader(handle))


class RollingPeriod(_Strict):
    """The last `count` complete days, weeks (Monday to Sunday) or calendar months before the run,
    in the organisation's timezone; the previous period of the same length is the comparison."""

    unit: Literal["day", "week", "month"]
    count: int = Field(default=1, ge=1, le=366)


class ReportFilter(_Strict):
    """Narrow a report; each key takes one value or a list (any of them). Empty = everything."""

    objective: list[str] = []
    campaign: list[str] = []
    service_line: list[str] = []
    channel_group: list[str] = []

    @field_validator("*", mode="before")
    @classmethod
    def _one_or_many(cls, value):
        return [value] if isinstance(value, str) else value

    def items(self) -> list[tuple[str, list[str]]]:
        """The keys that are set, in a stable order."""
        return [(key, getattr(self, key)) for key in REPORT_FILTER_SEEDS if getattr(self, key)]


class EmailTarget(_Strict):
    """Email the files to the report's recipients through an Airflow SMTP connection."""

    type: Literal["email"]
    conn_id: Identifier = "smtp_default"


class FolderTarget(_Strict):
    """Copy the files into a folder; a relative path is under the data directory."""

    type: Literal["folder"]
    path: str = Field(min_length=1)


class ObjectStorageTarget(_Strict):
    """Copy the files to object storage (Airflow ObjectStoragePath), e.g. s3://bucket/reports."""

    type: Literal["object_storage"]
    url: str = Field(pattern=r"^[a-z][a-z0-9+.-]*://\S+$")
    conn_id: Identifier | None = None


DeliveryTarget = Annotated[EmailTarget | FolderTarget | ObjectStorageTarget, Field(discriminator="type")]


class ReportDefinition(_Strict):
    name: Identifier
    title: str = Field(min_length=1)
    # Cron expression in the organisation's timezone: "0 7 * * 1" is Mondays at 07:00.
    schedule: Cron
    period: RollingPeriod
    filter: ReportFilter = ReportFilter()
    formats: list[Literal["pdf", "xlsx", "csv"]] = Field(min_length=1)
    recipients: list[str] = []
    targets: list[DeliveryTarget] = Field(min_length=1)
    # A period with no activity for the filter sends nothing (and is recorded as skipped).
    skip_if_no_data: bool = True
    # The page and sheet "What each channel adds": the marketing-mix model's latest fit, when the
    # warehouse has one (a campaign, objective or service-line filter leaves them out: the model
    # has no campaigns).
    incremental_roi: bool = False
    # The page and sheet "Employees as brand ambassadors": the month's advocacy program from
    # mart_ambassadors and mart_advocacy_content, when the warehouse has advocacy data (a period of
    # one calendar month; a campaign, objective or service-line filter leaves them out).
    ambassadors: bool = False

    @model_validator(mode="after")
    def _consistent(self):
        where = f"report {self.name!r}"
        if len(set(self.formats)) != len(self.formats):
            raise ValueError(f"{where}: formats lists a format twice")
        for address in self.recipients:
            if not _EMAIL.match(address):
                raise ValueError(f"{where}: recipients: {address!r} is not an email address (name@example.org)")
        emails = sum(isinstance(target, EmailTarget) for target in self.targets)
        if emails > 1:
            raise ValueError(f"{where}: targets: give at most one email target")
        if emails and not self.recipients:
            raise ValueError(f"{where}: targets has email but recipients is empty")
        if self.recipients and not emails:
            raise ValueError(f"{where}: recipients are set but targets has no email target")
        for key, values in self.filter.items():
            file, column = REPORT_FILTER_SEEDS[key]
            known = seed_values(file, column)
            for value in values:
                if value not in known:
                    raise ValueError(
                        f"{where}: filter.{key} {value!r} is not in dbt/seeds/{file} (column {column}); "
                        f"known values: {', '.join(sorted(known))}"
                    )
        return self


def _unique_report_names(reports: list[ReportDefinition]) -> list[ReportDefinition]:
    names = [report.name for report in reports]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise ValueError(f"duplicate report name(s): {', '.join(duplicates)}")
    return reports
