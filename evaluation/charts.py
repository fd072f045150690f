"""Server-side SVG charts: the same pictures in the browser and in the PDF reports.

Every function returns a :class:`Figure`: an inline ``<svg role="img">`` with a
``<title>`` and a ``<desc>`` (the accessible name and summary), followed by a
text alternative — a ``<details>`` holding a table of the very numbers drawn.
No JavaScript, no external file: WeasyPrint renders inline SVG as it is.

Labels are French; numbers, amounts and dates are written by ``ctg.formatting``
(the one formatter), colours come from ``ctg.palette``.
"""

from __future__ import annotations

import datetime
import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from html import escape

from django.utils.safestring import SafeString, mark_safe

from ctg import formatting, palette
from ctg.ratios import share_pct

FONT = "system-ui, -apple-system, 'Segoe UI', 'DejaVu Sans', Arial, sans-serif"
TEXT = "#212529"
MUTED = "#6c757d"
GRID = "#dee2e6"
TRACK = "#e9ecef"
BLUE = palette.BRAND
PALETTE = palette.SERIES

_ids = itertools.count(1)


def _count(value: int) -> str:
    return formatting.number(value, 0)


def _e(text) -> str:
    return escape(str(text), quote=True)


def _truncate(text: str, size: int) -> str:
    return text if len(text) <= size else text[: size - 1].rstrip() + "…"


@dataclass
class Figure:
    """An SVG picture and its text alternative (a table of the same data)."""

    svg: str
    title: str
    headers: Sequence[str] = ()
    rows: Sequence[Sequence[str]] = ()
    caption: str = "Voir les données du graphique"
    css_class: str = ""
    extra: dict = field(default_factory=dict)

    def table_html(self) -> str:
        head = "".join(f'<th scope="col">{_e(h)}</th>' for h in self.headers)
        body = "".join(
            "<tr>"
            + "".join(
                (
                    f'<th scope="row">{_e(c)}</th>'
                    if i == 0
                    else f'<td class="text-end">{_e(c)}</td>'
                )
                for i, c in enumerate(row)
            )
            + "</tr>"
            for row in self.rows
        )
        return (
            '<table class="table table-sm small mb-0">'
            f'<caption class="visually-hidden">{_e(self.title)}</caption>'
            f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
        )

    def __html__(self) -> SafeString:
        details = ""
        if self.headers:
            details = (
                f'<details class="chart-data mt-1"><summary class="small text-muted">'
                f"{_e(self.caption)}</summary>{self.table_html()}</details>"
            )
        return mark_safe(f'<figure class="ctg-chart {self.css_class}">{self.svg}{details}</figure>')

    def __str__(self) -> str:
        return self.__html__()


def _svg_open(
    width: int, height: int, title: str, desc: str, fixed: bool = False
) -> tuple[str, str]:
    uid = f"chart{next(_ids)}"
    size = (
        f'width="{width}" height="{height}"'
        if fixed
        # No style= attribute (the Content-Security-Policy refuses inline styles):
        # the CSS caps the width at the container's (max-width: 100%; height: auto).
        else f'width="{width}" preserveAspectRatio="xMinYMin meet"'
    )
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" viewBox="0 0 {width} {height}" '
        f"{size} "
        f'aria-labelledby="{uid}-t {uid}-d" aria-label="{_e(title)}" '
        f'font-family="{_e(FONT)}" font-size="13">'
        f'<title id="{uid}-t">{_e(title)}</title><desc id="{uid}-d">{_e(desc)}</desc>'
    )
    return head, uid


# ---------------------------------------------------------------- bar charts


@dataclass
class Bar:
    label: str
    value: float | None
    display: str = ""  # the text shown at the end of the bar (defaults to the value)
    color: str = BLUE
    marker: float | None = None  # e.g. the expected progress, drawn as a tick
    note: str = ""


