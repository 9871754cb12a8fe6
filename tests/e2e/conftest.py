"""Fixtures of the end-to-end nightly runs: every platform sandbox on one fixed clock and the
scheduled run of that clock's day, so a run lands the same day with the same data whatever the
date the tests run on (on the real clock, the day landed changed daily and, near midnight in the
organisation's timezone, between the run's start and the sandboxes' answers)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import pytest

from tests.conftest import SANDBOX_NOW


@pytest.fixture
def fixed_clock_sandboxes() -> Iterator[dict]:
    """Every registered platform sandbox with `now` fixed at SANDBOX_NOW: {platform: server}."""
    from sandbox import registry

    servers = {}
    try:
        for name in registry.platforms():
            servers[name] = registry.create(name, now=SANDBOX_NOW).start()
        yield servers
    finally:
        for server in servers.values():
            server.stop()


@pytest.fixture
def nightly_logical_date() -> datetime:
    """The nightly run scheduled on the sandbox clock's day (before SANDBOX_NOW): it lands the day before."""
    from sandbox.demo import demo_logical_date
    from sources.config import load_config

    config = load_config()
    logical_date = demo_logical_date(config, SANDBOX_NOW.astimezone(config.organisation.tz).date())
    assert logical_date <= SANDBOX_NOW, "the run the sandboxes answer has already been scheduled"
    return logical_date
