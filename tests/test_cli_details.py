"""
The command line as a new user meets it, and one trace across several processes.

Options anywhere, the subcommand's usage on errors, the hint for an unquoted
string, a forgotten job id, job-id prefixes, tracebacks expanded in the
console and kept on their lines in the HTML page, help for every option, and
``joblog trace`` merging an API's and its Celery workers' files.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import pytest

from joblog.cli import _parser, main
from joblog.cli.pretty import PrettyPrinter
from joblog.cli.trace import build_trace, render_html, render_text
from joblog.cli.values import parse_time

TRACEBACK = 'Traceback (most recent call last):\n  File "app.py", line 3\nValueError: bad\x1b[2J'


def at(ms: int) -> str:
    return f"2026-11-23T10:00:{ms // 1000:02d}.{ms % 1000:03d}Z"


def write(path: Path, *events: dict[str, Any]) -> Path:
    path.write_text("".join(json.dumps(event) + "\n" for event in events), encoding="utf-8")
    return path


@pytest.fixture
def log(tmp_path: Path) -> Path:
    return write(
        tmp_path / "app.jsonl",
        {"timestamp": at(0), "level": "info", "message": "Job started", "job_id": "job-f7b5c1"},
        {"timestamp": at(10), "level": "info", "message": "other", "job_id": "job-f7a000"},
        {"timestamp": at(20), "level": "info", "message": "third", "job_id": "job-0a2405"},
        {
            "timestamp": at(900),
            "level": "error",
            "message": "Job failed",
            "job_id": "job-f7b5c1",
            "exception": TRACEBACK,
        },
    )


class TestOptionsAnywhere:
    def test_trace_option_between_id_and_file(
        self, log: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """`joblog trace JOB_ID --html out.html FILE` works."""
        page = tmp_path / "out.html"

        assert 0 == main(["trace", "job-f7b5c1", "--html", str(page), str(log)])
        assert "Job failed" in capsys.readouterr().out
        assert page.exists()

    def test_query_option_between_query_and_file(
        self, log: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """`joblog query QUERY --format table FILE` works."""
        assert 0 == main(["query", "stats count(*) as n", "--format", "csv", str(log)])
        assert "n\n4\n" == capsys.readouterr().out

    def test_errors_show_the_subcommands_usage(self, capsys: pytest.CaptureFixture[str]) -> None:
        """A bad option shows `usage: joblog trace …`, not the top-level usage."""
        assert 2 == main(["trace", "job-1", "--colour", "never"])
        err = capsys.readouterr().err
        assert err.startswith("usage: joblog trace")
        assert "unrecognized arguments: --colour" in err

    def test_top_level_errors_stay_top_level(self, capsys: pytest.CaptureFixture[str]) -> None:
        """No command, or an unknown one, gets the top-level usage."""
        assert 2 == main(["nosuch"])
        assert "invalid choice: 'nosuch'" in capsys.readouterr().err
        assert 2 == main([])
        assert "usage: joblog [-h]" in capsys.readouterr().err


class TestHints:
    @pytest.mark.parametrize("job", ["job-f7b5c1", "job-0a2405", "job-f7b5…"])
    def test_unquoted_string(self, job: str, log: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """`filter job_id = job-f7b5…` says strings need quotes (not "unknown time unit")."""
        assert 2 == main(["query", f"filter job_id = {job}", str(log)])
        assert f'strings need quotes: write "{job}"' in capsys.readouterr().err

    def test_subtraction_with_spaces_is_arithmetic(
        self, log: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """`a = b - c` (spaced) stays a subtraction."""
        assert 0 == main(
            ["query", "filter 1 = 3 - 2 | stats count(*) as n", "--format", "csv", str(log)]
        )
        assert "n\n4\n" == capsys.readouterr().out

    def test_unquoted_word_with_another_error_is_plain(
        self, log: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """A broken right side that is no id-like word keeps its own error."""
        assert 2 == main(["query", "filter a = (1", str(log)])
        assert "expected ')' to close '('" in capsys.readouterr().err

    def test_trace_without_job_id(self, log: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """`joblog trace FILE` (the id forgotten) says so, instead of "no input"."""
        assert 2 == main(["trace", str(log)])
        assert "the job id is missing" in capsys.readouterr().err


class TestJobPrefix:
    def test_unique_prefix_selects_the_job(
        self, log: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """A prefix only one job has selects that job."""
        assert 0 == main(["trace", "job-f7b", str(log), "--color", "never"])
        out = capsys.readouterr().out
        assert out.startswith("job-f7b5c1: 2 lines")

    def test_ambiguous_prefix_lists_the_candidates(
        self, log: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """A prefix several jobs share lists them."""
        assert 2 == main(["trace", "job-f7", str(log)])
        assert "2 jobs start with 'job-f7': job-f7a000, job-f7b5c1" in capsys.readouterr().err

    def test_many_candidates_are_cut(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """More than ten candidates: the first ten, and how many more."""
        path = write(
            tmp_path / "many.jsonl",
            *({"timestamp": at(n), "message": "m", "job_id": f"job-{n:02d}"} for n in range(12)),
        )
        assert 2 == main(["trace", "job-", str(path)])
        err = capsys.readouterr().err
        assert "12 jobs start with 'job-'" in err
        assert "job-09 and 2 more" in err

    def test_an_exact_id_wins_over_longer_ones(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """job-1 is job-1, even when job-10 exists."""
        path = write(
            tmp_path / "jobs.jsonl",
            {"timestamp": at(0), "message": "one", "job_id": "job-1"},
            {"timestamp": at(1), "message": "ten", "job_id": "job-10"},
        )
        assert 0 == main(["trace", "job-1", str(path), "--color", "never"])
        assert "job-1: 1 lines" in capsys.readouterr().out


class TestTracebacks:
    def test_trace_expands_tracebacks_when_asked(
        self, log: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """--tracebacks always prints the traceback on indented lines, each escaped."""
        assert 0 == main(
            ["trace", "job-f7b5c1", str(log), "--color", "never", "--tracebacks", "always"]
        )
        out = capsys.readouterr().out
        assert '    Traceback (most recent call last):\n      File "app.py", line 3\n' in out
        assert "    ValueError: bad\\x1b[2J\n" in out
        assert "exception=" not in out

    def test_trace_keeps_tracebacks_on_one_line_off_a_terminal(
        self, log: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """By default (auto), off a terminal, the traceback stays one escaped field."""
        assert 0 == main(["trace", "job-f7b5c1", str(log), "--color", "never"])
        assert "exception=" in capsys.readouterr().out

    def test_pretty_expands_tracebacks(self) -> None:
        """joblog pretty prints the traceback expanded under its line."""
        line = json.dumps(
            {"timestamp": at(1), "level": "error", "message": "boom", "exception": TRACEBACK}
        )
        out = PrettyPrinter(tracebacks=True)(line.encode())

        assert out.endswith('    File "app.py", line 3\n    ValueError: bad\\x1b[2J\n')
        assert "exception=" not in out
        assert "exception=" in PrettyPrinter()(line.encode())

    def test_pretty_on_a_terminal_expands_by_default(
        self, log: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """--tracebacks auto expands when stdout is a terminal."""
        monkeypatch.setattr("joblog.cli.common.isatty", lambda stream: True)
        assert 0 == main(["pretty", str(log), "--color", "never"])
        assert "\n    ValueError: bad\\x1b[2J\n" in capsys.readouterr().out

    def test_exception_and_stack_both_expand(self) -> None:
        """An exception and a stack_info stack each expand, in that order."""
        event = {"message": "m", "exception": "E1\nE2", "stack": "S1\nS2", "n": 1}
        out = PrettyPrinter(tracebacks=True)(json.dumps(event).encode())

        assert out.endswith(" n=1\n    E1\n    E2\n    S1\n    S2\n")

    def test_html_keeps_line_breaks(self) -> None:
        """The HTML page shows a traceback with real line breaks, not a literal \\x0a."""
        event = {"timestamp": at(0), "level": "error", "message": "boom", "exception": TRACEBACK}
        page = render_html(build_trace("job-1", [(event, parse_time(event["timestamp"]))]))

        assert (
            '<pre class="tb">Traceback (most recent call last):\n  File &quot;app.py&quot;' in page
        )
        assert "\\x0a" not in page
        assert "\\x1b[2J" in page  # other control characters stay escaped


class TestHelp:
    def test_every_option_has_help(self) -> None:
        """Every option of every subcommand says what it does (--color too)."""
        parser, commands = _parser()
        for command in (parser, *commands.values()):
            for action in command._actions:
                if action.option_strings and action.help != argparse.SUPPRESS:
                    assert action.help, f"{command.prog} {action.option_strings} has no help"

    def test_color_help(self, capsys: pytest.CaptureFixture[str]) -> None:
        """`joblog trace --help` explains --color."""
        assert 0 == main(["trace", "--help"])
        assert "color the output" in capsys.readouterr().out


def worker_lines(task_id: str, start: int, *, outcome: str, **extra: Any) -> list[dict[str, Any]]:
    """A Celery task's lifecycle lines as joblog's Celery integration writes them."""
    base = {"job_id": "job-1", "task_id": task_id, "task_name": "compose", "pid": 4242}
    level = "error" if outcome == "Task failed" else "info"
    return [
        {"timestamp": at(start), "level": "info", "message": "Task started", **base},
        {"timestamp": at(start + 50), "level": "info", "message": "composing", **base},
        {
            "timestamp": at(start + 400),
            "level": level,
            "message": outcome,
            "elapsed_ms": 400.0,
            **base,
            **extra,
        },
    ]


class TestTraceAcrossProcesses:
    def test_files_merge_by_time_with_their_streams(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """`joblog trace JOB_ID api.jsonl worker-*.jsonl`: one timeline, with streams."""
        api = write(
            tmp_path / "api.jsonl",
            {"timestamp": at(0), "level": "info", "message": "Job accepted", "job_id": "job-1"},
            {"timestamp": at(1000), "level": "info", "message": "Job done", "job_id": "job-1"},
        )
        write(
            tmp_path / "worker-1.jsonl", *worker_lines("c0ffee00-1", 100, outcome="Task succeeded")
        )

        assert 0 == main(
            ["trace", "job-1", str(api), str(tmp_path / "worker-*.jsonl"), "--color", "never"]
        )
        out = capsys.readouterr().out.splitlines()
        body = out[1:7]
        assert [
            "api.jsonl",
            "worker-1.jsonl",
            "worker-1.jsonl",
            "worker-1.jsonl",
            "api.jsonl",
        ] == [line.split()[1] for line in body[:5]]
        assert "pid=4242" in body[1]
        assert "task_name=compose" in body[1]
        table = "\n".join(out)
        assert "task compose task_id=c0ffee00" in table
        assert "completed" in table

    def test_task_span_in_text_and_html(self) -> None:
        """A task is a span from Task started to its outcome, a bar in the waterfall."""
        events = [
            {"timestamp": at(0), "level": "info", "message": "Job accepted", "job_id": "job-1"},
            *worker_lines("task-a", 100, outcome="Task succeeded"),
            *worker_lines("task-b", 200, outcome="Task failed", exception=TRACEBACK),
        ]
        streams = ["api.jsonl"] + ["worker-1.jsonl"] * 3 + ["worker-2.jsonl"] * 3
        trace = build_trace(
            "job-1", [(event, parse_time(event["timestamp"])) for event in events], streams
        )

        spans = [(span.title, span.start, span.end, span.status) for span in trace.spans]
        assert [
            ("task compose task_id=task-a", 100.0, 500.0, "completed"),
            ("task compose task_id=task-b", 200.0, 600.0, "failed"),
        ] == spans
        text = render_text(trace)
        assert "task compose task_id=task-b" in text
        page = render_html(trace)
        assert 'class="bar failed"' in page
        assert "<th>stream</th>" in page
        assert "@logStream: worker-2.jsonl" in page

    def test_task_lines_inside_a_stage_stay_in_the_stage(self) -> None:
        """A task's line that belongs to a stage is marked on the stage's row, not twice."""
        base = {"job_id": "job-1", "task_id": "t-1", "task_name": "compose"}
        events = [
            {"timestamp": at(0), "message": "Task started", **base},
            {"timestamp": at(100), "message": "mux done", "stage": "mux", "elapsed_ms": 90, **base},
            {"timestamp": at(200), "message": "Task succeeded", **base},
        ]
        trace = build_trace("job-1", [(event, parse_time(event["timestamp"])) for event in events])

        assert [("task compose", [0, 2]), ("mux", [1])] == [
            (span.stage, span.lines) for span in trace.spans
        ]

    def test_retried_task_runs_to_its_last_outcome(self) -> None:
        """Task retried, then started again: one span, to the final outcome."""
        base = {"job_id": "job-1", "task_id": "t-1", "task_name": "compose"}
        events = [
            {"timestamp": at(0), "level": "info", "message": "Task started", **base},
            {"timestamp": at(100), "level": "warning", "message": "Task retried", **base},
            {"timestamp": at(300), "level": "info", "message": "Task started", **base},
            {"timestamp": at(500), "level": "info", "message": "Task succeeded", **base},
        ]
        trace = build_trace("job-1", [(event, parse_time(event["timestamp"])) for event in events])

        assert [(0.0, 500.0, "completed")] == [(s.start, s.end, s.status) for s in trace.spans]

    def test_task_still_retrying_or_running(self) -> None:
        """A task whose last word is a retry is 'retried'; one with no outcome is unfinished."""
        events = [
            {"timestamp": at(0), "message": "Task started", "job_id": "j", "task_id": "r"},
            {"timestamp": at(100), "message": "Task retried", "job_id": "j", "task_id": "r"},
            {"timestamp": at(150), "message": "Task started", "job_id": "j", "task_id": "u"},
            {"timestamp": at(900), "message": "later", "job_id": "j"},
        ]
        trace = build_trace("j", [(event, parse_time(event["timestamp"])) for event in events])

        assert [
            ("task task_id=r", 0.0, 100.0, "retried"),
            ("task task_id=u", 150.0, 900.0, "unfinished"),
        ] == [(s.title, s.start, s.end, s.status) for s in trace.spans]
        assert 'class="bar retried"' in render_html(trace)

    def test_query_keeps_log_stream_per_file(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """`joblog query` over several files: @logStream is each line's file."""
        write(tmp_path / "api.jsonl", {"timestamp": at(0), "message": "a"})
        write(tmp_path / "worker-1.jsonl", {"timestamp": at(1), "message": "w"})

        assert 0 == main(
            [
                "query",
                "stats count(*) as n by @logStream",
                str(tmp_path / "*.jsonl"),
                "--format",
                "csv",
            ]
        )
        assert "@logStream,n\napi.jsonl,1\nworker-1.jsonl,1\n" == capsys.readouterr().out
