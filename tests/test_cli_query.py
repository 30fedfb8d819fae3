"""joblog query through main(argv): the architecture's queries, formats, input, errors."""

from __future__ import annotations

import csv
import importlib
import io
import json
import os
import runpy
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from joblog.cli import main
from joblog.cli.common import color_wanted, parse_bound
from joblog.cli.output import format_rows, write_text

from .cli_support import FAILED_JOB, GOOD_JOBS, pipeline_log

__all__ = ["pipeline_log"]  # the fixture, imported for the tests below

# The four queries of logging-architecture.md ("CloudWatch Logs Insights Queries"), verbatim.
TRACE_JOB = """fields @timestamp, @message, job_id, stage, status
| filter job_id = "job-abc123"
| sort @timestamp asc"""
FAILED_JOBS = """fields @timestamp, job_id, error_message
| filter status = "failed"
| sort @timestamp desc
| limit 20"""
PERFORMANCE = """fields job_id, duration, total_time
| filter @message like /Video generation complete/
| stats avg(total_time) as avg_time, max(total_time) as max_time by duration"""
API_ERRORS = """fields @timestamp, job_id, @message
| filter @message like /API error/ or @message like /failed/
| filter job_id != ""
| sort @timestamp desc"""


def query(capsys: pytest.CaptureFixture[str], *args: str, status: int = 0) -> tuple[str, str]:
    """Run ``joblog query`` in process; return (stdout, stderr)."""
    assert status == main(["query", *args])
    captured = capsys.readouterr()
    return captured.out, captured.err


def jsonl(capsys: pytest.CaptureFixture[str], *args: str) -> list[dict[str, Any]]:
    out, _err = query(capsys, "--format", "jsonl", *args)
    return [json.loads(line) for line in out.splitlines()]


