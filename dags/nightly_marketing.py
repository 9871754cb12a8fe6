"""
### Nightly marketing warehouse

Every night, for the last complete day in the organisation's timezone:

1. **extract**: each configured Facebook Page (one mapped task per page) and the traditional-media
   inbox land Parquet partitions under `data/landing/`;
2. **landing gate**: Great Expectations suites validate what landed; a critical failure stops here;
3. **build**: `dbt build` rebuilds `data/warehouse/build.duckdb` from the landing zone (models,
   data tests and unit tests), then the dbt docs;
4. **mart gate**: the BI-facing marts are validated in the build;
5. **publish**: the build atomically replaces `data/warehouse/marketing.duckdb` (the Asset BI
   tools and report exports follow). Yesterday's warehouse stays in service if anything fails.

Configuration: `config/pipeline.yml`. Tokens: the Airflow connections it names.
"""

from __future__ import annotations

from datetime import timedelta

from airflow.sdk import Asset, CronTriggerTimetable, dag, task

from pipeline.config import load_config
from pipeline.paths import data_paths
from pipeline.tasks import facebook_account_ids

CONFIG = load_config()
PUBLISHED_WAREHOUSE = Asset(name="marketing_warehouse", uri=data_paths().published_warehouse.as_uri())


@dag(
    dag_id="nightly_marketing",
    schedule=CronTriggerTimetable(CONFIG.schedule.cron, timezone=CONFIG.organisation.timezone),
    catchup=False,
    max_active_runs=1,
    doc_md=__doc__,
    tags=["marketing", "nightly", "warehouse"],
    default_args={
        "owner": "data-engineering",
        "retries": CONFIG.schedule.retries,
        "retry_delay": timedelta(seconds=CONFIG.schedule.retry_delay_seconds),
        "retry_exponential_backoff": True,
        "max_retry_delay": timedelta(seconds=CONFIG.schedule.max_retry_delay_seconds),
    },
)
def nightly_marketing():
    @task(map_index_template="{{ task.op_kwargs['account_id'] }}")
    def extract_facebook_page(account_id: str, logical_date=None, run_id=None) -> dict:
        from pipeline.tasks import extract_facebook_page

        return extract_facebook_page(account_id, logical_date, run_id)

    @task
    def extract_traditional_media(logical_date=None, run_id=None) -> dict:
        from pipeline.tasks import extract_traditional_media

        return extract_traditional_media(logical_date, run_id)

    @task
    def landing_gate(logical_date=None) -> dict:
        from pipeline.tasks import landing_gate

        return landing_gate(logical_date)

    # One dbt process at a time: DuckDB has a single writer.
    @task(max_active_tis_per_dag=1)
    def build_warehouse(logical_date=None) -> str:
        from pipeline.tasks import build_warehouse

        return build_warehouse(logical_date)

    @task
    def mart_gate() -> dict:
        from pipeline.tasks import mart_gate

        return mart_gate()

    @task(outlets=[PUBLISHED_WAREHOUSE])
    def publish() -> str:
        from pipeline.tasks import publish

        return publish()

    extracted = [
        extract_facebook_page.expand(account_id=facebook_account_ids(CONFIG)),
        extract_traditional_media(),
    ]
    extracted >> landing_gate() >> build_warehouse() >> mart_gate() >> publish()


nightly_marketing()
