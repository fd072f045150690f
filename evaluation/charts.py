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
import math
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from html import escape

from django.utils.safestring import SafeString, mark_safe

from actions.funding import GAP_LABEL
from actions.funding import gap as funding_gap
from ctg import formatting, palette
from ctg.ratios import share_pct

FONT = "system-ui, -apple-system, 'Segoe UI', 'DejaVu Sans', Arial, sans-serif"
TEXT = "#212529"
MUTED = "#6c757d"
GRID = "#dee2e6"
TRACK = "#e9ecef"
BLUE = palette.BRAND
PALETTE = palette.SERIES


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
    # The same chart drawn for a phone (PHONE_WIDTH units, PHONE_FONT and more): a wide chart
    # shrunk into a phone's 330 px would write its 13-unit labels 6 to 9 px high. The page's
    # CSS shows one of the two (static/css/ctg.css, .ctg-chart-phone), the PDF the wide one.
    phone_svg: str = ""

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
        svg = self.svg
        if self.phone_svg:
            svg = _with_class(self.svg, "ctg-chart-wide") + _with_class(
                self.phone_svg, "ctg-chart-phone"
            )
        return mark_safe(f'<figure class="ctg-chart {self.css_class}">{svg}{details}</figure>')

    def __str__(self) -> str:
        return self.__html__()


def _with_class(svg: str, css_class: str) -> str:
    """The chart's ``<svg`` with a class (which of the two drawings a page shows)."""
    return svg.replace("<svg ", f'<svg class="{css_class}" ', 1)


# ---------------------------------------------------------------- phone drawings

#: Width of the phone drawings, in SVG units: a phone shows them 300 to 340 px wide, so that
#: a unit is about a pixel and PHONE_FONT keeps every label at 12 px or more.
PHONE_WIDTH = 300
PHONE_FONT = 13
#: Average advance of a character at PHONE_FONT (a generous estimate, to truncate in time).
PHONE_CHAR = 7.6


def _fit(text: str, room: float) -> str:
    """``text`` truncated to what ``room`` units hold at PHONE_FONT."""
    return _truncate(text, max(4, int(room / PHONE_CHAR)))


def _wrap(text: str, room: float) -> list[str]:
    """``text`` in lines that ``room`` units hold at PHONE_FONT."""
    size = max(8, int(room / PHONE_CHAR))
    lines: list[str] = []
    for word in text.split():
        if lines and len(lines[-1]) + 1 + len(word) <= size:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines or [""]


def _svg_open(
    width: int, height: int, title: str, desc: str, fixed: bool = False, font_size: int = 13
) -> tuple[str, str]:
    # Unique on a page made of fragments drawn by different processes at different times
    # (ctg.fragments): random, not a per-process counter whose values repeat across workers.
    uid = f"chart{secrets.randbelow(10**12)}"
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
        f'font-family="{_e(FONT)}" font-size="{font_size}">'
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
    phone = _hbar_phone(bars, title, desc, scale_max, unit, marker_label)
    return Figure(svg="".join(parts), title=title, headers=headers, rows=rows, phone_svg=phone)


def _hbar_phone(
    bars: Sequence[Bar], title: str, desc: str, scale_max: float, unit: str, marker_label: str
) -> str:
    """The bars for a phone: each label on its own line above its bar, the value at the
    line's end."""
    width, row_h, top = PHONE_WIDTH, 40, 4
    legend = _wrap(marker_label, width - 20) if marker_label and bars else []
    height = top + max(1, len(bars)) * row_h + len(legend) * 18 + (6 if legend else 0)
    head, _ = _svg_open(width, height, title, desc, font_size=PHONE_FONT)
    parts = [head]
    if not bars:
        parts.append(
            f'<text x="{width / 2}" y="{height / 2 + 4}" text-anchor="middle" fill="{MUTED}">'
            "Aucune donnée</text>"
        )
    for i, bar in enumerate(bars):
        y = top + i * row_h
        if bar.value is None:
            shown, color, weight = bar.display or "pas de donnée", MUTED, ""
        else:
            shown = bar.display or formatting.number(bar.value, 1) + unit
            color, weight = TEXT, ' font-weight="600"'
        room = width - len(shown) * PHONE_CHAR - 8
        parts.append(
            f'<text x="0" y="{y + 14}" fill="{TEXT}"><title>{_e(bar.label)}</title>'
            f"{_e(_fit(bar.label, room))}</text>"
            f'<text x="{width}" y="{y + 14}" text-anchor="end" fill="{color}"{weight}>'
            f"{_e(shown)}</text>"
            f'<rect x="0" y="{y + 20}" width="{width}" height="12" rx="3" fill="{TRACK}"/>'
        )
        if bar.value is not None:
            share = max(0.0, min(1.0, float(bar.value) / scale_max))
            parts.append(
                f'<rect x="0" y="{y + 20}" width="{share * width:.1f}" height="12" rx="3" '
                f'fill="{bar.color}"/>'
            )
        if bar.marker is not None:
            mx = max(1.0, min(width - 1.0, float(bar.marker) / scale_max * width))
            parts.append(
                f'<line x1="{mx:.1f}" x2="{mx:.1f}" y1="{y + 17}" y2="{y + 35}" stroke="{TEXT}" '
                'stroke-width="2" stroke-dasharray="3 2"/>'
            )
    y = top + len(bars) * row_h + 4
    for n, line in enumerate(legend):
        if n == 0:
            parts.append(
                f'<line x1="0" x2="14" y1="{y + 9}" y2="{y + 9}" stroke="{TEXT}" '
                'stroke-width="2" stroke-dasharray="3 2"/>'
            )
        parts.append(f'<text x="20" y="{y + 14}" fill="{MUTED}">{_e(line)}</text>')
        y += 18
    parts.append("</svg>")
    return "".join(parts)


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


