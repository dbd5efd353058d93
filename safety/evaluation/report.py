"""Plain-text tables for ``python -m safety evaluate``."""

from __future__ import annotations

from typing import Any

__all__ = ["render_report"]

_COLUMNS = ("n", "crisis recall", "emergency recall", "support caught", "false alarms")


def _pct(value: object, pair: object) -> str:
    if not isinstance(value, (int, float)) or not isinstance(pair, list):
        return "-"
    return f"{100 * float(value):5.1f}% ({pair[0]}/{pair[1]})"


def _row(label: str, scores: dict[str, Any]) -> str:
    cells = [
        str(scores["n"]),
        _pct(scores["crisis_recall"], scores["crisis"]),
        _pct(scores["emergency_recall"], scores["emergency"]),
        _pct(scores["support_caught"], scores["support"]),
        _pct(scores["false_alarm_rate"], scores["false_alarms"]),
    ]
    return f"{label:<34}" + "".join(f"{c:>22}" for c in cells)


def _header(title: str) -> list[str]:
    return [title, f"{'':<34}" + "".join(f"{c:>22}" for c in _COLUMNS)]


def _fraction(pair: object) -> str:
    if not isinstance(pair, (list, tuple)) or len(pair) != 2 or not pair[1]:
        return "-"
    return f"{100 * pair[0] / pair[1]:5.1f}% ({pair[0]}/{pair[1]})"


def render_report(report: dict[str, Any]) -> str:
    lines: list[str] = [f"safety screen {report['version']}", ""]
    for section in report.get("cases", {}).values():
        lines += _header(f"== {section['source']}")
        lines.append(_row("ALL", section["overall"]))
        for lang, scores in section["by_lang"].items():
            lines.append(_row(f"  lang={lang}", scores))
        lines.append("")
        lines += _header("   by category (all languages, then en / ru / others)")
        for category, per in section["by_category"].items():
            lines.append(_row(category, per["all"]))
            for lang, scores in per.items():
                if lang != "all":
                    lines.append(_row(f"  {lang}", scores))
        lat = section["latency_ms"]
        lines.append(f"latency per message: p50 {lat['p50']:.3f} ms, p99 {lat['p99']:.3f} ms, max {lat['max']:.3f} ms")
        for failure in section.get("failures", []):
            lines.append(f"  FAIL {failure['id']}: {failure['label']} -> {failure['predicted']} {failure['rules']}")
        lines.append("")
    for name, section in report.get("shared", {}).items():
        lines.append(f"== ../shared/data/{name}  [{section['attribution']}]")
        for part, summary in section["parts"].items():
            lines.append(f"  {part} half ({summary['items']} items)"
                         + ("  <- rules were adjusted against this half" if part == "tune" else "  <- never looked at"))
            for key, value in summary.items():
                if key == "items":
                    continue
                if isinstance(value, dict):
                    lines.append(f"    {key}:")
                    for sub, pair in value.items():
                        lines.append(f"      {sub:<32} {_fraction(pair)}")
                else:
                    lines.append(f"    {key:<34} {_fraction(value)}")
        lat = section["latency_ms"]
        lines.append(f"  latency: p50 {lat['p50']:.3f} ms, p99 {lat['p99']:.3f} ms, max {lat['max']:.3f} ms")
        lines.append("")
    for message in report.get("skipped", []):
        lines.append(f"skipped: {message}")
    return "\n".join(lines)
