"""Accessible SVG charts drawn by the engine itself (no JavaScript, no chart library): a horizontal
bar chart of shares with a target marker, and a line chart of shares month by month with the target
line and a dashed projection.

Every chart is an inline `<svg role="img">` named by its `<title>` and `<desc>` (both referenced by
`aria-labelledby`), uses only presentation attributes (the site's CSP allows no inline styles),
GOV.UK colours with at least 3:1 contrast against white for lines and bars and 4.5:1 for text, and
labels every line and bar in words, so nothing is told by colour alone. The page shows the same
figures in a table beside each chart. Every text drawn is escaped. A chart with nothing to draw is
`None`: the page says there is no data instead.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from markupsafe import Markup, escape

FONT = "'GDS Transport', arial, sans-serif"
#: GOV.UK colours: text, secondary text, the bars and first line, the second line, the target.
INK = "#0b0c0c"
GREY = "#505a5f"
BLUE = "#1d70b8"
GREEN = "#00703c"
RED = "#d4351c"
#: Grid lines are decoration (the tick labels carry the scale), so they may be light.
GRID = "#b1b4b6"
#: Text sizes in SVG user units, the same as CSS pixels when the chart is drawn at its own width.
FONT_SIZE = 19
SMALL_FONT = 16
WIDTH = 760
#: Ticks steps tried, smallest first, for a share axis of at most MAX_TICKS steps.
TICK_STEPS = (0.01, 0.02, 0.05, 0.1, 0.2, 0.25)
MAX_TICKS = 5
#: Most point markers drawn on one line.
MAX_MARKERS = 24
#: A generous average character width of GDS Transport or Arial, as a share of the font size.
CHAR_WIDTH = 0.6
#: Longest bar label drawn; the table beside the chart has the full text.
LABEL_CHARS = 28
#: Characters XML 1.0 does not allow, whatever a register entry holds.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _text(value: object) -> str:
    """`value` as XML text: escaped, characters XML forbids removed."""
    return str(escape(_NOT_XML.sub("", str(value))))


def _number(value: float) -> str:
    """A coordinate with at most one decimal place (smaller files, stable tests)."""
    rounded = round(value, 1)
    return str(int(rounded)) if rounded == int(rounded) else str(rounded)


def format_share(value: float | None) -> str:
    """A share as a percentage for people: 0.2 -> '20%', 0.125 -> '12.5%', None -> 'no data'."""
    if value is None:
        return "no data"
    percent = round(value * 100, 1)
    return f"{percent:g}%"


def share_axis(values: Sequence[float]) -> tuple[float, float]:
    """The top of a share axis and its tick step: the smallest of TICK_STEPS that reaches the
    largest value in at most MAX_TICKS steps, never past 100%."""
    upper = max([*values, 0.0])
    if upper <= 0:
        return 0.1, 0.02
    if upper >= 1:
        return 1.0, 0.2
    for step in TICK_STEPS:
        ticks = math.ceil(round(upper / step, 9))
        if ticks <= MAX_TICKS:
            return min(1.0, round(ticks * step, 9)), step
    return 1.0, 0.2


def _ticks(top: float, step: float) -> list[float]:
    count = round(top / step)
    return [round(index * step, 9) for index in range(count + 1)]


def _truncate(label: str, limit: int = LABEL_CHARS) -> str:
    return label if len(label) <= limit else label[: limit - 1].rstrip() + "\N{HORIZONTAL ELLIPSIS}"


def _text_width(text: str, size: int) -> float:
    return len(text) * size * CHAR_WIDTH


def _backdrop(x: float, middle: float, words: str, height: float) -> str:
    """A white box behind a label (a little wider than it), so no line crosses the words."""
    width = _text_width(words, SMALL_FONT) + 8
    return (
        f'<rect x="{_number(x)}" y="{_number(middle - height / 2)}" width="{_number(width)}" '
        f'height="{_number(height)}" fill="#ffffff"/>'
    )


def _open_svg(id_prefix: str, width: int, height: int, title: str, description: str) -> list[str]:
    title_id, desc_id = f"{id_prefix}title", f"{id_prefix}desc"
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-labelledby="{title_id} {desc_id}" '
        f'viewBox="0 0 {width} {height}" width="100%" preserveAspectRatio="xMinYMin meet" '
        f'font-family="{_text(FONT)}" font-size="{FONT_SIZE}" fill="{INK}" class="app-chart" '
        f'id="{id_prefix}svg">',
        f'<title id="{title_id}">{_text(title)}</title>',
        f'<desc id="{desc_id}">{_text(description)}</desc>',
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#ffffff"/>',
    ]


# -- bar chart -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Bar:
    """One bar: its label, its share (None: nothing to measure, no bar drawn) and the words shown
    at its end (such as '25% (3 of 12)' or 'no forms in scope')."""

    label: str
    value: float | None
    value_text: str


def bar_chart(
    bars: Sequence[Bar],
    *,
    title: str,
    description: str,
    target: float | None = None,
    target_label: str = "Target",
    id_prefix: str = "bar-chart-",
) -> Markup | None:
    """Horizontal bars of shares (0 to 1) on one scale, each labelled with its name and value, and
    a dashed vertical line at `target` labelled '<target_label> <target>'. None with no bars."""
    if not bars:
        return None
    bar_height, gap = 30, 16
    top_margin = 44 if target is not None else 16
    axis_room = 40
    label_width = min(
        max(_text_width(_truncate(bar.label), FONT_SIZE) for bar in bars) + 12,
        LABEL_CHARS * FONT_SIZE * CHAR_WIDTH,
    )
    value_room = min(max(_text_width(bar.value_text, SMALL_FONT) for bar in bars) + 16, 260)
    x0 = round(label_width + 8)
    x1 = WIDTH - round(value_room)
    values = [bar.value for bar in bars if bar.value is not None]
    top, step = share_axis([*values, *([target] if target is not None else [])])
    scale = (x1 - x0) / top
    plot_bottom = top_margin + len(bars) * (bar_height + gap)
    height = plot_bottom + axis_room

    out = _open_svg(id_prefix, WIDTH, height, title, description)
    out.append('<g class="app-chart__grid">')
    for tick in _ticks(top, step):
        x = x0 + tick * scale
        out.append(
            f'<line x1="{_number(x)}" y1="{top_margin - 6}" x2="{_number(x)}" y2="{plot_bottom}" '
            f'stroke="{GRID}" stroke-width="1"/>'
            f'<text x="{_number(x)}" y="{plot_bottom + 24}" text-anchor="middle" '
            f'font-size="{SMALL_FONT}" fill="{GREY}">{_text(format_share(tick))}</text>'
        )
    out.append("</g>")
    values_drawn: list[str] = []
    out.append('<g class="app-chart__bars">')
    for index, bar in enumerate(bars):
        y = top_margin + index * (bar_height + gap)
        middle = y + bar_height / 2
        out.append(
            f'<g class="app-chart__bar" data-label="{_text(bar.label)}">'
            f'<text x="{x0 - 10}" y="{_number(middle)}" text-anchor="end" dominant-baseline="central">'
            f"{_text(_truncate(bar.label))}</text>"
        )
        end: float = x0
        if bar.value is not None:
            length = max(0.0, min(bar.value, top)) * scale
            end = round(x0 + length, 1)
            out.append(
                f'<rect x="{x0}" y="{y}" width="{_number(length)}" height="{bar_height}" fill="{BLUE}" '
                f'data-value="{bar.value!r}"/>'
            )
        out.append("</g>")
        # Drawn after the target line, with a white outline, so the line never crosses the words.
        # A white box under words the target line would cross (drawn after it), so they stay legible.
        crosses = target is not None and end + 4 <= x0 + min(target, top) * scale <= end + 12 + _text_width(
            bar.value_text, SMALL_FONT
        )
        values_drawn.append(
            (_backdrop(end + 4, middle, bar.value_text, bar_height - 8) if crosses else "")
            + f'<text x="{_number(end + 8)}" y="{_number(middle)}" dominant-baseline="central" '
            f'font-size="{SMALL_FONT}" data-label="{_text(bar.label)}">{_text(bar.value_text)}</text>'
        )
    out.append("</g>")
    out.append(
        f'<line x1="{x0}" y1="{top_margin - 6}" x2="{x0}" y2="{plot_bottom}" '
        f'stroke="{INK}" stroke-width="2"/>'
    )
    if target is not None:
        x = x0 + min(target, top) * scale
        words = f"{target_label} {format_share(target)}"
        anchor = "end" if x + _text_width(words, SMALL_FONT) / 2 > WIDTH - 4 else "middle"
        out.append(
            f'<g class="app-chart__target"><line x1="{_number(x)}" y1="{top_margin - 10}" '
            f'x2="{_number(x)}" y2="{plot_bottom}" stroke="{INK}" stroke-width="3" '
            f'stroke-dasharray="8 5"/>'
            f'<text x="{_number(x)}" y="{top_margin - 18}" text-anchor="{anchor}" font-size="{SMALL_FONT}" '
            f'font-weight="bold">{_text(words)}</text></g>'
        )
    out.append(f'<g class="app-chart__values">{"".join(values_drawn)}</g>')
    out.append("</svg>")
    return Markup("".join(out))


# -- line chart ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Series:
    """One line: its name (drawn at its end with its last value), points by month (None: no value
    that month, the line breaks), and how it is drawn."""

    label: str
    points: Sequence[tuple[date, float | None]]
    colour: str = BLUE
    marker: str = "circle"  # circle | square: the points' shape, so lines differ by more than colour
    dasharray: str | None = None


@dataclass(frozen=True)
class Projection:
    """A dashed line from one (month, share) to another, labelled at its end."""

    start: tuple[date, float]
    end: tuple[date, float]
    label: str


@dataclass
class _Months:
    first: date
    last: date
    x0: float
    x1: float

    @staticmethod
    def index(month: date) -> int:
        return month.year * 12 + month.month - 1

    def x(self, month: date) -> float:
        span = max(1, self.index(self.last) - self.index(self.first))
        return self.x0 + (self.index(month) - self.index(self.first)) / span * (self.x1 - self.x0)


def add_months(month: date, count: int) -> date:
    """The first day of the month `count` months after `month` (before it when negative)."""
    index = _Months.index(month) + count
    return date(index // 12, index % 12 + 1, 1)


def _month_ticks(first: date, last: date, most: int = 6) -> list[date]:
    """Months to label on the axis: every `step` months from the first, at most `most` labels."""
    span = _Months.index(last) - _Months.index(first)
    step = next((s for s in (1, 2, 3, 4, 6, 12, 24, 60) if span // s + 1 <= most), 120)
    return [add_months(first, offset) for offset in range(0, span + 1, step)]


def month_label(month: date) -> str:
    """'Mar 2025': short enough for an axis, in words rather than numbers."""
    return month.strftime("%b %Y")


@dataclass(frozen=True)
class _Key:
    """One entry of a line chart's key: a sample of the line (and its marker) and its words."""

    words: str
    colour: str
    dasharray: str | None = None
    marker: str | None = None


