"""The figures of one report, read from the published warehouse (read-only, never written).

Period figures are sums over `fct_channel_daily`, the day grain every mart is built from, so any
period and filter add up the way the marts do; ratios are taken on the sums with the marts'
definitions (README "Metrics"). Reach is never summed: the report shows the average of the reach
measurements (an account's day). The extracts are the mart rows behind the report, as they are in
the warehouse: the days of `fct_channel_daily`, the posts published in the period, and the period
marts (`mart_cost_per_engagement`, `mart_roi`, `mart_social_vs_traditional`) where their grain
matches the period."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, fields, replace
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

from core.settings import ReportDefinition, ReportFilter
from reports import formatting as fmt
from reports.ambassadors import Ambassadors, load_ambassadors
from reports.incremental import IncrementalRoi, load_incremental_roi
from reports.periods import ReportPeriod
from sources.config import PipelineConfig

if TYPE_CHECKING:
    from warehouse import Warehouse

TOP_POSTS = 5
# Posts younger than this (to the warehouse's last day) are still gathering engagement: not ranked.
MIN_POST_AGE_DAYS = 7


def _ratio(numerator: str, denominator: str, doc: str | None = None) -> property:
    """A ratio of two totals, NULL when the denominator is 0 (formatting.ratio)."""
    return property(lambda totals: fmt.ratio(getattr(totals, numerator), getattr(totals, denominator)), doc=doc)


# The parts of the investment ("where the I goes", README "Metrics"), in the order reports show them.
INVESTMENT_PARTS = {
    "media_spend": "Media",
    "staff_cost": "Staff time",
    "tool_cost": "Tools",
    "production_cost": "Production",
}


@dataclass(frozen=True)
class Totals:
    investment: float = 0.0
    media_spend: float = 0.0
    staff_cost: float = 0.0
    tool_cost: float = 0.0
    production_cost: float = 0.0
    impressions: int = 0
    engagements: int = 0
    active_engagements: int = 0
    reactions: int = 0
    # None: no channel in these totals measures clicks (the marts store 0 for one without a click metric).
    clicks: int | None = None
    conversions: int = 0
    conversion_value: float = 0.0
    followers_gained: int = 0
    reach_sum: int = 0
    reach_measurements: int = 0
    # The largest reach a single measurement counted (mart_social_vs_traditional's peak_measured_reach):
    # unique people are at least that many. None: nothing measured reach, or the period is not months.
    peak_reach: int | None = None

    def __add__(self, other: Totals) -> Totals:
        def combined(name: str):
            mine, theirs = getattr(self, name), getattr(other, name)
            if mine is None or theirs is None:
                return theirs if mine is None else mine  # what one side does not measure adds nothing
            # Reach is never added up: the larger measurement is still a floor for the people reached.
            return max(mine, theirs) if name == "peak_reach" else mine + theirs

        return Totals(*(combined(f.name) for f in fields(self)))

    cpe = _ratio("investment", "engagements")
    cpc = _ratio("investment", "clicks")
    engagement_rate = _ratio("engagements", "impressions")
    cost_per_active_engagement = _ratio("investment", "active_engagements")
    cost_per_conversion = _ratio("investment", "conversions")
    roas = _ratio("conversion_value", "media_spend")
    average_reach = _ratio(
        "reach_sum",
        "reach_measurements",
        "Mean of the reach measurements (one account's day each): never a sum of reach.",
    )

    @property
    def cpm(self) -> float | None:
        return None if self.impressions == 0 else self.investment / self.impressions * 1000

    @property
    def cost_per_thousand_reached(self) -> float | None:
        """An upper bound, like the mart's: the investment over the largest single reach measurement."""
        return None if not self.peak_reach else self.investment / self.peak_reach * 1000

    @property
    def roi(self) -> float | None:
        return fmt.ratio(self.conversion_value - self.investment, self.investment)

    @property
    def has_activity(self) -> bool:
        return any((self.impressions, self.engagements, self.clicks, self.conversions, self.media_spend))


@dataclass(frozen=True)
class ChannelRow:
    channel: str
    name: str
    group: str
    totals: Totals


@dataclass(frozen=True)
class Post:
    platform: str
    post_id: str
    created_date: date
    campaign_id: str
    text: str
    engagements: int
    impressions: int
    engagement_rate: float | None
    clicks: int | None  # None: the platform has no click metric
    # Engagement rate against the median of the platform's ranked posts of the period (2.0: twice
    # the platform's typical rate); None when not ranked.
    relative_rate: float | None = None


