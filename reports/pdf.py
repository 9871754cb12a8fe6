"""The PDF snapshot: pages a marketing director reads in a minute.

1. the "I \u2192 0" story: a headline sentence from the numbers, the KPI tiles with the change against
   the previous period, social next to traditional in the tiers of a fair comparison, where the
   investment goes (media, staff time, tools, production), the period's zero- and low-investment
   wins, and the data-freshness note (which sources are stale);
2. the per-channel table, cost per conversion and ROI by channel, and when sources are stale, when
   each last landed and its last error;
3. what each channel adds, when the report asks for it and the warehouse has a fit of the
   marketing-mix model: attributed next to incremental ROI, the response curves, the budget
   scenario and the fit's quality;
4. employees as brand ambassadors, when the report asks for it and the warehouse has the month's
   advocacy data: participation, advocacy's cost per thousand potential reach next to the paid
   CPMs, the program's investment split, the teams and the content employees carried furthest;
5. the top and bottom posts of the period.

A channel group has one colour on every page (charts.colour), its channels shades of it. A
section without data is left out. Every page carries the metric definitions in its footer. Text is set in DejaVu Sans (shipped with
matplotlib) so that names, post text and the infinity sign print; characters the font lacks (emoji)
are left out rather than printed as boxes."""

from __future__ import annotations

import io
import logging
import struct
from collections import Counter
from collections.abc import Callable
from functools import cached_property
from pathlib import Path

import matplotlib
from fpdf import FPDF, FontFace

from reports import formatting as fmt
from reports.ambassadors import (
    CONTENT_HEADING,
    COST_HEADING,
    EMV_LABEL,
    INVESTMENT_HEADING,
    REACH_CAVEAT,
    TEAMS_HEADING,
    Ambassadors,
    ContentRow,
    TeamRow,
)
from reports.ambassadors import GROUP as ADVOCACY
from reports.ambassadors import INVESTMENT_PARTS as PROGRAM_PARTS
from reports.ambassadors import TITLE as AMBASSADORS_TITLE
from reports.charts import MUTED, TEXT, Bar, Curve, Part, Stack, colour, horizontal_bars, share_bars, small_curves
from reports.incremental import (
    BUDGET_HEADING,
    CHANNELS_HEADING,
    CURVES_HEADING,
    TITLE,
    UNCERTAIN_MARK,
    ChannelEffect,
    IncrementalRoi,
    ResponseCurve,
)
from reports.queries import (
    INVESTMENT_PARTS,
    LOW_INVESTMENT_SHARE,
    ChannelRow,
    Post,
    ReportData,
    Totals,
    Win,
    kpi_figures,
)

FONT_DIR = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
FONT = "dejavu"
MARGIN = 14
GOOD, BAD, NEUTRAL = "#1E7B34", "#B3261E", MUTED
TILE_FILL = "#F3F5F8"
DEFINITIONS = " ".join(f"{term} = {definition}." for term, definition in fmt.METRIC_DEFINITIONS)


def _rgb(hex_colour: str) -> tuple[int, int, int]:
    return tuple(int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))


