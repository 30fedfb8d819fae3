"""
The reference pipeline, end to end: ``python examples/video_pipeline/demo.py [--log-file PATH]``.

Starts the fake vendor (GPT-4o, Kling, Minimax) and the service under uvicorn
on 127.0.0.1 (free ports) with joblog writing JSON lines at debug level, then
acts as a client with httpx:

1. ``GET /health`` (the load balancer: not logged);
2. ``POST /api/v1/generate`` without a token, then with an expired one
   (two "Authentication failed" warnings, no token text anywhere);
3. a job that succeeds: two scenes in parallel, Kling answering 503 once for
   scene 2 (a retry warning);
4. a job that fails: Minimax rejects the narration (one "Job failed" error
   with ``status="failed"``);
5. polls both jobs' status until they finish (status polling: not logged);

then shuts the server down and prints the successful job's trace in the
console form of the example trace in docs/architecture.md, and a summary. With
``--log-file PATH`` every server line is also written to PATH as JSON. The
videos go to a temporary directory, removed on exit (``--storage-dir PATH``
keeps them).
"""

from __future__ import annotations

import argparse
import io
import json
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, TextIO

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import joblog
from joblog.render import ConsoleRenderer
from video_pipeline.adapters import make_adapters
from video_pipeline.app import create_app
from video_pipeline.auth import make_token
from video_pipeline.serving import Server
from video_pipeline.settings import Settings
from video_pipeline.vendor import create_vendor

__all__ = ["DONE", "QUIET", "Server", "Tee", "job_trace", "main", "run_scenario"]

DONE = ("completed", "failed", "cancelled")
#: Loggers kept at warning: the access log (the middleware writes its own) and httpcore.
QUIET = ("uvicorn.access", "httpcore")


class Tee(io.TextIOBase):
    """Keeps every line joblog writes and copies it to an optional file."""

    def __init__(self, file: TextIO | None) -> None:
        self.lines: list[str] = []
        self._file = file
        self._lock = threading.Lock()

    def write(self, text: str) -> int:
        with self._lock:
            self.lines.append(text)
            if self._file is not None:
                self._file.write(text)
        return len(text)

    def flush(self) -> None:
        # Also called by IOBase.__del__ (Python 3.13), after the file is closed.
        if self._file is not None and not self._file.closed:
            self._file.flush()

    def events(self) -> list[dict[str, Any]]:
        with self._lock:
            return [json.loads(line) for line in self.lines]


def run_scenario(client: httpx.Client, secret: str) -> dict[str, str]:
    """The client's side of the demo; returns job ids by name."""
    token = make_token("user-xyz", secret)
    auth = {"Authorization": f"Bearer {token}"}
    body = {"prompt": "A lighthouse at dawn, waves crashing", "num_scenes": 2, "duration": 5}

    client.get("/health").raise_for_status()
    for headers in (
        {},
        {"Authorization": f"Bearer {make_token('user-xyz', secret, expires_in=-60)}"},
    ):
        assert client.post("/api/v1/generate", json=body, headers=headers).status_code == 401

    ok = client.post(
        "/api/v1/generate", headers=auth, json={**body, "simulate": {"kling_503": {"2": 1}}}
    )
    failing = client.post(
        "/api/v1/generate", headers=auth, json={**body, "simulate": {"fail_at": "audio"}}
    )
    jobs = {"succeeds": ok.json()["job_id"], "fails": failing.json()["job_id"]}

    deadline = time.monotonic() + 30
    pending = dict(jobs)
    while pending and time.monotonic() < deadline:
        for name, job_id in list(pending.items()):
            status = client.get(f"/api/v1/jobs/{job_id}", headers=auth).json()["status"]
            if status in DONE:
                del pending[name]
        time.sleep(0.02)
    return jobs