@dataclass(frozen=True)
class Win:
    """A channel's campaign that returned conversions for no or very little investment: the
    maxim's "as I approaches zero, ROI approaches infinity" (mart_roi's rows with zero_investment,
    and those costing at most LOW_INVESTMENT_SHARE of the period's investment)."""

    channel: str
    campaign: str
    totals: Totals  # investment, conversions and their value


@dataclass(frozen=True)
class Freshness:
    source: str
    account_id: str
    last_landed_date: date | None
    status: str
    error: str | None
    is_stale: bool


@dataclass(frozen=True)
class Extract:
    """Mart rows behind the report: an XLSX data sheet and a CSV file."""

    name: str
    columns: list[str]
    rows: list[tuple]


@dataclass(frozen=True)
class ReportData:
    organisation: str
    definition: ReportDefinition
    period: ReportPeriod
    previous: ReportPeriod
    # False when the warehouse starts after the previous period began: no comparison is shown.
    previous_complete: bool
    current: Totals
    prior: Totals | None
    channels: list[ChannelRow]
    groups: list[ChannelRow]
    top_posts: list[Post]
    bottom_posts: list[Post]
    posts_published: int
    # Posts the platform reported no metrics for yet: not ranked (no data is not a bad post).
    posts_unmeasured: int
    freshness: list[Freshness]
    data_from: date | None
    data_through: date | None
    accounts: dict[str, list[str]]
    channel_names: dict[str, str]
    extracts: list[Extract] = field(default_factory=list)
    # Measured posts younger than MIN_POST_AGE_DAYS at the warehouse's last day: not ranked.
    posts_too_recent: int = 0
    # The marketing-mix model's latest fit (None: not asked for, or no fit to show).
    incremental: IncrementalRoi | None = None
    # The month's employee advocacy program (None: not asked for, or no advocacy data to show).
    ambassadors: Ambassadors | None = None
    # Empty when the period is not whole months (mart_roi's grain).
    wins: list[Win] = field(default_factory=list)
    generated_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    @property
    def total(self) -> ChannelRow:
        """The period's totals as a last row under the channels."""
        return ChannelRow("total", "Total", "", self.current)

    @property
    def has_data(self) -> bool:
        return self.current.has_activity

    @property
    def filter_text(self) -> str:
        return describe_filter(self.definition.filter)

    @property
    def freshness_note(self) -> str:
        return freshness_note(self.freshness, self.data_through)

    @property
    def stale(self) -> list[Freshness]:
        return [row for row in self.freshness if row.is_stale]

    @property
    def headline(self) -> str | None:
        return headline_sentence(self.groups)

    def channel_group(self, channel: str) -> str:
        return next((row.group for row in self.channels if row.channel == channel), "other")

    @property
    def posts_note(self) -> str:
        """How the posts were ranked and which were left out (under the PDF's tables, on the sheet)."""
        left_out = [
            f"{self.posts_unmeasured} without metrics from their platform yet" if self.posts_unmeasured else "",
            f"{self.posts_too_recent} younger than {MIN_POST_AGE_DAYS} days" if self.posts_too_recent else "",
        ]
        not_ranked = " and ".join(part for part in left_out if part)
        through = f" to {self.data_through:%d %b %Y}" if self.data_through else ""
        return (
            f"{self.posts_published} organic posts published in the period"
            + (f"; {not_ranked} are not ranked" if not_ranked else "")
            + ". Ranked by engagement rate (engagements / impressions) within their platform, as platforms' rates "
            "differ tenfold: each platform's best and worst first; \u201cvs platform\u201d is the rate against the "
            f"median of the platform's posts (2.0\u00d7: twice its typical rate). Metrics are each post's lifetime{through}."
        )


@dataclass(frozen=True)
class Kpi:
    label: str
    value: Callable[[Totals], float | None]
    text: Callable[[Totals], str]
    # "higher" or "lower" is better (colours the change); None: neither (investment).
    better: str | None
    points: bool = False  # change in percentage points (ROI), not relative


