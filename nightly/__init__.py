"""The nightly run: its tasks, the one extract runner, the gates, alerts and the extraction log."""

# The nightly DAG's id, which its alerts, the demo and the benchmarks name it by.
DAG_ID = "nightly_marketing"
