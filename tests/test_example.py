"""
End to end: the reference pipeline served by uvicorn on 127.0.0.1, driven by httpx.

These tests assert on the JSON lines the service writes, against the
example trace in docs/architecture.md.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import re
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

import joblog

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
sys.path.insert(0, str(EXAMPLES))

from video_pipeline import demo  # noqa: E402
from video_pipeline.app import create_app  # noqa: E402
from video_pipeline.auth import make_token  # noqa: E402
from video_pipeline.settings import Settings  # noqa: E402
from video_pipeline.vendor import PROCESSING_POLLS, create_vendor  # noqa: E402

PIPELINE = "video_pipeline.pipeline"
BODY = {"prompt": "A lighthouse at dawn", "num_scenes": 2, "duration": 5}


class Service:
    def __init__(self, client: httpx.Client, tee: demo.Tee, settings: Settings) -> None:
        self.client = client
        self.tee = tee
        self.settings = settings
        self.auth = {"Authorization": f"Bearer {make_token('user-xyz', settings.jwt_secret)}"}

    def events(self) -> list[dict[str, Any]]:
        return self.tee.events()

    def text(self) -> str:
        return "".join(self.tee.lines)

    def start_job(self, **simulate: Any) -> str:
        response = self.client.post(
            "/api/v1/generate", headers=self.auth, json={**BODY, "simulate": simulate}
        )
        assert 202 == response.status_code, response.text
        return str(response.json()["job_id"])

    def wait(self, job_id: str) -> dict[str, Any]:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            body = self.client.get(f"/api/v1/jobs/{job_id}", headers=self.auth).json()
            if body["status"] in demo.DONE:
                return dict(body)
            time.sleep(0.02)
        raise AssertionError(f"{job_id} did not finish")

    def job_lines(self, job_id: str) -> list[dict[str, Any]]:
        return [e for e in self.events() if e.get("job_id") == job_id]


@pytest.fixture(scope="module")
def vendor() -> Iterator[str]:
    with demo.Server(create_vendor(0.001)) as server:
        yield server.url


@pytest.fixture
def settings(tmp_path: Path, vendor: str) -> Settings:
    return Settings(
        time_scale=0.001, storage_dir=tmp_path, allow_simulation=True, vendor_url=vendor
    )


@pytest.fixture
def service(settings: Settings) -> Iterator[Service]:
    tee = demo.Tee(None)
    joblog.configure(renderer="json", level="debug", stream=tee, silence=demo.QUIET)  # type: ignore[arg-type]
    with demo.Server(create_app(settings)) as server, httpx.Client(base_url=server.url) as client:
        yield Service(client, tee, settings)


def messages(lines: list[dict[str, Any]]) -> list[str]:
    return [e["message"] for e in lines]


class TestSuccessfulJob:
    def test_trace_matches_the_architecture(self, service: Service) -> None:
        """The pipeline's lines follow the architecture's trace, with the fields it shows."""
        job_id = service.start_job(kling_503={"2": 1})
        assert "completed" == service.wait(job_id)["status"]
        lines = [e for e in service.job_lines(job_id) if e["logger"] == PIPELINE]

        def one(message: str, **fields: Any) -> dict[str, Any]:
            found = [
                e
                for e in lines
                if e["message"] == message and all(e.get(k) == v for k, v in fields.items())
            ]
            assert 1 == len(found), (message, fields, messages(lines))
            return found[0]

        def index(event: dict[str, Any]) -> int:
            return lines.index(event)

        start = one("Starting fully async generation", user_id="user-xyz")
        job_lines = [e for e in service.job_lines(job_id) if e["logger"] == "joblog.jobs"]
        assert [("Job started", "processing"), ("Job completed", "completed")] == [
            (e["message"], e["status"]) for e in job_lines
        ]
        script_start = one("Generating script with GPT-4o")
        script_done = one("Script generated successfully")
        details = [one("Scene details", scene_number=n, duration=5) for n in (1, 2)]
        calling = [one("Calling Kling adapter", scene=n) for n in (1, 2)]
        started = [one(f"Scene {n} generation started", scene=n) for n in (1, 2)]
        polling = [one("Kling still processing", scene=n, attempt=12) for n in (1, 2)]
        generated = [one(f"Scene {n} video generated", scene=n) for n in (1, 2)]
        audio_start = one("Generating audio")
        audio_done = one("Audio generated")
        compose = one("Composing final video")
        complete = one("Video generation complete")

        order = [start, script_start, script_done, *details]
        assert sorted(map(index, order)) == list(map(index, order))
        for n in range(2):
            chain = [details[-1], calling[n], started[n], polling[n], generated[n], audio_start]
            assert sorted(map(index, chain)) == list(map(index, chain))
        tail = [audio_start, audio_done, compose, complete]
        assert sorted(map(index, tail)) == list(map(index, tail))

        assert script_done["script_id"].startswith("script-")
        assert all(s["prediction_id"].startswith("kling-") for s in started)
        assert all(g["video_url"].startswith("s3://video-pipeline/jobs/") for g in generated)
        assert audio_done["audio_url"].startswith("s3://video-pipeline/")
        assert (f"videos/{job_id}.mp4", 2, 5) == (
            complete["video_key"],
            complete["num_scenes"],
            complete["duration"],
        )
        assert isinstance(complete["total_time"], float)
        assert ("info", "info") == (start["level"], complete["level"])
        assert {"debug"} == {p["level"] for p in polling}

    def test_transient_kling_error_is_retried_with_a_warning(self, service: Service) -> None:
        """Kling's 503 for scene 2 logs one retry warning; the job still completes."""
        job_id = service.start_job(kling_503={"2": 1})
        assert "completed" == service.wait(job_id)["status"]

        (refused,) = [e for e in service.job_lines(job_id) if e["message"] == "HTTP request failed"]
        assert ("warning", 503, 2) == (refused["level"], refused["status"], refused["scene"])
        (retry,) = [
            e
            for e in service.job_lines(job_id)
            if e["level"] == "warning" and e["logger"] == PIPELINE
        ]
        assert ("Kling API error, retrying", 2, 1, 503) == (
            retry["message"],
            retry["scene"],
            retry["attempt"],
            retry["status_code"],
        )

    def test_polling_is_sampled(self, service: Service) -> None:
        """12 polls per scene give one "Kling still processing" line each, suppressed=11."""
        job_id = service.start_job()
        service.wait(job_id)

        polls = [e for e in service.job_lines(job_id) if e["message"] == "Kling still processing"]
        assert [(1, 12, 11), (2, 12, 11)] == sorted(
            (e["scene"], e["attempt"], e["suppressed"]) for e in polls
        )

    def test_every_line_of_the_job_carries_its_id(self, service: Service) -> None:
        """Adapters take no job id, yet their lines and their HTTP calls' lines carry it."""
        job_id = service.start_job()
        service.wait(job_id)
        lines = service.job_lines(job_id)

        assert "video_pipeline.adapters.s3" in {e["logger"] for e in lines}
        calls = {
            (e["method"], e["path"].rsplit("/", 1)[0]) for e in lines if e["logger"] == "httpx"
        }
        assert {
            ("POST", "/openai/v1/chat"),
            ("POST", "/kling/v1/videos"),
            ("GET", "/kling/v1/videos"),
            ("POST", "/minimax/v1"),
        } == calls
        vendor_calls = [e for e in service.events() if e["message"].startswith("HTTP request")]
        pipeline_lines = [
            e for e in service.events() if e["logger"].startswith("video_pipeline")
        ] + vendor_calls
        assert all(e.get("job_id") == job_id for e in pipeline_lines)

    def test_vendor_calls_are_logged_once_and_polls_sampled(self, service: Service) -> None:
        """One line per call (httpx's own not repeated); status polls follow the poll lines."""
        job_id = service.start_job()
        service.wait(job_id)
        lines = service.job_lines(job_id)

        vendor = service.settings.vendor_url
        assert [] == [
            e
            for e in service.events()
            if e["message"].startswith("HTTP Request:") and vendor in e["message"]
        ]
        polls = [e for e in lines if e["logger"] == "httpx" and e["method"] == "GET"]
        # 12 "processing" answers and the one that says the video is ready, per scene:
        # the 12th shown (suppressed 11) and the last flushed when the loop ends.
        assert [(11, 200), (11, 200), (0, 200), (0, 200)] == sorted(
            ((e["suppressed"], e["status"]) for e in polls), reverse=True
        )
        assert 2 * (PROCESSING_POLLS + 1) == len(polls) + sum(e["suppressed"] for e in polls)
        assert all(isinstance(e["latency_ms"], float) for e in polls)

    def test_files_are_written(self, service: Service) -> None:
        """The S3 stand-in writes real files under the storage folder."""
        job_id = service.start_job()
        assert "completed" == service.wait(job_id)["status"]

        root = service.settings.storage_dir / "video-pipeline"
        assert (root / "videos" / f"{job_id}.mp4").stat().st_size > 0
        assert {"scene-1.mp4", "scene-2.mp4", "narration.mp3"} == {
            p.name for p in (root / "jobs" / job_id).iterdir()
        }


