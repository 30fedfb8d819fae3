"""Job context: binding, nesting, and carrying job_id across tasks, threads and executors."""

from __future__ import annotations

import asyncio
import contextvars
import gc
import logging
import re
import sys
import threading
import time
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import structlog
from hypothesis import given
from hypothesis import strategies as st

import joblog

from .conftest import Output

JOB_ID = re.compile(r"^job-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class TestNewJobId:
    def test_format_and_uniqueness(self) -> None:
        """new_job_id() is "job-" + a UUID4, never repeated."""
        ids = {joblog.new_job_id() for _ in range(1000)}

        assert 1000 == len(ids)
        assert all(JOB_ID.match(job_id) for job_id in ids)


class TestBindJob:
    def test_yields_and_binds_a_new_job_id(self, configured: Any) -> None:
        """Without an id, bind_job creates one, yields it and binds it."""
        out = configured()
        log = joblog.get_logger("app")
        with joblog.bind_job(user_id="user-xyz") as job_id:
            assert job_id == joblog.current_job_id()
            log.info("Starting fully async generation")

        assert JOB_ID.match(job_id)
        event = out.events()[0]
        assert (job_id, "user-xyz") == (event["job_id"], event["user_id"])
        assert joblog.current_job_id() is None

    def test_given_job_id(self) -> None:
        """A given id is bound as is."""
        with joblog.bind_job("job-abc123") as job_id:
            assert "job-abc123" == job_id == joblog.current_job_id()

    def test_nesting_restores_the_outer_binding(self, configured: Any) -> None:
        """An inner bind_job replaces the id inside and restores the outer one after."""
        out = configured()
        log = joblog.get_logger("app")
        with joblog.bind_job("job-outer", user_id="u1"):
            with joblog.bind_job("job-inner"):
                log.info("inner")
            log.info("outer")

        inner, outer = out.events()
        assert ("job-inner", "u1") == (inner["job_id"], inner["user_id"])
        assert ("job-outer", "u1") == (outer["job_id"], outer["user_id"])

    def test_restores_on_exception(self) -> None:
        """An exception inside the block still restores the outer binding."""
        with joblog.bind_job("job-outer"):
            with pytest.raises(RuntimeError), joblog.bind_job("job-inner"):
                raise RuntimeError("boom")
            assert "job-outer" == joblog.current_job_id()
        assert joblog.current_job_id() is None

    async def test_async_with(self, configured: Any) -> None:
        """bind_job works with async with, across awaits."""
        out = configured()
        async with joblog.bind_job("job-async") as job_id:
            await asyncio.sleep(0)
            joblog.get_logger("app").info("after await")

        assert "job-async" == job_id == out.events()[0]["job_id"]
        assert joblog.current_job_id() is None

    async def test_restores_on_cancellation(self) -> None:
        """Cancelling a task inside async with bind_job leaves no binding behind."""
        seen: list[str | None] = []

        async def job() -> None:
            async with joblog.bind_job("job-cancelled"):
                seen.append(joblog.current_job_id())
                await asyncio.sleep(10)

        async with joblog.bind_job("job-parent"):
            task = asyncio.create_task(job())
            await asyncio.sleep(0)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            assert "job-parent" == joblog.current_job_id()
        assert ["job-cancelled"] == seen

    def test_reentering_the_same_binding(self) -> None:
        """One binding object can be entered again while active."""
        binding = joblog.bind_job("job-re")
        with binding:
            with binding:
                assert "job-re" == joblog.current_job_id()
            assert "job-re" == joblog.current_job_id()
        assert joblog.current_job_id() is None

    @pytest.mark.parametrize(
        "bad", ["", "x" * 129, "job\nforged", "job\x1b[31m", "job\u2028", 42, None.__class__]
    )
    def test_rejects_invalid_job_ids(self, bad: object) -> None:
        """A job id must be a non-empty printable string of at most 128 characters."""
        with pytest.raises(ValueError, match="invalid job_id"):
            joblog.bind_job(bad)  # type: ignore[arg-type]

    def test_accepts_128_printable_characters(self) -> None:
        """The limit is inclusive."""
        with joblog.bind_job("j" * 128) as job_id:
            assert 128 == len(job_id)

    def test_decorator_sync_gets_a_new_id_per_call(self) -> None:
        """As a decorator without an id, each call runs under its own new job id."""
        seen: list[str | None] = []

        @joblog.bind_job(kind="render")
        def run() -> str | None:
            seen.append(joblog.current_job_id())
            return joblog.current_job_id()

        first, second = run(), run()
        assert first != second
        assert all(JOB_ID.match(str(job_id)) for job_id in seen)
        assert joblog.current_job_id() is None

    async def test_decorator_async_binds_the_whole_body(self) -> None:
        """On an async def, the binding covers the body across awaits (unlike contextlib)."""

        @joblog.bind_job("job-deco")
        async def run() -> str | None:
            await asyncio.sleep(0)
            return joblog.current_job_id()

        assert "job-deco" == await run()
        assert joblog.current_job_id() is None

    def test_decorator_with_given_id(self) -> None:
        """With a given id, every call uses it."""

        @joblog.bind_job("job-fixed")
        def run() -> str | None:
            return joblog.current_job_id()

        assert ["job-fixed", "job-fixed"] == [run(), run()]

    async def test_decorated_calls_overlapping_under_gather(self) -> None:
        """Each decorated call has its own binding: overlapping calls never raise or leak."""

        @joblog.bind_job("job-x")
        async def run(delay: float) -> str | None:
            await asyncio.sleep(delay)
            return joblog.current_job_id()

        async def unbound(delay: float) -> str | None:
            await run(delay)
            return joblog.current_job_id()

        assert ["job-x"] * 3 == await asyncio.gather(run(0), run(0.01), run(0.02))
        assert [None] * 3 == await asyncio.gather(unbound(0), unbound(0.01), unbound(0.02))
        assert joblog.current_job_id() is None

    @pytest.mark.parametrize("job_id", ["job-x", None])
    def test_decorated_calls_from_16_threads(self, job_id: str | None) -> None:
        """16 threads calling one decorated function: no error, nothing left bound."""

        @joblog.bind_job(job_id)
        def run(_: int) -> tuple[str | None, str | None]:
            bound = joblog.current_job_id()
            time.sleep(0.0005)
            return bound, joblog.current_job_id()

        def call_and_check(n: int) -> tuple[str | None, str | None, str | None]:
            bound, later = run(n)
            return bound, later, joblog.current_job_id()

        with ThreadPoolExecutor(16) as pool:
            results = list(pool.map(call_and_check, range(3200)))

        assert all(b is not None and b == later and after is None for b, later, after in results)
        assert (job_id is None) == (len({b for b, _, _ in results}) == 3200)

    def test_generator_functions_are_refused(self) -> None:
        """A binding cannot be held across yields: decorating a generator is a TypeError."""

        def scenes() -> Iterator[int]:
            yield 1

        async def polls() -> AsyncIterator[int]:
            yield 1

        for fn in (scenes, polls):
            with pytest.raises(TypeError, match=r"generator function .*bind inside the body"):
                joblog.bind_job()(fn)  # type: ignore[arg-type]
            with pytest.raises(TypeError, match=fn.__qualname__):
                joblog.bind(scene=1)(fn)  # type: ignore[arg-type]

    def test_binding_inside_a_generator_body_stays_in_its_steps(self, configured: Any) -> None:
        """The documented pattern: bind around the work between yields, ids never swap."""
        out = configured()
        log = joblog.get_logger("app")

        def scenes(job_id: str) -> Iterator[int]:
            for n in range(2):
                with joblog.bind_job(job_id):
                    log.info("Scene rendered", scene=n)
                yield n

        first, second = scenes("job-a"), scenes("job-b")
        for _ in range(2):
            next(first)
            log.info("Consumer")
            next(second)

        assert ["job-a", None, "job-b", "job-a", None, "job-b"] == [
            e.get("job_id") for e in out.events()
        ]


class TestBareStatements:
    async def test_bare_bind_binds_for_the_rest_of_the_task(self, configured: Any) -> None:
        """`joblog.bind(...)` as a statement binds, as bind_contextvars does; tasks keep theirs."""
        out = configured()
        log = joblog.get_logger("app")

        async def handler() -> None:
            joblog.bind(user_id="user-xyz")
            joblog.bind_job()
            log.info("Handling")

        await asyncio.create_task(handler())
        log.info("After the task")

        handling, after = out.events()
        assert "user-xyz" == handling["user_id"]
        assert JOB_ID.match(handling["job_id"])
        assert {"timestamp", "level", "message", "logger"} == set(after)

    def test_bare_bind_inside_a_block_ends_with_it(self) -> None:
        """A bare bind inside a `with` lasts until that block ends."""
        with joblog.bind_job("job-outer"):
            joblog.bind(scene=1)
            assert 1 == joblog.context.get_fields()["scene"]
        assert {} == dict(joblog.context.get_fields())

    def test_decorating_binds_nothing_at_decoration(self) -> None:
        """`@joblog.bind(...)` leaves the decorating context as it was."""

        @joblog.bind(scene=3)
        def render() -> Any:
            return joblog.context.get_fields()["scene"]

        assert {} == dict(joblog.context.get_fields())
        assert 3 == render()
        assert {} == dict(joblog.context.get_fields())

        binding = joblog.bind(scene=5)
        with binding:
            pass

        @binding  # used as a block first: its binding is long undone
        def again() -> Any:
            return joblog.context.get_fields()["scene"]

        assert (5, {}) == (again(), dict(joblog.context.get_fields()))

    async def test_binding_entered_in_another_task(self) -> None:
        """A binding made in one task and used as a block in another still restores."""
        binding = joblog.bind(scene=4)

        async def other() -> Any:
            with binding:
                inside = joblog.context.get_fields().get("scene")
            return inside, joblog.context.get_fields().get("scene")

        assert (4, None) == await asyncio.create_task(other())  # the block undid the binding
        assert 4 == joblog.context.get_fields()["scene"]  # here it is still bound


class TestBind:
    def test_binds_fields_inside(self, configured: Any) -> None:
        """bind() adds fields to every line inside and removes them after."""
        out = configured()
        log = joblog.get_logger("app")
        with joblog.bind_job("job-1"), joblog.bind(scene=1):
            log.info("inside")
        log.info("outside")

        inside, outside = out.events()
        assert ("job-1", 1) == (inside["job_id"], inside["scene"])
        assert "scene" not in outside
        assert "job_id" not in outside

    def test_nested_values_restore(self) -> None:
        """Nested binds of the same key restore the outer value."""
        with joblog.bind(scene=1):
            with joblog.bind(scene=2):
                assert 2 == joblog.context.get_fields()["scene"]
            assert 1 == joblog.context.get_fields()["scene"]

    async def test_async_and_decorator(self) -> None:
        """bind() works with async with and as a decorator."""

        @joblog.bind(step="compose")
        async def compose() -> Any:
            await asyncio.sleep(0)
            return joblog.context.get_fields()["step"]

        async with joblog.bind(scene=3):
            assert 3 == joblog.context.get_fields()["scene"]
            assert "compose" == await compose()

    def test_bind_validates_job_id(self) -> None:
        """bind(job_id=...) is validated like bind_job."""
        with pytest.raises(ValueError, match="invalid job_id"):
            joblog.bind(job_id="bad\nid")
        with joblog.bind(job_id="job-ok"):
            assert "job-ok" == joblog.current_job_id()

    def test_non_string_job_id_field_is_not_current(self) -> None:
        """current_job_id() only ever returns a string."""
        with joblog.bind(other=1):
            assert joblog.current_job_id() is None

    def test_schema_key_collisions(self, configured: Any) -> None:
        """Context fields named like schema keys are kept as fields.<name>."""
        out = configured()
        with joblog.bind(message="m", level="l", timestamp="t", logger="g"):
            joblog.get_logger("app").info("real")

        event = out.events()[0]
        assert ("real", "info", "app") == (event["message"], event["level"], event["logger"])
        assert {
            "fields.message": "m",
            "fields.level": "l",
            "fields.timestamp": "t",
            "fields.logger": "g",
        }.items() <= event.items()

    def test_explicit_fields_win_over_context(self, configured: Any) -> None:
        """A call-site field overrides a bound one of the same name (structlog's rule)."""
        out = configured()
        with joblog.bind_job("job-ctx"), joblog.bind(scene=1):
            joblog.get_logger("app").info("m", scene=2, job_id="job-explicit")

        event = out.events()[0]
        assert (2, "job-explicit") == (event["scene"], event["job_id"])


class TestStdlibLoggersCarryTheContext:
    def test_plain_logging_lines_carry_job_id(self, configured: Any) -> None:
        """A plain logging logger (httpx, boto3, the app's own) gets the bound fields."""
        out = configured()
        with joblog.bind_job("job-std", user_id="u1"):
            logging.getLogger("httpx").info("HTTP Request: %s %s", "POST", "https://api.example")

        event = out.events()[0]
        assert {
            "level": "info",
            "message": "HTTP Request: POST https://api.example",
            "logger": "httpx",
            "job_id": "job-std",
            "user_id": "u1",
        } == {k: v for k, v in event.items() if k != "timestamp"}

    def test_structlog_contextvars_are_merged(self, configured: Any) -> None:
        """What the app bound with structlog.contextvars shows up too, at lowest precedence."""
        out = configured()
        structlog.contextvars.bind_contextvars(request_id="r-1", scene=9, message="sl")
        with joblog.bind(scene=1):
            joblog.get_logger("app").info("m")
            logging.getLogger("lib").info("n")
        structlog.contextvars.unbind_contextvars("request_id")
        joblog.get_logger("app").info("o")

        first, second, third = out.events()
        for event in (first, second):
            assert ("r-1", 1, "sl") == (
                event["request_id"],
                event["scene"],
                event["fields.message"],
            )
        assert "request_id" not in third


class TestAsyncio:
    async def test_child_tasks_inherit_and_do_not_leak_back(self, configured: Any) -> None:
        """gather children see the job id; their own binds stay invisible to the parent."""
        out = configured()
        log = joblog.get_logger("app")

        async def scene(n: int) -> None:
            with joblog.bind(scene=n):
                await asyncio.sleep(0)
                log.info("Calling Kling adapter")

        with joblog.bind_job("job-fan"):
            await asyncio.gather(scene(1), scene(2))
            assert "scene" not in joblog.context.get_fields()
            log.info("done")

        events = out.events()
        assert [("job-fan", 1), ("job-fan", 2)] == sorted(
            (e["job_id"], e["scene"]) for e in events[:2]
        )
        assert "scene" not in events[2]

    async def test_to_thread_inherits(self, configured: Any) -> None:
        """asyncio.to_thread copies the context: the worker's lines carry the job id."""
        out = configured()

        def work() -> str | None:
            logging.getLogger("worker").info("in thread")
            return joblog.current_job_id()

        with joblog.bind_job("job-thread"):
            assert "job-thread" == await asyncio.to_thread(work)
        assert "job-thread" == out.events()[0]["job_id"]

    async def test_200_concurrent_jobs_never_mix(self, configured: Any) -> None:
        """200 concurrent jobs, gathered sub-tasks, stdlib logging: each line has its own id."""
        out = configured()
        log = joblog.get_logger("app")
        std = logging.getLogger("lib")

        async def scene(job_index: int, n: int) -> None:
            with joblog.bind(scene=n):
                for step in range(3):
                    await asyncio.sleep(0)
                    log.info("scene step", job_index=job_index, step=step)
                    std.info("lib step %d", step, extra={"job_index": job_index})

        async def job(index: int) -> str:
            async with joblog.bind_job(job_index=index) as job_id:
                log.info("job started", job_index=index)
                await asyncio.gather(scene(index, 1), scene(index, 2))
                log.info("job done", job_index=index)
                return job_id

        ids = await asyncio.gather(*(job(i) for i in range(200)))

        events = out.events()
        assert 200 * (2 + 2 * 3 * 2) == len(events)
        assert 200 == len(set(ids))
        for event in events:
            assert ids[event["job_index"]] == event["job_id"]

    async def test_plain_run_in_executor_loses_the_context(self) -> None:
        """Documented behaviour: run_in_executor does not copy the context."""
        loop = asyncio.get_running_loop()
        with ThreadPoolExecutor(1) as pool, joblog.bind_job("job-lost"):
            assert await loop.run_in_executor(pool, joblog.current_job_id) is None


class TestCarryContext:
    async def test_run_in_executor(self, configured: Any) -> None:
        """carry_context carries the job into loop.run_in_executor."""
        out = configured()
        loop = asyncio.get_running_loop()

        def work(path: str) -> str | None:
            joblog.get_logger("worker").info("encoding", path=path)
            return joblog.current_job_id()

        with ThreadPoolExecutor(1) as pool, joblog.bind_job("job-exec"):
            result = await loop.run_in_executor(pool, joblog.carry_context(work), "a.wav")

        assert "job-exec" == result == out.events()[0]["job_id"]

    def test_thread_pool_submit_and_reuse(self) -> None:
        """A one-worker pool given job A then job B: each task sees its own job."""
        with ThreadPoolExecutor(1) as pool:
            with joblog.bind_job("job-A"):
                first = pool.submit(joblog.carry_context(joblog.current_job_id))
            with joblog.bind_job("job-B"):
                second = pool.submit(joblog.carry_context(joblog.current_job_id))
            plain = pool.submit(joblog.current_job_id)

        assert ("job-A", "job-B", None) == (first.result(), second.result(), plain.result())

    def test_concurrent_calls_of_one_wrapper(self) -> None:
        """One wrapped function may run in several threads at once (executor.map)."""
        barrier = threading.Barrier(4)

        def work(n: int) -> tuple[str | None, int]:
            with joblog.bind(n=n):
                barrier.wait(timeout=5)
                return joblog.current_job_id(), joblog.context.get_fields()["n"]

        with joblog.bind_job("job-map"):
            wrapped = joblog.carry_context(work)
        with ThreadPoolExecutor(4) as pool:
            results = list(pool.map(wrapped, range(4)))

        assert [("job-map", n) for n in range(4)] == results

    def test_threading_thread(self, configured: Any) -> None:
        """A threading.Thread target wrapped by carry_context logs with the job id."""
        out = configured()
        seen: list[str | None] = []

        def target() -> None:
            seen.append(joblog.current_job_id())
            logging.getLogger("worker").warning("in thread")

        with joblog.bind_job("job-T"):
            wrapped = threading.Thread(target=joblog.carry_context(target))
            plain = threading.Thread(target=lambda: seen.append(joblog.current_job_id()))
        wrapped.start()
        wrapped.join()
        plain.start()
        plain.join()

        assert ["job-T", None] == seen
        assert "job-T" == out.events()[0]["job_id"]

    def test_capture_happens_at_wrap_time(self) -> None:
        """The context is the caller's at carry_context() time, not at call time."""
        with joblog.bind_job("job-early"):
            wrapped = joblog.carry_context(joblog.current_job_id)
        with joblog.bind_job("job-late"):
            assert "job-early" == wrapped()

    def test_preserves_function_metadata(self) -> None:
        """The wrapper looks like the function it wraps."""

        def encode_audio() -> None:
            """Docs."""

        wrapped = joblog.carry_context(encode_audio)
        assert ("encode_audio", "Docs.") == (wrapped.__name__, wrapped.__doc__)


class TestThreads:
    def test_threads_with_their_own_bindings(self, configured: Any) -> None:
        """Threads that bind their own jobs never see each other's."""
        out = configured()
        barrier = threading.Barrier(8)

        def worker(i: int) -> None:
            with joblog.bind_job(f"job-{i}", worker=i):
                barrier.wait(timeout=5)
                for _ in range(50):
                    logging.getLogger("w").info("tick")
                    joblog.get_logger("w").info("tock")

        threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

        events = out.events()
        assert 8 * 100 == len(events)
        assert all(e["job_id"] == f"job-{e['worker']}" for e in events)


class TestProperties:
    @given(st.lists(st.sampled_from(["job", "bind", "raise"]), max_size=12))
    def test_any_nesting_restores_exactly(self, ops: list[str]) -> None:
        """However bindings nest and fail, leaving them restores the context exactly."""
        before = dict(joblog.context.get_fields())

        def nest(depth: int) -> None:
            if depth == len(ops):
                return
            op = ops[depth]
            snapshot = dict(joblog.context.get_fields())
            if op == "raise":
                with pytest.raises(KeyError), joblog.bind(depth=depth):
                    raise KeyError(depth)
            else:
                binding = joblog.bind_job() if op == "job" else joblog.bind(depth=depth)
                with binding:
                    nest(depth + 1)
            assert snapshot == dict(joblog.context.get_fields())

        nest(0)
        assert before == dict(joblog.context.get_fields())


def test_output_fixture_type(output: Output) -> None:
    """The fixture is the stream joblog writes to (guards the helpers above)."""
    joblog.configure(renderer="json", stream=output)
    joblog.get_logger("x").info("ping")
    assert "ping" == output.events()[0]["message"]


class ContextTask(asyncio.Task):  # type: ignore[type-arg]
    """A task exposing its context as Python 3.12's Task.get_context() does."""

    def __init__(self, coro: Any, *, loop: Any = None, name: Any = None, context: Any = None):
        self._joblog_test_context = context if context is not None else contextvars.copy_context()
        super().__init__(coro, loop=loop, name=name, context=self._joblog_test_context)

    def get_context(self) -> contextvars.Context:
        return self._joblog_test_context


class TestUnretrievedTaskExceptions:
    def fire_and_forget(self, task_factory: Any) -> None:
        async def fails() -> None:
            raise RuntimeError("Kling returned 502")

        async def main() -> None:
            if task_factory is not None:
                asyncio.get_running_loop().set_task_factory(task_factory)
            with joblog.bind_job("job-fire"):
                task = asyncio.create_task(fails())
            await asyncio.sleep(0.01)
            del task
            gc.collect()

        asyncio.run(main())

    def test_reported_in_the_jobs_context(self, configured: Any) -> None:
        """Where a task exposes its context, asyncio's report carries the job."""
        out = configured()
        if sys.version_info >= (3, 12) or sys.version_info < (3, 11):
            self.fire_and_forget(None)
        else:  # 3.11 tasks take a context but do not expose it: a subclass that does
            self.fire_and_forget(lambda loop, coro, **kw: ContextTask(coro, loop=loop, **kw))
        (line,) = [e for e in out.events() if e["logger"] == "asyncio" and e["level"] == "error"]
        assert "exception was never retrieved" in line["message"]
        assert "RuntimeError" == line["error_type"]
        if sys.version_info >= (3, 11):
            assert "job-fire" == line["job_id"]
        else:  # a 3.10 task has no context to read: the report carries no job (documented)
            assert "job_id" not in line

    def test_reports_without_a_task_run_as_asyncio_runs_them(self, configured: Any) -> None:
        """A report about no task (an unclosed transport, say) is asyncio's, where it is made."""
        out = configured()

        async def main() -> Any:
            loop = asyncio.get_running_loop()
            with joblog.bind_job("job-report"):
                loop.call_exception_handler({"message": "Unclosed transport"})
            return loop.get_exception_handler()

        assert joblog.context.report_in_task_context is asyncio.run(main())
        (line,) = [e for e in out.events() if e["level"] == "error"]
        assert ("asyncio", "Unclosed transport", "job-report") == (
            line["logger"],
            line["message"],
            line["job_id"],
        )

    def test_the_applications_handler_is_kept(self) -> None:
        """An exception handler the application set is never replaced."""
        seen: list[str] = []

        async def main() -> Any:
            loop = asyncio.get_running_loop()
            loop.set_exception_handler(lambda loop, context: seen.append(context["message"]))
            with joblog.bind_job():
                pass
            return loop.get_exception_handler()

        handler = asyncio.run(main())
        assert handler is not joblog.context.report_in_task_context
