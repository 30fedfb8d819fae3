"""Whole lines: every line arrives intact however many processes share the stream."""

from __future__ import annotations

import contextlib
import fcntl
import io
import json
import os
import socket
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path
from typing import Any

import pytest

import joblog
from joblog import sinks
from joblog.sinks import LineWriter

ROOT = Path(__file__).resolve().parent.parent

CHILD = textwrap.dedent(
    """
    import random, sys
    import joblog

    child, count = int(sys.argv[1]), int(sys.argv[2])
    joblog.configure(renderer="json", redact=child % 2 == 0, stdlib=False, max_line_bytes=None)
    log = joblog.get_logger("child")
    rng = random.Random(child)
    for seq in range(count):
        size = int(10 ** rng.uniform(2, 5))  # 100 B to 100 KB, log-uniform
        log.info("line", child=child, seq=seq, payload="x" * size)
    """
)


class TestManyProcessesOnePipe:
    def test_no_line_is_broken(self) -> None:
        """Four processes writing 100 B-100 KB lines to one pipe: every line parses."""
        processes, count = 4, 60
        read_end, write_end = os.pipe()
        children = []
        try:
            for child in range(processes):
                children.append(
                    subprocess.Popen(
                        [sys.executable, "-c", CHILD, str(child), str(count)],
                        stdout=write_end,
                        cwd=ROOT,
                    )
                )
            os.close(write_end)
            write_end = -1
            with os.fdopen(read_end, "rb") as pipe:
                read_end = -1
                data = pipe.read()
            for process in children:
                assert 0 == process.wait(timeout=120)
        finally:
            for process in children:
                if process.poll() is None:
                    process.kill()
                    process.wait(timeout=10)
            for fd in (read_end, write_end):
                if fd >= 0:
                    os.close(fd)

        lines = data.split(b"\n")
        assert b"" == lines.pop()
        events = [json.loads(line) for line in lines]  # a broken line fails here
        assert {(c, s) for c in range(processes) for s in range(count)} == {
            (e["child"], e["seq"]) for e in events
        }


