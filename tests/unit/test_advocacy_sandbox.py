import csv
import re
from collections import Counter, defaultdict
from datetime import UTC, date, datetime, timedelta
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest

from sandbox.advocacy import (
    HISTORY_DAYS,
    PROGRAM_LAUNCH,
    SHARES_FILE,
    TEAMS,
    USERS_FILE,
    AdvocacyWorld,
    employee_identities,
    export_window,
    team_days,
    team_period,
    write_advocacy_export,
)
from sandbox.facebook import FacebookWorld
from sandbox.linkedin import LinkedInWorld
from sandbox.world import load_campaigns

AS_OF = date(2026, 11, 19)
CENTRAL = ZoneInfo("America/Chicago")
# The vendor's columns as the module's docstring documents them (EveryoneSocial's shares report and
# users report), spelled out here so that a change to the export is a change to this test too.
SHARE_HEADER = (
    "share_id,shared_at,content_id,title,content_url,shared_url,original_post_url,network,user_id,user_name,"
    "user_email,department,location,approved_by,branded,reach,clicks,reactions,comments,reshares,engagements"
)
USER_HEADER = (
    "user_id,name,email,type,department,location,created_on,onboarded,last_active,user_status,deactivated_on,"
    "reach,posts,shares,clicks"
)
TEAM_OF_DEPARTMENT = {team.department: team.code for team in TEAMS}
METRICS = ("clicks", "reactions", "comments", "reshares")


