"""The PDF snapshot: three pages a marketing director reads in a minute.

1. KPI tiles with the change against the previous period, cost per engagement and ROI by channel,
   the data-freshness note;
2. the per-channel table, and social next to traditional in the three tiers of a fair comparison;
3. the top and bottom posts of the period.

Every page carries the metric definitions in its footer. Text is set in DejaVu Sans (shipped with
matplotlib) so that names, post text and the infinity sign print; characters the font lacks (emoji)
are left out rather than printed as boxes."""

from __future__ import annotations

import io
import logging
from collections.abc import Callable
from functools import cached_property
from pathlib import Path

import matplotlib
from fpdf import FPDF, FontFace

from reports import formatting as fmt
from reports.charts import MUTED, TEXT, Bar, horizontal_bars
from reports.queries import ChannelRow, Post, ReportData, kpi_figures

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

    def image_png(self, png: bytes, x: float, y: float, width: float) -> None:
        self.image(io.BytesIO(png), x=x, y=y, w=width)

    def table_rows(self, header: list[str], rows: list[list[str]], widths: list[float], align: list[str]) -> None:
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
            for values in [header, *rows]:
                row = table.row()
                for value in values:
                    row.cell(self.printable(value))
        self.ln(2)


# --- page 1 ------------------------------------------------------------------------------------