def job_trace(events: list[dict[str, Any]], job_id: str) -> list[dict[str, Any]]:
    """The job's lines as the architecture shows them: its request, then the pipeline."""
    trace: list[dict[str, Any]] = []
    request: list[dict[str, Any]] = []
    found_request = False
    for event in events:
        if event.get("path") == "/api/v1/generate" and not found_request:
            request.append(event)
            if event["message"] == "Request completed":
                if event.get("status") == 202:
                    trace.extend(request)
                    found_request = True
                request = []
        elif event.get("job_id") == job_id and (
            event["level"] != "debug" or event["logger"] == "video_pipeline.pipeline"
        ):
            trace.append(event)
    return trace


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    parser.add_argument("--log-file", type=Path, help="also write every server line here (JSON)")
    parser.add_argument(
        "--celery",
        action="store_true",
        help="compose on a Celery worker (VIDEO_PIPELINE_BROKER_URL)",
    )
    parser.add_argument("--storage-dir", type=Path, help="keep the videos here (default: removed)")
    args = parser.parse_args(argv)
    adapters = make_adapters
    if args.celery:  # imported only in this mode: `make demo` needs no broker
        from video_pipeline.celery_app import make_celery_adapters as adapters
    with tempfile.TemporaryDirectory(prefix="video-pipeline-") as scratch:
        return _run(args, args.storage_dir or Path(scratch), adapters)


def _run(args: argparse.Namespace, storage: Path, adapters: Any) -> int:
    log_file = args.log_file.open("w") if args.log_file else None
    tee = Tee(log_file)
    scale = 0.001
    # httpcore logs every step of every connection at debug: joblog.httpx says it in one line.
    joblog.configure(renderer="json", level="debug", stream=tee, silence=QUIET)  # type: ignore[arg-type]
    try:
        with Server(create_vendor(scale)) as vendor:
            settings = Settings(
                time_scale=scale, storage_dir=storage, allow_simulation=True, vendor_url=vendor.url
            )
            with (
                Server(create_app(settings, adapters=adapters)) as server,
                httpx.Client(base_url=server.url) as client,
            ):
                jobs = run_scenario(client, settings.jwt_secret)
    finally:
        joblog.configure(renderer="console")  # the demo's own output, from here on
        if log_file is not None:
            log_file.close()

    events = tee.events()
    render = ConsoleRenderer(colors=sys.stdout.isatty(), timestamps=False)
    print(f"The successful job's trace ({jobs['succeeds']}):\n")
    for event in job_trace(events, jobs["succeeds"]):
        print(render(event), end="")

    by_job = {
        name: [e for e in events if e.get("job_id") == job_id] for name, job_id in jobs.items()
    }
    failed = [e for e in by_job["fails"] if e.get("status") == "failed"]
    auth_failures = [e["reason"] for e in events if e["message"] == "Authentication failed"]
    health_lines = [e for e in events if e.get("path") == "/health"]
    status_lines = [e for e in events if str(e.get("path", "")).startswith("/api/v1/jobs/")]
    print("\nSummary")
    print(f"  server lines written          {len(events)} (JSON, debug level)")
    print(f"  successful job                {len(by_job['succeeds'])} lines, all with its job_id")
    print(
        f"  failed job                    {len(by_job['fails'])} lines; "
        f"error: {failed[0]['error_message'] if failed else 'none?'}"
    )
    print(f"  authentication failures       {', '.join(auth_failures)}")
    print(
        f"  /health and status polling    {len(health_lines) + len(status_lines)} lines (skipped)"
    )
    videos = sum(1 for path in storage.rglob("*") if path.is_file())
    where = storage if args.storage_dir else "a temporary directory, removed on exit"
    print(f"  files written                 {videos} ({where})")
    if args.log_file:
        print(f"  JSON log file                 {args.log_file}")

    ok = (
        bool(failed)
        and auth_failures == ["missing_authorization", "expired_token"]
        and any(e["message"] == "Video generation complete" for e in by_job["succeeds"])
    )
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
