"""
``joblog trace``: one job's lifecycle, with stage timings, as text and as an HTML waterfall.

The lines of the job (``job_id`` equal to the one asked for) are put in time
order and shown in the console format, each with its offset from the job's
first line.  Stages come from what :func:`joblog.stage` writes: every line
inside a stage carries ``stage``, and its last line (completed, failed or
cancelled) carries ``elapsed_ms``, so the stage began ``elapsed_ms`` before
that line.  Stages of the same name that run in parallel (the scenes) are
told apart by the fields that differ between them (``scene=1``).

A job's lines may come from several processes (an API and its Celery
workers, one file each): the files are merged by time, each line shows the
stream (file) it came from, and a Celery task (lines with ``task_id``, from
``Task started`` to ``Task succeeded``/``Task failed``) is a span of its own.
"""

from __future__ import annotations

import argparse
import html
import math
import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from ..render import ConsoleRenderer, dumps, escape_text
from .common import TRACEBACK_KEYS, expand_tracebacks
from .errors import CLIError
from .values import as_number, format_time

__all__ = ["Span", "Trace", "TraceLine", "build_trace", "render_html", "render_text", "run_trace"]

# Fields that never tell two runs of a stage apart.
_NOT_LABELS: Final = frozenset(
    (
        *("timestamp", "level", "message", "logger", "job_id", "stage", "elapsed_ms"),
        *("error_type", "error_message", "exception"),
        *("task_id", "task_name", "pid"),
    )
)
# The lifecycle lines a Celery task writes, and the outcome each one ends with.
_TASK_ENDS: Final = {
    "Task succeeded": "completed",
    "Task failed": "failed",
    "Task retried": "retried",
}
# Timestamps are cut to the millisecond and taken just before the stage's
# clock starts, so a stage's first line can look a little early.
_SLACK_MS: Final = 5.0
_BAR_WIDTH: Final = 40


@dataclass
class TraceLine:
    """One line of the job: its event, its time and its offset from the job's first line."""

    event: Mapping[str, Any]
    time: float | None
    offset: float | None
    level: str
    span: int | None = None
    stream: str = ""

    @property
    def message(self) -> str:
        """The line's ``message`` as text."""
        value = self.event.get("message", "")
        return value if isinstance(value, str) else dumps(value, option=0)


@dataclass
class Span:
    """
    One run of a stage: its name, label, start and end offsets (ms) and outcome.

    ``status`` is ``completed``, ``failed``, ``cancelled``, ``retried`` (a
    Celery task whose last word was a retry) or ``unfinished`` (no closing
    line was found).
    """

    stage: str
    label: str
    start: float
    end: float
    status: str
    labels: dict[str, Any] = field(default_factory=dict)
    lines: list[int] = field(default_factory=list)

    @property
    def duration(self) -> float:
        """The stage's duration in milliseconds."""
        return self.end - self.start

    @property
    def title(self) -> str:
        """``stage`` and its label, as shown."""
        return f"{self.stage} {self.label}".rstrip()


@dataclass
class Trace:
    """A job's lines in time order, its stages, and when it began (epoch ms)."""

    job_id: str
    lines: list[TraceLine]
    spans: list[Span]
    began: float | None

    @property
    def duration(self) -> float:
        """Milliseconds from the first line to the last."""
        offsets = [line.offset for line in self.lines if line.offset is not None]
        return max(offsets) if offsets else 0.0

    def count(self, *levels: str) -> int:
        """How many lines have one of *levels*."""
        return sum(1 for line in self.lines if line.level in levels)


def build_trace(
    job_id: str,
    events: Sequence[tuple[Mapping[str, Any], float | None]],
    streams: Sequence[str] | None = None,
) -> Trace:
    """
    Build the trace of *job_id* from its events and their times (epoch ms), in time order.

    *streams* names the stream (file) each event came from, when there are several.
    """
    began = next((when for _event, when in events if when is not None), None)
    lines = [
        TraceLine(
            event,
            when,
            None if when is None or began is None else when - began,
            str(event.get("level", "")).lower(),
            stream=streams[index] if streams is not None else "",
        )
        for index, (event, when) in enumerate(events)
    ]
    spans = _finished_spans(lines)
    _assign(lines, spans)
    spans.extend(_unfinished_spans(lines, spans))
    spans.extend(_task_spans(lines, spans))
    # In the order their first lines were logged: parallel runs that start in
    # the same millisecond keep the order the job started them in.
    spans.sort(key=lambda span: (min(span.lines, default=len(lines)), span.start))
    for index, span in enumerate(spans):
        for number in span.lines:
            lines[number].span = index
    return Trace(job_id, lines, spans, began)


