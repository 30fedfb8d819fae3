"""
Input: which files to read, reading them (plain or gzip, or stdin), and the rows they become.

A line is one event.  A JSON object becomes a row whose fields are its keys
(nested objects flattened with dots, arrays by index, ``null`` absent); any
other line becomes a row with only ``@message``, as CloudWatch shows a line
it cannot parse, and is counted.  Rows are built lazily: ``@message`` is
decoded and ``@timestamp`` parsed only when something asks for them.
"""

from __future__ import annotations

import glob
import gzip
import json
import os
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import IO, Any, Final

import orjson

from .errors import CLIError
from .values import Timestamp, parse_time

__all__ = ["Row", "ScanStats", "Source", "lookup", "read_lines", "resolve_sources", "scan"]

#: File names a directory argument contributes (gzip-compressed variants too).
LOG_SUFFIXES: Final = (".jsonl", ".log", ".jsonl.gz", ".log.gz")
_CHUNK: Final = 1 << 20
_GLOB_CHARS: Final = frozenset("*?[")
_EMPTY: Final[dict[str, Any]] = {}
_UNSET: Final = object()
_BLANKS: Final = (b"", b" ", b"\t", b"\f", b"\v")


@dataclass(frozen=True)
class Source:
    """
    One input: a file, or stdin (``path`` is ``None``).

    ``log_stream`` is what ``@logStream`` shows (the file's name), ``log``
    what ``@log`` shows (the path as given).
    """

    log: str
    log_stream: str
    path: str | None
    timestamp_key: str = field(default="timestamp", compare=False)


class Row:
    """
    One event: the raw line, its parsed JSON object and the fields commands added.

    ``extra`` holds fields created by ``fields … as``, ``parse`` and
    ``stats``; they shadow the line's own fields of the same name.
    """

    __slots__ = ("_message", "_ts", "data", "extra", "raw", "seq", "source")

    def __init__(
        self,
        raw: bytes | None,
        data: dict[str, Any],
        source: Source | None,
        seq: int,
        extra: dict[str, Any] | None = None,
    ) -> None:
        self.raw = raw
        self.data = data
        self.source = source
        self.seq = seq
        self.extra = extra
        self._message: str | None = None
        self._ts: Any = _UNSET

    @property
    def message(self) -> str | None:
        """``@message``: the raw line (invalid UTF-8 shown as ``\\xNN``)."""
        if self._message is None and self.raw is not None:
            self._message = self.raw.decode("utf-8", "backslashreplace")
        return self._message

    @property
    def timestamp(self) -> Timestamp | None:
        """``@timestamp``: parsed from the source's timestamp key, or ``None``."""
        if self._ts is _UNSET:
            source = self.source
            value = self.data.get(source.timestamp_key) if source is not None else None
            self._ts = parse_time(value) if value is not None else None
        return self._ts  # type: ignore[no-any-return]


def lookup(data: dict[str, Any], name: str) -> Any:
    """
    The value of the flattened field *name* in the JSON object *data*, or ``None``.

    ``a.b.1`` walks objects by key and arrays by index; a key that itself
    contains dots (``fields.message``) is found too.  Objects and arrays are
    not values (only their leaves are fields, as in CloudWatch), so they
    count as absent, like ``null``.
    """
    value = data.get(name)
    if value is None and "." in name:
        value = _walk(data, name.split("."), 0)
    if type(value) is dict or type(value) is list:
        return None
    return value


def _walk(node: Any, parts: list[str], start: int) -> Any:
    if start == len(parts):
        return node
    for end in range(start + 1, len(parts) + 1):
        key = ".".join(parts[start:end])
        if type(node) is dict:
            child = node.get(key)
        elif type(node) is list and key.isdigit() and int(key) < len(node):
            child = node[int(key)]
        else:
            return None
        if child is not None:
            found = _walk(child, parts, end)
            if found is not None:
                return found
    return None


@dataclass
class ScanStats:
    """What a scan met: lines read and lines that were not JSON objects."""

    lines: int = 0
    not_json: int = 0