def _tiles(pdf: _Document, data: ReportData) -> None:
    gap, columns, height = 4, 3, 21
    width = (pdf.w - 2 * MARGIN - gap * (columns - 1)) / columns
    top = pdf.get_y()
    for index, kpi in enumerate(kpi_figures(data)):
        x = MARGIN + (index % columns) * (width + gap)
        y = top + (index // columns) * (height + gap)
        pdf.set_fill_color(*_rgb(TILE_FILL))
        pdf.rect(x, y, width, height, style="F", round_corners=True, corner_radius=2)
        pdf.set_xy(x + 3, y + 2.5)
        pdf.set_font(FONT, "", 7.5)
        pdf.set_text_color(*_rgb(MUTED))
        pdf.cell(width - 6, 3.5, kpi.label)
        pdf.set_xy(x + 3, y + 7)
        pdf.set_font(FONT, "B", 15)
        pdf.set_text_color(*_rgb(TEXT))
        pdf.cell(width - 6, 7, kpi.text)
        pdf.set_xy(x + 3, y + 15)
        pdf.set_font(FONT, "", 7.5)
        pdf.set_text_color(*_rgb({1: GOOD, -1: BAD}.get(kpi.change.direction, NEUTRAL)))
        comparison = f"{kpi.change.arrow}{kpi.change.text} vs {data.previous.label}" if data.prior else "no comparison"
        pdf.cell(width - 6, 3.5, comparison)
    pdf.set_y(top + 2 * height + gap + 3)


def short_name(name: str) -> str:
    """ "Meta ads (Facebook and Instagram)" → "Meta ads": labels in charts and tables stay short."""
    return name.split(" (")[0]


def channel_bars(channels: list[ChannelRow], value, text) -> list[Bar]:
    return [Bar(row.channel, short_name(row.name), value(row.totals), text(row.totals)) for row in channels]


def _cpe_bars(channels: list[ChannelRow]) -> list[Bar]:
    return channel_bars(channels, lambda t: t.cpe, lambda t: fmt.money(t.cpe))


def _roi_bars(channels: list[ChannelRow]) -> list[Bar]:
    return channel_bars(channels, lambda t: t.roi, lambda t: fmt.roi_text(t.roi, t.investment, t.conversion_value))


def axis_money(value: float) -> str:
    """$0, $25, $0.20: cents only where the tick needs them."""
    return fmt.money(value, cents=value % 1 != 0)


def _two_charts(pdf: _Document, *charts: tuple[list[Bar], str, Callable[[float], str]]) -> None:
    """Bar charts side by side at the current position, then move below them."""
    gap = 4
    width = (pdf.w - 2 * MARGIN - gap) / 2
    inches = 3.6
    height = max(1.6, 0.32 * max(len(bars) for bars, _, _ in charts) + 0.8)
    top = pdf.get_y() + 1
    for index, (bars, title, axis_format) in enumerate(charts):
        png = horizontal_bars(bars, title, axis_format, inches, height)
        pdf.image_png(png, MARGIN + index * (width + gap), top, width)
    pdf.set_y(top + width * height / inches + 3)


def _page_one(pdf: _Document, data: ReportData) -> None:
    pdf.add_page()
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
    accounts = "; ".join(f"{channel}: {', '.join(names)}" for channel, names in data.accounts.items())
    pdf.note(f"Accounts covered: {fmt.shorten(accounts, 640) or 'none'}", 6.8)
    pdf.ln(3)
    _tiles(pdf, data)
    _two_charts(
        pdf,
        (_cpe_bars(data.channels), "Cost per engagement by channel", axis_money),
        (_roi_bars(data.channels), "ROI by channel", lambda v: fmt.percent(v, 0)),
    )
    stale = bool(data.stale)
    pdf.set_font(FONT, "B", 8)
    pdf.set_text_color(*_rgb(BAD if stale else GOOD))
    pdf.cell(0, 4.5, "Data freshness", new_x="LMARGIN", new_y="NEXT")
    pdf.note(data.freshness_note, 7.5, TEXT)


# --- page 2 ------------------------------------------------------------------------------------


def channel_table_rows(rows: list[ChannelRow]) -> list[list[str]]:
    return [
        [
            short_name(row.name),
            fmt.money(t.investment, cents=False),
            fmt.count(t.impressions),
            fmt.count(t.engagements),
            fmt.percent(t.engagement_rate, 2),
            fmt.money(t.cpe),
            fmt.count(t.clicks),
            fmt.money(t.cpc),
            fmt.count(t.conversions),
            fmt.money(t.cost_per_conversion),
            fmt.roi_text(t.roi, t.investment, t.conversion_value),
        ]
        for row in rows
        for t in [row.totals]
    ]


def _page_two(pdf: _Document, data: ReportData) -> None:
    pdf.add_page()
    pdf.heading("By channel")
    header = [
        "Channel",
        "Investment",
        "Impressions",
        "Engagements",
        "Eng. rate",
        "CPE",
        "Clicks",
        "CPC",
        "Conv.",
        "Cost/conv.",
        "ROI",
    ]
    widths = [22, 19, 20, 23, 14, 14, 14, 13, 12, 17, 20]
    pdf.table_rows(header, channel_table_rows([*data.channels, data.total]), widths, ["LEFT"] + ["RIGHT"] * 10)
    pdf.note(
        f"Paid media spend {fmt.money(data.current.media_spend, cents=False)}, CPM {fmt.money(data.current.cpm)}, "
        f"ROAS {fmt.percent(data.current.roas, 0)} (conversion value / media spend). New followers: "
        f"{fmt.count(data.current.followers_gained)}. Engagement rate is by impressions.",
    )
    pdf.ln(4)
    pdf.heading("Social next to traditional")
    pdf.note(
        "Three tiers of a fair comparison: exposure (CPM), active engagement (social comments, shares, saves and "
        "clicks against traditional responses, calls and vanity-URL visits; likes have no traditional twin) and "
        "outcome (cost per conversion, ROI).",
    )
    pdf.ln(1)
    header = [
        "Channel group",
        "Investment",
        "Impressions",
        "CPM",
        "Active eng.",
        "Cost/active eng.",
        "Conversions",
        "Cost/outcome",
        "ROI",
    ]
    rows = [
        [
            group.name,
            fmt.money(t.investment, cents=False),
            fmt.count(t.impressions),
            fmt.money(t.cpm),
            fmt.count(t.active_engagements),
            fmt.money(t.cost_per_active_engagement),
            fmt.count(t.conversions),
            fmt.money(t.cost_per_conversion),
            fmt.roi_text(t.roi, t.investment, t.conversion_value),
        ]
        for group in data.groups
        for t in [group.totals]
    ]
    pdf.table_rows(header, rows, [26, 19, 20, 15, 19, 26, 21, 22, 20], ["LEFT"] + ["RIGHT"] * 8)
    active = [
        Bar(g.channel, g.name, g.totals.cost_per_active_engagement, fmt.money(g.totals.cost_per_active_engagement))
        for g in data.groups
    ]
    outcome = [
        Bar(g.channel, g.name, g.totals.cost_per_conversion, fmt.money(g.totals.cost_per_conversion))
        for g in data.groups
    ]
    _two_charts(
        pdf, (active, "Cost per active engagement", axis_money), (outcome, "Cost per conversion (outcome)", axis_money)
    )


# --- page 3 ------------------------------------------------------------------------------------


def _post_rows(posts: list[Post], channel_names: dict[str, str]) -> list[list[str]]:
    return [
        [
            short_name(channel_names.get(post.platform, post.platform)),
            f"{post.created_date:%d %b}",
            fmt.shorten(post.text, 85),
            fmt.count(post.engagements),
            fmt.percent(post.engagement_rate, 2),
        ]
        for post in posts
    ]


def _page_three(pdf: _Document, data: ReportData) -> None:
    pdf.add_page()
    header = ["Platform", "Posted", "Post", "Engagements", "Eng. rate"]
    widths, align = [18, 14, 115, 24, 17], ["LEFT", "LEFT", "LEFT", "RIGHT", "RIGHT"]
    pdf.heading("Top posts")
    if data.top_posts:
        pdf.table_rows(header, _post_rows(data.top_posts, data.channel_names), widths, align)
    pdf.heading("Bottom posts")
    if data.bottom_posts:
        pdf.table_rows(header, _post_rows(data.bottom_posts, data.channel_names), widths, align)
    unmeasured = (
        f"; {data.posts_unmeasured} without metrics from their platform yet (not ranked)"
        if data.posts_unmeasured
        else ""
    )
    pdf.note(
        f"{data.posts_published} organic posts published in the period{unmeasured}. Metrics are each post's lifetime "
        f"to {data.data_through:%d %b %Y}, so the latest posts are still growing; engagement rate is by impressions."
        if data.data_through
        else "No posts in the period."
    )


def write_pdf(data: ReportData, path: Path) -> Path:
    # fontTools (fpdf2's font subsetting) logs every step at INFO: keep task logs readable.
    logging.getLogger("fontTools").setLevel(logging.WARNING)
    pdf = _Document(f"{data.definition.title}, {data.period.label}")
    _page_one(pdf, data)
    _page_two(pdf, data)
    if data.posts_published:
        _page_three(pdf, data)
    path.parent.mkdir(parents=True, exist_ok=True)
    pdf.output(str(path))
    return path