def _finished_spans(lines: Sequence[TraceLine]) -> list[Span]:
    ends = [
        line
        for line in lines
        if isinstance(line.event.get("stage"), str)
        and as_number(line.event.get("elapsed_ms")) is not None
        and line.offset is not None
    ]
    # Runs of one stage are labelled by the fields bound for the whole stage
    # (on every one of its lines, so not a completion line's results) whose
    # values differ between the runs: scene=1, scene=2.
    by_stage: dict[str, list[TraceLine]] = {}
    for line in ends:
        by_stage.setdefault(line.event["stage"], []).append(line)
    spans = []
    for name, runs in by_stage.items():
        members = [line for line in lines if line.event.get("stage") == name]
        bound = set.intersection(*(set(line.event) for line in members)) - _NOT_LABELS
        varying = [
            key
            for key in sorted(bound)
            if len({dumps(run.event.get(key), option=0) for run in runs}) > 1
        ]
        for run in runs:
            labels = {key: run.event.get(key) for key in varying}
            label = " ".join(f"{key}={_short(value)}" for key, value in labels.items())
            elapsed = float(as_number(run.event["elapsed_ms"]))  # type: ignore[arg-type]
            end: float = run.offset  # type: ignore[assignment]  # filtered above
            spans.append(Span(name, label, max(0.0, end - elapsed), end, _outcome(run), labels))
    return spans


def _outcome(line: TraceLine) -> str:
    if line.level in ("error", "critical"):
        return "failed"
    if line.message.endswith("cancelled") or line.level == "warning":
        return "cancelled"
    return "completed"


def _assign(lines: Sequence[TraceLine], spans: list[Span]) -> None:
    for number, line in enumerate(lines):
        name = line.event.get("stage")
        if not isinstance(name, str) or line.offset is None:
            continue
        for span in spans:
            if (
                span.stage == name
                and span.start - _SLACK_MS <= line.offset <= span.end + _SLACK_MS
                and all(line.event.get(key) == value for key, value in span.labels.items())
            ):
                span.lines.append(number)
                break


def _unfinished_spans(lines: Sequence[TraceLine], spans: Sequence[Span]) -> list[Span]:
    """Stages with lines but no closing line: they ran until the log ends, for all we know."""
    taken = {number for span in spans for number in span.lines}
    open_spans: dict[str, Span] = {}
    for number, line in enumerate(lines):
        name = line.event.get("stage")
        if not isinstance(name, str) or number in taken or line.offset is None:
            continue
        span = open_spans.get(name)
        if span is None:
            span = open_spans[name] = Span(name, "", line.offset, line.offset, "unfinished")
        span.lines.append(number)
    last = max((line.offset for line in lines if line.offset is not None), default=0.0)
    for span in open_spans.values():
        span.end = last
    return list(open_spans.values())


def _task_spans(lines: Sequence[TraceLine], spans: Sequence[Span]) -> list[Span]:
    """
    One span per Celery task: from ``Task started`` (or its first line) to its last outcome.

    A retried task logs ``Task retried`` and then runs again under the same
    ``task_id``, so its span runs on to the outcome of the last attempt.
    """
    taken = {number for span in spans for number in span.lines}
    tasks: dict[str, Span] = {}
    last = max((line.offset for line in lines if line.offset is not None), default=0.0)
    for number, line in enumerate(lines):
        task_id = line.event.get("task_id")
        if not isinstance(task_id, str) or line.offset is None:
            continue
        span = tasks.get(task_id)
        if span is None:
            name = line.event.get("task_name")
            title = f"task {name}" if isinstance(name, str) else "task"
            span = tasks[task_id] = Span(
                title, f"task_id={task_id[:8]}", line.offset, line.offset, "unfinished"
            )
        if number not in taken:
            span.lines.append(number)
        outcome = _TASK_ENDS.get(line.message)
        if outcome is not None:
            span.status = outcome
            span.end = line.offset
            elapsed = as_number(line.event.get("elapsed_ms"))
            if elapsed is not None:
                # elapsed_ms reaches back to the attempt's start, which may be before
                # its first line here (cut to the millisecond, or on another stream).
                span.start = min(span.start, max(0.0, line.offset - float(elapsed)))
        elif line.message == "Task started" and span.status == "retried":
            span.status = "unfinished"  # the next attempt runs
    for span in tasks.values():
        if span.status == "unfinished":
            span.end = last
    return list(tasks.values())


