"""Tests for joblog.job(), running_jobs(), cancel_jobs() and flush()."""

from __future__ import annotations

import asyncio
import io
import json
import subprocess
import sys
import textwrap
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import joblog
from joblog.cli import main as cli_main

from .conftest import Output

Configure = Callable[..., Output]


def lifecycle(events: list[dict[str, Any]]) -> list[tuple[str, str, str | None]]:
    """(message, level, status) of the lifecycle lines."""
    return [
        (e["message"], e["level"], e.get("status")) for e in events if e["logger"] == "joblog.jobs"
    ]


class TestLifecycle:
    def test_success_with(self, configured: Configure) -> None:
        """`with job()` yields a new id; started and completed lines carry it and the fields."""
        out = configured(stdlib=False)
        log = joblog.get_logger("app")

        with joblog.job(user_id="user-xyz") as job_id:
            log.info("Starting fully async generation")
            assert joblog.current_job_id() == job_id
        assert joblog.current_job_id() is None

        started, inside, completed = out.events()
        assert job_id.startswith("job-")
        assert ("Job started", "info", "processing", job_id, "user-xyz") == (
            started["message"],
            started["level"],
            started["status"],
            started["job_id"],
            started["user_id"],
        )
        assert (job_id, "user-xyz") == (inside["job_id"], inside["user_id"])
        assert "status" not in inside
        assert ("Job completed", "info", "completed", job_id) == (
            completed["message"],
            completed["level"],
            completed["status"],
            completed["job_id"],
        )
        assert isinstance(completed["elapsed_ms"], float)
        assert completed["elapsed_ms"] >= 0

    def test_success_async_with_given_id(self, configured: Configure) -> None:
        """`async with job("job-abc123")` binds that id."""
        out = configured(stdlib=False)

        async def main() -> str:
            async with joblog.job("job-abc123") as job_id:
                await asyncio.sleep(0)
                return job_id

        assert "job-abc123" == asyncio.run(main())
        assert [("Job started", "info", "processing"), ("Job completed", "info", "completed")] == (
            lifecycle(out.events())
        )
        assert {"job-abc123"} == {e["job_id"] for e in out.events()}

    def test_failure_is_one_error_line_and_reraises(self, configured: Configure) -> None:
        """An exception: one `Job failed` error line with the exception fields, re-raised."""
        out = configured(stdlib=False)

        with pytest.raises(RuntimeError, match="Minimax API error"), joblog.job("job-1"):
            raise RuntimeError("Minimax API error: 422 voice_id not found")

        failed = out.events()[-1]
        assert ("Job failed", "error", "failed", "job-1", "RuntimeError") == (
            failed["message"],
            failed["level"],
            failed["status"],
            failed["job_id"],
            failed["error_type"],
        )
        assert "Minimax API error: 422 voice_id not found" == failed["error_message"]
        assert failed["exception"].startswith("Traceback (most recent call last):")
        assert isinstance(failed["elapsed_ms"], float)

    def test_cancellation_is_a_warning(self, configured: Configure) -> None:
        """A cancelled task writes `Job cancelled` at warning, and stays cancelled."""
        out = configured(stdlib=False)

        async def main() -> None:
            entered = asyncio.Event()

            async def work() -> None:
                async with joblog.job("job-c"):
                    entered.set()
                    await asyncio.sleep(30)

            task = asyncio.create_task(work())
            await entered.wait()
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task

        asyncio.run(main())
        cancelled = out.events()[-1]
        assert ("Job cancelled", "warning", "cancelled", "job-c", "CancelledError") == (
            cancelled["message"],
            cancelled["level"],
            cancelled["status"],
            cancelled["job_id"],
            cancelled["error_type"],
        )

    def test_keyboard_interrupt_is_cancelled_not_failed(self, configured: Configure) -> None:
        """KeyboardInterrupt stops the job from outside: cancelled, not failed."""
        out = configured(stdlib=False)
        with pytest.raises(KeyboardInterrupt), joblog.job("job-k"):
            raise KeyboardInterrupt
        assert ("Job cancelled", "warning", "cancelled") == lifecycle(out.events())[-1]

    def test_nesting_restores_the_outer_job(self, configured: Configure) -> None:
        """An inner job has its own id and lines; the outer id is back after it."""
        out = configured(stdlib=False)
        log = joblog.get_logger("app")

        with joblog.job("job-outer"):
            with joblog.job("job-inner"):
                assert ["job-outer", "job-inner"] == joblog.running_jobs()
                log.info("inside")
            log.info("after")

        assert [
            ("Job started", "job-outer"),
            ("Job started", "job-inner"),
            ("inside", "job-inner"),
            ("Job completed", "job-inner"),
            ("after", "job-outer"),
            ("Job completed", "job-outer"),
        ] == [(e["message"], e["job_id"]) for e in out.events()]
        assert [] == joblog.running_jobs()

    def test_invalid_job_id(self) -> None:
        """An invalid id is refused when job() is called, naming it."""
        with pytest.raises(ValueError, match="invalid job_id 'bad\\\\nid'"):
            joblog.job("bad\nid")

    def test_one_object_runs_one_job_at_a_time(self, configured: Configure) -> None:
        """Entering a running job() object again is a clear error, not a corrupted binding."""
        configured(stdlib=False)
        running = joblog.job("job-once")
        with running, pytest.raises(RuntimeError, match="already running"), running:
            pass  # pragma: no cover - the inner `with` raises on entry
        with running:  # free again once it has ended
            assert ["job-once"] == joblog.running_jobs()


