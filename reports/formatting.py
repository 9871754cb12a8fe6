"""How figures read in every format (PDF, XLSX labels, the email body), and the text escaping that
keeps people's text from being run as a spreadsheet formula."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

NO_SPEND = "\u221e (no spend)"
# The definitions every format states (README "Metrics", docs/metrics.md): the PDF footer, the XLSX sheet.
METRIC_DEFINITIONS = (
    ("Investment", "media spend + staff time \u00d7 loaded rate + tools + production"),
    ("Engagements", "reactions + comments + shares + saves; traditional: responses + calls + vanity-URL visits"),
    ("Engagement rate", "engagements / impressions"),
    ("CPE", "investment / engagements"),
    ("CPM", "investment / impressions \u00d7 1000"),
    ("CPC", "investment / clicks"),
    ("Active engagements", "comments + shares + saves + clicks; traditional: responses + calls + vanity-URL visits"),
    ("Conversions", "first-party appointment requests, class registrations and qualified calls"),
    ("Cost per conversion", "investment / conversions"),
    ("ROAS", "conversion value / media spend"),
    ("ROI", "(conversion value \u2212 investment) / investment; \u221e (no spend) when the investment is 0"),
    ("Avg. daily reach", "the mean of the reach each account measured per day (reach is never added up)"),
)
NOT_AVAILABLE = "n/a"
# A figure nothing measured (an estimate the model did not make, the clicks of a channel without a
# click metric): a dash, never a 0.
NOT_MEASURED = "\u2014"
MINUS = "\u2212"
# A cell starting with one of these is a formula (or DDE payload) to Excel and LibreOffice.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    """NULL when the denominator is 0, like every ratio in the marts (dbt/macros/ratios.sql)."""
    if numerator is None or not denominator:
        return None
    return numerator / denominator


def money(value: float | None, cents: bool = True) -> str:
    if value is None:
        return NOT_AVAILABLE
    return f"${value:,.2f}" if cents else f"${value:,.0f}"


def count(value: float | None) -> str:
    """A count is None only where nothing measures it (clicks of a channel without a click metric,
    reach nobody measured): a dash, never a 0."""
    return NOT_MEASURED if value is None else f"{value:,.0f}"


def multiple(value: float | None) -> str:
    """A ratio of money to money (ROAS): 10.6\u00d7, the unit of the XLSX's MULTIPLE format."""
    return NOT_AVAILABLE if value is None else f"{value:,.1f}\u00d7"


def percent(value: float | None, digits: int = 1) -> str:
    return NOT_AVAILABLE if value is None else f"{value:.{digits}%}"


def signed_percent(value: float | None, digits: int = 0) -> str:
    """+10%, \u221220%: an estimate's direction always shows."""
    if value is None:
        return NOT_MEASURED
    if not round(value * 100, digits):
        return f"{0:.{digits}%}"  # no sign on nothing: not +0%, nor \u22120%
    return f"{value:+.{digits}%}".replace("-", MINUS)


def signed_count(value: float | None, digits: int = 0) -> str:
    """+3.2, \u221212: a change in a count."""
    if value is None:
        return NOT_MEASURED
    if not round(value, digits):
        return f"{0:.{digits}f}"
    return f"{value:+,.{digits}f}".replace("-", MINUS)


def with_interval(text: Callable[[float], str], value: float | None, low: float | None, high: float | None) -> str:
    """An estimate and its interval in the estimate's unit: "\u221220% (\u221245% to +10%)"."""
    if value is None:
        return NOT_MEASURED
    if low is None or high is None:
        return text(value)
    return f"{text(value)} ({text(low)} to {text(high)})"


def roi_text(roi: float | None, investment: float, value: float) -> str:
    """ROI, or the Mayo maxim's infinity when there was a return without any investment."""
    if roi is not None:
        return percent(roi)
    return NO_SPEND if investment == 0 and value > 0 else NOT_AVAILABLE


@dataclass(frozen=True)
class Change:
    text: str
    # +1 better, -1 worse, 0 neither or not comparable (the colour).
    direction: int

    @property
    def arrow(self) -> str:
        """Which way the figure moved (not whether that is good)."""
        return {"+": "\u25b2 ", MINUS: "\u25bc "}.get(self.text[:1], "")


def change(
    current: float | None, previous: float | None, lower_is_better: bool = False, points: bool = False
) -> Change:
    """Change against the previous period: relative for amounts, in percentage points for rates."""
    if current is None or previous is None:
        return Change("no comparison", 0)
    delta = current - previous
    if points:
        text = f"{delta * 100:+.1f} pts"
    elif previous == 0:
        return Change("new" if current else "unchanged", 0)
    else:
        text = f"{delta / abs(previous):+.1%}"
    if abs(delta) < 1e-12:
        return Change("unchanged", 0)
    better = (delta < 0) if lower_is_better else (delta > 0)
    return Change(text.replace("-", MINUS), 1 if better else -1)


def escape_formula(text: str) -> str:
    """Prefix text that a spreadsheet would evaluate with an apostrophe (OWASP CSV injection);
    used for CSV, where there is no cell type to say "this is text"."""
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def is_formula_like(text: str) -> bool:
    return text.startswith(FORMULA_PREFIXES)


def shorten(text: str | None, limit: int) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "\u2026"
