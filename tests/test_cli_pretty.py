"""joblog pretty: JSON lines in, the console format out; hostile lines stay harmless."""

from __future__ import annotations

import contextlib
import io
import itertools
import json
import os
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from joblog.cli import main
from joblog.cli.errors import CLIError
from joblog.cli.pretty import PrettyPrinter, follow, normalize


def pretty(capsys: pytest.CaptureFixture[str], *args: str, status: int = 0) -> str:
    assert status == main(["pretty", *args])
    return capsys.readouterr().out


def stdin_of(monkeypatch: pytest.MonkeyPatch, data: bytes) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))


EVENT = {
    "timestamp": "2026-11-23T10:15:30.123Z",
    "level": "info",
    "message": "Scene details",
    "logger": "app",
    "job_id": "job-abc123",
    "scene_number": 1,
}


class TestPretty:
    def test_json_lines_in_the_console_format(
        self, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """A joblog line becomes time, level, message and key=value fields."""
        stdin_of(monkeypatch, json.dumps(EVENT).encode() + b"\n")

        assert (
            "10:15:30.123 INFO  Scene details                    job_id=job-abc123 scene_number=1\n"
        ) == pretty(capsys)

    def test_colors_on_request(
        self, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """--color always colors; auto colors a terminal unless NO_COLOR; FORCE_COLOR forces."""
        stdin_of(monkeypatch, json.dumps(EVENT).encode())
        assert "\x1b[32mINFO \x1b[0m" in pretty(capsys, "--color", "always")

        monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
        stdin_of(monkeypatch, json.dumps(EVENT).encode())
        assert "\x1b[" in pretty(capsys)

        monkeypatch.setenv("NO_COLOR", "1")
        stdin_of(monkeypatch, json.dumps(EVENT).encode())
        assert "\x1b[" not in pretty(capsys)

        monkeypatch.delenv("NO_COLOR")
        monkeypatch.setattr(sys.stdout, "isatty", lambda: False)
        monkeypatch.setenv("FORCE_COLOR", "1")
        stdin_of(monkeypatch, json.dumps(EVENT).encode())
        assert "\x1b[" in pretty(capsys)

    def test_other_loggers_keys(self) -> None:
        """msg/event, levelname/severity/lvl and time/ts/@timestamp stand for joblog's keys."""
        assert {
            "message": "hi",
            "level": "warning",
            "timestamp": "2026-11-23T10:15:30.500Z",
            "x": 1,
        } == normalize({"msg": "hi", "lvl": "WARN", "ts": 1795428930.5, "x": 1})
        assert {"message": "e", "level": "critical", "timestamp": "t"} == normalize(
            {"event": "e", "severity": "FATAL", "@timestamp": "t"}
        )
        assert {"message": "kept", "msg": "other", "timestamp": True} == normalize(
            {"message": "kept", "msg": "other", "timestamp": True}
        )

    def test_non_json_lines_pass_through(
        self, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """A plain line, a JSON array and blank lines come out as they went in (tabs kept)."""
        stdin_of(monkeypatch, b"Traceback (most recent call last):\n\tFile x\n\n[1, 2]\n{broken\n")

        assert "Traceback (most recent call last):\n\tFile x\n\n[1, 2]\n{broken\n" == pretty(capsys)

    @pytest.mark.parametrize(
        ("line", "shown"),
        [
            (b"\x1b[2J\x1b[Hfake prompt $ ", "\\x1b[2J\\x1b[Hfake prompt $ "),
            (b"ok\rFORGED", "ok\\x0dFORGED"),
            (b"a\x00b\x07c\x7fd", "a\\x00b\\x07c\\x7fd"),
            ("c1 \x9b31m".encode(), "c1 \\x9b31m"),
            ("sep\u2028arator\u2029".encode(), "sep\\u2028arator\\u2029"),
            (b"bad \xff\xfe utf-8", "bad \\xff\\xfe utf-8"),
        ],
    )
    def test_control_characters_are_escaped(
        self,
        line: bytes,
        shown: str,
        monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str],
    ) -> None:
        """Nothing in a line can move the cursor, clear the screen or start a fake line."""
        stdin_of(monkeypatch, line + b"\n")

        assert shown + "\n" == pretty(capsys)

    def test_hostile_json_values_are_escaped(
        self, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """Control characters inside JSON values and keys are escaped by the renderer."""
        event = {"level": "\x1b[31merror", "message": "a\x1b]0;title\x07", "k\x1b": "v\nw"}
        stdin_of(monkeypatch, json.dumps(event).encode() + b"\n")

        out = pretty(capsys)

        assert "\x1b" not in out
        assert 1 == out.count("\n")

    def test_huge_lines(
        self, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """Lines of several megabytes, JSON or not, come out whole."""
        big = "x" * (3 << 20)
        stdin_of(
            monkeypatch,
            json.dumps({"message": "big", "blob": big}).encode() + b"\n" + big.encode() + b"\n",
        )

        first, second = pretty(capsys).splitlines()

        assert first.endswith(f"blob={big}")
        assert big == second

    def test_several_files_merge_by_time(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """Lines of several files interleave in time order; untimed lines keep their place."""
        a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
        a.write_text(
            json.dumps({"timestamp": "2026-11-23T10:00:00.000Z", "message": "a1"})
            + "\nplain after a1\n"
            + json.dumps({"timestamp": "2026-11-23T10:00:02.000Z", "message": "a2"})
            + "\n"
        )
        b.write_text(
            json.dumps({"timestamp": "2026-11-23T10:00:01.000Z", "message": "b1"})
            + "\n"
            + json.dumps({"message": "b2 untimed"})
            + "\n"
        )

        lines = pretty(capsys, str(a), str(b)).splitlines()

        assert "plain after a1" == lines[1]
        assert ["a1", "a1", "b1", "untimed", "a2"] == [line.split()[-1] for line in lines]
        assert lines[2].startswith("10:00:01.000")

    def test_last_lines(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """-n N shows the last N lines."""
        log = tmp_path / "a.log"
        log.write_text("".join(f"line {n}\n" for n in range(10)))

        assert "line 8\nline 9\n" == pretty(capsys, "-n", "2", str(log))

    def test_missing_file(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """A missing file: exit status 2 with its name."""
        assert 2 == main(["pretty", str(tmp_path / "nope.log")])
        assert f"no such file: {tmp_path / 'nope.log'}" in capsys.readouterr().err

    def test_printer(self) -> None:
        """A JSON object with leading spaces still renders; without a time, the column is blank."""
        assert "             INFO  hi\n" == PrettyPrinter()(b'  {"level": "info", "message": "hi"}')
        assert "10:00:00.000 INFO  hi\n" == PrettyPrinter()(
            b'{"timestamp": "2026-11-23T10:00:00.000Z", "level": "info", "message": "hi"}'
        )


class TestFollow:
    def test_existing_lines_then_new_ones(self, tmp_path: Path) -> None:
        """The last lines first; then lines appended later, once they are complete."""
        log = tmp_path / "app.log"
        log.write_text("".join(f"old {n}\n" for n in range(5)))
        seen: list[bytes] = []
        waits: list[float] = []

        def sleep(seconds: float) -> None:
            waits.append(seconds)
            with log.open("ab") as stream:
                if len(waits) == 1:
                    stream.write(b"new 1\nnew ")  # a line still being written
                elif len(waits) == 2:
                    stream.write(b"2\r\n")

        for line in follow(
            str(log), last=2, interval=0.5, stop=lambda: len(seen) >= 4, sleep=sleep
        ):
            seen.append(line)

        assert [b"old 3", b"old 4", b"new 1", b"new 2"] == seen
        assert [0.5, 0.5] == waits

    def test_from_the_start_or_the_end(self, tmp_path: Path) -> None:
        """last=None reads the whole file; last=0 only what comes next."""
        log = tmp_path / "app.log"
        log.write_text("a\nb")

        assert [b"a"] == _taken(follow(str(log), last=None, stop=_polls(50), sleep=_no_wait))
        assert [] == _taken(follow(str(log), last=0, stop=_polls(50), sleep=_no_wait))

    def test_truncation_starts_over(self, tmp_path: Path) -> None:
        """A file cut to nothing (copytruncate) is read again from its start."""
        log = tmp_path / "app.log"
        log.write_text("first\n")
        seen: list[bytes] = []

        def sleep(_seconds: float) -> None:
            log.write_text("" if log.stat().st_size else "after truncation\n")

        for line in follow(str(log), stop=lambda: len(seen) >= 2, sleep=sleep):
            seen.append(line)

        assert [b"first", b"after truncation"] == seen

    def test_rotation_starts_over(self, tmp_path: Path) -> None:
        """A file renamed away and replaced is followed into the new file."""
        log = tmp_path / "app.log"
        log.write_text("before\n")
        seen: list[bytes] = []
        moves: list[int] = []

        def sleep(_seconds: float) -> None:
            if not moves:
                log.rename(tmp_path / "app.log.1")  # between rename and create
            else:
                log.write_text("rotated\n")
            moves.append(1)

        for line in follow(str(log), stop=lambda: len(seen) >= 2, sleep=sleep):
            seen.append(line)

        assert [b"before", b"rotated"] == seen

    def test_last_lines_across_blocks(self, tmp_path: Path) -> None:
        """Finding the last lines reads back over as many blocks as it takes."""
        log = tmp_path / "app.log"
        lines = [f"{n:06d}".encode() * 2000 for n in range(20)]
        log.write_bytes(b"\n".join(lines) + b"\n")

        assert lines[-15:] == _taken(follow(str(log), last=15, stop=_polls(50), sleep=_no_wait))
        assert lines == _taken(follow(str(log), last=100, stop=_polls(50), sleep=_no_wait))

    def test_missing_file(self, tmp_path: Path) -> None:
        """Following a missing file is an error naming it."""
        with pytest.raises(CLIError, match=r"cannot read .*nope\.log"):
            list(follow(str(tmp_path / "nope.log")))

    def test_follow_through_main_until_interrupted(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """-f -n 1 prints the last line, then waits; Ctrl-C ends it with status 130."""
        log = tmp_path / "app.log"
        log.write_text("one\ntwo\n")

        def interrupt(_seconds: float) -> None:
            raise KeyboardInterrupt

        monkeypatch.setattr("time.sleep", interrupt)

        assert 130 == main(["pretty", "-f", "-n", "1", str(log)])
        assert "two\n" == capsys.readouterr().out

    @pytest.mark.parametrize("files", [[], ["-"], ["a.log", "b.log"]])
    def test_follows_exactly_one_file(
        self, files: list[str], capsys: pytest.CaptureFixture[str]
    ) -> None:
        """-f needs one file."""
        assert 2 == main(["pretty", "-f", *files])
        assert "-f follows exactly one file" in capsys.readouterr().err


def _polls(count: int) -> Callable[[], bool]:
    """A stop condition that lets follow() read *count* times."""
    calls = itertools.count()
    return lambda: next(calls) >= count


def _no_wait(_seconds: float) -> None:
    """No sleeping between polls in these tests."""


def _taken(lines: Iterator[bytes]) -> list[bytes]:
    """Every line follow() yields until it stops (its file is closed then)."""
    with contextlib.closing(lines):  # type: ignore[type-var]
        return list(lines)


def test_follow_through_the_command(tmp_path: Path) -> None:
    """python -m joblog pretty -f prints lines appended while it runs."""
    log = tmp_path / "app.jsonl"
    log.write_text(json.dumps({**EVENT, "message": "existing"}) + "\n")
    command = [sys.executable, "-m", "joblog", "pretty", "-f", str(log), "--interval", "0.05"]
    with subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "NO_COLOR": "1"},
    ) as process:
        try:
            first = _readline(process, 20.0)
            with log.open("a") as stream:
                stream.write(json.dumps({**EVENT, "message": "appended"}) + "\n")
            second = _readline(process, 20.0)
        finally:
            process.terminate()

    assert "INFO  existing" in first
    assert "INFO  appended" in second


def _readline(process: subprocess.Popen[str], timeout: float) -> str:
    """The next line the process prints, or "" if none comes within *timeout* seconds."""
    assert process.stdout is not None
    stdout = process.stdout
    result: list[str] = []
    reader = threading.Thread(target=lambda: result.append(stdout.readline()), daemon=True)
    reader.start()
    reader.join(timeout)
    return result[0] if result else ""
