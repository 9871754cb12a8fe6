"""The monthly report's ambassadors page and sheet from a real published warehouse (the `roi_env`
sandbox world, whose night lands the advocacy inbox): the page says participation, advocacy's cost
per thousand potential reach next to the month's paid CPMs and the top team as the marts have them,
the sheet holds the marts' figures, no team the mart rolled up appears by name, and a warehouse
without advocacy data leaves the page and the sheet out."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import duckdb
import openpyxl
import pypdfium2
import pytest

from reports.ambassadors import CONTENT_HEADING, COST_HEADING, EMV_LABEL, TEAMS_HEADING, TITLE
from reports.build import build_report
from reports.charts import colour
from reports.periods import ReportPeriod
from reports.xlsx import AMBASSADORS_SHEET, TEAM_COLUMNS
from sources.config import load_config
from warehouse.duckdb_file import DuckDBFile

pytestmark = pytest.mark.integration

OCTOBER = ReportPeriod(date(2026, 10, 1), date(2026, 10, 31), "month", 1)
WEEK = ReportPeriod(date(2026, 11, 9), date(2026, 11, 15), "week", 1)
ADVOCACY_MARTS = ("mart_ambassadors", "mart_advocacy_content")


@pytest.fixture(scope="module")
def config():
    return load_config()


def definition(config, name: str = "monthly_marketing_roi"):
    return next(report for report in config.reports if report.name == name)


@pytest.fixture(scope="module")
def warehouse(roi_env) -> Path:
    paths, _ = roi_env
    return paths.published_warehouse


@pytest.fixture(scope="module")
def monthly(warehouse, config, tmp_path_factory):
    return build_report(definition(config), OCTOBER, DuckDBFile(warehouse), tmp_path_factory.mktemp("reports"), config)


def built_file(built, suffix: str) -> Path:
    return next(path for path in built.files if path.name.endswith(suffix))


def rows_of(warehouse: Path, sql: str, params=None) -> list[dict]:
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        cursor = connection.execute(sql, params or [])
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


@pytest.fixture(scope="module")
def teams(warehouse) -> list[dict]:
    rows = rows_of(warehouse, "select * from mart_ambassadors where month_start = ?", [OCTOBER.start])
    assert len([row for row in rows if not row["team"].startswith("(")]) >= 2, "the world's October has teams"
    return rows


def pdf_pages(path: Path) -> list[str]:
    return [" ".join(page.get_textpage().get_text_range().split()) for page in pypdfium2.PdfDocument(str(path))]


def ambassadors_page(built) -> tuple[int, str]:
    pages = pdf_pages(built_file(built, ".pdf"))
    (index,) = [i for i, text in enumerate(pages) if text.startswith(TITLE)]
    return index, pages[index]


def money(value) -> str:
    return f"${float(value):,.2f}"


def test_the_page_says_participation_the_cost_per_thousand_and_the_top_team(monthly, teams):
    index, text = ambassadors_page(monthly)
    pages = pdf_pages(built_file(monthly, ".pdf"))
    assert "Top posts" in pages[index + 1] and "By channel" in pages[1], "after the channel pages, before the posts"

    # Participation: active / enrolled over every row of the month (each sharer is in one row).
    enrolled = sum(row["enrolled_advocates"] for row in teams)
    active = sum(row["active_advocates"] for row in teams)
    assert f"Participation {active / enrolled:.1%} {active} of {enrolled} shared" in text

    # Advocacy's cost per thousand potential reach next to the month's paid social and traditional CPM.
    investment = sum(float(row["program_investment"]) for row in teams)
    reach = sum(row["potential_reach"] for row in teams)
    paid = teams[0]["paid_social_cpm"]
    assert f"Cost per 1,000 potential reach {money(investment / reach * 1000)} paid social CPM {money(paid)}" in text
    assert COST_HEADING in text and "Potential reach is an upper bound on views" in text
    # EMV under its label, never as a return.
    emv = sum(float(row["emv_at_paid_social_cpm"]) for row in teams)
    assert f"{EMV_LABEL} What the {reach:,} potential views would have cost" in text
    assert f"${emv:,.0f}. It is not money earned, and is in no ROI." in text

    # The top team: the named team with the largest potential reach, its row as the mart has it.
    top = max((row for row in teams if not row["team"].startswith("(")), key=lambda row: row["potential_reach"])
    cost_per_conversion = "n/a" if top["cost_per_conversion"] is None else money(top["cost_per_conversion"])
    assert (
        f"{TEAMS_HEADING}, by potential reach Team Enrolled Active Particip. Shares Potential reach Sessions Conv. "
        f"Invested Cost/1,000 potential Cost per conv. {top['team']} {top['enrolled_advocates']} "
        f"{top['active_advocates']} {top['participation_rate']:.1%} {top['shares']} {top['potential_reach']:,} "
        f"{top['sessions']:,} {top['conversions']} ${float(top['program_investment']):,.0f} "
        f"{money(top['cost_per_thousand_potential_reach'])} {cost_per_conversion}"
    ) in text
    assert f"Program {enrolled} {active} {active / enrolled:.1%}" in text
    # The investment split, in the program's parts.
    for part, label in (("employee_time_cost", "Employee time"), ("licence_cost", "licence"), ("admin_cost", "admin")):
        assert f"{label} ${sum(float(row[part]) for row in teams):,.0f}" in text


def test_the_page_draws_in_employee_advocacys_colour(monthly):
    index, _ = ambassadors_page(monthly)
    page = pypdfium2.PdfDocument(str(built_file(monthly, ".pdf")))[index]
    pixels = set(page.render(scale=1.5).to_pil().convert("RGB").getdata())
    tint = colour("employee_advocacy")
    assert tuple(int(tint[i : i + 2], 16) for i in (1, 3, 5)) in pixels


def sheet_tables(sheet) -> dict[str, list[dict]]:
    """The sheet's tables (a heading, a header row, rows down to a blank first cell): heading -> one
    {header: value} per row."""
    rows = list(sheet.iter_rows(values_only=True))
    tables = {}
    for index, row in enumerate(rows[:-1]):
        texts = [value for value in row if value is not None]
        header = rows[index + 1]
        if len(texts) == 1 and sum(value is not None for value in header) > 2:
            body = []
            for values in rows[index + 2 :]:
                if values[0] is None:
                    break
                body.append({title: value for title, value in zip(header, values, strict=False) if title})
            tables[texts[0]] = body
    return tables


def expected(value):
    return None if value is None else pytest.approx(float(value), rel=1e-12, abs=1e-9)


def test_the_sheet_holds_the_marts_figures(monthly, teams, warehouse):
    book = openpyxl.load_workbook(built_file(monthly, ".xlsx"))
    assert book.sheetnames[:5] == ["Summary", "Channels", "Social vs traditional", AMBASSADORS_SHEET, "Posts"]
    tables = sheet_tables(book[AMBASSADORS_SHEET])

    sheet_teams = {row["Team"]: row for row in tables[TEAMS_HEADING]}
    program = sheet_teams.pop("Program (every row)")
    assert set(sheet_teams) == {row["team"] for row in teams}
    for row in teams:
        for header, column, _ in TEAM_COLUMNS:
            assert sheet_teams[row["team"]][header] == expected(row[column]), (row["team"], column)
    for header, column in (("Program investment", "program_investment"), ("Potential reach", "potential_reach")):
        assert program[header] == expected(sum(row[column] for row in teams))

    cost = {row["Measure"]: row["Cost per 1,000"] for row in tables[COST_HEADING]}
    investment = sum(row["program_investment"] for row in teams)
    assert cost["Employee advocacy"] == expected(float(investment) * 1000 / sum(r["potential_reach"] for r in teams))
    assert cost["Paid social (the month's CPM)"] == expected(teams[0]["paid_social_cpm"])
    assert cost["Traditional (the month's CPM)"] == expected(teams[0]["traditional_cpm"])

    content = rows_of(warehouse, "select * from mart_advocacy_content where month_start = ?", [OCTOBER.start])
    sheet_content = {row["Content"]: row for row in tables[CONTENT_HEADING]}
    assert set(sheet_content) == {row["content_id"] for row in content}
    for row in content:
        item = sheet_content[row["content_id"]]
        assert (item["Advocates"], item["Shares"], item["Potential reach"], item["Clicks"]) == (
            row["advocates"],
            row["shares"],
            row["potential_reach"],
            row["clicks"],
        )
        measured = bool(row["own_post_impressions"] or row["own_post_engagements"])
        assert item["Own post impressions"] == (row["own_post_impressions"] if measured else None), "blank, not 0"
        assert item["Potential reach per own impression"] == expected(
            row["reach_per_own_impression"] if measured else None
        )


def test_no_team_below_the_threshold_appears(monthly, teams, warehouse, config):
    least = config.sources.employee_advocacy.min_team_advocates
    for row in teams:
        if not row["team"].startswith("("):
            # A team stands on its own with enough sharers, or with none and enough enrolled.
            assert row["active_advocates"] >= least or (
                row["active_advocates"] == 0 and row["enrolled_advocates"] >= least
            ), row
    # The teams the mart summed into "(smaller teams)" are named nowhere in the page or the sheet.
    enrolled = {row["team"] for row in rows_of(warehouse, "select distinct team from stg_employee_advocacy__enrolment")}
    rolled_up = enrolled - {row["team"] for row in teams}
    assert rolled_up, "the world has teams too small to stand on their own"
    _, text = ambassadors_page(monthly)
    book = openpyxl.load_workbook(built_file(monthly, ".xlsx"))
    cells = [str(v) for row in book[AMBASSADORS_SHEET].iter_rows(values_only=True) for v in row if v is not None]
    for team in rolled_up:
        assert team not in text and team not in cells, team
    assert "(smaller teams: " in text
    # Content: each row the sheet lists was shared by at least the threshold.
    content = sheet_tables(book[AMBASSADORS_SHEET])[CONTENT_HEADING]
    assert content and all(row["Advocates"] >= least for row in content)


@pytest.mark.parametrize("case", ["empty marts", "no marts", "not asked for", "a week", "a campaign filter"])
def test_without_advocacy_data_to_show_the_page_and_sheet_are_left_out(warehouse, config, tmp_path, case):
    copy = tmp_path / "marketing.duckdb"
    shutil.copy(warehouse, copy)
    with duckdb.connect(str(copy)) as connection:
        for table in ADVOCACY_MARTS:
            if case == "empty marts":
                connection.execute(f"delete from {table}")
            if case == "no marts":
                connection.execute(f"drop table {table}")
    report, period = definition(config), OCTOBER
    if case == "not asked for":
        report = report.model_copy(update={"ambassadors": False})
    if case == "a week":
        report, period = (
            report.model_copy(update={"period": definition(config, "weekly_social_performance").period}),
            WEEK,
        )
    if case == "a campaign filter":
        report = report.model_copy(update={"filter": report.filter.model_copy(update={"campaign": ["flu-shot-2026"]})})
    built = build_report(report, period, DuckDBFile(copy), tmp_path / "out", config)
    assert not [text for text in pdf_pages(built_file(built, ".pdf")) if text.startswith(TITLE)]
    assert AMBASSADORS_SHEET not in openpyxl.load_workbook(built_file(built, ".xlsx")).sheetnames