def budget_chart(
    items: Sequence[Budget], *, title: str, width: int = 440, label_header: str = "Financeur"
) -> Figure:
    """Spent on planned, per funder (or per year: ``label_header``), with the gap spent −
    planned in the table. The scale rule: each bar is its own line's
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
        fill, spent_w = _spent_bar(item, width)
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
            formatting.amount(funding_gap(i.planned, i.spent), 0),
        ]
        for i in items
    ]
    return Figure(
        svg="".join(parts),
        title=title,
        headers=[label_header, "Prévu", "Dépensé", "Taux de consommation", GAP_LABEL],
        rows=rows,
        phone_svg=_budget_phone(items, title, desc),
    )


def _spent_bar(item: Budget, width: float) -> tuple[str, float]:
    """The spent part of a funder's bar: its colour (overspent beyond 100 %) and width."""
    ratio = item.ratio_pct
    fill = palette.FUNDING_OVERSPENT if ratio is not None and ratio > 100 else palette.FUNDING_SPENT
    return fill, 0.0 if ratio is None else max(0.0, min(1.0, ratio / 100)) * width


def _budget_phone(items: Sequence[Budget], title: str, desc: str) -> str:
    """The funding bars for a phone: the funder, then the amounts, then the bar."""
    width, row_h, top = PHONE_WIDTH, 58, 4
    height = top + max(1, len(items)) * row_h
    head, _ = _svg_open(width, height, title, desc, font_size=PHONE_FONT)
    parts = [head]
    for n, item in enumerate(items):
        y = top + n * row_h
        fill, spent_w = _spent_bar(item, width)
        parts.append(
            f'<text x="0" y="{y + 13}" fill="{TEXT}" font-weight="600"><title>{_e(item.label)}'
            f"</title>{_e(_fit(item.label, width))}</text>"
            f'<text x="0" y="{y + 31}" fill="{MUTED}">{_e(budget_text(item))}</text>'
            f'<rect x="0" y="{y + 37}" width="{width}" height="12" rx="3" '
            f'fill="{palette.FUNDING_PLANNED}"/>'
            f'<rect x="0" y="{y + 37}" width="{spent_w:.1f}" height="12" rx="3" fill="{fill}"/>'
        )
    parts.append("</svg>")
    return "".join(parts)


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
    return Figure(
        svg="".join(parts),
        title=title,
        headers=["Catégorie", "Nombre"],
        rows=rows,
        phone_svg=_stacked_phone(segments, title, desc),
    )


