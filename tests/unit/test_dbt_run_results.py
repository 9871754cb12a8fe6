"""What the build logs from dbt's run_results.json: the nodes that failed, by name and with dbt's
message, the ones that warned, and the slowest models of a build."""

from __future__ import annotations

import json
import logging

from warehouse.build import ANSI_ESCAPE, log_run_results


def _result(unique_id: str, status: str, seconds: float = 0.1, message: str | None = None) -> dict:
    return {"unique_id": unique_id, "status": status, "execution_time": seconds, "message": message}


def _write(tmp_path, results: list[dict]):
    path = tmp_path / "run_results.json"
    path.write_text(json.dumps({"results": results}))
    return path


def test_a_failing_model_and_test_are_named_with_their_message_and_the_slowest_models_listed(tmp_path, caplog):
    results = _write(
        tmp_path,
        [
            _result("model.marketing_roi.stg_ga4__sessions", "success", 0.4),
            _result("model.marketing_roi.fct_channel_daily", "success", 6.2),
            _result(
                "model.marketing_roi.mart_roi",
                "error",
                1.5,
                "Runtime Error in model mart_roi\n  Conversion Error: Could not convert string 'x' to DECIMAL",
            ),
            _result(
                "test.marketing_roi.unique_mart_roi_key.1a2b", "fail", 0.2, "Got 3 results, configured to fail if != 0"
            ),
            _result("test.marketing_roi.unmapped_campaign_keys.3c4d", "warn", 0.1, "Got 1 result"),
            _result(
                "test.marketing_roi.assert_engagement_mapping_matches_the_metric_contract", "fail", 0.1, "Got 1 result"
            ),
            _result("unit_test.marketing_roi.mart_roi.roi_formula", "fail", 0.1, "actual differs from expected"),
            _result("model.marketing_roi.mart_social_posts", "skipped", 0.0),
        ],
    )
    with caplog.at_level(logging.INFO, logger="warehouse.build"):
        failures = log_run_results("build", results)

    assert failures == [
        "model mart_roi error: Runtime Error in model mart_roi Conversion Error: Could not convert string 'x' to DECIMAL",
        "test unique_mart_roi_key fail: Got 3 results, configured to fail if != 0",
        "test assert_engagement_mapping_matches_the_metric_contract fail: Got 1 result",
        "unit_test mart_roi.roi_formula fail: actual differs from expected",
    ]
    logged = {(record.levelname, record.getMessage()) for record in caplog.records}
    assert {("ERROR", f"dbt build: {failure}") for failure in failures} <= logged
    assert ("WARNING", "dbt build: test unmapped_campaign_keys warn: Got 1 result") in logged
    slowest = next(message for level, message in logged if "slowest models" in message)
    assert slowest.startswith(
        "dbt build: slowest models: fct_channel_daily 6.2 s, mart_roi 1.5 s, stg_ga4__sessions 0.4 s"
    )


def test_a_command_that_wrote_no_results_logs_nothing(tmp_path, caplog):
    with caplog.at_level(logging.INFO, logger="warehouse.build"):
        assert log_run_results("build", tmp_path / "run_results.json") == []
    assert not caplog.records


def test_docs_generation_lists_no_slowest_models(tmp_path, caplog):
    results = _write(tmp_path, [_result("model.marketing_roi.mart_roi", "success", 0.01)])
    with caplog.at_level(logging.INFO, logger="warehouse.build"):
        assert log_run_results("docs generate --static", results) == []
    assert not caplog.records


def test_colour_codes_are_taken_out_of_dbts_output():
    line = "\x1b[0m18:02:48  Done. PASS=47 \x1b[31mERROR=2\x1b[0m SKIP=0 TOTAL=49"
    assert ANSI_ESCAPE.sub("", line) == "18:02:48  Done. PASS=47 ERROR=2 SKIP=0 TOTAL=49"
