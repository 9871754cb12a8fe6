"""Employee advocacy: the advocacy platform's admin exports (the users report and the shares
report), dropped together as CSV or XLSX files in one inbox folder and landed as one snapshot of
two entities, `advocates` and `shares` (`employee_advocacy/<entity>/date=<day>/advocacy_export.parquet`).

**One source, two entities.** The two reports are one export: which shares may land depends on the
users report (who was opted in when), and both carry the same employee ids, replaced by the same
pseudonyms. So they are checked together and land together, under one extraction log row and one
freshness row, the way an API source lands several entities of one account (`InboxSource.reports`
and `InboxSource.lands`). The files are told apart by their header (`VendorExport.shares_signature`);
a file that is neither is checked as a users report, so its reason lists what its header lacks.

**The vendor's columns are mapped in one place**: `VENDORS`, one `VendorExport` per platform
(EveryoneSocial's is the first), gives for each report the vendor's column name of each of our
fields, and the columns it knows and never reads (names, emails, approvers, titles...). The checks
below only ever ask the mapping for a column, so a second vendor is a mapping, not an extractor. A
column the mapping does not know is refused, as in every inbox, so a new vendor column is looked at
(and listed as never read) before a file carrying it lands.

**Privacy.** Employee names, emails, approver names and network handles are never read into a
landed column. The vendor's employee id is replaced, as each row is read and before anything is
written, by a keyed hash: HMAC-SHA256 of the id under the pseudonymisation key (`pseudonym`), 64
hex characters. The key is the Airflow Variable `advocacy_pseudonym_key` (`KEY_VARIABLE`): the
nightly task reads it and passes it in (sources/ never imports Airflow); it is never in the
configuration, the logs or a file, and without it nothing is read. Keep the key: a new key gives
every advocate a new pseudonym, so history before and after no longer joins. Shared links must
not name the person: a file whose `utm_content` (or another utm_ tag) carries the sharer's
employee id, anything shaped like a vendor employee id, the email's local part or the name is
refused. Quarantine reasons and logs never quote the id, name or email columns.

**Opt-in.** An advocate who is not opted in on the export day (the run's day) is dropped before
landing: enrolled (`enrolled_on`) on or before it, and not opted out (`opted_out_on`, the first day
no longer opted in; a user the vendor shows as deactivated without a day counts as never opted in).
A share lands only when its sharer is in the users report and was opted in on the share's local
day, so shares after opting out are dropped; those made while opted in stay, under the pseudonym.
The shares land only with a users report that lands: without one they wait in the inbox."""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import partial
from pathlib import Path
from typing import Any, Literal
from urllib.parse import parse_qsl, urlsplit
from zoneinfo import ZoneInfo

import pyarrow as pa
import pyarrow.compute as pc
from pydantic import Field

from core.landing import RunContext
from core.settings import Identifier, InboxSettle, InboxSourceSettings
from core.severity import critical
from extractors.cells import cell_text, parse_count, parse_date, parse_text, parse_timestamp
from extractors.inbox import (
    Inbox,
    InboxCheck,
    InboxFileError,
    InboxNotReady,
    InboxResult,
    Row,
    UniqueKey,
    header_holds,
)
from extractors.spec import InboxNight, InboxSource

log = logging.getLogger(__name__)

SOURCE = "employee_advocacy"
ADVOCATES = "advocates"
SHARES = "shares"
PART = "advocacy_export"

KEY_VARIABLE = "advocacy_pseudonym_key"
MIN_KEY_LENGTH = 32
KEY_PURPOSE = (
    "the secret key that pseudonymises advocacy employee ids (HMAC-SHA256), at least "
    f"{MIN_KEY_LENGTH} random characters, e.g. from `python -c 'import secrets; print(secrets.token_urlsafe(32))'`; "
    "keep it: a new key gives every advocate a new pseudonym"
)
PSEUDONYM = r"^[0-9a-f]{64}$"
NETWORKS = ("linkedin", "facebook", "x", "instagram")


class PseudonymKeyError(RuntimeError):
    """The pseudonymisation key is missing or too weak: nothing is read without it."""


def pseudonym(employee_id: str, key: str) -> str:
    """The key an advocate lands under: HMAC-SHA256 of the vendor's employee id under `key`."""
    return hmac.new(key.encode("utf-8"), employee_id.strip().encode("utf-8"), hashlib.sha256).hexdigest()