class _Document(FPDF):
    def __init__(self, title: str):
        super().__init__(orientation="portrait", unit="mm", format="letter")
        self.report_title = title
        self.add_font(FONT, "", str(FONT_DIR / "DejaVuSans.ttf"))
        self.add_font(FONT, "B", str(FONT_DIR / "DejaVuSans-Bold.ttf"))
        self.set_margins(MARGIN, MARGIN, MARGIN)
        self.set_auto_page_break(True, margin=26)
        self.set_title(title)
        self.set_creator("healthcare-marketing-roi reports")

    @cached_property
    def _glyphs(self) -> set[int]:
        return set(self.fonts[FONT].cmap)

    def printable(self, text: str) -> str:
        return "".join(ch for ch in text if ord(ch) in self._glyphs or ch in "\n")

    def footer(self) -> None:
        self.set_y(-24)
        self.set_draw_color(*_rgb("#D0D4DA"))
        self.line(MARGIN, self.get_y(), self.w - MARGIN, self.get_y())
        self.ln(1.2)
        self.set_font(FONT, "", 5.8)
        self.set_text_color(*_rgb(MUTED))
        self.multi_cell(0, 2.5, DEFINITIONS)
        self.set_font(FONT, "", 6.5)
        self.cell(0, 4, f"{self.report_title}  \u00b7  page {self.page_no()} of {{nb}}", align="R")

    def heading(self, text: str, size: float = 11) -> None:
        self.set_font(FONT, "B", size)
        self.set_text_color(*_rgb(TEXT))
        self.cell(0, size * 0.55, self.printable(text), new_x="LMARGIN", new_y="NEXT")
        self.ln(1.2)

    def note(self, text: str, size: float = 7.5, colour_hex: str = MUTED) -> None:
        self.set_font(FONT, "", size)
        self.set_text_color(*_rgb(colour_hex))
        self.multi_cell(0, size * 0.5, self.printable(text), new_x="LMARGIN", new_y="NEXT")

    def fitted(self, text: str, width: float, padding: float = 2.4) -> str:
        """`text` shortened (with an ellipsis) to one line of a table cell `width` mm wide in the
        table font: a wrapped row doubles its height."""
        self.set_font(FONT, "", 7)
        text = self.printable(" ".join(text.split()))
        limit = len(text)
        while limit > 1 and self.get_string_width(fmt.shorten(text, limit)) + padding > width:
            limit -= 1
        return fmt.shorten(text, limit)

    def image_png(self, png: bytes, x: float, y: float, width: float) -> None:
        self.image(io.BytesIO(png), x=x, y=y, w=width)

    def table_rows(
        self,
        header: list[str],
        rows: list[list[str]],
        widths: list[float],
        align: list[str],
        groups: list[str] | None = None,
    ) -> None:
        """A table; `groups` (one per row) prints each row's name in its group's colour (the shades
        of a group's channels are for charts: the light ones do not read as text)."""
        self.set_font(FONT, "", 7)
        self.set_text_color(*_rgb(TEXT))
        self.set_draw_color(*_rgb("#D0D4DA"))
        with self.table(
            col_widths=widths,
            text_align=align,
            line_height=4.2,
            borders_layout="HORIZONTAL_LINES",
            headings_style=FontFace(emphasis="BOLD", fill_color=_rgb("#E6EAF0")),
            cell_fill_color=_rgb("#FAFBFC"),
            cell_fill_mode="ROWS",
            padding=(0.6, 1.2),
        ) as table:
            table.row([self.printable(value) for value in header])
            for index, values in enumerate(rows):
                row = table.row()
                for column, value in enumerate(values):
                    style = None
                    if groups and column == 0:
                        style = FontFace(emphasis="BOLD", color=_rgb(colour(groups[index])))
                    row.cell(self.printable(value), style=style)
        self.ln(2)


# --- page 1 ------------------------------------------------------------------------------------


# A tile: its label, the figure, and the line under it in its colour.
Tile = tuple[str, str, str, str]


def _tile_row(pdf: _Document, tiles: list[Tile]) -> None:
    """Tiles in one row across the page at the current position, then move below them."""
    gap, height, pad = 2.5, 19, 1.5
    width = (pdf.w - 2 * MARGIN - gap * (len(tiles) - 1)) / len(tiles)
    top = pdf.get_y()
    for index, (label, text, below, below_colour) in enumerate(tiles):
        x = MARGIN + index * (width + gap)
        pdf.set_fill_color(*_rgb(TILE_FILL))
        pdf.rect(x, top, width, height, style="F", round_corners=True, corner_radius=2)
        pdf.set_xy(x + pad, top + 1.5)
        pdf.set_font(FONT, "", 6.2)
        pdf.set_text_color(*_rgb(MUTED))
        pdf.multi_cell(width - 2 * pad, 2.7, label, align="L")  # a long label takes two lines
        pdf.set_xy(x + pad, top + 7.4)
        pdf.set_font(FONT, "B", 12)
        pdf.set_text_color(*_rgb(TEXT))
        pdf.cell(width - 2 * pad, 6, text)
        pdf.set_xy(x + pad, top + 14.2)
        pdf.set_font(FONT, "", 6.5)
        pdf.set_text_color(*_rgb(below_colour))
        pdf.cell(width - 2 * pad, 3, pdf.printable(below))
    pdf.set_y(top + height + 4)


def _tiles(pdf: _Document, data: ReportData) -> None:
    """The KPIs in one row of tiles; the title block says which period they are compared with."""
    _tile_row(
        pdf,
        [
            (
                kpi.label,
                kpi.text,
                f"{kpi.change.arrow}{kpi.change.text}" if data.prior else "no comparison",
                {1: GOOD, -1: BAD}.get(kpi.change.direction, NEUTRAL),
            )
            for kpi in kpi_figures(data)
        ],
    )


def short_name(name: str) -> str:
    """ "Meta ads (Facebook and Instagram)" → "Meta ads": labels in charts and tables stay short."""
    return name.split(" (")[0]


