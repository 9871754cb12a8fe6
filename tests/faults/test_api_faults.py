"""The fault matrix, API rows: each fault of a platform API, injected by the sandbox's fault plan
(sandbox/faults.py) into one Facebook page's extract task of a clean night.

For every row: the task's outcome (succeeds, fails fast without retries, or fails for Airflow to
retry), the message (the platform, the request or metric, and what to do), the page's landed rows
(the clean night's rows exactly when the task succeeds, the previous partition untouched when it
fails), no temporary files, and a plain rerun of the task after the fault is gone that lands the
clean night's rows."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from airflow.sdk.exceptions import AirflowFailException

from core import storage
from core.landing import partition_files
from extractors.http import PagingLoopError, TokenExpiredError, TransientError
from nightly import tasks
from nightly.extraction_log import ENTITY, SOURCE
from sandbox.faults import Fault
from tests.faults.fault_nights import LOGICAL_DATE, PAGE, PAGE_CONNECTION, RUN_ID, Night, leftovers, write_config

pytestmark = pytest.mark.integration

INSIGHTS = rf"^/v24\.0/{PAGE}/insights$"
POSTS = rf"^/v24\.0/{PAGE}/published_posts$"


def plan(*faults: Fault) -> Callable[[Night, object], None]:
    def inject(night: Night, graph) -> None:
        graph.faults.add(*faults)

    return inject


def paging_loop(night: Night, graph) -> None:
    # The fault links every page after the first back to itself: the posts edge needs a third
    # page, so the backfill reaches further back than the clean night's.
    write_config(night.config_file.parent, windows={"backfill_days": 400})
    graph.paging_loop = True


def unknown_metric(night: Night, graph) -> None:
    # A metric the Graph API no longer knows, as after a rename: code 100.
    metrics = [*_config_list(night, "page_metrics"), "page_impressions"]
    write_config(night.config_file.parent, facebook_pages={"page_metrics": metrics})


def _config_list(night: Night, key: str) -> list[str]:
    import yaml

    return list(yaml.safe_load(night.config_file.read_text())["sources"]["facebook_pages"][key])


@dataclass(frozen=True)
class ApiFault:
    inject: Callable[[Night, object], None]
    # "succeeds"; "fails fast": AirflowFailException, no retries; "fails, retried": the error
    # itself, which Airflow retries with backoff.
    outcome: str
    error: type[Exception] | None
    # Substrings of the error (when it fails) or of the warnings logged (when it succeeds).
    message: tuple[str, ...]


API_FAULTS = {
    "throttling storm": ApiFault(
        plan(Fault("throttle", calls=3)),
        "succeeds",
        None,
        ("Application request limit reached", "retry 3/3", f"/v24.0/{PAGE}"),
    ),
    "5xx burst": ApiFault(
        plan(Fault("server_error", path=INSIGHTS, calls=3)), "succeeds", None, ("HTTP 502", f"/v24.0/{PAGE}/insights")
    ),
    "timeout": ApiFault(
        plan(Fault("timeout", path=INSIGHTS, delay_seconds=3)),
        "fails, retried",
        TransientError,
        (f"/v24.0/{PAGE}/insights", "giving up after 3 retries", "ReadTimeout"),
    ),
    "expired token": ApiFault(
        plan(Fault("expired_token")),
        "fails fast",
        TokenExpiredError,
        (PAGE_CONNECTION, "Session has expired", f"Re-authorise connection {PAGE_CONNECTION}", "Page access token"),
    ),
    "invalid metric": ApiFault(
        unknown_metric, "succeeds", None, (PAGE, "page_impressions", "sources.facebook_pages.page_metrics")
    ),
    "malformed JSON": ApiFault(
        plan(Fault("malformed", path=POSTS, calls=2)),
        "succeeds",
        None,
        (f"/v24.0/{PAGE}/published_posts", "not valid JSON", "retry 2/3"),
    ),
    "truncated body": ApiFault(
        plan(Fault("truncated", path=INSIGHTS, calls=2)), "succeeds", None, (f"/v24.0/{PAGE}/insights", "retry 2/3")
    ),
    "empty page": ApiFault(plan(Fault("empty_page", path=POSTS, calls=1)), "succeeds", None, ()),
    "paging loop": ApiFault(
        paging_loop,
        "fails fast",
        PagingLoopError,
        ("Facebook Graph API", f"/v24.0/{PAGE}/published_posts", "points back at page", "Nothing was landed"),
    ),
}


def extract(night: Night) -> dict[str, int]:
    return tasks.extract_api_account("facebook_pages", PAGE, LOGICAL_DATE, RUN_ID)


def last_logged(night: Night) -> dict:
    (path,) = [p for p in partition_files(SOURCE, ENTITY, night.day, night.paths.landing) if p.stem.endswith(PAGE)]
    return storage.read_table(path).to_pylist()[0]


@pytest.mark.parametrize("name", list(API_FAULTS))
def test_api_fault(name, night, clean_night, graph, caplog):
    fault = API_FAULTS[name]
    clean = clean_night[0].page_digests()
    before = night.page_files()
    fault.inject(night, graph)

    with caplog.at_level(logging.WARNING):
        if fault.outcome == "succeeds":
            extract(night)
            text = "\n".join(r.getMessage() for r in caplog.records)
        else:
            expected = AirflowFailException if fault.outcome == "fails fast" else fault.error
            with pytest.raises(expected) as caught:
                extract(night)
            error = caught.value.__cause__ if fault.outcome == "fails fast" else caught.value
            assert isinstance(error, fault.error), repr(error)
            text = str(caught.value)
    if graph.faults:
        assert sum(graph.faults.hits.values()) > 0, "the planned fault never fired"
    for part in fault.message:
        assert part in text, text

    if fault.outcome == "succeeds":
        # (An unknown metric never had rows: the page lands what a clean night lands.)
        assert night.page_digests() == clean, "every row of the clean night, none lost and none twice"
        assert last_logged(night)["status"] == "success"
    else:
        assert night.page_files() == before, "a failed extraction leaves the earlier partition as it was"
        logged = last_logged(night)
        assert logged["status"] == "failed" and logged["error"].startswith(fault.error.__name__), logged
    assert leftovers(night.paths.root) == []

    # The fault goes away; the task is simply run again.
    graph.faults.clear()
    graph.paging_loop = False
    write_config(night.config_file.parent)
    extract(night)
    assert night.page_digests() == clean
    assert last_logged(night)["status"] == "success"


def test_api_fault_sunset_api_version(night, monkeypatch):
    """LinkedIn answers a version it no longer serves with 426: the task fails fast with the key to bump."""
    from sandbox import registry
    from sandbox.linkedin import DEFAULT_ACTIVE_VERSIONS, DEFAULT_TOKEN

    write_config(night.config_file.parent, sources=("facebook_pages", "traditional_media", "call_tracking", "linkedin"))
    configured = yaml_value(night, "linkedin", "api_version")
    # The real clock: LinkedIn serves statistics up to two days before its now.
    with registry.create("linkedin", active_versions=[v for v in DEFAULT_ACTIVE_VERSIONS if v != configured]) as api:
        connection = {"conn_type": "http", "host": api.base_url, "password": DEFAULT_TOKEN}
        monkeypatch.setenv("AIRFLOW_CONN_LINKEDIN_CEDAR_VALLEY_HEALTH", json.dumps(connection))
        with pytest.raises(AirflowFailException) as caught:
            tasks.extract_api_account("linkedin", "90000501", LOGICAL_DATE, RUN_ID)
        said = str(caught.value)
        for part in ("bump linkedin api version in config", "sources.linkedin.api_version", configured):
            assert part in said, said
        assert not partition_files("linkedin", "share_statistics", night.day, night.paths.landing)

        api.active_versions = frozenset(DEFAULT_ACTIVE_VERSIONS)
        landed = tasks.extract_api_account("linkedin", "90000501", LOGICAL_DATE, RUN_ID)
    assert sum(landed.values()) > 0
    assert leftovers(night.paths.root) == []


def yaml_value(night: Night, source: str, key: str):
    import yaml

    return yaml.safe_load(night.config_file.read_text())["sources"][source][key]
