"""docker-compose.yml, Dockerfile and .env.example, checked without Docker: the compose file against
the Compose Specification's JSON schema (tests/data/compose-spec.json: compose-spec/compose-spec's
schema/compose-spec.json at commit 00655e2222608fa6eaecdf12ac5195889ca2244a), the stack the README documents against the file, the connections
against config/pipeline.yml, and the image against uv.lock."""

from __future__ import annotations

import json
import re
import tomllib

import jsonschema
import pytest
import yaml

from core.paths import PROJECT_ROOT
from sources import API_SOURCES
from sources.config import load_config

COMPOSE_FILE = PROJECT_ROOT / "docker-compose.yml"
SCHEMA_FILE = PROJECT_ROOT / "tests" / "data" / "compose-spec.json"
ENV_EXAMPLE = PROJECT_ROOT / ".env.example"
DOCKERFILE = PROJECT_ROOT / "Dockerfile"
LOCK = PROJECT_ROOT / "uv.lock"
README = PROJECT_ROOT / "README.md"
README_SECTION = "## Production stack"
ONE_SHOT = ("airflow-init", "superset-init")


@pytest.fixture(scope="module")
def compose() -> dict:
    # PyYAML resolves the anchors and `<<` merge keys the way Compose does.
    return yaml.safe_load(COMPOSE_FILE.read_text())


@pytest.fixture(scope="module")
def env_example() -> dict[str, str]:
    """KEY=VALUE lines of .env.example, single quotes taken off as Compose does."""
    values = {}
    for line in ENV_EXAMPLE.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, _, value = line.partition("=")
            values[key.strip()] = value.strip().removeprefix("'").removesuffix("'")
    return values


def airflow_services(compose: dict) -> dict[str, dict]:
    return {name: service for name, service in compose["services"].items() if name.startswith("airflow-")}


def test_the_compose_file_follows_the_compose_specification(compose):
    schema = json.loads(SCHEMA_FILE.read_text())
    errors = sorted(jsonschema.Draft7Validator(schema).iter_errors(compose), key=lambda e: str(list(e.absolute_path)))
    assert not errors, "\n".join(f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in errors)


def test_the_schema_rejects_what_compose_rejects(compose):
    """The vendored schema is the real one: it refuses an unknown service key and a bad condition."""
    validator = jsonschema.Draft7Validator(json.loads(SCHEMA_FILE.read_text()))
    broken = {
        **compose,
        "services": {**compose["services"], "redis": {**compose["services"]["redis"], "helthcheck": {}}},
    }
    assert not validator.is_valid(broken)
    worker = compose["services"]["airflow-worker"]
    bad_condition = {**worker, "depends_on": {"redis": {"condition": "service_ready"}}}
    assert not validator.is_valid({**compose, "services": {**compose["services"], "airflow-worker": bad_condition}})


def test_every_long_running_service_has_a_health_check_and_dependencies_exist(compose):
    services = compose["services"]
    for name, service in services.items():
        if name not in ONE_SHOT:
            assert "test" in service.get("healthcheck", {}), f"{name} has no health check"
        for dependency, rule in (service.get("depends_on") or {}).items():
            assert dependency in services, f"{name} depends on unknown service {dependency}"
            wanted = "service_completed_successfully" if dependency in ONE_SHOT else "service_healthy"
            assert rule["condition"] == wanted, f"{name} -> {dependency}"
    for name, service in services.items():
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if not source.startswith((".", "/")):
                assert source in compose["volumes"], f"{name} mounts undeclared volume {source}"


def test_airflow_runs_celery_on_postgres_and_redis_from_the_project_image(compose):
    services = airflow_services(compose)
    assert set(services) == {
        "airflow-init",
        "airflow-apiserver",
        "airflow-scheduler",
        "airflow-dag-processor",
        "airflow-triggerer",
        "airflow-worker",
    }
    for name, service in services.items():
        env = service["environment"]
        assert service["build"]["dockerfile"] == "Dockerfile", name
        assert env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor", name
        assert env["AIRFLOW__CORE__LOAD_EXAMPLES"] == "false", name
        assert env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].startswith("postgresql+psycopg2://"), name
        assert env["AIRFLOW__CELERY__RESULT_BACKEND"].startswith("db+postgresql://"), name
        assert env["AIRFLOW__CELERY__BROKER_URL"].startswith("redis://redis:6379/"), name
        assert "_PIP_ADDITIONAL_REQUIREMENTS" not in env, name
        mounts = {volume.split(":")[1]: volume for volume in service["volumes"]}
        assert mounts[env["PIPELINE_DATA_DIR"]].startswith("./data:"), name
        assert mounts[env["AIRFLOW__CORE__DAGS_FOLDER"]].startswith("./dags:"), name
    commands = {name: service.get("command") for name, service in services.items()}
    assert commands["airflow-worker"] == "celery worker"
    assert "airflow db migrate" in " ".join(commands["airflow-init"])


