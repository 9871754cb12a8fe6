"""The values of the platforms' JSON answers that every extractor reads the same way."""

from __future__ import annotations

from typing import Any


def reported_count(value: Any, what: str, expected: str = "a number", note: str = "") -> int | None:
    """A count as a JSON answer holds it: a number, or None where the platform left it out.

    Absent means not reported, which lands as NULL, never as 0. Anything else fails with a message
    naming `what`, the kind of value `expected`, and a `note` on what such a value usually is."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{what}: expected {expected}, got {value!r}" + (f" ({note})" if note else ""))
    return int(value)