# How the tables and the bar labels print each figure of a Totals: investment in whole dollars,
# unit costs with cents, "—" where nothing measures the figure.
FIGURE_TEXT: dict[str, Callable[[Totals], str]] = {
    "investment": lambda t: fmt.money(t.investment, cents=False),
    "conversion_value": lambda t: fmt.money(t.conversion_value, cents=False),
    "impressions": lambda t: fmt.count(t.impressions),
    "engagements": lambda t: fmt.count(t.engagements),
    "engagement_rate": lambda t: fmt.percent(t.engagement_rate, 2),
    "active_engagements": lambda t: fmt.count(t.active_engagements),
    "clicks": lambda t: fmt.count(t.clicks),
    "conversions": lambda t: fmt.count(t.conversions),
    "cpm": lambda t: fmt.money(t.cpm),
    "cost_per_thousand_reached": lambda t: (
        fmt.NOT_MEASURED if t.peak_reach is None else fmt.money(t.cost_per_thousand_reached)
    ),
    "cpe": lambda t: fmt.money(t.cpe),
    "cpc": lambda t: fmt.NOT_MEASURED if t.clicks is None else fmt.money(t.cpc),
    "cost_per_active_engagement": lambda t: fmt.money(t.cost_per_active_engagement),
    "cost_per_conversion": lambda t: fmt.money(t.cost_per_conversion),
    "roi": lambda t: fmt.roi_text(t.roi, t.investment, t.conversion_value),
}


def figure_bars(rows: list[ChannelRow], figure: str) -> list[Bar]:
    """A bar per channel (or channel group) for one figure of its totals, labelled as FIGURE_TEXT prints it."""
    return [
        Bar(row.channel, row.group, short_name(row.name), getattr(row.totals, figure), FIGURE_TEXT[figure](row.totals))
        for row in rows
    ]


def axis_money(value: float) -> str:
    """$0, $25, $0.20: cents only where the tick needs them."""
    return fmt.money(value, cents=value % 1 != 0)


def _charts_row(
    pdf: _Document, *charts: tuple[list[Bar], str, Callable[[float], str]], bar_inches: float = 0.25
) -> None:
    """Bar charts side by side across the page at the current position, then move below them;
    `bar_inches` is the height each bar takes."""
    gap = 4
    width = (pdf.w - 2 * MARGIN - gap * (len(charts) - 1)) / len(charts)
    inches = width / 25.4  # drawn at their size: the fonts print at the points they are set in
    height = max(1.1, bar_inches * max(len(bars) for bars, _, _ in charts) + 0.45)
    top = pdf.get_y() + 1
    for index, (bars, title, axis_format) in enumerate(charts):
        png = horizontal_bars(bars, title, axis_format, inches, height)
        pdf.image_png(png, MARGIN + index * (width + gap), top, width)
    pdf.set_y(top + width * height / inches + 3)


# A column of a figures table: header, width in mm, and the figure (of FIGURE_TEXT) it shows.
FigureColumn = tuple[str, float, str]


def _figures_table(
    pdf: _Document, name_header: str, name_width: float, columns: tuple[FigureColumn, ...], rows: list[ChannelRow]
) -> None:
    """A row per channel (or channel group), its name in its colour, then the figures of its totals."""
    pdf.table_rows(
        [name_header, *(title for title, _, _ in columns)],
        [[short_name(row.name), *(FIGURE_TEXT[figure](row.totals) for _, _, figure in columns)] for row in rows],
        [name_width, *(width for _, width, _ in columns)],
        ["LEFT"] + ["RIGHT"] * len(columns),
        [row.group for row in rows],
    )


# Social next to traditional in the tiers of a fair comparison: exposure, active engagement, outcome.
GROUP_COLUMNS: tuple[FigureColumn, ...] = (
    ("Investment", 19, "investment"),
    ("Cost/1,000 reached*", 27, "cost_per_thousand_reached"),
    ("CPM", 15, "cpm"),
    ("Active eng.", 18, "active_engagements"),
    ("Cost/active eng.", 22, "cost_per_active_engagement"),
    ("Conv.", 16, "conversions"),
    ("Cost/outcome", 22, "cost_per_conversion"),
    ("ROI", 19, "roi"),
)
# Wide enough for "Employee advocacy" on one line: a wrapped name doubles its row's height.
GROUP_NAME_WIDTH = 30


def _title_block(pdf: _Document, data: ReportData) -> None:
    pdf.note(data.organisation, 8)
    pdf.set_font(FONT, "B", 17)
    pdf.set_text_color(*_rgb(TEXT))
    pdf.cell(0, 9, pdf.printable(data.definition.title), new_x="LMARGIN", new_y="NEXT")
    comparison = (
        f"compared with {data.previous.label}"
        if data.previous_complete
        else f"no comparison: the warehouse starts {data.data_from:%d %b %Y}"
    )
    pdf.note(f"{data.period.label}  \u00b7  {comparison}  \u00b7  {data.filter_text}", 9, TEXT)
    pdf.ln(3)


