from datetime import date, datetime
from zoneinfo import ZoneInfo

from core.windows import DateWindow, extraction_window, partition_date_for

CHICAGO = ZoneInfo("America/Chicago")


def test_partition_date_is_the_last_complete_local_day():
    # 03:00 UTC on the 21st is still the evening of the 20th in Chicago.
    assert partition_date_for(datetime(2026, 11, 21, 3, tzinfo=ZoneInfo("UTC")), CHICAGO) == date(2026, 11, 19)
    assert partition_date_for(datetime(2026, 11, 21, 4, 30, tzinfo=CHICAGO), CHICAGO) == date(2026, 11, 20)


def test_first_run_backfills_and_later_runs_look_back():
    assert extraction_window(date(2026, 11, 20), False, 90, 3) == DateWindow(date(2026, 8, 23), date(2026, 11, 20))
    assert extraction_window(date(2026, 11, 20), True, 90, 3) == DateWindow(date(2026, 11, 18), date(2026, 11, 20))


def test_chunks_cover_the_window_without_overlap():
    window = DateWindow(date(2026, 1, 1), date(2026, 7, 1))
    chunks = window.chunks(90)
    assert [c.days for c in chunks] == [90, 90, 2]
    assert chunks[0].start == window.start and chunks[-1].end == window.end
    assert sum(c.days for c in chunks) == window.days
