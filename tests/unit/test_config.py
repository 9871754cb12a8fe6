from pathlib import Path

import pytest
import yaml

from core.paths import PROJECT_ROOT
from core.settings import ConfigError
from sources.config import load_config

SHIPPED = PROJECT_ROOT / "config" / "pipeline.yml"


def write_config(tmp_path: Path, mutate) -> Path:
    raw = yaml.safe_load(SHIPPED.read_text())
    mutate(raw)
    path = tmp_path / "pipeline.yml"
    path.write_text(yaml.safe_dump(raw))
    return path


def test_shipped_config_loads():
    config = load_config(SHIPPED)
    assert config.organisation.timezone == "America/Chicago"
    assert len(config.sources.facebook_pages.accounts) == 2
    assert config.windows.backfill_days >= config.windows.lookback_days


@pytest.mark.parametrize(
    ("mutate", "named_key"),
    [
        (lambda raw: raw["organisation"].update(timezone="Mars/Olympus"), "organisation.timezone"),
        (lambda raw: raw["schedule"].update(cron="every night"), "schedule.cron"),
        (lambda raw: raw["windows"].update(lookback_dayz=3), "windows.lookback_dayz"),
        (lambda raw: raw["windows"].update(backfill_days=0), "windows.backfill_days"),
        (lambda raw: raw["sources"]["facebook_pages"]["accounts"][0].pop("connection_id"), "connection_id"),
        (lambda raw: raw["sources"]["facebook_pages"].update(accounts=[]), "sources.facebook_pages.accounts"),
        (
            lambda raw: raw["sources"]["facebook_pages"]["accounts"].append(
                dict(raw["sources"]["facebook_pages"]["accounts"][0])
            ),
            "duplicate account id",
        ),
    ],
)
def test_bad_config_names_the_key(tmp_path, mutate, named_key):
    path = write_config(tmp_path, mutate)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    message = str(caught.value)
    assert str(path) in message
    assert named_key in message


def test_missing_and_malformed_files(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "absent.yml")
    broken = tmp_path / "broken.yml"
    broken.write_text("organisation: [unclosed")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(broken)
