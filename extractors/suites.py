"""The kit sources declare their landing suites with (`ApiSource.suites`, `InboxSource.suites`): each
entity's checks are a function of the partition's day, and `entity_suites` makes them the suite
factories the gate calls.

Great Expectations is imported when a gate builds a suite, never when a source module is imported:
the DAG files import every source's spec at parse time."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date
from functools import partial
from typing import TYPE_CHECKING, Any

from core.landing import LINEAGE_FIELDS
from core.severity import critical

if TYPE_CHECKING:
    import pyarrow as pa

LINEAGE = [field.name for field in LINEAGE_FIELDS]
# An entity's expectations, built for the partition's day.
Checks = Callable[[date], list]


def landed_columns(schema: pa.Schema) -> list[str]:
    """The columns a landed partition of `schema` holds: the contract's and the lineage columns."""
    return list(schema.names) + LINEAGE


def exact_columns(schema: pa.Schema) -> Any:
    """The check that a landed partition holds exactly the contract's columns of `schema`."""
    import great_expectations.expectations as gxe

    return critical(gxe.ExpectTableColumnsToMatchSet(column_set=landed_columns(schema), exact_match=True))


def shape_expectations(schema: pa.Schema, partition_date: date) -> list:
    """The checks every entity of a shape shares (the organic platforms' entities come in four
    shapes: account metrics by day, post snapshots, account totals, posts)."""
    import great_expectations.expectations as gxe

    names = schema.names
    account = names[0]
    checks = [exact_columns(schema), critical(gxe.ExpectColumnValuesToNotBeNull(column=account))]
    if "metric" in names and "date" in names:  # account metrics by day
        checks += [
            critical(gxe.ExpectCompoundColumnsToBeUnique(column_list=[account, "metric", "date"])),
            critical(gxe.ExpectColumnValuesToBeBetween(column="value", min_value=0)),
            critical(gxe.ExpectColumnValuesToBeBetween(column="date", max_value=partition_date)),
        ]
    elif "metric" in names:  # post snapshots
        post = names[1]
        checks += [
            critical(gxe.ExpectCompoundColumnsToBeUnique(column_list=[post, "metric", "as_of_date"])),
            critical(gxe.ExpectColumnValuesToBeBetween(column="value", min_value=0)),
            critical(
                gxe.ExpectColumnValuesToBeBetween(
                    column="as_of_date", min_value=partition_date, max_value=partition_date
                )
            ),
        ]
    elif "as_of_date" in names:  # account totals read once a day
        checks += [critical(gxe.ExpectCompoundColumnsToBeUnique(column_list=[account, "as_of_date"]))]
        checks += [critical(gxe.ExpectColumnValuesToBeBetween(column=n, min_value=0)) for n in names[2:]]
    else:  # posts
        post = names[1]
        checks += [
            critical(gxe.ExpectColumnValuesToNotBeNull(column=post)),
            critical(gxe.ExpectColumnValuesToBeUnique(column=post)),
            critical(gxe.ExpectColumnValuesToNotBeNull(column="created_time")),
        ]
    return checks


def grain_expectations(schema: pa.Schema, grain: list[str], partition_date: date, counts: Sequence[str] = ()) -> list:
    """The checks of an entity with one row per `grain` and a `date` column (paid social, web
    analytics): exactly the contract's columns, the grain set and unique, `counts` never negative,
    no day after the partition's day (it has not happened yet)."""
    import great_expectations.expectations as gxe

    return [
        exact_columns(schema),
        *(critical(gxe.ExpectColumnValuesToNotBeNull(column=column)) for column in grain),
        critical(gxe.ExpectCompoundColumnsToBeUnique(column_list=grain)),
        *(critical(gxe.ExpectColumnValuesToBeBetween(column=column, min_value=0)) for column in counts),
        critical(gxe.ExpectColumnValuesToBeBetween(column="date", max_value=partition_date)),
    ]


def suite(source: str, entity: str, expectations: list) -> Any:
    """A landing suite, named `landing.<source>.<entity>` as the gate's results and Data Docs show it."""
    import great_expectations as gx

    return gx.ExpectationSuite(name=f"landing.{source}.{entity}", expectations=expectations)


def entity_suites(source: str, checks: Mapping[str, Checks]) -> dict[str, Callable[[date], Any]]:
    """A suite factory per entity of `checks`: the entity's suite with its checks for the partition's day."""

    def factory(entity: str, entity_checks: Checks) -> Callable[[date], Any]:
        return lambda partition_date: suite(source, entity, entity_checks(partition_date))

    return {entity: factory(entity, entity_checks) for entity, entity_checks in checks.items()}


def shape_suites(source: str, entities: Mapping[str, pa.Schema]) -> dict[str, Callable[[date], Any]]:
    """A suite factory per entity, each checking its entity's shape."""
    return entity_suites(source, {entity: partial(shape_expectations, schema) for entity, schema in entities.items()})
