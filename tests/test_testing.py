"""joblog.testing: capture_logs() and reset_defaults()."""

from __future__ import annotations

import logging
from typing import Any

import pytest
import structlog

import joblog
from joblog.testing import capture_logs, reset_defaults


class TestCaptureLogs:
    def test_captures_both_front_ends_without_writing(self, configured: Any) -> None:
        """Events from joblog, structlog and stdlib loggers are captured, not written."""
        out = configured()
        with joblog.bind_job("job-cap"), capture_logs() as logs:
            joblog.get_logger("app").info("from joblog", n=1)
            structlog.get_logger("sl").warning("from structlog")
            logging.getLogger("std").error("from %s", "stdlib")

        assert "" == out.getvalue()
        assert [
            ("from joblog", "info", "app"),
            ("from structlog", "warning", "sl"),
            ("from stdlib", "error", "std"),
        ] == [(e["message"], e["level"], e["logger"]) for e in logs]
        assert all("job-cap" == e["job_id"] for e in logs)

    def test_captured_events_are_final(self, configured: Any) -> None:
        """Captured dicts are after the extra processors, as they would be rendered."""

        def upper(_: Any, __: str, event: Any) -> Any:
            event["message"] = event["message"].upper()
            return event

        configured(processors=[upper])
        with capture_logs() as logs:
            joblog.get_logger("app").info("quiet")

        assert "QUIET" == logs[0]["message"]

    def test_unconfigured_and_nested(self) -> None:
        """capture_logs works without configure(); nested captures both receive events."""
        with capture_logs() as outer:
            joblog.get_logger("app").info("one")
            with capture_logs() as inner:
                joblog.get_logger("app").info("two")

        assert (["one", "two"], ["two"]) == (
            [e["message"] for e in outer],
            [e["message"] for e in inner],
        )

    def test_respects_the_level(self, configured: Any) -> None:
        """Levels below the configured one are not captured."""
        configured(level="warning")
        with capture_logs() as logs:
            joblog.get_logger("app").info("below")

        assert [] == logs

    def test_writing_resumes_after(self, configured: Any) -> None:
        """After the block, lines are written again."""
        out = configured()
        with capture_logs():
            joblog.get_logger("app").info("captured")
        joblog.get_logger("app").info("written")

        assert ["written"] == [e["message"] for e in out.events()]


class TestResetDefaults:
    def test_undoes_configure(
        self,
        configured: Any,
        capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        """reset_defaults() drops joblog's handler, the root level, and the level itself."""
        configured(level="error")
        reset_defaults()

        root = logging.getLogger()
        assert (logging.WARNING, []) == (
            root.level,
            [h for h in root.handlers if type(h).__name__ == "JoblogHandler"],
        )
        # Unconfigured again: the defaults (here $JOBLOG_LEVEL) decide, not level="error".
        monkeypatch.setenv("JOBLOG_LEVEL", "debug")
        joblog.get_logger("app").debug("shown after reset")
        assert "shown after reset" in capsys.readouterr().out
