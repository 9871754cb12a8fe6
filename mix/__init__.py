"""Incremental ROI: the marketing-mix model (`model.py`; docs/marketing-mix.md)."""


def too_short_to_trust(weeks: int, trusted_weeks: int) -> str:
    """What every place showing a fit says when its history is shorter than `marketing_mix.trusted_weeks`
    (`python -m mix.run`, the report's page "What each channel adds")."""
    return (
        f"Fewer than {trusted_weeks} weeks of history: the fit has {weeks}, too short to trust; "
        "load the earlier weeks in the marketing_history inbox."
    )
