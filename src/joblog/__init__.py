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

Importing joblog configures nothing; :func:`configure` does.  It imports
nothing either: each public name's module (and structlog, asyncio, the
redaction patterns with it) is imported the first time the name is used, so
``import joblog`` and the ``joblog`` command start fast.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
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

#: The submodule each public name comes from; a name equal to its module's is the module.
_MODULES: Final = {
    "DEFAULT_KEYS": "redact",
    "DEFAULT_PATTERNS": "redact",
    "DEFAULT_RULES": "redact",
    "SecretRule": "redact",
    "context_env": "processes",
    "BoundLogger": "_logger",
    "JobJsonFormatter": "stdlib",
    "Redactor": "redact",
    "RequestLoggingMiddleware": "asgi",
    "bind": "context",
    "bind_job": "context",
    "cancel_jobs": "jobs",
    "carry_context": "context",
    "configure": "_config",
    "current_job_id": "context",
    "flush": "jobs",
    "get_logger": "_logger",
    "job": "jobs",
    "log_auth_failure": "asgi",
    "new_job_id": "context",
    "otel": "otel",
    "redact_secrets": "redact",
    "running_jobs": "jobs",
    "sampled": "sampling",
    "stage": "stages",
    "testing": "testing",
}


def __getattr__(name: str) -> Any:
    module_name = _MODULES.get(name)
    if module_name is not None:
        module = importlib.import_module(f"{__name__}.{module_name}")
        value = module if module_name == name else getattr(module, name)
        globals()[name] = value  # later look-ups skip this function
        return value
    if name == "__version__":
        from importlib.metadata import version

        return version("joblog")
    if not name.startswith("__"):
        # A submodule (joblog.context, joblog.redact…), as when every module was
        # imported eagerly: code written against that keeps working.
        try:
            return importlib.import_module(f"{__name__}.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"{__name__}.{name}":
                raise  # the submodule exists but needs what is not installed
    raise AttributeError(f"module 'joblog' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
