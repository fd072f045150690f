"""The workbooks the application writes (openpyxl): one look, one set of formats.

- Written text never becomes a formula (CSV/formula injection): :func:`safe_cell`.
- Dates are real dates shown ``31/12/2024`` (:data:`DATE_FORMAT`), date-times
  ``31/12/2024 14:30``; amounts are numbers shown ``1 234,50 €`` (:data:`EURO_FORMAT`:
  the spreadsheet writes its own locale's separators), shares of 1 are shown as whole
  percentages, as on the pages (:data:`PERCENT_FORMAT`). Nothing is written as text
  that a spreadsheet could compute with.
- A header row: white bold text on the Caf blue (:func:`style_header`); a status
  cell: the palette's colour of that status, as its badge on the pages
  (:func:`status_fill`).
- A date used as a column title is written ``31/12/2024`` (:func:`header_date`): a
  title is text, and the measurement workbook reads it back.
"""

from __future__ import annotations

import datetime
import functools
from collections.abc import Iterable

from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import column_index_from_string, get_column_letter

from ctg import formatting, palette

#: A cell starting with one of these is a formula for a spreadsheet: neutralise it.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

DATE_FORMAT = "DD/MM/YYYY"
DATE_TIME_FORMAT = "DD/MM/YYYY HH:MM"
EURO_FORMAT = '#,##0.00 "€"'
PERCENT_FORMAT = "0 %"  # a fraction shown as a whole percentage, as on the pages
DECIMAL_FORMAT = "#,##0.00"  # a baseline, a target, a measured value


def safe_cell(value):
    """Text that a spreadsheet could run as a formula is prefixed with an apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def header_date(day: datetime.date) -> str:
    """A date as a column title: ``31/12/2024`` (:func:`ctg.formatting.date_short`)."""
    return formatting.date_short(day)


def _argb(hex_colour: str) -> str:
    return "FF" + hex_colour.lstrip("#").upper()


@functools.cache
def _header_style() -> tuple[Font, PatternFill, Alignment]:
    return (
        Font(bold=True, color=_argb(palette.WHITE)),
        PatternFill("solid", fgColor=_argb(palette.BRAND)),
        Alignment(vertical="center", wrap_text=True),
    )


def style_header(cells: Iterable) -> None:
    """White bold text on the Caf blue, wrapped: the header row of every sheet."""
    font, fill, alignment = _header_style()
    for cell in cells:
        cell.font, cell.fill, cell.alignment = font, fill, alignment


@functools.cache
def _status_style(status: str) -> tuple[PatternFill, Font]:
    tone = palette.tone(status)
    return PatternFill("solid", fgColor=tone.argb), Font(color=tone.text_argb)


def status_fill(cell, status: str) -> None:
    """The palette's colour of a fiche or indicator status, as its badge on the pages (one
    style object per status, shared by its cells: building them per cell cost a fifth of
    the plan export)."""
    cell.fill, cell.font = _status_style(str(status))


def number_format(ws, columns: Iterable[int | str], fmt: str, *, first_row: int = 2) -> None:
    """``fmt`` on the cells of ``columns`` (letters or numbers) from ``first_row`` down."""
    for column in columns:
        index = column_index_from_string(column) if isinstance(column, str) else column
        for (cell,) in ws.iter_rows(min_row=first_row, min_col=index, max_col=index):
            cell.number_format = fmt


def widths(ws, values: Iterable[int]) -> None:
    """Column widths, from column A on."""
    for index, width in enumerate(values, start=1):
        ws.column_dimensions[get_column_letter(index)].width = width
