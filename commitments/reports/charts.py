"""Server-rendered SVG charts, readable without colour: each status also has its own fill pattern,
and every figure is printed in the table beside the chart.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

from django.utils.html import escape

from .. import dates
from .. import status as status_scale

LABEL_CHAR_WIDTH = 7.5  # px: a generous average for DejaVu Sans at 11 px, digits and capitals included
COS_35 = math.cos(math.radians(35))  # the dates under the bars are turned 35 degrees

# Colour and pattern per status: the pattern carries the meaning in greyscale print.
STYLE = {
    "not_assessed": ("#8a8a8a", "dots"),
    "not_started": ("#b3261e", "cross"),
    "in_progress": ("#1f6fb2", "diagonal"),
    "stalled": ("#c05600", "horizontal"),
    "partially_achieved": ("#6f7d1c", "vertical"),
    "achieved": ("#2e7d32", "solid"),
    "abandoned": ("#3d3d3d", "back-diagonal"),
}

_PATTERN_PATHS = {
    "dots": '<circle cx="3" cy="3" r="1.3" fill="#fff"/>',
    "cross": '<path d="M0 0L6 6M6 0L0 6" stroke="#fff" stroke-width="1.2"/>',
    "diagonal": '<path d="M0 6L6 0" stroke="#fff" stroke-width="1.2"/>',
    "horizontal": '<path d="M0 3H6" stroke="#fff" stroke-width="1.4"/>',
    "vertical": '<path d="M3 0V6" stroke="#fff" stroke-width="1.4"/>',
    "solid": "",
    "back-diagonal": '<path d="M0 0L6 6" stroke="#fff" stroke-width="1.2"/>',
}


@dataclass(frozen=True)
class LegendItem:
    slug: str
    label: str
    colour: str
    pattern: str


def legend() -> list[LegendItem]:
    return [LegendItem(i.slug, i.label, *STYLE[i.slug]) for i in status_scale.scale()]


def _pattern(pattern_id: str, slug: str) -> str:
    colour, pattern = STYLE[slug]
    return (
        f'<pattern id="{pattern_id}" width="6" height="6" patternUnits="userSpaceOnUse">'
        f'<rect width="6" height="6" fill="{colour}"/>{_PATTERN_PATHS[pattern]}</pattern>'
    )


def _defs(prefix: str) -> str:
    return "<defs>" + "".join(_pattern(f"{prefix}-{slug}", slug) for slug in STYLE) + "</defs>"


def swatch(slug: str, *, prefix: str = "sw", size: int = 14) -> str:
    """A small legend square with the status's pattern (SVG markup)."""
    pattern_id = f"{prefix}-{slug}"
    return (
        f'<svg width="{size}" height="{size}" viewBox="0 0 {size} {size}" aria-hidden="true" focusable="false">'
        f"<defs>{_pattern(pattern_id, slug)}</defs>"
        f'<rect width="{size}" height="{size}" fill="url(#{pattern_id})" stroke="#333" stroke-width="1"/></svg>'
    )


def stacked_bars(timeline: list[dict], *, title: str, prefix: str = "chart") -> str:
    """Status counts over time as stacked bars: one bar per date, one pattern per status.

    ``timeline`` is ``[{"date": "2026-09-30", "counts": {slug: n}}]`` as stored in a report snapshot.
    """
    width, height, left, bottom, top = 640, 330, 44, 76, 12  # bottom: the rotated dates
    n = max(len(timeline), 1)
    if timeline:  # room on the left for the first date, which leans left from under its bar
        reach = len(_day(timeline[0]["date"])) * LABEL_CHAR_WIDTH * COS_35
        left = max(left, math.ceil(reach - (width - left - 10) / n / 2))
    plot_w, plot_h = width - left - 10, height - bottom - top
    totals = [sum(point["counts"].values()) for point in timeline] or [0]
    peak = max(max(totals), 1)
    step = _nice_step(peak)
    ceiling = step * -(-peak // step)
    slot = plot_w / n
    bar_w = slot * 0.7
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
        f'aria-labelledby="{prefix}-title" class="chart" '
        'font-family="DejaVu Sans, sans-serif" font-size="11">',
        f'<title id="{prefix}-title">{escape(title)}</title>',
        _defs(prefix),
    ]
    for tick in range(0, ceiling + 1, step):
        y = top + plot_h - plot_h * tick / ceiling
        out.append(f'<line x1="{left}" x2="{width - 10}" y1="{y:.1f}" y2="{y:.1f}" stroke="#ddd"/>')
        out.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" fill="#333">{tick}</text>')
    for i, point in enumerate(timeline):
        x = left + i * slot + (slot - bar_w) / 2
        y = top + plot_h
        for slug in status_scale.Status.values:
            count = point["counts"].get(slug, 0)
            if not count:
                continue
            h = plot_h * count / ceiling
            y -= h
            label = f"{_day(point['date'])}: {status_scale.info(slug).label} {count}"
            out.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{h:.1f}" '
                f'fill="url(#{prefix}-{slug})" stroke="#fff" stroke-width="0.5"><title>{escape(label)}</title></rect>'
            )
        total = sum(point["counts"].values())
        out.append(f'<text x="{x + bar_w / 2:.1f}" y="{y - 3:.1f}" text-anchor="middle" fill="#111">{total}</text>')
        if n <= 12 or i % max(1, n // 12) == 0 or i == n - 1:
            out.append(
                f'<text x="{x + bar_w / 2:.1f}" y="{top + plot_h + 14}" text-anchor="end" fill="#333" '
                f'transform="rotate(-35 {x + bar_w / 2:.1f} {top + plot_h + 14})">{_day(point["date"])}</text>'
            )
    out.append(f'<line x1="{left}" x2="{width - 10}" y1="{top + plot_h}" y2="{top + plot_h}" stroke="#333"/>')
    out.append("</svg>")
    return "".join(out)


def _day(iso: str) -> str:
    """A chart point's day as the site writes dates ("31 December 2025")."""
    return dates.render(date.fromisoformat(iso))


def _nice_step(peak: int) -> int:
    for step in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 2500, 5000, 10000, 20000, 25000, 50000):
        if peak / step <= 6:
            return step
    return 100000
