"""Incremental ROI: the marketing-mix model (`model.py`; docs/marketing-mix.md)."""