KPIS = (
    Kpi("Investment", lambda t: t.investment, lambda t: fmt.money(t.investment, cents=False), None),
    Kpi("Engagements", lambda t: t.engagements, lambda t: fmt.count(t.engagements), "higher"),
    Kpi("Cost per engagement", lambda t: t.cpe, lambda t: fmt.money(t.cpe), "lower"),
    Kpi("Avg. daily reach per account", lambda t: t.average_reach, lambda t: fmt.count(t.average_reach), "higher"),
    Kpi("Conversions", lambda t: t.conversions, lambda t: fmt.count(t.conversions), "higher"),
    Kpi("ROI", lambda t: t.roi, lambda t: fmt.roi_text(t.roi, t.investment, t.conversion_value), "higher", True),
)


@dataclass(frozen=True)
class KpiFigure:
    label: str
    value: float | None
    previous: float | None
    text: str
    change: fmt.Change


def kpi_figures(data: ReportData) -> list[KpiFigure]:
    """The KPI tiles with their change against the previous period (PDF, XLSX and the email)."""
    out = []
    for kpi in KPIS:
        value = kpi.value(data.current)
        previous = kpi.value(data.prior) if data.prior is not None else None
        change = fmt.change(value, previous, kpi.better == "lower", kpi.points)
        if kpi.better is None:
            change = fmt.Change(change.text, 0)
        out.append(KpiFigure(kpi.label, value, previous, kpi.text(data.current), change))
    return out


GROUP_NAMES = {
    "organic_social": "Organic social",
    "paid_social": "Paid social",
    "traditional": "Traditional",
    "employee_advocacy": "Employee advocacy",
}
FILTER_LABELS = {
    "objective": "objective",
    "campaign": "campaign",
    "service_line": "service line",
    "channel_group": "channel group",
}


def describe_filter(report_filter: ReportFilter) -> str:
    parts = [
        f"{FILTER_LABELS[key]}: {', '.join(GROUP_NAMES.get(v, v) for v in values)}"
        for key, values in report_filter.items()
    ]
    return "; ".join(parts) if parts else "all channels and campaigns"


def freshness_note(rows: list[Freshness], data_through: date | None) -> str:
    through = f"Data through {data_through:%d %b %Y}" if data_through else "No data in the warehouse"
    stale = [row for row in rows if row.is_stale]
    if not stale:
        return f"{through}; all {len(rows)} sources current."
    details = "; ".join(
        f"{row.source} ({row.account_id}) last landed "
        + (f"{row.last_landed_date:%d %b}" if row.last_landed_date else "never")
        + (f", last error: {fmt.shorten(row.error, 120)}" if row.error else "")
        for row in stale
    )
    return f"{through}; {len(stale)} of {len(rows)} sources stale, their figures may be low: {details}."


SOCIAL_GROUPS = ("organic_social", "paid_social")


def _against(value: float, theirs: float | None, text: Callable[[float], str]) -> str:
    """ ", 1.2\u00d7 traditional's $12.04" or ", 19% of traditional's $12.04": one side in the other's units."""
    if not theirs:
        return ""
    share = value / theirs
    return f", {fmt.percent(share, 0) + ' of' if share < 1 else fmt.multiple(share)} traditional's {text(theirs)}"


def headline_sentence(groups: list[ChannelRow]) -> str | None:
    """What social's dollars bought next to traditional's, on the two tiers that add up across
    channels (exposure: cost per thousand impressions; outcome: cost per conversion). A figure
    nothing measured leaves its clause out, a missing side its comparison; None without activity."""
    social = [row for row in groups if row.group in SOCIAL_GROUPS and row.totals.has_activity]
    traditional = next((row.totals for row in groups if row.group == "traditional" and row.totals.has_activity), None)
    if social:
        subject = social[0].name if len(social) == 1 else "Social"
        totals, other = sum((row.totals for row in social), Totals()), traditional
    elif traditional:
        subject, totals, other = GROUP_NAMES["traditional"], traditional, None
    else:
        return None
    clauses = []
    if totals.cpm is not None:
        clauses.append(
            f"{subject}'s {fmt.count(totals.impressions)} impressions cost {fmt.money(totals.cpm)} per thousand"
            + _against(totals.cpm, other and other.cpm, fmt.money)
        )
    if totals.conversions and not totals.investment:
        clauses.append(f"{fmt.count(totals.conversions)} conversions came with no spend")
    elif totals.cost_per_conversion is not None:
        clauses.append(
            f"{fmt.count(totals.conversions)} conversions cost {fmt.money(totals.cost_per_conversion)} each"
            + _against(totals.cost_per_conversion, other and other.cost_per_conversion, fmt.money)
        )
    if not clauses:
        return f"{subject} invested {fmt.money(totals.investment, cents=False)}; nothing measured impressions or conversions."
    first, *rest = clauses
    if not first.startswith(subject):
        first = f"{subject}'s {first}"
    return "; its ".join([first, *rest]) + "."