def hbar_chart(
    bars: Sequence[Bar],
    *,
    title: str,
    max_value: float | None = None,
    unit: str = "",
    value_header: str = "Valeur",
    label_header: str = "Libellé",
    marker_label: str = "",
    width: int = 640,
    extra_columns: Sequence[tuple[str, Sequence[str]]] = (),
) -> Figure:
    """Horizontal bars, one per item; values beyond ``max_value`` are capped in the drawing."""
    row_h, top, right = 28, 8, 104
    label_w = 230 if width >= 560 else 150
    height = top * 2 + max(1, len(bars)) * row_h + (18 if marker_label else 0)
    values = [float(b.value) for b in bars if b.value is not None]
    scale_max = float(max_value) if max_value else max(values + [0]) or 1.0
    plot_w = width - label_w - right
    desc = (
        " ; ".join(f"{b.label} : {b.display or formatting.number(b.value, 1) + unit}" for b in bars)
        or "Aucune donnée."
    )
    head, _ = _svg_open(width, height, title, desc)
    parts = [head]
    if not bars:
        parts.append(
            f'<text x="{width / 2}" y="{height / 2 + 4}" text-anchor="middle" fill="{MUTED}">'
            "Aucune donnée</text>"
        )
    for i, bar in enumerate(bars):
        y = top + i * row_h
        parts.append(
            f'<text x="{label_w - 8}" y="{y + 18}" text-anchor="end" fill="{TEXT}">'
            f"<title>{_e(bar.label)}</title>{_e(_truncate(bar.label, label_w // 7))}</text>"
        )
        parts.append(
            f'<rect x="{label_w}" y="{y + 5}" width="{plot_w}" height="18" rx="3" fill="{TRACK}"/>'
        )
        if bar.value is not None:
            share = max(0.0, min(1.0, float(bar.value) / scale_max))
            parts.append(
                f'<rect x="{label_w}" y="{y + 5}" width="{share * plot_w:.1f}" height="18" rx="3" '
                f'fill="{bar.color}"/>'
            )
        if bar.marker is not None:
            mx = label_w + max(0.0, min(1.0, float(bar.marker) / scale_max)) * plot_w
            parts.append(
                f'<line x1="{mx:.1f}" x2="{mx:.1f}" y1="{y + 1}" y2="{y + 27}" stroke="{TEXT}" '
                'stroke-width="2" stroke-dasharray="3 2"/>'
            )
        if bar.value is None:
            # No value: say it inside the empty track, where there is room.
            parts.append(
                f'<text x="{label_w + 8}" y="{y + 18}" fill="{MUTED}" font-size="12">'
                f"{_e(bar.display or 'pas de donnée')}</text>"
                f'<text x="{label_w + plot_w + 6}" y="{y + 18}" fill="{MUTED}">—</text>'
            )
        else:
            shown = bar.display or formatting.number(bar.value, 1) + unit
            parts.append(
                f'<text x="{label_w + plot_w + 6}" y="{y + 18}" fill="{TEXT}" font-weight="600">'
                f"{_e(shown)}</text>"
            )
    if marker_label and bars:
        y = height - 8
        parts.append(
            f'<line x1="{label_w}" x2="{label_w + 14}" y1="{y - 4}" y2="{y - 4}" stroke="{TEXT}" '
            'stroke-width="2" stroke-dasharray="3 2"/>'
            f'<text x="{label_w + 20}" y="{y}" fill="{MUTED}" font-size="12">{_e(marker_label)}</text>'
        )
    parts.append("</svg>")
    headers = [label_header, value_header] + [c[0] for c in extra_columns]
    rows = []
    for i, bar in enumerate(bars):
        row = [
            bar.label,
            bar.display
            or (formatting.number(bar.value, 1) + unit if bar.value is not None else "—"),
        ]
        row += [c[1][i] for c in extra_columns]
        rows.append(row)
    return Figure(svg="".join(parts), title=title, headers=headers, rows=rows)


def progress_bar(
    value: float | None, *, title: str, expected: float | None = None, width: int = 220
) -> Figure:
    """A single progress bar in % (display capped to 0–100), with the expected share as a tick."""
    height = 16
    desc = f"Progression : {formatting.percent(value)}" + (
        f" ; attendu à cette date : {formatting.percent(expected)}" if expected is not None else ""
    )
    head, _ = _svg_open(width, height, title, desc, fixed=True)
    parts = [head, f'<rect x="0" y="3" width="{width}" height="10" rx="5" fill="{TRACK}"/>']
    if value is not None:
        share = max(0.0, min(1.0, float(value) / 100))
        color = palette.TONES["success"].hex if share >= 1 else BLUE
        parts.append(
            f'<rect x="0" y="3" width="{share * width:.1f}" height="10" rx="5" fill="{color}"/>'
        )
    if expected is not None:
        ex = max(1.0, min(width - 1.0, float(expected) / 100 * width))
        parts.append(
            f'<line x1="{ex:.1f}" x2="{ex:.1f}" y1="0" y2="{height}" stroke="{TEXT}" stroke-width="2"/>'
        )
    parts.append("</svg>")
    return Figure(svg="".join(parts), title=title, css_class="ctg-chart-inline")


