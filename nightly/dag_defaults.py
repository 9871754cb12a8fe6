"""What every DAG of the project shares: the default task arguments (retries with exponential
backoff, the failure alert) and `fail_fast`, the decorator that fails a task at once on the errors
retrying cannot fix."""

from __future__ import annotations

import functools

from sources.config import PipelineConfig


class RunRequestError(ValueError):
    """A run's params ask for something that does not exist (a report, a period)."""


def non_retryable_errors() -> tuple[type[BaseException], ...]:
    """Bad data, a bad file or request, a revoked token, a wrong setting, a folder the pipeline may
    not write: none heals by retrying. Imported on first use, so that parsing a DAG stays light."""
    from core.settings import ConfigError
    from core.storage import FolderNotWritableError
    from expectations.runner import QualityGateError
    from extractors.http import (
        InvalidParameterError,
        PagingLoopError,
        PermissionDeniedError,
        QuotaExceededError,
        TokenExpiredError,
    )
    from extractors.inbox import InboxFileError
    from mix.model import MixInputError
    from mix.results import MixFitRejected
    from nightly.connections import ConnectionConfigError, VariableConfigError
    from sources.employee_advocacy import PseudonymKeyError
    from warehouse.build import WarehouseBuildError

    return (
        QualityGateError,
        TokenExpiredError,
        PermissionDeniedError,
        QuotaExceededError,
        InvalidParameterError,
        PagingLoopError,
        InboxFileError,
        ConfigError,
        ConnectionConfigError,
        VariableConfigError,
        PseudonymKeyError,
        WarehouseBuildError,
        FolderNotWritableError,
        RunRequestError,
        MixInputError,
        MixFitRejected,
    )


def dag_default_args(config: PipelineConfig) -> dict:
    """What every task of the project's DAGs shares: retries with exponential backoff (config
    `schedule`) and the failure alert (email and webhook, config `quality.alerts`)."""
    from datetime import timedelta

    from nightly.alerts import on_task_failure

    return {
        "owner": "data-engineering",
        "retries": config.schedule.retries,
        "retry_delay": timedelta(seconds=config.schedule.retry_delay_seconds),
        "retry_exponential_backoff": True,
        "max_retry_delay": timedelta(seconds=config.schedule.max_retry_delay_seconds),
        "on_failure_callback": on_task_failure,
    }


def fail_fast(function):
    """Fail the task at once on a non-retryable error (AirflowFailException skips the retries), so
    the alert comes now, not after the backoff."""

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        try:
            return function(*args, **kwargs)
        except non_retryable_errors() as exc:
            from airflow.sdk.exceptions import AirflowFailException

            raise AirflowFailException(str(exc)) from exc

    return wrapper