def _key_sample(entry: _Key, x: float, middle: float) -> str:
    dash = f' stroke-dasharray="{entry.dasharray}"' if entry.dasharray else ""
    sample = (
        f'<line x1="{_number(x)}" y1="{_number(middle)}" x2="{_number(x + 40)}" y2="{_number(middle)}" '
        f'stroke="{entry.colour}" stroke-width="3"{dash}/>'
    )
    return sample + _marker(entry.marker, entry.colour, x + 20, middle)


def _marker(kind: str | None, colour: str, x: float, y: float) -> str:
    if kind == "square":
        return f'<rect x="{_number(x - 4.5)}" y="{_number(y - 4.5)}" width="9" height="9" fill="{colour}"/>'
    if kind == "circle":
        return f'<circle cx="{_number(x)}" cy="{_number(y)}" r="5" fill="{colour}"/>'
    if kind == "ring":
        return (
            f'<circle cx="{_number(x)}" cy="{_number(y)}" r="6" fill="#ffffff" stroke="{colour}" '
            'stroke-width="3"/>'
        )
    return ""


def _key_rows(entries: Sequence[_Key], left: float, right: float) -> list[list[tuple[_Key, float]]]:
    """The key's entries laid out left to right, on as many rows as they need."""
    rows: list[list[tuple[_Key, float]]] = [[]]
    x = left
    for entry in entries:
        width = 48 + _text_width(entry.words, SMALL_FONT)
        if rows[-1] and x + width > right:
            rows.append([])
            x = left
        rows[-1].append((entry, x))
        x += width + 24
    return rows


