"""Suite for the landed call log. The extractor already rejects bad files row by row; this gate
guards the landed snapshot as a whole."""

from __future__ import annotations

from datetime import date

import great_expectations as gx
import great_expectations.expectations as gxe

from core.severity import critical

E164 = r"^\+[1-9][0-9]{7,14}$"


def calls_suite(partition_date: date) -> gx.ExpectationSuite:
    return gx.ExpectationSuite(
        name="landing.call_tracking.calls",
        expectations=[
            critical(gxe.ExpectColumnValuesToNotBeNull(column="tracking_number")),
            critical(gxe.ExpectColumnValuesToMatchRegex(column="tracking_number", regex=E164)),
            critical(gxe.ExpectCompoundColumnsToBeUnique(column_list=["tracking_number", "date"])),
            critical(gxe.ExpectColumnValuesToBeBetween(column="calls", min_value=0)),
            critical(gxe.ExpectColumnValuesToBeBetween(column="qualified_calls", min_value=0)),
            critical(
                gxe.ExpectColumnPairValuesAToBeGreaterThanB(column_A="calls", column_B="qualified_calls", or_equal=True)
            ),
            # A call dated after the day its file was taken is refused at the inbox, with the file and
            # row (Inbox.not_after_run_day): the one place for that rule. Checked here against the
            # partition's day, it refused every rerun of a past day, whose export holds the days since.
        ],
    )


SUITES = {"calls": calls_suite}
