"""The nightly DAG on Airflow's scale-out stack, started for real on this machine: a metadata DB on
the local PostgreSQL, the CeleryExecutor with Redis as broker and Postgres as result backend, and
separate scheduler, dag-processor, Celery worker and API server processes, as docker-compose.yml
runs them in containers.

`celery_postgres_stack` starts the stack on a fresh database and stops every process it started
(and drops the database) however the block ends. The end-to-end test runs the DAG on it;
`make bench` calls `add_to_report` to set its wall time beside the LocalExecutor/SQLite figure."""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator, Mapping
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from benchmarks.stages import stage_seconds
from core.paths import DataPaths
from sandbox.demo import AIRFLOW, DAG_ID, airflow_environment
from sources.config import PipelineConfig

POSTGRES = "postgres@127.0.0.1:5432"
REDIS = "127.0.0.1:6379"
# Redis database for the broker; each stack also has its own queue, so stacks never share tasks.
REDIS_DB = 7
DAG_RUN_TIMEOUT_SECONDS = 480
WORKER_CONCURRENCY = 8


class StackError(RuntimeError):
    """The Celery/Postgres stack did not start or the DAG run did not finish."""


def services_unavailable() -> str | None:
    """Why the stack cannot run here (PostgreSQL or Redis unreachable), or None when both answer."""
    import psycopg2
    import redis

    try:
        psycopg2.connect(f"postgresql://{POSTGRES}/postgres", connect_timeout=3).close()
    except psycopg2.OperationalError as exc:
        return f"PostgreSQL is not reachable at {POSTGRES} (trust auth, user postgres): {str(exc).strip()}"
    try:
        redis.Redis.from_url(f"redis://{REDIS}/{REDIS_DB}", socket_connect_timeout=3).ping()
    except redis.RedisError as exc:
        return f"Redis is not reachable at {REDIS}: {exc}"
    return None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass(frozen=True)
class DagRunResult:
    dag_id: str
    run_id: str
    state: str
    seconds: float  # from the trigger request until the API reported the final state
    task_states: list[dict]


@dataclass
class CeleryStack:
    database: str
    queue: str
    airflow_home: Path
    # Every component's environment: commands run with it talk to the same metadata DB and broker.
    env: dict[str, str]
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)

    @property
    def api_url(self) -> str:
        return self.env["AIRFLOW__API__BASE_URL"]

    def log(self, component: str) -> Path:
        """The file a component's output goes to."""
        return self.airflow_home / f"{component}.log"

    def request(self, method: str, path: str, **kwargs) -> dict:
        import requests

        response = requests.request(method, f"{self.api_url}{path}", timeout=30, **kwargs)
        if response.status_code >= 400:
            raise StackError(f"{method} {path} answered {response.status_code}: {response.text[:1000]}")
        return response.json()

    def cli(self, *args: str) -> str:
        """Run `airflow <args>` as an operator would beside the stack; its output, or StackError with it."""
        done = subprocess.run([AIRFLOW, *args], env=self.env, capture_output=True, text=True)
        if done.returncode != 0:
            output = (done.stdout + done.stderr)[-3000:]
            raise StackError(
                f"airflow {' '.join(args)} exited with code {done.returncode} on {self.database}:\n{output}"
            )
        return done.stdout

    def wait_for_dag(self, dag_id: str, timeout: float = 180) -> None:
        """Wait until the dag-processor has parsed and stored the DAG."""
        import requests

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if requests.get(f"{self.api_url}/api/v2/dags/{dag_id}", timeout=30).status_code == 200:
                return
            time.sleep(1)
        errors = self.request("GET", "/api/v2/importErrors").get("import_errors", [])
        raise StackError(
            f"{dag_id} was not parsed within {timeout:.0f} s; import errors: {errors or 'none'}; "
            f"see {self.log('dag-processor')}"
        )

    def run_dag(self, dag_id: str, logical_date: datetime, timeout: float = DAG_RUN_TIMEOUT_SECONDS) -> DagRunResult:
        """Unpause the DAG, trigger a run for `logical_date` through the REST API and wait for it to end."""
        self.wait_for_dag(dag_id)
        self.request("PATCH", f"/api/v2/dags/{dag_id}", json={"is_paused": False})
        started = time.monotonic()
        run = self.request("POST", f"/api/v2/dags/{dag_id}/dagRuns", json={"logical_date": logical_date.isoformat()})
        run_id = run["dag_run_id"]
        state = run["state"]
        while state not in ("success", "failed") and time.monotonic() - started < timeout:
            time.sleep(1)
            self.check_alive()
            state = self.request("GET", f"/api/v2/dags/{dag_id}/dagRuns/{run_id}")["state"]
        seconds = time.monotonic() - started
        tasks = self.request("GET", f"/api/v2/dags/{dag_id}/dagRuns/{run_id}/taskInstances", params={"limit": 200})
        return DagRunResult(dag_id, run_id, state, seconds, tasks["task_instances"])

    def check_alive(self) -> None:
        """Fail at once, with its log, when a component has exited."""
        for name, process in self.processes.items():
            if process.poll() is not None:
                raise StackError(
                    f"airflow {name} exited with code {process.returncode}:\n" + "\n".join(_tail(self.log(name), 40))
                )

    def describe(self, result: DagRunResult) -> str:
        """The run's task states and the tail of every component's log, for a failure message."""
        lines = [f"{result.dag_id} run {result.run_id}: {result.state} after {result.seconds:.0f} s"]
        for ti in sorted(result.task_states, key=lambda ti: (ti["task_id"], ti["map_index"])):
            index = f"[{ti['map_index']}]" if ti["map_index"] >= 0 else ""
            lines.append(f"  {ti['task_id']}{index}: {ti['state']} (try {ti['try_number']}, {ti.get('hostname')})")
        for name in self.processes:
            lines += [f"--- {name} ({self.log(name)}), last lines:", *_tail(self.log(name), 30)]
        task_logs = sorted((self.airflow_home / "logs").rglob("*.log"))
        failed = [p for p in task_logs if any(f"task_id={ti['task_id']}" in str(p) for ti in _failed(result))]
        for log in failed[:3]:
            lines += [f"--- task log {log}:", *_tail(log, 40)]
        return "\n".join(lines)


