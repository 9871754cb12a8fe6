"""Employees as brand ambassadors: the month's advocacy program, read from `mart_ambassadors`
(month x team) and `mart_advocacy_content` (month x content item) for the report's page (PDF) and
sheet (XLSX), docs/metrics.md §7 and §8.

The marts describe no fewer than `min_team_advocates` people in a row: smaller teams are summed
into '(smaller teams)', what no team can be credited with is '(not by team)', and content shared by
too few advocates is summed into one row. The report shows the marts' rows as published, and
names the roll-ups as such. The program's figures are sums of the month's rows (the teams add up to
the program), its ratios taken on the sums.

Participation counts distinct sharers, which months cannot add up: the page needs a period of one
calendar month. A warehouse without the advocacy inbox has empty marts (or, built before them, none):
no page and no sheet, like a campaign, objective or service-line filter (the marts have no
campaigns) or a channel-group filter that leaves employee advocacy out."""

from __future__ import annotations

from dataclasses import dataclass, fields
from decimal import Decimal
from typing import TYPE_CHECKING

from reports import formatting as fmt
from reports.incremental import missing_tables
from warehouse import WarehouseMissingError

if TYPE_CHECKING:
    from core.settings import ReportFilter
    from reports.periods import ReportPeriod
    from warehouse import Warehouse

GROUP = "employee_advocacy"
TABLES = ("mart_ambassadors", "mart_advocacy_content", "mart_social_posts")
TITLE = "Employees as brand ambassadors"
COST_HEADING = "Cost per thousand: potential views next to paid impressions"
INVESTMENT_HEADING = 'Where the program\'s "I" goes: employee time, licence, admin'
TEAMS_HEADING = "Teams"
CONTENT_HEADING = "Content employees carried furthest"
# The parts of the program's investment, in the order the page and the sheet show them.
INVESTMENT_PARTS = {"employee_time_cost": "Employee time", "licence_cost": "Licence", "admin_cost": "Admin"}
REACH_CAVEAT = (
    "Potential reach is an upper bound on views: the sharers' connections when they shared, a person "
    "connected to two sharers counted twice, and not every connection sees a share. Its cost per thousand "
    "flatters advocacy next to the impressions paid social and traditional media count."
)
# Earned media value (docs/metrics.md §7) is said with its label: "a translation, not a return".
EMV_LABEL = "Earned media value: a translation, not a return"
EMV_NOTE = "It is not money earned, and is in no ROI."


@dataclass(frozen=True)
class TeamRow:
    """A row of mart_ambassadors (a team, or a roll-up) with the mart's ratios, or the program's
    sums with the ratios taken on them (`Ambassadors.program`)."""

    team: str
    teams: int
    enrolled_advocates: int
    active_advocates: int
    participation_rate: float | None
    shares: int
    potential_reach: int
    clicks: int
    engagements: int
    active_engagements: int
    sessions: int
    conversions: int
    conversion_value: float
    employee_time_cost: float
    licence_cost: float
    admin_cost: float
    program_investment: float
    cost_per_active_engagement: float | None
    cost_per_conversion: float | None
    cost_per_thousand_potential_reach: float | None
    emv_at_paid_social_cpm: float | None

    @property
    def rolled_up(self) -> bool:
        """'(smaller teams)' and '(not by team)': the mart names its roll-ups in parentheses."""
        return self.team.startswith("(")

    @property
    def label(self) -> str:
        if self.team == "(smaller teams)":
            return f"(smaller teams: {self.teams} together)"
        return self.team


# mart_ambassadors' columns the report reads, as TeamRow names them.
TEAM_COLUMNS = tuple(f.name for f in fields(TeamRow))
MONEY_COLUMNS = {"conversion_value", *INVESTMENT_PARTS, "program_investment"}


