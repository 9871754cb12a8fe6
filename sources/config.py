"""The pipeline configuration (`config/pipeline.yml`): the shared sections of `core.settings` and one
section per source, loaded into typed, validated objects.

A bad file fails at start with a `ConfigError` that names the file and the key, so that nothing
runs on a half-understood configuration."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import yaml
from pydantic import AfterValidator, ValidationError, create_model

from core.paths import config_path
from core.settings import (
    ConfigError,
    HttpSettings,
    InboxSettle,
    MixSettings,
    Organisation,
    Quality,
    ReportDefinition,
    Schedule,
    Windows,
    _Strict,
    _unique_report_names,
)
from extractors.spec import ApiSource, InboxSource
from sources import ALL_SOURCES


def _section(source: ApiSource | InboxSource) -> tuple[type, object]:
    """A source's config section: inboxes are on unless turned off, API sources are configured
    with their accounts (a required one must be)."""
    model = source.settings_model
    if isinstance(source, InboxSource):
        return model, model()
    return (model, ...) if source.required else (model | None, None)


# One section per source of the registry, under its name.
Sources = create_model("Sources", __base__=_Strict, **{source.name: _section(source) for source in ALL_SOURCES})


class PipelineConfig(_Strict):
    organisation: Organisation
    schedule: Schedule
    windows: Windows = Windows()
    http: HttpSettings = HttpSettings()
    sources: Sources
    # When an inbox file counts as complete; each inbox source may override it.
    inboxes: InboxSettle = InboxSettle()
    quality: Quality = Quality()
    reports: Annotated[list[ReportDefinition], AfterValidator(_unique_report_names)] = []
    marketing_mix: MixSettings = MixSettings()


def _format_errors(path: Path, exc: ValidationError) -> str:
    lines = [f"{path}: invalid configuration ({exc.error_count()} problem(s)); fix these keys:"]
    for error in exc.errors():
        key = ".".join(str(part) for part in error["loc"]) or "(top level)"
        lines.append(f"  - {key}: {error['msg']}")
    return "\n".join(lines)


def load_config(path: Path | str | None = None) -> PipelineConfig:
    """Read and validate the configuration; raise `ConfigError` naming the file and key on any problem."""
    path = Path(path) if path is not None else config_path()
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(f"{path}: configuration file not found (set PIPELINE_CONFIG or create it)") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: expected a mapping of keys at the top level")
    try:
        return PipelineConfig.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(_format_errors(path, exc)) from exc
