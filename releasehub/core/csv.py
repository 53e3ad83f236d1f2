"""The one way the app writes CSV: cells a spreadsheet would run as a formula are quoted.

Excel, LibreOffice and Google Sheets treat a cell starting with = + - @ (or a tab or carriage
return before one) as a formula, so a title like `=HYPERLINK(...)` would run when an auditor
opens the export. Such text gets a leading `'`; numbers are written as numbers.
"""

import csv
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal
from typing import Any, Protocol

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
Row = Sequence[Any]


class _Writable(Protocol):
    def write(self, text: str, /) -> Any: ...


def safe_cell(value: Any) -> Any:
    """`value` as a CSV cell a spreadsheet will show and not run."""
    if value is None:
        return ""
    # bool is an int, but a spreadsheet reads True as text: it goes through str like the rest.
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return value
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _safe(row: Row) -> list[Any]:
    return [safe_cell(value) for value in row]


def write_csv(out: _Writable, header: Row, rows: Iterable[Row]) -> None:
    """Write the header and rows to `out` (a file, or an HttpResponse)."""
    writer = csv.writer(out)
    writer.writerow(_safe(header))
    writer.writerows(_safe(row) for row in rows)


class _Line:
    """A file whose write() hands back the line, so csv.writer can feed a stream."""

    def write(self, text: str) -> str:
        return text


def stream_csv(header: Row, rows: Iterable[Row]) -> Iterator[str]:
    """The CSV one line at a time, for a StreamingHttpResponse: memory stays one row."""
    writer = csv.writer(_Line())
    yield writer.writerow(_safe(header))
    for row in rows:
        yield writer.writerow(_safe(row))
