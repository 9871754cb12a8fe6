"""Fixtures shared by every test layer."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import pytest

# Airflow reads its home when first imported: keep the tests' metadata and config out of ~/airflow.
os.environ.setdefault("AIRFLOW_HOME", tempfile.mkdtemp(prefix="airflow-home-tests-"))
os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
os.environ.setdefault("DO_NOT_TRACK", "1")

from pipeline.paths import DataPaths, data_paths
from sandbox.server import SandboxServer

# The sandbox clock in tests: a fixed instant, so that ground truth and landed data agree exactly.
SANDBOX_NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


@pytest.fixture
def make_sandbox() -> Iterator[Callable[..., SandboxServer]]:
    """Start sandbox servers with any `SandboxServer` arguments (`now` defaults to SANDBOX_NOW);
    every server started is stopped at teardown."""
    started: list[SandboxServer] = []

    def make(**kwargs: object) -> SandboxServer:
        kwargs.setdefault("now", SANDBOX_NOW)
        server = SandboxServer(**kwargs).start()  # type: ignore[arg-type]
        started.append(server)
        return server

    yield make
    for server in started:
        server.stop()


@pytest.fixture
def sandbox(make_sandbox: Callable[..., SandboxServer]) -> SandboxServer:
    """A started Graph API sandbox with the default world and a fixed clock."""
    return make_sandbox()


@pytest.fixture
def data_dir(tmp_path, monkeypatch) -> DataPaths:
    """PIPELINE_DATA_DIR pointed at a fresh temporary folder."""
    monkeypatch.setenv("PIPELINE_DATA_DIR", str(tmp_path / "data"))
    return data_paths()


@pytest.fixture
def every_sandbox() -> Iterator[dict]:
    """Every registered platform sandbox on the real clock, as the demo runs them: {platform: server}.
    (Platforms that check request windows against "now", like LinkedIn's end <= now - 2 days,
    must share the pipeline's clock.)"""
    from sandbox import registry

    servers = {name: registry.create(name).start() for name in registry.platforms()}
    yield servers
    for server in servers.values():
        server.stop()