class TestLineWriter:
    def test_a_pipe_is_written_directly_under_the_lock(self) -> None:
        """A pipe's descriptor gets os.write with the inter-process lock."""
        read_end, write_end = os.pipe()
        with os.fdopen(write_end, "w") as stream, os.fdopen(read_end, "rb") as pipe:
            writer = LineWriter(stream, binary=False)
            writer.write("one\n")
            writer.flush()
            assert (True, True) == (writer.direct, writer.locking)
            assert b"one\n" == pipe.read(4)

    def test_a_file_is_written_directly_without_the_lock(self, tmp_path: Path) -> None:
        """A regular file needs no lock: one write is never interleaved there."""
        path = tmp_path / "log.jsonl"
        with path.open("w", encoding="utf-8") as stream:
            stream.write("before\n")  # still buffered: must come first
            writer = LineWriter(stream, binary=False)
            writer.write("line\n")
            assert (True, False) == (writer.direct, writer.locking)
        assert "before\nline\n" == path.read_text()

    def test_a_stream_in_another_encoding_is_written_through_the_stream(
        self, tmp_path: Path
    ) -> None:
        """A latin-1 stream gets text in its own encoding, through write()."""
        path = tmp_path / "log.txt"
        with path.open("w", encoding="latin-1") as stream:
            writer = LineWriter(stream, binary=False)
            writer.write("café\n")
            assert not writer.direct
        assert "café\n" == path.read_text(encoding="latin-1")

    def test_a_stringio_is_written_through_the_stream(self) -> None:
        """A stream without a descriptor keeps the stream path."""
        stream = io.StringIO()
        writer = LineWriter(stream, binary=False)
        writer.write("x\n")
        writer.flush()
        assert (False, "x\n") == (writer.direct, stream.getvalue())

    def test_a_stream_without_flush(self) -> None:
        """write() alone is enough."""
        lines: list[str] = []

        class Bare:
            def write(self, text: str) -> None:
                lines.append(text)

        writer = LineWriter(Bare(), binary=False)  # type: ignore[arg-type]
        writer.write("x\n")
        writer.flush()
        assert ["x\n"] == lines

    def test_a_full_nonblocking_pipe_is_waited_for(self) -> None:
        """A non-blocking pipe that is full is waited on, then the line is written whole."""
        read_end, write_end = os.pipe()
        os.set_blocking(write_end, False)
        with os.fdopen(write_end, "wb", buffering=0) as stream, os.fdopen(read_end, "rb") as pipe:
            filler = b"f" * 4096
            with contextlib.suppress(BlockingIOError):
                while True:  # fill the pipe
                    os.write(write_end, filler)
            writer = LineWriter(stream, binary=True)
            line = "y" * 100_000 + "\n"
            done = threading.Event()
            thread = threading.Thread(target=lambda: (writer.write(line), done.set()))
            thread.start()
            received = b""
            deadline = time.monotonic() + 30
            while not received.endswith(b"\n") and time.monotonic() < deadline:
                received += pipe.read1(1 << 16)
            thread.join(timeout=30)
            assert done.is_set()
            assert line.encode() == received.lstrip(b"f")

    def test_a_pipe_that_stays_full_gives_up(
        self, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
    ) -> None:
        """A pipe nobody reads is given up after the timeout, reported, never raised."""
        monkeypatch.setattr(sinks, "WRITE_TIMEOUT", 0.2)
        monkeypatch.setattr(joblog._config, "_reported", False)
        read_end, write_end = os.pipe()
        os.set_blocking(write_end, False)
        with os.fdopen(write_end, "wb", buffering=0) as stream, os.fdopen(read_end, "rb"):
            joblog.configure(stream=stream, renderer="json", max_line_bytes=None)
            joblog.get_logger("x").info("m", big="z" * 200_000)
        assert "could not write a log line: BlockingIOError" in capfd.readouterr().err

    def test_the_lock_is_a_record_lock_on_the_descriptor(self) -> None:
        """Another process cannot take the lock while a line is being written."""
        read_end, write_end = os.pipe()
        try:
            fcntl.lockf(write_end, fcntl.LOCK_EX)
            probe = subprocess.run(
                [
                    sys.executable,
                    "-c",
                    "import fcntl, sys\n"
                    "try:\n"
                    "    fcntl.lockf(1, fcntl.LOCK_EX | fcntl.LOCK_NB)\n"
                    "except OSError:\n"
                    "    sys.exit(3)\n",
                ],
                stdout=write_end,
                timeout=60,
                check=False,
            )
            assert 3 == probe.returncode
        finally:
            os.close(read_end)
            os.close(write_end)


def test_flush_outputs_flushes_the_stream(output: Any) -> None:
    """joblog's outputs can be flushed on demand (at exit, at shutdown)."""
    flushed: list[bool] = []

    class Recording(io.StringIO):
        def flush(self) -> None:
            flushed.append(True)

    joblog._config.flush_outputs()  # nothing configured: nothing to do
    joblog.configure(stream=Recording(), renderer="json")
    joblog._config.flush_outputs()
    assert flushed


def test_flush_outputs_reports_a_broken_stream(capfd: pytest.CaptureFixture[str]) -> None:
    """A stream whose flush fails is reported, not raised."""

    class Broken(io.StringIO):
        def flush(self) -> None:
            raise OSError("disk gone")

    joblog._config._reported = False
    joblog.configure(stream=Broken(), renderer="json")
    joblog._config.flush_outputs()
    assert "could not write a log line: OSError" in capfd.readouterr().err


GUNICORN_APP = textwrap.dedent(
    """
    import joblog

    joblog.configure(renderer="json", max_line_bytes=None)
    log = joblog.get_logger("app")


    async def app(scope, receive, send):
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                else:
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        size = int(scope["query_string"] or b"1")
        log.info("req", size=size, payload="x" * size)
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})
    """
)