# --- SQL -----------------------------------------------------------------------------------------


def filter_sql(report_filter: ReportFilter, channel_column: str | None, campaign_column: str | None):
    """(SQL condition, named parameters) narrowing a mart to the filter, or None when the mart
    cannot be narrowed that way (a campaign filter on a mart without campaigns)."""
    conditions, params = ["true"], {}
    campaign_keys = {"objective": "objective", "campaign": "campaign_id", "service_line": "service_line"}
    campaign_conditions = []
    for key, values in report_filter.items():
        names = [f"filter_{key}_{i}" for i in range(len(values))]
        params.update(zip(names, values, strict=True))
        placeholders = ", ".join(f"${name}" for name in names)
        if key == "channel_group":
            if channel_column is None:
                return None
            conditions.append(
                f"{channel_column} in (select channel from channels where channel_group in ({placeholders}))"
            )
        else:
            campaign_conditions.append(f"{campaign_keys[key]} in ({placeholders})")
    if campaign_conditions:
        if campaign_column is None:
            return None
        conditions.append(
            f"{campaign_column} in (select campaign_id from campaigns where {' and '.join(campaign_conditions)})"
        )
    return " and ".join(conditions), params


# The marts store 0 clicks for a channel without a click metric (traditional media, Instagram, X,
# YouTube): a channel that never reported a click does not measure clicks.
CLICK_CHANNELS = "select distinct channel from fct_channel_daily where clicks > 0"
# Each summed figure of Totals and its SQL over fct_channel_daily, in the select list's order.
TOTALS_COLUMNS = (
    ("investment", "coalesce(sum(total_investment), 0)"),
    *((part, f"coalesce(sum({part}), 0)") for part in INVESTMENT_PARTS),
    ("impressions", "coalesce(sum(impressions), 0)"),
    ("engagements", "coalesce(sum(engagements), 0)"),
    ("active_engagements", "coalesce(sum(active_engagements), 0)"),
    ("reactions", "coalesce(sum(reactions), 0)"),
    ("clicks", f"sum(clicks) filter (where channel in ({CLICK_CHANNELS}))"),
    ("conversions", "coalesce(sum(conversions), 0)"),
    ("conversion_value", "coalesce(sum(conversion_value), 0)"),
    ("followers_gained", "coalesce(sum(followers_gained), 0)"),
    ("reach_sum", "coalesce(sum(reach), 0)"),
    ("reach_measurements", "count(reach)"),
)
TOTALS_SQL = f"""
select {{key}}, {", ".join(sql for _, sql in TOTALS_COLUMNS)}
from fct_channel_daily
where date_day between $start and $end and {{condition}}
group by {{key}}
order by {{key}}
"""


MONEY_FIELDS = {"investment", *INVESTMENT_PARTS, "conversion_value"}


def _totals(row: tuple) -> Totals:
    return Totals(
        **{
            name: None if value is None else float(value) if name in MONEY_FIELDS else int(value)
            for (name, _), value in zip(TOTALS_COLUMNS, row, strict=True)
        }
    )


def _grouped_totals(connection, key: str, period: ReportPeriod, condition: str, params: dict) -> dict[str, Totals]:
    sql = TOTALS_SQL.format(key=key, condition=condition)
    rows = connection.execute(sql, {**params, "start": period.start, "end": period.end}).fetchall()
    return {row[0]: _totals(row[1:]) for row in rows}


def _posts(connection, period: ReportPeriod, report_filter: ReportFilter) -> list[Post]:
    clause = filter_sql(report_filter, "platform", "campaign_id")
    if clause is None:
        return []
    condition, params = clause
    rows = connection.execute(
        f"""
        select platform, post_id, created_date, campaign_id, post_text, engagements, impressions, engagement_rate,
               case when platform in ({CLICK_CHANNELS}) then clicks end
        from mart_social_posts
        where created_date between $start and $end and {condition}
        order by engagements desc, engagement_rate desc nulls last, post_id
        """,
        {**params, "start": period.start, "end": period.end},
    ).fetchall()
    return [
        Post(p, i, d, c, t or "", int(e or 0), int(im or 0), er, None if cl is None else int(cl))
        for p, i, d, c, t, e, im, er, cl in rows
    ]