def _failed(result: DagRunResult) -> list[dict]:
    return [ti for ti in result.task_states if ti["state"] not in ("success", "skipped")]


def _tail(path: Path, lines: int) -> list[str]:
    return path.read_text(errors="replace").splitlines()[-lines:] if path.exists() else ["(no log)"]


def stack_environment(
    sandbox_urls: Mapping[str, str], config: PipelineConfig, paths: DataPaths, home: Path, database: str, queue: str
) -> dict[str, str]:
    """The demo's environment (project DAGs, connections to the sandbox) on Postgres and Celery."""
    api_port = free_port()
    metadata_db = f"postgresql+psycopg2://{POSTGRES}/{database}"
    return {
        **airflow_environment(sandbox_urls, config, airflow_home=home),
        "PIPELINE_DATA_DIR": str(paths.root),
        "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": metadata_db,
        "AIRFLOW__CELERY__BROKER_URL": f"redis://{REDIS}/{REDIS_DB}",
        "AIRFLOW__CELERY__RESULT_BACKEND": f"db+{metadata_db}",
        "AIRFLOW__OPERATORS__DEFAULT_QUEUE": queue,
        "AIRFLOW__API__PORT": str(api_port),
        "AIRFLOW__API__BASE_URL": f"http://127.0.0.1:{api_port}",
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{api_port}/execution/",
        # Every component must sign and check task tokens with the same secret.
        "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_urlsafe(32),
        "AIRFLOW__API__SECRET_KEY": secrets.token_urlsafe(32),
        # The simple auth manager with everyone an admin: the REST API answers without a login, which
        # is what a test on loopback needs (docker-compose.yml sets real users instead).
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "True",
        # Only the run the caller triggers: no scheduled run for today's 04:30 beside it.
        "AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE": "False",
        "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(free_port()),
    }


@contextmanager
def celery_postgres_stack(
    sandbox_urls: Mapping[str, str], config: PipelineConfig, paths: DataPaths, home: Path
) -> Iterator[CeleryStack]:
    """Create a metadata database, migrate it, start scheduler, dag-processor, Celery worker and API
    server; yield the stack; stop every process started and drop the database, whatever happens."""
    suffix = secrets.token_hex(4)
    database, queue = f"airflow_celery_{suffix}", f"nightly_{suffix}"
    home.mkdir(parents=True, exist_ok=True)
    env = stack_environment(sandbox_urls, config, paths, home, database, queue)
    components = {
        "scheduler": [AIRFLOW, "scheduler"],
        "dag-processor": [AIRFLOW, "dag-processor"],
        # The worker's own hostname keeps it apart from any other worker on this broker.
        "celery-worker": [
            AIRFLOW,
            "celery",
            "worker",
            "--queues",
            queue,
            "--celery-hostname",
            f"{queue}@%h",
            "--concurrency",
            str(WORKER_CONCURRENCY),
            "--skip-serve-logs",
        ],
        "api-server": [AIRFLOW, "api-server", "--host", "127.0.0.1", "--port", env["AIRFLOW__API__PORT"]],
    }
    stack = CeleryStack(database, queue, home, env)
    with ExitStack() as cleanup:
        _postgres(f'create database "{database}"')
        cleanup.callback(_postgres, f'drop database if exists "{database}" with (force)')
        cleanup.callback(_forget_queue, queue)
        migrate = subprocess.run([AIRFLOW, "db", "migrate"], env=env, capture_output=True, text=True)
        if migrate.returncode != 0:
            raise StackError(f"airflow db migrate on {database} failed:\n{(migrate.stdout + migrate.stderr)[-3000:]}")
        cleanup.callback(_stop, stack.processes.values())
        for name, command in components.items():
            stack.processes[name] = _start(command, env, stack.log(name))
        _wait_until_healthy(stack)
        yield stack


