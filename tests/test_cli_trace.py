"""joblog trace: a job's lifecycle as text and as an HTML waterfall."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import pytest

from joblog.cli import main
from joblog.cli.trace import Trace, build_trace, render_html, render_text
from joblog.cli.values import parse_time

from .cli_support import FAILED_JOB, GOOD_JOBS, pipeline_log, read_png

__all__ = ["pipeline_log"]  # the fixture, imported for the tests below

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def trace_of(events: list[dict[str, Any]], job_id: str = "job-1") -> Trace:
    return build_trace(job_id, [(event, parse_time(event.get("timestamp"))) for event in events])


def at(ms: int) -> str:
    return f"2026-11-23T10:00:{ms // 1000:02d}.{ms % 1000:03d}Z"


def line(ms: int, level: str, message: str, **fields: Any) -> dict[str, Any]:
    """One line of job-1 at *ms* milliseconds."""
    return {
        "timestamp": at(ms),
        "level": level,
        "message": message,
        "job_id": "job-1",
        "user_id": "u",
        **fields,
    }


# A job with a script stage, two parallel scenes (one failed), a cancelled
# stage and an unfinished one.
EVENTS: list[dict[str, Any]] = [
    line(0, "info", "Starting"),
    line(0, "info", "script started", stage="script"),
    line(1000, "info", "script completed", stage="script", script_id="s-1", elapsed_ms=1000.0),
    line(1000, "info", "Scene 1 started", stage="scene", scene=1),
    line(1001, "info", "Scene 2 started", stage="scene", scene=2),
    line(1500, "warning", "Kling slow", stage="scene", scene=2, attempt=3),
    line(
        3000, "info", "Scene 1 done", stage="scene", scene=1, video_url="s3://1", elapsed_ms=2000.0
    ),
    line(
        4001,
        "error",
        "scene failed",
        stage="scene",
        scene=2,
        elapsed_ms=3000.0,
        error_message="API error",
    ),
    line(4500, "warning", "upload cancelled", stage="upload", elapsed_ms=100.0),
    line(4600, "info", "audio started", stage="audio"),
    line(5000, "info", "still going", stage="audio"),
]


class TestBuildTrace:
    def test_offsets_from_the_first_line(self) -> None:
        """Every line's offset is its time minus the job's first line's."""
        trace = trace_of(EVENTS)

        assert [0, 0, 1000, 1000, 1001, 1500, 3000, 4001, 4500, 4600, 5000] == [
            line.offset for line in trace.lines
        ]
        assert 5000 == trace.duration

    def test_spans_from_elapsed_ms(self) -> None:
        """A stage starts elapsed_ms before its closing line; parallel runs get labels."""
        trace = trace_of(EVENTS)

        assert [
            ("script", "", 0.0, 1000.0, "completed"),
            ("scene", "scene=1", 1000.0, 3000.0, "completed"),
            ("scene", "scene=2", 1001.0, 4001.0, "failed"),
            ("upload", "", 4400.0, 4500.0, "cancelled"),
            ("audio", "", 4600.0, 5000.0, "unfinished"),
        ] == [(s.stage, s.label, s.start, s.end, s.status) for s in trace.spans]

    def test_lines_belong_to_their_stage_run(self) -> None:
        """Each line of a stage is on its run's row; other lines on none."""
        trace = trace_of(EVENTS)

        assert [None, 0, 0, 1, 2, 2, 1, 2, 3, 4, 4] == [line.span for line in trace.lines]

    def test_completion_results_do_not_label_runs(self) -> None:
        """Fields only on a closing line (a result) do not tell runs apart."""
        events = [
            {"timestamp": at(0), "stage": "s", "k": 1},
            {"timestamp": at(1), "stage": "s", "elapsed_ms": 1, "url": "a", "k": 1},
            {"timestamp": at(2), "stage": "s", "k": 1},
            {"timestamp": at(5), "stage": "s", "elapsed_ms": 3, "url": "b", "k": 1},
        ]

        assert ["", ""] == [span.label for span in trace_of(events).spans]

    def test_lines_without_time(self) -> None:
        """A line without a timestamp has no offset and no stage run."""
        trace = trace_of(
            [{"message": "no time", "stage": "x"}, {"timestamp": at(0), "message": "t"}]
        )

        assert [None, 0.0] == [line.offset for line in trace.lines]
        assert [] == trace.spans
        assert 0.0 == trace_of([{"message": "no time"}]).duration


