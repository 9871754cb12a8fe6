"""Suite for the landed media plan. The extractor already rejects bad files row by row; this gate
guards the landed snapshot as a whole."""

from __future__ import annotations

from datetime import date

import great_expectations as gx
import great_expectations.expectations as gxe

from core.severity import critical
from expectations.landing_call_tracking import E164

CHANNELS = ["tv", "radio", "print", "ooh", "direct_mail"]


def placements_suite(partition_date: date) -> gx.ExpectationSuite:
    return gx.ExpectationSuite(
        name="landing.traditional_media.placements",
        expectations=[
            critical(gxe.ExpectColumnValuesToNotBeNull(column="placement_id")),
            critical(gxe.ExpectColumnValuesToBeUnique(column="placement_id")),
            critical(gxe.ExpectColumnValuesToBeInSet(column="channel", value_set=CHANNELS)),
            critical(gxe.ExpectColumnValuesToBeBetween(column="spend", min_value=0)),
            critical(
                gxe.ExpectColumnPairValuesAToBeGreaterThanB(column_A="end_date", column_B="start_date", or_equal=True)
            ),
            # Calls to a tracking number are credited to one placement (placements without one have none).
            critical(gxe.ExpectColumnValuesToBeUnique(column="tracking_number")),
            critical(gxe.ExpectColumnValuesToMatchRegex(column="tracking_number", regex=E164)),
        ],
    )


SUITES = {"placements": placements_suite}