def _stacked_phone(segments: Sequence[Segment], title: str, desc: str) -> str:
    """The bar for a phone, its legend in two columns when the labels fit, else one."""
    width = PHONE_WIDTH
    total = sum(s.count for s in segments)
    legends = [f"{s.label} ({_count(s.count)})" for s in segments]
    longest = max((len(text) for text in legends), default=0)
    columns = 2 if 18 + longest * PHONE_CHAR <= width / 2 - 6 else 1
    legend_rows = (len(segments) + columns - 1) // columns
    height = 44 + legend_rows * 22
    head, _ = _svg_open(width, height, title, desc, font_size=PHONE_FONT)
    parts = [head]
    if total:
        x = 0.0
        for s in segments:
            if not s.count:
                continue
            w = s.count / total * width
            parts.append(
                f'<rect x="{x:.1f}" y="4" width="{w:.1f}" height="28" fill="{s.color}">'
                f"<title>{_e(s.label)} : {_count(s.count)}</title></rect>"
            )
            if w > 10 + len(_count(s.count)) * PHONE_CHAR:
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
    for i, (s, text) in enumerate(zip(segments, legends, strict=True)):
        col, row = i % columns, i // columns
        lx, ly = col * (width / columns), 48 + row * 22
        parts.append(
            f'<rect x="{lx:.1f}" y="{ly}" width="12" height="12" rx="2" fill="{s.color}"/>'
            f'<text x="{lx + 18:.1f}" y="{ly + 11}" fill="{TEXT}">'
            f"{_e(_fit(text, width / columns - 20))}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


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
    desc = " ; ".join(desc_parts) or "Aucune mesure."
    drawing = dict(series=series, title=title, desc=desc, ref_lines=ref_lines)
    drawing.update(year_axis=year_axis, x_range=x_range)
    wide = _line_drawing(**drawing, width=width, height=height, phone=False)
    phone = _line_drawing(**drawing, width=PHONE_WIDTH, height=220, phone=True)
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
    return Figure(svg=wide, title=title, headers=headers, rows=rows, phone_svg=phone)


def _line_drawing(
    *,
    series: Sequence[Series],
    title: str,
    desc: str,
    ref_lines: Sequence[RefLine],
    year_axis: bool,
    x_range: tuple[datetime.date, datetime.date] | None,
    width: int,
    height: int,
    phone: bool,
) -> str:
    """The SVG of a line chart: wide (11-unit axis labels, the legend on one line) or for a
    phone (PHONE_FONT everywhere, at most three dates on the axis, a legend line per series)."""
    all_points = [p for s in series for p in s.points]
    xs = [p[0] for p in all_points]
    ys = [float(p[1]) for p in all_points] + [float(r.value) for r in ref_lines]
    small = PHONE_FONT if phone else 11
    legend = list(series) if len(series) > 1 else []
    if phone:
        height += len(legend) * 18
        legend_h = len(legend) * 18
        right, top, bottom = 8, 16, 30 + legend_h
    else:
        legend_h = 0
        right, top, bottom = 16, 16, 56
    lo = hi = step = 0.0
    if xs:
        lo, hi, step = _nice_bounds(min(ys), max(ys))
    ticks_y = []
    tick = lo
    while xs and tick <= hi + step / 1000:
        ticks_y.append(tick)
        tick += step
    if phone:
        longest = max((len(formatting.number(t, 2)) for t in ticks_y), default=1)
        left = int(min(70, 10 + longest * PHONE_CHAR))
    else:
        left = 62
    plot_w, plot_h = width - left - right, height - top - bottom
    head, _ = _svg_open(width, height, title, desc, font_size=PHONE_FONT if phone else 13)
    parts = [head]
    if not xs:
        parts.append(
            f'<rect x="{left}" y="{top}" width="{plot_w}" height="{plot_h}" fill="#f8f9fa" '
            f'stroke="{GRID}"/><text x="{left + plot_w / 2}" y="{top + plot_h / 2}" '
            f'text-anchor="middle" fill="{MUTED}">'
            + ("Aucune mesure" if phone else "Aucune mesure pour l'instant")
            + "</text>"
        )
    else:
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

        for tick in ticks_y:
            y = py(tick)
            parts.append(
                f'<line x1="{left}" x2="{left + plot_w}" y1="{y:.1f}" y2="{y:.1f}" stroke="{GRID}"/>'
                f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" fill="{MUTED}" '
                f'font-size="{small}">{_e(formatting.number(tick, 2))}</text>'
            )
        ticks_x = _x_ticks(x0, x1, year_axis)
        if phone and len(ticks_x) > 3:
            ticks_x = [ticks_x[0], ticks_x[len(ticks_x) // 2], ticks_x[-1]]
        for n, d in enumerate(ticks_x):
            x = px(d)
            anchor = "middle"
            if phone and len(ticks_x) > 1:  # the first and last labels stay inside
                anchor = "start" if n == 0 else "end" if n == len(ticks_x) - 1 else "middle"
            parts.append(
                f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{top + plot_h}" y2="{top + plot_h + 4}" '
                f'stroke="{MUTED}"/><text x="{x:.1f}" y="{top + plot_h + 17}" '
                f'text-anchor="{anchor}" fill="{MUTED}" font-size="{small}">'
                f"{_e(_x_text(d, year_axis, short=True))}</text>"
            )
        for r in ref_lines:
            y = py(r.value)
            parts.append(
                f'<line x1="{left}" x2="{left + plot_w}" y1="{y:.1f}" y2="{y:.1f}" '
                f'stroke="{r.color}" stroke-width="2" stroke-dasharray="{r.dash}"/>'
                f'<text x="{left + plot_w - 4}" y="{y - 5:.1f}" text-anchor="end" fill="{r.color}" '
                f'font-size="{small}" font-weight="600">{_e(r.label)} : {_e(formatting.number(r.value, 2))}</text>'
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
    if phone:
        for n, s in enumerate(legend):
            y = height - legend_h + n * 18 + 4
            parts.append(
                f'<rect x="0" y="{y + 4}" width="12" height="4" fill="{s.color}"/>'
                f'<text x="18" y="{y + 10}" fill="{TEXT}">{_e(_fit(s.label, width - 18))}</text>'
            )
    else:
        lx = left
        for s in legend:
            parts.append(
                f'<rect x="{lx}" y="{height - 20}" width="12" height="4" fill="{s.color}"/>'
                f'<text x="{lx + 16}" y="{height - 14}" font-size="12" fill="{TEXT}">'
                f"{_e(_truncate(s.label, 24))}</text>"
            )
            lx += 28 + min(24, len(s.label)) * 7
    parts.append("</svg>")
    return "".join(parts)


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