def check_key(key: str | None) -> str:
    if not key or not key.strip():
        raise PseudonymKeyError(
            f"the advocacy pseudonymisation key is missing: set the Airflow Variable '{KEY_VARIABLE}' "
            f"(or the environment variable AIRFLOW_VAR_{KEY_VARIABLE.upper()}) to {KEY_PURPOSE}."
        )
    if len(key.strip()) < MIN_KEY_LENGTH:
        raise PseudonymKeyError(
            f"the Airflow Variable '{KEY_VARIABLE}' is too short to keep employee ids secret: set it to {KEY_PURPOSE}."
        )
    return key.strip()


# -- the vendors' exports: the one place their column names are known ---------------------------

# Our fields of each report: required (True) or optional. Fields named employee_* other than
# employee_id are read to check the shared links and never land.
USER_FIELDS = {
    "employee_id": True,
    "team": True,
    "enrolled_on": True,
    "opted_out_on": False,
    "status": True,
    "network_connections": True,
}
SHARE_FIELDS = {
    "share_id": True,
    "shared_at": True,
    "content_id": True,
    "linked_post_url": False,
    "link": False,
    "network": True,
    "employee_id": True,
    "employee_name": False,
    "employee_email": False,
    "audience_size": True,
    "clicks": True,
    "reactions": True,
    "comments": True,
    "reshares": True,
}