def _tiers(pdf: _Document, data: ReportData) -> None:
    both = {"traditional"} < {row.group for row in data.groups}
    pdf.heading(f"{'Social next to traditional' if both else 'By channel group'}: what each dollar buys")
    # Reach is measured per month (mart_social_vs_traditional): other periods leave its column out.
    reached = any(row.totals.peak_reach for row in data.groups)
    columns = tuple(c for c in GROUP_COLUMNS if reached or c[2] != "cost_per_thousand_reached")
    _figures_table(pdf, "Channel group", GROUP_NAME_WIDTH, columns, data.groups)
    pdf.note(
        "Active engagement: social comments, shares, saves and clicks against traditional responses, calls and "
        "vanity-URL visits (likes have no traditional twin)."
        + (
            " *An upper bound: reach is never added up, so this is the investment over the largest reach one "
            "measurement counted (\u2014: nobody measured reach)."
            if reached
            else ""
        ),
        6.8,
    )
    _charts_row(
        pdf,
        (figure_bars(data.groups, "cpm"), "Cost per 1,000 impressions", axis_money),
        (figure_bars(data.groups, "cost_per_active_engagement"), "Cost per active engagement", axis_money),
        (figure_bars(data.groups, "cost_per_conversion"), "Cost per conversion", axis_money),
        # Tighter than page 2's: page 1 holds every channel group's bars, the split and the wins.
        bar_inches=0.2,
    )


def _investment_split(pdf: _Document, groups: list[ChannelRow]) -> None:
    """Where the I goes: each group's investment by part, as shares in shades of its colour."""
    spending = [row for row in groups if row.totals.investment > 0]
    if not spending:
        return
    stacks = [
        Stack(
            row.group,
            short_name(row.name),
            [Part(part, label, getattr(row.totals, part)) for part, label in INVESTMENT_PARTS.items()],
            FIGURE_TEXT["investment"](row.totals),
        )
        for row in spending
    ]
    width = pdf.w - 2 * MARGIN
    png = share_bars(stacks, 'Where the "I" goes: media, staff time, tools, production', width / 25.4)
    top = pdf.get_y()
    pdf.image_png(png, MARGIN, top, width)
    pixels_wide, pixels_high = struct.unpack(">II", png[16:24])  # the PNG header's IHDR
    pdf.set_y(top + width * pixels_high / pixels_wide + 1)
    pdf.note(
        "; ".join(
            f"{short_name(row.name)}: "
            + ", ".join(
                f"{label.lower()} {fmt.money(getattr(row.totals, part), cents=False)}"
                for part, label in INVESTMENT_PARTS.items()
            )
            for row in spending
        )
        + ". Staff time is hours \u00d7 the loaded rate.",
        6.8,
    )
    pdf.ln(3)


# Three: page 1 must hold all four channel groups too; the roi extract has every win.
WINS_SHOWN = 3


def _wins(pdf: _Document, data: ReportData) -> None:
    """The period's "I \u2192 0" cases: conversions for no (or very little) investment."""
    if not data.wins:
        return
    pdf.heading("As the \u201cI\u201d approaches zero: the month\u2019s no- and low-investment wins")
    shown: list[Win] = data.wins[:WINS_SHOWN]
    pdf.table_rows(
        ["Channel", "Campaign", "Investment", "Conversions", "Value", "ROI"],
        [
            [
                short_name(data.channel_names.get(win.channel, win.channel)),
                fmt.shorten(win.campaign, 44),
                *(FIGURE_TEXT[figure](win.totals) for figure in ("investment", "conversions", "conversion_value")),
                FIGURE_TEXT["roi"](win.totals),
            ]
            for win in shown
        ],
        [26, 72, 22, 22, 22, 24],
        ["LEFT", "LEFT", "RIGHT", "RIGHT", "RIGHT", "RIGHT"],
        [data.channel_group(win.channel) for win in shown],
    )
    more = (
        f" {len(shown)} of {len(data.wins)} shown; all are in the roi extract." if len(data.wins) > len(shown) else ""
    )
    pdf.note(
        f"Campaigns whose conversions came with no investment, or with at most {fmt.percent(LOW_INVESTMENT_SHARE, 0)} "
        f"of the period\u2019s, and returned more than they cost, the least investment per dollar returned first.{more}",
        6.8,
    )
    pdf.ln(2)


def _freshness_summary(data: ReportData) -> str:
    """Page 1's freshness line: which sources are stale, by name only. Their accounts, last
    landings and errors run to a paragraph, which page 1 has no room for: page 2 prints them."""
    if not data.stale:
        return data.freshness_note
    through = f"Data through {data.data_through:%d %b %Y}" if data.data_through else "No data in the warehouse"
    sources = Counter(row.source for row in data.stale)
    names = ", ".join(f"{name} ({count})" if count > 1 else name for name, count in sorted(sources.items()))
    return (
        f"{through}; {len(data.stale)} of {len(data.freshness)} sources stale, their figures may be low: {names}. "
        "When each last landed, and why not since: page 2."
    )


