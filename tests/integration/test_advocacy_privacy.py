"""The privacy test of the employee-advocacy inbox: a sandbox night lands the platform's export
(names and emails in every row), gates it and builds the warehouse, and no employee's name, email
or vendor id is anywhere the pipeline wrote, nor in its logs."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import duckdb
import pyarrow.parquet as pq

from core import storage
from core.landing import partition_files
from sandbox.advocacy import employee_identities, export_csvs
from sandbox.demo import DEMO_PSEUDONYM_KEY, stage_inboxes
from sources.config import load_config
from sources.employee_advocacy import pseudonym

LOGICAL_DATE = datetime(2026, 11, 21, 10, 30, tzinfo=UTC)  # lands 2026-11-20
RUN_ID = "manual__advocacy_privacy"


def _text_of(path) -> str:
    """A written file as text: a Parquet file's values (every column, as read), any other file's bytes."""
    if path.suffix == ".parquet":
        return "\n".join(str(row) for row in pq.read_table(path).to_pylist())
    if path.suffix == ".duckdb":
        return ""  # read through SQL below
    return path.read_bytes().decode("utf-8", errors="replace")


def _warehouse_text(warehouse) -> str:
    """Every value of every table and view of the warehouse, as text."""
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        tables = connection.execute(
            "select table_schema, table_name from information_schema.tables where table_catalog = current_database()"
        ).fetchall()
        return "\n".join(
            str(connection.execute(f'select * from "{schema}"."{name}"').fetchall()) for schema, name in tables
        )


def advocacy_night(data_dir, monkeypatch, caplog):
    """Stage the sandbox's inboxes, land the advocacy export, gate it and build the warehouse (in
    the test itself, so that its logs are the test's)."""
    from nightly import tasks
    from warehouse import build as warehouse

    monkeypatch.setenv("AIRFLOW_VAR_ADVOCACY_PSEUDONYM_KEY", DEMO_PSEUDONYM_KEY)
    config = load_config()
    day = LOGICAL_DATE.date().replace(day=20)
    stage_inboxes(config, data_dir, day)
    caplog.set_level(logging.DEBUG)
    landed = tasks.extract_inbox("employee_advocacy", LOGICAL_DATE, RUN_ID)
    tasks.landing_gate(LOGICAL_DATE, RUN_ID, data_dir)
    warehouse.build(data_dir, config, day, docs=False)
    return data_dir, day, landed


def test_no_name_email_or_vendor_id_is_landed_built_or_logged(data_dir, monkeypatch, caplog, capfd):
    paths, day, landed = advocacy_night(data_dir, monkeypatch, caplog)
    identities = employee_identities()
    shares_csv, users_csv = export_csvs(day)
    # The night had them to leak: every employee of the users report is in the export as written.
    assert all(person.email in users_csv for person in identities if person.user_id in users_csv)
    assert landed["rows"] > 500 and landed["files"] == 2

    written = [
        path
        for path in paths.root.rglob("*")
        if path.is_file() and paths.inbox not in path.parents and "dbt_target" not in path.parts
    ]
    assert any(p.match("employee_advocacy/shares/*/*.parquet") for p in written)
    texts = {str(path): _text_of(path) for path in written}
    texts["warehouse"] = _warehouse_text(paths.build_warehouse)
    captured = capfd.readouterr()
    texts["logs"] = "\n".join([caplog.text, captured.out, captured.err])
    assert "advocate(s) opted in" in texts["logs"]  # the night's own log lines were captured

    # What landed is keyed by pseudonym, and the warehouse reads those keys.
    [users_file] = partition_files("employee_advocacy", "advocates", day, paths.landing)
    keys = set(storage.read_table(users_file)["advocate_key"].to_pylist())
    assert keys and keys <= {pseudonym(p.user_id, DEMO_PSEUDONYM_KEY) for p in identities}
    with duckdb.connect(str(paths.build_warehouse), read_only=True) as connection:
        staged = {
            row[0] for row in connection.execute("select advocate_key from stg_employee_advocacy__advocates").fetchall()
        }
        shares = connection.execute("select count(*) from stg_employee_advocacy__shares").fetchone()[0]
    assert staged == keys and shares == landed["rows"] - len(keys)

    for where, text in texts.items():
        folded = text.casefold()
        for person in identities:
            for secret in (person.name, person.email, person.user_id):
                assert secret.casefold() not in folded, f"{where} holds an employee's name, email or id"
