"""Every CSV answer of the registry is written here, safe to open in a spreadsheet.

Titles and names in a CSV answer are written by stewards, and a spreadsheet reads a cell that starts with
`=`, `+`, `-`, `@`, a tab or a carriage return as a formula (CSV injection: `=HYPERLINK(...)` leaking other
cells, `=cmd|...` running a program). As OWASP's CSV injection guidance says, such a cell is written with a
leading `'`, and every field is quoted, with quotes inside it doubled. A cell is treated so when its first
character, or its first after leading whitespace, is one of those, or a full-width form of one (U+FF1D,
U+FF0B, U+FF0D, U+FF20, which some spreadsheets fold into them); numbers such as `-3` get the quote too.

Not for SPARQL's text/csv results, a W3C data format whose cells are the query's values, as they are."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import Any

#: what a spreadsheet may take for the start of a formula
FORMULA_START = frozenset("=+-@\t\r\uff1d\uff0b\uff0d\uff20")


def cell(value: Any) -> str:
    """One field's text, with a leading `'` when a spreadsheet could read it as a formula."""
    text = "" if value is None else str(value)
    if text[:1] in FORMULA_START or text.lstrip()[:1] in FORMULA_START:
        return "'" + text
    return text


def table(header: Iterable[Any], rows: Iterable[Iterable[Any]]) -> str:
    """A CSV document (RFC 4180: CRLF line ends, every field quoted) of a header and rows, each cell
    through `cell`."""
    out = io.StringIO()
    w = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    w.writerow([cell(v) for v in header])
    w.writerows([cell(v) for v in row] for row in rows)
    return out.getvalue()
