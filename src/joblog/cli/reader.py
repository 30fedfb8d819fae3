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
from typing import IO, Any, Final, TypeAlias

import orjson

from ..profiles import normalize
from .errors import CLIError
from .values import Timestamp, parse_time

__all__ = [
    "Getter",
    "Prefilter",
    "Row",
    "ScanStats",
    "Source",
    "lookup",
    "parse_object",
    "read_blocks",
    "read_lines",
    "resolve_sources",
    "scan",
    "scan_events",
    "to_event",
]

#: File names a directory argument contributes (gzip-compressed variants too).
LOG_SUFFIXES: Final = (".jsonl", ".log", ".jsonl.gz", ".log.gz")
_CHUNK: Final = 1 << 20
_GLOB_CHARS: Final = frozenset("*?[")
_EMPTY: Final[dict[str, Any]] = {}
_UNSET: Final = object()


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


#: A compiled expression: a function of a row, ``None`` for absent.
Getter: TypeAlias = "Callable[[Row], Any]"


def lookup(data: dict[str, Any], name: str, *, structures: bool = False) -> Any:
    """
    The value of the flattened field *name* in the JSON object *data*, or ``None``.

    ``a.b.1`` walks objects by key and arrays by index; a key that itself
    contains dots (``fields.message``) is found too.  Objects and arrays are
    not values (only their leaves are fields, as in CloudWatch), so they
    count as absent, like ``null``, unless *structures* asks for them
    (``unnest`` reads a list).
    """
    value = data.get(name)
    if value is None and "." in name:
        value = _walk(data, name.split("."), 0)
    if not structures and (type(value) is dict or type(value) is list):
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
    """
    What a scan met: lines parsed, and those that were not JSON objects.

    Lines the text pre-filter skips are never parsed, so they count in neither.
    """

    parsed: int = 0
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


class _Opened:
    """A source opened for reading: the stream to read and what to close afterwards."""

    def __init__(self, source: Source, stdin: IO[bytes]) -> None:
        self.closing: list[IO[bytes]] = []
        if source.path is None:
            stream: IO[bytes] = stdin
        else:
            try:
                stream = open(source.path, "rb")  # noqa: SIM115 - closed by close()
            except OSError as exc:
                raise CLIError(f"cannot read {source.log}: {exc.strerror}") from None
            self.closing.append(stream)
        peek = getattr(stream, "peek", None)
        if peek is not None and peek(2)[:2] == b"\x1f\x8b":
            stream = gzip.GzipFile(fileobj=stream, mode="rb")  # type: ignore[assignment]
            self.closing.insert(0, stream)
        self.stream = stream

    def close(self) -> None:
        for stream in self.closing:
            stream.close()


def read_blocks(source: Source, stdin: IO[bytes]) -> Iterator[bytes]:
    """
    The content of *source* in large blocks of whole lines.

    Every block but the last ends with a newline.  Working on blocks costs
    far less per line than ``readline``; a line longer than a block is joined
    once, when it ends.

    Raises:
        CLIError: when the file cannot be opened or read (a corrupt gzip file).
    """
    opened = _Opened(source, stdin)
    try:
        pending: list[bytes] = []
        while True:
            try:
                chunk = opened.stream.read(_CHUNK)
            except (OSError, EOFError, zlib.error) as exc:
                raise CLIError(f"cannot read {source.log}: {exc}") from None
            if not chunk:
                break
            cut = chunk.rfind(b"\n") + 1
            if not cut:
                pending.append(chunk)
                continue
            if pending:
                pending.append(chunk[:cut])
                yield b"".join(pending)
                pending = []
            else:
                yield chunk if cut == len(chunk) else chunk[:cut]
            if cut < len(chunk):
                pending.append(chunk[cut:])
        if pending:
            yield b"".join(pending)
    finally:
        opened.close()


def read_lines(source: Source, stdin: IO[bytes]) -> Iterator[list[bytes]]:
    """The lines of *source*, in batches, without their newlines."""
    for block in read_blocks(source, stdin):
        lines = block.split(b"\n")
        if not lines[-1]:
            lines.pop()
        yield lines


def _reject_constant(name: str) -> Any:
    raise ValueError(name)


def to_event(value: Any) -> dict[str, Any] | None:
    """
    The event dict a parsed line stands for, or ``None`` when it is no JSON object.

    Every reader (``query``, ``trace``, ``pretty``, lines from CloudWatch)
    turns a parsed line into an event here and only here, so a line written
    in another field layout can be mapped back to joblog's field names in
    this one place: ECS, Google Cloud and Datadog lines are read back under
    joblog's names, so ``filter level = "error"`` works on each.
    """
    return normalize(value) if type(value) is dict else None


def parse_object(line: bytes) -> dict[str, Any] | None:
    """The event on *line* (see :func:`to_event`), or ``None`` when the line is not one."""
    try:
        value = orjson.loads(line)
    except orjson.JSONDecodeError:
        value = _parse_slowly(line)
    return to_event(value)


def _parse_slowly(line: bytes) -> Any:
    # orjson refuses a few things JSON allows (an escaped lone surrogate);
    # the standard library settles those.  NaN and Infinity are not JSON.
    try:
        return json.loads(line, parse_constant=_reject_constant)
    except (ValueError, RecursionError):
        return None


@dataclass(frozen=True)
class Prefilter:
    """
    A cheap test on a raw line, false only for lines a query is sure to drop.

    ``needles``, when given, are byte strings one of which every line that
    passes ``test`` contains, unless it contains a backslash (a JSON escape
    can spell any text another way).  The scanner then looks for them in a
    whole block at once and never looks at the other lines.
    """

    test: Callable[[bytes], bool]
    needles: tuple[bytes, ...] | None = None


