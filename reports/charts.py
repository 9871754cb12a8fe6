"""Charts for the PDF (matplotlib, rendered without a display) and the colours every format uses:
a channel group has one colour in the PDF, in the XLSX's native charts and across reports, and its
channels are shades of it."""

from __future__ import annotations

import io
import math
import zlib
from collections.abc import Callable
from dataclasses import dataclass

from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

GROUP_COLOURS = {
    "organic_social": "#2E6DB4",
    "paid_social": "#7B4FB0",
    "traditional": "#E07B24",
    "employee_advocacy": "#2A9D8F",
}
OTHER = "#7F7F7F"  # a group the seed adds later, until it is given a colour here
# A channel, or a part of its group's investment, is a shade of its group's colour, picked by its
# rank here, so a channel keeps its shade when others are added; one not listed hashes to a shade.
SHADE_RANKS = {
    **dict.fromkeys(("facebook", "meta_ads", "tv", "media_spend", "employee_time_cost"), 0),
    **dict.fromkeys(("instagram", "radio", "staff_cost", "admin_cost"), 1),
    **dict.fromkeys(("x", "print", "tool_cost", "licence_cost"), 2),
    **dict.fromkeys(("youtube", "ooh", "production_cost"), 3),
    **dict.fromkeys(("linkedin", "direct_mail"), 4),
}
# How far each rank mixes the group's colour with black (negative) or white: darker and lighter
# alternate, so that neighbouring bars differ.
SHADES = (0.0, -0.35, 0.35, -0.6, 0.6)
TEXT = "#222222"
MUTED = "#6B6B6B"


def _mix(hex_colour: str, amount: float) -> str:
    target = 0 if amount < 0 else 255
    channels = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return "#" + "".join(f"{round(value + (target - value) * abs(amount)):02X}" for value in channels)


def colour(key: str, group: str | None = None) -> str:
    """Hex colour (#RRGGBB) of a channel group (`key`, without `group`), or of a channel or an
    investment part in `group`: the one function every chart, in the PDF and the XLSX, colours by."""
    if group is None or key == group:
        return GROUP_COLOURS.get(key, OTHER)
    rank = SHADE_RANKS.get(key, zlib.crc32(key.encode()))
    return _mix(GROUP_COLOURS.get(group, OTHER), SHADES[rank % len(SHADES)])


@dataclass(frozen=True)
class Bar:
    key: str  # channel or channel group
    group: str  # the key's group (the key itself for a group): with the key, picks the colour
    label: str
    value: float | None  # None: no bar, only the text (a ratio without denominator, ROI without spend)
    text: str


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


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
    axes.barh(positions, values, color=[colour(bar.key, bar.group) for bar in bars], height=0.65)
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
    return _png(figure)


@dataclass(frozen=True)
class Curve:
    key: str  # channel
    group: str  # its group: with the key, picks the colour
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
        tint = colour(curve.key, curve.group)
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
    return _png(figure)


@dataclass(frozen=True)
class Part:
    key: str  # the part (an investment component): with the stack's group, picks the shade
    label: str
    value: float


@dataclass(frozen=True)
class Stack:
    group: str
    label: str
    parts: list[Part]
    text: str  # at the bar's end (the whole)


def share_bars(stacks: list[Stack], title: str, width: float = 7.4) -> bytes:
    """One bar per stack, its parts side by side as shares of the whole (each in a shade of the
    stack's group colour) and labelled inside where they are wide enough, as PNG bytes."""
    figure = Figure(figsize=(width, 0.3 + 0.22 * len(stacks)), dpi=200)
    axes = figure.add_subplot()
    for position, stack in zip(range(len(stacks) - 1, -1, -1), stacks, strict=True):
        whole = sum(part.value for part in stack.parts) or 1.0
        left = 0.0
        for part in stack.parts:
            share = part.value / whole
            tint = colour(part.key, stack.group)
            axes.barh(position, share, left=left, color=tint, height=0.7, edgecolor="white", linewidth=0.6)
            if share >= 0.09:
                dark = sum(int(tint[i : i + 2], 16) for i in (1, 3, 5)) < 3 * 150
                axes.text(
                    left + share / 2,
                    position,
                    f"{part.label} {share:.0%}",
                    ha="center",
                    va="center",
                    fontsize=6.3,
                    color="white" if dark else TEXT,
                )
            left += share
        axes.text(1.01, position, stack.text, va="center", ha="left", fontsize=6.5, color=TEXT)
    axes.set_yticks(range(len(stacks) - 1, -1, -1), [stack.label for stack in stacks], fontsize=7, color=TEXT)
    axes.set_xlim(0, 1.12)
    axes.set_xticks([])
    axes.tick_params(axis="y", length=0)
    for side in ("top", "right", "left", "bottom"):
        axes.spines[side].set_visible(False)
    figure.suptitle(title, x=0.01, ha="left", fontsize=8.5, color=TEXT, fontweight="bold")
    figure.tight_layout(pad=0.4)
    return _png(figure)
