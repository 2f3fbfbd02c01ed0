"""The report's charts, drawn by pygal as self-contained SVG (no scripts, no external files).

Each function takes plain numbers and returns SVG bytes; `data_uri` wraps
them for an `<img>` so WeasyPrint reads them without fetching anything.
"""

from __future__ import annotations

import base64
import sys
from collections.abc import Sequence

import pygal
from pygal.style import Style

# pygal appends an old-style import hook (for pygal.maps plugins, unused here) to sys.meta_path; every
# later failed optional import (numpy does several) then raises an ImportWarning on Python 3.11+. Drop it.
sys.meta_path[:] = [finder for finder in sys.meta_path if type(finder).__name__ != "PluginImportFixer"]

FONT = "DejaVu Sans, Liberation Sans, sans-serif"
DECISION_COLOURS = {"pass": "#2e7d32", "review": "#b26a00", "block": "#c62828"}
#: Approval-time buckets: (upper bound in minutes, label); the last catches the rest.
APPROVAL_BUCKETS = (
    (15, "< 15 min"),
    (60, "15-60 min"),
    (240, "1-4 h"),
    (1440, "4-24 h"),
    (4320, "1-3 days"),
    (float("inf"), "> 3 days"),
)


def _style(colours: Sequence[str] = ("#1f4e79", "#b26a00", "#c62828", "#2e7d32", "#6a1b9a", "#00695c")) -> Style:
    return Style(
        font_family=FONT,
        background="white",
        plot_background="white",
        foreground="#222",
        foreground_strong="#111",
        foreground_subtle="#777",
        colors=tuple(colours),
        title_font_size=16,
        label_font_size=11,
        major_label_font_size=11,
        legend_font_size=12,
        value_font_size=10,
    )


def _config(chart_class, title: str, colours: Sequence[str] | None = None, **extra):
    options = {
        "width": 760,
        "height": 340,
        "js": [],  # pygal links a tooltip script by default: a PDF needs none, and nothing may be fetched
        "legend_at_bottom": True,
        "print_values": False,
        "show_y_guides": True,
        "truncate_label": -1,
        **extra,
    }
    return chart_class(style=_style(colours) if colours else _style(), title=title, **options)


def drafts_per_week(weeks: Sequence[tuple[str, dict[str, int]]]) -> bytes:
    """Stacked bars: drafts written each ISO week, by the policy's decision."""
    chart = _config(
        pygal.StackedBar,
        "Drafts per week by decision",
        colours=[DECISION_COLOURS[d] for d in ("pass", "review", "block")],
        x_label_rotation=-30 if len(weeks) > 8 else 0,
    )
    chart.x_labels = [week for week, _ in weeks]
    for decision, label in (("pass", "Passed"), ("review", "Needed approval"), ("block", "Blocked")):
        chart.add(label, [counts.get(decision, 0) for _, counts in weeks])
    if not weeks:
        chart.no_data_text = "No drafts in this period"
    return chart.render()


def findings_by_category(categories: Sequence[tuple[str, int]]) -> bytes:
    """Horizontal bars: findings by rule category (the rule id's first part)."""
    chart = _config(pygal.HorizontalBar, "Findings by rule category", show_legend=False, print_values=True)
    chart.x_labels = [name for name, _ in categories]
    chart.add("Findings", [count for _, count in categories])
    chart.no_data_text = "No findings in this period"
    return chart.render()


def approval_times(minutes: Sequence[float]) -> bytes:
    """Bars: how long drafts waited from submission to approval, in buckets."""
    counts = [0] * len(APPROVAL_BUCKETS)
    for value in minutes:
        for index, (upper, _) in enumerate(APPROVAL_BUCKETS):
            if value < upper:
                counts[index] += 1
                break
    chart = _config(pygal.Bar, "Time from submission to approval", show_legend=False, print_values=True)
    chart.x_labels = [label for _, label in APPROVAL_BUCKETS]
    chart.add("Drafts", counts)
    chart.no_data_text = "No approvals in this period"
    return chart.render()


def data_uri(svg: bytes) -> str:
    """An `<img src>` that carries the SVG itself."""
    return "data:image/svg+xml;base64," + base64.b64encode(svg).decode("ascii")
