"""Fixtures shared by every test layer."""

from __future__ import annotations

import importlib
import os
import tempfile
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, time

import pytest

# Airflow reads its home when first imported: keep the tests' metadata and config out of ~/airflow.
os.environ.setdefault("AIRFLOW_HOME", tempfile.mkdtemp(prefix="airflow-home-tests-"))
os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
os.environ.setdefault("DO_NOT_TRACK", "1")

from core.paths import DataPaths, data_paths
from nightly.extract import extract
from sandbox.facebook import GraphSandbox as SandboxServer

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


# The run of the 21st lands the 20th, the sandbox's "today" at noon UTC.
ROI_LOGICAL_DATE = datetime(2026, 11, 21, 10, 30, tzinfo=UTC)


@pytest.fixture(scope="session")
def roi_env(tmp_path_factory):
    """A sandbox day of organic Facebook, Meta ads, GA4, the media plan and the call log, landed by
    their extractors, gated, built and published: (paths, run context). Read it, never change it:
    the tests that share it rely on it as built."""
    from core.landing import RunContext
    from core.windows import partition_date_for
    from sandbox import registry
    from sources.config import load_config

    root = tmp_path_factory.mktemp("roi") / "data"
    with (
        pytest.MonkeyPatch.context() as patch,
        SandboxServer(now=SANDBOX_NOW) as graph,
        registry.create("meta_ads", now=SANDBOX_NOW) as ads_sandbox,
        registry.create("ga4", now=SANDBOX_NOW) as ga4_sandbox,
    ):
        patch.setenv("PIPELINE_DATA_DIR", str(root))
        paths = data_paths()
        config = load_config()
        ctx = RunContext.now(partition_date_for(ROI_LOGICAL_DATE, config.organisation.tz), "manual__roi")
        land_api_sources(
            paths,
            config,
            ctx,
            [
                ("facebook_pages", graph.url, "sandbox-page-token"),
                ("meta_ads", ads_sandbox.url, _sandbox_token("meta_ads")),
                ("ga4", ga4_sandbox.url, _sandbox_token("ga4")),
            ],
        )
        finish_roi_night(paths, config, ctx.partition_date, "manual__roi")
        yield paths, ctx


def land_api_sources(paths, config, ctx, sandboxes: list[tuple[str, str, str]]) -> None:
    """Land each API source's accounts from its sandbox (`sandboxes`: source name, sandbox URL,
    token) through its extractor, logged as the nightly task logs it."""
    from extractors.http import ApiEndpoint
    from nightly.extraction_log import logged_extraction
    from sources import SOURCES_BY_NAME

    for name, url, token in sandboxes:
        settings = getattr(config.sources, name)
        for account in settings.accounts:
            version = SOURCES_BY_NAME[name].connection.default_api_version or ""
            endpoint = ApiEndpoint(url, token, version, account.connection_id)
            with logged_extraction(name, account.id, ctx, paths.landing) as outcome:
                outcome.record(
                    extract(
                        SOURCES_BY_NAME[name],
                        account,
                        endpoint,
                        settings,
                        config.windows,
                        config.http,
                        ctx,
                        config.organisation.tz,
                        paths.landing,
                    )
                )


def finish_roi_night(paths, config, day, run_id: str) -> None:
    """The rest of a roi_env night once the API extracts landed: the inboxes staged and landed (the
    advocacy export under the sandbox's pseudonymisation key), the landing gate, the build (without
    docs), the mart gate and the publish."""
    from nightly import tasks
    from sandbox.demo import DEMO_PSEUDONYM_KEY, stage_inboxes
    from warehouse import build as warehouse

    stage_inboxes(config, paths, day)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AIRFLOW_VAR_ADVOCACY_PSEUDONYM_KEY", DEMO_PSEUDONYM_KEY)
        for inbox in ("traditional_media", "call_tracking", "marketing_history", "employee_advocacy"):
            tasks.extract_inbox(inbox, ROI_LOGICAL_DATE, run_id)
    tasks.landing_gate(ROI_LOGICAL_DATE, run_id, paths)
    warehouse.build(paths, config, day, docs=False)
    tasks.mart_gate(ROI_LOGICAL_DATE, run_id, paths)
    tasks.publish(paths)


# -- inbox sources: one night's landing of an inbox folder ------------------------------------


@pytest.fixture
def dirs(tmp_path):
    """An inbox folder (created), its quarantine and a landing root: (inbox, quarantine, landing)."""
    inbox, quarantine, landing = tmp_path / "inbox", tmp_path / "quarantine", tmp_path / "landing"
    inbox.mkdir()
    return inbox, quarantine, landing


def land_inbox_night(spec, dirs, day: date, run_id: str = "manual__1"):
    """Land an inbox source's folder (`spec`: its `Inbox`) as the run of `day` at 05:00 UTC does."""
    from core.landing import RunContext

    inbox, quarantine, landing = dirs
    return spec.land(inbox, quarantine, RunContext(day, run_id, datetime.combine(day, time(5), tzinfo=UTC)), landing)


def landed_snapshot(spec, dirs, day: date):
    """The one snapshot file an inbox source landed for `day`, read."""
    from core import storage
    from core.landing import partition_files

    files = partition_files(spec.source, spec.entity, day, dirs[2])
    assert [f.relative_to(storage.location(dirs[2])).as_posix() for f in files] == [
        f"{spec.source}/{spec.entity}/date={day.isoformat()}/{spec.part}.parquet"
    ]
    return storage.read_table(files[0])


def _sandbox_token(platform: str) -> str:
    return importlib.import_module(f"sandbox.{platform}").DEFAULT_TOKEN


class Mailbox:
    """A real SMTP server on loopback (aiosmtpd) that keeps what it accepts and can refuse the next
    messages with a 451, as a busy relay does. `connection()` is the Airflow SMTP connection to it."""

    def __init__(self) -> None:
        self.messages: list = []  # (recipients, email.message.EmailMessage)
        self.refuse_next = 0
        self.port = 0

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        import email
        from email import policy

        if self.refuse_next:
            self.refuse_next -= 1
            return "451 4.3.0 Mailbox temporarily unavailable, try again later"
        self.messages.append(
            (list(envelope.rcpt_tos), email.message_from_bytes(envelope.content, policy=policy.default))
        )
        return "250 OK"

    def connection(self, from_email: str = "pipeline@cedarvalleyhealth.org") -> str:
        import json

        # retry_limit 0: the hook does not resend by itself; the Airflow task retry does.
        extra = {"disable_ssl": True, "disable_tls": True, "from_email": from_email, "retry_limit": 0}
        return json.dumps({"conn_type": "smtp", "host": "127.0.0.1", "port": self.port, "extra": extra})


@pytest.fixture
def mail_server() -> Iterator[Mailbox]:
    import socket

    from aiosmtpd.controller import Controller

    mailbox = Mailbox()
    # aiosmtpd checks that it is up by connecting to the port it was given, so it needs a real one.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        mailbox.port = probe.getsockname()[1]
    controller = Controller(mailbox, hostname="127.0.0.1", port=mailbox.port)
    controller.start()
    yield mailbox
    controller.stop()
