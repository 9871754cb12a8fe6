"""The employee-advocacy inbox: the vendor's column mapping, pseudonymisation, opt-out dropping and
the files it refuses (sources/employee_advocacy.py)."""

import csv
import io
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from core.landing import RunContext
from extractors.inbox import InboxNotReady
from sandbox.advocacy import SHARE_COLUMNS, USER_COLUMNS
from sources import employee_advocacy as adv
from sources.employee_advocacy import (
    ADVOCATES_SCHEMA,
    EVERYONESOCIAL,
    KEY_VARIABLE,
    SHARES_SCHEMA,
    VENDORS,
    AdvocacyExportError,
    PseudonymKeyError,
    VendorExport,
    land_export,
    pseudonym,
)
from tests.conftest import landed_snapshot

DAY = date(2026, 11, 20)
KEY = "unit-test-advocacy-key-0123456789abcdef"
TZ = ZoneInfo("America/Chicago")
USERS = "users.csv"
SHARES = "shares.csv"


def user(user_id, **values):
    row = {
        "user_id": user_id,
        "name": f"Name {user_id}",
        "email": f"person.{user_id.lower()}@cedarvalleyhealth.org",
        "type": "User",
        "department": "Nursing",
        "location": "Northside Clinic",
        "created_on": "2025-01-06",
        "onboarded": "True",
        "last_active": "2026-11-19",
        "user_status": "Active",
        "deactivated_on": "",
        "reach": "420",
        "posts": "0",
        "shares": "1",
        "clicks": "3",
    }
    return {**row, **values}


def share(share_id, user_id, **values):
    row = {
        "share_id": share_id,
        "shared_at": "2026-11-02T15:04:05Z",
        "content_id": "c-1",
        "title": "Our newest clinic is open!",
        "content_url": "https://www.cedarvalleyhealth.org/northside-clinic",
        "shared_url": "https://www.cedarvalleyhealth.org/northside-clinic?utm_source=linkedin&utm_medium=advocacy"
        "&utm_content=nur_c-1",
        "original_post_url": "https://www.linkedin.com/feed/update/urn:li:share:7100000000000000501",
        "network": "linkedin",
        "user_id": user_id,
        "user_name": f"Name {user_id}",
        "user_email": f"person.{user_id.lower()}@cedarvalleyhealth.org",
        "department": "Nursing",
        "location": "Northside Clinic",
        "approved_by": "Approver Person",
        "branded": "True",
        "reach": "420",
        "clicks": "3",
        "reactions": "10",
        "comments": "1",
        "reshares": "0",
        "engagements": "11",
    }
    return {**row, **values}


def write(folder, name, columns, rows):
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    (folder / name).write_text(buffer.getvalue(), encoding="utf-8")


def export(dirs, users, shares):
    write(dirs[0], USERS, USER_COLUMNS, users)
    write(dirs[0], SHARES, SHARE_COLUMNS, shares)


def run(dirs, key=KEY, vendor=EVERYONESOCIAL.name):
    inbox, quarantine, landing = dirs
    ctx = RunContext(DAY, "manual__1", datetime.combine(DAY, time(5), tzinfo=UTC))
    return land_export(inbox, quarantine, ctx, key, landing, vendor, TZ)


def landed(dirs, entity):
    report = (
        adv.users_report(EVERYONESOCIAL, KEY) if entity == "advocates" else adv.shares_report(EVERYONESOCIAL, KEY, TZ)
    )
    return landed_snapshot(report, dirs, DAY).to_pylist()


def reason_of(dirs, name):
    folder = dirs[1] / "employee_advocacy" / f"date={DAY}"
    assert (folder / name).is_file() and not (dirs[0] / name).exists()
    return (folder / f"{name}.reason.txt").read_text()


# -- the mapping ---------------------------------------------------------------------------------


def test_everyonesocial_columns_map_to_ours_in_one_table():
    column = EVERYONESOCIAL.column
    assert [column("users", f) for f in ("employee_id", "team", "enrolled_on", "opted_out_on", "status")] == [
        "user_id",
        "department",
        "created_on",
        "deactivated_on",
        "user_status",
    ]
    assert column("users", "network_connections") == "reach" and column("shares", "audience_size") == "reach"
    assert column("shares", "link") == "shared_url" and column("shares", "linked_post_url") == "original_post_url"
    # Every column of the sandbox's (EveryoneSocial-shaped) exports is known: read or never read.
    assert set(EVERYONESOCIAL.users) == set(USER_COLUMNS) and set(EVERYONESOCIAL.shares) == set(SHARE_COLUMNS)
    for never_read in ("name", "email"):
        assert EVERYONESOCIAL.users[never_read] is None
    assert EVERYONESOCIAL.shares["approved_by"] is None


