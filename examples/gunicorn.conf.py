"""
gunicorn settings that write every line, the master's and the workers', as joblog JSON.

    gunicorn -c examples/gunicorn.conf.py -k uvicorn_worker.UvicornWorker app:app

(``uvicorn.workers.UvicornWorker`` is the same worker, deprecated since
uvicorn 0.30.)  gunicorn gives its loggers text handlers of its own, and the
uvicorn worker copies gunicorn's handlers onto uvicorn's loggers; this logger
class gives them joblog's handler instead, so gunicorn's, uvicorn's and the
application's lines share one schema.  The workers inherit the configuration
from the master when they are forked: the application itself need not call
``joblog.configure()`` (if it does, it replaces this configuration).
"""

from __future__ import annotations

import logging
from typing import Any

from gunicorn.glogging import Logger

import joblog
import joblog.processes
from joblog.stdlib import JoblogHandler


class JoblogLogger(Logger):  # type: ignore[misc]  # gunicorn ships no types
    """gunicorn's logger, writing through joblog."""

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        # pid tells the master's and each worker's lines apart; drop it for one process.
        joblog.configure(processors=[joblog.processes.add_pid])
        for log in (self.error_log, self.access_log):
            log.handlers[:] = [JoblogHandler()]
            log.propagate = False  # the handler writes it; the root's would again


logger_class = JoblogLogger
loglevel = "info"
logging.captureWarnings(True)
