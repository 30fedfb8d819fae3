"""Extra sinks beside the stream, and the field layout applied to every line."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest

import joblog
from joblog import _config, profiles
from joblog.testing import capture_logs

from .conftest import Output


class Recorder:
    """A sink that keeps what it was given."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []
        self.flushed = 0
        self.closed = False

    def write(self, event: dict[str, Any]) -> None:
        self.events.append(event)

    def flush(self) -> None:
        self.flushed += 1

    def close(self) -> None:
        self.closed = True


def ecs_like(event: dict[str, Any]) -> dict[str, Any]:
    out = dict(event)
    out["@timestamp"] = out.pop("timestamp")
    out["log.level"] = out.pop("level")
    return out


@pytest.fixture
def ecs_layout(monkeypatch: pytest.MonkeyPatch) -> None:
    # A layout of the test's own, in place of the profile that "ecs" names.
    monkeypatch.setattr(profiles, "layout", lambda schema, **_: ecs_like)


class TestSinks:
    def test_every_sink_gets_the_final_event(self, output: Output) -> None:
        """A sink beside the stream receives each redacted event; the stream still gets the line."""
        recorder = Recorder()
        joblog.configure(stream=output, renderer="json", sinks=[recorder])
        with joblog.bind_job("job-s"):
            joblog.get_logger("app").info("m", password="hunter2")

        assert [json.loads(output.getvalue())] == recorder.events
        assert "[REDACTED]" == recorder.events[0]["password"]

    def test_replacement_lines_reach_sinks(self, output: Output) -> None:
        """A failed event's replacement line goes to every sink too."""

        def broken(_: Any, __: str, event: Any) -> Any:
            raise RuntimeError("bug")

        recorder = Recorder()
        joblog.configure(stream=output, renderer="json", processors=[broken], sinks=[recorder])
        with joblog.bind_job("job-s"):
            joblog.get_logger("app").info("m")

        assert "job-s" == recorder.events[0]["job_id"]
        assert "RuntimeError" == recorder.events[0]["error_type"]

    def test_a_raising_sink_is_reported_and_others_still_write(
        self, output: Output, capfd: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """A sink that raises never reaches the caller; the stream and other sinks go on."""

        class Broken(Recorder):
            def write(self, event: dict[str, Any]) -> None:
                raise OSError("collector down")

        monkeypatch.setattr(_config, "_reported", False)
        recorder = Recorder()
        joblog.configure(stream=output, renderer="json", sinks=[Broken(), recorder])
        joblog.get_logger("app").info("m")

        assert 1 == len(recorder.events)
        assert 1 == len(output.lines())
        assert "could not write a log line: OSError" in capfd.readouterr().err

    def test_flush_outputs_flushes_sinks(self, output: Output) -> None:
        """flush_outputs() flushes the stream and every sink."""
        recorder = Recorder()
        joblog.configure(stream=output, renderer="json", sinks=[recorder])
        _config.flush_outputs()

        assert 1 == recorder.flushed

    def test_a_sink_needs_the_whole_protocol(self, output: Output) -> None:
        """An object without write/flush/close is refused at configuration time."""
        with pytest.raises(TypeError, match="sinks must have write"):
            joblog.configure(stream=output, sinks=[io.StringIO().write])  # type: ignore[list-item]


class TestSchema:
    def test_joblog_is_the_default(self, configured: Any) -> None:
        """schema="joblog" writes the documented field names."""
        out: Output = configured(schema="joblog")
        joblog.get_logger("app").info("m")

        assert ["timestamp", "level", "message", "logger"] == list(out.events()[0])

    def test_unknown_schema(self) -> None:
        """An unknown layout name is a ValueError naming it."""
        with pytest.raises(ValueError, match="unknown schema 'xml'"):
            joblog.configure(schema="xml")

    def test_layout_applies_to_lines_sinks_and_replacement_lines(
        self, output: Output, ecs_layout: None
    ) -> None:
        """A layout renames fields on every line, replacement lines included."""

        def broken(_: Any, __: str, event: Any) -> Any:
            if event["message"] == "bad":
                raise RuntimeError("bug")
            return event

        recorder = Recorder()
        joblog.configure(
            stream=output,
            renderer="json",
            schema="ecs",
            processors=[broken],
            sinks=[recorder],
        )
        log = joblog.get_logger("app")
        log.info("good")
        log.info("bad")
        logged = output.events()

        assert ["@timestamp", "log.level"] == [k for k in logged[0] if "." in k or "@" in k]
        assert "error" == logged[1]["log.level"]
        assert logged == recorder.events

    def test_layout_without_processors_and_in_captures(
        self, output: Output, ecs_layout: None
    ) -> None:
        """The fast path and capture_logs see the layout too."""
        joblog.configure(stream=output, renderer="json", schema="ecs")
        joblog.get_logger("app").info("fast")
        with capture_logs() as logs:
            joblog.get_logger("app").info("captured")

        assert "info" == output.events()[0]["log.level"]
        assert "info" == logs[0]["log.level"]

    def test_a_layout_that_fails_on_a_replacement_line(
        self, output: Output, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """If the layout itself fails, the replacement line is written as it is."""

        def failing(event: dict[str, Any]) -> dict[str, Any]:
            raise RuntimeError("layout bug")

        monkeypatch.setattr(profiles, "layout", lambda schema, **_: failing)
        joblog.configure(stream=output, renderer="json", schema="ecs")
        with joblog.bind_job("job-s"):
            joblog.get_logger("app").info("m")

        event = output.events()[0]
        assert ("error", "job-s") == (event["level"], event["job_id"])