class TestFailedJob:
    def test_failure_is_one_error_line_and_the_status_says_failed(self, service: Service) -> None:
        """A permanent Minimax error fails the job: status failed, one line with status=failed."""
        job_id = service.start_job(fail_at="audio")
        body = service.wait(job_id)

        assert ("failed", "Minimax API error: 422 voice_id not found") == (
            body["status"],
            body["error_message"],
        )
        (failed,) = [e for e in service.job_lines(job_id) if e.get("status") == "failed"]
        assert (
            "error",
            "Job failed",
            "Minimax API error: 422 voice_id not found",
            "PermanentAPIError",
        ) == (failed["level"], failed["message"], failed["error_message"], failed["error_type"])
        (call,) = [e for e in service.job_lines(job_id) if e.get("path") == "/minimax/v1/t2a_v2"]
        assert ("info", 422) == (call["level"], call["status"])
        assert "Video generation complete" not in messages(service.job_lines(job_id))

    def test_a_failing_scene_cancels_its_sibling(self, service: Service) -> None:
        """When Kling rejects the scenes, the job fails once and no scene keeps polling."""
        job_id = service.start_job(fail_at="kling")
        assert "failed" == service.wait(job_id)["status"]

        failed = [e for e in service.job_lines(job_id) if e.get("status") == "failed"]
        assert ["Kling API error: 422 prompt rejected by safety filter"] == [
            e["error_message"] for e in failed
        ]