def test_a_mapping_missing_a_required_field_is_refused():
    with pytest.raises(ValueError, match=r"missing \['share_id'\]"):
        VendorExport(
            name="broken",
            users=dict(EVERYONESOCIAL.users),
            shares={c: f for c, f in EVERYONESOCIAL.shares.items() if f != "share_id"},
            shares_signature=("user_name",),
            opted_in_statuses=("active",),
            opted_out_statuses=("deactivated",),
            networks={"linkedin": "linkedin"},
            employee_id_pattern=r"u\d{7}",
        )


def test_a_second_vendor_is_a_mapping(dirs, monkeypatch):
    """Another platform's spelling of the same reports lands the same rows once it is mapped."""
    rename_users = {"user_id": "Employee ID", "department": "Team", "created_on": "Joined", "user_status": "Status"}
    rename_shares = {"share_id": "Share ID", "user_id": "Employee ID", "reach": "Potential Reach"}
    other = VendorExport(
        name="othervendor",
        users={rename_users.get(c, c): f for c, f in EVERYONESOCIAL.users.items()},
        shares={rename_shares.get(c, c): f for c, f in EVERYONESOCIAL.shares.items()},
        shares_signature=("Share ID",),
        opted_in_statuses=EVERYONESOCIAL.opted_in_statuses,
        opted_out_statuses=EVERYONESOCIAL.opted_out_statuses,
        networks=EVERYONESOCIAL.networks,
        employee_id_pattern=EVERYONESOCIAL.employee_id_pattern,
    )
    monkeypatch.setitem(VENDORS, "othervendor", other)
    write(
        dirs[0],
        USERS,
        [rename_users.get(c, c) for c in USER_COLUMNS],
        [{rename_users.get(k, k): v for k, v in user("U1000001").items()}],
    )
    write(
        dirs[0],
        SHARES,
        [rename_shares.get(c, c) for c in SHARE_COLUMNS],
        [{rename_shares.get(k, k): v for k, v in share("s-1", "U1000001").items()}],
    )

    result = run(dirs, vendor="othervendor")

    assert result.landed == {"advocates": 1, "shares": 1}
    [row] = landed(dirs, "shares")
    assert (row["advocate_key"], row["audience_size"], row["share_id"]) == (pseudonym("U1000001", KEY), 420, "s-1")


# -- pseudonymisation ----------------------------------------------------------------------------


def test_the_pseudonym_is_a_keyed_hash_of_the_id():
    first = pseudonym("U1234567", KEY)
    assert first == pseudonym("U1234567", KEY) == pseudonym(" U1234567 ", KEY)
    assert first != pseudonym("U1234567", KEY + "-other")
    assert first != pseudonym("U1234568", KEY)
    assert len(first) == 64 and set(first) <= set("0123456789abcdef")
    assert "1234567" not in first and first != "U1234567"


def test_the_export_lands_pseudonyms_and_no_names_emails_or_ids(dirs):
    export(dirs, [user("U1000001"), user("U1000002", department="Imaging")], [share("s-1", "U1000001")])

    result = run(dirs)

    assert (result.landed, result.quarantined, result.waiting) == ({"advocates": 2, "shares": 1}, [], [])
    advocates = landed(dirs, "advocates")
    assert [list(r)[: len(ADVOCATES_SCHEMA)] for r in advocates] == [ADVOCATES_SCHEMA.names] * 2
    assert {r["advocate_key"]: r["team"] for r in advocates} == {
        pseudonym("U1000001", KEY): "Nursing",
        pseudonym("U1000002", KEY): "Imaging",
    }
    [row] = landed(dirs, "shares")
    assert [name for name in row][: len(SHARES_SCHEMA)] == SHARES_SCHEMA.names
    assert row["linked_post_id"] == "urn:li:share:7100000000000000501"
    assert row["shared_at"] == datetime(2026, 11, 2, 15, 4, 5, tzinfo=UTC) and row["share_day"] == date(2026, 11, 2)
    assert row["utm_content"] == "nur_c-1" and row["network"] == "linkedin"
    text = str(advocates) + str(row)
    for secret in ("U1000001", "U1000002", "Name U100", "person.u100", "Approver Person"):
        assert secret not in text


def test_an_evening_share_is_on_its_local_day():
    # 02:30 UTC on the 3rd is 20:30 on the 2nd in Chicago.
    record = {}
    from extractors.inbox import Row

    row = Row("shares.csv", 1, 2, None, share("s-1", "U1000001", shared_at="2026-11-03T02:30:00Z"))
    adv._check_share(row, record, EVERYONESOCIAL, KEY, TZ)
    assert row.problems == [] and record["share_day"] == date(2026, 11, 2)


# -- opt-in ---------------------------------------------------------------------------------------


