"""Tests for joblog.sampled(): sampled logging for polling loops."""

from __future__ import annotations

import asyncio
import collections
import contextlib
import gc
import io
import json
import logging
import math
import re
import sys
import threading
import weakref
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import structlog
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import joblog
from joblog import _config, _logger, sampling
from joblog.sampling import DEFAULT_MAX_KEYS, SampledLogger, sampled
from joblog.testing import capture_logs

Configure = Callable[..., Any]

POLL = "Kling still processing"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class FakeClock:
    """An injectable clock: seconds that only move when the test says so."""

    def __init__(self, now: float = 0.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def polls(events: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    """(scene, attempt, suppressed) of every poll line, in order."""
    return [
        (e.get("scene"), e["attempt"], e.get("suppressed")) for e in events if e["message"] == POLL
    ]


async def poll(plog: SampledLogger, scene: int, attempts: int) -> None:
    """A polling loop: one debug line per poll, then yield to the other loops."""
    for attempt in range(1, attempts + 1):
        plog.debug(POLL, scene=scene, attempt=attempt)
        await asyncio.sleep(0)


class TestEvery:
    def test_every_12_over_36_polls(self, configured: Configure) -> None:
        """every=12 over 36 polls shows attempts 12, 24 and 36, each with suppressed=11."""
        out = configured()
        log = joblog.get_logger("app")

        with joblog.sampled(log, every=12) as plog:
            for attempt in range(1, 37):
                plog.debug(POLL, scene=1, attempt=attempt)

        assert [(1, 12, 11), (1, 24, 11), (1, 36, 11)] == polls(out.events())

    def test_every_1_shows_all_with_suppressed_0(self, configured: Configure) -> None:
        """every=1 shows every call, and each line says suppressed=0."""
        out = configured()
        plog = joblog.sampled(joblog.get_logger("app"), every=1)

        for attempt in range(1, 4):
            plog.info(POLL, attempt=attempt)

        assert [(None, 1, 0), (None, 2, 0), (None, 3, 0)] == polls(out.events())

    def test_line_is_the_wrapped_loggers_line(self, configured: Configure) -> None:
        """A shown line has the schema, the logger's name and bound fields, then the call's."""
        out = configured()
        plog = joblog.sampled(joblog.get_logger("app.kling", vendor="kling"), every=2)

        plog.debug(POLL, attempt=1)
        plog.debug(POLL, attempt=2)

        [event] = out.events()
        assert ["timestamp", "level", "message", "logger", "vendor", "attempt", "suppressed"] == (
            list(event)
        )
        assert ("debug", "app.kling", "kling", 2, 1) == (
            event["level"],
            event["logger"],
            event["vendor"],
            event["attempt"],
            event["suppressed"],
        )

    def test_percent_args_are_payload(self, configured: Configure) -> None:
        """%-args are interpolated into the line but the template is the key."""
        out = configured()
        plog = joblog.sampled(joblog.get_logger("app"), every=3)

        for attempt in range(1, 7):
            plog.debug("Kling still processing attempt=%d", attempt)

        assert ["Kling still processing attempt=3", "Kling still processing attempt=6"] == [
            e["message"] for e in out.events()
        ]

    def test_non_string_message_is_keyed_by_its_text(self, configured: Configure) -> None:
        """A message that is not a string is counted under its text."""
        out = configured()
        plog = joblog.sampled(joblog.get_logger("app"), every=2)

        plog.info(ValueError("still waiting"))
        plog.info(ValueError("still waiting"))

        assert [("still waiting", 1)] == [(e["message"], e["suppressed"]) for e in out.events()]

    def test_without_with_nothing_is_flushed(self, configured: Configure) -> None:
        """Used without a with-block, calls after the last shown one stay unwritten."""
        out = configured()
        plog = joblog.sampled(joblog.get_logger("app"), every=12)

        for attempt in range(1, 41):
            plog.debug(POLL, scene=1, attempt=attempt)

        assert [12, 24, 36] == [attempt for _, attempt, _ in polls(out.events())]


class TestFirst:
    def test_first_calls_always_shown(self, configured: Configure) -> None:
        """first=2, every=5: calls 1 and 2, then every 5th after them (7, 12)."""
        out = configured()

        with joblog.sampled(joblog.get_logger("app"), every=5, first=2) as plog:
            for attempt in range(1, 13):
                plog.debug(POLL, attempt=attempt)

        assert [(None, 1, 0), (None, 2, 0), (None, 7, 4), (None, 12, 4)] == polls(out.events())

    def test_first_with_interval(self, configured: Configure) -> None:
        """first=1 with interval=60: the first poll is shown, then one a minute."""
        out = configured()
        clock = FakeClock()

        with joblog.sampled(joblog.get_logger("app"), interval=60, first=1, clock=clock) as plog:
            for attempt in range(1, 26):
                plog.debug(POLL, attempt=attempt)
                clock.now += 5

        assert [(None, 1, 0), (None, 13, 11), (None, 25, 11)] == polls(out.events())


class TestKeys:
    def test_counters_per_message(self, configured: Configure) -> None:
        """Two messages alternating are counted apart: each shows its own 3rd and 6th call."""
        out = configured()
        plog = joblog.sampled(joblog.get_logger("app"), every=3)

        for attempt in range(1, 7):
            plog.debug("Kling still processing", attempt=attempt)
            plog.debug("Waiting for upload", attempt=attempt)

        assert [
            ("Kling still processing", 3),
            ("Waiting for upload", 3),
            ("Kling still processing", 6),
            ("Waiting for upload", 6),
        ] == [(e["message"], e["attempt"]) for e in out.events()]

    def test_counters_per_level(self, configured: Configure) -> None:
        """The same message at debug and at info is counted apart (the level is in the key)."""
        out = configured()
        plog = joblog.sampled(joblog.get_logger("app"), every=2)

        for attempt in range(1, 3):
            plog.debug(POLL, attempt=attempt)
            plog.info(POLL, attempt=attempt)

        assert [("debug", 2, 1), ("info", 2, 1)] == [
            (e["level"], e["attempt"], e["suppressed"]) for e in out.events()
        ]

    def test_counters_per_key_field(self, configured: Configure) -> None:
        """key=("scene",): interleaved scenes each show their own 12th poll."""
        out = configured()
        plog = joblog.sampled(joblog.get_logger("app"), every=12, key=("scene",))

        for attempt in range(1, 13):
            for scene in (1, 2, 3):
                plog.debug(POLL, scene=scene, attempt=attempt)

        assert [(1, 12, 11), (2, 12, 11), (3, 12, 11)] == polls(out.events())

    def test_payload_fields_never_in_key(self, configured: Configure) -> None:
        """Fields not named in key= (attempt, prediction_id) do not split the counter."""
        out = configured()
        plog = joblog.sampled(joblog.get_logger("app"), every=4, key=("scene",))

        for attempt in range(1, 9):
            plog.debug(POLL, scene=1, attempt=attempt, prediction_id=f"kling-{attempt}")

        assert [(1, 4, 3), (1, 8, 3)] == polls(out.events())

    def test_key_field_from_bound_logger(self, configured: Configure) -> None:
        """A key field bound on the wrapped logger or with bind() tells keys apart."""
        out = configured()
        plog = joblog.sampled(joblog.get_logger("app", scene=1), every=2, key=("scene",))
        plog2 = plog.bind(scene=2)

        for attempt in range(1, 3):
            plog.debug(POLL, attempt=attempt)
            plog2.debug(POLL, attempt=attempt)

        assert [(1, 2, 1), (2, 2, 1)] == polls(out.events())

    def test_bind_children_share_counters(self, configured: Configure) -> None:
        """bind() shares the sampler: without the field in key= the calls are counted together."""
        out = configured()
        plog = joblog.sampled(joblog.get_logger("app"), every=2)

        plog.bind(scene=1).debug(POLL, attempt=1)
        plog.bind(scene=2).debug(POLL, attempt=1)

        assert [(2, 1, 1)] == polls(out.events())

    def test_key_field_from_job_context(self, configured: Configure) -> None:
        """A key field bound with joblog.bind()/bind_job() is read from the context."""
        out = configured()
        plog = joblog.sampled(joblog.get_logger("app"), every=2, key=("job_id", "scene"))

        for attempt in range(1, 3):
            for job_id, scene in (("job-a", 1), ("job-a", 2), ("job-b", 1)):
                with joblog.bind_job(job_id), joblog.bind(scene=scene):
                    plog.debug(POLL, attempt=attempt)

        assert [("job-a", 1), ("job-a", 2), ("job-b", 1)] == [
            (e["job_id"], e["scene"]) for e in out.events()
        ]

    def test_key_field_from_structlog_contextvars(self, configured: Configure) -> None:
        """A key field bound with structlog.contextvars is read too (lowest precedence)."""
        out = configured()
        plog = joblog.sampled(joblog.get_logger("app"), every=2, key=("scene",))

        for attempt in range(1, 3):
            for scene in (1, 2):
                with structlog.contextvars.bound_contextvars(scene=scene):
                    plog.debug(POLL, attempt=attempt)
        structlog.contextvars.bind_contextvars(other=1)
        structlog.contextvars.unbind_contextvars("other")
        plog.debug(POLL, attempt=1)
        plog.debug(POLL, attempt=2)

        assert [(1, 2, 1), (2, 2, 1), (None, 2, 1)] == polls(out.events())

    def test_missing_key_field_is_a_value_of_its_own(self, configured: Configure) -> None:
        """Calls without the key field share one counter, apart from shard=None."""
        # A name nothing in the suite binds with structlog.contextvars, whose
        # registry is process-wide: the lookup must find no variable at all.
        out = configured()
        plog = joblog.sampled(joblog.get_logger("app"), every=2, key=("sampling_shard",))

        for attempt in range(1, 3):
            plog.debug(POLL, attempt=attempt)
            plog.debug(POLL, sampling_shard=None, attempt=attempt)

        assert [(2, 1, False), (2, 1, True)] == [
            (e["attempt"], e["suppressed"], "sampling_shard" in e) for e in out.events()
        ]

    def test_unhashable_key_value(self, configured: Configure) -> None:
        """An unhashable key value (a list) is keyed by its repr, still sampled."""
        out = configured()
        plog = joblog.sampled(joblog.get_logger("app"), every=2, key=("scenes",))

        for attempt in range(1, 3):
            plog.debug(POLL, scenes=[1, 2], attempt=attempt)
            plog.debug(POLL, scenes=[3], attempt=attempt)

        assert [([1, 2], 2, 1), ([3], 2, 1)] == [
            (e["scenes"], e["attempt"], e["suppressed"]) for e in out.events()
        ]


class TestParallelLoops:
    @pytest.mark.anyio
    @pytest.mark.parametrize("scenes", [2, 3])
    async def test_one_sampler_per_loop(self, configured: Configure, scenes: int) -> None:
        """Parallel polling tasks with a sampler each: every scene shows attempts 12, 24, 36."""
        out = configured()
        log = joblog.get_logger("app")

        async def loop(scene: int) -> None:
            async with joblog.sampled(log, every=12) as plog:
                await poll(plog, scene, 36)

        await asyncio.gather(*(loop(scene) for scene in range(1, scenes + 1)))

        shown = polls(out.events())
        for scene in range(1, scenes + 1):
            assert [(scene, 12, 11), (scene, 24, 11), (scene, 36, 11)] == [
                line for line in shown if line[0] == scene
            ]

    @pytest.mark.anyio
    @pytest.mark.parametrize(("scenes", "shown_scene"), [(2, 2), (3, 3)])
    async def test_shared_sampler_without_key_starves(
        self, configured: Configure, scenes: int, shown_scene: int
    ) -> None:
        """
        The pitfall: loops in lockstep sharing a sampler without key= share one counter.

        Every 12th call always falls on the same loop, so the others are never shown.
        """
        out = configured()
        plog = joblog.sampled(joblog.get_logger("app"), every=12)

        async with plog:
            await asyncio.gather(*(poll(plog, scene, 36) for scene in range(1, scenes + 1)))

        shown = polls(out.events())
        assert 36 * scenes // 12 == len(shown)
        assert {shown_scene} == {scene for scene, _, _ in shown}

    @pytest.mark.anyio
    async def test_shared_sampler_with_key(self, configured: Configure) -> None:
        """A shared sampler with key=("scene",) counts each loop apart: no starvation."""
        out = configured()
        plog = joblog.sampled(joblog.get_logger("app"), every=12, key=("scene",))

        async with plog:
            await asyncio.gather(*(poll(plog, scene, 36) for scene in (1, 2, 3)))

        assert [
            (1, 12, 11),
            (2, 12, 11),
            (3, 12, 11),
            (1, 24, 11),
            (2, 24, 11),
            (3, 24, 11),
            (1, 36, 11),
            (2, 36, 11),
            (3, 36, 11),
        ] == polls(out.events())

    @pytest.mark.anyio
    async def test_shared_sampler_key_from_each_tasks_binding(self, configured: Configure) -> None:
        """key= reads scene bound with joblog.bind() in each task; the flush keeps each task's."""
        out = configured()
        plog = joblog.sampled(joblog.get_logger("app"), every=12, key=("scene",))

        async def loop(scene: int) -> None:
            with joblog.bind(scene=scene):
                for attempt in range(1, 15):
                    plog.debug(POLL, attempt=attempt)
                    await asyncio.sleep(0)

        async with plog:
            await asyncio.gather(loop(1), loop(2))

        assert [(1, 12, 11), (2, 12, 11), (1, 14, 1), (2, 14, 1)] == polls(out.events())


class TestLevels:
    def test_warnings_and_errors_never_dropped(self, configured: Configure) -> None:
        """warning, warn, error, exception, critical and fatal all pass, with no suppressed."""
        out = configured()
        plog = joblog.sampled(joblog.get_logger("app"), every=100)

        for _ in range(3):
            plog.warning(POLL)
            plog.warn(POLL)
            plog.error(POLL)
            plog.critical(POLL)
            plog.fatal(POLL)
            try:
                raise TimeoutError("Kling timed out")
            except TimeoutError:
                plog.exception(POLL)

        events = out.events()
        expected = ["warning", "warning", "error", "critical", "critical", "error"] * 3
        assert expected == [e["level"] for e in events]
        assert not any("suppressed" in e for e in events)
        assert ["TimeoutError"] * 3 == [e["error_type"] for e in events if "error_type" in e]

    def test_warnings_do_not_touch_the_budget(self, configured: Configure) -> None:
        """Warnings between polls neither count as calls nor reset the count."""
        out = configured()
        plog = joblog.sampled(joblog.get_logger("app"), every=3)

        for attempt in range(1, 7):
            plog.debug(POLL, attempt=attempt)
            plog.warning(POLL, attempt=attempt)

        assert [
            ("warning", 1, None),
            ("warning", 2, None),
            ("debug", 3, 2),
            ("warning", 3, None),
            ("warning", 4, None),
            ("warning", 5, None),
            ("debug", 6, 2),
            ("warning", 6, None),
        ] == [(e["level"], e["attempt"], e.get("suppressed")) for e in out.events()]

    def test_calls_below_level_are_not_counted(self, configured: Configure) -> None:
        """Below the level a call is not counted: the count starts when the level allows it."""
        out = configured(level="info")
        plog = joblog.sampled(joblog.get_logger("app"), every=3)

        for attempt in range(1, 6):
            plog.debug(POLL, attempt=attempt)
        joblog.configure(renderer="json", level="debug", stream=out)
        for attempt in range(6, 12):
            plog.debug(POLL, attempt=attempt)

        assert [(None, 8, 2), (None, 11, 2)] == polls(out.events())

    def test_disabled_methods_are_joblogs_no_op(self, configured: Configure) -> None:
        """Disabled levels are swapped for the no-op joblog uses, and follow reconfiguration."""
        configured(level="error")
        plog = joblog.sampled(joblog.get_logger("app"), every=3)
        nop = _logger._nop

        disabled = [type(plog).__dict__[name] is nop for name in ("debug", "info", "warning")]
        joblog.configure(renderer="json", level="debug", stream=io.StringIO())
        enabled = [type(plog).__dict__[name] is nop for name in ("debug", "info", "warning")]

        assert [True, True, True] == disabled
        assert [False, False, False] == enabled
        assert type(plog).__dict__["error"] is not nop

    def test_default_level_applies_on_first_use(self) -> None:
        """Before configure(), the first line installs joblog's defaults (INFO): debug is off."""
        plog = joblog.sampled(joblog.get_logger("app"), every=1)

        with capture_logs() as logs:
            plog.info(POLL, attempt=1)
            plog.debug(POLL, attempt=2)

        assert [("info", 1)] == [(e["level"], e["attempt"]) for e in logs]
        assert type(plog).__dict__["debug"] is _logger._nop


class TestInterval:
    def test_polls_every_5s_one_line_a_minute(self, configured: Configure) -> None:
        """interval=60 with a poll every 5 s: one line a minute, for ten minutes."""
        out = configured()
        clock = FakeClock()

        with joblog.sampled(joblog.get_logger("app"), interval=60, clock=clock) as plog:
            for attempt in range(1, 121):  # t = 0, 5, ..., 595
                plog.debug(POLL, scene=1, attempt=attempt)
                clock.now += 5

        shown = polls(out.events())
        # t=60 is attempt 13: the first call (t=0) is the reference point.
        assert [(1, 13, 12)] + [(1, 13 + 12 * k, 11) for k in range(1, 9)] + [(1, 120, 10)] == (
            shown
        )

    def test_interval_follows_the_clock_not_the_count(self, configured: Configure) -> None:
        """With backoff (polls 5, 10, 20, 40 s apart) lines still come once a minute at most."""
        out = configured()
        clock = FakeClock()

        with joblog.sampled(joblog.get_logger("app"), interval=60, clock=clock) as plog:
            for attempt, gap in enumerate([5, 10, 20, 40, 40, 40, 40], start=1):
                plog.debug(POLL, attempt=attempt, t=clock.now)
                clock.now += gap

        # t = 0, 5, 15, 35, 75, 115, 155
        assert [(75.0, 4), (155.0, 1)] == [(e["t"], e["suppressed"]) for e in out.events()]

    def test_every_or_interval(self, configured: Configure) -> None:
        """With both, either condition shows a call (and a shown line resets the interval)."""
        out = configured()
        clock = FakeClock()

        with joblog.sampled(joblog.get_logger("app"), every=4, interval=10, clock=clock) as plog:
            for attempt, gap in enumerate([1, 1, 1, 1, 20, 1, 1, 1], start=1):
                plog.debug(POLL, attempt=attempt)
                clock.now += gap

        # 4 by count (t=3), 6 by time (t=24 >= 3 + 10), 8 by count.
        assert [(None, 4, 3), (None, 6, 1), (None, 8, 1)] == polls(out.events())

    def test_clock_going_backwards_reanchors(self, configured: Configure) -> None:
        """A clock that jumps back re-anchors the interval instead of going quiet."""
        out = configured()
        clock = FakeClock(1000.0)
        plog = joblog.sampled(joblog.get_logger("app"), interval=60, clock=clock)

        plog.debug(POLL, attempt=1)
        clock.now = 10.0
        plog.debug(POLL, attempt=2)
        clock.now = 70.0  # 60 s after the jump back; without re-anchoring, 930 s to go
        plog.debug(POLL, attempt=3)

        assert [(None, 3, 2)] == polls(out.events())

    def test_failing_clock_fails_open(self, configured: Configure) -> None:
        """A clock that raises never reaches the caller: the line is shown, uncounted."""
        out = configured()

        def broken() -> float:
            raise OSError("no clock")

        with joblog.sampled(joblog.get_logger("app"), interval=60, clock=broken) as plog:
            plog.debug(POLL, attempt=1)
            plog.debug(POLL, attempt=2)

        assert [(None, 1, None), (None, 2, None)] == polls(out.events())


class TestFlush:
    def test_flush_on_success(self, configured: Configure) -> None:
        """On exit the last call not shown is written with the other unshown calls' count."""
        out = configured()

        with joblog.sampled(joblog.get_logger("app"), every=12) as plog:
            for attempt in range(1, 18):
                plog.debug(POLL, scene=1, attempt=attempt, status="processing")

        events = out.events()
        assert [(1, 12, 11), (1, 17, 4)] == polls(events)
        assert "processing" == events[-1]["status"]

    def test_flush_per_key(self, configured: Configure) -> None:
        """Each key with unshown calls gets its own final line; fully shown keys get none."""
        out = configured()

        with joblog.sampled(joblog.get_logger("app"), every=3, key=("scene",)) as plog:
            for attempt in range(1, 5):
                plog.debug(POLL, scene=1, attempt=attempt)
            for attempt in range(1, 4):
                plog.debug(POLL, scene=2, attempt=attempt)
            plog.info("Waiting for upload", attempt=1)

        assert [
            (POLL, 1, 3, 2),
            (POLL, 2, 3, 2),
            (POLL, 1, 4, 0),
            ("Waiting for upload", None, 1, 0),
        ] == [(e["message"], e.get("scene"), e["attempt"], e["suppressed"]) for e in out.events()]

    def test_flush_on_error(self, configured: Configure) -> None:
        """An exception in the block: the final state is written, then the exception propagates."""
        out = configured()

        def wait_for_video() -> None:
            with joblog.sampled(joblog.get_logger("app"), every=12) as plog:
                for attempt in range(1, 31):
                    plog.debug(POLL, scene=1, attempt=attempt)
                raise TimeoutError("gave up on Kling")

        with pytest.raises(TimeoutError, match="gave up on Kling"):
            wait_for_video()

        assert [(1, 12, 11), (1, 24, 11), (1, 30, 5)] == polls(out.events())

    def test_flush_on_cancellation(self, configured: Configure) -> None:
        """A real asyncio cancellation of the polling task flushes, then cancels."""
        out = configured()
        log = joblog.get_logger("app")
        polled = 0

        async def wait_for_video() -> None:
            nonlocal polled
            async with joblog.sampled(log, every=12) as plog:
                while True:
                    polled += 1
                    plog.debug(POLL, scene=1, attempt=polled)
                    await asyncio.sleep(0)

        async def main() -> None:
            task = asyncio.create_task(wait_for_video())
            while polled < 20:
                await asyncio.sleep(0)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task

        asyncio.run(main())

        assert [(1, 12, 11), (1, polled, polled - 13)] == polls(out.events())

    @pytest.mark.anyio
    async def test_async_with_flushes(self, configured: Configure) -> None:
        """async with flushes on exit like with."""
        out = configured()

        async with joblog.sampled(joblog.get_logger("app"), every=10) as plog:
            await poll(plog, 1, 3)

        assert [(1, 3, 2)] == polls(out.events())

    def test_flushed_line_keeps_its_context(self, configured: Configure) -> None:
        """A flushed call is written in its own context (job_id), even when exit is outside it."""
        out = configured()
        plog = joblog.sampled(joblog.get_logger("app"), every=12, key=("job_id",))

        with plog:
            for job_id in ("job-a", "job-b"):
                with joblog.bind_job(job_id):
                    plog.debug(POLL, attempt=1)

        assert [("job-a", 0), ("job-b", 0)] == [
            (e["job_id"], e["suppressed"]) for e in out.events()
        ]
        assert joblog.current_job_id() is None

    def test_flushed_exc_info_is_the_calls_exception(self, configured: Configure) -> None:
        """exc_info=True on a suppressed call refers to the exception handled at the call."""
        out = configured()

        with joblog.sampled(joblog.get_logger("app"), every=10) as plog:
            try:
                raise ConnectionError("Kling 503")
            except ConnectionError:
                plog.debug(POLL, attempt=1, exc_info=True)

        [event] = out.events()
        assert ("ConnectionError", "Kling 503") == (event["error_type"], event["error_message"])

    def test_sampler_starts_afresh_after_exit(self, configured: Configure) -> None:
        """After a with-block the counters are forgotten: a new loop starts at call 1."""
        out = configured()
        plog = joblog.sampled(joblog.get_logger("app"), every=3)

        with plog:
            for attempt in range(1, 3):
                plog.debug(POLL, attempt=attempt)
        with plog:
            for attempt in range(1, 4):
                plog.debug(POLL, attempt=attempt)

        assert [(None, 2, 1), (None, 3, 2)] == polls(out.events())
        assert 0 == len(plog._sampler.states)

    def test_flush_covers_bind_children(self, configured: Configure) -> None:
        """Exiting the parent flushes calls made through its bind() children."""
        out = configured()

        with joblog.sampled(joblog.get_logger("app"), every=5, key=("scene",)) as plog:
            plog.bind(scene=1).debug(POLL, attempt=1)
            plog.bind(scene=2).debug(POLL, attempt=1)

        assert [(1, 1, 0), (2, 1, 0)] == polls(out.events())


class TestThreads:
    def test_exact_counts_across_8_threads(self, configured: Configure) -> None:
        """8 threads hammering one sampler: exact counts, not one call lost or doubled."""
        out = configured()
        plog = joblog.sampled(joblog.get_logger("app"), every=7)
        threads, calls = 8, 2_000
        barrier = threading.Barrier(threads)

        def hammer(thread: int) -> None:
            barrier.wait()
            for attempt in range(calls):
                plog.debug(POLL, thread=thread, attempt=attempt)

        switch = sys.getswitchinterval()
        sys.setswitchinterval(1e-6)  # switch threads as often as possible
        try:
            with plog:
                workers = [threading.Thread(target=hammer, args=(t,)) for t in range(threads)]
                for worker in workers:
                    worker.start()
                for worker in workers:
                    worker.join()
        finally:
            sys.setswitchinterval(switch)

        events = out.events()
        total = threads * calls
        assert [6] * (total // 7) + [total % 7 - 1] == [e["suppressed"] for e in events]
        assert total == len(events) + sum(e["suppressed"] for e in events)

    def test_exact_counts_per_thread_key(self, configured: Configure) -> None:
        """With key=("thread",) each thread's counter is exact too."""
        out = configured()
        plog = joblog.sampled(joblog.get_logger("app"), every=10, key=("thread",))
        barrier = threading.Barrier(8)

        def hammer(thread: int) -> None:
            barrier.wait()
            for attempt in range(1, 1001):
                plog.debug(POLL, thread=thread, attempt=attempt)

        with plog:
            workers = [threading.Thread(target=hammer, args=(t,)) for t in range(8)]
            for worker in workers:
                worker.start()
            for worker in workers:
                worker.join()

        by_thread = collections.defaultdict(list)
        for event in out.events():
            by_thread[event["thread"]].append((event["attempt"], event["suppressed"]))
        expected = [(attempt, 9) for attempt in range(10, 1001, 10)]
        assert dict.fromkeys(range(8), expected) == dict(by_thread)

    def test_exact_counts_when_threads_create_keys_at_once(self, configured: Configure) -> None:
        """8 threads making the first calls of the same new keys together: no state is lost."""
        out = configured()
        plog = joblog.sampled(joblog.get_logger("app"), every=8, key=("prediction_id",))
        keys = 2_000
        barrier = threading.Barrier(8)

        def hammer(thread: int) -> None:
            barrier.wait()
            for n in range(keys):
                plog.debug(POLL, prediction_id=n, thread=thread)

        switch = sys.getswitchinterval()
        sys.setswitchinterval(1e-6)
        try:
            with plog:
                workers = [threading.Thread(target=hammer, args=(t,)) for t in range(8)]
                for worker in workers:
                    worker.start()
                for worker in workers:
                    worker.join()
        finally:
            sys.setswitchinterval(switch)

        per_key: collections.Counter[int] = collections.Counter()
        for event in out.events():
            per_key[event["prediction_id"]] += 1 + event["suppressed"]
        assert dict.fromkeys(range(keys), 8) == dict(per_key)
        assert [7] * keys == [e["suppressed"] for e in out.events()]

    def test_thread_paused_mid_update_loses_no_call(
        self, configured: Configure, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """
        A thread paused inside the check-and-update holds off the others.

        Thread A pauses while creating the key's state; thread B's call for
        the same key must wait for A (the lock), not create a second state
        that A would then overwrite (losing B's call).
        """
        out = configured()
        plog = joblog.sampled(joblog.get_logger("app"), every=2)
        a_inside, b_done = threading.Event(), threading.Event()

        class PausingKeyState(sampling._KeyState):
            __slots__ = ()

            def __init__(self, now: float) -> None:
                super().__init__(now)
                if threading.current_thread().name == "A":
                    a_inside.set()
                    b_done.wait(0.2)  # times out: B cannot finish while A holds the lock

        def call_b() -> None:
            a_inside.wait(5)
            plog.debug(POLL, attempt=2)
            b_done.set()

        monkeypatch.setattr(sampling, "_KeyState", PausingKeyState)
        a = threading.Thread(target=plog.debug, args=(POLL,), kwargs={"attempt": 1}, name="A")
        b = threading.Thread(target=call_b, name="B")
        with plog:
            a.start()
            b.start()
            a.join()
            b.join()

        assert [(None, 2, 1)] == polls(out.events())


class LineCounter:
    """A stream that counts lines and their suppressed total without keeping them."""

    def __init__(self) -> None:
        self.lines = 0
        self.suppressed = 0

    def write(self, text: str) -> None:
        for line in text.splitlines():
            self.lines += 1
            self.suppressed += json.loads(line).get("suppressed", 0)

    def flush(self) -> None:
        pass


class Payload:
    """A value whose lifetime the test can watch."""

    __slots__ = ("__weakref__",)


class TestBoundedMemory:
    def test_200000_distinct_keys(self) -> None:
        """200,000 distinct keys: at most DEFAULT_MAX_KEYS kept, evicted calls freed and written."""
        stream = LineCounter()
        joblog.configure(renderer="json", level="debug", stream=stream)  # type: ignore[arg-type]
        plog = joblog.sampled(joblog.get_logger("app"), every=12, key=("prediction_id",))
        refs = []

        with plog:
            for n in range(200_000):
                payload = Payload()
                if n < 100:
                    refs.append(weakref.ref(payload))
                plog.debug(POLL, prediction_id=f"kling-{n}", payload=payload)
            kept = len(plog._sampler.states)
            del payload
            gc.collect()
            alive = sum(ref() is not None for ref in refs)

        assert DEFAULT_MAX_KEYS == kept
        assert 0 == alive
        assert 0 == len(plog._sampler.states)
        # Every key had one call, never shown by the rule: each is written once,
        # when evicted or on exit, and nothing is lost.
        assert (200_000, 0) == (stream.lines, stream.suppressed)

    def test_evicted_key_is_flushed_then_starts_afresh(self, configured: Configure) -> None:
        """max_keys=2: the least recently used key goes, its last unshown call is written."""
        out = configured()
        plog = joblog.sampled(joblog.get_logger("app"), every=3, key=("scene",), max_keys=2)

        plog.debug(POLL, scene=1, attempt=1)
        plog.debug(POLL, scene=1, attempt=2)
        plog.debug(POLL, scene=2, attempt=1)
        plog.debug(POLL, scene=1, attempt=3)  # scene 1 shown; now most recent
        plog.debug(POLL, scene=3, attempt=1)  # evicts scene 2 (flushed)
        plog.debug(POLL, scene=2, attempt=2)  # scene 2 is new again: evicts scene 1 (nothing)

        assert [(1, 3, 2), (2, 1, 0)] == polls(out.events())
        assert [(3, 1), (2, 1)] == [
            (scene, state.calls) for (_, _, scene), state in plog._sampler.states.items()
        ]


class TestValidation:
    @pytest.mark.parametrize(
        ("kwargs", "error", "match"),
        [
            ({}, ValueError, "every= or interval="),
            ({"every": 0}, ValueError, "every must be >= 1"),
            ({"every": -12}, ValueError, "every must be >= 1"),
            ({"every": 1.5}, TypeError, "every must be an int"),
            ({"every": "12"}, TypeError, "every must be an int"),
            ({"every": True}, TypeError, "every must be an int"),
            ({"interval": 0}, ValueError, "interval must be"),
            ({"interval": -60}, ValueError, "interval must be"),
            ({"interval": math.nan}, ValueError, "interval must be"),
            ({"interval": math.inf}, ValueError, "interval must be"),
            ({"interval": "60"}, TypeError, "interval must be a number"),
            ({"interval": True}, TypeError, "interval must be a number"),
            ({"every": 12, "first": -1}, ValueError, "first must be >= 0"),
            ({"every": 12, "first": 1.0}, TypeError, "first must be an int"),
            ({"every": 12, "first": False}, TypeError, "first must be an int"),
            ({"every": 12, "key": "scene"}, TypeError, r"key=\('scene',\)"),
            ({"every": 12, "key": 5}, TypeError, "key must be a tuple"),
            ({"every": 12, "key": ("scene", 1)}, TypeError, "key must hold"),
            ({"every": 12, "key": ("",)}, TypeError, "key must hold"),
            ({"every": 12, "clock": 5}, TypeError, "clock must be a callable"),
            ({"every": 12, "max_keys": 0}, ValueError, "max_keys must be >= 1"),
            ({"every": 12, "max_keys": None}, TypeError, "max_keys must be an int"),
        ],
    )
    def test_bad_arguments(
        self, kwargs: dict[str, Any], error: type[Exception], match: str
    ) -> None:
        """A bad argument raises ValueError or TypeError naming it, at construction."""
        with pytest.raises(error, match=match):
            sampled(joblog.get_logger("app"), **kwargs)

    @pytest.mark.parametrize(
        "logger",
        [logging.getLogger("app"), logging.LoggerAdapter(logging.getLogger("app")), object(), None],
    )
    def test_bad_logger(self, logger: object) -> None:
        """A stdlib logger (which takes no fields) or a non-logger is a TypeError."""
        with pytest.raises(TypeError, match="logger must be a joblog or structlog logger"):
            sampled(logger, every=12)

    def test_good_arguments(self) -> None:
        """Valid values are kept: ints, a float interval, a list of key names."""
        plog = sampled(
            joblog.get_logger("app"), every=12, interval=60, first=1, key=["scene"], max_keys=5
        )

        s = plog._sampler
        assert (12, 60.0, 1, ("scene",), 5) == (s.every, s.interval, s.first, s.key, s.max_keys)
        assert re.fullmatch(
            r"<SampledLogger\(every=12, interval=60.0, first=1, key=\('scene',\), "
            r"logger=<BoundLogger\(name='app', context=\{\}\)>\)>",
            repr(plog),
        )


class TestJobContext:
    def test_job_id_reaches_sampled_lines(self, configured: Configure) -> None:
        """Lines shown and flushed by the sampler carry the bound job_id and fields."""
        out = configured()

        with (
            joblog.bind_job("job-abc123", user_id="u1"),
            joblog.sampled(joblog.get_logger("app"), every=12) as plog,
        ):
            for attempt in range(1, 14):
                plog.debug(POLL, scene=1, attempt=attempt)

        assert [("job-abc123", "u1", 12), ("job-abc123", "u1", 13)] == [
            (e["job_id"], e["user_id"], e["attempt"]) for e in out.events()
        ]

    def test_counters_per_job_with_key(self, configured: Configure) -> None:
        """key=("job_id",) on a module-level sampler: each job's loop is counted apart."""
        out = configured()
        plog = joblog.sampled(joblog.get_logger("app"), every=2, key=("job_id",))

        for attempt in range(1, 3):
            for job_id in ("job-1", "job-2"):
                with joblog.bind_job(job_id):
                    plog.debug(POLL, attempt=attempt)

        assert [("job-1", 2), ("job-2", 2)] == [(e["job_id"], e["attempt"]) for e in out.events()]


class RecordingLogger:
    """A minimal joblog-like logger of the user's own: records calls, binds fields."""

    def __init__(self, fields: dict[str, Any] | None = None) -> None:
        self.fields = fields or {}
        self.calls: list[tuple[str, object, dict[str, Any]]] = []

    def bind(self, **fields: Any) -> RecordingLogger:
        child = RecordingLogger({**self.fields, **fields})
        child.calls = self.calls
        return child

    def _log(self, level: str, event: object, *args: Any, **fields: Any) -> None:
        self.calls.append((level, event % args if args else event, {**self.fields, **fields}))

    def debug(self, event: object, *args: Any, **fields: Any) -> None:
        self._log("debug", event, *args, **fields)

    def info(self, event: object, *args: Any, **fields: Any) -> None:
        self._log("info", event, *args, **fields)

    def warning(self, event: object, *args: Any, **fields: Any) -> None:
        self._log("warning", event, *args, **fields)

    def error(self, event: object, *args: Any, **fields: Any) -> None:
        self._log("error", event, *args, **fields)

    def critical(self, event: object, *args: Any, **fields: Any) -> None:
        self._log("critical", event, *args, **fields)


class TestOtherLoggers:
    def test_structlog_logger_routed_by_joblog(self, configured: Configure) -> None:
        """A structlog logger (joblog configured) is sampled; its level filter is honoured."""
        out = configured(level="info")
        slog = structlog.get_logger("app.structlog").bind()

        with joblog.sampled(slog, every=3, key=("scene",)) as plog:
            for attempt in range(1, 5):
                plog.debug(POLL, scene=1, attempt=attempt)  # below the level: not counted
                plog.info(POLL, scene=1, attempt=attempt)
                plog.bind(scene=2).info(POLL, attempt=attempt)

        assert [
            ("info", 1, 3, 2),
            ("info", 2, 3, 2),
            ("info", 1, 4, 0),
            ("info", 2, 4, 0),
        ] == [(e["level"], e["scene"], e["attempt"], e["suppressed"]) for e in out.events()]

    def test_structlog_logger_of_its_own_configuration(self) -> None:
        """A structlog logger configured without joblog works too."""
        structlog.configure(
            processors=[structlog.processors.add_log_level],
            wrapper_class=structlog.make_filtering_bound_logger(logging.DEBUG),
        )

        with structlog.testing.capture_logs() as logs:
            slog = structlog.get_logger().bind(vendor="kling")
            with joblog.sampled(slog, every=2) as plog:
                for attempt in range(1, 4):
                    plog.debug(POLL, attempt=attempt)
                plog.warning("Kling slow", attempt=3)

        assert [("debug", 2, 1), ("warning", 3, None), ("debug", 3, 0)] == [
            (e["log_level"], e["attempt"], e.get("suppressed")) for e in logs
        ]

    def test_logger_of_the_users_own(self) -> None:
        """Any logger with the level methods and bind() works; bind() merges its fields."""
        logger = RecordingLogger()

        with joblog.sampled(logger, every=2, key=("scene",)) as plog:
            child = plog.bind(scene=2)
            for attempt in range(1, 3):
                plog.debug("poll %d", attempt, scene=1)
                child.debug("poll %d", attempt)
            plog.error("failed", scene=1)
            plog.exception("crashed", scene=1)

        assert [
            ("debug", "poll 2", {"scene": 1, "suppressed": 1}),
            ("debug", "poll 2", {"scene": 2, "suppressed": 1}),
            ("error", "failed", {"scene": 1}),
            ("error", "crashed", {"scene": 1, "exc_info": True}),
        ] == logger.calls

    def test_sampler_never_raises(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """A wrapped logger that raises is reported on stderr once, never raised to the caller."""
        monkeypatch.setattr(_config, "_reported", False)
        logger = RecordingLogger()

        def broken(event: object, *args: Any, **fields: Any) -> None:
            raise RuntimeError("broken logger")

        logger.debug = broken  # type: ignore[method-assign]
        logger.warning = broken  # type: ignore[method-assign]
        stderr = io.StringIO()
        monkeypatch.setattr(sys, "__stderr__", stderr)

        with joblog.sampled(logger, every=2) as plog:
            plog.debug(POLL, attempt=1)
            plog.warning(POLL, attempt=2)

        assert "joblog: could not write a log line: RuntimeError\n" == stderr.getvalue()

    def test_level_check_that_raises_fails_open(self) -> None:
        """A logger whose is_enabled_for raises still gets the line (fail open)."""
        logger = RecordingLogger()

        def is_enabled_for(level: int) -> bool:
            raise RuntimeError("no levels")

        logger.is_enabled_for = is_enabled_for  # type: ignore[attr-defined]

        with joblog.sampled(logger, every=5) as plog:
            plog.debug(POLL, attempt=1)

        assert [("debug", POLL, {"attempt": 1})] == logger.calls


LEVEL_METHODS = ["debug", "info", "warning", "warn", "error", "exception", "critical", "fatal"]
EMITTED_LEVEL = {"warn": "warning", "exception": "error", "fatal": "critical"}


@contextlib.contextmanager
def json_output() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    joblog.configure(renderer="json", level="debug", stream=stream)
    yield stream


class TestConservation:
    @settings(
        max_examples=200,
        deadline=None,
        # The autouse reset fixture runs once per test, not per example; each
        # example reconfigures joblog itself, so sharing it is safe.
        suppress_health_check=[HealthCheck.function_scoped_fixture],
    )
    @given(
        calls=st.lists(
            st.tuples(
                st.sampled_from(LEVEL_METHODS),
                st.sampled_from(["poll", "wait", "tick"]),
                st.sampled_from([1, 2, 3, None]),
                st.sampled_from([0.0, 1.0, 5.0, 30.0]),
            ),
            max_size=80,
        ),
        every=st.none() | st.integers(1, 6),
        interval=st.none() | st.sampled_from([1.0, 10.0, 60.0]),
        first=st.integers(0, 3),
        max_keys=st.integers(1, 5),
    )
    def test_lines_plus_suppressed_equal_calls(
        self,
        calls: list[tuple[str, str, int | None, float]],
        every: int | None,
        interval: float | None,
        first: int,
        max_keys: int,
    ) -> None:
        """For any calls, once the block exits: lines + suppressed == calls, per key too."""
        if every is None and interval is None:
            every = 1
        clock = FakeClock()
        expected: collections.Counter[tuple[Any, ...]] = collections.Counter()

        with json_output() as stream:
            plog = joblog.sampled(
                joblog.get_logger("app"),
                every=every,
                interval=interval,
                first=first,
                key=("scene",),
                clock=clock,
                max_keys=max_keys,
            )
            with plog:
                for n, (method, message, scene, step) in enumerate(calls):
                    clock.now += step
                    fields: dict[str, Any] = {"n": n} if scene is None else {"n": n, "scene": scene}
                    getattr(plog, method)(message, **fields)
                    expected[(EMITTED_LEVEL.get(method, method), message, scene)] += 1

        events = [json.loads(line) for line in stream.getvalue().splitlines()]
        actual: collections.Counter[tuple[Any, ...]] = collections.Counter()
        for event in events:
            key = (event["level"], event["message"], event.get("scene"))
            actual[key] += 1 + event.get("suppressed", 0)
            assert ("suppressed" in event) == (event["level"] in ("debug", "info"))
        assert expected == actual
        assert len(calls) == len(events) + sum(e.get("suppressed", 0) for e in events)

    @settings(max_examples=200, deadline=None)
    @given(
        every=st.integers(1, 8),
        first=st.integers(0, 4),
        calls=st.integers(0, 60),
    )
    def test_count_rule(self, every: int, first: int, calls: int) -> None:
        """The n-th call is shown iff n <= first or (n - first) % every == 0; the last flushed."""
        with (
            json_output() as stream,
            joblog.sampled(joblog.get_logger("app"), every=every, first=first) as plog,
        ):
            for n in range(1, calls + 1):
                plog.debug(POLL, attempt=n)

        shown = [n for n in range(1, calls + 1) if n <= first or (n - first) % every == 0]
        if calls and (not shown or shown[-1] != calls):
            shown.append(calls)
        assert shown == [json.loads(line)["attempt"] for line in stream.getvalue().splitlines()]


DOC = Path(__file__).parent.parent / "docs" / "sampling.md"
_BLOCK = re.compile(r"```python\n(.*?)```\n(?:\nOutput:\n\n```text\n(.*?)```)?", re.DOTALL)
_TIME = re.compile(r"^\d\d:\d\d:\d\d\.\d{3} ", re.MULTILINE)


def doc_examples() -> list[tuple[str, str | None]]:
    return [(code, output) for code, output in _BLOCK.findall(DOC.read_text())]


class TestDocs:
    @pytest.mark.parametrize(
        ("code", "output"), doc_examples(), ids=lambda v: v.split("\n")[0][:40] if v else "-"
    )
    def test_example_runs_and_prints_what_the_doc_shows(
        self, code: str, output: str | None, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Each example in docs/sampling.md runs, and prints what the page says (time aside)."""
        monkeypatch.delenv("FORCE_COLOR", raising=False)
        stdout = io.StringIO()
        with contextlib.redirect_stdout(stdout):
            exec(compile(code, str(DOC), "exec"), {"__name__": "docs_example"})
        if output:
            assert _TIME.sub("", output) == _TIME.sub("", stdout.getvalue())

    def test_the_page_has_examples(self) -> None:
        """The page's examples are found (the pattern above did not silently miss them)."""
        examples = doc_examples()
        assert len(examples) >= 5
        assert sum(1 for _, output in examples if output) >= 4


class TestActiveSampler:
    def test_with_block_makes_it_the_active_sampler(self) -> None:
        """Inside `with`, the sampler is active; nested blocks stack; exit restores."""
        log = joblog.get_logger("app")
        outer, inner = sampled(log, every=2), sampled(log, every=3)
        assert sampling.active_sampler() is None
        with outer:
            assert sampling.active_sampler() is outer
            with inner:
                assert sampling.active_sampler() is inner
                with outer:
                    assert sampling.active_sampler() is outer
                assert sampling.active_sampler() is inner
            assert sampling.active_sampler() is outer
        assert sampling.active_sampler() is None

    @pytest.mark.anyio
    async def test_one_sampler_entered_by_many_tasks(self) -> None:
        """Tasks entering and leaving one shared sampler in any order each see it right."""
        shared = sampled(joblog.get_logger("app"), every=2)
        seen: list[bool] = []

        async def loop(delay: int) -> None:
            async with shared:
                for _ in range(delay):
                    await asyncio.sleep(0)
                seen.append(sampling.active_sampler() is shared)
            seen.append(sampling.active_sampler() is None)

        await asyncio.gather(*(loop(d) for d in (3, 1, 2)))
        assert [True] * 6 == seen

    def test_exit_in_a_context_it_was_not_entered_in(self) -> None:
        """Leaving a sampler this context never entered changes nothing here, and flushes."""
        import contextvars

        plog = sampled(joblog.get_logger("app"), every=2)
        contextvars.copy_context().run(plog.__enter__)
        plog.__exit__(None, None, None)
        assert sampling.active_sampler() is None

    def test_exit_out_of_order(self) -> None:
        """Leaving an outer sampler before the inner one removes the outer one only."""
        log = joblog.get_logger("app")
        outer, inner = sampled(log, every=2), sampled(log, every=2)
        outer.__enter__()
        inner.__enter__()
        outer.__exit__(None, None, None)
        assert sampling.active_sampler() is inner
        inner.__exit__(None, None, None)
        assert sampling.active_sampler() is None
