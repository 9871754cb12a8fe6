"""
### Nightly marketing warehouse

Every night, for the last complete day in the organisation's timezone:

1. **extract**: every configured account of each API source (organic social: Facebook,
   Instagram, X, YouTube, LinkedIn; paid social: Meta ads; web analytics: GA4; one mapped task per
   account) and each inbox marketing ops feed (the traditional-media plan, the call-tracking log)
   land Parquet partitions under `data/landing/`, and a row of the extraction log each;
2. **landing gate**: Great Expectations suites validate what landed, each partition and across
   days (volume against the trailing median, lifetime metrics, metrics gone to zero, freshness);
   a critical failure quarantines the partition and stops here. It runs when every extract task
   is done, whatever their outcome: one platform failing (throttled out, token expired) fails and
   alerts its own tasks, and the rest is still published, with that platform's older data marked
   stale in `source_freshness`;
3. **build**: `dbt build` rebuilds `data/warehouse/build.duckdb` from the landing zone (models,
   data tests and unit tests), then the dbt docs;
4. **mart gate**: the BI-facing marts are validated in the build, and their totals (spend,
   investment, impressions, conversions) reconciled with the landing zone and the cost inputs;
5. **publish**: the build atomically replaces `data/warehouse/marketing.duckdb` (the Asset BI
   tools and report exports follow). Yesterday's warehouse stays in service if anything fails.

Every gate run lands its results (table `quality_results`); warnings publish and alert, critical
failures alert through the failure callback (email via `smtp_default`, and the webhook connection
if configured). Configuration: `config/pipeline.yml`. Tokens: the Airflow connections it names.
"""

from __future__ import annotations

from airflow.sdk import CronTriggerTimetable, dag, task

from nightly import DAG_ID
from nightly.assets import published_warehouse
from nightly.dag_defaults import dag_default_args
from nightly.tasks import api_account_ids
from sources import enabled_api_sources, enabled_inbox_sources
from sources.config import load_config

CONFIG = load_config()
PUBLISHED_WAREHOUSE = published_warehouse()


@dag(
    dag_id=DAG_ID,
    schedule=CronTriggerTimetable(CONFIG.schedule.cron, timezone=CONFIG.organisation.timezone),
    catchup=False,
    max_active_runs=1,
    doc_md=__doc__,
    tags=["marketing", "nightly", "warehouse"],
    default_args=dag_default_args(CONFIG),
)
def nightly_marketing():
    @task(map_index_template="{{ task.op_kwargs['account_id'] }}")
    def extract_api_account(source_name: str, account_id: str, logical_date=None, run_id=None) -> dict:
        from nightly.tasks import extract_api_account

        return extract_api_account(source_name, account_id, logical_date, run_id)

    @task
    def extract_inbox(source_name: str, logical_date=None, run_id=None) -> dict:
        from nightly.tasks import extract_inbox

        return extract_inbox(source_name, logical_date, run_id)

    @task(trigger_rule="all_done")
    def landing_gate(logical_date=None, run_id=None) -> dict:
        from nightly.tasks import landing_gate

        return landing_gate(logical_date, run_id)

    # One dbt process at a time: DuckDB has a single writer.
    @task(max_active_tis_per_dag=1)
    def build_warehouse(logical_date=None) -> str:
        from nightly.tasks import build_warehouse

        return build_warehouse(logical_date)

    @task
    def mart_gate(logical_date=None, run_id=None) -> dict:
        from nightly.tasks import mart_gate

        return mart_gate(logical_date, run_id)

    @task(outlets=[PUBLISHED_WAREHOUSE])
    def publish() -> str:
        from nightly.tasks import publish

        return publish()

    extracted = [
        extract_api_account.override(task_id=f"extract_{source.name}")
        .partial(source_name=source.name)
        .expand(account_id=api_account_ids(CONFIG, source.name))
        for source in enabled_api_sources(CONFIG)
    ]
    extracted += [
        extract_inbox.override(task_id=f"extract_{source.name}")(source.name)
        for source in enabled_inbox_sources(CONFIG)
    ]
    extracted >> landing_gate() >> build_warehouse() >> mart_gate() >> publish()


nightly_marketing()