def _short(value: object) -> str:
    return escape_text(value if isinstance(value, str) else dumps(value, option=0))


# --------------------------------------------------------------------------
# Text
# --------------------------------------------------------------------------


def _seconds(ms: float | None) -> str:
    return "" if ms is None else f"+{ms / 1000:.3f}s"


def render_text(trace: Trace, *, colors: bool = False, tracebacks: bool = False) -> str:
    """
    The trace in the console format: a header, the lines with offsets, the stages.

    When the lines come from several streams, each line starts with its
    stream's name; with *tracebacks*, a multi-line traceback is printed
    expanded on indented lines after its line.
    """
    renderer = ConsoleRenderer(colors=colors, timestamps=False)
    out = [_header(trace) + "\n"]
    width = max(len(_seconds(line.offset)) for line in trace.lines)
    streams = {line.stream for line in trace.lines}
    stream_width = max(len(escape_text(stream)) for stream in streams) if len(streams) > 1 else 0
    for line in trace.lines:
        event = {key: value for key, value in line.event.items() if key != "job_id"}
        block = ""
        if tracebacks:
            event, block = expand_tracebacks(event)
        stream = f"{escape_text(line.stream).ljust(stream_width)}  " if stream_width else ""
        out.append(f"{_seconds(line.offset).rjust(width)}  {stream}{renderer(event)}{block}")
    if trace.spans:
        out.append("\n" + _stage_table(trace))
    return "".join(out)


def _header(trace: Trace) -> str:
    parts = [f"{escape_text(trace.job_id)}: {len(trace.lines)} lines"]
    if trace.began is not None:
        parts.append(f"from {format_time(trace.began)}, {trace.duration / 1000:.3f}s")
    warnings = trace.count("warning")
    errors = trace.count("error", "critical")
    parts.append(f"{warnings} warning{'s' if warnings != 1 else ''}")
    parts.append(f"{errors} error{'s' if errors != 1 else ''}")
    return ", ".join(parts)


def _stage_table(trace: Trace) -> str:
    total = max(trace.duration, 1.0)
    titles = [escape_text(span.title) for span in trace.spans]
    width = max(len("stage"), *(len(title) for title in titles))
    rows = [f"{'stage'.ljust(width)}  {'start':>9}  {'duration':>9}  {'status':<10}  timeline"]
    for title, span in zip(titles, trace.spans, strict=True):
        first = min(_BAR_WIDTH - 1, int(span.start / total * _BAR_WIDTH))
        length = max(1, math.ceil(span.duration / total * _BAR_WIDTH))
        length = min(length, _BAR_WIDTH - first)
        fill = "░" if span.status == "unfinished" else "█"
        bar = (" " * first + fill * length).ljust(_BAR_WIDTH)
        rows.append(
            f"{title.ljust(width)}  {_seconds(span.start):>9}  "
            f"{span.duration / 1000:>8.3f}s  {span.status:<10}  |{bar}|"
        )
    return "\n".join(rows) + "\n"


# --------------------------------------------------------------------------
# HTML
# --------------------------------------------------------------------------