def _start(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    with open(log, "w") as out:
        # A session of its own: stopping the process group stops the component's children too
        # (Celery's pool, the API server's workers, task supervisors).
        return subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)


def _stop(processes: Iterable[subprocess.Popen], grace_seconds: float = 30) -> None:
    """SIGTERM every component's process group, wait for them together, then SIGKILL what is left
    (children may outlive their parent)."""
    processes = list(processes)
    for process in processes:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
    deadline = time.monotonic() + grace_seconds
    for process in processes:
        with suppress(subprocess.TimeoutExpired):
            process.wait(timeout=max(deadline - time.monotonic(), 0.1))
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def _wait_until_healthy(stack: CeleryStack, timeout: float = 120) -> None:
    import requests

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        stack.check_alive()
        try:
            health = requests.get(f"{stack.api_url}/api/v2/monitor/health", timeout=5)
        except requests.ConnectionError:
            health = None
        if health is not None and health.ok and health.json()["scheduler"]["status"] == "healthy":
            return
        time.sleep(1)
    raise StackError(f"the API server at {stack.api_url} did not report a healthy scheduler within {timeout:.0f} s")


def _postgres(statement: str) -> None:
    """Run one statement as the postgres superuser, outside a transaction (CREATE/DROP DATABASE)."""
    import psycopg2

    connection = psycopg2.connect(f"postgresql://{POSTGRES}/postgres", connect_timeout=5)
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            cursor.execute(statement)
    finally:
        connection.close()


def _forget_queue(queue: str) -> None:
    """Remove the queue's keys from the broker (its list and Kombu's bindings)."""
    import redis

    client = redis.Redis.from_url(f"redis://{REDIS}/{REDIS_DB}")
    keys = list(client.scan_iter(match=f"*{queue}*"))
    if keys:
        client.delete(*keys)


def measure(scale: float, logical_date: datetime) -> dict:
    """The first night (90-day backfill) of the demo world on the Celery/Postgres stack, in a fresh
    data folder: the DAG's wall time from trigger to success."""
    from core.windows import partition_date_for
    from sandbox import registry
    from sandbox.demo import stage_inboxes
    from sources.config import load_config

    config = load_config()
    with tempfile.TemporaryDirectory(prefix="bench-celery-") as tmp, ExitStack() as servers:
        paths = DataPaths(Path(tmp) / "data")
        stage_inboxes(config, paths, partition_date_for(logical_date, config.organisation.tz))
        urls = {}
        for name in registry.platforms():
            server = registry.create(name, scale=scale).start()
            servers.callback(server.stop)
            urls[name] = server.base_url
        with celery_postgres_stack(urls, config, paths, Path(tmp) / "airflow") as stack:
            result = stack.run_dag(DAG_ID, logical_date)
            if result.state != "success":
                raise StackError(stack.describe(result))
    return {
        "dag_run_seconds": round(result.seconds, 1),
        "tasks": len(result.task_states),
        "stages_seconds": stage_seconds((ti["task_id"], ti["start_date"], ti["end_date"]) for ti in result.task_states),
    }


def add_to_report(out: Path) -> dict:
    """Measure the Celery/Postgres night and add it, beside the LocalExecutor/SQLite first night, to
    the report `benchmarks.run` wrote in `out` (same scale, same logical date). A stack that cannot
    run is reported, not raised: the other figures stand."""
    report_json = out / "report.json"
    figures = json.loads(report_json.read_text())
    local = figures["first night (90-day backfill)"]
    problem = services_unavailable()
    if problem is None:
        try:
            celery = measure(figures["scale"], datetime.fromisoformat(figures["logical_date"]))
        except StackError as exc:
            problem = f"the run failed: {exc}"
            print(problem, file=sys.stderr)
    if problem is not None:
        celery = {"not_measured": problem.splitlines()[0]}
    lines = [
        "## Executors: first night (90-day backfill)",
        "",
        f"- LocalExecutor, SQLite metadata DB (`airflow dags test`, one process): {local['dag_run_seconds']} s "
        f"({_stages(local['stages_seconds'])})",
        "- CeleryExecutor (Redis broker, Postgres result backend), Postgres metadata DB, one worker with "
        f"concurrency {WORKER_CONCURRENCY}, trigger to success through the REST API: "
        + (
            f"{celery['dag_run_seconds']} s ({celery['tasks']} task instances; {_stages(celery['stages_seconds'])})"
            if problem is None
            else f"not measured ({celery['not_measured']})"
        ),
    ]
    report_json.write_text(json.dumps({**figures, "celery_postgres": celery}, indent=2, default=str))
    section = "\n".join(lines)
    with open(out / "report.md", "a", encoding="utf-8") as report:
        report.write("\n" + section + "\n")
    print(section)
    return celery


def _stages(seconds: dict[str, float]) -> str:
    return ", ".join(f"{stage} {value} s" for stage, value in seconds.items())