class TestFindFailedJobs:
    def test_query_finds_one_line_per_failed_job(
        self, configured: Configure, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """`filter status = "failed"` finds each failed job once, though a stage failed too."""
        out = configured(stdlib=False)

        async def generate(fail: bool) -> None:
            async with joblog.job(), joblog.stage("audio", start="Generating audio"):
                if fail:
                    raise RuntimeError("Minimax API error: 422 voice_id not found")

        async def main() -> None:
            await asyncio.gather(
                generate(True), generate(False), generate(True), return_exceptions=True
            )

        asyncio.run(main())
        log = tmp_path / "app.jsonl"
        log.write_text(out.getvalue())
        capsys.readouterr()

        query = 'fields @timestamp, job_id, error_message | filter status = "failed"'
        assert 0 == cli_main(["query", "--format", "jsonl", query, str(log)])
        rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]

        failed_jobs = {e["job_id"] for e in out.events() if e["message"] == "Job failed"}
        assert 2 == len(rows) == len(failed_jobs)
        assert failed_jobs == {r["job_id"] for r in rows}
        assert {"Minimax API error: 422 voice_id not found"} == {r["error_message"] for r in rows}
        stage_errors = [e for e in out.events() if e["message"] == "audio failed"]
        assert 2 == len(stage_errors)
        assert all("status" not in e for e in stage_errors)


