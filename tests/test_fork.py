"""A child forked while another thread holds one of joblog's locks still writes its lines."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import threading
import time
import warnings
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

import joblog
from joblog import _config, _fork
from joblog.sinks import LineWriter

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="fork() is POSIX only")

WAIT = 10.0


@contextmanager
def held(lock: Any) -> Iterator[None]:
    """Hold *lock* in another thread for the duration of the block."""
    taken, release = threading.Event(), threading.Event()

    def hold() -> None:
        with lock:
            taken.set()
            release.wait(WAIT)

    thread = threading.Thread(target=hold)
    thread.start()
    try:
        assert taken.wait(WAIT)
        yield
    finally:
        release.set()
        thread.join(WAIT)


def fork_and_run(child: Callable[[], None]) -> int:
    """Run *child* in a forked process; its exit status (killed after WAIT seconds)."""
    with warnings.catch_warnings():
        # Forking a threaded process is exactly the case under test.
        warnings.simplefilter("ignore", DeprecationWarning)
        pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the child, which coverage does not follow
        code = 1
        try:
            child()
            code = 0
        finally:
            os._exit(code)
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        time.sleep(0.01)
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    pytest.fail("the child hung: a lock held at fork time was not renewed")


def lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


@pytest.fixture
def log_file(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "out.log"
    with path.open("w") as stream:
        joblog.configure(stream=stream, renderer="json", stdlib=False)
        yield path
        joblog.configure(stream=sys.stderr)


def test_child_writes_while_a_parent_thread_holds_the_write_lock(log_file: Path) -> None:
    pipeline = _config.pipeline
    assert pipeline is not None
    with held(pipeline.writer._lock):
        code = fork_and_run(lambda: joblog.get_logger("child").info("from the child"))
    assert code == 0
    assert [line["message"] for line in lines(log_file)] == ["from the child"]


def test_child_writes_while_a_parent_thread_holds_a_text_stream_lock(
    tmp_path: Path,
) -> None:
    # A stream without a descriptor goes through stream.write under the same lock.
    class Stream:
        def write(self, text: str) -> None:
            with (tmp_path / "out.log").open("a") as out:
                out.write(text)

    joblog.configure(stream=Stream(), renderer="json", stdlib=False)
    pipeline = _config.pipeline
    assert pipeline is not None
    with held(pipeline.writer._lock):
        code = fork_and_run(lambda: joblog.get_logger("child").info("text child"))
    assert code == 0
    assert [line["message"] for line in lines(tmp_path / "out.log")] == ["text child"]


def test_child_configures_while_a_parent_thread_is_inside_configure(log_file: Path) -> None:
    child_log = log_file.with_name("child.log")

    def child() -> None:
        with child_log.open("w") as stream:
            joblog.configure(stream=stream, renderer="json", stdlib=False)
            joblog.get_logger("child").info("configured")

    with held(_config._configure_lock):
        code = fork_and_run(child)
    assert code == 0
    assert [line["message"] for line in lines(child_log)] == ["configured"]


def test_child_samples_while_a_parent_thread_holds_the_sampler_lock(log_file: Path) -> None:
    plog = joblog.sampled(joblog.get_logger("poll"), every=1)
    with held(plog._sampler.lock):
        code = fork_and_run(lambda: plog.info("polled"))
    assert code == 0
    assert [line["message"] for line in lines(log_file)] == ["polled"]


def test_a_writer_gone_is_not_kept_alive_for_renewal() -> None:
    writer = LineWriter(io.StringIO(), binary=False)
    assert writer in _fork._owners
    gone = weakref.ref(writer)
    # No cycle holds a writer, so dropping the last reference frees it; a
    # gc.collect() here would also run other tests' leftovers' finalizers.
    del writer
    assert gone() is None


def test_importing_joblog_registers_nothing_until_the_first_writer() -> None:
    code = (
        "import joblog, joblog._fork as f; a = f._registered; "
        "joblog.configure(); print(a, f._registered)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.split() == ["False", "True"]


def test_the_renewal_replaces_every_registered_lock(log_file: Path) -> None:
    # What the child runs, called here where coverage sees it.
    pipeline = _config.pipeline
    assert pipeline is not None
    plog = joblog.sampled(joblog.get_logger("poll"), every=1)
    before = (pipeline.writer._lock, plog._sampler.lock, _config._configure_lock)
    _fork._in_child()
    after = (pipeline.writer._lock, plog._sampler.lock, _config._configure_lock)
    assert all(old is not new for old, new in zip(before, after, strict=True))
    joblog.get_logger("parent").info("still writes")
    assert [line["message"] for line in lines(log_file)] == ["still writes"]
