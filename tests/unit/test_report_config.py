"""Report definitions are validated when the configuration loads: a bad recipient or a filter value
the dbt seeds do not know stops everything with a message naming the file, the report and the key."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from core.paths import PROJECT_ROOT
from core.settings import ConfigError, EmailTarget, FolderTarget
from sources.config import load_config

SHIPPED = PROJECT_ROOT / "config" / "pipeline.yml"


def write_config(tmp_path: Path, mutate) -> Path:
    raw = yaml.safe_load(SHIPPED.read_text())
    mutate(raw["reports"])
    path = tmp_path / "pipeline.yml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True))
    return path


def test_shipped_reports_are_a_weekly_and_a_monthly_definition():
    reports = {report.name: report for report in load_config(SHIPPED).reports}
    weekly, monthly = reports["weekly_social_performance"], reports["monthly_marketing_roi"]
    assert (weekly.schedule, weekly.period.unit) == ("0 7 * * 1", "week")
    assert (monthly.schedule, monthly.period.unit) == ("0 7 1 * *", "month")
    assert weekly.filter.channel_group == ["organic_social", "paid_social"]
    # The page "What each channel adds" is the monthly review's.
    assert monthly.incremental_roi and not weekly.incremental_roi
    # So is the ambassadors page (a month's advocacy program).
    assert monthly.ambassadors and not weekly.ambassadors
    for report in (weekly, monthly):
        assert set(report.formats) == {"pdf", "xlsx", "csv"} and report.recipients and report.skip_if_no_data
        assert [type(target) for target in report.targets] == [EmailTarget, FolderTarget]


def _set(index: int, **values):
    return lambda reports: reports[index].update(values)


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (
            _set(0, recipients=["social-team@cedarvalleyhealth.org", "bob@"]),
            ["weekly_social_performance", "recipients", "'bob@' is not an email address"],
        ),
        (
            _set(1, recipients=["Director <director@cedarvalleyhealth.org>"]),
            ["monthly_marketing_roi", "recipients", "is not an email address"],
        ),
        (
            _set(1, filter={"objective": "flu_shots"}),
            ["monthly_marketing_roi", "filter.objective", "'flu_shots'", "dbt/seeds/objectives.csv", "flu_shot_drive"],
        ),
        (
            _set(0, filter={"campaign": ["flu-shot-2026", "spring-gala"]}),
            ["weekly_social_performance", "filter.campaign", "'spring-gala'", "dbt/seeds/campaigns.csv"],
        ),
        (
            _set(0, filter={"service_line": "dermatology"}),
            ["filter.service_line", "'dermatology'", "dbt/seeds/campaigns.csv", "cardiology"],
        ),
        (
            _set(0, filter={"channel_group": "earned_media"}),
            ["filter.channel_group", "'earned_media'", "dbt/seeds/channels.csv", "paid_social"],
        ),
        (_set(0, filter={"region": "north"}), ["reports.0.filter.region", "Extra inputs are not permitted"]),
        (_set(0, schedule="every monday"), ["reports.0.schedule", "not a valid cron expression"]),
        (_set(0, period={"unit": "fortnight"}), ["reports.0.period.unit"]),
        (_set(0, formats=["pdf", "docx"]), ["reports.0.formats"]),
        (_set(0, formats=["pdf", "pdf"]), ["weekly_social_performance", "formats lists a format twice"]),
        (_set(0, recipients=[]), ["weekly_social_performance", "targets has email but recipients is empty"]),
        (
            _set(0, targets=[{"type": "folder", "path": "out"}]),
            ["weekly_social_performance", "recipients are set but targets has no email target"],
        ),
        (
            _set(0, targets=[{"type": "object_storage", "url": "bucket/reports"}]),
            ["reports.0.targets.0.object_storage.url"],
        ),
        (lambda reports: reports.append(dict(reports[0])), ["duplicate report name(s): weekly_social_performance"]),
    ],
)
def test_bad_definition_fails_at_load_naming_file_report_and_key(tmp_path, mutate, expected):
    path = write_config(tmp_path, mutate)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    message = str(caught.value)
    assert str(path) in message
    for part in expected:
        assert part in message


def test_filters_and_targets_that_the_seeds_and_storage_know_load(tmp_path):
    def mutate(reports):
        reports[1].update(
            filter={"objective": ["service_line_growth", "new_clinic"], "service_line": "cardiology"},
            period={"unit": "month", "count": 3},
            targets=[
                {"type": "email", "conn_id": "smtp_relay"},
                {"type": "object_storage", "url": "s3://cvh-marketing/reports", "conn_id": "aws_reports"},
            ],
        )

    report = load_config(write_config(tmp_path, mutate)).reports[1]
    assert report.filter.items() == [
        ("objective", ["service_line_growth", "new_clinic"]),
        ("service_line", ["cardiology"]),
    ]
    assert report.period.count == 3
    assert report.targets[0].conn_id == "smtp_relay" and report.targets[1].url == "s3://cvh-marketing/reports"


def test_a_configuration_without_reports_still_loads(tmp_path):
    raw = yaml.safe_load(SHIPPED.read_text())
    del raw["reports"]
    path = tmp_path / "pipeline.yml"
    path.write_text(yaml.safe_dump(raw))
    assert load_config(path).reports == []