def read(path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def export(tmp_path_factory):
    folder = tmp_path_factory.mktemp("advocacy")
    shares_path, users_path = write_advocacy_export(folder, AS_OF)
    return {
        "folder": folder,
        "shares": read(shares_path),
        "users": read(users_path),
        "paths": (shares_path, users_path),
    }


def local_day(shared_at: str) -> date:
    return datetime.strptime(shared_at, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC).astimezone(CENTRAL).date()


def test_the_same_arguments_write_the_same_bytes(export, tmp_path):
    again = write_advocacy_export(tmp_path / "again", AS_OF, seed=42, scale=1.0)
    other_seed = write_advocacy_export(tmp_path / "other", AS_OF, seed=43)

    assert [p.name for p in export["paths"]] == [SHARES_FILE, USERS_FILE]
    for first, second, other in zip(export["paths"], again, other_seed, strict=True):
        assert first.read_bytes() == second.read_bytes()
        assert first.read_bytes() != other.read_bytes()
    # Written under temporary names and renamed: nothing else is left in the inbox.
    assert sorted(p.name for p in export["folder"].iterdir()) == sorted([SHARES_FILE, USERS_FILE])


def test_the_files_have_exactly_the_vendor_columns(export):
    for path, header in zip(export["paths"], (SHARE_HEADER, USER_HEADER), strict=True):
        assert path.read_text(encoding="utf-8").split("\n", 1)[0] == header


def test_the_shares_report_covers_its_window_and_names_who_shared(export):
    first, last = export_window(AS_OF)
    identities = {i.user_id: i for i in employee_identities()}
    days = {local_day(row["shared_at"]) for row in export["shares"]}

    assert first == AS_OF - timedelta(days=HISTORY_DAYS - 1) and last == AS_OF
    assert min(days) >= first and max(days) <= last and len(days) > HISTORY_DAYS * 0.8
    assert len({row["share_id"] for row in export["shares"]}) == len(export["shares"])
    for row in export["shares"]:
        # The real export names people; the pipeline pseudonymises before landing.
        person = identities[row["user_id"]]
        assert (row["user_name"], row["user_email"]) == (person.name, person.email)
        assert row["network"] in {"linkedin", "facebook", "x", "instagram"}
        engagements = sum(int(row[name]) for name in ("reactions", "comments", "reshares"))
        assert int(row["engagements"]) == engagements
        assert int(row["reach"]) > 0
        if row["network"] == "instagram":
            assert row["clicks"] == "0"  # caption links are not clickable


def test_only_employees_opted_in_on_the_day_share(export):
    world = AdvocacyWorld()
    for row in export["shares"]:
        assert world.employee(row["user_id"]).opted_in(local_day(row["shared_at"]))

    # Over the program's whole life, with people who opt out and still shared before.
    history = world.shares(PROGRAM_LAUNCH, AS_OF)
    leavers = {p.user_id for p in world.employees if p.opted_out_on and p.opted_out_on <= AS_OF}
    assert {s.user_id for s in history} & leavers
    for share in history:
        assert world.employee(share.user_id).opted_in(world.local_day(share.shared_at))


def test_a_few_advocates_do_most_of_the_sharing(export):
    first, last = export_window(AS_OF)
    periods = team_period(first, last)
    enrolled = sum(p.enrolled_any_day for p in periods.values())
    per_person = Counter(row["user_id"] for row in export["shares"])
    counts = sorted(per_person.values(), reverse=True) + [0] * (enrolled - len(per_person))
    top = round(enrolled * 0.1)

    assert sum(counts[:top]) >= 0.5 * sum(counts)
    assert counts.count(0) >= 0.3 * enrolled  # many enrolled never share


def test_shared_links_carry_the_team_and_the_content_never_the_person(export):
    identities = employee_identities()
    personal = {i.user_id.lower() for i in identities} | {i.email.split("@")[0] for i in identities}
    personal |= {part.lower() for i in identities for part in i.name.split()}
    codes = "|".join(team.code for team in TEAMS)
    campaigns = {c.id for c in load_campaigns()}
    tagged = 0
    for row in export["shares"]:
        query = parse_qs(urlsplit(row["shared_url"]).query)
        if row["branded"] == "False":
            assert query == {}  # third-party links are left alone
            continue
        tagged += 1
        assert query["utm_source"] == [row["network"]] and query["utm_medium"] == ["advocacy"]
        assert set(query.get("utm_campaign", [])) <= campaigns
        (content,) = query["utm_content"]
        match = re.fullmatch(rf"({codes})_([0-9a-f-]{{36}})", content)
        assert match and match[1] == TEAM_OF_DEPARTMENT[row["department"]] and match[2] == row["content_id"]
        url = row["shared_url"].lower()
        assert not any(token in url for token in personal), row["shared_url"]
    assert tagged > 0.8 * len(export["shares"])


def test_some_teams_have_fewer_than_five_advocates(export):
    departments = Counter(row["department"] for row in export["users"])
    small = [code for code, p in team_period(*export_window(AS_OF)).items() if 0 < p.enrolled_any_day < 5]

    assert small and {TEAM_OF_DEPARTMENT[d] for d, n in departments.items() if n < 5} == set(small)


def test_the_shares_report_adds_up_to_the_ground_truth(export):
    first, last = export_window(AS_OF)
    found: dict[tuple[date, str], Counter] = defaultdict(Counter)
    sharers: dict[tuple[date, str], set[str]] = defaultdict(set)
    for row in export["shares"]:
        key = (local_day(row["shared_at"]), TEAM_OF_DEPARTMENT[row["department"]])
        found[key]["shares"] += 1
        found[key]["reach"] += int(row["reach"])
        for name in METRICS:
            found[key][name] += int(row[name])
        sharers[key].add(row["user_id"])

    truth = team_days(first, last, as_of=AS_OF)
    assert len(truth) == HISTORY_DAYS * len(TEAMS)
    for row in truth:
        key = (row.day, row.team)
        assert found[key]["shares"] == row.shares and found[key]["reach"] == row.reach
        assert all(found[key][name] == getattr(row, name) for name in METRICS)
        assert len(sharers[key]) == row.active_advocates <= row.enrolled_advocates


def test_the_users_report_adds_up_to_the_ground_truth(export):
    first, last = export_window(AS_OF)
    periods = team_period(first, last, as_of=AS_OF)
    users = export["users"]
    by_team = defaultdict(list)
    for row in users:
        by_team[TEAM_OF_DEPARTMENT[row["department"]]].append(row)

    assert len(users) == sum(p.enrolled_any_day for p in periods.values())
    for code, period in periods.items():
        rows = by_team[code]
        assert len(rows) == period.enrolled_any_day
        assert sum(int(r["shares"]) for r in rows) == period.shares
        assert sum(int(r["clicks"]) for r in rows) == period.clicks
        assert sum(1 for r in rows if int(r["shares"]) > 0) == period.active_advocates
        started = [r for r in rows if date.fromisoformat(r["created_on"]) <= first and not r["deactivated_on"]]
        assert len(started) <= period.enrolled_at_start
    assert sum(int(r["shares"]) for r in users) == len(export["shares"])
    for row in users:
        if row["onboarded"] == "False":
            assert row["reach"] == "0" and row["shares"] == "0"
        if row["deactivated_on"]:
            assert row["user_status"] == "Deactivated" and date.fromisoformat(row["deactivated_on"]) <= AS_OF
        assert row["user_status"] in {"Active", "Inactive", "Deactivated"}


def test_content_links_to_the_organisations_own_posts(export):
    world = AdvocacyWorld()
    linkedin, facebook = LinkedInWorld(seed=42), FacebookWorld(seed=42)
    content = world.content(*export_window(AS_OF))
    curated = [item for item in content.values() if item.linked_post_id]

    assert len(curated) > len(content) / 2
    for item in curated:
        if item.linked_post_id.startswith("urn:li:"):
            posts = linkedin.posts_on("90000501", item.offered_on)
            (post,) = [p for p in posts if p.urn == item.linked_post_id]
            assert item.original_post_url.endswith(post.urn)
        else:
            (post,) = [p for p in facebook.posts_on("100200300400501", item.offered_on) if p.id == item.linked_post_id]
            assert item.original_post_url == post.permalink_url
        assert item.campaign == post.campaign_id and post.link.startswith(item.url)
    # Every shared item is one the world offered, shared after the digest that offered it.
    for row in export["shares"]:
        assert content[row["content_id"]].offered_on < local_day(row["shared_at"])


def test_identities_are_unique_and_cover_everyone_the_files_name(export):
    identities = employee_identities()
    names = {i.name for i in identities}

    assert 110 <= len(identities) <= 130
    assert len({i.user_id for i in identities}) == len({i.email for i in identities}) == len(identities)
    assert {row["email"] for row in export["users"]} <= {i.email for i in identities}
    assert {row["approved_by"] for row in export["shares"]} - {""} <= names
    assert len(employee_identities(scale=2.0)) == pytest.approx(2 * len(identities), abs=10)


def test_a_later_export_never_shows_lower_counts(export, tmp_path):
    later = {row["share_id"]: row for row in read(write_advocacy_export(tmp_path, AS_OF + timedelta(days=7))[0])}
    overlapping = [row for row in export["shares"] if row["share_id"] in later]

    assert overlapping
    for row in overlapping:
        assert all(int(later[row["share_id"]][name]) >= int(row[name]) for name in (*METRICS, "engagements"))