@dataclass
class Budget:
    label: str
    planned: Decimal
    spent: Decimal

    @property
    def ratio_pct(self) -> float | None:
        """Spent ÷ planned of this line, in % (None when nothing is planned)."""
        return share_pct(self.spent, self.planned)


def budget_text(item: Budget) -> str:
    """``49 500 € / 81 000 € (61 %)``: the words written beside a funding bar."""
    ratio = item.ratio_pct
    return f"{formatting.amount(item.spent, 0)} / {formatting.amount(item.planned, 0)}" + (
        f" ({formatting.percent(ratio)})" if ratio is not None else ""
    )


def budget_chart(items: Sequence[Budget], *, title: str, width: int = 440) -> Figure:
    """Spent on planned, per funder. The scale rule: each bar is its own line's
    planned amount (the whole track), filled by what was spent of it — the bar's
    length is the rate written beside it, whatever the other lines' amounts.
    Spending beyond the planned amount fills the track in a warning colour."""
    row_h, top = 44, 6
    height = top + max(1, len(items)) * row_h
    desc = (
        " ; ".join(
            f"{i.label} : {formatting.amount(i.spent, 0)} dépensés sur "
            f"{formatting.amount(i.planned, 0)} prévus"
            + (f", soit {formatting.percent(i.ratio_pct)}" if i.ratio_pct is not None else "")
            for i in items
        )
        or "Aucun financement."
    )
    head, _ = _svg_open(width, height, title, desc)
    parts = [head]
    for n, item in enumerate(items):
        y = top + n * row_h
        ratio = item.ratio_pct
        fill = (
            palette.FUNDING_OVERSPENT
            if ratio is not None and ratio > 100
            else palette.FUNDING_SPENT
        )
        spent_w = 0.0 if ratio is None else max(0.0, min(1.0, ratio / 100)) * width
        parts.append(
            f'<text x="0" y="{y + 12}" fill="{TEXT}" font-weight="600">{_e(item.label)}</text>'
            f'<text x="{width}" y="{y + 12}" text-anchor="end" fill="{MUTED}" font-size="12">'
            f"{_e(budget_text(item))}</text>"
            f'<rect x="0" y="{y + 18}" width="{width}" height="14" rx="3" '
            f'fill="{palette.FUNDING_PLANNED}"/>'
            f'<rect x="0" y="{y + 18}" width="{spent_w:.1f}" height="14" rx="3" fill="{fill}"/>'
        )
    parts.append("</svg>")
    rows = [
        [
            i.label,
            formatting.amount(i.planned, 0),
            formatting.amount(i.spent, 0),
            formatting.percent(i.ratio_pct),
        ]
        for i in items
    ]
    return Figure(
        svg="".join(parts),
        title=title,
        headers=["Financeur", "Prévu", "Dépensé", "Taux de consommation"],
        rows=rows,
    )


# ---------------------------------------------------------- stacked bar


@dataclass
class Segment:
    label: str
    count: int
    color: str
    text_color: str = "#fff"  # the count written on the segment (readable on ``color``)

    @classmethod
    def of_status(cls, label: str, count: int, status: str) -> Segment:
        """A segment in the palette's colours of a fiche or indicator status."""
        return cls(label, count, palette.color(status), palette.text_color(status))


def stacked_bar(segments: Sequence[Segment], *, title: str, width: int = 640) -> Figure:
    """One bar split by category (e.g. fiches by status), with a legend below."""
    total = sum(s.count for s in segments)
    shown = [s for s in segments if s.count]
    columns = 3 if width >= 560 else 2
    legend_rows = (len(segments) + columns - 1) // columns
    height = 44 + legend_rows * 22
    desc = (
        " ; ".join(f"{s.label} : {_count(s.count)}" for s in segments)
        + f" ; total : {_count(total)}"
        if total
        else "Aucun élément."
    )
    head, _ = _svg_open(width, height, title, desc)
    parts = [head]
    if total:
        x = 0.0
        for s in shown:
            w = s.count / total * width
            parts.append(
                f'<rect x="{x:.1f}" y="4" width="{w:.1f}" height="28" fill="{s.color}">'
                f"<title>{_e(s.label)} : {_count(s.count)}</title></rect>"
            )
            if w > 24:
                parts.append(
                    f'<text x="{x + w / 2:.1f}" y="23" text-anchor="middle" '
                    f'fill="{s.text_color}" font-weight="600">{_count(s.count)}</text>'
                )
            x += w
    else:
        parts.append(f'<rect x="0" y="4" width="{width}" height="28" fill="{TRACK}"/>')
        parts.append(
            f'<text x="{width / 2}" y="23" text-anchor="middle" fill="{MUTED}">Aucun élément</text>'
        )
    for i, s in enumerate(segments):
        col, row = i % columns, i // columns
        lx, ly = col * (width / columns), 50 + row * 22
        parts.append(
            f'<rect x="{lx:.1f}" y="{ly}" width="12" height="12" rx="2" fill="{s.color}"/>'
            f'<text x="{lx + 18:.1f}" y="{ly + 11}" fill="{TEXT}" font-size="12">'
            f"{_e(s.label)} ({_count(s.count)})</text>"
        )
    parts.append("</svg>")
    rows = [[s.label, _count(s.count)] for s in segments] + [["Total", _count(total)]]
    return Figure(svg="".join(parts), title=title, headers=["Catégorie", "Nombre"], rows=rows)