def _too_recent(post: Post, data_through: date | None) -> bool:
    return data_through is None or (data_through - post.created_date).days < MIN_POST_AGE_DAYS


def rank_posts(posts: list[Post], data_through: date | None) -> list[Post]:
    """The posts old enough to rank (MIN_POST_AGE_DAYS) and with an engagement rate, best first by
    where their rate stands among their own platform's posts (its percent rank), then by their rate
    against the platform's median: platforms' typical rates differ tenfold and spread differently
    (an X post earns a fraction of an Instagram post's rate, and X's rates vary more), so a raw
    rate, a count or even a multiple of the median would rank platforms, and the newest posts, not
    posts. So the best and the worst posts of every platform come first."""
    from statistics import median

    rankable = [post for post in posts if post.engagement_rate is not None and not _too_recent(post, data_through)]
    by_platform: dict[str, list[float]] = {}
    for post in rankable:
        by_platform.setdefault(post.platform, []).append(post.engagement_rate)
    medians = {platform: median(rates) for platform, rates in by_platform.items()}

    def percent_rank(post: Post) -> float:
        rates = by_platform[post.platform]
        return sum(rate < post.engagement_rate for rate in rates) / (len(rates) - 1) if len(rates) > 1 else 0.0

    relative = [
        replace(post, relative_rate=post.engagement_rate / medians[post.platform])
        for post in rankable
        if medians[post.platform]
    ]
    return sorted(relative, key=lambda post: (-percent_rank(post), -post.relative_rate, post.platform, post.post_id))


@dataclass(frozen=True)
class ExtractSpec:
    """A mart extract: which columns the filter applies to (None: the mart has no such column, so
    a filter on it leaves the extract out), its period condition (None: every row) and the period
    units whose grain the mart matches."""

    name: str
    source: str
    channel_column: str | None
    campaign_column: str | None
    period_condition: str | None
    units: tuple[str, ...]
    order: str


EXTRACT_SPECS = (
    ExtractSpec(
        "channel_daily",
        "fct_channel_daily",
        "channel",
        "campaign_id",
        "date_day between $start and $end",
        ("day", "week", "month"),
        "date_day, channel, account_id, campaign_id",
    ),
    ExtractSpec(
        "cost_per_engagement",
        "mart_cost_per_engagement",
        "channel",
        "campaign_id",
        "period_type = $unit and period_start between $start and $end",
        ("week", "month"),
        "period_start, channel, campaign_id",
    ),
    ExtractSpec(
        "roi",
        "mart_roi",
        "channel",
        "campaign_id",
        "month_start between $start and $end",
        ("month",),
        "month_start, channel, campaign_id",
    ),
    ExtractSpec(
        "social_vs_traditional",
        "mart_social_vs_traditional",
        "channel",
        None,
        "month_start between $start and $end",
        ("month",),
        "month_start, channel_group, channel",
    ),
    ExtractSpec(
        "posts",
        "mart_social_posts",
        "platform",
        "campaign_id",
        "created_date between $start and $end",
        ("day", "week", "month"),
        "created_date, platform, post_id",
    ),
    ExtractSpec(
        "source_freshness", "source_freshness", None, None, None, ("day", "week", "month"), "source_name, account_id"
    ),
)


EXTRACTS = {spec.name: spec for spec in EXTRACT_SPECS}


def mart_condition(spec: ExtractSpec, period: ReportPeriod, report_filter: ReportFilter) -> tuple[str, dict] | None:
    """The condition (and its parameters) picking a period mart's rows of the period and filter,
    or None when the mart's grain or columns do not fit this report."""
    if period.unit not in spec.units:
        return None
    clause = filter_sql(report_filter, spec.channel_column, spec.campaign_column)
    if clause is None:
        return None
    condition, params = clause
    params = {**params, "start": period.start, "end": period.end}
    if "$unit" in spec.period_condition:
        params["unit"] = period.unit
    return f"{spec.period_condition} and {condition}", params