def line_chart(
    series: Sequence[Series],
    *,
    title: str,
    description: str,
    target: float | None = None,
    target_label: str = "Target",
    target_date: date | None = None,
    projection: Projection | None = None,
    id_prefix: str = "line-chart-",
) -> Markup | None:
    """Shares (0 to 1) month by month: each series a line with its own point markers, a dashed
    horizontal target line, a dotted vertical line at `target_date` (when it is within the months
    shown) and a dashed projection, all named in a key above the chart (each with a sample of its
    line and its last value). None when no series has a value."""
    months = [month for line in series for month, value in line.points if value is not None]
    if not months:
        return None
    first, last = min(months), max(months)
    if projection is not None:
        first = min(first, projection.start[0])
        last = max(last, projection.end[0])
    if first == last:  # one month: a month either side, so it is drawn in the middle
        first, last = add_months(first, -1), add_months(last, 1)
    target_month = target_date.replace(day=1) if target_date is not None else None
    if target_month is not None and not first <= target_month <= last:
        target_month = None
    values = [value for line in series for _, value in line.points if value is not None]
    top, step = share_axis([*values, *([target] if target is not None else [])])

    key: list[_Key] = []
    for line in series:
        known = sorted((month, value) for month, value in line.points if value is not None)
        latest = f" ({format_share(known[-1][1])} in {month_label(known[-1][0])})" if known else " (no data)"
        key.append(_Key(line.label + latest, line.colour, line.dasharray, line.marker))
    if target is not None:
        key.append(_Key(f"{target_label} {format_share(target)}", RED, "12 6"))
    if target_month is not None:
        key.append(_Key(f"Target date {month_label(target_month)}", GREY, "2 4"))
    if projection is not None:
        key.append(_Key(projection.label, INK, "6 6", "ring"))
    x0, x1 = 70.0, WIDTH - 50.0
    rows = _key_rows(key, 10, WIDTH - 10)
    key_height = len(rows) * 28
    y0 = key_height + 30.0
    y1 = y0 + 290.0
    height = int(y1 + 50)
    axis = _Months(first, last, x0, x1)

    def y(value: float) -> float:
        return y1 - min(max(value, 0.0), top) / top * (y1 - y0)

    out = _open_svg(id_prefix, WIDTH, height, title, description)
    out.append('<g class="app-chart__key">')
    for number, row in enumerate(rows):
        middle = 16 + number * 28
        for entry, x in row:
            out.append(
                _key_sample(entry, x, middle) + f'<text x="{_number(x + 48)}" y="{_number(middle)}" '
                f'dominant-baseline="central" font-size="{SMALL_FONT}">{_text(entry.words)}</text>'
            )
    out.append("</g>")
    out.append('<g class="app-chart__grid">')
    for tick in _ticks(top, step):
        out.append(
            f'<line x1="{_number(x0)}" y1="{_number(y(tick))}" x2="{_number(x1)}" y2="{_number(y(tick))}" '
            f'stroke="{GRID}" stroke-width="1"/>'
            f'<text x="{_number(x0 - 8)}" y="{_number(y(tick))}" text-anchor="end" '
            'dominant-baseline="central" '
            f'font-size="{SMALL_FONT}" fill="{GREY}">{_text(format_share(tick))}</text>'
        )
    for tick_month in _month_ticks(first, last):
        x = axis.x(tick_month)
        out.append(
            f'<line x1="{_number(x)}" y1="{_number(y1)}" x2="{_number(x)}" y2="{_number(y1 + 6)}" '
            f'stroke="{INK}"/>'
            f'<text x="{_number(x)}" y="{_number(y1 + 28)}" text-anchor="middle" font-size="{SMALL_FONT}" '
            f'fill="{GREY}">{_text(month_label(tick_month))}</text>'
        )
    out.append("</g>")
    out.append(
        f'<path d="M{_number(x0)},{_number(y0 - 10)} L{_number(x0)},{_number(y1)} '
        f'L{_number(x1)},{_number(y1)}" '
        f'fill="none" stroke="{INK}" stroke-width="2"/>'
    )
    if target_month is not None:
        x = axis.x(target_month)
        out.append(
            f'<line class="app-chart__target-date" x1="{_number(x)}" y1="{_number(y0 - 10)}" '
            f'x2="{_number(x)}" y2="{_number(y1)}" stroke="{GREY}" stroke-width="3" stroke-dasharray="2 4"/>'
        )
    if target is not None:
        ty = y(target)
        out.append(
            f'<line class="app-chart__target" x1="{_number(x0)}" y1="{_number(ty)}" x2="{_number(x1)}" '
            f'y2="{_number(ty)}" stroke="{RED}" stroke-width="3" stroke-dasharray="12 6"/>'
        )
    if projection is not None:
        (m1, v1), (m2, v2) = projection.start, projection.end
        out.append(
            f'<g class="app-chart__projection"><line x1="{_number(axis.x(m1))}" y1="{_number(y(v1))}" '
            f'x2="{_number(axis.x(m2))}" y2="{_number(y(v2))}" stroke="{INK}" stroke-width="3" '
            f'stroke-dasharray="6 6"/>{_marker("ring", INK, axis.x(m2), y(v2))}</g>'
        )
    for line in series:
        out.append(f'<g class="app-chart__series" data-label="{_text(line.label)}">')
        segments: list[list[tuple[float, float]]] = [[]]
        for month, value in sorted(line.points, key=lambda point: point[0]):
            if value is None:
                segments.append([])
                continue
            segments[-1].append((axis.x(month), y(value)))
        path = " ".join(
            "M" + " L".join(f"{_number(px)},{_number(py)}" for px, py in segment)
            for segment in segments
            if segment
        )
        dash = f' stroke-dasharray="{line.dasharray}"' if line.dasharray else ""
        out.append(f'<path d="{path}" fill="none" stroke="{line.colour}" stroke-width="3"{dash}/>')
        # Markers on at most MAX_MARKERS points (and always the last): more would merge into a band.
        drawn = [point for segment in segments for point in segment]
        every = math.ceil(len(drawn) / MAX_MARKERS) if drawn else 1
        out.extend(
            _marker(line.marker, line.colour, px, py)
            for index, (px, py) in enumerate(drawn)
            if index % every == 0 or index == len(drawn) - 1
        )
        out.append("</g>")
    out.append("</svg>")
    return Markup("".join(out))