def _page_one(pdf: _Document, data: ReportData) -> None:
    pdf.add_page()
    _title_block(pdf, data)
    if data.headline:
        pdf.set_font(FONT, "", 11.5)
        pdf.set_text_color(*_rgb(TEXT))
        pdf.multi_cell(0, 5.6, pdf.printable(data.headline), align="L", new_x="LMARGIN", new_y="NEXT")
        pdf.ln(3)
    _tiles(pdf, data)
    if data.groups:
        _tiers(pdf, data)
    _investment_split(pdf, data.groups)
    _wins(pdf, data)
    stale = bool(data.stale)
    pdf.set_font(FONT, "B", 8)
    pdf.set_text_color(*_rgb(BAD if stale else GOOD))
    pdf.cell(0, 4.5, "Data freshness", new_x="LMARGIN", new_y="NEXT")
    pdf.note(_freshness_summary(data), 7.5, TEXT)


# --- page 2 ------------------------------------------------------------------------------------


CHANNEL_COLUMNS: tuple[FigureColumn, ...] = (
    ("Investment", 19, "investment"),
    ("Impressions", 20, "impressions"),
    ("Engagements", 23, "engagements"),
    ("Eng. rate", 14, "engagement_rate"),
    ("CPE", 14, "cpe"),
    ("Clicks", 14, "clicks"),
    ("CPC", 13, "cpc"),
    ("Conv.", 12, "conversions"),
    ("Cost/conv.", 17, "cost_per_conversion"),
    ("ROI", 20, "roi"),
)


def _page_two(pdf: _Document, data: ReportData) -> None:
    pdf.add_page()
    pdf.heading("By channel")
    _figures_table(pdf, "Channel", 22, CHANNEL_COLUMNS, [*data.channels, data.total])
    pdf.note(
        f"Paid media spend {fmt.money(data.current.media_spend, cents=False)}, CPM {fmt.money(data.current.cpm)}, "
        f"ROAS {fmt.multiple(data.current.roas)} (conversion value / media spend). New followers: "
        f"{fmt.count(data.current.followers_gained)}. Engagement rate is by impressions; engagements count likes "
        "for social and responses for traditional, so compare channel groups on page 1. \u2014: not measured.",
    )
    if data.channels:
        _charts_row(
            pdf,
            (figure_bars(data.channels, "cost_per_conversion"), "Cost per conversion by channel", axis_money),
            (figure_bars(data.channels, "roi"), "ROI by channel", lambda v: fmt.percent(v, 0)),
        )
    accounts = "; ".join(f"{channel}: {', '.join(names)}" for channel, names in data.accounts.items())
    pdf.note(f"Accounts covered: {fmt.shorten(accounts, 640) or 'none'}", 6.8)
    if data.stale:
        pdf.ln(1)
        pdf.note(f"Data freshness: {data.freshness_note}", 6.8, BAD)


# --- What each channel adds (the marketing-mix model) ------------------------------------------


def _effect_row(row: ChannelEffect, name: str) -> list[str]:
    return [
        f"{name} {UNCERTAIN_MARK}" if row.uncertain else name,
        fmt.money(row.investment, cents=False),
        fmt.count(row.attributed_conversions),
        row.incremental_conversions.text(fmt.count),
        fmt.signed_percent(row.attributed_roi),
        row.incremental_roi.text(fmt.signed_percent),
        fmt.signed_percent(row.marginal_roi),
    ]


def _curve(curve: ResponseCurve, name: str) -> Curve:
    expected = [point.conversions.value or 0.0 for point in curve.points]

    def band(end: str) -> list[float]:
        # An interval end the fit left out is drawn on the line.
        ends = [getattr(point.conversions, end) for point in curve.points]
        return [y if value is None else value for value, y in zip(ends, expected, strict=True)]

    current = curve.current
    return Curve(
        curve.channel,
        curve.group,
        name,
        [point.weekly_spend for point in curve.points],
        expected,
        band("low"),
        band("high"),
        (current.weekly_spend, current.conversions.value or 0.0) if current else None,
    )