@dataclass(frozen=True)
class VendorExport:
    """How one advocacy platform spells its users and shares reports: {vendor column: our field,
    or None for a column it has that is never read}."""

    name: str
    users: Mapping[str, str | None]
    shares: Mapping[str, str | None]
    shares_signature: tuple[str, ...]  # vendor columns only the shares report has
    opted_in_statuses: tuple[str, ...]  # user statuses of people opted in (casefolded)
    opted_out_statuses: tuple[str, ...]
    networks: Mapping[str, str]  # the vendor's network name (casefolded) -> ours (NETWORKS)
    employee_id_pattern: str  # what the vendor's employee ids look like
    users_sheet: str = "Users"
    shares_sheet: str = "Shares"
    _columns: dict[str, dict[str, str]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        columns = {}
        for report, mapping, fields in (("users", self.users, USER_FIELDS), ("shares", self.shares, SHARE_FIELDS)):
            ours = {field_: column for column, field_ in mapping.items() if field_ is not None}
            unknown = set(ours) - set(fields)
            missing = {f for f, required in fields.items() if required} - set(ours)
            if unknown or missing:
                raise ValueError(f"{self.name} {report} mapping: unknown {sorted(unknown)}, missing {sorted(missing)}")
            columns[report] = ours
        object.__setattr__(self, "_columns", columns)

    def column(self, report: str, ours: str) -> str | None:
        """The vendor's column of our field `ours` in `report` (users or shares), None if it has none."""
        return self._columns[report].get(ours)

    def header(self, report: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """(required, optional) vendor columns of a report's header."""
        fields = USER_FIELDS if report == "users" else SHARE_FIELDS
        mapping = self.users if report == "users" else self.shares
        required = tuple(c for c, f in mapping.items() if f is not None and fields[f])
        return required, tuple(c for c in mapping if c not in required)


EVERYONESOCIAL = VendorExport(
    name="everyonesocial",
    # Admin > Analytics > Users, the External Activity download.
    users={
        "user_id": "employee_id",
        "name": None,
        "email": None,
        "type": None,
        "department": "team",
        "location": None,
        "created_on": "enrolled_on",
        "onboarded": None,
        "last_active": None,
        "user_status": "status",
        "deactivated_on": "opted_out_on",
        "reach": "network_connections",
        "posts": None,
        "shares": None,
        "clicks": None,
    },
    # Admin > Analytics > Shares > Download Report.
    shares={
        "share_id": "share_id",
        "shared_at": "shared_at",
        "content_id": "content_id",
        "title": None,
        "content_url": None,
        "shared_url": "link",
        "original_post_url": "linked_post_url",
        "network": "network",
        "user_id": "employee_id",
        "user_name": "employee_name",
        "user_email": "employee_email",
        "department": None,
        "location": None,
        "approved_by": None,
        "branded": None,
        "reach": "audience_size",
        "clicks": "clicks",
        "reactions": "reactions",
        "comments": "comments",
        "reshares": "reshares",
        "engagements": None,
    },
    shares_signature=("share_id",),
    opted_in_statuses=("active", "inactive"),
    opted_out_statuses=("deactivated",),
    networks={"linkedin": "linkedin", "facebook": "facebook", "x": "x", "twitter": "x", "instagram": "instagram"},
    employee_id_pattern=r"u\d{7}",
)
VENDORS = {vendor.name: vendor for vendor in (EVERYONESOCIAL,)}


class EmployeeAdvocacy(InboxSourceSettings):
    # Folder under the data directory's inbox/ where the platform's users and shares reports are dropped.
    inbox: Identifier = "employee_advocacy"
    # Whose export it is: a key of VENDORS (the column mapping).
    vendor: Literal["everyonesocial"] = "everyonesocial"
    # Whole minutes an employee spends on one share (finding it, writing a line, posting), costed
    # at the team's loaded rate (dbt/seeds/advocacy_teams.csv) as the program's employee time;
    # whole minutes keep every team's day exact in cents.
    minutes_per_share: int = Field(default=5, ge=0, le=240)
    # Fewest advocates a team-level row of the marts may describe: smaller teams are rolled up
    # (mart_ambassadors). Below 2 a row could be one person.
    min_team_advocates: int = Field(default=5, ge=2, le=1000)

    def dbt_vars(self) -> dict[str, Any]:
        return {
            "advocacy_min_team_advocates": self.min_team_advocates,
            "advocacy_minutes_per_share": self.minutes_per_share,
        }


# -- the landing contract -----------------------------------------------------------------------

ADVOCATES_SCHEMA = pa.schema(
    [
        pa.field("advocate_key", pa.string(), nullable=False),  # HMAC-SHA256 of the vendor's id, hex
        pa.field("team", pa.string(), nullable=False),  # the department, as the platform names it
        pa.field("enrolled_on", pa.date32(), nullable=False),
        pa.field("opted_out_on", pa.date32()),  # first day no longer opted in; null: opted in
        pa.field("network_connections", pa.int64(), nullable=False),  # across the connected networks
        pa.field("source_file", pa.string(), nullable=False),
        pa.field("source_row", pa.int64(), nullable=False),
    ]
)
SHARES_SCHEMA = pa.schema(
    [
        pa.field("share_id", pa.string(), nullable=False),
        pa.field("advocate_key", pa.string(), nullable=False),
        pa.field("content_id", pa.string(), nullable=False),
        pa.field("linked_post_id", pa.string()),  # the organisation's post it was curated from, when known
        pa.field("linked_post_url", pa.string()),  # that post's permalink
        pa.field("network", pa.string(), nullable=False),  # linkedin, facebook, x, instagram
        pa.field("shared_at", pa.timestamp("us", tz="UTC"), nullable=False),
        pa.field("share_day", pa.date32(), nullable=False),  # local day (organisation's timezone)
        pa.field("audience_size", pa.int64(), nullable=False),  # sharer's connections there at the share
        pa.field("clicks", pa.int64(), nullable=False),
        pa.field("reactions", pa.int64(), nullable=False),
        pa.field("comments", pa.int64(), nullable=False),
        pa.field("reshares", pa.int64(), nullable=False),
        pa.field("utm_content", pa.string()),  # of the shared link; null without one
        pa.field("source_file", pa.string(), nullable=False),
        pa.field("source_row", pa.int64(), nullable=False),
    ]
)


class AdvocacyExportError(InboxFileError):
    """An advocacy export file (or several) could not be landed; the message says where and what to fix."""


# -- reading a row --------------------------------------------------------------------------------


def _employee_key(row: Row, column: str, key: str | None) -> str | None:
    """The row's pseudonym; the id itself is never kept, and never quoted."""
    raw = row.values.get(column)
    text = cell_text(raw) if isinstance(raw, str | int | float) else ""
    if not text:
        row.problem(column, f"{column} is empty; every row needs the employee's id (it is pseudonymised on landing).")
        return None
    return pseudonym(text, check_key(key))


def _check_user(row: Row, record: dict[str, Any], vendor: VendorExport, key: str | None) -> None:
    column = partial(vendor.column, "users")
    record["advocate_key"] = _employee_key(row, column("employee_id"), key)
    record["team"] = row.value(column("team"), parse_text, missing=f"{column('team')} is empty; write the team.")
    enrolled = row.value(
        column("enrolled_on"), parse_date, missing=f"{column('enrolled_on')} is empty; write the day they enrolled."
    )
    opted_out = row.value(column("opted_out_on"), parse_date) if column("opted_out_on") else None
    status_column = column("status")
    status = row.value(status_column, parse_text, missing=f"{status_column} is empty; write the user's status.")
    known = vendor.opted_in_statuses + vendor.opted_out_statuses
    if status is not None and status.casefold() not in known:
        row.problem(status_column, f"{status!r} is not a status of {vendor.name}; use one of {', '.join(known)}.")
    elif status is not None and status.casefold() in vendor.opted_out_statuses and opted_out is None:
        opted_out = enrolled  # opted out on a day not told: never counted as opted in
    if enrolled is not None and opted_out is not None and opted_out < enrolled:
        row.problem(column("opted_out_on"), f"{column('opted_out_on')} is before {column('enrolled_on')}.")
    record["enrolled_on"], record["opted_out_on"] = enrolled, opted_out
    record["network_connections"] = row.value(
        column("network_connections"),
        parse_count,
        missing=f"{column('network_connections')} is empty; write 0 for someone with no network connected.",
    )


def _linked_post_id(url: str) -> str | None:
    """The organisation's post id a permalink names: a LinkedIn URN, or a Facebook `<page id>_<post>`
    when the permalink names the page by its id (by its name, the post is found by permalink)."""
    parts = urlsplit(url)
    host, path = parts.netloc.lower(), parts.path
    if host.endswith("linkedin.com") and (match := re.search(r"/feed/update/(urn:li:[A-Za-z]+:\d+)", path)):
        return match[1]
    if host.endswith("facebook.com") and (match := re.match(r"^/(\d+)/posts/(\d+)", path)):
        return f"{match[1]}_{match[2]}"
    return None


def _identity_tokens(row: Row, vendor: VendorExport, employee_id: str) -> list[str]:
    """What a link must not carry of the sharer: the id, the email and its local part, the name."""
    tokens = [employee_id]
    email_column, name_column = vendor.column("shares", "employee_email"), vendor.column("shares", "employee_name")
    email = cell_text(row.values.get(email_column)) if email_column else ""
    if email:
        tokens += [email, email.split("@")[0]]
    name = cell_text(row.values.get(name_column)) if name_column else ""
    words = re.findall(r"\w+", name.casefold())
    if len(words) > 1:
        tokens += [sep.join(words) for sep in (".", "_", "-", "")]
    return [token.casefold() for token in tokens if len(token) >= 3]


def _check_share(row: Row, record: dict[str, Any], vendor: VendorExport, key: str | None, tz: ZoneInfo) -> None:
    column = partial(vendor.column, "shares")
    id_column = column("employee_id")
    record["advocate_key"] = _employee_key(row, id_column, key)
    for ours in ("share_id", "content_id"):
        record[ours] = row.value(column(ours), parse_text, missing=f"{column(ours)} is empty.")
    shared_at = row.value(
        column("shared_at"), parse_timestamp, missing=f"{column('shared_at')} is empty; write when it was shared."
    )
    record["shared_at"] = shared_at
    record["share_day"] = shared_at.astimezone(tz).date() if shared_at is not None else None
    network = row.value(column("network"), parse_text, missing=f"{column('network')} is empty.")
    if network is not None:
        record["network"] = vendor.networks.get(network.casefold())
        if record["network"] is None:
            row.problem(column("network"), f"{network!r} is not a network; use one of {', '.join(vendor.networks)}.")
    record["audience_size"] = row.value(
        column("audience_size"), parse_count, missing=f"{column('audience_size')} is empty; write 0 if unknown."
    )
    for ours in ("clicks", "reactions", "comments", "reshares"):
        record[ours] = row.value(column(ours), parse_count, missing=f"{column(ours)} is empty; write 0 for none.")

    linked = row.value(column("linked_post_url"), parse_text) if column("linked_post_url") else None
    record["linked_post_url"] = linked
    record["linked_post_id"] = _linked_post_id(linked) if linked else None

    link = row.value(column("link"), parse_text) if column("link") else None
    tags = {name.casefold(): value for name, value in parse_qsl(urlsplit(link).query)} if link else {}
    record["utm_content"] = tags.get("utm_content") or None
    employee_id = cell_text(row.values.get(id_column))
    if employee_id and tags:
        tokens = _identity_tokens(row, vendor, employee_id)
        for name, value in tags.items():
            text = value.casefold()
            if name.startswith("utm_") and (
                any(token in text for token in tokens) or re.search(vendor.employee_id_pattern, text)
            ):
                # Never quoted: the reason goes to the logs and the alert.
                row.problem(
                    column("link"),
                    f"the link's {name} carries the sharer's employee id, name or email; links may name the "
                    "content and the team, never the person: fix the platform's UTM template and export again.",
                )
                break


# -- the night's reports --------------------------------------------------------------------------


def users_report(vendor: VendorExport, key: str | None) -> Inbox:
    required, optional = vendor.header("users")
    return Inbox(
        source=SOURCE,
        entity=ADVOCATES,
        part=PART,
        schema=ADVOCATES_SCHEMA,
        kind="advocacy users-report",
        sheet=vendor.users_sheet,
        noun="advocate",
        required=required,
        optional=optional,
        check_row=partial(_check_user, vendor=vendor, key=key),
        error=AdvocacyExportError,
        unique=(UniqueKey(("advocate_key",), "an employee has one row in the users report"),),
        not_after_run_day=("enrolled_on",),
        not_after_reason="people enrol before the export is taken, so a later day is a typo",
        # Every file the shares report does not take: one that is neither is refused with its header's problems.
        takes=lambda path: not header_holds(path, vendor.shares_signature),
    )


def shares_report(vendor: VendorExport, key: str | None, tz: ZoneInfo) -> Inbox:
    required, optional = vendor.header("shares")
    return Inbox(
        source=SOURCE,
        entity=SHARES,
        part=PART,
        schema=SHARES_SCHEMA,
        kind="advocacy shares-report",
        sheet=vendor.shares_sheet,
        noun="share",
        required=required,
        optional=optional,
        check_row=partial(_check_share, vendor=vendor, key=key, tz=tz),
        error=AdvocacyExportError,
        unique=(UniqueKey(("share_id",), "share ids must be unique"),),
        not_after_run_day=("share_day",),
        not_after_reason="shares are reported after they are made, so a later day is a typo",
        takes=lambda path: header_holds(path, vendor.shares_signature),
    )


def opted_in_advocates(people: pa.Table, day: date) -> pa.Table:
    """The advocates opted in on `day`: enrolled by then and not opted out yet."""
    scalar = pa.scalar(day, pa.date32())
    enrolled = pc.less_equal(people["enrolled_on"], scalar)
    still_in = pc.or_kleene(pc.is_null(people["opted_out_on"]), pc.greater(people["opted_out_on"], scalar))
    return people.filter(pc.and_(enrolled, still_in))


def shares_while_opted_in(shares: pa.Table, people: pa.Table) -> pa.Table:
    """The shares whose sharer is in the users report and was opted in on the share's day."""
    windows = people.select(["advocate_key", "enrolled_on", "opted_out_on"]).rename_columns(
        ["advocate_key", "_enrolled_on", "_opted_out_on"]
    )
    joined = shares.join(windows, keys="advocate_key", join_type="inner")
    day = joined["share_day"]
    keep = pc.and_(
        pc.greater_equal(day, joined["_enrolled_on"]),
        pc.or_kleene(pc.is_null(joined["_opted_out_on"]), pc.less(day, joined["_opted_out_on"])),
    )
    kept = joined.filter(keep).select(shares.schema.names)
    return kept.sort_by([("source_file", "ascending"), ("source_row", "ascending")])


def land_export(
    folder: Path,
    quarantine_root: Path,
    ctx: RunContext,
    key: str | None,
    landing_root: Path | None = None,
    vendor: str = EVERYONESOCIAL.name,
    tz: ZoneInfo | None = None,
    settle: InboxSettle | None = None,
    now=None,
) -> InboxResult:
    """Land tonight's users and shares reports of the inbox `folder` together: pseudonymised as read,
    the advocates not opted in on the run's day and the shares made outside their sharer's opt-in
    dropped, then each entity landed; bad files quarantined (then AdvocacyExportError)."""
    key = check_key(key)
    export = VENDORS[vendor]
    tz = tz or ZoneInfo("UTC")
    users, shares = users_report(export, key), shares_report(export, key, tz)
    found_users = users.check(folder, ctx, settle, now)
    found_shares = shares.check(folder, ctx, settle, now)

    people = found_users.rows(ADVOCATES_SCHEMA)
    rows: dict[str, pa.Table | None] = {ADVOCATES: None, SHARES: None}
    if people is not None and not found_users.waiting:
        rows[ADVOCATES] = opted_in_advocates(people, ctx.partition_date)
        made = found_shares.rows(SHARES_SCHEMA)
        if made is not None:
            rows[SHARES] = shares_while_opted_in(made, people)
            log.info(
                "advocacy export: %d of %d advocate(s) opted in on %s land; %d of %d share(s) made while their "
                "sharer was opted in land",
                rows[ADVOCATES].num_rows,
                people.num_rows,
                ctx.partition_date,
                rows[SHARES].num_rows,
                made.num_rows,
            )
    elif found_shares.landable:
        found_shares.waiting.append(
            "the shares report waits for a users report that lands (who is opted in comes from it)"
        )
    return _finish_together(((users, found_users), (shares, found_shares)), rows, quarantine_root, ctx, landing_root)


def _finish_together(
    reports: tuple[tuple[Inbox, InboxCheck], ...],
    rows: Mapping[str, pa.Table | None],
    quarantine_root: Path,
    ctx: RunContext,
    landing_root: Path | None,
) -> InboxResult:
    """Finish each report (land it, quarantine its bad files), then one result, one error."""
    merged = InboxResult(None)
    errors: list[InboxFileError] = []
    for inbox, found in reports:
        try:
            result = inbox.finish(found, quarantine_root, ctx, landing_root, rows=rows[inbox.entity])
        except InboxFileError as exc:
            errors.append(exc)
            result = exc.result
        except InboxNotReady as waiting:
            result = waiting.result
        if result is None:
            continue
        merged.partition = merged.partition or result.partition
        merged.files_landed += result.files_landed
        merged.rows_landed += result.rows_landed
        merged.quarantined += result.quarantined
        merged.waiting += result.waiting
        merged.landed.update(result.landed)
    if errors:
        error = AdvocacyExportError("\n".join(str(e) for e in errors), [p for e in errors for p in e.problems])
        error.result = merged
        raise error
    if merged.partition is None:
        why = "; ".join(merged.waiting) or "it holds no users or shares report"
        raise InboxNotReady(
            f"advocacy inbox {reports[0][1].inbox}: nothing landed tonight ({why}). {SOURCE} keeps its last "
            "snapshot and shows as stale; the next run lands the inbox.",
            merged,
        )
    return merged


def _land_night(night: InboxNight) -> InboxResult:
    return land_export(
        night.folder,
        night.quarantine_root,
        night.ctx,
        night.variables.get(KEY_VARIABLE),
        night.landing_root,
        night.settings.vendor,
        night.tz,
        night.settle,
        night.now,
    )


# -- the landing suites (GX is imported when the gate builds them) ---------------------------------


def advocates_checks(partition_date: date) -> list:
    import great_expectations.expectations as gxe

    return [
        critical(gxe.ExpectColumnValuesToNotBeNull(column="advocate_key")),
        critical(gxe.ExpectColumnValuesToMatchRegex(column="advocate_key", regex=PSEUDONYM)),
        critical(gxe.ExpectColumnValuesToBeUnique(column="advocate_key")),
        critical(gxe.ExpectColumnValuesToBeBetween(column="network_connections", min_value=0)),
        critical(gxe.ExpectColumnValuesToBeBetween(column="enrolled_on", max_value=partition_date.isoformat())),
    ]


def shares_checks(partition_date: date) -> list:
    import great_expectations.expectations as gxe

    return [
        critical(gxe.ExpectColumnValuesToNotBeNull(column="share_id")),
        critical(gxe.ExpectColumnValuesToBeUnique(column="share_id")),
        critical(gxe.ExpectColumnValuesToMatchRegex(column="advocate_key", regex=PSEUDONYM)),
        critical(gxe.ExpectColumnValuesToBeInSet(column="network", value_set=list(NETWORKS))),
        *(
            critical(gxe.ExpectColumnValuesToBeBetween(column=column, min_value=0))
            for column in ("audience_size", "clicks", "reactions", "comments", "reshares")
        ),
    ]


# The static reports (EveryoneSocial's, without a key: they declare the entities; each night builds
# its own with the vendor of the configuration and the key).
SPEC = InboxSource(
    settings_model=EmployeeAdvocacy,
    inbox=users_report(EVERYONESOCIAL, None),
    checks=advocates_checks,
    reports=((shares_report(EVERYONESOCIAL, None, ZoneInfo("UTC")), shares_checks),),
    variables={KEY_VARIABLE: KEY_PURPOSE},
    lands=_land_night,
)