def test_the_bi_service_reads_the_published_warehouse_read_only(compose, env_example):
    superset, init = compose["services"]["superset"], compose["services"]["superset-init"]
    mounts = {volume.split(":")[1]: volume for volume in superset["volumes"]}
    # The folder, read-only: a file mount would keep the old file after tonight's rename.
    assert mounts["/warehouse"] == "./data/warehouse:/warehouse:ro"
    uri = re.search(r"--uri \"([^\"]+)\"", " ".join(init["command"])).group(1)
    assert uri == "duckdb:////warehouse/marketing.duckdb?access_mode=read_only"
    # The DuckDB that reads the file is the one uv.lock pins for the pipeline that writes it.
    locked = {package["name"]: package["version"] for package in tomllib.loads(LOCK.read_text())["package"]}
    installed = dict(re.findall(r"\b(duckdb|duckdb-engine)==([\w.]+)", superset["build"]["dockerfile_inline"]))
    assert installed == {"duckdb": locked["duckdb"], "duckdb-engine": locked["duckdb-engine"]}


def test_the_image_installs_the_project_from_the_lock_file():
    lines = [line.strip() for line in DOCKERFILE.read_text().splitlines() if line.strip() and line[0] != "#"]
    installs = [line for line in lines if re.search(r"\b(uv sync|pip install|uv pip)\b", line)]
    syncs = [line for line in installs if "uv sync" in line]
    assert len(syncs) == 2 and all("--frozen" in line for line in syncs), installs
    # The only other install is uv itself.
    assert [line for line in installs if "uv sync" not in line and "uv==" not in line] == []
    assert any(line.startswith("COPY") and "uv.lock" in line for line in lines)


def test_every_connection_the_pipeline_names_is_in_env_example_and_nothing_else(env_example):
    config = load_config()
    wanted = {account.connection_id for source in API_SOURCES for account in source.accounts(config)}
    alerts = config.quality.alerts
    wanted |= {alerts.smtp_conn_id} | ({alerts.webhook_conn_id} if alerts.webhook_conn_id else set())
    given = {
        key.removeprefix("AIRFLOW_CONN_").lower(): value
        for key, value in env_example.items()
        if key.startswith("AIRFLOW_CONN_")
    }
    assert set(given) == wanted
    for connection_id, value in given.items():
        connection = json.loads(value)
        assert connection["conn_type"] in ("http", "smtp") and connection["host"], connection_id


def test_every_secret_compose_requires_is_in_env_example(compose, env_example):
    required = set(re.findall(r"\$\{(\w+):\?", COMPOSE_FILE.read_text()))
    assert required and required <= set(env_example)


def test_the_readme_documents_the_stack_as_the_file_defines_it(compose, env_example):
    text = README.read_text()
    start = text.find(f"\n{README_SECTION}")
    assert start >= 0, f"README.md has no '{README_SECTION}' section documenting docker-compose.yml"
    end = text.find("\n## ", start + 1)
    readme_section = text[start : end if end >= 0 else len(text)]
    compose_text = COMPOSE_FILE.read_text()
    table = re.findall(r"^\| `([\w-]+)` \|", readme_section, flags=re.MULTILINE)
    assert set(table) == set(compose["services"]), "the README's service table and docker-compose.yml differ"
    named = set(re.findall(r"`([\w./-]+)`", readme_section))
    volumes_paragraph = re.search(r"^Volumes:(.*?)(?:\n\n|$)", readme_section, flags=re.MULTILINE | re.DOTALL)
    assert volumes_paragraph, "the README's section has no 'Volumes:' paragraph"
    for volume in re.findall(r"`([\w./-]+)`", volumes_paragraph.group(1)):
        if volume.startswith("./"):
            assert f"- {volume}:" in compose_text, f"the README names {volume}, which no service mounts"
        else:
            assert volume in compose["volumes"], f"the README names volume {volume}, which docker-compose.yml lacks"
    variables = {name for name in named if re.fullmatch(r"[A-Z][A-Z0-9_]+", name)}
    assert variables, "the README names no setting"
    missing = {name for name in variables if name not in env_example and f"{name}:" not in compose_text}
    assert not missing, f"the README names settings neither .env.example nor docker-compose.yml has: {missing}"