class TestRenderText:
    def test_console_format_with_offsets_and_stage_table(self) -> None:
        """Lines in the console format (without job_id), offsets first, then the stages."""
        text = render_text(trace_of(EVENTS[:3]))

        assert (
            "job-1: 3 lines, from 2026-11-23 10:00:00.000, 1.000s, 0 warnings, 0 errors\n"
            "+0.000s  INFO  Starting                         user_id=u\n"
            "+0.000s  INFO  script started                   user_id=u stage=script\n"
            "+1.000s  INFO  script completed                 user_id=u stage=script "
            "script_id=s-1 elapsed_ms=1000.0\n"
            "\n"
            "stage       start   duration  status      timeline\n"
            "script    +0.000s     1.000s  completed   |" + "█" * 40 + "|\n"
        ) == text

    def test_bars_are_placed_on_the_time_axis(self) -> None:
        """Later stages start further right; an unfinished one is shaded."""
        table = render_text(trace_of(EVENTS)).split("\n\n")[1].splitlines()

        assert table[2].endswith("|        ████████████████                |")
        assert table[5].endswith("|                                    ░░░░|")
        assert "1 warning" not in render_text(trace_of(EVENTS))
        assert "2 warnings, 1 error" in render_text(trace_of(EVENTS))

    def test_colors(self) -> None:
        """With colors the console renderer's ANSI codes are used."""
        assert "\x1b[" in render_text(trace_of(EVENTS[:1]), colors=True)

    def test_hostile_values_are_escaped(self) -> None:
        """Control characters in the job id and the lines cannot reach the terminal."""
        events = [{"timestamp": at(0), "message": "a\x1b[2Jb", "stage": "s\x1b", "elapsed_ms": 1}]
        text = render_text(trace_of(events, job_id="job-\x1b[31m"))

        assert "\x1b" not in text
        assert "\\x1b" in text


class TestRenderHtml:
    def test_self_contained_page(self) -> None:
        """One page: no script, no external resource, a strict content security policy."""
        page = render_html(trace_of(EVENTS))

        assert page.startswith("<!doctype html>")
        assert "<script" not in page
        assert "http" not in page.replace("http-equiv", "")
        assert "default-src 'none'" in page

    def test_bars_and_marks(self) -> None:
        """A bar per stage run, a mark per timed line, warnings and errors marked."""
        page = render_html(trace_of(EVENTS))

        assert 5 == page.count('<div class="bar ')
        assert ["completed", "completed", "failed", "cancelled", "unfinished"] == re.findall(
            r'<div class="bar (\w+)"', page
        )
        assert 11 == page.count('<div class="mark ')
        assert 2 == page.count('<div class="mark warning"')
        assert 1 == page.count('<div class="mark error"')
        assert 'style="left:20.000%;width:40.000%"' in page  # scene 1: 1.0s to 3.0s of 5.0s

    def test_fields_on_hover(self) -> None:
        """Each mark carries its line's fields in a tooltip."""
        page = render_html(trace_of(EVENTS))

        assert "video_url: s3://1" in page
        assert "error_message: API error" in page
        # Tooltips of marks in the right half open leftwards, to stay on the page.
        assert 6 == page.count('<div class="tip">')
        assert 5 == page.count('<div class="tip left">')

    def test_everything_from_the_log_is_escaped(self) -> None:
        """Log lines are attacker-influenced: no tag or attribute can come from them."""
        evil = '"><script>alert(1)</script><img src=x onerror=alert(2)>'
        first = {"timestamp": at(0), "level": evil, "message": evil, evil: evil, "stage": evil}
        events = [
            {**first, "elapsed_ms": 5},
            {"timestamp": at(10), "message": "x", "stage": evil, "elapsed_ms": 1, "k": evil},
        ]
        page = render_html(trace_of(events, job_id=evil))

        assert evil not in page
        assert "<script" not in page
        assert "<img" not in page
        assert (
            "&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;"
            in page
        )
        # Every attribute value is free of raw markup; no quote from the log closes one.
        for value in re.findall(r'="([^"]*)"', page):
            assert "<" not in value
            assert ">" not in value

    def test_control_characters_are_escaped(self) -> None:
        """A control character in a value shows as an escape."""
        page = render_html(trace_of([{"timestamp": at(0), "message": "a\x00b\x1bc"}]))

        assert "a\\x00b\\x1bc" in page

    def test_lines_without_time(self) -> None:
        """Untimed lines are listed but have no mark; the header has no time range."""
        trace = trace_of([{"message": "no time", "level": "info"}])
        page = render_html(trace)

        assert '<div class="mark' not in page
        assert "<td>no time</td>" in page
        assert "job-1: 1 lines, 0 warnings, 0 errors\n" == render_text(trace).splitlines(True)[0]

    def test_a_single_line_job(self) -> None:
        """A job of one line (no duration) still renders an axis."""
        page = render_html(trace_of([{"timestamp": at(0), "message": "only"}]))

        assert '<span class="tick" style="left:0.000%">0s</span>' in page


