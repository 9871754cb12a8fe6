"""Severity of an expectation, kept in its `meta`: a `critical` failure stops the publish, a
`warning` failure is reported and lets the run go on."""

from __future__ import annotations

CRITICAL = "critical"
WARNING = "warning"


def critical(expectation):
    expectation.meta = {**(expectation.meta or {}), "severity": CRITICAL}
    return expectation


def warning(expectation):
    expectation.meta = {**(expectation.meta or {}), "severity": WARNING}
    return expectation
