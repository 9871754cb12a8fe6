"""Every DAG imports cleanly, is tagged, retries, and does no heavy work at parse time."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from core.paths import PROJECT_ROOT

DAGS_FOLDER = PROJECT_ROOT / "dags"
# pyarrow and requests are not among them: the DAG files read the source registry, whose specs
# declare their landing schemas and clients (about 0.25 s of a parse that loads Airflow's SDK).
HEAVY_MODULES = ["great_expectations", "dbt", "duckdb", "pandas", "sandbox"]


@pytest.fixture(scope="module")
def dagbag():
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(DAGS_FOLDER))


def test_every_dag_imports_without_errors(dagbag):
    assert dagbag.import_errors == {}
    assert "nightly_marketing" in dagbag.dags


def test_every_dag_is_tagged_documented_and_retries(dagbag):
    for dag_id, dag in dagbag.dags.items():
        assert dag.tags, f"{dag_id} has no tags"
        assert dag.doc_md, f"{dag_id} has no doc_md"
        for task in dag.tasks:
            assert task.retries >= 2, f"{dag_id}.{task.task_id} retries {task.retries}"


def test_nightly_dag_shape(dagbag):
    dag = dagbag.dags["nightly_marketing"]
    assert dag.catchup is False
    order = ["landing_gate", "build_warehouse", "mart_gate", "publish"]
    for upstream, downstream in zip(order, order[1:], strict=False):
        assert downstream in dag.get_task(upstream).downstream_task_ids
    extracts = {
        f"extract_{name}" for name in ("facebook_pages", "instagram", "x", "youtube", "linkedin", "meta_ads", "ga4")
    }
    inboxes = {
        "extract_traditional_media",
        "extract_call_tracking",
        "extract_marketing_history",
        "extract_employee_advocacy",
    }
    assert extracts | inboxes <= dag.get_task("landing_gate").upstream_task_ids
    # One platform failing must not stop the others from being published.
    assert dag.get_task("landing_gate").trigger_rule == "all_done"
    assert dag.get_task("publish").outlets, "publish must emit the warehouse Asset"


def test_marketing_mix_dag_shape(dagbag):
    from airflow.sdk import Asset

    dag = dagbag.dags["marketing_mix"]
    assert dag.catchup is False and dag.max_active_runs == 1
    # Triggered by the published warehouse the nightly publish emits, and by hand with `force`.
    [asset] = dag.timetable.asset_condition.objects
    [emitted] = dagbag.dags["nightly_marketing"].get_task("publish").outlets
    assert isinstance(asset, Asset) and (asset.name, asset.uri) == (emitted.name, emitted.uri)
    assert dag.params.dump() == {"force": False}
    # A week already fitted stops at `fit`, so the publish's own Asset event ends the chain there.
    assert dag.get_task("fit").downstream_task_ids == {"publish"}
    assert dag.get_task("publish").outlets == [emitted]


# The publish task's outlets and the report DAG's schedule assets, as a DAG processor parses them.
ASSET_PROBE = f"""
import json
from airflow.dag_processing.dagbag import DagBag
bag = DagBag(dag_folder={str(DAGS_FOLDER)!r})
assert not bag.import_errors, bag.import_errors
outlets = bag.dags["nightly_marketing"].get_task("publish").outlets
schedule = bag.dags["report_exports"].timetable.asset_condition.objects
print(json.dumps({{"outlets": [[a.name, a.uri] for a in outlets], "schedule": [[a.name, a.uri] for a in schedule]}}))
"""


def test_the_warehouse_asset_keeps_its_identity_when_the_data_folder_moves(tmp_path):
    """Airflow keys an asset by name and URI, each unique: an asset whose URI followed the data
    folder would, on a metadata DB that knows the old folder's, clash by name with the registered
    one, stay inactive, and fail every publish (AirflowInactiveAssetInInletOrOutletException)."""
    seen = []
    for folder in ("data", "moved/elsewhere"):
        env = {**os.environ, "PIPELINE_DATA_DIR": str(tmp_path / folder)}
        result = subprocess.run([sys.executable, "-c", ASSET_PROBE], capture_output=True, text=True, env=env)
        assert result.returncode == 0, result.stderr[-2000:]
        seen.append(json.loads(result.stdout.strip().splitlines()[-1]))
    assert seen[0] == seen[1]
    # The report DAG follows the very asset the publish emits.
    assert seen[0]["outlets"] == seen[0]["schedule"] and len(seen[0]["outlets"]) == 1
    [[name, uri]] = seen[0]["outlets"]
    assert str(tmp_path) not in uri and not uri.startswith("file:")


@pytest.mark.parametrize("dag_file", sorted(p.name for p in DAGS_FOLDER.glob("*.py")))
def test_dag_file_does_no_heavy_work_at_parse_time(dag_file):
    probe = f"""
import importlib.util, json, sys
spec = importlib.util.spec_from_file_location("probe", {str(DAGS_FOLDER / dag_file)!r})
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
print(json.dumps([name for name in {HEAVY_MODULES!r} if name in sys.modules]))
"""
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    loaded = json.loads(result.stdout.strip().splitlines()[-1])
    assert loaded == [], f"{dag_file} imports {loaded} at parse time; import inside the task body"


def test_dag_files_hold_no_business_logic():
    for path in DAGS_FOLDER.glob("*.py"):
        source = Path(path).read_text()
        for marker in ("select ", "requests.", "duckdb.connect", "pq.write_table"):
            assert marker not in source.lower(), f"{path.name} contains {marker!r}: move it into a package"
