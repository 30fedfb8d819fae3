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

from . import testing
from ._config import configure
from ._logger import BoundLogger, get_logger
from .asgi import RequestLoggingMiddleware, log_auth_failure
from .context import bind, bind_job, carry_context, current_job_id, new_job_id
from .processes import context_env
from .redact import DEFAULT_KEYS, DEFAULT_PATTERNS, Redactor, redact_secrets
from .sampling import sampled
from .stages import stage
from .stdlib import JobJsonFormatter

__all__ = [
    "DEFAULT_KEYS",
    "DEFAULT_PATTERNS",
    "BoundLogger",
    "JobJsonFormatter",
    "Redactor",
    "RequestLoggingMiddleware",
    "bind",
    "bind_job",
    "carry_context",
    "configure",
    "context_env",
    "current_job_id",
    "get_logger",
    "log_auth_failure",
    "new_job_id",
    "redact_secrets",
    "sampled",
    "stage",
    "testing",
]


def __getattr__(name: str) -> Any:
    if name == "__version__":
        from importlib.metadata import version

        return version("joblog")
    raise AttributeError(f"module 'joblog' has no attribute {name!r}")