def _curves_chart(pdf: _Document, mix: IncrementalRoi, names: Callable[[str], str]) -> None:
    """Expected weekly conversions against weekly spend for the channels spending now, on a new page
    when the rest of this one is too short for it."""
    spending = [curve for curve in mix.curves if curve.current and curve.current.weekly_spend > 0]
    if not spending:
        return
    png = small_curves(
        [_curve(curve, names(curve.channel)) for curve in spending],
        CURVES_HEADING,
        axis_money,
    )
    width = pdf.w - 2 * MARGIN
    pixels_wide, pixels_high = struct.unpack(">II", png[16:24])  # the PNG header's IHDR
    height = width * pixels_high / pixels_wide
    if pdf.get_y() + height + 8 > pdf.page_break_trigger:
        pdf.add_page()
    top = pdf.get_y() + 1
    pdf.image_png(png, MARGIN, top, width)
    pdf.set_y(top + height + 1)
    pdf.note(
        f"The line is the model's expected weekly conversions at a constant weekly spend, the band its "
        f"{mix.interval_text}, the dot the current weekly spend. Where the line flattens, more spend buys "
        "little more.",
    )
    pdf.ln(3)


def _reallocation(pdf: _Document, mix: IncrementalRoi, names: Callable[[str], str]) -> None:
    lines = mix.reallocation
    if not lines:
        return
    pdf.heading(BUDGET_HEADING)
    pdf.note(mix.reallocation_note)
    pdf.ln(1)
    current = sum(line.current_weekly_spend for line in lines)
    recommended = sum(line.recommended_weekly_spend for line in lines)
    pdf.table_rows(
        ["Channel", "Weekly spend now", "Recommended", "Change", "Conversions a week, change"],
        [
            [
                names(line.channel),
                fmt.money(line.current_weekly_spend, cents=False),
                fmt.money(line.recommended_weekly_spend, cents=False),
                fmt.signed_percent(line.spend_change_share) if line.movable else "held fixed",
                fmt.signed_count(line.expected_weekly_conversions_change, 1),
            ]
            for line in lines
        ]
        + [
            [
                "Total",
                fmt.money(current, cents=False),
                fmt.money(recommended, cents=False),
                "",
                fmt.signed_count(mix.expected_change, 1),
            ]
        ],
        [40, 32, 32, 28, 44],
        ["LEFT", "RIGHT", "RIGHT", "RIGHT", "RIGHT"],
    )


def _incremental_page(pdf: _Document, data: ReportData, mix: IncrementalRoi) -> None:
    def names(channel: str) -> str:
        return short_name(data.channel_names.get(channel, channel))

    pdf.add_page()
    pdf.heading(TITLE, 13)
    pdf.note(mix.intro, 8, TEXT)
    if mix.fit.warning:
        pdf.ln(1)
        pdf.note(mix.fit.warning, 8, BAD)
    pdf.ln(3)
    if mix.channels:
        pdf.heading(CHANNELS_HEADING)
        interval = f"({mix.interval_text})"
        pdf.table_rows(
            [
                "Channel",
                "Investment",
                "Attributed conv.",
                f"Incremental conv. {interval}",
                "Attributed ROI",
                f"Incremental ROI {interval}",
                "Marginal ROI",
            ],
            [_effect_row(row, names(row.channel)) for row in mix.channels],
            [26, 20, 18, 36, 18, 44, 26],
            ["LEFT"] + ["RIGHT"] * 6,
        )
        pdf.note(
            "Attributed: what tracking credited to the channel. Incremental: what the model estimates the channel "
            "added. ROI = (value \u2212 investment) / investment; marginal ROI: the ROI of the next dollar at the "
            "current weekly spend. \u2014: not measured."
            + (f" {UNCERTAIN_MARK} {mix.uncertain_note}" if mix.uncertain_note else ""),
        )
        pdf.ln(3)
    _curves_chart(pdf, mix, names)
    _reallocation(pdf, mix, names)
    pdf.note(mix.fit.quality, 7.5, TEXT)


# --- Employees as brand ambassadors -------------------------------------------------------------

TOP_TEAMS = 8
TOP_CONTENT = 5


def _ambassador_tiles(pdf: _Document, advocacy: Ambassadors) -> None:
    program = advocacy.program
    cpm = fmt.NOT_MEASURED if advocacy.paid_social_cpm is None else fmt.money(advocacy.paid_social_cpm)
    _tile_row(
        pdf,
        [
            (
                "Participation",
                fmt.percent(program.participation_rate),
                f"{program.active_advocates:,} of {program.enrolled_advocates:,} shared",
                MUTED,
            ),
            ("Potential reach", fmt.count(program.potential_reach), f"from {program.shares:,} shares", MUTED),
            (
                "Cost per 1,000 potential reach",
                fmt.money(program.cost_per_thousand_potential_reach),
                f"paid social CPM {cpm}",
                MUTED,
            ),
            ("Program investment", fmt.money(program.program_investment, cents=False), "time, licence, admin", MUTED),
            ("Conversions", fmt.count(program.conversions), f"from {program.sessions:,} sessions", MUTED),
            (
                "Cost per conversion",
                fmt.money(program.cost_per_conversion),
                f"{fmt.money(program.cost_per_active_engagement)} per active eng.",
                MUTED,
            ),
        ],
    )


