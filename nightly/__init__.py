"""The nightly run: its tasks, the one extract runner, the gates, alerts and the extraction log."""