def events_of(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def write(path: Path, *events: dict[str, Any] | str) -> Path:
    path.write_text("".join((e if isinstance(e, str) else json.dumps(e)) + "\n" for e in events))
    return path


class TestArchitectureQueries:
    def test_trace_entire_job_lifecycle(
        self, pipeline_log: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """Q1: every line of job-abc123, oldest first, with the chosen columns."""
        rows = jsonl(capsys, TRACE_JOB, str(pipeline_log))

        expected = [e for e in events_of(pipeline_log) if e.get("job_id") == GOOD_JOBS[0]]
        assert len(expected) == len(rows)
        assert [e["message"] for e in expected] == [
            json.loads(r["@message"])["message"] for r in rows
        ]
        assert [r["@timestamp"] for r in rows] == sorted(r["@timestamp"] for r in rows)
        assert {"@timestamp", "@message", "job_id"} <= set(rows[0])
        assert {"script", "scene", "audio", "compose"} == {r["stage"] for r in rows if "stage" in r}
        assert [202, "completed"] == [r["status"] for r in rows if "status" in r]

    def test_find_failed_jobs(self, pipeline_log: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """Q2: the failed job, with its error message."""
        rows = jsonl(capsys, FAILED_JOBS, str(pipeline_log))

        assert [
            {"job_id": FAILED_JOB, "error_message": "Kling API error: 500 Internal Server Error"}
        ] == [{k: v for k, v in row.items() if k != "@timestamp"} for row in rows]
        assert ["@timestamp", "job_id", "error_message"] == list(rows[0])

    def test_video_generation_performance(
        self, pipeline_log: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """Q3: average and maximum total_time of completed jobs, by video duration."""
        rows = jsonl(capsys, PERFORMANCE, str(pipeline_log))

        times = [
            e["total_time"]
            for e in events_of(pipeline_log)
            if e["message"] == "Video generation complete"
        ]
        assert 2 == len(times)
        assert [
            {"duration": 10, "avg_time": pytest.approx(sum(times) / 2), "max_time": max(times)}
        ] == rows

    def test_external_api_errors(
        self, pipeline_log: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """Q4: lines mentioning an API error or a failure that belong to a job, newest first."""
        rows = jsonl(capsys, API_ERRORS, str(pipeline_log))

        assert {FAILED_JOB} == {row["job_id"] for row in rows}
        assert [
            "Video generation failed",
            "scene failed",
            "Kling request failed, retrying",
        ] == [json.loads(row["@message"])["message"] for row in rows]
        assert [r["@timestamp"] for r in rows] == sorted(
            (r["@timestamp"] for r in rows), reverse=True
        )

    def test_queries_run_as_a_command(self, pipeline_log: Path) -> None:
        """python -m joblog runs them too, with exit status 0."""
        for text in (TRACE_JOB, FAILED_JOBS, PERFORMANCE, API_ERRORS):
            result = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "joblog",
                    "query",
                    "--format",
                    "csv",
                    text,
                    str(pipeline_log),
                ],
                capture_output=True,
                text=True,
                check=False,
            )
            assert (0, "") == (result.returncode, result.stderr)
            assert len(result.stdout.splitlines()) >= 2


class TestFormats:
    def test_table(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """An aligned table: text left-aligned, numbers right-aligned, absent cells empty."""
        log = write(
            tmp_path / "a.jsonl",
            {"timestamp": "2026-11-23T10:00:00Z", "level": "info", "n": 5, "x": "a\x1bb"},
            {"timestamp": "2026-11-23T10:00:01Z", "level": "warning", "n": 1234},
            {"timestamp": "2026-11-23T10:00:02Z", "n": 7},
        )

        out, _err = query(
            capsys, "--format", "table", "fields level, n, x | sort @timestamp", str(log)
        )

        assert (
            "level       n  x\n"
            "-------  ----  ------\n"
            "info        5  a\\x1bb\n"
            "warning  1234\n"
            "            7\n"
        ) == out

    def test_table_fits_the_terminal(self) -> None:
        """With a width, the widest cells are cut short with … until the table fits."""
        records = [{"@timestamp": "2026-11-23", "@message": "x" * 100, "job_id": "job-abc123"}]

        out = format_rows("table", ["@timestamp", "@message", "job_id"], records, width=50)

        assert (
            "@timestamp  @message                    job_id\n"
            "----------  --------------------------  ----------\n"
            "2026-11-23  " + "x" * 25 + "…  job-abc123\n"
        ) == out
        assert all(len(line) <= 50 for line in out.splitlines())

    def test_wide_columns_shrink_together(self) -> None:
        """Two wide columns are narrowed alike; a table that cannot fit is left to wrap."""
        records = [{"a": "a" * 40, "b": "b" * 30, "c": "c"}]

        fitted = format_rows("table", ["a", "b", "c"], records, width=45).splitlines()[2]
        unfit = format_rows("table", ["a", "b", "c"], records, width=10).splitlines()[2]

        assert "a" * 19 + "…  " + "b" * 19 + "…  c" == fitted
        assert "a" * 7 + "…  " + "b" * 7 + "…  c" == unfit

    def test_table_on_a_terminal_fits_its_width(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """On a terminal the table is cut to the terminal's width; elsewhere it is whole."""
        log = write(tmp_path / "a.jsonl", {"m": "y" * 200})
        monkeypatch.setenv("COLUMNS", "40")
        monkeypatch.setattr(sys.stdout, "isatty", lambda: True)

        out, _err = query(capsys, "fields m", str(log))

        assert "m\n" + "-" * 40 + "\n" + "y" * 39 + "…\n" == out

    def test_empty_table(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """No rows: nothing on stdout."""
        out, _err = query(
            capsys, "--format", "table", "filter a = 1", str(write(tmp_path / "a.jsonl", {}))
        )

        assert "" == out

    def test_json(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """An array of row objects; numbers stay numbers, timestamps print as CloudWatch does."""
        log = write(
            tmp_path / "a.jsonl", {"timestamp": "2026-11-23T10:00:00.5Z", "n": 1.5, "ok": True}
        )

        out, _err = query(capsys, "--format", "json", "fields @timestamp, n, ok, missing", str(log))

        assert [{"@timestamp": "2026-11-23 10:00:00.500", "n": 1.5, "ok": True}] == json.loads(out)
        assert out.startswith("[\n{")

    def test_json_without_rows(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """No rows is an empty array."""
        out, _err = query(
            capsys, "--format", "json", "filter a = 1", str(write(tmp_path / "a.jsonl", {}))
        )

        assert "[]\n" == out

    def test_csv(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """A header and one record per row; values in their text form."""
        log = write(tmp_path / "a.jsonl", {"m": 'say "hi",\nbye', "n": 2.0, "ok": False})

        out, _err = query(capsys, "--format", "csv", "fields m, n, ok, missing", str(log))

        assert [["m", "n", "ok", "missing"], ['say "hi",\nbye', "2", "false", ""]] == list(
            csv.reader(io.StringIO(out))
        )

    def test_default_format_off_a_terminal_is_jsonl(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """When stdout is not a terminal, rows are JSON lines for the next tool in the pipe."""
        out, _err = query(capsys, "fields a", str(write(tmp_path / "a.jsonl", {"a": 1}, {"a": 2})))

        assert '{"a":2}\n{"a":1}\n' == out

    def test_default_format_on_a_terminal_is_a_table(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """On a terminal the default is the table."""
        monkeypatch.setattr(sys.stdout, "isatty", lambda: True)

        out, _err = query(capsys, "fields a", str(write(tmp_path / "a.jsonl", {"a": 1})))

        assert "a\n-\n1\n" == out

    def test_lone_surrogates_are_written_escaped(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """A value that is no valid Unicode (an escaped lone surrogate) prints as an escape."""
        log = tmp_path / "a.jsonl"
        log.write_text('{"a": "x\\ud800y"}\n')

        out, _err = query(capsys, "--format", "table", "fields a", str(log))

        assert "a\n--------\nx\\ud800y\n" == out


class TestInput:
    def test_several_files_merge_by_time(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """Lines of several files come out in one time order, with their @logStream."""
        first = write(
            tmp_path / "a.jsonl",
            {"timestamp": "2026-11-23T10:00:00Z", "m": 1},
            {"timestamp": "2026-11-23T10:00:02Z", "m": 3},
        )
        second = write(tmp_path / "b.jsonl", {"timestamp": "2026-11-23T10:00:01Z", "m": 2})

        rows = jsonl(capsys, "fields m, @logStream | sort @timestamp asc", str(first), str(second))

        assert [(1, "a.jsonl"), (2, "b.jsonl"), (3, "a.jsonl")] == [
            (r["m"], r["@logStream"]) for r in rows
        ]

    def test_stdin(
        self, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """Without FILE, lines come from stdin."""
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b'{"a": 1}\n{"a": 2}\n')))

        assert [{"count(*)": 2}] == jsonl(capsys, "stats count(*)")

    def test_text_stdin(
        self, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """A text-only stdin (no byte buffer) is read too."""
        monkeypatch.setattr(sys, "stdin", io.StringIO('{"a": "é"}\n'))

        assert [{"a": "é"}] == jsonl(capsys, "fields a", "-")

    def test_terminal_stdin_is_refused(
        self, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """Nobody types logs: stdin on a terminal is a usage error, not a hang."""
        monkeypatch.setattr(sys.stdin, "isatty", lambda: True)

        _out, err = query(capsys, "stats count(*)", status=2)

        assert "joblog query: no input: name log files, or pipe lines into joblog\n" == err

    def test_non_json_lines_are_counted(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """A line that is not JSON is an @message-only event, and stderr says how many."""
        log = write(tmp_path / "a.jsonl", {"a": 1}, "Traceback (most recent call last):", "oops")

        out, err = query(capsys, "--format", "jsonl", "fields @message", str(log))

        assert 3 == len(out.splitlines())
        assert "joblog: 2 lines were not a JSON object (kept as events with only @message)\n" == err

    def test_since_and_until(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """--since/--until bound the time range outside the query."""
        log = write(
            tmp_path / "a.jsonl",
            *({"timestamp": f"2026-11-23T10:0{minute}:00Z", "m": minute} for minute in range(6)),
        )

        rows = jsonl(
            capsys,
            "fields m",
            str(log),
            "--since",
            "2026-11-23T10:02:00Z",
            "--until",
            "2026-11-23 10:04",
        )

        assert [3, 2] == [row["m"] for row in rows]

    def test_relative_since(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """--since 15m means the last 15 minutes."""
        log = write(tmp_path / "a.jsonl", {"timestamp": "2000-01-01T00:00:00Z", "m": "old"})

        assert [] == jsonl(capsys, "fields m", str(log), "--since", "15m")
        assert [{"m": "old"}] == jsonl(capsys, "fields m", str(log), "--since", "10000w")

    def test_timestamp_key(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """--timestamp-key reads @timestamp from another key (epoch numbers too)."""
        log = write(tmp_path / "a.jsonl", {"ts": 1795428000123})

        assert [{"@timestamp": "2026-11-23 10:00:00.123"}] == jsonl(
            capsys, "fields @timestamp", str(log), "--timestamp-key", "ts"
        )

    def test_default_limit(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """--default-limit changes how many rows a query without limit returns."""
        log = write(tmp_path / "a.jsonl", *({"n": n} for n in range(5)))

        assert 2 == len(jsonl(capsys, "fields n", str(log), "--default-limit", "2"))
        assert 3 == len(jsonl(capsys, "fields n | limit 3", str(log), "--default-limit", "2"))


class TestErrors:
    def test_malformed_query(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """A caret under the offending column, exit status 2."""
        _out, err = query(
            capsys, "filter level = | limit 2", str(write(tmp_path / "a.jsonl", {})), status=2
        )

        assert (
            "joblog query: query error at line 1, column 16: expected a value, a field or a "
            "function call, found '|'\n"
            "  filter level = | limit 2\n"
            "                 ^\n"
        ) == err

    def test_missing_file(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """A missing file: its name, exit status 2."""
        missing = tmp_path / "nope.jsonl"

        _out, err = query(capsys, "stats count(*)", str(missing), status=2)

        assert f"joblog query: no such file: {missing}\n" == err

    def test_bad_time_bound(self, capsys: pytest.CaptureFixture[str]) -> None:
        """A --since that is no time is a usage error."""
        _out, err = query(capsys, "stats count(*)", "--since", "yesterday", status=2)

        assert "--since: cannot read 'yesterday' as a time" in err

    @pytest.mark.parametrize(
        ("argv", "message"),
        [
            (["query"], "the following arguments are required: QUERY"),
            (["query", "x", "--format", "xml"], "invalid choice: 'xml'"),
            (["query", "x", "--default-limit", "0"], "expected a number of at least 1"),
            (["query", "x", "--default-limit", "x"], "expected a whole number"),
            (["pretty", "-n", "-1"], "expected a whole number"),
            ([], "the following arguments are required: COMMAND"),
        ],
    )
    def test_usage_errors(
        self, argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """argparse's errors exit with status 2."""
        assert 2 == main(argv)
        assert message in capsys.readouterr().err

    def test_help_and_version(self, capsys: pytest.CaptureFixture[str]) -> None:
        """--help and --version exit 0."""
        assert 0 == main(["--version"])
        assert capsys.readouterr().out.startswith("joblog ")
        assert 0 == main(["query", "--help"])
        assert "Logs Insights" in capsys.readouterr().out

    def test_broken_pipe(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """A reader that went away (| head) ends the command quietly."""

        class Gone(io.StringIO):
            def write(self, _text: str) -> int:
                raise BrokenPipeError

        monkeypatch.setattr(sys, "stdout", Gone())

        assert 1 == main(
            ["query", "--format", "jsonl", "fields a", str(write(tmp_path / "a.jsonl", {"a": 1}))]
        )
        assert "" == capsys.readouterr().err

    def test_broken_pipe_on_a_real_descriptor(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """The closed pipe is replaced by /dev/null, so Python's exit flush cannot fail."""
        read_end, write_end = os.pipe()
        os.close(read_end)
        stdout = io.TextIOWrapper(io.FileIO(write_end, "w"), write_through=True)
        monkeypatch.setattr(sys, "stdout", stdout)
        log = write(tmp_path / "a.jsonl", {"a": 1})

        try:
            assert 1 == main(["query", "--format", "jsonl", "fields a", str(log)])
            assert 1 == os.write(write_end, b"x")  # now /dev/null: no BrokenPipeError
        finally:
            stdout.close()

    def test_interrupt(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Ctrl-C while reading exits with 130, without a traceback."""

        class Interrupted(io.RawIOBase):
            def readable(self) -> bool:
                return True

            def readinto(self, _buffer: Any) -> int:
                raise KeyboardInterrupt

        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BufferedReader(Interrupted())))

        assert 130 == main(["query", "stats count(*)"])


class TestHelpers:
    def test_color_wanted_on_odd_streams(self) -> None:
        """A stream without isatty, or a closed one, is no terminal."""
        closed = io.StringIO()
        closed.close()

        assert [False, False, True, False] == [
            color_wanted("auto", object()),
            color_wanted("auto", closed),
            color_wanted("always", object()),
            color_wanted("never", sys.stdout),
        ]

    def test_unknown_format(self) -> None:
        """format_rows refuses a format it does not know."""
        with pytest.raises(ValueError, match="unknown format 'xml'"):
            format_rows("xml", [], [])

    def test_write_text_to_a_narrow_encoding(self) -> None:
        """Characters the stream cannot encode are written as escapes."""
        stream = io.TextIOWrapper(io.BytesIO(), encoding="ascii")

        write_text(stream, "caf\u00e9\n")
        stream.flush()

        assert b"caf\\xe9\n" == stream.buffer.getvalue()  # type: ignore[attr-defined]


class TestParseBound:
    def test_durations_count_back_from_now(self) -> None:
        """15m, 2h, 1.5d and 1w are durations before now."""
        now = 1_000_000_000.0

        assert [
            now - 900_000,
            now - 7_200_000,
            now - 129_600_000,
            now - 604_800_000,
            now - 500,
        ] == [parse_bound(text, "--since", now) for text in ("15m", "2h", "1.5d", "1w", "500ms")]

    def test_absent(self) -> None:
        """No option, no bound."""
        assert parse_bound(None, "--since") is None


def test_python_dash_m(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """python -m joblog runs main() and exits with its status."""
    monkeypatch.setattr(sys, "argv", ["joblog", "--version"])

    with pytest.raises(SystemExit) as info:
        runpy.run_module("joblog", run_name="__main__")

    assert 0 == info.value.code
    assert capsys.readouterr().out.startswith("joblog ")


@pytest.mark.parametrize(
    "module",
    [
        "cli",
        "cli.aggregates",
        "cli.engine",
        "cli.errors",
        "cli.expressions",
        "cli.functions",
        "cli.lexer",
        "cli.output",
        "cli.parser",
        "cli.prefilter",
        "cli.pretty",
        "cli.reader",
        "cli.syntax",
        "cli.trace",
        "cli.values",
    ],
)
def test_each_module_declares_all(module: str) -> None:
    """Every module of the command has an __all__ whose names exist and are documented."""
    mod = importlib.import_module(f"joblog.{module}")

    assert mod.__all__
    assert all(hasattr(mod, name) for name in mod.__all__)
    assert all(getattr(mod, name).__doc__ for name in mod.__all__ if callable(getattr(mod, name)))


def test_importing_main_module_runs_nothing() -> None:
    """Importing joblog.__main__ (as tools do) does not run the command."""
    module = importlib.import_module("joblog.__main__")

    assert main is module.main


def test_importing_joblog_does_not_import_the_cli() -> None:
    """import joblog leaves the command alone."""
    result = subprocess.run(
        [sys.executable, "-c", "import sys, joblog; print('joblog.cli' in sys.modules)"],
        capture_output=True,
        text=True,
        check=True,
    )

    assert "False\n" == result.stdout


def test_console_script_is_installed() -> None:
    """The joblog script (pyproject's [project.scripts]) runs the command."""
    script = Path(sys.executable).parent / "joblog"
    result = subprocess.run(
        [str(script), "--version"], capture_output=True, text=True, check=False, env={**os.environ}
    )

    assert (0, "") == (result.returncode, result.stderr)
    assert result.stdout.startswith("joblog ")
