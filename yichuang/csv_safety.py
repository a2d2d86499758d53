"""One guard for every CSV we write: a cell must never run as a spreadsheet formula."""

from __future__ import annotations

from decimal import Decimal

# Excel, LibreOffice and WPS treat a cell starting with these as a formula (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_cell(value) -> str:
    """The value as CSV text; text that would start a formula is quoted, numbers (-5) are not."""
    if value is None:
        return ""
    text = str(value)
    if text[:1] in FORMULA_STARTS and not _is_number(text):
        return "'" + text
    return text


def _is_number(text: str) -> bool:
    try:
        Decimal(text)
    except ArithmeticError:
        return False
    return True
