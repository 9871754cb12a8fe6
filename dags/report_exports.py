"""
### Report exports

Scheduled reports for marketers (PDF snapshot, XLSX workbook, CSV extracts), as defined under
`reports:` in `config/pipeline.yml`, built from the **published** warehouse (read-only).

Runs on each definition's schedule (cron in the organisation's timezone, e.g. Mondays 07:00) and
whenever the nightly DAG publishes the warehouse (the `published_marketing_warehouse` Asset), so a report
whose period the warehouse did not cover yet at its scheduled time goes out right after the
publish.

1. **plan**: per definition, the period its schedule last fired for; due when it has not been
   sent yet and the warehouse covers its last day. "Skip if no data" records the period as skipped.
2. **build** (one mapped task per due report): the files, under `data/reports/<report>/<period>/`.
3. **deliver**: copies to folders / object storage, the email (connection `smtp_default`), then a
   row in `report_deliveries` (`data/landing/pipeline/report_deliveries/`). A failed send retries
   and records nothing.

Each report period is sent once. **Resend** by triggering with params:
`{"resend": true, "report": "<name>", "period_start": "YYYY-MM-DD"}` (`period_start` empty = the
latest period; `report` empty = every report).
"""

from __future__ import annotations

from airflow.sdk import Param, dag, task

from nightly.assets import published_warehouse
from nightly.dag_defaults import dag_default_args
from reports.schedule import report_schedule
from sources.config import load_config

CONFIG = load_config()
PUBLISHED_WAREHOUSE = published_warehouse()


@dag(
    dag_id="report_exports",
    schedule=report_schedule(CONFIG, PUBLISHED_WAREHOUSE),
    catchup=False,
    # One run at a time: a scheduled run and an Asset-triggered one must not both send a period.
    max_active_runs=1,
    doc_md=__doc__,
    tags=["marketing", "reports"],
    params={
        "resend": Param(False, type="boolean", description="Send even if the period was already sent."),
        # Nullable with None defaults: Airflow's trigger form requires every field whose type excludes
        # "null", and an empty text field is sent as null, so "" defaults kept Trigger disabled.
        "report": Param(
            None, type=["null", "string"], description="Only this report (a definition name); empty = all."
        ),
        "period_start": Param(
            None,
            type=["null", "string"],
            description="A day in the period to send (YYYY-MM-DD); empty = the latest period.",
        ),
    },
    default_args=dag_default_args(CONFIG),
)
def report_exports():
    @task
    def plan(params=None, dag_run=None, run_id=None) -> list[dict]:
        from reports.tasks import plan

        # The instant the run stands for: its logical date (a cron run's fire time, the date given to a
        # manual run or to `airflow dags test`), else when it was queued (Asset-triggered runs have none).
        return plan(dag_run.logical_date or dag_run.run_after, params, run_id)

    @task(map_index_template="{{ task.op_kwargs['job']['report'] }}")
    def build(job: dict) -> dict:
        from reports.tasks import build

        return build(job)

    @task(map_index_template="{{ task.op_kwargs['built']['report'] }}")
    def deliver(built: dict, run_id=None) -> dict:
        from reports.tasks import deliver

        return deliver(built, run_id)

    deliver.expand(built=build.expand(job=plan()))


report_exports()