# The sums of a row; the others are ratios or names.
SUMMED = (
    "teams",
    "enrolled_advocates",
    "active_advocates",
    "shares",
    "potential_reach",
    "clicks",
    "engagements",
    "active_engagements",
    "sessions",
    "conversions",
    "conversion_value",
    "employee_time_cost",
    "licence_cost",
    "admin_cost",
    "program_investment",
    "emv_at_paid_social_cpm",
)


def program_row(rows: list[TeamRow]) -> TeamRow:
    """The rows summed, each ratio as the mart defines it but on the sums (never an average)."""
    sums = {name: sum(getattr(row, name) or 0 for row in rows) for name in SUMMED}
    for name in MONEY_COLUMNS:
        sums[name] = round(sums[name], 2)  # to the cent, as the mart's rows are
    per_thousand = fmt.ratio(sums["program_investment"], sums["potential_reach"])
    return TeamRow(
        team="Program",
        participation_rate=fmt.ratio(sums["active_advocates"], sums["enrolled_advocates"]),
        cost_per_active_engagement=fmt.ratio(sums["program_investment"], sums["active_engagements"]),
        cost_per_conversion=fmt.ratio(sums["program_investment"], sums["conversions"]),
        cost_per_thousand_potential_reach=None if per_thousand is None else per_thousand * 1000,
        **sums,
    )


@dataclass(frozen=True)
class ContentRow:
    """A row of mart_advocacy_content, with its own post's text where there is one."""

    content_id: str
    items: int
    advocates: int
    shares: int
    potential_reach: int
    clicks: int
    engagements: int
    active_engagements: int
    own_post_platform: str | None
    own_post_id: str | None
    campaign_id: str | None
    own_post_impressions: int | None
    own_post_engagements: int | None
    reach_per_own_impression: float | None
    own_post_text: str | None

    @property
    def rolled_up(self) -> bool:
        """'(shared by fewer than N advocates)', the items summed together."""
        return self.content_id.startswith("(")

    @property
    def own_post_measured(self) -> bool:
        """An own post its platform has reported nothing for yet (as the posts ranking treats it)
        has no impressions to compare with: not 0, not measured."""
        return bool(self.own_post_impressions or self.own_post_engagements)


@dataclass(frozen=True)
class Ambassadors:
    teams: list[TeamRow]  # the mart's rows of the month: named teams by potential reach, then the roll-ups
    content: list[ContentRow]  # by potential reach, the roll-up last
    # The month's CPMs the mart publishes beside advocacy's (None: no such impressions that month).
    paid_social_cpm: float | None
    traditional_cpm: float | None
    least: int  # min_team_advocates: the fewest people a row describes

    @property
    def program(self) -> TeamRow:
        """The month's program: every row summed (the teams add up to the channel)."""
        return program_row(self.teams)

    @property
    def named_teams(self) -> list[TeamRow]:
        return [row for row in self.teams if not row.rolled_up]

    @property
    def emv(self) -> float | None:
        """The month's potential reach priced at paid social's CPM: a translation (docs/metrics.md §7)."""
        return None if self.paid_social_cpm is None else self.program.emv_at_paid_social_cpm

    @property
    def intro(self) -> str:
        program = self.program
        return (
            f"{program.shares:,} shares of the organisation's posts by {program.active_advocates:,} of the "
            f"{program.enrolled_advocates:,} advocates enrolled on the month's first day. No row describes fewer "
            f"than {self.least} people: smaller teams are summed into \u201c(smaller teams)\u201d, and what no "
            "team can be credited with (an unknown team's links, the program's cost on days without shares) is "
            "\u201c(not by team)\u201d."
        )

    @property
    def emv_text(self) -> str:
        """What the EMV is, said under its label."""
        if self.emv is None:
            return f"No paid social ran this month: there is no CPM to translate the potential reach at. {EMV_NOTE}"
        return (
            f"What the {fmt.count(self.program.potential_reach)} potential views would have cost bought as paid "
            f"social at the month's {fmt.money(self.paid_social_cpm)} per thousand: "
            f"{fmt.money(self.emv, cents=False)}. {EMV_NOTE}"
        )

    @property
    def rolled_up_note(self) -> str:
        """What the content roll-up row holds ("" without one)."""
        rolled = next((row for row in self.content if row.rolled_up), None)
        if rolled is None:
            return ""
        return (
            f"{rolled.items} items shared by fewer than {self.least} advocates each are summed into one row "
            f"({fmt.count(rolled.potential_reach)} potential reach together)."
        )

    @property
    def content_note(self) -> str:
        return (
            "Each item's potential reach next to the impressions of the organisation's own post it was curated "
            "from (\u201cvs own post\u201d: 2.0\u00d7 is twice the page's own audience for it; \u2014: no own post, "
            f"or one its platform has not measured). {self.rolled_up_note}"
        ).strip()


