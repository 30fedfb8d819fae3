"""An in-memory job store: what the status endpoint reads."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any, Literal

Status = Literal["queued", "processing", "completed", "failed", "cancelled"]


@dataclass
class Job:
    """One video generation job."""

    job_id: str
    user_id: str
    status: Status = "queued"
    video_key: str | None = None
    error_message: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """The status endpoint's body: only the fields that are set."""
        body: dict[str, Any] = {"job_id": self.job_id, "status": self.status}
        if self.video_key is not None:
            body["video_key"] = self.video_key
        if self.error_message is not None:
            body["error_message"] = self.error_message
        return body


@dataclass
class JobStore:
    """Jobs by id, plus the tasks running them (kept so they are not garbage collected).

    Shutdown cancels them with ``joblog.cancel_jobs()``, which knows every running job.
    """

    jobs: dict[str, Job] = field(default_factory=dict)
    tasks: set[asyncio.Task[None]] = field(default_factory=set)

    def add(self, job: Job) -> None:
        self.jobs[job.job_id] = job

    def get(self, job_id: str) -> Job | None:
        return self.jobs.get(job_id)

    def track(self, task: asyncio.Task[None]) -> None:
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
