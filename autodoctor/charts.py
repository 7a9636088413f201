"""Charts people can read: server-rendered SVG from pygal (a maintained chart library; no CDN, no
script of its own) with dated axes and legends. static/js/charts.js makes every bar or point
focusable and shows its value on hover and on keyboard focus; each chart's template also prints
the numbers as a table (charts/_chart.html)."""

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import pygal
from pygal.style import Style

INLINE_SCRIPT = re.compile(r"<script\b[^>]*>.*?</script>", re.S)
PALETTE = ("#1d5fd1", "#1b9e4b", "#b35c00", "#7a3fb8", "#c0392b")
STYLE = Style(
    background="transparent",
    plot_background="#ffffff",
    foreground="#1f2933",
    foreground_strong="#1f2933",
    foreground_subtle="#9aa5b1",
    colors=PALETTE,
    font_family="system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif",
    label_font_size=14,
    major_label_font_size=14,
    legend_font_size=15,
    value_font_size=12,
    tooltip_font_size=13,
    title_font_size=16,
)


@dataclass
class Chart:
    """One chart: its SVG, and the same numbers as rows for the table beside it."""

    key: str
    title: str
    svg: str
    columns: list[str]
    rows: list[tuple[str, list[str]]] = field(default_factory=list)


def bar_chart(
    *,
    key: str,
    title: str,
    labels: Sequence[str],
    series: dict[str, Sequence[float]],
    y_title: str,
    value_formatter: Callable[[float], str] = lambda v: f"{v:g}",
    stacked: bool = False,
    horizontal: bool = False,
    long_labels: Sequence[str] | None = None,
    counts: bool = False,
) -> Chart:
    """A bar chart of `series` (name → one value per label). `long_labels` (e.g. full dates) are
    what the tooltips and the table say; `labels` are what the axis shows. `counts`: whole-number
    ticks on the value axis."""
    kind = pygal.HorizontalBar if horizontal else (pygal.StackedBar if stacked else pygal.Bar)
    many = len(labels) > 14
    chart = kind(
        style=STYLE,
        js=[],  # no script from pygal: charts.js does hover and focus
        disable_xml_declaration=True,
        width=900,
        height=360,
        explicit_size=False,
        show_legend=True,
        legend_at_bottom=True,
        legend_at_bottom_columns=len(series),
        x_title=None if horizontal else "Date",
        y_title=y_title,
        x_label_rotation=0 if horizontal or not many else 45,
        show_minor_x_labels=not many,
        x_labels_major_every=max(1, len(labels) // 10) if many else None,
        truncate_label=-1,
        print_values=False,
        value_formatter=value_formatter,
        margin=12,
        spacing=8,
        min_scale=3,
        max_scale=8,
        no_data_text="No data in this period",
    )
    chart.x_labels = list(labels)
    if counts:
        top = max(
            (sum(v) for v in zip(*series.values(), strict=True))
            if stacked
            else (max(v, default=0) for v in series.values()),
            default=0,
        )
        step = max(1, math.ceil(top / 8))
        chart.y_labels = list(range(0, int(top) + step + 1, step))
    full = list(long_labels or labels)
    for name, values in series.items():
        chart.add(name, [{"value": v, "label": full[i]} for i, v in enumerate(values)])
    # pygal writes its config into an inline <script> even without its tooltip script: drop it
    # (the CSP would block it, and nothing here reads it).
    svg = INLINE_SCRIPT.sub("", chart.render(is_unicode=True))
    rows = [(full[i], [value_formatter(values[i]) for values in series.values()]) for i in range(len(labels))]
    return Chart(key=key, title=title, svg=svg, columns=list(series), rows=rows)