_CSS: Final = """
body{font:13px/1.4 system-ui,sans-serif;margin:24px;color:#1a202c;background:#fff}
h1{font-size:18px;margin:0 0 4px}
.summary{color:#4a5568;margin-bottom:16px}
.waterfall{border:1px solid #e2e8f0;border-radius:4px;padding:8px 0}
.row{display:flex;align-items:center;height:26px}
.name{flex:0 0 220px;padding:0 8px;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
.track{position:relative;flex:1;height:100%;margin-right:16px;background:
 repeating-linear-gradient(90deg,transparent 0,transparent calc(10% - 1px),#edf2f7 calc(10% - 1px),
 #edf2f7 10%)}
.axis .track{background:none;border-bottom:1px solid #cbd5e0}
.tick{position:absolute;bottom:2px;font-size:11px;color:#718096;transform:translateX(-50%)}
.bar{position:absolute;top:6px;height:14px;min-width:2px;border-radius:2px}
.bar.completed{background:#2b6cb0}
.bar.failed{background:#c53030}
.bar.cancelled,.bar.retried{background:#dd6b20}
.tb{white-space:pre-wrap;margin:4px 0 0;font:12px/1.4 ui-monospace,monospace}
.bar.unfinished{background:repeating-linear-gradient(45deg,#a0aec0 0,#a0aec0 4px,#e2e8f0 4px,
 #e2e8f0 8px)}
.mark{position:absolute;top:3px;width:3px;height:20px;margin-left:-1px;background:#4a5568;
 opacity:.55}
.mark.warning{background:#d69e2e;opacity:1}
.mark.error,.mark.critical{background:#9b2c2c;opacity:1}
.mark:hover{opacity:1;outline:1px solid #1a202c}
.tip{display:none;position:absolute;top:22px;left:0;z-index:2;background:#1a202c;color:#f7fafc;
 padding:6px 8px;border-radius:4px;white-space:pre-wrap;overflow-wrap:anywhere;
 font:12px/1.4 ui-monospace,monospace;width:max-content;min-width:200px;max-width:560px}
.tip.left{left:auto;right:0}
.mark:hover .tip{display:block}
table{border-collapse:collapse;margin-top:20px;width:100%}
td,th{text-align:left;padding:3px 8px;border-bottom:1px solid #edf2f7;vertical-align:top}
td.offset{white-space:nowrap;text-align:right;color:#718096}
td.fields{font:12px ui-monospace,monospace;color:#4a5568;word-break:break-all}
tr.warning td{background:#fefcbf}
tr.error td,tr.critical td{background:#fed7d7}
.level{font-weight:600}
.duration{color:#718096;font-size:12px}
"""


def _e(value: object) -> str:
    """Escape *value* for HTML text and quoted attributes; control characters too."""
    text = value if isinstance(value, str) else dumps(value, option=0)
    return html.escape(escape_text(text), quote=True)


def _block(value: object) -> str:
    """Escape *value* for HTML like :func:`_e`, keeping its line breaks (tracebacks)."""
    text = value if isinstance(value, str) else dumps(value, option=0)
    return "\n".join(_e(part) for part in text.split("\n"))


def _fields_text(event: Mapping[str, Any]) -> str:
    return "\n".join(f"{_e(key)}: {_block(value)}" for key, value in event.items())


def _value_text(value: object) -> str:
    return value if isinstance(value, str) else dumps(value, option=0)


def _nice_step(total: float) -> float:
    rough = total / 8
    magnitude = 10 ** math.floor(math.log10(rough)) if rough > 0 else 1
    for factor in (1, 2, 5):
        if rough <= factor * magnitude:
            return float(factor * magnitude)
    return float(10 * magnitude)


