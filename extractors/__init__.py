"""Extractors: plain Python (no Airflow import), one module per source, each entity a generator of
records landed through `core.landing`."""
