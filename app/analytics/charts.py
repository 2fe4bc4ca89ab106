"""Server-rendered SVG charts (no JavaScript library): a line chart for daily series and a horizontal bar chart
for shares and rankings. They scale with their container (viewBox, width 100%); the page shows the same numbers
in a table beside each chart for screen readers and for copying. Labels are escaped; values are plain numbers
formatted by the caller's `fmt`."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from markupsafe import Markup, escape

WIDTH = 600
HEIGHT = 220
LEFT, RIGHT, TOP, BOTTOM = 84, 12, 12, 28


def nice_max(value: float) -> float:
    """The smallest of 1, 2, 2.5, 5, 10 × 10^k at or above value (a round top for the y axis); 1 for 0."""
    if value <= 0 or not math.isfinite(value):
        return 1.0
    exp = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * exp + 1e-9:
            return step * exp
    return 10 * exp  # pragma: no cover (the loop always returns)


def _num(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def scale_points(values: Sequence[float], *, top: float) -> list[tuple[float, float]]:
    """(x, y) in viewBox units: x spread over the plot width, y = 0 at the bottom of the plot."""
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    n = len(values)
    out = []
    for i, v in enumerate(values):
        x = LEFT + (plot_w * i / (n - 1) if n > 1 else plot_w / 2)
        y = TOP + plot_h - plot_h * (max(v, 0) / top)
        out.append((x, y))
    return out


def line_chart(
    labels: Sequence[str],
    values: Sequence[float],
    *,
    title: str,
    fmt: Callable[[float], str] = _num,
    chart_id: str = "chart",
) -> Markup:
    if not values:
        return Markup("")
    top = nice_max(max(values))
    points = scale_points(values, top=top)
    plot_h = HEIGHT - TOP - BOTTOM
    base_y = TOP + plot_h
    parts = [
        f'<svg class="chart chart--line" id="{escape(chart_id)}" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'preserveAspectRatio="xMidYMid meet" role="img" aria-labelledby="{escape(chart_id)}-title">',
        f'<title id="{escape(chart_id)}-title">{escape(title)}</title>',
    ]
    for frac in (0, 0.5, 1):
        y = base_y - plot_h * frac
        parts.append(f'<line class="chart__grid" x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}"/>')
        tick = escape(fmt(top * frac))
        parts.append(f'<text class="chart__axis" x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{tick}</text>')
    coords = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
    first_x, last_x = points[0][0], points[-1][0]
    parts.append(f'<polygon class="chart__area" points="{first_x:.1f},{base_y} {coords} {last_x:.1f},{base_y}"/>')
    parts.append(f'<polyline class="chart__line" points="{coords}"/>')
    if len(points) <= 62:
        for (x, y), label, v in zip(points, labels, values, strict=False):
            parts.append(
                f'<circle class="chart__dot" cx="{x:.1f}" cy="{y:.1f}" r="3">'
                f"<title>{escape(label)}: {escape(fmt(v))}</title></circle>"
            )
    ticks = sorted({0, len(labels) // 2, len(labels) - 1}) if len(labels) > 2 else list(range(len(labels)))
    for i in ticks:
        x = points[i][0]
        anchor = "start" if i == 0 and len(ticks) > 1 else "end" if i == len(labels) - 1 and i else "middle"
        parts.append(
            f'<text class="chart__axis" x="{x:.1f}" y="{HEIGHT - 8}" text-anchor="{anchor}">{escape(labels[i])}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 (every label and value above went through escape())


def bar_chart(
    labels: Sequence[str],
    values: Sequence[float],
    *,
    title: str,
    fmt: Callable[[float], str] = _num,
    chart_id: str = "bars",
) -> Markup:
    """Horizontal bars, longest = the largest value; the label above each bar, the value at its end."""
    if not values:
        return Markup("")
    top = max(max(values), 0) or 1
    row_h, label_w = 34, 0
    bar_w = WIDTH - 90
    height = row_h * len(values) + 6
    parts = [
        f'<svg class="chart chart--bar" id="{escape(chart_id)}" viewBox="0 0 {WIDTH} {height}" '
        f'preserveAspectRatio="xMidYMid meet" role="img" aria-labelledby="{escape(chart_id)}-title">',
        f'<title id="{escape(chart_id)}-title">{escape(title)}</title>',
    ]
    for i, (label, v) in enumerate(zip(labels, values, strict=False)):
        y = i * row_h
        w = bar_w * max(v, 0) / top
        parts.append(f'<text class="chart__label" x="{label_w}" y="{y + 12}">{escape(label)}</text>')
        parts.append(f'<rect class="chart__bar" x="{label_w}" y="{y + 16}" width="{w:.1f}" height="12" rx="2"/>')
        parts.append(f'<text class="chart__value" x="{label_w + w + 6:.1f}" y="{y + 27}">{escape(fmt(v))}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 (every label and value above went through escape())
