"""stage(): boundary lines with timings, failures and cancellations."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

import joblog

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def without_time(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {k: v for k, v in e.items() if k not in ("timestamp", "elapsed_ms", "exception")}
        for e in events
    ]


class TestStage:
    def test_success(self, configured: Any) -> None:
        """start and completed lines, stage bound inside, elapsed_ms on completion."""
        out = configured()
        log = joblog.get_logger("app")
        with joblog.bind_job("job-s"), joblog.stage("script", logger=log, model="gpt-4o"):
            log.info("working")
        log.info("after")

        events = out.events()
        assert [
            {
                "level": "info",
                "message": "script started",
                "logger": "app",
                "job_id": "job-s",
                "stage": "script",
                "model": "gpt-4o",
            },
            {
                "level": "info",
                "message": "working",
                "logger": "app",
                "job_id": "job-s",
                "stage": "script",
                "model": "gpt-4o",
            },
            {
                "level": "info",
                "message": "script completed",
                "logger": "app",
                "job_id": "job-s",
                "stage": "script",
                "model": "gpt-4o",
            },
            {"level": "info", "message": "after", "logger": "app"},
        ] == without_time(events)
        assert isinstance(events[2]["elapsed_ms"], float)
        assert events[2]["elapsed_ms"] >= 0

    def test_custom_messages_and_default_logger(self, configured: Any) -> None:
        """start/done replace the default messages; the logger defaults to the caller's module."""
        out = configured()
        with joblog.stage(
            "script", start="Generating script with GPT-4o", done="Script generated successfully"
        ):
            pass

        assert [
            ("Generating script with GPT-4o", __name__),
            ("Script generated successfully", __name__),
        ] == [(e["message"], e["logger"]) for e in out.events()]

    def test_failure(self, configured: Any) -> None:
        """An exception logs one error line with the exception fields, then propagates."""
        out = configured()
        with pytest.raises(TimeoutError), joblog.stage("compose"):
            raise TimeoutError("ffmpeg timed out")

        start, failed = out.events()
        assert "compose started" == start["message"]
        assert ("error", "compose failed", "TimeoutError", "ffmpeg timed out", "compose") == (
            failed["level"],
            failed["message"],
            failed["error_type"],
            failed["error_message"],
            failed["stage"],
        )
        assert failed["exception"].endswith("TimeoutError: ffmpeg timed out")
        assert failed["elapsed_ms"] >= 0
        assert joblog.context.get_fields() == {}

    def test_keyboard_interrupt_counts_as_cancelled(self, configured: Any) -> None:
        """A BaseException that is not an Exception is a cancellation, not a failure."""
        out = configured()
        with pytest.raises(KeyboardInterrupt), joblog.stage("upload"):
            raise KeyboardInterrupt

        assert ("warning", "upload cancelled", "KeyboardInterrupt") == (
            out.events()[1]["level"],
            out.events()[1]["message"],
            out.events()[1]["error_type"],
        )

    async def test_async_success_and_failure(self, configured: Any) -> None:
        """async with works the same way."""
        out = configured()
        async with joblog.stage("audio", start="Generating audio", done="Audio generated"):
            await asyncio.sleep(0.01)
        with pytest.raises(ValueError, match="bad"):
            async with joblog.stage("compose"):
                raise ValueError("bad")

        events = out.events()
        assert ["Generating audio", "Audio generated", "compose started", "compose failed"] == [
            e["message"] for e in events
        ]
        assert events[1]["elapsed_ms"] >= 10

    async def test_cancellation(self, configured: Any) -> None:
        """A cancelled task logs "<name> cancelled" at warning and stays cancelled."""
        out = configured()

        async def poll() -> None:
            async with joblog.stage("poll", scene=1):
                await asyncio.sleep(10)

        task = asyncio.create_task(poll())
        await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

        cancelled = out.events()[-1]
        assert ("warning", "poll cancelled", "CancelledError", 1) == (
            cancelled["level"],
            cancelled["message"],
            cancelled["error_type"],
            cancelled["scene"],
        )

    async def test_parallel_stages_keep_their_own_fields(self, configured: Any) -> None:
        """Parallel scenes in their own stages never see each other's fields."""
        out = configured()

        async def scene(n: int) -> None:
            async with joblog.stage("scene", scene=n):
                await asyncio.sleep(0.001 * n)
                joblog.get_logger("app").info("tick")

        with joblog.bind_job("job-par"):
            await asyncio.gather(scene(1), scene(2), scene(3))

        for event in out.events():
            if event["message"] == "tick":
                assert "job-par" == event["job_id"]
        assert [1, 2, 3] == sorted(e["scene"] for e in out.events() if e["message"] == "tick")

    async def test_add_fields_to_the_completion_line(self, configured: Any) -> None:
        """st.add() puts result fields on the completion line only."""
        out = configured()
        async with joblog.stage("script", done="Script generated successfully") as st:
            joblog.get_logger("app").info("inside")
            st.add(script_id="script-def456", message="kept apart")

        started, inside, done = out.events()
        assert "script_id" not in started
        assert ("script-def456", "kept apart") == (done["script_id"], done["fields.message"])
        assert "script_id" not in inside
        assert list(done)[-1] == "elapsed_ms"

    @pytest.mark.parametrize("bad", ["", None, 3])
    def test_bad_name(self, bad: Any) -> None:
        """The stage name must be a non-empty string."""
        with pytest.raises(TypeError, match="stage name must be a non-empty string"):
            joblog.stage(bad)