def extract_query(spec: ExtractSpec, period: ReportPeriod, report_filter: ReportFilter) -> tuple[str, dict] | None:
    """The SQL selecting the extract's rows, or None when the extract does not fit this report."""
    if period.unit not in spec.units:
        return None
    if spec.period_condition is None:
        return f"select * from {spec.source} order by {spec.order}", {}
    where = mart_condition(spec, period, report_filter)
    if where is None:
        return None
    condition, params = where
    return f"select * from {spec.source} where {condition} order by {spec.order}", params


def _peak_reach(connection, key: str, period: ReportPeriod, report_filter: ReportFilter) -> dict[str, int]:
    """Channel (or group) → the largest reach one measurement counted in the period's months."""
    where = mart_condition(EXTRACTS["social_vs_traditional"], period, report_filter)
    if where is None:
        return {}
    condition, params = where
    rows = connection.execute(
        f"select {key}, max(peak_measured_reach) from mart_social_vs_traditional where {condition} "
        f"and peak_measured_reach is not null group by {key}",
        params,
    ).fetchall()
    return {row: int(reach) for row, reach in rows}


def _with_peak_reach(totals: dict[str, Totals], reach: dict[str, int]) -> dict[str, Totals]:
    return {key: replace(value, peak_reach=reach.get(key)) for key, value in totals.items()}


# "Very little investment": a campaign costing at most this share of the period's investment.
LOW_INVESTMENT_SHARE = 0.01


def _wins(connection, period: ReportPeriod, report_filter: ReportFilter, investment: float) -> list[Win]:
    """The period's zero- and low-investment wins, the least investment per dollar returned first."""
    where = mart_condition(EXTRACTS["roi"], period, report_filter)
    if where is None:
        return []
    condition, params = where
    rows = connection.execute(
        f"""
        select channel, coalesce(any_value(campaign_name), campaign_id), sum(total_investment), sum(conversions),
               sum(conversion_value)
        from mart_roi
        where {condition}
        group by channel, campaign_id
        having sum(conversions) > 0 and sum(conversion_value) > sum(total_investment)
           and (bool_and(zero_investment) or sum(total_investment) <= $low)
        order by sum(total_investment) / sum(conversion_value), sum(conversion_value) desc, channel, campaign_id
        """,
        {**params, "low": LOW_INVESTMENT_SHARE * investment},
    ).fetchall()
    return [
        Win(channel, campaign, Totals(investment=float(spent), conversions=int(count), conversion_value=float(value)))
        for channel, campaign, spent, count, value in rows
    ]


def _extracts(connection, period: ReportPeriod, report_filter: ReportFilter) -> list[Extract]:
    out = []
    for spec in EXTRACT_SPECS:
        query = extract_query(spec, period, report_filter)
        if query is None:
            continue
        result = connection.execute(*query)
        columns = [d[0] for d in result.description]
        out.append(Extract(spec.name, columns, result.fetchall()))
    return out


def _freshness(connection) -> list[Freshness]:
    rows = connection.execute(
        "select source_name, account_id, last_landed_date, last_status, last_error, is_stale "
        "from source_freshness order by source_name, account_id"
    ).fetchall()
    return [Freshness(s, a, d, st, e, bool(stale)) for s, a, d, st, e, stale in rows]


def _accounts(
    connection, period: ReportPeriod, condition: str, params: dict, channel_names: dict[str, str], names: dict[str, str]
) -> dict[str, list[str]]:
    """Channel name → the accounts (pages, ad accounts, vendors) with rows in the period."""
    rows = connection.execute(
        f"""
        select distinct channel, account_id from fct_channel_daily
        where date_day between $start and $end and account_id != '(all)' and {condition}
        order by channel, account_id
        """,
        {**params, "start": period.start, "end": period.end},
    ).fetchall()
    accounts: dict[str, list[str]] = {}
    for channel, account_id in rows:
        accounts.setdefault(channel_names.get(channel, channel), []).append(names.get(account_id, account_id))
    return accounts


def account_names(config: PipelineConfig) -> dict[str, str]:
    """Account id → the name configured for it (the warehouse only knows ids)."""
    from sources import API_SOURCES

    return {account.id: account.name for source in API_SOURCES for account in source.accounts(config)}


# What the report queries read: the marts and seeds they name, and every extract's source (copied
# out of a PostgreSQL warehouse into DuckDB, see Warehouse.snapshot).
REPORT_TABLES = sorted(
    {"campaigns", "channels", "fct_channel_daily", "mart_social_posts", "source_freshness"}
    | {spec.source for spec in EXTRACT_SPECS}
)