# ------------------------------------------------------------ line chart


@dataclass
class Series:
    label: str
    points: Sequence[tuple[datetime.date, float]]
    color: str = BLUE


@dataclass
class RefLine:
    label: str
    value: float
    color: str = MUTED
    dash: str = "6 4"


def _nice_bounds(lo: float, hi: float) -> tuple[float, float, float]:
    """Round axis bounds and a step giving 3 to 6 grid lines."""
    if lo == hi:
        lo, hi = lo - 1, hi + 1
    span = hi - lo
    mag = 10 ** math.floor(math.log10(span / 4))
    step = mag
    for m in (1, 2, 2.5, 5, 10):
        step = m * mag
        if span / step <= 5:
            break
    return math.floor(lo / step) * step, math.ceil(hi / step) * step, step


def line_chart(
    series: Sequence[Series],
    *,
    title: str,
    unit: str = "",
    ref_lines: Sequence[RefLine] = (),
    x_label: str = "Date",
    year_axis: bool = False,
    x_range: tuple[datetime.date, datetime.date] | None = None,
    width: int = 640,
    height: int = 280,
) -> Figure:
    """A time series (or several), with optional horizontal reference lines
    (the baseline and the target of an indicator)."""
    left, right, top, bottom = 62, 16, 16, 56
    plot_w, plot_h = width - left - right, height - top - bottom
    all_points = [p for s in series for p in s.points]
    xs = [p[0] for p in all_points]
    ys = [float(p[1]) for p in all_points] + [float(r.value) for r in ref_lines]
    desc_parts = []
    for s in series:
        if s.points:
            desc_parts.append(
                f"{s.label} : "
                + ", ".join(
                    f"{_x_text(d, year_axis)} {formatting.number(v, 2)}{(' ' + unit) if unit else ''}"
                    for d, v in s.points
                )
            )
    desc_parts += [f"{r.label} : {formatting.number(r.value, 2)}" for r in ref_lines]
    head, _ = _svg_open(width, height, title, " ; ".join(desc_parts) or "Aucune mesure.")
    parts = [head]
    if not xs:
        parts.append(
            f'<rect x="{left}" y="{top}" width="{plot_w}" height="{plot_h}" fill="#f8f9fa" '
            f'stroke="{GRID}"/><text x="{left + plot_w / 2}" y="{top + plot_h / 2}" '
            f'text-anchor="middle" fill="{MUTED}">Aucune mesure pour l\'instant</text>'
        )
    else:
        lo, hi, step = _nice_bounds(min(ys), max(ys))
        x0, x1 = min(xs), max(xs)
        if x_range:
            x0, x1 = min(x0, x_range[0]), max(x1, x_range[1])
        if year_axis:
            x0, x1 = datetime.date(x0.year, 1, 1), datetime.date(x1.year, 1, 1)
        days = max(1, (x1 - x0).days)

        def px(d: datetime.date) -> float:
            if x0 == x1:
                return left + plot_w / 2
            return left + (d - x0).days / days * plot_w

        def py(v: float) -> float:
            return top + plot_h - (float(v) - lo) / (hi - lo) * plot_h

        tick = lo
        while tick <= hi + step / 1000:
            y = py(tick)
            parts.append(
                f'<line x1="{left}" x2="{left + plot_w}" y1="{y:.1f}" y2="{y:.1f}" stroke="{GRID}"/>'
                f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" fill="{MUTED}" '
                f'font-size="11">{_e(formatting.number(tick, 2))}</text>'
            )
            tick += step
        for d in _x_ticks(x0, x1, year_axis):
            x = px(d)
            parts.append(
                f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{top + plot_h}" y2="{top + plot_h + 4}" '
                f'stroke="{MUTED}"/><text x="{x:.1f}" y="{top + plot_h + 17}" text-anchor="middle" '
                f'fill="{MUTED}" font-size="11">{_e(_x_text(d, year_axis, short=True))}</text>'
            )
        for r in ref_lines:
            y = py(r.value)
            parts.append(
                f'<line x1="{left}" x2="{left + plot_w}" y1="{y:.1f}" y2="{y:.1f}" '
                f'stroke="{r.color}" stroke-width="2" stroke-dasharray="{r.dash}"/>'
                f'<text x="{left + plot_w - 4}" y="{y - 5:.1f}" text-anchor="end" fill="{r.color}" '
                f'font-size="11" font-weight="600">{_e(r.label)} : {_e(formatting.number(r.value, 2))}</text>'
            )
        for s in series:
            pts = sorted(s.points)
            if not pts:
                continue
            path = " ".join(f"{px(d):.1f},{py(v):.1f}" for d, v in pts)
            parts.append(
                f'<polyline points="{path}" fill="none" stroke="{s.color}" stroke-width="2.5" '
                'stroke-linejoin="round"/>'
            )
            for d, v in pts:
                parts.append(
                    f'<circle cx="{px(d):.1f}" cy="{py(v):.1f}" r="4" fill="#fff" '
                    f'stroke="{s.color}" stroke-width="2"><title>{_e(s.label)}, '
                    f"{_e(_x_text(d, year_axis))} : {_e(formatting.number(v, 2))}</title></circle>"
                )
        parts.append(
            f'<line x1="{left}" x2="{left + plot_w}" y1="{top + plot_h}" y2="{top + plot_h}" '
            f'stroke="{MUTED}"/>'
        )
    legend = list(series) if len(series) > 1 else []
    lx = left
    for s in legend:
        parts.append(
            f'<rect x="{lx}" y="{height - 20}" width="12" height="4" fill="{s.color}"/>'
            f'<text x="{lx + 16}" y="{height - 14}" font-size="12" fill="{TEXT}">'
            f"{_e(_truncate(s.label, 24))}</text>"
        )
        lx += 28 + min(24, len(s.label)) * 7
    parts.append("</svg>")
    # Table alternative: one row per date, one column per series.
    dates = sorted({d for s in series for d, _ in s.points})
    headers = [x_label] + [s.label for s in series]
    lookup = [{d: v for d, v in s.points} for s in series]
    rows = [
        [_x_text(d, year_axis)]
        + [formatting.number(m.get(d), 2) if d in m else "—" for m in lookup]
        for d in dates
    ]
    rows += [[r.label] + [formatting.number(r.value, 2)] * len(series) for r in ref_lines]
    return Figure(svg="".join(parts), title=title, headers=headers, rows=rows)