class TestShutdown:
    def test_stopping_the_server_cancels_running_jobs(self, settings: Settings) -> None:
        """A job still polling when the server stops writes `Job cancelled` and its last poll."""
        slow = dataclasses.replace(settings, time_scale=0.05)
        tee = demo.Tee(None)
        joblog.configure(renderer="json", level="debug", stream=tee, silence=demo.QUIET)  # type: ignore[arg-type]
        with demo.Server(create_app(slow)) as server, httpx.Client(base_url=server.url) as client:
            service = Service(client, tee, slow)
            job_id = service.start_job()
            deadline = time.monotonic() + 30
            while not any(e.get("prediction_id") for e in service.job_lines(job_id)):
                assert time.monotonic() < deadline
                time.sleep(0.01)
        lines = service.job_lines(job_id)
        (cancelled,) = [e for e in lines if e["message"] == "Job cancelled"]
        assert ("warning", "cancelled") == (cancelled["level"], cancelled["status"])
        assert "Job completed" not in messages(lines)


class TestRequests:
    def test_health_and_status_polling_are_silent(self, service: Service) -> None:
        """GET /health and GET /api/v1/jobs/{id} write nothing; POST generate is logged."""
        for _ in range(5):
            service.client.get("/health").raise_for_status()
        job_id = service.start_job()
        service.wait(job_id)

        paths = [e.get("path") for e in service.events() if "path" in e]
        assert not any(p == "/health" or p.startswith("/api/v1/jobs/") for p in paths)
        started, completed = [e for e in service.events() if e.get("path") == "/api/v1/generate"]
        assert ("Request started", "POST", "127.0.0.1") == (
            started["message"],
            started["method"],
            started["client_ip"],
        )
        assert ("Request completed", 202) == (completed["message"], completed["status"])
        assert completed["response_size"] > 0

    def test_auth_failures_are_logged_with_reasons_and_never_the_token(
        self, service: Service
    ) -> None:
        """Each refused token logs one warning with its reason; no token text is written."""
        secret = service.settings.jwt_secret
        tokens = {
            "expired_token": make_token("user-xyz", secret, expires_in=-60),
            "verification_failed": make_token(
                "user-xyz", "another-secret-that-is-long-enough-for-hs256"
            ),
            "invalid_token": "not.a.jwt",
        }
        cases = [
            ({}, "missing_authorization"),
            ({"Authorization": "Basic dXNlcjpwYXNz"}, "invalid_token"),
        ]
        cases += [
            ({"Authorization": f"Bearer {token}"}, reason) for reason, token in tokens.items()
        ]
        for headers, _reason in cases:
            response = service.client.post("/api/v1/generate", json=BODY, headers=headers)
            assert 401 == response.status_code
        service.start_job()  # a success: never logged as such

        failures = [e for e in service.events() if e["message"] == "Authentication failed"]
        assert [reason for _, reason in cases] == [e["reason"] for e in failures]
        assert {"warning"} == {e["level"] for e in failures}
        text = service.text()
        for token in [*tokens.values(), "dXNlcjpwYXNz", service.auth["Authorization"][7:]]:
            assert token not in text
        assert "authenticated" not in text.lower().replace("authentication failed", "")

    def test_bad_requests(self, service: Service) -> None:
        """Validation errors answer 4xx with a JSON error."""
        cases = [
            b"not json",
            b"[1]",
            json.dumps({"prompt": ""}).encode(),
            json.dumps({"prompt": "x", "num_scenes": 0}).encode(),
            json.dumps({"prompt": "x", "duration": "5"}).encode(),
            json.dumps({"prompt": "x", "simulate": {"fail_at": "moon"}}).encode(),
            json.dumps({"prompt": "x", "simulate": {"kling_503": {"a": "b"}}}).encode(),
        ]
        statuses = [
            service.client.post("/api/v1/generate", content=body, headers=service.auth).status_code
            for body in cases
        ]
        assert [400, 400, 422, 422, 422, 422, 422] == statuses
        missing = service.client.get("/api/v1/jobs/job-unknown", headers=service.auth)
        assert (404, {"error": "job not found"}) == (missing.status_code, missing.json())


