"""Charts as accessible SVG, drawn on the server: no script, readable when printed.

Each chart is one `<svg role="img">` named by its `<title>` and described by its `<desc>` (the
figures in words, for a screen reader), with presentation attributes only (the pages' Content
Security Policy forbids inline styles). Texts arrive translated; numbers arrive formatted for
the reader's language. The page puts a table with the same figures beside each chart.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

WIDTH = 640
ROW = 28
LABEL_WIDTH = 220
INK = "#1a1a1a"
BAR = "#1f5f8b"  # 7:1 against white: readable in colour and in greyscale print
TARGET = "#b3261e"
PALE = "#d9e6f0"
FONT = "DejaVu Sans, Arial, sans-serif"


@dataclass(frozen=True)
class Bar:
    """One labelled value, with an optional target drawn as a mark across the bar. A value of
    None is hidden from this reader (a small count): no bar, and `number(None)` says why."""

    label: str
    value: float | None
    target: float | None = None

    @property
    def length(self) -> float:
        """What the bar measures: a hidden value draws nothing."""
        return self.value or 0


def bar_chart(chart_id: str, title: str, description: str, bars: Sequence[Bar],
              number: Callable[[float], str] = str) -> str:
    """Horizontal bars, one per `bars`, each labelled with its value (and target, if any)."""
    height = max(len(bars), 1) * ROW + 16
    top = max([bar.length for bar in bars] + [bar.target or 0 for bar in bars] + [1])
    scale = (WIDTH - LABEL_WIDTH - 90) / top
    parts = [_open(chart_id, title, description, height)]
    for index, bar in enumerate(bars):
        y = 8 + index * ROW
        length = bar.length * scale
        parts.append(_text(LABEL_WIDTH - 8, y + 18, _short(bar.label), anchor="end"))
        parts.append(f'<rect x="{LABEL_WIDTH}" y="{y + 4}" width="{length:.1f}" '
                     f'height="{ROW - 10}" fill="{BAR}"/>')
        shown = number(bar.value)
        if bar.target is not None:
            x = LABEL_WIDTH + bar.target * scale
            parts.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{y}" y2="{y + ROW - 2}" '
                         f'stroke="{TARGET}" stroke-width="3"/>')
            shown = f"{shown} / {number(bar.target)}"
        parts.append(_text(LABEL_WIDTH + max(length, bar.target * scale if bar.target else 0)
                           + 6, y + 18, shown))
    parts.append("</svg>")
    return "".join(parts)


def column_chart(chart_id: str, title: str, description: str, columns: Sequence[Bar],
                 number: Callable[[float], str] = str) -> str:
    """Vertical columns in order (e.g. months), each labelled below and valued above."""
    height = 220
    count = max(len(columns), 1)
    step = (WIDTH - 40) / count
    top = max([column.length for column in columns] + [1])
    parts = [_open(chart_id, title, description, height)]
    parts.append(f'<line x1="20" x2="{WIDTH - 20}" y1="180" y2="180" stroke="{INK}"/>')
    for index, column in enumerate(columns):
        x = 20 + index * step
        length = column.length / top * 150
        parts.append(f'<rect x="{x + step * 0.15:.1f}" y="{180 - length:.1f}" '
                     f'width="{step * 0.7:.1f}" height="{length:.1f}" fill="{BAR}"/>')
        parts.append(_text(x + step / 2, 174 - length, number(column.value), anchor="middle"))
        parts.append(_text(x + step / 2, 198, column.label, anchor="middle", size=11))
    parts.append("</svg>")
    return "".join(parts)


def _open(chart_id: str, title: str, description: str, height: int) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
            f'viewBox="0 0 {WIDTH} {height}" width="100%" '
            f'aria-labelledby={quoteattr(chart_id + "-title")} '
            f'aria-describedby={quoteattr(chart_id + "-desc")} font-family="{FONT}" '
            f'font-size="13" fill="{INK}">'
            f'<title id={quoteattr(chart_id + "-title")}>{escape(title)}</title>'
            f'<desc id={quoteattr(chart_id + "-desc")}>{escape(description)}</desc>'
            f'<rect width="{WIDTH}" height="{height}" fill="#ffffff"/>')


def _text(x: float, y: float, text: str, anchor: str = "start", size: int = 13) -> str:
    return (f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" font-size="{size}" '
            f'aria-hidden="true">{escape(text)}</text>')


def _short(label: str, most: int = 30) -> str:
    """A label that fits beside its bar (the table beside the chart has it in full)."""
    return label if len(label) <= most else label[:most - 1] + "…"