def _cost_per_thousand(pdf: _Document, advocacy: Ambassadors, names: dict[str, str]) -> None:
    """Advocacy's cost per thousand potential views next to the month's paid CPMs, with the caveat
    and the EMV beside the chart."""
    pdf.heading(COST_HEADING)
    program = advocacy.program
    bars = [
        Bar(
            ADVOCACY,
            ADVOCACY,
            "Advocacy (potential)",
            program.cost_per_thousand_potential_reach,
            fmt.money(program.cost_per_thousand_potential_reach),
        ),
        *(
            Bar(group, group, names[group], cpm, fmt.NOT_MEASURED if cpm is None else fmt.money(cpm))
            for group, cpm in (("paid_social", advocacy.paid_social_cpm), ("traditional", advocacy.traditional_cpm))
        ),
    ]
    gap = 6
    width = (pdf.w - 2 * MARGIN - gap) * 0.5
    inches, height = width / 25.4, 1.2
    top = pdf.get_y()
    png = horizontal_bars(bars, "Cost per 1,000 potential views or impressions", axis_money, inches, height)
    pdf.image_png(png, MARGIN, top, width)
    left, text_width = MARGIN + width + gap, width

    def paragraph(text: str, style: str = "", colour_hex: str = MUTED) -> None:
        pdf.set_x(left)
        pdf.set_font(FONT, style, 7)
        pdf.set_text_color(*_rgb(colour_hex))
        pdf.multi_cell(text_width, 3.3, pdf.printable(text), new_x="LMARGIN", new_y="NEXT")

    pdf.set_y(top + 1)
    paragraph(REACH_CAVEAT)
    pdf.set_y(pdf.get_y() + 1.5)
    paragraph(EMV_LABEL, "B", TEXT)
    paragraph(advocacy.emv_text)
    pdf.set_y(max(top + width * height / inches, pdf.get_y()) + 3)


def _program_split(pdf: _Document, advocacy: Ambassadors) -> None:
    program = advocacy.program
    if not program.program_investment:
        return
    stack = Stack(
        ADVOCACY,
        "Program",
        [Part(part, label, getattr(program, part)) for part, label in PROGRAM_PARTS.items()],
        fmt.money(program.program_investment, cents=False),
    )
    width = pdf.w - 2 * MARGIN
    png = share_bars([stack], INVESTMENT_HEADING, width / 25.4)
    top = pdf.get_y()
    pdf.image_png(png, MARGIN, top, width)
    pixels_wide, pixels_high = struct.unpack(">II", png[16:24])  # the PNG header's IHDR
    pdf.set_y(top + width * pixels_high / pixels_wide + 1)
    time, licence, admin = (fmt.money(getattr(program, part), cents=False) for part in PROGRAM_PARTS)
    pdf.note(
        f"Employee time {time} (shares \u00d7 minutes per share \u00d7 the team's loaded hourly rate), licence "
        f"{licence}, admin {admin}. {program.shares:,} shares brought {program.clicks:,} clicks, "
        f"{program.sessions:,} sessions and {program.conversions:,} conversions "
        f"({fmt.money(program.conversion_value, cents=False)} of value).",
        6.8,
    )
    pdf.ln(3)


def _team_cells(row: TeamRow, name: str) -> list[str]:
    return [
        name,
        fmt.count(row.enrolled_advocates),
        fmt.count(row.active_advocates),
        fmt.percent(row.participation_rate),
        fmt.count(row.shares),
        fmt.count(row.potential_reach),
        fmt.count(row.sessions),
        fmt.count(row.conversions),
        fmt.money(row.program_investment, cents=False),
        fmt.money(row.cost_per_thousand_potential_reach),
        fmt.money(row.cost_per_conversion),
    ]


def _teams_table(pdf: _Document, advocacy: Ambassadors) -> None:
    named = advocacy.named_teams
    shown = [*named[:TOP_TEAMS], *(row for row in advocacy.teams if row.rolled_up)]
    pdf.heading(f"{TEAMS_HEADING}, by potential reach")
    pdf.table_rows(
        [
            "Team",
            "Enrolled",
            "Active",
            "Particip.",
            "Shares",
            "Potential reach",
            "Sessions",
            "Conv.",
            "Invested",
            "Cost/1,000 potential",
            "Cost per conv.",
        ],
        [*(_team_cells(row, row.label) for row in shown), _team_cells(advocacy.program, "Program")],
        # "Marketing & Communications" on one line: a wrapped name doubles its row.
        [46, 14, 11.5, 14.5, 12, 15.5, 15, 10.5, 16, 18.5, 14.5],
        ["LEFT"] + ["RIGHT"] * 10,
        [ADVOCACY] * len(shown) + [""],
    )
    more = f" {TOP_TEAMS} of {len(named)} teams shown; all are on the sheet." if len(named) > TOP_TEAMS else ""
    pdf.note(
        f"Participation = active advocates (who shared at least once) / those enrolled on the month's first day. "
        f"Roll-ups in parentheses; the program is every row together.{more}",
        6.8,
    )
    pdf.ln(2)