class TestCommand:
    def test_trace_of_the_pipeline(
        self, pipeline_log: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """joblog trace shows the job's lines in time order and its stages with durations."""
        assert 0 == main(["trace", GOOD_JOBS[0], str(pipeline_log)])
        out = capsys.readouterr().out

        header, body = out.split("\n", 1)
        assert header.startswith(f"{GOOD_JOBS[0]}: ")
        lines, stages = body.split("\n\n")
        offsets = [float(line.split("s", 1)[0]) for line in lines.splitlines()]
        assert offsets == sorted(offsets)
        assert 0.0 == offsets[0]
        assert "Starting fully async generation" in lines.splitlines()[0]
        assert "job_id=" not in lines
        assert ["stage", "script", "scene scene=1", "scene scene=2", "audio", "compose"] == [
            row.split("  ")[0].strip() for row in stages.splitlines()
        ]
        assert all("completed" in row for row in stages.splitlines()[1:])

    def test_failed_job(self, pipeline_log: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """The failed job's scene 2 is marked failed; the header counts the errors."""
        assert 0 == main(["trace", FAILED_JOB, str(pipeline_log), "--color", "never"])
        out = capsys.readouterr().out

        assert "1 warning, 2 errors" in out.splitlines()[0]
        assert re.search(r"scene scene=2 +\+\d\.\d{3}s +\d\.\d{3}s  failed", out)

    def test_unknown_job(self, pipeline_log: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """No line of the job: a message and exit status 1."""
        assert 1 == main(["trace", "job-nope", str(pipeline_log)])

        assert "joblog trace: no line has job_id 'job-nope'\n" == capsys.readouterr().err

    def test_empty_job_id(self, pipeline_log: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """An empty JOB_ID is a usage error."""
        assert 2 == main(["trace", "", str(pipeline_log)])
        assert "JOB_ID must not be empty" in capsys.readouterr().err

    def test_html_file(
        self, pipeline_log: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """--html writes the waterfall page next to the text output."""
        page = tmp_path / "trace.html"

        assert 0 == main(["trace", FAILED_JOB, str(pipeline_log), "--html", str(page)])

        html = page.read_text()
        assert f"<h1>{FAILED_JOB}</h1>" in html
        assert 3 == html.count('<div class="bar ')
        assert 1 == html.count('<div class="bar failed"')
        assert capsys.readouterr().out.startswith(FAILED_JOB)

    def test_html_file_that_cannot_be_written(
        self, pipeline_log: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """An unwritable --html path is a usage error naming it."""
        target = tmp_path / "missing" / "trace.html"

        assert 2 == main(["trace", FAILED_JOB, str(pipeline_log), "--html", str(target)])
        assert f"cannot write {target}" in capsys.readouterr().err

    def test_lines_of_the_job_are_merged_from_several_files(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """Lines of one job spread over files come out in time order."""
        first, second = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
        first.write_text("\n".join(json.dumps(e) for e in EVENTS[0::2]) + "\n")
        second.write_text(
            "\n".join(json.dumps(e) for e in EVENTS[1::2]) + "\njob-1 in plain text\n"
        )

        assert 0 == main(["trace", "job-1", str(first), str(second)])

        captured = capsys.readouterr()
        positions = [captured.out.index(f" {event['message']} ") for event in EVENTS]
        assert sorted(positions) == positions
        assert "joblog: 1 line was not a JSON object (kept as events with only @message)\n" == (
            captured.err
        )


@pytest.mark.skipif(
    CHROMIUM is None,
    reason="Chromium is not installed (apt-get install -y chromium): the waterfall is not rendered",
)
def test_waterfall_renders_in_chromium(tmp_path: Path) -> None:
    """Headless Chromium draws the bars: one row per stage run, the failed one red."""
    page = tmp_path / "trace.html"
    page.write_text(render_html(trace_of(EVENTS)))
    shot = tmp_path / "shot.png"
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run(
            [
                str(CHROMIUM),
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                f"--user-data-dir={profile}",
                "--hide-scrollbars",
                "--window-size=900,420",
                f"--screenshot={shot}",
                page.as_uri(),
            ],
            check=True,
            capture_output=True,
            timeout=60,
        )
    width, _height, rows = read_png(shot)

    def extent(color: tuple[int, int, int]) -> list[tuple[int, int, int]]:
        """(row, first column, last column) of each pixel row holding *color*."""
        found = []
        pixel = bytes(color)
        for y, row in enumerate(rows):
            xs = [x for x in range(width) if row[3 * x : 3 * x + 3] == pixel]
            if xs:
                found.append((y, xs[0], xs[-1]))
        return found

    completed = extent((0x2B, 0x6C, 0xB0))
    failed = extent((0xC5, 0x30, 0x30))
    cancelled = extent((0xDD, 0x6B, 0x20))
    assert completed
    assert failed
    assert cancelled
    # Two completed bars (script, scene 1) on separate rows, in time order.
    bands = _bands([y for y, _first, _last in completed])
    assert 2 == len(bands)
    script = [item for item in completed if item[0] in bands[0]]
    scene = [item for item in completed if item[0] in bands[1]]
    assert script[0][2] <= scene[0][1] + 2  # scene 1 starts where the script ends
    # scene 1 (1.0s to 3.0s) is twice as long as the script (0 to 1.0s).
    assert abs((scene[0][2] - scene[0][1]) - 2 * (script[0][2] - script[0][1])) <= 4
    # The failed scene 2 is a row below scene 1 and overlaps it in time.
    assert min(y for y, _f, _l in failed) > max(bands[1])
    assert failed[0][1] < scene[0][2]


def _bands(ys: list[int]) -> list[set[int]]:
    """Group consecutive pixel rows."""
    bands: list[set[int]] = []
    for y in sorted(ys):
        if bands and y - 1 in bands[-1]:
            bands[-1].add(y)
        else:
            bands.append({y})
    return bands