def _candidates(block: bytes, needles: tuple[bytes, ...]) -> list[bytes]:
    """The lines of *block* holding one of *needles* or a backslash, in order."""
    starts: dict[int, int] = {}
    for needle in (*needles, b"\\"):
        find = block.find(needle)
        while find >= 0:
            start = block.rfind(b"\n", 0, find) + 1
            end = block.find(b"\n", find)
            if end < 0:
                end = len(block)
            starts[start] = end
            find = block.find(needle, end)
    return [block[start : starts[start]] for start in sorted(starts)]


def _other_profile(block: bytes) -> bool:
    """Whether *block* is written in another profile's layout, judged by its first line.

    ECS lines begin ``{"@timestamp"``, Google Cloud's ``{"time"``, Datadog's
    have ``"status"`` where joblog's have ``"level"``.
    """
    start = block.lstrip()[:96]
    if start.startswith((b'{"@timestamp"', b'{"time"')):
        return True
    datadog = b'"status":"' in start and b'"level":"' not in start
    return start.startswith(b'{"timestamp"') and datadog


def _parse_block(
    block: bytes,
    stats: ScanStats,
    needles: tuple[bytes, ...] | None,
    test: Callable[[bytes], bool] | None,
) -> tuple[list[bytes], list[dict[str, Any]]]:
    """
    The non-blank lines of *block* the pre-filter keeps, and their events.

    A line that is not a JSON object has the empty event.  This is the one
    place a line becomes an event, for :func:`scan` and :func:`scan_events`.
    """
    if test is not None and _other_profile(block):
        # Lines of another profile (ECS, GCP, Datadog) name and spell fields
        # otherwise until they are read back: parse them all.
        test = needles = None
    if needles is not None:
        lines = _candidates(block, needles)
    else:
        lines = block.split(b"\n")
        if not lines[-1]:
            lines.pop()
    carriage = b"\r" in block
    if test is None and not carriage:
        whole = _parse_whole(lines, stats)
        if whole is not None:
            return lines, whole
    kept: list[bytes] = []
    events: list[dict[str, Any]] = []
    keep = kept.append
    add = events.append
    loads = orjson.loads
    decode_error = orjson.JSONDecodeError
    not_json = 0
    for line in lines:
        if carriage and line[-1:] == b"\r":
            line = line[:-1]
        body = line
        if line[:1] != b"{":
            body = line.strip()
            if not body:
                continue
        if test is not None and not test(line):
            continue
        data: Any = None
        if body[:1] == b"{":
            try:
                data = loads(body)
            except decode_error:
                data = _parse_slowly(body)
        data = to_event(data)
        if data is None:
            not_json += 1
            data = _EMPTY
        keep(line)
        add(data)
    stats.parsed += len(kept)
    stats.not_json += not_json
    return kept, events


def _parse_whole(lines: list[bytes], stats: ScanStats) -> list[dict[str, Any]] | None:
    """
    The events of *lines* parsed in one go, or ``None`` when one needs a closer look.

    In the usual block every line is a JSON object that orjson reads:
    parsing them all in one comprehension gives what the line-by-line loop
    of :func:`_parse_block` gives (orjson skips the whitespace around a
    value, as the loop strips it), much faster.  A blank line, one orjson
    refuses, or a JSON value that is no object sends the block through the
    loop, which decides what such lines are.
    """
    loads = orjson.loads
    try:
        parsed = [loads(line) for line in lines]
    except orjson.JSONDecodeError:
        return None
    if parsed and set(map(type, parsed)) != {dict}:
        return None
    events: list[Any] = list(map(to_event, parsed))
    not_json = events.count(None)
    if not_json:
        events = [_EMPTY if event is None else event for event in events]
        stats.not_json += not_json
    stats.parsed += len(events)
    return events


def scan_events(
    sources: Iterable[Source], stdin: IO[bytes], stats: ScanStats
) -> Iterator[list[dict[str, Any]]]:
    """
    The events of all *sources*, in batches, in file order: :func:`scan` without rows.

    A query that reads only the lines' own fields (a leading ``stats`` over
    plain fields) needs neither the raw line, nor ``@timestamp``, nor a row
    object per line; an event that is no JSON object is empty, as its row's
    data is.

    Raises:
        CLIError: when a file cannot be read.
    """
    for source in sources:
        for block in read_blocks(source, stdin):
            yield _parse_block(block, stats, None, None)[1]


def scan(
    sources: Iterable[Source],
    stdin: IO[bytes],
    stats: ScanStats,
    *,
    prefilter: Prefilter | None = None,
    since: float | None = None,
    until: float | None = None,
) -> Iterator[Row]:
    """
    The rows of all *sources*, one per non-blank line, in file order.

    Args:
        sources: what to read.
        stdin: the byte stream standing for ``-``.
        stats: counts lines parsed and lines that were not JSON objects.
        prefilter: lines it rules out are skipped without being parsed.
        since: drop rows before this time (epoch ms, inclusive).
        until: drop rows at or after this time (epoch ms).

    Raises:
        CLIError: when a file cannot be read.
    """
    seq = 0
    bounded = since is not None or until is not None
    low = since if since is not None else float("-inf")
    high = until if until is not None else float("inf")
    test = prefilter.test if prefilter is not None else None
    needles = prefilter.needles if prefilter is not None else None
    for source in sources:
        for block in read_blocks(source, stdin):
            lines, events = _parse_block(block, stats, needles, test)
            for line, data in zip(lines, events):  # noqa: B905 - built together
                seq += 1
                row = Row(line, data, source, seq)
                if bounded:
                    ts = row.timestamp
                    if ts is None or not low <= ts < high:
                        continue
                yield row