class TestDecorator:
    def test_async_calls_under_gather_each_get_their_own_job(self, configured: Configure) -> None:
        """Decorated coroutines run at once: each call is its own job with its own id."""
        out = configured(stdlib=False)
        log = joblog.get_logger("app")

        @joblog.job(user_id="user-xyz")
        async def render(scene: int) -> str | None:
            for _ in range(3):
                log.info("step", scene=scene)
                await asyncio.sleep(0)
            return joblog.current_job_id()

        async def main() -> list[str | None]:
            return list(await asyncio.gather(*(render(n) for n in range(5))))

        ids = asyncio.run(main())
        assert 5 == len(set(ids))
        for scene, job_id in enumerate(ids):
            lines = [e for e in out.events() if e["job_id"] == job_id]
            assert ["Job started", "step", "step", "step", "Job completed"] == [
                e["message"] for e in lines
            ]
            assert {scene} == {e["scene"] for e in lines if "scene" in e}
        assert [] == joblog.running_jobs()
        assert render.__name__ == "render"

    def test_sync_calls_from_threads(self, configured: Configure) -> None:
        """A decorated function called from 16 threads at once: 16 jobs, none mixed up."""
        out = configured(stdlib=False)
        log = joblog.get_logger("app")
        barrier = threading.Barrier(16)

        @joblog.job()
        def work(n: int) -> str | None:
            barrier.wait(timeout=10)
            log.info("working", n=n)
            return joblog.current_job_id()

        results: dict[int, str | None] = {}

        def run(n: int) -> None:
            results[n] = work(n)

        threads = [threading.Thread(target=run, args=(n,)) for n in range(16)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(10)

        assert 16 == len(set(results.values()))
        for n, job_id in results.items():
            (line,) = [e for e in out.events() if e["message"] == "working" and e["n"] == n]
            assert job_id == line["job_id"]
        assert 32 == len(lifecycle(out.events()))

    def test_given_id_is_bound_on_every_call(self, configured: Configure) -> None:
        """With a job id, every call runs as that job; a failing call logs `Job failed`."""
        out = configured(stdlib=False)

        @joblog.job("job-nightly")
        def nightly(fail: bool) -> None:
            if fail:
                raise ValueError("no input")

        nightly(False)
        with pytest.raises(ValueError, match="no input"):
            nightly(True)
        assert {"job-nightly"} == {e["job_id"] for e in out.events()}
        assert ["completed", "processing", "failed"] == [s for *_, s in lifecycle(out.events())][1:]


class TestCancelJobs:
    def test_cancels_running_jobs_and_writes_their_final_state(self, configured: Configure) -> None:
        """Each running job writes `Job cancelled`; its sampler flushes the last poll."""
        out = configured(stdlib=False)
        log = joblog.get_logger("app")

        async def poll_forever(polls: asyncio.Semaphore) -> None:
            async with joblog.job(), joblog.sampled(log, every=100) as plog:
                attempt = 0
                while True:
                    attempt += 1
                    plog.debug("Kling still processing", attempt=attempt)
                    polls.release()
                    await asyncio.sleep(0)

        async def main() -> list[str]:
            polls = asyncio.Semaphore(0)
            tasks = [asyncio.create_task(poll_forever(polls)) for _ in range(3)]
            for _ in range(15):
                await polls.acquire()
            assert 3 == len(joblog.running_jobs())
            left = await joblog.cancel_jobs(timeout=5)
            assert all(t.cancelled() for t in tasks)
            return left

        assert [] == asyncio.run(main())
        assert [] == joblog.running_jobs()
        events = out.events()
        cancelled = [e for e in events if e["message"] == "Job cancelled"]
        assert 3 == len({e["job_id"] for e in cancelled})
        for line in cancelled:
            polls = [
                e
                for e in events
                if e["message"] == "Kling still processing" and e["job_id"] == line["job_id"]
            ]
            (flushed,) = polls
            assert flushed["attempt"] == flushed["suppressed"] + 1

    def test_returns_jobs_that_outlive_the_timeout(self, configured: Configure) -> None:
        """A job that refuses to end within the timeout is reported, not waited for forever."""
        configured(stdlib=False)

        async def stubborn(release: asyncio.Event, entered: asyncio.Event) -> None:
            async with joblog.job("job-stubborn"):
                entered.set()
                while not release.is_set():
                    try:
                        await asyncio.sleep(30)
                    except asyncio.CancelledError:
                        await release.wait()

        async def main() -> list[str]:
            release, entered = asyncio.Event(), asyncio.Event()
            task = asyncio.create_task(stubborn(release, entered))
            await entered.wait()
            left = await joblog.cancel_jobs(timeout=0.05)
            release.set()
            await task
            return left

        assert ["job-stubborn"] == asyncio.run(main())

    def test_leaves_the_callers_own_job_and_sync_jobs_alone(self, configured: Configure) -> None:
        """The caller's job and jobs outside the event loop (threads) keep running."""
        configured(stdlib=False)
        in_thread, stop = threading.Event(), threading.Event()

        def thread_job() -> None:
            with joblog.job("job-thread"):
                in_thread.set()
                stop.wait(10)

        thread = threading.Thread(target=thread_job)
        thread.start()
        in_thread.wait(10)

        async def main() -> list[str]:
            async with joblog.job("job-lifespan"):
                left = await joblog.cancel_jobs(timeout=1)
                assert ["job-thread", "job-lifespan"] == joblog.running_jobs()
                return left

        try:
            assert [] == asyncio.run(main())
        finally:
            stop.set()
            thread.join(10)
        assert [] == joblog.running_jobs()

    def test_leaves_jobs_of_another_event_loop_alone(self, configured: Configure) -> None:
        """A job running in another thread's event loop is not this loop's to cancel."""
        configured(stdlib=False)
        entered, stop = threading.Event(), threading.Event()

        async def other() -> None:
            async with joblog.job("job-other-loop"):
                entered.set()
                while not stop.is_set():
                    await asyncio.sleep(0.01)

        thread = threading.Thread(target=asyncio.run, args=(other(),))
        thread.start()
        entered.wait(10)
        try:
            assert [] == asyncio.run(joblog.cancel_jobs(timeout=1))
            assert ["job-other-loop"] == joblog.running_jobs()
        finally:
            stop.set()
            thread.join(10)

    @pytest.mark.parametrize("timeout", [-1, float("nan"), True, "10"])
    def test_bad_timeout(self, timeout: Any) -> None:
        """A timeout that is not seconds >= 0 is refused, naming it."""
        with pytest.raises(ValueError, match="timeout must be a number of seconds >= 0"):
            asyncio.run(joblog.cancel_jobs(timeout=timeout))


class TestFlush:
    def test_writes_samplers_outside_with_and_flushes_the_stream(
        self, configured: Configure
    ) -> None:
        """flush() writes a sampler's held-back last call, then flushes the stream."""

        class Flushes(Output):
            flushes = 0

            def flush(self) -> None:
                self.flushes += 1

        out = Flushes()
        joblog.configure(stream=out, renderer="json", level="debug")
        plog = joblog.sampled(joblog.get_logger("app"), every=10)
        with joblog.bind_job("job-f"):
            for attempt in range(1, 15):
                plog.debug("Kling still processing", attempt=attempt)
        before = out.flushes

        joblog.flush()

        assert [(10, 9, "job-f"), (14, 3, "job-f")] == [
            (e["attempt"], e["suppressed"], e["job_id"]) for e in out.events()
        ]
        assert out.flushes > before
        joblog.flush()  # nothing held back any more: no new line
        assert 2 == len(out.events())

    def test_a_broken_stream_is_ignored(self) -> None:
        """flush() never raises, even when the stream's flush does."""

        class Broken(io.StringIO):
            def flush(self) -> None:
                raise OSError("EPIPE")

        joblog.configure(stream=Broken(), renderer="json")
        joblog.flush()

    def test_unconfigured_flush_does_nothing(self, capsys: pytest.CaptureFixture[str]) -> None:
        """Before configure(), flush() writes nothing and configures nothing."""
        from joblog import _config

        joblog.flush()
        assert _config.pipeline is None
        assert "" == capsys.readouterr().out

    def test_runs_at_interpreter_exit(self, tmp_path: Path) -> None:
        """A process that ends mid-loop still writes the sampler's last call."""
        code = textwrap.dedent(
            """
            import joblog
            joblog.configure(renderer="json", level="debug")
            plog = joblog.sampled(joblog.get_logger("app"), every=12)
            with joblog.bind_job("job-exit"):
                for attempt in range(1, 8):
                    plog.debug("Kling still processing", attempt=attempt)
            """
        )
        result = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
        )
        (line,) = [json.loads(line) for line in result.stdout.splitlines()]
        assert (7, 6, "job-exit") == (line["attempt"], line["suppressed"], line["job_id"])
