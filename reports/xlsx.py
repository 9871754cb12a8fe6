"""The XLSX workbook: a summary (KPI tiles with the change against the previous period, key
figures, native Excel charts of CPE and ROI by channel), the per-channel table, social next to
traditional, what each channel adds (when the report asks for it and the warehouse has a fit of
the marketing-mix model), the ambassadors (the month's advocacy program, likewise), the top and
bottom posts, the metric definitions, and one data sheet per extract (the mart rows behind the
report).

Figures are numbers with number formats (currency, percent), not text, so they can be
recalculated; an "infinite" ROI is the text "∞ (no spend)". Every text cell is written as a
string, never parsed as a formula or a link, and text that a spreadsheet would evaluate when
edited (it starts with = + - @) also carries Excel's quote prefix."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import xlsxwriter
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from reports import formatting as fmt
from reports.ambassadors import (
    CONTENT_HEADING,
    COST_HEADING,
    EMV_LABEL,
    INVESTMENT_HEADING,
    REACH_CAVEAT,
    TEAMS_HEADING,
    Ambassadors,
)
from reports.ambassadors import GROUP as ADVOCACY
from reports.ambassadors import INVESTMENT_PARTS as PROGRAM_PARTS
from reports.ambassadors import TITLE as AMBASSADORS_TITLE
from reports.charts import colour
from reports.incremental import BUDGET_HEADING, CHANNELS_HEADING, CURVES_HEADING, TITLE, IncrementalRoi
from reports.queries import GROUP_NAMES, ChannelRow, Extract, Post, ReportData, Totals, kpi_figures

MONEY = "$#,##0.00"
MONEY_ROUND = "$#,##0"
INTEGER = "#,##0"
PERCENT = "0.0%"
PERCENT_FINE = "0.00%"
# A ratio of money to money (ROAS), in fmt.multiple's unit: 10.6×.
MULTIPLE = '0.0"×"'
GOOD, BAD, MUTED = "#1E7B34", "#B3261E", "#6B6B6B"


class _Formats:
    """Cell formats, created once per workbook (xlsxwriter dedupes nothing by itself)."""

    def __init__(self, book: Workbook):
        self.book = book
        self._cache: dict[tuple, object] = {}

    def __call__(self, **properties):
        key = tuple(sorted(properties.items()))
        if key not in self._cache:
            self._cache[key] = self.book.add_format({"font_name": "Calibri", "font_size": 10, **properties})
        return self._cache[key]


def write_text(sheet: Worksheet, row: int, column: int, text: str, formats: _Formats, **properties) -> None:
    """A string cell; text a spreadsheet would evaluate when edited gets the quote prefix too."""
    if fmt.is_formula_like(text):
        properties = {**properties, "quote_prefix": True}
    sheet.write_string(row, column, text, formats(**properties))


def _write_value(sheet: Worksheet, row: int, column: int, value, formats: _Formats, number_format: str | None) -> None:
    if value is None:
        sheet.write_blank(row, column, None)
    elif isinstance(value, bool):
        sheet.write_boolean(row, column, value)
    elif isinstance(value, str):
        write_text(sheet, row, column, value, formats)
    elif isinstance(value, datetime):
        sheet.write_datetime(row, column, value, formats(num_format="yyyy-mm-dd hh:mm"))
    elif isinstance(value, date):
        sheet.write_datetime(row, column, value, formats(num_format="yyyy-mm-dd"))
    else:
        number = float(value) if isinstance(value, Decimal) else value
        sheet.write_number(row, column, number, formats(num_format=number_format) if number_format else None)


def _roi_cell(sheet: Worksheet, row: int, column: int, totals: Totals, formats: _Formats, **properties) -> None:
    if totals.roi is None:
        write_text(
            sheet,
            row,
            column,
            fmt.roi_text(None, totals.investment, totals.conversion_value),
            formats,
            align="right",
            **properties,
        )
    else:
        sheet.write_number(row, column, totals.roi, formats(num_format=PERCENT, **properties))


def _table(sheet: Worksheet, top: int, header: list[str], widths: list[float], formats: _Formats) -> None:
    for column, (title, width) in enumerate(zip(header, widths, strict=True)):
        write_text(
            sheet, top, column, title, formats, bold=True, bg_color="#E6EAF0", bottom=1, text_wrap=True, valign="top"
        )
        sheet.set_column(column, column, width)


# --- Channels ------------------------------------------------------------------------------------

CHANNEL_COLUMNS = (
    # header, value, number format, width
    ("Investment", lambda t: t.investment, MONEY, 13),
    ("Media spend", lambda t: t.media_spend, MONEY, 13),
    ("Impressions", lambda t: t.impressions, INTEGER, 13),
    ("Engagements", lambda t: t.engagements, INTEGER, 12),
    ("Engagement rate (by impressions)", lambda t: t.engagement_rate, PERCENT_FINE, 13),
    ("Clicks", lambda t: t.clicks, INTEGER, 10),
    ("CPM", lambda t: t.cpm, MONEY, 10),
    ("CPC", lambda t: t.cpc, MONEY, 10),
    ("CPE", lambda t: t.cpe, MONEY, 10),
    ("Conversions", lambda t: t.conversions, INTEGER, 12),
    ("Cost per conversion", lambda t: t.cost_per_conversion, MONEY, 12),
    ("Conversion value", lambda t: t.conversion_value, MONEY, 14),
    ("ROAS", lambda t: t.roas, MULTIPLE, 9),
)
CHANNEL_HEADER = [
    "Channel",
    "Channel group",
    *(c[0] for c in CHANNEL_COLUMNS),
    "ROI",
    "New followers",
    "Avg. daily reach per account",
]
CHANNEL_WIDTHS = [30, 15, *(c[3] for c in CHANNEL_COLUMNS), 14, 11, 14]


def _channel_row(sheet: Worksheet, row: int, item: ChannelRow, formats: _Formats, **properties) -> None:
    write_text(sheet, row, 0, item.name, formats, **properties)
    write_text(sheet, row, 1, GROUP_NAMES.get(item.group, item.group), formats, **properties)
    t = item.totals
    for offset, (_, value, number_format, _) in enumerate(CHANNEL_COLUMNS, start=2):
        number = value(t)
        if number is None:
            sheet.write_blank(row, offset, None, formats(**properties))
        else:
            sheet.write_number(row, offset, number, formats(num_format=number_format, **properties))
    column = 2 + len(CHANNEL_COLUMNS)
    _roi_cell(sheet, row, column, t, formats, **properties)
    sheet.write_number(row, column + 1, t.followers_gained, formats(num_format=INTEGER, **properties))
    if t.average_reach is None:
        sheet.write_blank(row, column + 2, None, formats(**properties))
    else:
        sheet.write_number(row, column + 2, t.average_reach, formats(num_format=INTEGER, **properties))


def _channels_sheet(book: Workbook, data: ReportData, formats: _Formats) -> None:
    sheet = book.add_worksheet("Channels")
    _table(sheet, 0, CHANNEL_HEADER, CHANNEL_WIDTHS, formats)
    sheet.set_row(0, 42)
    for index, item in enumerate(data.channels, start=1):
        _channel_row(sheet, index, item, formats)
    _channel_row(sheet, len(data.channels) + 1, data.total, formats, bold=True, top=1)
    sheet.freeze_panes(1, 1)


def _bar_chart(book: Workbook, title: str, sheet: str, rows: list[ChannelRow], column: int, number_format: str):
    """A native Excel bar chart of one column of the per-channel table, each channel in its shade of its
    group's colour."""
    chart = book.add_chart({"type": "bar"})
    last = len(rows)
    chart.add_series(
        {
            "name": title,
            "categories": [sheet, 1, 0, last, 0],
            "values": [sheet, 1, column, last, column],
            "points": [{"fill": {"color": colour(row.channel, row.group)}, "border": {"none": True}} for row in rows],
            "data_labels": {"value": True, "num_format": number_format, "font": {"size": 8}},
            "gap": 60,
        }
    )
    chart.set_title({"name": title, "name_font": {"size": 11, "bold": True}})
    chart.set_legend({"none": True})
    chart.set_y_axis({"reverse": True, "num_font": {"size": 8}})
    chart.set_x_axis(
        {
            "num_format": number_format,
            "num_font": {"size": 8},
            "major_gridlines": {"visible": True, "line": {"color": "#E3E3E3"}},
        }
    )
    chart.set_size({"width": 520, "height": 24 * len(rows) + 110})
    return chart


