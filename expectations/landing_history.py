"""Suites over the cross-partition frames of `expectations/history.py`. Thresholds and severities
come from the `quality` section of config/pipeline.yml."""

from __future__ import annotations

import great_expectations as gx
import great_expectations.expectations as gxe

from core.settings import Quality
from core.severity import critical, warning


def volume_suite(quality: Quality) -> gx.ExpectationSuite:
    band = quality.volume
    return gx.ExpectationSuite(
        name="landing.volume",
        expectations=[
            warning(
                gxe.ExpectColumnValuesToBeBetween(column="ratio", min_value=band.warn_below, max_value=band.warn_above)
            ),
            critical(
                gxe.ExpectColumnValuesToBeBetween(column="ratio", min_value=band.fail_below, max_value=band.fail_above)
            ),
        ],
    )


def snapshot_volume_suite(quality: Quality) -> gx.ExpectationSuite:
    band = quality.snapshot_volume
    return gx.ExpectationSuite(
        name="landing.snapshot_volume",
        expectations=[
            warning(gxe.ExpectColumnValuesToBeBetween(column="ratio", min_value=band.warn_below)),
            critical(gxe.ExpectColumnValuesToBeBetween(column="ratio", min_value=band.fail_below)),
        ],
    )


def lifetime_suite(quality: Quality) -> gx.ExpectationSuite:
    return gx.ExpectationSuite(
        name="landing.lifetime_metrics",
        expectations=[
            critical(gxe.ExpectColumnValuesToBeBetween(column="drop_share", max_value=quality.lifetime_drop_tolerance)),
        ],
    )


def zeroed_metrics_suite() -> gx.ExpectationSuite:
    # A platform that deprecates a metric may answer zeros instead of an error: the day is not
    # wrong enough to stop the run, but someone has to look at the metric list.
    return gx.ExpectationSuite(
        name="landing.zeroed_metrics",
        expectations=[warning(gxe.ExpectColumnValuesToBeBetween(column="today_total", min_value=1))],
    )


def freshness_suite(quality: Quality) -> gx.ExpectationSuite:
    severity = critical if quality.missing_partition_severity == "critical" else warning
    return gx.ExpectationSuite(
        name="landing.freshness",
        expectations=[severity(gxe.ExpectColumnValuesToBeInSet(column="landed", value_set=[True]))],
    )