def render_html(trace: Trace) -> str:
    """
    One self-contained HTML page with the job's waterfall and its lines.

    Stages are bars on a time axis (parallel runs on rows of their own),
    every line is a mark on its stage's row (warnings and errors colored),
    and hovering a mark shows the line's fields.  No script, no external
    resource; every value from the log is escaped.
    """
    total = max(trace.duration, 1.0)

    def pct(ms: float) -> str:
        return f"{min(100.0, max(0.0, ms / total * 100)):.3f}%"

    rows: list[str] = []
    step = _nice_step(total)
    ticks = "".join(
        f'<span class="tick" style="left:{pct(t * step)}">{t * step / 1000:g}s</span>'
        for t in range(int(total // step) + 1)
    )
    rows.append(
        f'<div class="row axis"><div class="name"></div><div class="track">{ticks}</div></div>'
    )
    groups: list[tuple[str, str, list[int], Span | None]] = [
        (
            "job",
            "lines outside any stage",
            [i for i, line in enumerate(trace.lines) if line.span is None],
            None,
        )
    ]
    groups.extend((span.title, span.status, span.lines, span) for span in trace.spans)
    for title, status, numbers, span in groups:
        parts = []
        if span is not None:
            parts.append(
                f'<div class="bar {_e(span.status)}" style="left:{pct(span.start)};'
                f'width:{pct(span.duration)}" title="{_e(span.title)}: '
                f'{span.duration / 1000:.3f}s, {_e(span.status)}"></div>'
            )
        for number in numbers:
            line = trace.lines[number]
            if line.offset is None:
                continue
            # Marks in the right half open their tooltip leftwards, inside the page.
            side = " left" if line.offset > total / 2 else ""
            parts.append(
                f'<div class="mark {_e(line.level)}" style="left:{pct(line.offset)}">'
                f'<div class="tip{side}">{_e(_seconds(line.offset))} {_e(line.level.upper())} '
                f"{_e(line.message)}\n{_fields_text(_with_stream(line))}</div></div>"
            )
        name_title = f"{title} ({status})" if span is not None else title
        duration = (
            f' <span class="duration">{span.duration / 1000:.3f}s</span>'
            if span is not None
            else ""
        )
        rows.append(
            f'<div class="row"><div class="name" title="{_e(name_title)}">'
            f"{_e(title)}{duration}</div>"
            f'<div class="track">{"".join(parts)}</div></div>'
        )
    several = len({line.stream for line in trace.lines}) > 1
    table = "".join(
        f'<tr class="{_e(line.level)}"><td class="offset">{_e(_seconds(line.offset))}</td>'
        + (f'<td class="stream">{_e(line.stream)}</td>' if several else "")
        + f'<td class="level">{_e(line.level.upper())}</td><td>{_e(line.message)}</td>'
        f'<td class="fields">{_e(_line_fields(line.event))}{_tracebacks(line.event)}</td></tr>'
        for line in trace.lines
    )
    stream_head = "<th>stream</th>" if several else ""
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta http-equiv="Content-Security-Policy" '
        "content=\"default-src 'none'; style-src 'unsafe-inline'\">"
        f"<title>joblog trace {_e(trace.job_id)}</title><style>{_CSS}</style></head><body>"
        f'<h1>{_e(trace.job_id)}</h1><div class="summary">{_e(_header(trace))}</div>'
        f'<div class="waterfall">{"".join(rows)}</div>'
        f"<table><thead><tr><th>offset</th>{stream_head}<th>level</th><th>message</th>"
        "<th>fields</th></tr>"
        f"</thead><tbody>{table}</tbody></table></body></html>\n"
    )


def _with_stream(line: TraceLine) -> Mapping[str, Any]:
    return {"@logStream": line.stream, **line.event} if line.stream else line.event


def _is_traceback(key: str, value: object) -> bool:
    return key in TRACEBACK_KEYS and isinstance(value, str) and "\n" in value


def _line_fields(event: Mapping[str, Any]) -> str:
    return " ".join(
        f"{key}={_value_text(value)}"
        for key, value in event.items()
        if key not in ("timestamp", "level", "message", "job_id") and not _is_traceback(key, value)
    )


def _tracebacks(event: Mapping[str, Any]) -> str:
    """Multi-line tracebacks as preformatted blocks, their line breaks kept."""
    return "".join(
        f'<pre class="tb">{_block(value)}</pre>'
        for key, value in event.items()
        if _is_traceback(key, value)
    )


# --------------------------------------------------------------------------
# The command
# --------------------------------------------------------------------------


#: One line found for the trace: its event, its time (epoch ms), its stream.
Found = tuple[Mapping[str, Any], float | None, str]


def run_trace(args: argparse.Namespace) -> int:
    """Run ``joblog trace`` with parsed arguments; see :func:`joblog.cli.main`."""
    from .common import choice_wanted, color_wanted
    from .output import write_text

    job_id: str = args.job_id
    if not job_id:
        raise CLIError("JOB_ID must not be empty")
    if not args.files and not args.log_groups and os.path.exists(job_id):
        raise CLIError(
            f"the job id is missing: {job_id!r} is a file; run joblog trace JOB_ID {job_id}"
        )
    # One pass finds the job, or the jobs whose id starts with JOB_ID.
    found = _from_cloudwatch(args) if args.log_groups else _from_files(args)
    job_id = _choose_job(job_id, {str(event.get("job_id")) for event, _when, _stream in found})
    if not job_id:
        sys.stderr.write(f"joblog trace: no line has job_id {escape_text(args.job_id)!r}\n")
        return 1
    lines = [item for item in found if str(item[0].get("job_id")) == job_id]
    # Stable: lines of one time keep their order in the merged input.
    lines.sort(key=lambda item: (item[1] is None, item[1] or 0.0))
    several = len({stream for _event, _when, stream in lines}) > 1
    trace = build_trace(
        job_id,
        [(event, when) for event, when, _stream in lines],
        [stream for _event, _when, stream in lines] if several else None,
    )
    text = render_text(
        trace,
        colors=color_wanted(args.color, sys.stdout),
        tracebacks=choice_wanted(args.tracebacks, sys.stdout),
    )
    write_text(sys.stdout, text)
    if args.html:
        try:
            with open(args.html, "w", encoding="utf-8", errors="backslashreplace") as page:
                page.write(render_html(trace))
        except OSError as exc:
            raise CLIError(f"cannot write {args.html}: {exc.strerror}") from None
    return 0


def _from_files(args: argparse.Namespace) -> list[Found]:
    from .common import binary_stdin, check_stdin, parse_bound, report_not_json
    from .expressions import compile_predicate
    from .prefilter import derive_prefilter
    from .reader import ScanStats, resolve_sources, scan
    from .syntax import Field, Filter, Like

    test = Like(Field("job_id"), args.job_id)
    keep = compile_predicate(test)
    since = parse_bound(args.since, "--since")
    until = parse_bound(args.until, "--until")
    sources = resolve_sources(args.files, args.timestamp_key)
    check_stdin(args.files)
    stats = ScanStats()
    rows = scan(
        sources,
        binary_stdin(),
        stats,
        prefilter=derive_prefilter([Filter(test)]),
        since=since,
        until=until,
    )
    found: list[Found] = [
        (row.data, row.timestamp, row.source.log_stream if row.source is not None else "")
        for row in rows
        if keep(row) is True
    ]
    report_not_json(stats.not_json)
    return found


def _from_cloudwatch(args: argparse.Namespace) -> list[Found]:
    """The job's lines from CloudWatch: its JSON events, their times and log streams."""
    from .cloudwatch import MAX_ROWS, connect, run_insights
    from .query import cloudwatch_range
    from .reader import parse_object
    from .values import parse_time

    if args.files:
        raise CLIError("give log files or --log-group, not both")
    wanted = args.job_id.replace("\\", "\\\\").replace('"', '\\"')
    query = (
        f'fields @timestamp, @message, @logStream | filter job_id like "{wanted}" '
        f"| sort @timestamp asc | limit {MAX_ROWS}"
    )
    start, end = cloudwatch_range(args)
    result = run_insights(
        connect(args.region, args.endpoint_url), query, args.log_groups, start_ms=start, end_ms=end
    )
    found: list[Found] = []
    for row in result.rows:
        event = parse_object(row.get("@message", "").encode("utf-8", "surrogateescape"))
        if event is None or not str(event.get("job_id", "")).startswith(args.job_id):
            continue  # a line whose job_id merely contains JOB_ID
        when = parse_time(event.get(args.timestamp_key))
        if when is None:
            # CloudWatch writes "2026-11-23 10:00:00.000"; an emulator may give epoch ms.
            stamp = row.get("@timestamp", "")
            when = parse_time(int(stamp) if stamp.isdigit() else stamp)
        found.append((event, when, row.get("@logStream", "")))
    return found


def _choose_job(wanted: str, seen: set[str]) -> str:
    """
    The job *wanted* names: itself, or the one job whose id starts with it ("" for none).

    Raises:
        CLIError: when several jobs start with *wanted*, naming them.
    """
    if wanted in seen:
        return wanted
    matches = sorted(job for job in seen if job.startswith(wanted))
    if len(matches) > 1:
        shown = ", ".join(escape_text(job) for job in matches[:10])
        more = f" and {len(matches) - 10} more" if len(matches) > 10 else ""
        raise CLIError(f"{len(matches)} jobs start with {wanted!r}: {shown}{more}")
    return matches[0] if matches else ""