MONTHS_SHORT = [
    "janv.", "févr.", "mars", "avr.", "mai", "juin",
    "juil.", "août", "sept.", "oct.", "nov.", "déc.",
]  # fmt: skip


def _x_text(d: datetime.date, year_axis: bool, short: bool = False) -> str:
    if year_axis or (short and d.month == 1 and d.day == 1):
        return str(d.year)
    if short:
        return f"{MONTHS_SHORT[d.month - 1]} {d.year}"
    return formatting.date(d)


def _x_ticks(x0: datetime.date, x1: datetime.date, year_axis: bool) -> list[datetime.date]:
    if x0 == x1:
        return [x0]
    if year_axis or (x1 - x0).days > 3 * 365:
        years = list(range(x0.year if year_axis else x0.year + 1, x1.year + 1))
        step = max(1, len(years) // 6 + (1 if len(years) % 6 else 0)) if len(years) > 6 else 1
        return [datetime.date(y, 1, 1) for y in years[::step]] or [x0]
    ticks, d = [], datetime.date(x0.year, x0.month, 1)
    months = (x1.year - x0.year) * 12 + x1.month - x0.month
    every = 1 if months <= 6 else 3 if months <= 18 else 6 if months <= 36 else 12
    while d <= x1:
        if d >= x0 and (d.month - 1) % every == 0:
            ticks.append(d)
        d = datetime.date(d.year + (d.month == 12), d.month % 12 + 1, 1)
    return ticks or [x0]
