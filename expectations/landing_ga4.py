"""Suites for the landed GA4 reports (`ga4/sessions`, `ga4/key_events`).

`SUITES` checks key events' names are set; `suites_for(key_events)` also checks that every landed
event is one of the configured key events (`sources.ga4.key_events`), which the extractor filters
on: anything else means the filter or the property changed under the pipeline."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date

import great_expectations as gx
import great_expectations.expectations as gxe

from core import contract as schemas
from core.landing import LINEAGE_FIELDS
from core.severity import critical

_LINEAGE = [field.name for field in LINEAGE_FIELDS]
_GRAIN = ["property_id", "date", "session_source", "session_medium", "session_campaign_name"]


def _common(schema, grain: list[str], counts: list[str], partition_date: date) -> list:
    return [
        critical(gxe.ExpectTableColumnsToMatchSet(column_set=schema.names + _LINEAGE, exact_match=True)),
        *(critical(gxe.ExpectColumnValuesToNotBeNull(column=column)) for column in grain),
        critical(gxe.ExpectCompoundColumnsToBeUnique(column_list=grain)),
        *(critical(gxe.ExpectColumnValuesToBeBetween(column=column, min_value=0)) for column in counts),
        critical(gxe.ExpectColumnValuesToBeBetween(column="date", max_value=partition_date)),
    ]


def sessions_suite(partition_date: date) -> gx.ExpectationSuite:
    return gx.ExpectationSuite(
        name="landing.ga4.sessions",
        expectations=[
            *_common(schemas.GA4_SESSIONS, _GRAIN, ["sessions", "engaged_sessions"], partition_date),
            critical(
                gxe.ExpectColumnPairValuesAToBeGreaterThanB(
                    column_A="sessions",
                    column_B="engaged_sessions",
                    or_equal=True,
                    ignore_row_if="either_value_is_missing",
                )
            ),
        ],
    )


def key_events_suite(partition_date: date, key_events: Iterable[str] | None = None) -> gx.ExpectationSuite:
    checks = _common(schemas.GA4_KEY_EVENTS, [*_GRAIN, "event_name"], ["key_events"], partition_date)
    if key_events is not None:
        checks.append(critical(gxe.ExpectColumnValuesToBeInSet(column="event_name", value_set=sorted(key_events))))
    return gx.ExpectationSuite(name="landing.ga4.key_events", expectations=checks)


def suites_for(key_events: Iterable[str]) -> dict[str, Callable[[date], gx.ExpectationSuite]]:
    """The suites with the configured key events as the only allowed event names."""
    allowed = tuple(key_events)
    return {"sessions": sessions_suite, "key_events": lambda day: key_events_suite(day, allowed)}


SUITES: dict[str, Callable[[date], gx.ExpectationSuite]] = {"sessions": sessions_suite, "key_events": key_events_suite}
