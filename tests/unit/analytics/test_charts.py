"""The SVG charts: they scale (viewBox), escape their labels, survive all-zero or single-point series."""

from __future__ import annotations

from app.analytics.charts import HEIGHT, LEFT, TOP, bar_chart, line_chart, nice_max, scale_points


def test_nice_axis_tops() -> None:
    assert [nice_max(v) for v in (0, 0.3, 1, 7, 12, 180, 2600, 99999)] == [1, 0.5, 1, 10, 20, 200, 5000, 100000]


def test_points_span_the_plot() -> None:
    points = scale_points([0, 50, 100], top=100)
    assert points[0][0] == LEFT and points[0][1] > points[1][1] > points[2][1] == TOP
    assert scale_points([5], top=10)[0][0] > LEFT  # one point sits in the middle


def test_line_chart_is_scalable_svg_with_escaped_labels() -> None:
    svg = str(line_chart(["<b>1</b>", "2", "3"], [0, 0, 0], title="GMV & more", chart_id="c"))
    assert svg.startswith('<svg class="chart chart--line" id="c" viewBox="0 0 600 ')
    assert f"{HEIGHT}" in svg and "width=" not in svg.split(">")[0]
    assert "&lt;b&gt;1&lt;/b&gt;" in svg and "<b>" not in svg and "GMV &amp; more" in svg
    assert line_chart([], [], title="x") == ""


def test_bar_chart_lengths_follow_the_values() -> None:
    svg = str(bar_chart(["a", "b"], [100, 25], title="t", fmt=lambda v: f"{v:.0f}!"))
    widths = [float(part.split('"')[0]) for part in svg.split('width="')[1:]]
    assert widths[0] == 4 * widths[1] and "100!" in svg and "25!" in svg
    assert "nan" not in str(bar_chart(["a"], [0], title="t"))