CONTENT_WIDTHS = [84, 17, 17, 12, 16, 12, 16, 14]


def _content_cells(pdf: _Document, row: ContentRow, names: dict[str, str]) -> list[str]:
    measured = row.own_post_measured
    return [
        pdf.fitted(row.own_post_text or f"item {row.content_id}", CONTENT_WIDTHS[0]),
        short_name(names.get(row.own_post_platform, row.own_post_platform)) if row.own_post_platform else "\u2014",
        fmt.count(row.advocates),
        fmt.count(row.shares),
        fmt.count(row.potential_reach),
        fmt.count(row.clicks),
        fmt.count(row.own_post_impressions) if measured else fmt.NOT_MEASURED,
        fmt.multiple(row.reach_per_own_impression) if measured and row.reach_per_own_impression else fmt.NOT_MEASURED,
    ]


def _content_table(pdf: _Document, advocacy: Ambassadors, names: dict[str, str]) -> None:
    items = [row for row in advocacy.content if not row.rolled_up][:TOP_CONTENT]
    if not items:
        return
    pdf.heading(f"{CONTENT_HEADING}, by potential reach")
    pdf.table_rows(
        ["Content (the own post it was curated from)", "Own post on", "Advocates", "Shares", "Potential reach",
         "Clicks", "Own post impr.", "vs own post"],
        [_content_cells(pdf, row, names) for row in items],
        CONTENT_WIDTHS,
        ["LEFT", "LEFT"] + ["RIGHT"] * 6,
    )  # fmt: skip
    pdf.note(advocacy.content_note, 6.8)


def _ambassadors_page(pdf: _Document, data: ReportData, advocacy: Ambassadors) -> None:
    from reports.queries import GROUP_NAMES

    pdf.add_page()
    pdf.heading(AMBASSADORS_TITLE, 13)
    pdf.note(f"{data.period.label}: {advocacy.intro}", 8, TEXT)
    pdf.ln(3)
    _ambassador_tiles(pdf, advocacy)
    _cost_per_thousand(pdf, advocacy, GROUP_NAMES)
    _program_split(pdf, advocacy)
    _teams_table(pdf, advocacy)
    _content_table(pdf, advocacy, data.channel_names)


# --- the posts ----------------------------------------------------------------------------------


def _post_rows(posts: list[Post], channel_names: dict[str, str]) -> list[list[str]]:
    return [
        [
            short_name(channel_names.get(post.platform, post.platform)),
            f"{post.created_date:%d %b}",
            fmt.shorten(post.text, 85),
            fmt.count(post.engagements),
            fmt.percent(post.engagement_rate, 2),
            fmt.multiple(post.relative_rate),
        ]
        for post in posts
    ]


def _page_three(pdf: _Document, data: ReportData) -> None:
    pdf.add_page()
    header = ["Platform", "Posted", "Post", "Engagements", "Eng. rate", "vs platform"]
    widths, align = [18, 14, 98, 22, 17, 19], ["LEFT", "LEFT", "LEFT", "RIGHT", "RIGHT", "RIGHT"]
    if data.top_posts:
        pdf.heading("Top posts")
        pdf.table_rows(header, _post_rows(data.top_posts, data.channel_names), widths, align)
    if data.bottom_posts:
        pdf.heading("Bottom posts")
        pdf.table_rows(header, _post_rows(data.bottom_posts, data.channel_names), widths, align)
    pdf.note(data.posts_note if data.data_through else "No posts in the period.")


def write_pdf(data: ReportData, path: Path) -> Path:
    # fontTools (fpdf2's font subsetting) logs every step at INFO: keep task logs readable.
    logging.getLogger("fontTools").setLevel(logging.WARNING)
    pdf = _Document(f"{data.definition.title}, {data.period.label}")
    _page_one(pdf, data)
    _page_two(pdf, data)
    if data.incremental:
        _incremental_page(pdf, data, data.incremental)
    if data.ambassadors:
        _ambassadors_page(pdf, data, data.ambassadors)
    if data.posts_published:
        _page_three(pdf, data)
    path.parent.mkdir(parents=True, exist_ok=True)
    pdf.output(str(path))
    return path
