"""
Fitting an event into ``max_line_bytes``: largest strings first, schema fields kept.

An over-long line is split by Docker (16 KiB) and rejected by CloudWatch
Logs (its event limit), so it reaches the reader as broken JSON.  Here the
event is shrunk instead: the largest string (usually the traceback) loses its
middle, where the least is lost (a traceback's head says where, its tail what),
for a marker saying how many bytes were cut; then the next largest, until the
line fits.  ``timestamp``, ``level``, ``logger`` and ``job_id`` are never cut,
and the result is rendered by the same renderer, so it is always valid.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Final

from . import _schema
from .render import format_timestamp, to_jsonable

__all__ = ["DEFAULT_MAX_LINE_BYTES", "MIN_MAX_LINE_BYTES", "fit_line"]

#: Docker's json-file and awslogs drivers split a line at 16 KiB; a line
#: within it reaches every backend whole (CloudWatch takes up to 256 KB/1 MB).
DEFAULT_MAX_LINE_BYTES: Final = 16_384
#: Below this not even the schema fields and a useful message fit.
MIN_MAX_LINE_BYTES: Final = 1024
# Never cut: the fields a line is found and filtered by.
_KEPT: Final = frozenset(
    {_schema.TIMESTAMP, _schema.LEVEL, _schema.LOGGER, _schema.JOB_ID, "request_id"}
)
# A string is cut to no less than this many characters (head and tail).
_STUB: Final = 32
_MAX_ROUNDS: Final = 64

Renderer = Callable[[Mapping[str, Any]], str]


def _size(line: str) -> int:
    return len(line.encode("utf-8", "backslashreplace"))


def _strings(value: Any, out: list[tuple[int, Any, Any]], top: bool) -> None:
    """Collect ``(length, container, key)`` for every string in plain *value*."""
    items = value.items() if isinstance(value, dict) else enumerate(value)
    for key, item in items:
        if type(item) is str:
            if not (top and key in _KEPT) and len(item) > _STUB:
                out.append((len(item), value, key))
        elif isinstance(item, (dict, list)):
            _strings(item, out, False)


def _cut(text: str, excess: int) -> str:
    """*text* without its middle: at least *excess* bytes fewer, plus a marker."""
    encoded = text.encode("utf-8", "backslashreplace")
    keep = max(_STUB, len(encoded) - excess - 40)
    head = encoded[: keep // 2].decode("utf-8", "ignore")
    tail = encoded[len(encoded) - keep // 2 :].decode("utf-8", "ignore")
    cut = len(encoded) - len(head.encode()) - len(tail.encode())
    return f"{head}[... {cut} bytes cut]{tail}"


def fit_line(event: Mapping[str, Any], render: Renderer, limit: int) -> str:
    """
    Render *event* as a line of at most *limit* bytes (the newline included).

    Args:
        event: the finished event (after redaction and layout).
        render: the renderer that produced the over-long line.
        limit: the maximum size in bytes, at least :data:`MIN_MAX_LINE_BYTES`.

    Returns:
        The shrunk line.
    """
    # A container too big on its own is replaced before anything walks it:
    # converting and searching a list of a million numbers for strings to cut
    # costs a second, and cutting strings could not shrink it anyway.
    plain = to_jsonable(_without_oversized(event, limit))
    if not isinstance(plain, dict):  # pragma: no cover - to_jsonable keeps a dict a dict
        plain = {}
    line = render(plain)
    for _ in range(_MAX_ROUNDS):
        excess = _size(line) - limit
        if excess <= 0:
            return line
        strings: list[tuple[int, Any, Any]] = []
        _strings(plain, strings, True)
        if not strings:
            break
        _, container, key = max(strings, key=lambda found: found[0])
        container[key] = _cut(container[key], excess)
        line = render(plain)
    return render(_skeleton(plain, _size(line), limit))


def _without_oversized(event: Mapping[str, Any], limit: int) -> dict[str, Any]:
    """*event* with every container that cannot fit in *limit* bytes replaced by a marker.

    A JSON value takes at least two bytes a list item (``0,``) and six a dict
    item (``"k":0,``), so a list of more than ``limit // 2`` items, or a line
    with more values than that in all, can never fit, whatever is cut.  Such
    a part is replaced without being walked; the rest is copied as it is.
    """
    seen = [0]  # values visited so far, across the whole event
    budget = limit // 2

    def pruned(value: Any) -> Any:
        seen[0] += 1
        kind = type(value)
        if kind is not dict and kind is not list and kind is not tuple:
            return value
        if seen[0] + len(value) > budget or (kind is dict and 6 * len(value) > limit):
            return f"[... {kind.__name__} of {len(value)} items cut]"
        if kind is dict:
            return {key: pruned(item) for key, item in value.items()}
        items = [pruned(item) for item in value]
        return items if kind is list else tuple(items)

    return {key: value if key in _KEPT else pruned(value) for key, value in event.items()}


def _skeleton(plain: Mapping[str, Any], size: int, limit: int) -> dict[str, Any]:
    """The schema fields and job id alone, for an event too big in other ways (many keys)."""
    out: dict[str, Any] = {
        _schema.TIMESTAMP: plain.get(_schema.TIMESTAMP) or format_timestamp(0),
        _schema.LEVEL: str(plain.get(_schema.LEVEL, "error"))[:16],
        _schema.MESSAGE: str(plain.get(_schema.MESSAGE, ""))[: limit // 8],
        _schema.LOGGER: str(plain.get(_schema.LOGGER, "joblog"))[:128],
    }
    for key in (_schema.JOB_ID, "request_id"):
        if key in plain:
            out[key] = plain[key]
    out["truncated"] = f"{size} bytes, over max_line_bytes={limit}: fields dropped"
    return out
