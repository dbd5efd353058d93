"""The weekly safety-event chart as inline SVG, drawn on the server (no JavaScript).

Stacked bars per ISO week: crisis below, emergency on top. Colours come from
presentation attributes, not CSS, so the strict Content-Security-Policy holds.
"""

from __future__ import annotations

from typing import Any

from markupsafe import Markup, escape

__all__ = ["weekly_svg"]

_COLOURS = {"crisis": "#c2571a", "emergency": "#a4161a"}


def _nice_ceiling(value: int) -> int:
    """A round top for the axis: 1, 2, 5, 10, 20, 50, ..."""
    magnitude = 1
    while True:
        for step in (1, 2, 5):
            if step * magnitude >= value:
                return step * magnitude
        magnitude *= 10


def weekly_svg(buckets: list[dict[str, Any]], *, width: int = 720, height: int = 220) -> Markup:
    left, right, top, bottom = 36, 10, 24, 44
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = max([b["crisis"] + b["emergency"] for b in buckets] + [1])
    scale = _nice_ceiling(peak)
    n = max(1, len(buckets))
    slot = plot_w / n
    bar = max(4.0, slot * 0.65)
    total = sum(b["crisis"] + b["emergency"] for b in buckets)
    first = buckets[0]["week"].isoformat() if buckets else ""
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'role="img" aria-label="{escape(f"Safety events per week since {first}: {total} in total")}">',
        f'<line x1="{left}" y1="{top + plot_h}" x2="{width - right}" y2="{top + plot_h}" stroke="#888" stroke-width="1"/>',
        f'<text x="{left - 6}" y="{top + 4}" text-anchor="end" font-size="11" fill="#444">{scale}</text>',
        f'<text x="{left - 6}" y="{top + plot_h}" text-anchor="end" font-size="11" fill="#444">0</text>',
        f'<line x1="{left}" y1="{top}" x2="{width - right}" y2="{top}" stroke="#ddd" stroke-width="1"/>',
    ]
    for i, b in enumerate(buckets):
        x = left + i * slot + (slot - bar) / 2
        y = top + plot_h
        for level in ("crisis", "emergency"):
            count = int(b[level])
            if not count:
                continue
            h = plot_h * count / scale
            y -= h
            tip = escape(f"week of {b['week'].isoformat()}: {count} {level}")
            parts.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{h:.1f}" fill="{_COLOURS[level]}"><title>{tip}</title></rect>'
            )
        week_total = int(b["crisis"]) + int(b["emergency"])
        if week_total:
            parts.append(
                f'<text x="{x + bar / 2:.1f}" y="{y - 4:.1f}" text-anchor="middle" font-size="11" fill="#222">{week_total}</text>'
            )
        if i % max(1, n // 12) == 0:
            label = escape(b["week"].strftime("%d %b"))
            parts.append(
                f'<text x="{x + bar / 2:.1f}" y="{top + plot_h + 16}" text-anchor="middle" font-size="11" fill="#444">{label}</text>'
            )
    legend_y = height - 8
    parts.append(
        f'<rect x="{left}" y="{legend_y - 9}" width="10" height="10" fill="{_COLOURS["crisis"]}"/>'
    )
    parts.append(f'<text x="{left + 14}" y="{legend_y}" font-size="11" fill="#222">crisis</text>')
    parts.append(
        f'<rect x="{left + 70}" y="{legend_y - 9}" width="10" height="10" fill="{_COLOURS["emergency"]}"/>'
    )
    parts.append(
        f'<text x="{left + 84}" y="{legend_y}" font-size="11" fill="#222">emergency</text>'
    )
    parts.append("</svg>")
    return Markup("".join(parts))
