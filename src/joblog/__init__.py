"""
joblog: structured JSON logging for async services that run long, multi-stage jobs.

Every line of a job, from joblog, structlog and :mod:`logging` loggers, in
parallel tasks and worker threads, carries the job's ``job_id``, as one JSON
object per line::

    import joblog

    joblog.configure()
    log = joblog.get_logger(__name__)

    with joblog.bind_job(user_id="user-xyz") as job_id:
        log.info("Starting fully async generation")

Importing joblog configures nothing; :func:`configure` does.
"""

from __future__ import annotations

from typing import Any

from . import otel, testing
from ._config import configure
from ._logger import BoundLogger, get_logger
from .asgi import RequestLoggingMiddleware, log_auth_failure
from .context import bind, bind_job, carry_context, current_job_id, new_job_id
from .jobs import cancel_jobs, flush, job, running_jobs
from .processes import context_env
from .redact import (
    DEFAULT_KEYS,
    DEFAULT_PATTERNS,
    DEFAULT_RULES,
    Redactor,
    SecretRule,
    redact_secrets,
)
from .sampling import sampled
from .stages import stage
from .stdlib import JobJsonFormatter

__all__ = [
    "DEFAULT_KEYS",
    "DEFAULT_PATTERNS",
    "DEFAULT_RULES",
    "BoundLogger",
    "JobJsonFormatter",
    "Redactor",
    "RequestLoggingMiddleware",
    "SecretRule",
    "bind",
    "bind_job",
    "cancel_jobs",
    "carry_context",
    "configure",
    "context_env",
    "current_job_id",
    "flush",
    "get_logger",
    "job",
    "log_auth_failure",
    "new_job_id",
    "otel",
    "redact_secrets",
    "running_jobs",
    "sampled",
    "stage",
    "testing",
]


def __getattr__(name: str) -> Any:
    if name == "__version__":
        from importlib.metadata import version

        return version("joblog")
    raise AttributeError(f"module 'joblog' has no attribute {name!r}")