def resolve_sources(args: Sequence[str], timestamp_key: str = "timestamp") -> list[Source]:
    """
    Turn FILE arguments into sources: files, globs, directories, ``-`` for stdin.

    A directory contributes its ``*.jsonl`` and ``*.log`` files (and their
    ``.gz`` forms), recursively, in name order.  No argument means stdin.

    Raises:
        CLIError: for a missing file, or a glob or directory with no log files.
    """
    if not args:
        return [Source("-", "-", None, timestamp_key)]
    sources: list[Source] = []
    for arg in args:
        if arg == "-":
            sources.append(Source("-", "-", None, timestamp_key))
            continue
        if os.path.isdir(arg):
            paths = sorted(
                os.path.join(root, name)
                for root, _dirs, names in os.walk(arg)
                for name in names
                if name.endswith(LOG_SUFFIXES)
            )
            if not paths:
                raise CLIError(f"no *.jsonl or *.log files in the directory {arg}")
        elif os.path.exists(arg):
            paths = [arg]
        elif _GLOB_CHARS.intersection(arg):
            paths = sorted(p for p in glob.glob(arg, recursive=True) if os.path.isfile(p))
            if not paths:
                raise CLIError(f"no files match {arg}")
        else:
            raise CLIError(f"no such file: {arg}")
        sources.extend(Source(p, os.path.basename(p), p, timestamp_key) for p in paths)
    return sources


def _open(source: Source, stdin: IO[bytes]) -> IO[bytes]:
    if source.path is None:
        stream: IO[bytes] = stdin
    else:
        try:
            stream = open(source.path, "rb")  # noqa: SIM115 - closed by read_lines
        except OSError as exc:
            raise CLIError(f"cannot read {source.log}: {exc.strerror}") from None
    peek = getattr(stream, "peek", None)
    if peek is not None and peek(2)[:2] == b"\x1f\x8b":
        return gzip.GzipFile(fileobj=stream, mode="rb")  # type: ignore[return-value]
    return stream


def read_lines(source: Source, stdin: IO[bytes]) -> Iterator[list[bytes]]:
    """
    The lines of *source*, in batches, without their line endings.

    Reads large blocks and splits them, which costs far less per line than
    ``readline``; a line longer than a block is joined once, when it ends.

    Raises:
        CLIError: when the file cannot be opened or read (a corrupt gzip file).
    """
    stream = _open(source, stdin)
    try:
        pending: list[bytes] = []
        while True:
            try:
                chunk = stream.read(_CHUNK)
            except (OSError, EOFError, zlib.error) as exc:
                raise CLIError(f"cannot read {source.log}: {exc}") from None
            if not chunk:
                break
            if b"\n" not in chunk:
                pending.append(chunk)
                continue
            if pending:
                pending.append(chunk)
                chunk = b"".join(pending)
                pending = []
            lines = chunk.split(b"\n")
            last = lines.pop()
            if last:
                pending.append(last)
            yield lines
        if pending:
            yield [b"".join(pending)]
    finally:
        if stream is not stdin:
            stream.close()


def _reject_constant(name: str) -> Any:
    raise ValueError(name)


def parse_object(line: bytes) -> dict[str, Any] | None:
    """The JSON object on *line*, or ``None`` when the line is not one."""
    try:
        value = orjson.loads(line)
    except orjson.JSONDecodeError:
        # orjson refuses a few things JSON allows (an escaped lone surrogate);
        # the standard library settles those.  NaN and Infinity are not JSON.
        try:
            value = json.loads(line, parse_constant=_reject_constant)
        except (ValueError, RecursionError):
            return None
    return value if type(value) is dict else None


def scan(
    sources: Iterable[Source],
    stdin: IO[bytes],
    stats: ScanStats,
    *,
    prefilter: Callable[[bytes], bool] | None = None,
    since: float | None = None,
    until: float | None = None,
) -> Iterator[Row]:
    """
    The rows of all *sources*, one per non-blank line, in file order.

    Args:
        sources: what to read.
        stdin: the byte stream standing for ``-``.
        stats: counts lines read and lines that were not JSON objects.
        prefilter: a test on the raw line that is false only for lines the
            query is sure to drop; those are skipped without parsing (and
            counted as not JSON only when they are not shaped like an object).
        since: drop rows before this time (epoch ms, inclusive).
        until: drop rows at or after this time (epoch ms).

    Raises:
        CLIError: when a file cannot be read.
    """
    seq = 0
    bounded = since is not None or until is not None
    low = since if since is not None else float("-inf")
    high = until if until is not None else float("inf")
    for source in sources:
        for lines in read_lines(source, stdin):
            stats.lines += len(lines)
            for line in lines:
                if line[-1:] == b"\r":
                    line = line[:-1]
                body = line
                if line[:1] in _BLANKS:
                    body = line.strip()
                if not body:
                    stats.lines -= 1
                    continue
                if prefilter is not None and not prefilter(line):
                    if not (body[:1] == b"{" and body[-1:] == b"}"):
                        stats.not_json += 1
                    continue
                data = parse_object(body) if body[:1] == b"{" else None
                if data is None:
                    stats.not_json += 1
                    data = _EMPTY
                seq += 1
                row = Row(line, data, source, seq)
                if bounded:
                    ts = row.timestamp
                    if ts is None or not low <= ts < high:
                        continue
                yield row
