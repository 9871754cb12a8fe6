"""
### Marketing mix: what each channel really adds

Each week, after a nightly run publishes the warehouse (the published-warehouse Asset):

1. **fit**: the marketing-mix model (docs/marketing-mix.md) on the published warehouse's weekly
   inputs (`int_mix__weekly`: two years or more, the marketing_history inbox holding the weeks
   before the pipeline), its own checks (config `marketing_mix.checks`: R², the error on held-out
   weeks), then its results land under `landing/marketing_mix/`. A run finds nothing to do when
   the latest fit already covers the warehouse's last whole week, so it fits at most once a week
   however often the warehouse is published;
2. **publish**: the marts `mart_incremental_roi`, `mart_response_curves`, `mart_budget_scenarios`
   and `mart_mmm_diagnostics` are built with their data tests in a copy of the published warehouse,
   which replaces it atomically (on PostgreSQL the next nightly build publishes them).

Too little history, a constant driver, a KPI of zeros or a fit that fails its checks stop the run
with the reason and publish nothing: last week's results stay. **Refit** by triggering with
`force` (e.g. after changing `marketing_mix` in config/pipeline.yml).
"""

from __future__ import annotations

from airflow.sdk import Param, dag, task

from nightly.assets import published_warehouse
from nightly.dag_defaults import dag_default_args
from nightly.marketing_mix import DAG_ID
from sources.config import load_config

CONFIG = load_config()
PUBLISHED_WAREHOUSE = published_warehouse()


@dag(
    dag_id=DAG_ID,
    schedule=[PUBLISHED_WAREHOUSE],
    catchup=False,
    max_active_runs=1,
    doc_md=__doc__,
    tags=["marketing", "marketing-mix", "warehouse"],
    params={"force": Param(False, type="boolean", description="Refit even if this week's fit is published.")},
    default_args=dag_default_args(CONFIG),
)
def marketing_mix():
    @task.short_circuit
    def fit(params=None, run_id=None) -> bool:
        from nightly.marketing_mix import fit_and_land

        return fit_and_land(run_id, force=bool(params["force"]))

    # Emits the Asset like the nightly publish: the report DAG reads the new marts, and this DAG's
    # own next run finds the week's fit published and stops at `fit`.
    @task(outlets=[PUBLISHED_WAREHOUSE])
    def publish() -> str:
        from nightly.marketing_mix import publish_fit

        return publish_fit()

    fit() >> publish()


marketing_mix()
