"""
Result formats: an aligned table, a JSON array, JSON lines and CSV.

Rows are mappings from column to value with absent columns left out.
Timestamps print as ``YYYY-MM-DD HH:MM:SS.mmm`` in every format;
JSON keeps numbers and booleans as they are.  The table escapes every
control character, so a hostile log line cannot move the cursor or forge a
line of output.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from typing import IO, Any, Final

from ..render import dumps, escape_text
from .values import Timestamp, text

__all__ = ["FORMATS", "format_rows", "write_text"]

#: The names ``--format`` accepts.
FORMATS: Final = ("table", "json", "jsonl", "csv")

Record = Mapping[str, Any]


def _jsonable(value: object) -> object:
    return str(value) if type(value) is Timestamp else value


def _json_row(columns: Sequence[str], record: Record) -> str:
    return dumps({name: _jsonable(record[name]) for name in columns if name in record}, option=0)


def format_rows(
    kind: str, columns: Sequence[str], records: Sequence[Record], *, width: int | None = None
) -> str:
    """
    Render *records* in the format *kind* (one of :data:`FORMATS`).

    Args:
        kind: ``table``, ``json``, ``jsonl`` or ``csv``.
        columns: the column names, in order.
        records: the rows, column -> value, absent columns left out.
        width: fit the table into this many characters (a terminal's
            width), cutting the widest cells short with ``…``.

    Raises:
        ValueError: for an unknown format.
    """
    if kind == "jsonl":
        return "".join(_json_row(columns, record) + "\n" for record in records)
    if kind == "json":
        if not records:
            return "[]\n"
        return "[\n" + ",\n".join(_json_row(columns, record) for record in records) + "\n]\n"
    if kind == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(columns)
        for record in records:
            writer.writerow([text(record[name]) if name in record else "" for name in columns])
        return buffer.getvalue()
    if kind == "table":
        return _table(columns, records, width)
    raise ValueError(f"unknown format {kind!r}: expected one of {', '.join(FORMATS)}")


def _is_number(value: object) -> bool:
    return type(value) is int or type(value) is float


def _cell(value: object) -> str:
    """A value as the table shows it: control characters and lone surrogates escaped."""
    cell = escape_text(text(value))
    if not cell.isascii():
        # Escaped now, so the column is as wide as what is written.
        cell = cell.encode("utf-8", "backslashreplace").decode("utf-8")
    return cell


def _fit(widths: list[int], floors: list[int], limit: int) -> list[int]:
    """Narrow the widest columns, together, until the table fits in *limit* characters."""
    widths = list(widths)
    while (excess := sum(widths) + 2 * (len(widths) - 1) - limit) > 0:
        widest = max(range(len(widths)), key=lambda i: widths[i] - floors[i])
        room = widths[widest] - floors[widest]
        if room <= 0:
            break  # as narrow as a table can be; let the terminal wrap it
        others = sorted((w for i, w in enumerate(widths) if i != widest), reverse=True)
        step = widths[widest] - max(floors[widest], others[0] if others else 0)
        widths[widest] -= min(excess, room, step if step > 0 else 1)
    return widths


def _cut(cell: str, width: int) -> str:
    return cell if len(cell) <= width else cell[: width - 1] + "…"


def _table(columns: Sequence[str], records: Sequence[Record], limit: int | None = None) -> str:
    if not records:
        return ""
    header = [_cell(name) for name in columns]
    cells = [
        [_cell(record[name]) if name in record else "" for name in columns] for record in records
    ]
    widths = [max(len(header[i]), *(len(row[i]) for row in cells)) for i in range(len(columns))]
    if limit is not None:
        floors = [min(width, max(8, len(name))) for width, name in zip(widths, header, strict=True)]
        widths = _fit(widths, floors, limit)
        header = [_cut(name, width) for name, width in zip(header, widths, strict=True)]
        cells = [[_cut(c, w) for c, w in zip(row, widths, strict=True)] for row in cells]
    # A column of numbers only is right-aligned, so digits line up.
    numeric = [
        all(_is_number(record[name]) for record in records if name in record)
        and any(name in record for record in records)
        for name in columns
    ]
    last = len(columns) - 1

    def line(values: Sequence[str]) -> str:
        parts = []
        for i, value in enumerate(values):
            if numeric[i]:
                parts.append(value.rjust(widths[i]))
            elif i == last:
                parts.append(value)
            else:
                parts.append(value.ljust(widths[i]))
        return "  ".join(parts).rstrip() + "\n"

    out = [line(header), line(["-" * width for width in widths])]
    out.extend(line(row) for row in cells)
    return "".join(out)


def write_text(stream: IO[str], data: str) -> None:
    """
    Write *data* to *stream*, whatever the stream's encoding.

    Lone surrogates (from JSON escapes such as ``"\\ud800"``) and characters
    the encoding lacks are written as backslash escapes instead of raising.
    """
    try:
        stream.write(data)
    except UnicodeEncodeError:
        encoding = getattr(stream, "encoding", None) or "utf-8"
        stream.write(data.encode(encoding, "backslashreplace").decode(encoding))
