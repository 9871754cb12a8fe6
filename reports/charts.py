"""Charts for the PDF (matplotlib, rendered without a display) and the colours every format uses:
a channel has the same colour in the PDF, in the XLSX's native charts and across reports."""

from __future__ import annotations

import io
import math
import zlib
from collections.abc import Callable
from dataclasses import dataclass

from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

CHANNEL_COLOURS = {
    "facebook": "#1F77B4",
    "instagram": "#E377C2",
    "x": "#3D3D3D",
    "youtube": "#D62728",
    "linkedin": "#17BECF",
    "meta_ads": "#9467BD",
    "tv": "#FF7F0E",
    "radio": "#BCBD22",
    "print": "#8C564B",
    "ooh": "#2CA02C",
    "direct_mail": "#7F7F7F",
}
GROUP_COLOURS = {"organic_social": "#4C78A8", "paid_social": "#9467BD", "traditional": "#F58518"}
# Channels added to the seed later still get a stable colour of their own.
_SPARE = ("#AEC7E8", "#FFBB78", "#98DF8A", "#FF9896", "#C5B0D5", "#C49C94", "#F7B6D2", "#DBDB8D")
TEXT = "#222222"
MUTED = "#6B6B6B"


def colour(key: str) -> str:
    """Hex colour (#RRGGBB) of a channel or channel group."""
    return CHANNEL_COLOURS.get(key) or GROUP_COLOURS.get(key) or _SPARE[zlib.crc32(key.encode()) % len(_SPARE)]


@dataclass(frozen=True)
class Bar:
    key: str  # channel or channel group: picks the colour
    label: str
    value: float | None  # None: no bar, only the text (a ratio without denominator, ROI without spend)
    text: str


def horizontal_bars(
    bars: list[Bar], title: str, axis_format: Callable[[float], str], width: float = 3.6, height: float | None = None
) -> bytes:
    """A horizontal bar chart as PNG bytes, one bar per item in the given order, value labels at
    the bar ends."""
    height = height or max(1.6, 0.32 * len(bars) + 0.8)
    figure = Figure(figsize=(width, height), dpi=200)
    axes = figure.add_subplot()
    positions = list(range(len(bars)))[::-1]
    values = [bar.value or 0.0 for bar in bars]
    axes.barh(positions, values, color=[colour(bar.key) for bar in bars], height=0.65)
    axes.set_yticks(positions, [bar.label for bar in bars], fontsize=7, color=TEXT)
    # A figure title, not an axes title: long channel names must not push it out of the image.
    figure.suptitle(title, x=0.02, ha="left", fontsize=8.5, color=TEXT, fontweight="bold")
    lowest, highest = min([0.0, *values]), max([0.0, *values])
    span = (highest - lowest) or 1.0
    axes.set_xlim(lowest - (0.05 * span if lowest < 0 else 0), highest + 0.34 * span)
    axes.axvline(0, color=MUTED, linewidth=0.6)
    axes.xaxis.set_major_locator(MaxNLocator(nbins=5))
    axes.xaxis.set_major_formatter(lambda value, _: axis_format(value))
    axes.tick_params(axis="x", labelsize=6.5, colors=MUTED)
    axes.tick_params(axis="y", length=0)
    for side in ("top", "right", "left"):
        axes.spines[side].set_visible(False)
    axes.spines["bottom"].set_color(MUTED)
    # Labels right of the bar, or right of the zero line for a negative bar (the left side holds
    # the channel names).
    for position, bar in zip(positions, bars, strict=True):
        axes.text(
            max(bar.value or 0.0, 0.0) + 0.02 * span,
            position,
            bar.text,
            va="center",
            ha="left",
            fontsize=6.5,
            color=TEXT if bar.value is not None else MUTED,
        )
    figure.tight_layout(pad=0.4)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


@dataclass(frozen=True)
class Curve:
    key: str  # channel: picks the colour
    label: str
    x: list[float]
    y: list[float]
    low: list[float]  # the interval around y, drawn as a band
    high: list[float]
    marked: tuple[float, float] | None  # a point drawn on the curve (the current weekly spend)


def small_curves(
    curves: list[Curve], title: str, x_format: Callable[[float], str], width: float = 7.4, columns: int = 4
) -> bytes:
    """One small panel per curve, each on its own scales (a channel spending $300 a week and one
    spending $9,000 both read), as PNG bytes."""
    rows = math.ceil(len(curves) / columns)
    figure = Figure(figsize=(width, 0.3 + 1.3 * rows), dpi=200)
    grid = figure.subplots(rows, columns, squeeze=False)
    for index, axes in enumerate(grid.flat):
        if index >= len(curves):
            axes.set_visible(False)
            continue
        curve = curves[index]
        tint = colour(curve.key)
        axes.fill_between(curve.x, curve.low, curve.high, color=tint, alpha=0.18, linewidth=0)
        axes.plot(curve.x, curve.y, color=tint, linewidth=1.2)
        if curve.marked is not None:
            axes.axvline(curve.marked[0], color=MUTED, linewidth=0.5, linestyle=":")
            axes.plot(*curve.marked, "o", color=tint, markersize=3.6, markeredgecolor="white", markeredgewidth=0.6)
        axes.set_title(curve.label, fontsize=7, color=TEXT, loc="left", pad=2)
        axes.set_ylim(bottom=0)
        axes.set_xlim(left=0)
        for axis in (axes.xaxis, axes.yaxis):
            axis.set_major_locator(MaxNLocator(nbins=3))
        axes.xaxis.set_major_formatter(lambda value, _: x_format(value))
        axes.tick_params(labelsize=5.5, colors=MUTED, length=2)
        for side in ("top", "right"):
            axes.spines[side].set_visible(False)
        for side in ("left", "bottom"):
            axes.spines[side].set_color(MUTED)
    figure.suptitle(title, x=0.01, ha="left", fontsize=8.5, color=TEXT, fontweight="bold")
    figure.tight_layout(pad=0.4, h_pad=0.6, w_pad=0.8)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