def _number(name: str, value):
    if value is None:
        return None
    if isinstance(value, Decimal):
        return float(value)
    return float(value) if name in MONEY_COLUMNS else value


def _teams(connection, period: ReportPeriod) -> list[TeamRow]:
    rows = connection.execute(
        f"select {', '.join(TEAM_COLUMNS)} from mart_ambassadors where month_start = $start",
        {"start": period.start},
    ).fetchall()
    teams = [TeamRow(*(_number(name, value) for name, value in zip(TEAM_COLUMNS, row, strict=True))) for row in rows]
    return sorted(teams, key=lambda row: (row.rolled_up, -row.potential_reach, -row.active_advocates, row.team))


CONTENT_SQL = """
select c.content_id, c.items, c.advocates, c.shares, c.potential_reach, c.clicks, c.engagements,
       c.active_engagements, c.own_post_platform, c.own_post_id, c.campaign_id, c.own_post_impressions,
       c.own_post_engagements, c.reach_per_own_impression, p.post_text
from mart_advocacy_content as c
left join mart_social_posts as p on c.own_post_id = p.post_id and c.own_post_platform = p.platform
where c.month_start = $start
order by starts_with(c.content_id, '('), c.potential_reach desc, c.content_id
"""


def _content(connection, period: ReportPeriod) -> list[ContentRow]:
    return [ContentRow(*row) for row in connection.execute(CONTENT_SQL, {"start": period.start}).fetchall()]


def _cpms(connection, period: ReportPeriod) -> tuple[float | None, float | None]:
    """The month's paid social and traditional CPM: the same on every row of the month."""
    return connection.execute(
        "select max(paid_social_cpm), max(traditional_cpm) from mart_ambassadors where month_start = $start",
        {"start": period.start},
    ).fetchone()


def _follows(report_filter: ReportFilter) -> bool:
    """Whether the marts can follow the filter: a channel-group filter keeping employee advocacy,
    and nothing else (the marts have no campaigns)."""
    return all(key == "channel_group" and GROUP in values for key, values in report_filter.items())


def load_ambassadors(
    warehouse: Warehouse, period: ReportPeriod, report_filter: ReportFilter, least: int
) -> Ambassadors | None:
    """The month's advocacy figures, or None: not one calendar month, a filter the marts cannot
    follow, or no advocacy data in the warehouse."""
    if period.unit != "month" or period.count != 1 or not _follows(report_filter):
        return None
    try:
        # A snapshot of its own, as the incremental page takes: on PostgreSQL, a warehouse built
        # before the advocacy marts fails the whole copy, which must not fail the report.
        with warehouse.snapshot(list(TABLES)) as connection:
            if missing_tables(connection, TABLES):
                return None
            teams = _teams(connection, period)
            if not teams:
                return None
            paid_social_cpm, traditional_cpm = _cpms(connection, period)
            return Ambassadors(teams, _content(connection, period), paid_social_cpm, traditional_cpm, least)
    except WarehouseMissingError:
        return None
