"""
The reference pipeline composing on a real Celery worker, over a real Redis.

``celery_demo.services`` starts ``redis-server`` on a free 127.0.0.1 port and a
``celery worker`` (solo pool); ``demo.py --celery`` runs the service and its
client. The compose task's lines must come from the worker, carry the job's
``job_id`` and the task's ``task_id``, and ``joblog trace`` over both files
must draw the task as a span.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
sys.path.insert(0, str(EXAMPLES))

from video_pipeline import celery_demo  # noqa: E402

TASK = "video_pipeline.compose"


def _events(path: Path) -> list[dict[str, Any]]:
    events = []
    for line in path.read_text().splitlines():
        try:
            events.append(json.loads(line))
        except json.JSONDecodeError:
            raise AssertionError(f"not a JSON line in {path.name}: {line!r}") from None
    return events


def test_compose_runs_on_the_worker_with_the_jobs_id(tmp_path: Path) -> None:
    api_log = tmp_path / "api.jsonl"
    with celery_demo.services(tmp_path) as env:
        demo = subprocess.run(
            [sys.executable, str(EXAMPLES / "video_pipeline" / "demo.py"), "--celery",
             "--log-file", str(api_log)],
            env=env, capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
    assert 0 == demo.returncode, demo.stdout + demo.stderr
    api = _events(api_log)
    worker = _events(tmp_path / "worker.jsonl")
    job_id = next(e["job_id"] for e in api if e["message"] == "Job completed")
    failed_job = next(e["job_id"] for e in api if e["message"] == "Job failed")

    # Every worker line is joblog's JSON; the task's lines carry the job and the task.
    task = [e for e in worker if e.get("task_name") == TASK]
    assert "Task started" == task[0]["message"]
    assert "Task succeeded" == task[-1]["message"]
    # The ffmpeg adapter's own line ("not installed; writing a placeholder", or its command).
    assert any(e["logger"] == "video_pipeline.adapters.ffmpeg" for e in task[1:-1])
    assert {job_id} == {e["job_id"] for e in task}
    assert 1 == len({e["task_id"] for e in task})
    assert not any(e.get("job_id") == failed_job for e in worker)  # it failed before composing
    # The service wrote none of them: its compose stage only waited for the task.
    assert not any(e.get("task_id") for e in api)
    assert any(e["message"] == "Video generation complete" and e["job_id"] == job_id for e in api)
    # Nothing of the task's result (the video, base64) is logged: Celery's own lines are quiet.
    assert not any(e["logger"] == "celery.app.trace" for e in worker)

    trace = subprocess.run(
        [sys.executable, "-m", "joblog", "trace", job_id, "api.jsonl", "worker.jsonl"],
        cwd=tmp_path, capture_output=True, text=True, timeout=30, check=False,
    )  # fmt: skip
    assert 0 == trace.returncode, trace.stderr
    task_id = task[0]["task_id"]
    rows = [line for line in trace.stdout.splitlines() if line.startswith(f"task {TASK}")]
    assert 1 == len(rows), trace.stdout
    assert task_id[:8] in rows[0]
    assert "completed" in rows[0]
    assert "worker.jsonl  INFO  Task started" in trace.stdout
