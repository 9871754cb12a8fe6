import csv
from datetime import UTC, date, datetime
from decimal import Decimal

import openpyxl
import pytest

from core.landing import RunContext, write_partition
from core.paths import PROJECT_ROOT, DataPaths
from extractors.inbox import InboxFileError
from sources.marketing_history import (
    CHANNELS,
    MARKETING_HISTORY_WEEKLY,
    NO_CHANNEL,
    REQUIRED_COLUMNS,
    WEEKLY_HISTORY,
    MarketingHistoryError,
)
from tests.conftest import land_inbox_night, landed_snapshot

DAY = date(2026, 4, 2)
HEADER = ",".join(REQUIRED_COLUMNS)
GOOD = [
    "2026-03-02,meta_ads,1200.00,1850.50,,410000,14,2,4270.00",
    "2026-03-02,facebook,0,1120.40,6,,9,1,2735.00",
    '3/2/2026,tv,"$12,500.00","$14,020.75",,"820,000",11,0,3300.00',
    "2026-03-02,(none),,,,,120,31,37085.00",
    '"Mar 9, 2026",meta_ads,980.5,1600,,350000,12,3,3705.00',
]


def run(dirs, run_id="manual__1"):
    return land_inbox_night(WEEKLY_HISTORY, dirs, DAY, run_id)


def landed(dirs):
    return landed_snapshot(WEEKLY_HISTORY, dirs, DAY)


def write(inbox, name, *rows):
    (inbox / name).write_text("\n".join([HEADER, *rows]) + "\n")


def reason_of(dirs, name):
    folder = dirs[1] / "marketing_history" / f"date={DAY}"
    assert (folder / name).is_file() and not (dirs[0] / name).exists()
    return (folder / f"{name}.reason.txt").read_text()


def test_a_good_file_lands_as_a_snapshot_with_the_contract_types(dirs):
    write(dirs[0], "history.csv", *GOOD)

    result = run(dirs)

    assert (result.files_landed, result.rows_landed, result.quarantined) == (["history.csv"], 5, [])
    table = landed(dirs)
    assert [table.schema.field(name) for name in MARKETING_HISTORY_WEEKLY.names] == list(MARKETING_HISTORY_WEEKLY)
    rows = {(r["week_start"], r["channel"]): r for r in table.to_pylist()}
    tv = rows[(date(2026, 3, 2), "tv")]
    assert (tv["media_spend"], tv["total_investment"], tv["posts"], tv["impressions"]) == (
        Decimal("12500.00"),
        Decimal("14020.75"),
        None,
        820000,
    )
    none = rows[(date(2026, 3, 2), NO_CHANNEL)]
    assert (none["media_spend"], none["total_investment"], none["appointment_requests"]) == (
        Decimal("0.00"),
        Decimal("0.00"),
        120,
    )
    assert rows[(date(2026, 3, 9), "meta_ads")]["source_row"] == 5
    assert rows[(date(2026, 3, 2), "facebook")]["posts"] == 6


def test_a_workbook_with_a_weekly_history_sheet_lands(dirs):
    book = openpyxl.Workbook()
    book.active.title = "Notes"
    sheet = book.create_sheet("Weekly history")
    sheet.append(list(REQUIRED_COLUMNS))
    sheet.append([datetime(2026, 3, 2), "Instagram", 0, 412.5, 4, None, 3, 1, 590])
    book.save(dirs[0] / "history.xlsx")

    run(dirs)

    [row] = landed(dirs).to_pylist()
    assert (row["week_start"], row["channel"], row["total_investment"], row["posts"]) == (
        date(2026, 3, 2),
        "instagram",
        Decimal("412.50"),
        4,
    )


# (rows of a bad file, the fragment its reason must contain)
BAD = {
    "not a Monday": (
        ["2025-03-05,tv,100,200,,1000,1,0,300"],
        "row 1 (line 2), column week_start: week_start 2025-03-05 is a Wednesday; weeks start on Monday: "
        "use 2025-03-03, the Monday of that week.",
    ),
    "a week after the run day": (
        ["2031-03-03,tv,100,200,,1000,1,0,300"],
        "week_start 2031-03-03 is after 2026-04-02, the day this file was taken",
    ),
    "unknown channel": (["2026-02-23,google,0,0,,,1,0,300"], "'google' is not a known channel"),
    "empty channel": (["2026-02-23,,0,0,,,1,0,300"], "channel is empty"),
    "(none) with spend": (
        ["2026-02-23,(none),250,250,,,1,0,300"],
        "column media_spend: media_spend is 250.00 on a (none) row; key events no channel claimed have no cost",
    ),
    "(none) with investment": (["2026-02-23,(none),0,90,,,1,0,300"], "total_investment is 90.00 on a (none) row"),
    "investment below media spend": (
        ["2026-02-23,meta_ads,1200,900,,1000,1,0,300"],
        "total_investment 900.00 is less than media_spend 1200.00",
    ),
    "empty media spend": (["2026-02-23,tv,,900,,1000,1,0,300"], "media_spend is empty"),
    "negative spend": (["2026-02-23,tv,-5,900,,1000,1,0,300"], "'-5' is negative; media_spend must be >= 0."),
    "fractional posts": (["2026-02-23,facebook,0,900,2.5,,1,0,300"], "'2.5' is not a whole number"),
    "empty key events": (["2026-02-23,facebook,0,900,2,,,0,300"], "appointment_requests is empty"),
    "empty conversion value": (["2026-02-23,facebook,0,900,2,,1,0,"], "conversion_value is empty"),
    "the same week and channel twice": (
        ["2026-02-23,tv,100,200,,1000,1,0,300", "2/23/2026,TV,100,200,,1000,1,0,300"],
        "row 2 (line 3), column week_start: week_start 2026-02-23 with channel 'tv' is already used on row 1; "
        "a channel has one row per week.",
    ),
}