class TestConcurrency:
    def test_concurrent_jobs_never_mix_their_ids(self, service: Service) -> None:
        """Ten jobs at once: each job's lines carry its own id, and only its own results."""

        async def run() -> list[str]:
            async with httpx.AsyncClient(base_url=str(service.client.base_url)) as client:
                responses = await asyncio.gather(
                    *(
                        client.post("/api/v1/generate", headers=service.auth, json=BODY)
                        for _ in range(10)
                    )
                )
            return [r.json()["job_id"] for r in responses]

        job_ids = asyncio.run(run())
        for job_id in job_ids:
            assert "completed" == service.wait(job_id)["status"]

        per_job = {job_id: service.job_lines(job_id) for job_id in job_ids}
        assert 10 == len(set(job_ids))
        lengths = set()
        for job_id, lines in per_job.items():
            pipeline = [e for e in lines if e["logger"] == PIPELINE]
            lengths.add(len(pipeline))
            urls = [e["video_url"] for e in pipeline if "video_url" in e]
            assert all(job_id in url for url in urls)
            complete = [e for e in pipeline if e["message"] == "Video generation complete"]
            assert [f"videos/{job_id}.mp4"] == [e["video_key"] for e in complete]
        assert 1 == len(lengths)


class TestDemo:
    def test_demo_runs_end_to_end(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """The demo exits 0, prints the trace and summary, and writes the JSON log file."""
        log_file = tmp_path / "server.jsonl"
        assert 0 == demo.main(["--log-file", str(log_file)])

        out = capsys.readouterr().out
        assert "Starting fully async generation" in out
        assert "Video generation complete" in out
        assert "missing_authorization, expired_token" in out
        lines = [json.loads(line) for line in log_file.read_text().splitlines()]
        assert any(e["message"] == "Kling still processing" for e in lines)
        assert _shape(_readme_demo_block()) == _shape(out)

    def test_demo_leaves_no_files_behind(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """The videos go to a temporary directory that is removed when the demo ends."""
        scratch = tmp_path / "tmp"
        scratch.mkdir()
        monkeypatch.setattr(tempfile, "tempdir", str(scratch))

        assert 0 == demo.main([])

        assert "files written                 6 (a temporary directory" in capsys.readouterr().out
        assert [] == list(scratch.iterdir())

    def test_storage_dir_keeps_the_videos(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """``--storage-dir`` keeps the files and says where they are."""
        assert 0 == demo.main(["--storage-dir", str(tmp_path)])

        assert f"files written                 6 ({tmp_path})" in capsys.readouterr().out
        assert 6 == sum(1 for path in tmp_path.rglob("*") if path.is_file())


LEVELS = ("DEBUG", "INFO", "WARN", "ERROR", "CRITICAL")
FIELD = re.compile(r'(?:^|\s)(\w+)=(?:"(?:[^"\\]|\\.)*"|\S*)')


def _readme_demo_block() -> str:
    readme = (EXAMPLES.parent / "README.md").read_text()
    match = re.search(r"```text\n(The successful job's trace.*?)```", readme, re.DOTALL)
    assert match, "README.md has no block of the demo's output"
    return match.group(1)


def _shape(output: str) -> list[str]:
    """The demo's output with what changes between runs taken out, in a stable order.

    A trace line keeps its level, message and field names (ids, timings and sizes
    differ on every run); a summary line keeps its words with numbers and ids
    replaced. Lines are sorted: the two scenes run in parallel, so their lines
    interleave differently from run to run.
    """
    shapes = []
    for line in output.splitlines():
        level, _, rest = line.partition(" ")
        if level in LEVELS:
            first = FIELD.search(rest)
            message = rest[: first.start() if first else None].strip()
            shapes.append(f"{level} {message} {' '.join(FIELD.findall(rest))}")
        elif line.strip() and not line.startswith("  JSON log file"):  # only with --log-file
            line = re.sub(r"job-[0-9a-f-]{36}", "job-ID", line)
            shapes.append(re.sub(r"\d+(?:\.\d+)?", "N", line).rstrip())
    return sorted(shapes)


def test_shape_keeps_what_the_readme_promises() -> None:
    """Two outputs differing in ids and timings have one shape; a renamed field does not."""
    a = "INFO  Scene details  job_id=job-c71ad504-629a-473c-8d03-5b67deb9658d elapsed_ms=1.5\n"
    b = "INFO  Scene details  job_id=job-0b5c1d2e-3f40-4a5b-8c6d-7e8f9a0b1c2d elapsed_ms=90\n"
    quoted = 'WARN  Retrying  error_message="a b=c" attempt=1\n'

    assert _shape(a) == _shape(b)
    assert _shape(a) != _shape(b.replace("elapsed_ms", "latency_ms"))
    assert ["WARN Retrying error_message attempt"] == _shape(quoted)
    assert ["  lines N (job-ID)"] == _shape("  lines 12 (job-c71ad504-629a-473c-8d03-5b67deb9658d)")


class TestLifecycleExample:
    def test_every_line_carries_the_same_job_id(self) -> None:
        """examples/lifecycle.py: tasks, a worker thread and stdlib lines share one job id."""
        import re
        import subprocess

        result = subprocess.run(
            [sys.executable, str(EXAMPLES / "lifecycle.py")],
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        )
        lines = result.stdout.splitlines()
        ids = {m.group() for line in lines for m in re.finditer(r"job-[0-9a-f-]{36}", line)}
        assert 1 == len(ids)
        (job_id,) = ids
        assert all(job_id in line for line in lines)
        assert any("HTTP Request" in line for line in lines)
        assert any("worker thread" in line for line in lines)
        assert lines[-1].split()[2:5] == ["Video", "generation", "complete"]