def _accepts(path: Path) -> bool:
    with socket.socket(socket.AF_UNIX) as probe:
        try:
            probe.connect(str(path))
        except OSError:
            return False
        return True


class TestGunicorn:
    def test_four_workers_write_whole_lines(self, tmp_path: Path) -> None:
        """gunicorn -w 4 -k uvicorn.workers.UvicornWorker: every line on its stdout parses."""
        import random

        import httpx

        (tmp_path / "lineapp.py").write_text(GUNICORN_APP)
        sock = tmp_path / "g.sock"
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "-w",
                "4",
                "-k",
                "uvicorn.workers.UvicornWorker",
                "--bind",
                f"unix:{sock}",
                "--chdir",
                str(tmp_path),
                "lineapp:app",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            cwd=ROOT,
        )
        chunks: list[bytes] = []
        assert server.stdout is not None
        reader = threading.Thread(target=lambda: chunks.extend(iter(server.stdout.read, b"")))
        reader.start()
        requests = 160
        try:
            transport = httpx.HTTPTransport(uds=str(sock))
            with httpx.Client(transport=transport, base_url="http://g", timeout=30) as client:
                deadline = time.monotonic() + 60
                while not _accepts(sock):
                    assert time.monotonic() < deadline, "gunicorn did not start"
                    time.sleep(0.2)
                assert 200 == client.get("/?1").status_code
                rng = random.Random(7)
                sizes = [int(10 ** rng.uniform(2, 5)) for _ in range(requests)]

                def call(size: int) -> None:
                    with httpx.Client(
                        transport=httpx.HTTPTransport(uds=str(sock)), base_url="http://g"
                    ) as own:
                        assert 200 == own.get(f"/?{size}", timeout=30).status_code

                threads = [
                    threading.Thread(target=lambda part=part: [call(s) for s in part])
                    for part in (sizes[i::8] for i in range(8))
                ]
                for thread in threads:
                    thread.start()
                for thread in threads:
                    thread.join(timeout=120)
        finally:
            server.terminate()
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait(timeout=10)
            reader.join(timeout=30)
            server.stdout.close()

        lines = b"".join(chunks).split(b"\n")
        assert b"" == lines.pop()
        events = [json.loads(line) for line in lines]  # a broken line fails here
        served = [e for e in events if e.get("message") == "req" and e["size"] != 1]
        assert sorted(sizes) == sorted(e["size"] for e in served)
        assert all(len(e["payload"]) == e["size"] for e in served)


class TestBytesAndText:
    def test_bytes_and_text_reach_any_stream(self) -> None:
        """The writer takes text or UTF-8 bytes, whatever the stream takes."""
        text, binary = io.StringIO(), io.BytesIO()
        for line in ("é\n", "é\n".encode()):
            LineWriter(text, binary=False).write(line)
            LineWriter(binary, binary=True).write(line)
        assert ("é\né\n", "é\né\n".encode()) == (text.getvalue(), binary.getvalue())

    def test_json_to_a_file_goes_out_as_bytes_and_is_fitted(self, tmp_path: Path) -> None:
        """A JSON line to a descriptor is orjson's bytes, shrunk when over the limit."""
        path = tmp_path / "log.jsonl"
        with path.open("w", encoding="utf-8") as stream:
            joblog.configure(stream=stream, renderer="json", max_line_bytes=2048)
            with joblog.bind_job("job-file"):
                log = joblog.get_logger("app")
                log.info("small", café="é")
                log.info("big", blob="b" * 10_000)
        first, second = (json.loads(line) for line in path.read_text().splitlines())
        assert "é" == first["café"]
        assert "job-file" == second["job_id"]
        assert len(path.read_text().splitlines()[1].encode()) < 2048