@pytest.mark.parametrize("case", BAD)
def test_a_bad_file_is_quarantined_while_the_valid_ones_land_and_the_run_fails(dirs, case):
    rows, fragment = BAD[case]
    write(dirs[0], "good.csv", *GOOD)
    write(dirs[0], "bad.csv", *rows)

    with pytest.raises(MarketingHistoryError) as raised:
        run(dirs)

    reason = reason_of(dirs, "bad.csv")
    assert fragment in reason
    message = str(raised.value)
    assert message.startswith("1 marketing-history file(s) quarantined; 5 channel week(s) from 1 valid file(s)")
    assert set(landed(dirs).column("source_file").to_pylist()) == {"good.csv"}


def test_the_same_week_and_channel_in_two_files_names_both(dirs):
    write(dirs[0], "a.csv", *GOOD)
    write(dirs[0], "b.csv", "2026-03-09,tv,0,10,,,0,0,0", "2026-03-02,tv,100,200,,1000,1,0,300")

    with pytest.raises(MarketingHistoryError):
        run(dirs)

    assert (
        "b.csv row 2 (line 3), column week_start: week_start 2026-03-02 with channel 'tv' is already used in a.csv "
        "row 3; a channel has one row per week across the files of the inbox."
    ) in reason_of(dirs, "b.csv")


def test_the_header_is_strict(tmp_path):
    path = tmp_path / "history.csv"
    path.write_text(HEADER.replace("media_spend", "spend") + "\n2026-03-02,tv,100,200,,1000,1,0,300\n")
    with pytest.raises(MarketingHistoryError) as raised:
        WEEKLY_HISTORY.validate_file(path)
    assert "required column 'media_spend' is missing from the header." in str(raised.value)
    assert issubclass(MarketingHistoryError, InboxFileError)


def test_the_channels_are_the_channels_seed():
    with open(PROJECT_ROOT / "dbt" / "seeds" / "channels.csv", newline="") as handle:
        seed = [row["channel"] for row in csv.DictReader(handle)]
    assert sorted(CHANNELS) == sorted(seed)


def test_the_landing_suite_passes_a_good_snapshot_and_catches_a_bad_one(tmp_path):
    from expectations.runner import Validator, validate_landing_partition
    from sources.marketing_history import SPEC

    paths = DataPaths(tmp_path / "data")
    validator = Validator(paths)
    ctx = RunContext(DAY, "manual__1", datetime(2026, 4, 2, 5, tzinfo=UTC))
    path = tmp_path / "history.csv"
    path.write_text("\n".join([HEADER, *GOOD]) + "\n")
    good = WEEKLY_HISTORY.validate_file(path)
    write_partition(
        "marketing_history", "weekly", "marketing_history", good, MARKETING_HISTORY_WEEKLY, ctx, paths.landing
    )

    summary = validate_landing_partition(validator, "marketing_history", "weekly", DAY, SPEC.suites["weekly"])
    assert summary.failures == []

    bad = [
        {**good[0], "total_investment": Decimal("1.00")},
        {**good[1], "channel": "google"},
        {**good[0], "media_spend": Decimal("0.50")},  # the same week and channel again
    ]
    write_partition(
        "marketing_history", "weekly", "marketing_history", bad, MARKETING_HISTORY_WEEKLY, ctx, paths.landing
    )
    summary = validate_landing_partition(validator, "marketing_history", "weekly", DAY, SPEC.suites["weekly"])
    failed = {(f.expectation, f.column) for f in summary.critical_failures}
    assert failed == {
        ("expect_column_pair_values_a_to_be_greater_than_b", "total_investment,media_spend"),
        ("expect_column_values_to_be_in_set", "channel"),
        ("expect_compound_columns_to_be_unique", "week_start,channel"),
    }
