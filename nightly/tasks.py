"""What each task of the nightly DAG does. The DAG file only wires these together; each function
takes plain values (the run's logical date and id) so it can be run and tested without Airflow."""

from __future__ import annotations

import logging
from datetime import date, datetime

from core.paths import DataPaths, data_paths
from core.windows import partition_date_for
from nightly.dag_defaults import fail_fast
from sources.config import PipelineConfig, load_config

logger = logging.getLogger(__name__)


def _context(config: PipelineConfig, logical_date: datetime, run_id: str):
    from core.landing import RunContext

    return RunContext.now(partition_date_for(logical_date, config.organisation.tz), run_id)


def api_account_ids(config: PipelineConfig, source_name: str) -> list[str]:
    from sources import SOURCES_BY_NAME

    return [account.id for account in SOURCES_BY_NAME[source_name].accounts(config)]


@fail_fast
def extract_api_account(source_name: str, account_id: str, logical_date: datetime, run_id: str) -> dict[str, int]:
    """Extract one account of one organic platform and land its entities (and the log row)."""
    from nightly.connections import endpoint_from_connection, warn_of_token_expiry
    from nightly.extract import extract
    from nightly.extraction_log import logged_extraction
    from sources import SOURCES_BY_NAME

    config = load_config()
    source = SOURCES_BY_NAME[source_name]
    account = next(a for a in source.accounts(config) if a.id == account_id)
    ctx = _context(config, logical_date, run_id)
    landing = data_paths().landing
    with logged_extraction(source.name, account.id, ctx, landing) as outcome:
        connection = source.connection
        endpoint = endpoint_from_connection(
            account.connection_id, connection.platform, connection.token_kind, connection.default_api_version
        )
        landed = extract(
            source,
            account,
            endpoint,
            source.settings(config),
            config.windows,
            config.http,
            ctx,
            config.organisation.tz,
            landing,
        )
        outcome.record(landed)
    # After the extraction: a token that already failed it needs no warning, and the check's one
    # call comes after the night's own.
    warn_of_token_expiry(endpoint, config.http, config.quality.alerts, run_id, f"extract_{source.name}")
    logger.info("%s %s (%s) landed for %s: %s", source.name, account.id, account.name, ctx.partition_date, landed)
    return landed


@fail_fast
def extract_inbox(source_name: str, logical_date: datetime, run_id: str) -> dict[str, int]:
    """Land the inbox's valid files as tonight's snapshot; quarantine the bad ones (then fail).

    An inbox with no file ready (empty, or a file still being copied) lands nothing and the task
    succeeds: the source keeps its last snapshot, the extraction log records why (so
    source_freshness shows it stale with the reason) and the landing gate's freshness check warns.
    The Airflow Variables the source declares (a pseudonymisation key) are read here and passed in;
    a missing one fails the task, naming it."""
    from extractors.inbox import InboxNotReady
    from extractors.spec import InboxNight
    from nightly.connections import variable
    from nightly.extraction_log import logged_extraction
    from sources import INBOXES_BY_NAME

    config = load_config()
    source = INBOXES_BY_NAME[source_name]
    settings = source.settings(config)
    paths = data_paths()
    ctx = _context(config, logical_date, run_id)
    try:
        with logged_extraction(source.name, source.part, ctx, paths.landing) as outcome:
            night = InboxNight(
                folder=paths.inbox / settings.inbox,
                quarantine_root=paths.quarantine,
                ctx=ctx,
                landing_root=paths.landing,
                settle=settings.settle(config.inboxes),
                settings=settings,
                tz=config.organisation.tz,
                variables={name: variable(name, purpose) for name, purpose in source.variables.items()},
            )
            result = source.land(night)
            outcome.record(result.landed)
    except InboxNotReady as waiting:
        logger.warning("%s", waiting)
        return {"files": 0, "rows": 0, "waiting": len(waiting.result.waiting)}
    return {"files": len(result.files_landed), "rows": result.rows_landed}


@fail_fast
def landing_gate(logical_date: datetime, run_id: str = "manual", paths: DataPaths | None = None) -> dict[str, int]:
    """Validate what this run landed (nightly/gates.py); a critical failure quarantines the
    partition and stops the run before dbt.

    A source whose extraction failed tonight landed nothing new: the freshness check reports it,
    and the warehouse is published with its older data, marked stale in source_freshness."""
    from nightly.gates import finish, run_landing_gate

    config = load_config()
    paths = paths or data_paths()
    ctx = _context(config, logical_date, run_id)
    outcome = run_landing_gate(config, paths, ctx)
    finish(outcome, config, paths, ctx, "landing_gate")
    return outcome.counts()


@fail_fast
def build_warehouse(logical_date: datetime, paths: DataPaths | None = None) -> str:
    from warehouse import build as warehouse

    config = load_config()
    paths = paths or data_paths()
    run_date: date = partition_date_for(logical_date, config.organisation.tz)
    result = warehouse.build(paths, config, run_date)
    logger.info("built %s in %.1f s (dbt docs: %s)", result.warehouse, result.seconds, result.docs)
    return str(result.warehouse)


@fail_fast
def mart_gate(logical_date: datetime, run_id: str = "manual", paths: DataPaths | None = None) -> dict[str, int]:
    """Validate the marts in the build, and their totals against the inputs, before anyone can
    read them; the results join the build's quality_results table."""
    from expectations.results import append_to_warehouse
    from nightly.gates import finish, run_mart_gate
    from warehouse.targets import warehouses

    config = load_config()
    paths = paths or data_paths()
    ctx = _context(config, logical_date, run_id)
    built = warehouses(paths).build
    outcome = run_mart_gate(config, paths, built)
    finish(outcome, config, paths, ctx, "mart_gate")
    append_to_warehouse(built, outcome.results_file)
    return outcome.counts()


@fail_fast
def publish(paths: DataPaths | None = None) -> str:
    from warehouse import build as warehouse

    return str(warehouse.publish(paths or data_paths()))
