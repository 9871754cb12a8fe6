"""What a source declares, once, so that the rest of the pipeline needs no per-source code.

An API source (`ApiSource`) names its config section, the entities it lands with their schemas, the
one function that fetches them for an account (`fetch`, given an `Extraction`), its landing suites and
the sandbox that stands in for it. An inbox source (`InboxSource`) names its config section and the
declarative `Inbox` that reads, checks and lands its files. `sources/` holds one module per source,
each exporting its spec as `SPEC`; `sources/__init__.py` lists them. The history check, the window,
landing and the extraction log are written once, in `nightly/extract.py` and `nightly/tasks.py`."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from core.landing import RunContext, landed_before, landed_dates
from core.settings import Account, HttpSettings, InboxSettle, Windows
from core.windows import DateWindow, extraction_window
from extractors.http import ApiEndpoint
from extractors.suites import Checks, entity_suites, shape_suites

if TYPE_CHECKING:
    import pyarrow as pa

    from core.landing import Root
    from extractors.inbox import Inbox, InboxResult

# A landing suite for one entity, built for the partition's day (great_expectations.ExpectationSuite).
SuiteFactory = Callable[[date], Any]
Rows = Sequence[Mapping[str, Any]]


@dataclass(frozen=True)
class Extraction:
    """One account of one source, extracted for one night: everything a source's `fetch` is given."""

    source: str
    account: Account
    endpoint: ApiEndpoint
    settings: Any  # the source's config section (its `settings_model`)
    windows: Windows
    http: HttpSettings
    ctx: RunContext
    tz: ZoneInfo
    history_entity: str
    landing_root: Root | None = None
    sleep: Callable[[float], None] = time.sleep

    @property
    def day(self) -> date:
        return self.ctx.partition_date

    @property
    def has_history(self) -> bool:
        """Whether this account landed its history entity on an earlier night (else: first run)."""
        return landed_before(self.source, self.history_entity, self.account.id, self.day, self.landing_root)

    def window(self, lookback_days: int | None = None) -> DateWindow:
        """The days to read tonight: `windows.backfill_days` on the first run, then the lookback
        (`windows.lookback_days` unless the source has its own) because platforms revise recent days."""
        lookback = self.windows.lookback_days if lookback_days is None else lookback_days
        return extraction_window(self.day, self.has_history, self.windows.backfill_days, lookback)

    def earlier_days(self, entity: str) -> list[date]:
        """The nights before this one on which this account landed `entity`."""
        return [d for d in landed_dates(self.source, entity, self.account.id, self.landing_root) if d < self.day]


@dataclass(frozen=True)
class Connection:
    """What the source's Airflow connections hold, as error messages name it."""

    platform: str  # e.g. "X API v2"
    token_kind: str  # e.g. "app-only Bearer token"
    default_api_version: str = ""  # when the connection's extra names none


class _ConfigSection:
    """What a spec reads of the pipeline configuration: its section, `sources.<name>`."""

    name: str

    def settings(self, config) -> Any:
        return getattr(config.sources, self.name)

    def enabled(self, config) -> bool:
        """Whether the section is there (an API source's may be left out) and not turned off."""
        settings = self.settings(config)
        return settings is not None and settings.enabled


@dataclass(frozen=True)
class ApiSource(_ConfigSection):
    """A platform API read per account (organic social, paid social, web analytics)."""

    name: str  # config key under `sources`, landing source name
    settings_model: type
    entities: Mapping[str, pa.Schema]  # what it lands, in landing order
    # Fetches every entity for one account; returns rows per entity. Everything is fetched before
    # anything is landed, so a failure leaves earlier partitions intact.
    fetch: Callable[[Extraction], Mapping[str, Rows]]
    history_entity: str  # its landed days tell a first run (backfill) from a later one
    connection: Connection
    sandbox: str  # the sandbox platform that stands in for it (sandbox/registry.py)
    # {entity: suite factory}, or settings -> that; unset: each entity's shape suite.
    suites: Mapping[str, SuiteFactory] | Callable[[Any], Mapping[str, SuiteFactory]] | None = None
    required: bool = False  # whether config/pipeline.yml must have its section

    def accounts(self, config) -> list[Account]:
        return list(self.settings(config).accounts) if self.enabled(config) else []

    def landing_suites(self, config) -> Mapping[str, SuiteFactory]:
        if self.suites is None:
            return shape_suites(self.name, self.entities)
        return self.suites(self.settings(config)) if callable(self.suites) else self.suites


@dataclass(frozen=True)
class InboxNight:
    """One night of one inbox source: everything its `land` is given."""

    folder: Path  # the inbox folder
    quarantine_root: Path
    ctx: RunContext
    landing_root: Root | None
    settle: InboxSettle
    settings: Any  # the source's config section (its `settings_model`)
    tz: ZoneInfo  # the organisation's
    # The Airflow Variables the source declares (`InboxSource.variables`), read by the nightly task.
    variables: Mapping[str, str] = field(default_factory=dict)
    now: datetime | None = None  # the clock the settle time is measured on (None: now)


@dataclass(frozen=True)
class InboxSource(_ConfigSection):
    """A source that marketing ops feed by dropping files (CSV or XLSX) in an inbox folder. The
    inbox is the current state: each run lands one account-less snapshot, named `inbox.part` in the
    landing zone and in the extraction log. Its landing suite is `checks`: the inbox already rejects
    bad files row by row; the gate guards the landed snapshot as a whole.

    An export of several reports dropped together (the advocacy platform's users and shares) is one
    source with one entity per report: `inbox` is the first report, `reports` the others with their
    checks, all of the same part, and `lands` lands them together (default: `inbox.land`)."""

    settings_model: type
    inbox: Inbox
    checks: Checks  # the landed snapshot's expectations for the partition's day
    reports: tuple[tuple[Inbox, Checks], ...] = ()
    # Airflow Variables the night needs, {name: what it is and how to set it}; the nightly task
    # reads them (sources/ never imports Airflow) and a missing one fails the task with that text.
    variables: Mapping[str, str] = field(default_factory=dict)
    lands: Callable[[InboxNight], InboxResult] | None = None
    entities: Mapping[str, pa.Schema] = field(init=False)
    suites: Mapping[str, SuiteFactory] = field(init=False)  # {entity: suite factory}

    def __post_init__(self) -> None:
        inboxes = [(self.inbox, self.checks), *self.reports]
        if {inbox.source for inbox, _ in inboxes} != {self.inbox.source} or {inbox.part for inbox, _ in inboxes} != {
            self.inbox.part
        }:
            raise ValueError(f"{self.inbox.source}: the reports of one inbox source land under one source and part")
        object.__setattr__(self, "entities", {inbox.entity: inbox.schema for inbox, _ in inboxes})
        object.__setattr__(
            self, "suites", entity_suites(self.inbox.source, {inbox.entity: checks for inbox, checks in inboxes})
        )

    @property
    def name(self) -> str:
        return self.inbox.source

    @property
    def entity(self) -> str:
        return self.inbox.entity

    @property
    def part(self) -> str:
        return self.inbox.part

    def landing_suites(self, config) -> Mapping[str, SuiteFactory]:
        return self.suites

    def land(self, night: InboxNight) -> InboxResult:
        """Land tonight's snapshot of the inbox (every entity), as `Inbox.land` does."""
        if self.lands is not None:
            return self.lands(night)
        return self.inbox.land(
            night.folder, night.quarantine_root, night.ctx, night.landing_root, night.settle, night.now
        )
