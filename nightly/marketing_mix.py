"""What each task of the marketing_mix DAG does (dags/marketing_mix.py wires them): fit the model on
the published warehouse, check the fit, land its results, and publish the warehouse with the
results' marts added.

The fit lands in the landing zone (source `marketing_mix`, core.contract MIX_TABLES) like any
source, so every nightly build from then on carries the latest fit's marts. The publish does not
wait for the next night: it copies the published warehouse, builds only the marketing-mix models
in the copy with dbt (their data tests are the gate: a failing one publishes nothing), and renames
the copy into place unless a nightly publish came in between, whose warehouse then holds the fit
or the next one will. A copy, not a rebuild from the landing zone: a rebuild could pick up a
night's partitions the landing gate has not passed yet."""

from __future__ import annotations

import logging
import uuid
from datetime import date

from core.paths import DataPaths, data_paths
from nightly.dag_defaults import fail_fast
from sources.config import load_config

logger = logging.getLogger(__name__)

DAG_ID = "marketing_mix"
# The dbt models of the marketing-mix results (dbt/models/staging/marketing_mix and the marts
# built on them), and where the publish builds them.
MIX_MODELS = "path:models/staging/marketing_mix+"
WORK_FILE = "marketing_mix_update.duckdb"
WORK_TARGET = "dbt_target_marketing_mix"


def published_day(paths: DataPaths) -> date:
    """The day the published warehouse covers (its build's run date)."""
    from warehouse import BUILD_INFO, WarehouseMissingError
    from warehouse.targets import warehouses

    published = warehouses(paths).published
    try:
        ((day,),) = published.query(f"select run_date from {BUILD_INFO}")
    except Exception as exc:
        raise WarehouseMissingError(
            f"marketing mix: no published warehouse to fit on at {published} ({exc}); run the nightly DAG first"
        ) from exc
    return day


def latest_fit_week(paths: DataPaths) -> date | None:
    """The last week of the latest landed fit, or None before the first."""
    from core import storage
    from core.contract import MIX_SOURCE
    from core.landing import landed_dates, partition_files

    days = landed_dates(MIX_SOURCE, "diagnostics", landing_root=paths.landing)
    if not days:
        return None
    files = partition_files(MIX_SOURCE, "diagnostics", days[-1], paths.landing)
    weeks = [week for file in files for week in storage.read_table(file, ["last_week"]).column(0).to_pylist()]
    return max(weeks, default=None)


@fail_fast
def fit_and_land(run_id: str, force: bool = False, paths: DataPaths | None = None) -> bool:
    """Fit the model on the published warehouse and land its results; False (nothing done) when
    the latest landed fit already covers the warehouse's last whole week, unless `force`.

    Too little history, a constant driver or a KPI of zeros stop with MixInputError, a fit that
    fails its checks (config marketing_mix.checks) with MixFitRejected: nothing is landed either
    way, and last week's results stay published."""
    from core.contract import MIX_SOURCE, MIX_TABLES
    from core.landing import RunContext, write_partition
    from mix.results import FitRun, MixFitRejected, check, tables
    from mix.run import fit_configured, published_inputs

    settings = load_config().marketing_mix
    paths = paths or data_paths()
    day = published_day(paths)
    inputs = published_inputs(settings, paths)
    covered = latest_fit_week(paths)
    if covered is not None and covered >= inputs.weeks[-1] and not force:
        logger.info("marketing mix: the fit of the week of %s is published; nothing to do (force=true refits)", covered)
        return False
    model = fit_configured(inputs, settings)
    problems = check(model, settings)
    if problems:
        raise MixFitRejected(
            f"marketing mix: the fit on {len(inputs.weeks)} weeks ({inputs.weeks[0]} to {inputs.weeks[-1]}) "
            "is not published, last week's results stay:\n- " + "\n- ".join(problems)
        )
    run = FitRun(fit_id=f"{day.isoformat()}-{uuid.uuid4().hex[:12]}", run_id=run_id, fitted_for=day)
    ctx = RunContext.now(day, run_id)
    # The diagnostics last: the marts read the fit the latest diagnostics name, so a landing cut
    # short leaves the previous fit in force rather than half of this one.
    for entity, table in sorted(tables(model, run, settings).items(), key=lambda item: item[0] == "diagnostics"):
        write_partition(MIX_SOURCE, entity, "fit", table, MIX_TABLES[(MIX_SOURCE, entity)], ctx, paths.landing)
    logger.info(
        "marketing mix: fit %s landed (%d weeks to %s, R² %.3f, held-out error %.1f%%)",
        run.fit_id,
        len(inputs.weeks),
        inputs.weeks[-1],
        model.r2,
        model.holdout_mape * 100,
    )
    return True


@fail_fast
def publish_fit(paths: DataPaths | None = None) -> str:
    """Publish the warehouse with the latest landed fit's marts built in a copy of it (see the
    module docstring); on a target that cannot (PostgreSQL) the next nightly build publishes them."""
    from warehouse import UpdateUnsupportedError
    from warehouse.build import run_dbt
    from warehouse.targets import warehouses

    config = load_config()
    paths = paths or data_paths()
    published = warehouses(paths).published
    build_id = published.build_id()
    try:
        work = published.updated_copy(paths.warehouse_dir / WORK_FILE)
    except UpdateUnsupportedError as unsupported:
        logger.info("%s", unsupported)
        return f"landed; published with the next build of {published}"
    run_dbt(["build", "--select", MIX_MODELS], paths, work, config, published_day(paths), paths.root / WORK_TARGET)
    if not published.replace_if_unchanged(work, build_id):
        logger.warning(
            "marketing mix: %s was published again while the fit's marts were built; "
            "its build or the next one carries the fit",
            published,
        )
        return f"superseded by a newer publish of {published}"
    return str(published)