# --- Summary -----------------------------------------------------------------------------------

KEY_FIGURES = (
    ("Investment", lambda t: t.investment, MONEY),
    ("Media spend (paid)", lambda t: t.media_spend, MONEY),
    ("Impressions", lambda t: t.impressions, INTEGER),
    ("Engagements", lambda t: t.engagements, INTEGER),
    ("Engagement rate (by impressions)", lambda t: t.engagement_rate, PERCENT_FINE),
    ("Clicks", lambda t: t.clicks, INTEGER),
    ("CPM", lambda t: t.cpm, MONEY),
    ("CPC", lambda t: t.cpc, MONEY),
    ("Cost per engagement (CPE)", lambda t: t.cpe, MONEY),
    ("Avg. daily reach per account", lambda t: t.average_reach, INTEGER),
    ("New followers", lambda t: t.followers_gained, INTEGER),
    ("Conversions", lambda t: t.conversions, INTEGER),
    ("Cost per conversion", lambda t: t.cost_per_conversion, MONEY),
    ("Conversion value", lambda t: t.conversion_value, MONEY),
    ("ROAS", lambda t: t.roas, MULTIPLE),
    ("ROI", lambda t: t.roi, PERCENT),
)


def _summary_sheet(book: Workbook, data: ReportData, formats: _Formats, channels: str) -> None:
    sheet = book.add_worksheet("Summary")
    sheet.hide_gridlines(2)
    sheet.set_column(0, 0, 2)
    sheet.set_column(1, 9, 14)
    sheet.set_column(3, 3, 3)
    sheet.set_column(6, 6, 3)
    write_text(sheet, 0, 1, data.organisation, formats, font_color=MUTED)
    write_text(sheet, 1, 1, data.definition.title, formats, bold=True, font_size=16)
    comparison = (
        f"compared with {data.previous.label}"
        if data.previous_complete
        else "no comparison (the warehouse starts later)"
    )
    write_text(
        sheet,
        2,
        1,
        f"{data.period.label} ({data.period.start:%Y-%m-%d} to {data.period.end:%Y-%m-%d}), {comparison}",
        formats,
        font_size=11,
    )
    write_text(sheet, 3, 1, f"Filter: {data.filter_text}", formats)
    accounts = "; ".join(f"{channel}: {', '.join(names)}" for channel, names in data.accounts.items())
    sheet.merge_range(4, 1, 4, 8, "", formats(text_wrap=True, valign="top", font_color=MUTED, font_size=9))
    write_text(
        sheet,
        4,
        1,
        f"Accounts covered: {accounts or 'none'}",
        formats,
        text_wrap=True,
        valign="top",
        font_color=MUTED,
        font_size=9,
    )
    sheet.set_row(4, 40)
    sheet.merge_range(5, 1, 5, 8, "", formats(text_wrap=True, valign="top"))
    write_text(
        sheet,
        5,
        1,
        f"Data freshness: {data.freshness_note}",
        formats,
        text_wrap=True,
        valign="top",
        font_color=BAD if data.stale else GOOD,
    )
    sheet.set_row(5, 30)

    tile = {"bg_color": "#F3F5F8"}
    for index, kpi in enumerate(kpi_figures(data)):
        top, left = 7 + (index // 3) * 4, 1 + (index % 3) * 3
        sheet.merge_range(top, left, top, left + 1, "", formats(**tile))
        write_text(sheet, top, left, kpi.label, formats, font_color=MUTED, **tile)
        sheet.merge_range(top + 1, left, top + 1, left + 1, "", formats(**tile))
        if kpi.value is None:
            write_text(sheet, top + 1, left, kpi.text, formats, bold=True, font_size=18, align="left", **tile)
        else:
            number_format = TILE_FORMATS[kpi.label]
            sheet.write_number(
                top + 1,
                left,
                kpi.value,
                formats(num_format=number_format, bold=True, font_size=18, align="left", **tile),
            )
        sheet.merge_range(top + 2, left, top + 2, left + 1, "", formats(**tile))
        colour_hex = {1: GOOD, -1: BAD}.get(kpi.change.direction, MUTED)
        write_text(
            sheet,
            top + 2,
            left,
            f"{kpi.change.arrow}{kpi.change.text} vs previous",
            formats,
            font_color=colour_hex,
            **tile,
        )
        sheet.set_row(top + 1, 26)

    top = 16
    write_text(sheet, top, 1, "Key figures", formats, bold=True, font_size=12)
    for column, title in enumerate(["Metric", "", "This period", "Previous period", "Change"]):
        if title:
            write_text(sheet, top + 1, 1 + column, title, formats, bold=True, bottom=1)
    for index, (label, value, number_format) in enumerate(KEY_FIGURES, start=top + 2):
        write_text(sheet, index, 1, label, formats)
        current = value(data.current)
        previous = value(data.prior) if data.prior is not None else None
        if label == "ROI" and current is None:
            write_text(
                sheet,
                index,
                3,
                fmt.roi_text(None, data.current.investment, data.current.conversion_value),
                formats,
                align="right",
            )
        else:
            _write_value(sheet, index, 3, current, formats, number_format)
        _write_value(sheet, index, 4, previous, formats, number_format)
        points = label in ("ROI", "Engagement rate (by impressions)")
        write_text(
            sheet, index, 5, fmt.change(current, previous, points=points).text, formats, align="right", font_color=MUTED
        )

    rows = len(data.channels)
    if rows:
        cpe_column = 2 + [c[0] for c in CHANNEL_COLUMNS].index("CPE")
        roi_column = 2 + len(CHANNEL_COLUMNS)
        sheet.insert_chart(
            7, 10, _bar_chart(book, "Cost per engagement by channel", channels, data.channels, cpe_column, MONEY)
        )
        sheet.insert_chart(
            7 + rows + 8, 10, _bar_chart(book, "ROI by channel", channels, data.channels, roi_column, "0%")
        )
    sheet.activate()


TILE_FORMATS = {
    "Investment": MONEY_ROUND,
    "Engagements": INTEGER,
    "Cost per engagement": MONEY,
    "Avg. daily reach per account": INTEGER,
    "Conversions": INTEGER,
    "ROI": PERCENT,
}


# --- What each channel adds (the marketing-mix model) ------------------------------------------

SIGNED_PERCENT = "+0%;-0%;0%"
SIGNED_NUMBER = "+#,##0.0;-#,##0.0;0.0"
DECIMAL = "#,##0.0"
EFFECT_COLUMNS = (
    # header, value, number format
    ("Investment", lambda r: r.investment, MONEY),
    ("Attributed conversions", lambda r: r.attributed_conversions, INTEGER),
    ("Attributed value", lambda r: r.attributed_value, MONEY),
    ("Attributed ROI", lambda r: r.attributed_roi, PERCENT),
    ("Incremental conversions", lambda r: r.incremental_conversions.value, INTEGER),
    ("Incremental conversions, low", lambda r: r.incremental_conversions.low, INTEGER),
    ("Incremental conversions, high", lambda r: r.incremental_conversions.high, INTEGER),
    ("Incremental value", lambda r: r.incremental_value, MONEY),
    ("Incremental ROI", lambda r: r.incremental_roi.value, PERCENT),
    ("Incremental ROI, low", lambda r: r.incremental_roi.low, PERCENT),
    ("Incremental ROI, high", lambda r: r.incremental_roi.high, PERCENT),
    # The ROI of the next dollar at the current weekly spend.
    ("Marginal ROI", lambda r: r.marginal_roi, PERCENT),
)
BUDGET_COLUMNS = (
    ("Current weekly spend", lambda line: line.current_weekly_spend, MONEY),
    ("Recommended weekly spend", lambda line: line.recommended_weekly_spend, MONEY),
    ("Change", lambda line: line.spend_change_share, SIGNED_PERCENT),
    ("Expected weekly conversions change", lambda line: line.expected_weekly_conversions_change, SIGNED_NUMBER),
    ("Bound (\u00b1)", lambda line: line.max_change, PERCENT),
)
CURVE_COLUMNS = (
    ("Weekly spend", lambda point: point.weekly_spend, MONEY),
    ("Expected weekly conversions", lambda point: point.conversions.value, DECIMAL),
    ("Expected weekly conversions, low", lambda point: point.conversions.low, DECIMAL),
    ("Expected weekly conversions, high", lambda point: point.conversions.high, DECIMAL),
)


def _section(sheet: Worksheet, top: int, title: str, header: list[str], formats: _Formats) -> int:
    """A table's heading and header row; returns the first row of its body."""
    write_text(sheet, top, 0, title, formats, bold=True, font_size=12)
    _table(sheet, top + 1, header, [30, 15, *[13] * (len(header) - 2)], formats)
    sheet.set_row(top + 1, 42)
    return top + 2


def _note(sheet: Worksheet, row: int, text: str, formats: _Formats, **properties) -> None:
    """A line of text across the sheet's tables, wrapped."""
    sheet.merge_range(row, 0, row, 9, "", formats(text_wrap=True, valign="top", **properties))
    write_text(sheet, row, 0, text, formats, text_wrap=True, valign="top", **properties)
    sheet.set_row(row, 15 * (1 + len(text) // 150))


def _incremental_sheet(book: Workbook, data: ReportData, mix: IncrementalRoi, formats: _Formats) -> None:
    sheet = book.add_worksheet(TITLE)

    def name(channel: str) -> str:
        return data.channel_names.get(channel, channel)

    def group(key: str) -> str:
        return GROUP_NAMES.get(key, key)

    write_text(sheet, 0, 0, TITLE, formats, bold=True, font_size=16)
    _note(sheet, 1, mix.intro, formats)
    row = 2
    if mix.fit.warning:
        _note(sheet, row, mix.fit.warning, formats, font_color=BAD, bold=True)
        row += 1
    _note(sheet, row, mix.fit.quality, formats, font_color=MUTED)
    row += 2
    if mix.channels:
        header = ["Channel", "Channel group", "Driver", *(c[0] for c in EFFECT_COLUMNS), "Note"]
        row = _section(sheet, row, CHANNELS_HEADING, header, formats)
        for effect in mix.channels:
            write_text(sheet, row, 0, name(effect.channel), formats)
            write_text(sheet, row, 1, group(effect.group), formats)
            write_text(sheet, row, 2, effect.driver, formats)
            for column, (_, value, number_format) in enumerate(EFFECT_COLUMNS, start=3):
                _write_value(sheet, row, column, value(effect), formats, number_format)
            if effect.uncertain:
                write_text(sheet, row, 3 + len(EFFECT_COLUMNS), "interval wider than the estimate", formats)
            row += 1
        note = f"Low and high: the model's {mix.interval_text}. {mix.uncertain_note or ''}"
        _note(sheet, row + 1, note.strip(), formats, font_color=MUTED)
        row += 3
    if mix.reallocation:
        header = ["Channel", "Channel group", "Scenario", *(c[0] for c in BUDGET_COLUMNS)]
        row = _section(sheet, row, BUDGET_HEADING, header, formats)
        for line in mix.reallocation:
            write_text(sheet, row, 0, name(line.channel), formats)
            write_text(sheet, row, 1, group(line.group), formats)
            write_text(sheet, row, 2, "movable" if line.movable else "held fixed", formats)
            for column, (_, value, number_format) in enumerate(BUDGET_COLUMNS, start=3):
                _write_value(sheet, row, column, value(line), formats, number_format)
            row += 1
        _note(sheet, row + 1, mix.reallocation_note, formats, font_color=MUTED)
        row += 3
    if mix.curves:
        header = ["Channel", "Channel group", "Current spend", *(c[0] for c in CURVE_COLUMNS)]
        row = _section(sheet, row, CURVES_HEADING, header, formats)
        for curve in mix.curves:
            for point in curve.points:
                write_text(sheet, row, 0, name(curve.channel), formats)
                write_text(sheet, row, 1, group(curve.group), formats)
                if point.is_current_spend:
                    write_text(sheet, row, 2, "current", formats)
                for column, (_, value, number_format) in enumerate(CURVE_COLUMNS, start=3):
                    _write_value(sheet, row, column, value(point), formats, number_format)
                row += 1


# --- Employees as brand ambassadors -------------------------------------------------------------

AMBASSADORS_SHEET = "Ambassadors"
PROGRAM_FIGURES = (
    # label, the program's figure, number format
    ("Enrolled advocates", "enrolled_advocates", INTEGER),
    ("Active advocates", "active_advocates", INTEGER),
    ("Participation rate (active / enrolled)", "participation_rate", PERCENT),
    ("Shares", "shares", INTEGER),
    ("Potential reach", "potential_reach", INTEGER),
    ("Clicks", "clicks", INTEGER),
    ("Engagements", "engagements", INTEGER),
    ("Active engagements", "active_engagements", INTEGER),
    ("Sessions", "sessions", INTEGER),
    ("Conversions", "conversions", INTEGER),
    ("Conversion value", "conversion_value", MONEY),
    ("Program investment", "program_investment", MONEY),
    ("Cost per active engagement", "cost_per_active_engagement", MONEY),
    ("Cost per conversion", "cost_per_conversion", MONEY),
)
TEAM_COLUMNS = (
    # header, mart_ambassadors column, number format
    ("Teams summed", "teams", INTEGER),
    ("Enrolled advocates", "enrolled_advocates", INTEGER),
    ("Active advocates", "active_advocates", INTEGER),
    ("Participation rate", "participation_rate", PERCENT),
    ("Shares", "shares", INTEGER),
    ("Potential reach", "potential_reach", INTEGER),
    ("Clicks", "clicks", INTEGER),
    ("Engagements", "engagements", INTEGER),
    ("Active engagements", "active_engagements", INTEGER),
    ("Sessions", "sessions", INTEGER),
    ("Conversions", "conversions", INTEGER),
    ("Conversion value", "conversion_value", MONEY),
    ("Employee time", "employee_time_cost", MONEY),
    ("Licence", "licence_cost", MONEY),
    ("Admin", "admin_cost", MONEY),
    ("Program investment", "program_investment", MONEY),
    ("Cost per active engagement", "cost_per_active_engagement", MONEY),
    ("Cost per conversion", "cost_per_conversion", MONEY),
    ("Cost per 1,000 potential reach", "cost_per_thousand_potential_reach", MONEY),
    ("EMV at paid social CPM (a translation, not a return)", "emv_at_paid_social_cpm", MONEY),
)
CONTENT_COLUMNS = (
    # header, mart_advocacy_content column, number format
    ("Own post text", "own_post_text", None),
    ("Items summed", "items", INTEGER),
    ("Advocates", "advocates", INTEGER),
    ("Shares", "shares", INTEGER),
    ("Potential reach", "potential_reach", INTEGER),
    ("Clicks", "clicks", INTEGER),
    ("Engagements", "engagements", INTEGER),
    ("Active engagements", "active_engagements", INTEGER),
    ("Own post platform", "own_post_platform", None),
    ("Own post id", "own_post_id", None),
    ("Campaign", "campaign_id", None),
    ("Own post impressions", "own_post_impressions", INTEGER),
    ("Own post engagements", "own_post_engagements", INTEGER),
    ("Potential reach per own impression", "reach_per_own_impression", MULTIPLE),
)
# The own post's figures, blank (not 0) where its platform has measured nothing yet.
OWN_POST_FIGURES = {"own_post_impressions", "own_post_engagements", "reach_per_own_impression"}


def _ambassadors_sheet(book: Workbook, data: ReportData, advocacy: Ambassadors, formats: _Formats) -> None:
    sheet = book.add_worksheet(AMBASSADORS_SHEET)
    program = advocacy.program
    write_text(sheet, 0, 0, AMBASSADORS_TITLE, formats, bold=True, font_size=16)
    _note(sheet, 1, f"{data.period.label}: {advocacy.intro}", formats)
    row = _section(sheet, 3, "Program", ["Figure", "Value", "Note"], formats)
    for label, name, number_format in PROGRAM_FIGURES:
        write_text(sheet, row, 0, label, formats)
        _write_value(sheet, row, 1, getattr(program, name), formats, number_format)
        row += 1
    row = _section(sheet, row + 1, COST_HEADING, ["Measure", "Cost per 1,000", "What it counts"], formats)
    for label, value, counts in (
        ("Employee advocacy", program.cost_per_thousand_potential_reach, "potential reach (an upper bound on views)"),
        ("Paid social (the month's CPM)", advocacy.paid_social_cpm, "impressions"),
        ("Traditional (the month's CPM)", advocacy.traditional_cpm, "gross impressions"),
    ):
        write_text(sheet, row, 0, label, formats)
        _write_value(sheet, row, 1, value, formats, MONEY)
        write_text(sheet, row, 2, counts, formats)
        row += 1
    _note(sheet, row + 1, REACH_CAVEAT, formats, font_color=MUTED)
    row = _section(sheet, row + 3, INVESTMENT_HEADING, ["Part", "Amount", "Share"], formats)
    for part, label in PROGRAM_PARTS.items():
        write_text(sheet, row, 0, label, formats)
        _write_value(sheet, row, 1, getattr(program, part), formats, MONEY)
        _write_value(sheet, row, 2, fmt.ratio(getattr(program, part), program.program_investment), formats, PERCENT)
        row += 1
    write_text(sheet, row, 0, "Program investment", formats, bold=True, top=1)
    sheet.write_number(row, 1, program.program_investment, formats(num_format=MONEY, bold=True, top=1))
    row += 2
    write_text(sheet, row, 0, EMV_LABEL, formats, bold=True, font_size=12)
    write_text(sheet, row + 1, 0, "EMV at paid social CPM", formats)
    _write_value(sheet, row + 1, 1, advocacy.emv, formats, MONEY)
    _note(sheet, row + 2, advocacy.emv_text, formats, font_color=MUTED)
    row = _section(sheet, row + 4, TEAMS_HEADING, ["Team", *(c[0] for c in TEAM_COLUMNS)], formats)
    for team in advocacy.teams:
        write_text(sheet, row, 0, team.team, formats, font_color=colour(ADVOCACY))
        for column, (_, name, number_format) in enumerate(TEAM_COLUMNS, start=1):
            _write_value(sheet, row, column, getattr(team, name), formats, number_format)
        row += 1
    write_text(sheet, row, 0, "Program (every row)", formats, bold=True, top=1)
    for column, (_, name, number_format) in enumerate(TEAM_COLUMNS, start=1):
        value = getattr(program, name)
        if value is None:
            sheet.write_blank(row, column, None, formats(bold=True, top=1))
        else:
            sheet.write_number(row, column, value, formats(num_format=number_format, bold=True, top=1))
    _note(
        sheet,
        row + 2,
        f"The mart's rows: no row describes fewer than {advocacy.least} people. \u201c(smaller teams)\u201d sums "
        "the teams with fewer active advocates, \u201c(not by team)\u201d what no team can be credited with.",
        formats,
        font_color=MUTED,
    )
    if advocacy.content:
        row = _section(sheet, row + 4, CONTENT_HEADING, ["Content", *(c[0] for c in CONTENT_COLUMNS)], formats)
        for item in advocacy.content:
            write_text(sheet, row, 0, item.content_id, formats)
            for column, (_, name, number_format) in enumerate(CONTENT_COLUMNS, start=1):
                value = getattr(item, name)
                if name in OWN_POST_FIGURES and not item.own_post_measured:
                    value = None
                _write_value(sheet, row, column, value, formats, number_format)
            row += 1
        _note(
            sheet,
            row + 1,
            "Potential reach per own impression: the item's potential reach / the impressions of the organisation's "
            "own post it was curated from; blank where there is no own post, or its platform has not measured it. "
            + advocacy.rolled_up_note,
            formats,
            font_color=MUTED,
        )
    sheet.set_column(0, 0, 34)
    sheet.freeze_panes(0, 1)


# --- Social vs traditional, posts, definitions, data ---------------------------------------------

GROUP_COLUMNS = (
    ("Investment", lambda t: t.investment, MONEY, 13),
    ("Impressions", lambda t: t.impressions, INTEGER, 13),
    ("CPM", lambda t: t.cpm, MONEY, 10),
    ("Reactions / likes (social only)", lambda t: t.reactions, INTEGER, 13),
    ("Active engagements", lambda t: t.active_engagements, INTEGER, 13),
    ("Cost per active engagement", lambda t: t.cost_per_active_engagement, MONEY, 13),
    ("Conversions", lambda t: t.conversions, INTEGER, 12),
    ("Cost per conversion (outcome)", lambda t: t.cost_per_conversion, MONEY, 13),
    ("Conversion value", lambda t: t.conversion_value, MONEY, 14),
)


def _social_vs_traditional_sheet(book: Workbook, data: ReportData, formats: _Formats) -> None:
    name = "Social vs traditional"
    sheet = book.add_worksheet(name)
    header = ["Channel group", *(c[0] for c in GROUP_COLUMNS), "ROI"]
    _table(sheet, 0, header, [18, *(c[3] for c in GROUP_COLUMNS), 14], formats)
    sheet.set_row(0, 42)
    for row, group in enumerate(data.groups, start=1):
        write_text(sheet, row, 0, group.name, formats)
        for column, (_, value, number_format, _) in enumerate(GROUP_COLUMNS, start=1):
            reactions_of_traditional = group.group == "traditional" and column == 4
            _write_value(
                sheet, row, column, None if reactions_of_traditional else value(group.totals), formats, number_format
            )
        _roi_cell(sheet, row, len(GROUP_COLUMNS) + 1, group.totals, formats)
    sheet.freeze_panes(1, 1)
    write_text(
        sheet,
        len(data.groups) + 2,
        0,
        "Three tiers of a fair comparison: exposure (CPM), active engagement (social comments, shares, saves and clicks "
        "against traditional responses, calls and vanity-URL visits; likes have no traditional twin) and outcome.",
        formats,
        font_color=MUTED,
    )
    if data.groups:
        chart = book.add_chart({"type": "column"})
        last = len(data.groups)
        for column, label in ((6, "Cost per active engagement"), (8, "Cost per conversion (outcome)")):
            chart.add_series(
                {
                    "name": label,
                    "categories": [name, 1, 0, last, 0],
                    "values": [name, 1, column, last, column],
                    "points": [{"fill": {"color": colour(g.group)}} for g in data.groups],
                    "data_labels": {"value": True, "num_format": MONEY, "font": {"size": 8}},
                }
            )
        chart.set_title({"name": "Cost per active engagement and per conversion", "name_font": {"size": 11}})
        chart.set_legend({"position": "bottom"})
        chart.set_y_axis({"num_format": MONEY_ROUND, "log_base": 10})
        chart.set_size({"width": 620, "height": 320})
        sheet.insert_chart(len(data.groups) + 4, 0, chart)


POST_HEADER = [
    "Rank",
    "Platform",
    "Posted",
    "Post",
    "Engagements",
    "Impressions",
    "Engagement rate",
    "vs platform median",
    "Clicks",
    "Campaign",
]
POST_WIDTHS = [6, 12, 11, 80, 12, 12, 12, 12, 9, 18]


def _post_rows(sheet: Worksheet, top: int, title: str, posts: list[Post], data: ReportData, formats: _Formats) -> int:
    write_text(sheet, top, 0, title, formats, bold=True, font_size=12)
    for column, header in enumerate(POST_HEADER):
        write_text(sheet, top + 1, column, header, formats, bold=True, bg_color="#E6EAF0", bottom=1)
    for rank, post in enumerate(posts, start=1):
        row = top + 1 + rank
        sheet.write_number(row, 0, rank)
        write_text(sheet, row, 1, data.channel_names.get(post.platform, post.platform), formats)
        sheet.write_datetime(row, 2, post.created_date, formats(num_format="yyyy-mm-dd"))
        write_text(sheet, row, 3, post.text, formats, text_wrap=True, valign="top")
        sheet.write_number(row, 4, post.engagements, formats(num_format=INTEGER))
        sheet.write_number(row, 5, post.impressions, formats(num_format=INTEGER))
        _write_value(sheet, row, 6, post.engagement_rate, formats, PERCENT_FINE)
        _write_value(sheet, row, 7, post.relative_rate, formats, MULTIPLE)
        _write_value(sheet, row, 8, post.clicks, formats, INTEGER)
        write_text(sheet, row, 9, post.campaign_id, formats)
    return top + len(posts) + 3


def _posts_sheet(book: Workbook, data: ReportData, formats: _Formats) -> None:
    sheet = book.add_worksheet("Posts")
    for column, width in enumerate(POST_WIDTHS):
        sheet.set_column(column, column, width)
    row = _post_rows(sheet, 0, "Top posts (by engagement rate against their platform)", data.top_posts, data, formats)
    row = _post_rows(sheet, row, "Bottom posts", data.bottom_posts, data, formats)
    write_text(sheet, row, 0, data.posts_note, formats, font_color=MUTED)


def _definitions_sheet(book: Workbook, formats: _Formats) -> None:
    sheet = book.add_worksheet("Definitions")
    _table(sheet, 0, ["Metric", "Definition"], [24, 110], formats)
    for row, (term, definition) in enumerate(fmt.METRIC_DEFINITIONS, start=1):
        write_text(sheet, row, 0, term, formats, bold=True)
        write_text(sheet, row, 1, definition, formats)
    sheet.freeze_panes(1, 0)


MONEY_WORDS = ("investment", "spend", "cost", "value", "cpm", "cpc")
RATE_WORDS = ("rate", "roi", "share_of")


def _column_format(column: str) -> str | None:
    name = column.lower()
    if name == "roas":
        return MULTIPLE
    if any(word in name for word in RATE_WORDS):
        return PERCENT_FINE
    if any(word in name for word in MONEY_WORDS):
        return MONEY
    return None


def _data_sheet(book: Workbook, extract: Extract, formats: _Formats) -> None:
    sheet = book.add_worksheet(f"data_{extract.name}"[:31])
    widths = [max(10, min(60, len(column) + 2)) for column in extract.columns]
    _table(sheet, 0, extract.columns, widths, formats)
    number_formats = [_column_format(column) for column in extract.columns]
    for row, values in enumerate(extract.rows, start=1):
        for column, value in enumerate(values):
            _write_value(sheet, row, column, value, formats, number_formats[column])
    sheet.freeze_panes(1, 0)
    sheet.autofilter(0, 0, max(len(extract.rows), 1), len(extract.columns) - 1)


def write_xlsx(data: ReportData, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    book = xlsxwriter.Workbook(
        str(path),
        {
            # People's text (post text, names) stays text: never a formula, a link or a number.
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
            "remove_timezone": True,
        },
    )
    book.set_properties({"title": f"{data.definition.title}, {data.period.label}", "company": data.organisation})
    formats = _Formats(book)
    # The summary's charts read the channel table, by sheet name, when the workbook is closed.
    _summary_sheet(book, data, formats, "Channels")
    _channels_sheet(book, data, formats)
    _social_vs_traditional_sheet(book, data, formats)
    if data.incremental:
        _incremental_sheet(book, data, data.incremental, formats)
    if data.ambassadors:
        _ambassadors_sheet(book, data, data.ambassadors, formats)
    _posts_sheet(book, data, formats)
    _definitions_sheet(book, formats)
    for extract in data.extracts:
        _data_sheet(book, extract, formats)
    book.close()
    return path