def data_range(warehouse: Warehouse) -> tuple[date | None, date | None]:
    """First and last day in fct_channel_daily."""
    with warehouse.snapshot(REPORT_TABLES) as connection:
        return connection.execute("select min(date_day), max(date_day) from fct_channel_daily").fetchone()


def period_totals(warehouse: Warehouse, period: ReportPeriod, report_filter: ReportFilter) -> Totals:
    """The period's totals for the filter (what "skip if no data" looks at)."""
    condition, params = filter_sql(report_filter, "channel", "campaign_id")
    with warehouse.snapshot(REPORT_TABLES) as connection:
        return sum(_grouped_totals(connection, "channel", period, condition, params).values(), Totals())


def load_report_data(
    warehouse: Warehouse,
    definition: ReportDefinition,
    period: ReportPeriod,
    config: PipelineConfig,
    with_extracts: bool = True,
) -> ReportData:
    condition, params = filter_sql(definition.filter, "channel", "campaign_id")
    previous = period.previous()
    incremental = (
        load_incremental_roi(warehouse, filter_sql(definition.filter, "channel", None))
        if definition.incremental_roi
        else None
    )
    ambassadors = (
        load_ambassadors(warehouse, period, definition.filter, config.sources.employee_advocacy.min_team_advocates)
        if definition.ambassadors
        else None
    )
    with warehouse.snapshot(REPORT_TABLES) as connection:
        data_from, data_through = connection.execute(
            "select min(date_day), max(date_day) from fct_channel_daily"
        ).fetchone()
        by_channel, by_group = (
            _with_peak_reach(
                _grouped_totals(connection, key, period, condition, params),
                _peak_reach(connection, key, period, definition.filter),
            )
            for key in ("channel", "channel_group")
        )
        current = sum(by_channel.values(), Totals())
        previous_complete = data_from is not None and data_from <= previous.start
        prior = None
        if previous_complete:
            prior = sum(_grouped_totals(connection, "channel", previous, condition, params).values(), Totals())
        channel_info = {
            channel: (name, group)
            for channel, name, group in connection.execute(
                "select channel, channel_name, channel_group from channels"
            ).fetchall()
        }
        posts = _posts(connection, period, definition.filter)
        measured = [post for post in posts if post.engagements or post.impressions or post.clicks]
        ranked = rank_posts(measured, data_through)
        extracts = _extracts(connection, period, definition.filter) if with_extracts else []
        data = ReportData(
            organisation=config.organisation.name,
            definition=definition,
            period=period,
            previous=previous,
            previous_complete=previous_complete,
            current=current,
            prior=prior,
            channels=_ordered_channels(by_channel, channel_info),
            groups=[
                ChannelRow(group, GROUP_NAMES.get(group, group), group, totals)
                for group, totals in sorted(by_group.items(), key=lambda item: _group_rank(item[0]))
            ],
            top_posts=ranked[:TOP_POSTS],
            bottom_posts=list(reversed(ranked[TOP_POSTS:][-TOP_POSTS:])),
            posts_published=len(posts),
            posts_unmeasured=len(posts) - len(measured),
            posts_too_recent=sum(1 for post in measured if _too_recent(post, data_through)),
            freshness=_freshness(connection),
            data_from=data_from,
            data_through=data_through,
            accounts=_accounts(
                connection,
                period,
                condition,
                params,
                {channel: name for channel, (name, _) in channel_info.items()},
                account_names(config),
            ),
            channel_names={channel: name for channel, (name, _) in channel_info.items()},
            extracts=extracts,
            incremental=incremental,
            ambassadors=ambassadors,
            wins=_wins(connection, period, definition.filter, current.investment),
        )
    return data


def _group_rank(group: str) -> int:
    return list(GROUP_NAMES).index(group) if group in GROUP_NAMES else len(GROUP_NAMES)


def _ordered_channels(by_channel: dict[str, Totals], info: dict[str, tuple[str, str]]) -> list[ChannelRow]:
    """In channel-group order (organic, paid, traditional), the biggest investment first."""
    rows = [
        ChannelRow(channel, *info.get(channel, (channel, "other")), totals) for channel, totals in by_channel.items()
    ]
    return sorted(rows, key=lambda row: (_group_rank(row.group), -row.totals.investment, row.channel))
