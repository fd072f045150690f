"""Spreadsheet output: written text must never become a formula (CSV/formula injection)."""

#: A cell starting with one of these is a formula for a spreadsheet: neutralise it.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    """Text that a spreadsheet could run as a formula is prefixed with an apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value