def test_advocates_not_opted_in_and_shares_after_opting_out_are_dropped(dirs):
    export(
        dirs,
        [
            user("U1000001"),
            # Opted out on the 10th: not an advocate on the export day; shares before the 10th stay.
            user("U1000002", user_status="Deactivated", deactivated_on="2026-11-10"),
            # Shown deactivated without a day: never counted as opted in.
            user("U1000003", user_status="Deactivated"),
            # Opting out tomorrow: still opted in today.
            user("U1000004", deactivated_on="2026-11-21"),
        ],
        [
            share("s-1", "U1000001"),
            share("s-2", "U1000002", shared_at="2026-11-09T18:00:00Z"),
            share("s-3", "U1000002", shared_at="2026-11-10T18:00:00Z"),
            share("s-4", "U1000003"),
            share("s-5", "U1000009"),  # not in the users report: nobody says they opted in
            share("s-6", "U1000001", shared_at="2024-12-31T18:00:00Z"),  # before enrolling
        ],
    )

    result = run(dirs)

    assert result.landed == {"advocates": 2, "shares": 2}
    advocates = {r["advocate_key"]: r["opted_out_on"] for r in landed(dirs, "advocates")}
    assert advocates == {pseudonym("U1000001", KEY): None, pseudonym("U1000004", KEY): date(2026, 11, 21)}
    assert [r["share_id"] for r in landed(dirs, "shares")] == ["s-1", "s-2"]


# -- bad files ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("users", "shares", "bad", "where"),
    [
        ([user("U1000001", created_on="2025-13-01")], [], USERS, "users.csv row 1 (line 2), column created_on"),
        ([user("U1000001", user_status="Paused")], [], USERS, "users.csv row 1 (line 2), column user_status"),
        ([user("U1000001", reach="-5")], [], USERS, "users.csv row 1 (line 2), column reach"),
        ([user("U1000001"), user("U1000001")], [], USERS, "users.csv row 2 (line 3), column advocate_key"),
        ([user("")], [], USERS, "users.csv row 1 (line 2), column user_id"),
        ([], [share("s-1", "U1000001", clicks="-1")], SHARES, "shares.csv row 1 (line 2), column clicks"),
        ([], [share("s-1", "U1000001", reach="lots")], SHARES, "shares.csv row 1 (line 2), column reach"),
        ([], [share("s-1", "U1000001", network="myspace")], SHARES, "shares.csv row 1 (line 2), column network"),
        (
            [],
            [share("s-1", "U1000001", shared_at="2026-11-02 15:04:05")],
            SHARES,
            "shares.csv row 1 (line 2), column shared_at",
        ),
        (
            [],
            [share("s-1", "U1000001"), share("s-1", "U1000001")],
            SHARES,
            "shares.csv row 2 (line 3), column share_id",
        ),
    ],
    ids=[
        "bad date",
        "unknown status",
        "negative connections",
        "employee twice",
        "no employee id",
        "negative clicks",
        "audience not a number",
        "unknown network",
        "time without zone",
        "share twice",
    ],
)
def test_a_bad_file_is_quarantined_with_its_file_row_and_column(dirs, users, shares, bad, where):
    export(dirs, users or [user("U1000001")], shares or [share("s-1", "U1000001")])

    with pytest.raises(AdvocacyExportError) as raised:
        run(dirs)

    reason = reason_of(dirs, bad)
    assert where in reason and where in str(raised.value)
    # Nothing of the bad file lands; an id is never quoted.
    assert not (dirs[2] / "employee_advocacy" / ("advocates" if bad == USERS else "shares")).exists()
    assert "U1000001" not in reason


@pytest.mark.parametrize(
    "link",
    [
        "https://www.cedarvalleyhealth.org/x?utm_source=linkedin&utm_content=U1000001",
        "https://www.cedarvalleyhealth.org/x?utm_source=linkedin&utm_content=nur_u1000001_c-1",
        "https://www.cedarvalleyhealth.org/x?utm_content=nur_c-1_U7654321",  # any employee id's shape
        "https://www.cedarvalleyhealth.org/x?utm_content=person.u1000001",  # the email's local part
        "https://www.cedarvalleyhealth.org/x?utm_content=name_u1000001",  # the name
        "https://www.cedarvalleyhealth.org/x?utm_campaign=U1000001&utm_content=nur_c-1",
    ],
)
def test_a_file_whose_links_carry_an_employee_is_refused(dirs, link):
    export(dirs, [user("U1000001")], [share("s-1", "U1000001"), share("s-2", "U1000001", shared_url=link)])

    with pytest.raises(AdvocacyExportError):
        run(dirs)

    reason = reason_of(dirs, SHARES)
    assert "shares.csv row 2 (line 3), column shared_url" in reason and "never the person" in reason
    for secret in ("U1000001", "u1000001", "U7654321", "person."):
        assert secret not in reason
    # The users report was valid: it lands; no share does.
    assert [r["advocate_key"] for r in landed(dirs, "advocates")] == [pseudonym("U1000001", KEY)]
    assert not (dirs[2] / "employee_advocacy" / "shares").exists()


