"""examples/gunicorn.conf.py under a real gunicorn with uvicorn workers on 127.0.0.1."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

import joblog.processes

ROOT = Path(__file__).parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_master_and_workers_write_joblog_lines(tmp_path: Path) -> None:
    """gunicorn's, uvicorn's and the app's lines are all JSON with pid; requests carry job_id."""
    port = free_port()
    out = tmp_path / "gunicorn.jsonl"
    env = {k: v for k, v in os.environ.items() if not k.startswith("JOBLOG_")}
    with out.open("wb") as sink:
        proc = subprocess.Popen(
            [
                sys.executable, "-m", "gunicorn", "-c", "examples/gunicorn.conf.py",
                "-k", "uvicorn_worker.UvicornWorker", "-w", "2",
                "-b", f"127.0.0.1:{port}", "tests.gunicorn_app:app",
            ],
            cwd=ROOT, env=env, stdout=sink, stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            statuses = []
            deadline = time.monotonic() + 30
            with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=5) as client:
                while not statuses and time.monotonic() < deadline:
                    assert proc.poll() is None, out.read_text()
                    try:
                        statuses.append(client.post("/generate").status_code)
                    except httpx.TransportError:
                        time.sleep(0.1)
                statuses += [client.post("/generate").status_code for _ in range(3)]
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)
    assert [202] * 4 == statuses
    text = out.read_text()
    events = [json.loads(line) for line in text.splitlines()]
    for event in events:
        assert ["timestamp", "level", "message", "logger"] == list(event)[:4], event
        assert isinstance(event["pid"], int)
    by_logger = {e["logger"] for e in events}
    assert {"gunicorn.error", "uvicorn.error", "joblog.asgi", "video.api", "video.s3"} <= by_logger
    master = {e["pid"] for e in events if e["message"].startswith("Starting gunicorn")}
    booted = {e["pid"] for e in events if e["message"].startswith("Booting worker")}
    workers = {e["pid"] for e in events if e["logger"] == "uvicorn.error"}
    assert 1 == len(master)
    assert 2 == len(booted)  # each worker says so itself, after the fork
    assert workers <= booted
    assert master.isdisjoint(booted)
    app_lines = [e for e in events if e["logger"] in ("video.api", "video.s3")]
    assert 8 == len(app_lines)
    assert all(e["user_id"] == "user-7" and e["job_id"].startswith("job-") for e in app_lines)


def test_add_pid() -> None:
    """The processor adds this process's id."""
    assert {"pid": os.getpid()} == joblog.processes.add_pid(None, "info", {})
