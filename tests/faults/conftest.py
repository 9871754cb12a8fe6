"""Fixtures of the fault matrix: one Graph sandbox and one clean night for the whole folder (both
read-only to the cases), and a fresh copy of the night per case with the environment pointed at it."""

from __future__ import annotations

import pytest

from core.paths import DataPaths
from sandbox.demo import stage_inboxes
from sandbox.facebook import GraphSandbox as SandboxServer
from tests.conftest import SANDBOX_NOW
from tests.faults.fault_nights import Night, graph_connection, marts_digest, run_night, write_config

PAGE_CONNECTIONS = ("facebook_cedar_valley_health", "facebook_cedar_valley_childrens")


@pytest.fixture(scope="session")
def graph():
    """The Graph sandbox every case talks to; each case starts with no fault planned."""
    with SandboxServer(now=SANDBOX_NOW) as server:
        yield server


def point_at(patch: pytest.MonkeyPatch, night: Night, graph_url: str) -> None:
    patch.setenv("PIPELINE_DATA_DIR", str(night.paths.root))
    patch.setenv("PIPELINE_CONFIG", str(night.config_file))
    for connection in PAGE_CONNECTIONS:
        patch.setenv(f"AIRFLOW_CONN_{connection.upper()}", graph_connection(graph_url))


@pytest.fixture(scope="session")
def clean_night(graph, tmp_path_factory):
    """One night landed, gated, built and published without any fault: (night, marts digest).
    The cases copy it; nothing may change it."""
    from sources.config import load_config

    folder = tmp_path_factory.mktemp("clean_night")
    night = Night(DataPaths(folder / "data"), write_config(folder), SANDBOX_NOW.date())
    with pytest.MonkeyPatch.context() as patch:
        point_at(patch, night, graph.url)
        stage_inboxes(load_config(), night.paths, night.day)
        run_night(night)
    return night, marts_digest(night.paths.published_warehouse)


@pytest.fixture
def night(clean_night, graph, tmp_path, monkeypatch) -> Night:
    """A copy of the clean night, the environment pointed at it, the sandbox without faults."""
    copy = clean_night[0].copy_to(tmp_path)
    point_at(monkeypatch, copy, graph.url)
    graph.faults.clear()
    graph.paging_loop = False
    yield copy
    graph.faults.clear()
    graph.paging_loop = False