def test_a_bad_users_report_holds_the_shares_back(dirs):
    export(dirs, [user("U1000001", created_on="yesterday")], [share("s-1", "U1000001")])

    with pytest.raises(AdvocacyExportError, match="users.csv row 1"):
        run(dirs)

    reason_of(dirs, USERS)
    # The shares report is fine: it waits in the inbox for a users report to land with.
    assert (dirs[0] / SHARES).is_file() and not (dirs[2] / "employee_advocacy").exists()


def test_a_file_that_is_neither_report_is_quarantined_with_its_header(dirs):
    export(dirs, [user("U1000001")], [share("s-1", "U1000001")])
    (dirs[0] / "notes.csv").write_text("owner,comment\nops,see attached\n")

    with pytest.raises(AdvocacyExportError):
        run(dirs)

    assert "required column 'user_id' is missing" in reason_of(dirs, "notes.csv")
    assert run_landed_both(dirs)


def run_landed_both(dirs):
    return landed(dirs, "advocates") and landed(dirs, "shares")


def test_a_workbook_export_lands(dirs):
    import openpyxl

    for name, columns, rows, sheet in (
        ("users.xlsx", USER_COLUMNS, [user("U1000001")], "Users"),
        ("shares.xlsx", SHARE_COLUMNS, [share("s-1", "U1000001")], "Shares"),
    ):
        book = openpyxl.Workbook()
        book.active.title = sheet
        book.active.append(columns)
        for row in rows:
            book.active.append([row[c] for c in columns])
        book.save(dirs[0] / name)

    assert run(dirs).landed == {"advocates": 1, "shares": 1}


def test_an_empty_inbox_lands_nothing(dirs):
    with pytest.raises(InboxNotReady, match="nothing landed tonight"):
        run(dirs)


# -- the key -------------------------------------------------------------------------------------


@pytest.mark.parametrize("key", [None, "", "   ", "short-key"])
def test_a_missing_or_weak_key_reads_nothing(dirs, key):
    export(dirs, [user("U1000001")], [share("s-1", "U1000001")])

    with pytest.raises(PseudonymKeyError, match=KEY_VARIABLE):
        run(dirs, key=key)

    assert not dirs[2].exists() and sorted(p.name for p in dirs[0].iterdir()) == [SHARES, USERS]


def test_the_nightly_task_fails_clearly_without_the_key(data_dir, monkeypatch):
    from airflow.sdk.exceptions import AirflowFailException

    from nightly import tasks
    from sources.config import load_config

    monkeypatch.delenv("AIRFLOW_VAR_ADVOCACY_PSEUDONYM_KEY", raising=False)
    folder = data_dir.inbox / load_config().sources.employee_advocacy.inbox
    folder.mkdir(parents=True)
    export((folder, None, None), [user("U1000001")], [share("s-1", "U1000001")])

    # At once, without retries: a missing setting does not heal by waiting.
    with pytest.raises(AirflowFailException) as raised:
        tasks.extract_inbox("employee_advocacy", datetime(2026, 11, 21, 10, 30, tzinfo=UTC), "manual__1")

    message = str(raised.value)
    assert "Airflow Variable 'advocacy_pseudonym_key' is not set" in message
    assert "AIRFLOW_VAR_ADVOCACY_PSEUDONYM_KEY" in message and "airflow variables set" in message
    assert not (data_dir.landing / "employee_advocacy").exists()


def test_the_nightly_task_passes_the_key_in(data_dir, monkeypatch):
    from nightly import tasks
    from sources.config import load_config

    monkeypatch.setenv("AIRFLOW_VAR_ADVOCACY_PSEUDONYM_KEY", KEY)
    folder = data_dir.inbox / load_config().sources.employee_advocacy.inbox
    folder.mkdir(parents=True)
    export((folder, None, None), [user("U1000001")], [share("s-1", "U1000001")])
    for name in (USERS, SHARES):
        (folder / f"{name}.done").touch()

    landed_counts = tasks.extract_inbox("employee_advocacy", datetime(2026, 11, 21, 10, 30, tzinfo=UTC), "manual__1")

    assert landed_counts == {"files": 2, "rows": 2}
    from core import storage
    from core.landing import partition_files

    [file] = partition_files("employee_advocacy", "advocates", DAY, data_dir.landing)
    assert storage.read_table(file)["advocate_key"].to_pylist() == [pseudonym("U1000001", KEY)]
