# The Airflow image of docker-compose.yml: Python 3.11 with every dependency exactly as uv.lock pins
# it (the environment `make` builds in .venv), and the project itself. One image serves the API
# server, scheduler, dag-processor, triggerer and Celery workers; the service's command picks the
# component (`airflow <command>`).
FROM python:3.11-slim-bookworm

ARG UV_VERSION=0.13.9
ARG AIRFLOW_UID=50000
# Optional extras of pyproject.toml to install too, as uv flags: "--extra s3" for a landing zone on S3.
ARG UV_EXTRAS=""

ENV AIRFLOW_HOME=/opt/airflow \
    PIPELINE_DATA_DIR=/opt/project/data \
    UV_PROJECT_ENVIRONMENT=/opt/project/.venv \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    PATH=/opt/project/.venv/bin:$PATH \
    PYTHONUNBUFFERED=1

RUN pip install --no-cache-dir "uv==${UV_VERSION}" \
    && useradd --uid "${AIRFLOW_UID}" --gid 0 --home-dir "${AIRFLOW_HOME}" --create-home airflow

WORKDIR /opt/project

# The dependencies first, from the lock alone: this layer is rebuilt only when the lock changes.
COPY pyproject.toml uv.lock ./
RUN uv sync --frozen --no-dev --no-install-project --no-cache ${UV_EXTRAS}

# Then the project (editable, so that dags/, dbt/ and config/ are read from /opt/project).
COPY . .
RUN uv sync --frozen --no-dev --no-cache ${UV_EXTRAS} \
    && mkdir -p data "${AIRFLOW_HOME}/logs" \
    && chown -R "${AIRFLOW_UID}:0" data "${AIRFLOW_HOME}" \
    && chmod -R g+rwX data "${AIRFLOW_HOME}"

USER ${AIRFLOW_UID}
EXPOSE 8080
ENTRYPOINT ["airflow"]
CMD ["version"]
