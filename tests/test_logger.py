"""joblog's BoundLogger: the structlog-compatible API, exceptions, and never raising."""

from __future__ import annotations

import sys
from typing import Any

import pytest
import structlog

import joblog
from joblog import BoundLogger


class TestGetLogger:
    def test_name_defaults_to_calling_module(self) -> None:
        """get_logger() without a name takes the caller's module name."""
        assert __name__ == joblog.get_logger().name

    def test_bound_fields(self, configured: Any) -> None:
        """Fields given to get_logger are on every line."""
        out = configured()
        joblog.get_logger("app", component="kling").info("m")

        assert "kling" == out.events()[0]["component"]

    def test_satisfies_structlogs_bindable_logger_protocol(self) -> None:
        """It can be used wherever structlog expects a BindableLogger."""
        assert isinstance(joblog.get_logger("x"), structlog.typing.BindableLogger)

    def test_repr(self) -> None:
        """The repr shows the name and bound fields."""
        assert "<BoundLogger(name='app', context={'a': 1})>" == repr(
            joblog.get_logger("app").bind(a=1)
        )


class TestBinding:
    def test_bind_returns_a_new_logger(self, configured: Any) -> None:
        """bind() never changes the original logger."""
        out = configured()
        base = joblog.get_logger("app")
        child = base.bind(scene=1)
        child.info("child")
        base.info("base")

        child_event, base_event = out.events()
        assert 1 == child_event["scene"]
        assert "scene" not in base_event
        assert isinstance(child, BoundLogger)

    def test_new_unbind_try_unbind(self, configured: Any) -> None:
        """new() replaces, unbind() removes (KeyError if missing), try_unbind() ignores."""
        out = configured()
        log = joblog.get_logger("app").bind(a=1, b=2)
        log.new(c=3).info("new")
        log.unbind("a").info("unbind")
        log.try_unbind("a", "zzz").info("try")
        with pytest.raises(KeyError):
            log.unbind("zzz")

        new, unbind, tried = out.events()
        assert (3, False, False) == (new["c"], "a" in new, "b" in new)
        assert (2, False) == (unbind["b"], "a" in unbind)
        assert (2, False) == (tried["b"], "a" in tried)

    def test_schema_key_fields_are_renamed(self, configured: Any) -> None:
        """Bound and call-site fields named like schema keys become fields.<name>."""
        out = configured()
        joblog.get_logger("app", logger="bound").bind(level="b").info(
            "real", message="call", timestamp="call-ts"
        )

        event = out.events()[0]
        assert ("real", "info", "app") == (event["message"], event["level"], event["logger"])
        assert ("bound", "b", "call", "call-ts") == (
            event["fields.logger"],
            event["fields.level"],
            event["fields.message"],
            event["fields.timestamp"],
        )


class TestMessages:
    def test_percent_args(self, configured: Any) -> None:
        """Positional arguments %-format the message, as in logging."""
        out = configured()
        log = joblog.get_logger("app")
        log.info("Scene %d of %d", 1, 2)
        log.info("Hello %(name)s", {"name": "joblog"})

        assert ["Scene 1 of 2", "Hello joblog"] == [e["message"] for e in out.events()]

    def test_bad_percent_args_never_raise(self, configured: Any) -> None:
        """A format/argument mismatch logs the text and the arguments instead of raising."""
        out = configured()
        joblog.get_logger("app").info("needs %d", "a string")

        assert "needs %d ('a string',)" == out.events()[0]["message"]

    def test_non_string_message(self, configured: Any) -> None:
        """A non-string event is written as its str()."""
        out = configured()
        joblog.get_logger("app").info({"not": "a string"})

        assert "{'not': 'a string'}" == out.events()[0]["message"]

    def test_log_with_level(self, configured: Any) -> None:
        """log() takes a level name or number; an unknown level logs at info."""
        out = configured(level="info")
        log = joblog.get_logger("app")
        log.log("warning", "w")
        log.log(40, "e")
        log.log(5, "below")
        log.log("nonsense", "unknown")
        log.log(25, "between")

        assert [("warning", "w"), ("error", "e"), ("info", "unknown"), ("info", "between")] == [
            (e["level"], e["message"]) for e in out.events()
        ]


class TestExceptions:
    def test_exception_method(self, configured: Any) -> None:
        """log.exception() adds error_type, error_message and the traceback, at error."""
        out = configured()
        try:
            raise ValueError("bad scene duration")
        except ValueError:
            joblog.get_logger("app").exception("Scene failed", scene=1)

        event = out.events()[0]
        assert ("error", "ValueError", "bad scene duration", 1) == (
            event["level"],
            event["error_type"],
            event["error_message"],
            event["scene"],
        )
        assert event["exception"].startswith("Traceback (most recent call last):")
        assert event["exception"].endswith("ValueError: bad scene duration")

    @pytest.mark.parametrize("form", ["true", "instance", "tuple"])
    def test_exc_info_forms(self, configured: Any, form: str) -> None:
        """exc_info=True, an exception instance or a sys.exc_info() tuple all work."""
        out = configured()
        try:
            raise KeyError("scene")
        except KeyError as exc:
            exc_info: Any = {"true": True, "instance": exc, "tuple": sys.exc_info()}[form]
            joblog.get_logger("app").warning("Retrying", exc_info=exc_info)

        event = out.events()[0]
        assert ("warning", "KeyError", "'scene'") == (
            event["level"],
            event["error_type"],
            event["error_message"],
        )
        assert "exc_info" not in event

    def test_exc_info_without_an_exception(self, configured: Any) -> None:
        """exc_info=True outside an except block adds nothing."""
        out = configured()
        joblog.get_logger("app").info("m", exc_info=True)
        joblog.get_logger("app").info("n", exc_info=False)

        assert all("error_type" not in e and "exc_info" not in e for e in out.events())

    def test_hostile_exception(self, configured: Any) -> None:
        """An exception whose str() raises still gives one line with its type."""
        out = configured()

        class Hostile(Exception):
            def __str__(self) -> str:
                raise RuntimeError("no")

        joblog.get_logger("app").error("m", exc_info=Hostile())

        event = out.events()[0]
        assert ("Hostile", "<unprintable Hostile>") == (
            event["error_type"],
            event["error_message"],
        )

    def test_broken_traceback_formatting(
        self, configured: Any, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Even when the traceback module fails, the exception fields are written."""
        out = configured()
        import traceback

        def broken(*_: Any, **__: Any) -> list[str]:
            raise RuntimeError("traceback broke")

        monkeypatch.setattr(traceback, "format_exception", broken)
        joblog.get_logger("app").error("m", exc_info=OSError("disk"))

        assert "OSError: disk" == out.events()[0]["exception"]

    def test_stack_info(self, configured: Any) -> None:
        """stack_info=True adds the caller's stack as "stack"."""
        out = configured()

        def where_am_i() -> None:
            joblog.get_logger("app").info("m", stack_info=True)

        where_am_i()
        joblog.get_logger("app").info("n", stack_info=False)

        first, second = out.events()
        assert "where_am_i" in first["stack"]
        assert "stack" not in second


class TestLevels:
    def test_calls_below_the_level_write_nothing(self, configured: Any) -> None:
        """Only lines at or above the configured level are written."""
        out = configured(level="warning")
        log = joblog.get_logger("app")
        log.debug("d")
        log.info("i")
        log.warning("w")
        log.error("e")

        assert ["w", "e"] == [e["message"] for e in out.events()]

    def test_disabled_calls_do_no_work(self) -> None:
        """A call below the level runs nothing: no processor sees it; re-enabling restores it."""
        seen: list[str] = []

        def record(_: Any, __: str, event: Any) -> Any:
            seen.append(event["message"])
            return event

        joblog.configure(level="error", stream=_Sink(), processors=[record])
        log = joblog.get_logger("app")
        log.debug("d")
        log.info("i")
        log.warning("w")
        log.exception("x")
        joblog.configure(level="debug", stream=_Sink(), processors=[record])
        log.debug("d2")

        assert ["x", "d2"] == seen


class _Sink:
    def write(self, _: str) -> None:
        pass

    def flush(self) -> None:
        pass


class TestNeverRaises:
    def test_exploding_field_values(self, configured: Any) -> None:
        """Values that break every conversion still never raise into the caller."""
        out = configured()

        class Evil:
            def __repr__(self) -> str:
                raise RuntimeError("repr")

            def __str__(self) -> str:
                raise RuntimeError("str")

        joblog.get_logger("app").info(Evil(), Evil(), evil=Evil())

        event = out.events()[0]
        assert "<unrepresentable Evil>" == event["evil"]

    def test_internal_failure_writes_a_notice(
        self, configured: Any, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """If building the event fails, a notice (with no values) is written instead."""
        out = configured()
        from joblog import _logger

        def broken_clock() -> float:
            raise RuntimeError("clock")

        monkeypatch.setattr(_logger, "_now", broken_clock)
        with joblog.bind_job("job-x"):
            joblog.get_logger("app").info("m", secret_value="never")

        event = out.events()[0]
        assert {
            "level": "error",
            "message": "joblog: a processor raised; the event was dropped",
            "logger": "joblog",
            "error_type": "RuntimeError",
            "job_id": "job-x",
        } == {k: v for k, v in event.items() if k != "timestamp"}
        assert "never" not in out.getvalue()


class TestStackInfoFindsTheCaller:
    """stack_info=True records the application's frame, whichever way the call came."""

    @staticmethod
    def _last_frame(stack: str) -> str:
        return stack.strip().splitlines()[-2]

    def test_through_sampled(self, configured: Any) -> None:
        """A sampled() call's stack ends in the application's frame, not joblog's."""
        out = configured()
        plog = joblog.sampled(joblog.get_logger("app"), every=1)

        def polling_loop() -> None:
            plog.info("polling", stack_info=True)

        polling_loop()

        stack = out.events()[0]["stack"]
        assert "polling_loop" in self._last_frame(stack)
        assert "sampling.py" not in stack

    def test_through_structlog(self, configured: Any) -> None:
        """A structlog.get_logger() call's stack ends in the application's frame."""
        import structlog

        out = configured()

        def handler() -> None:
            structlog.get_logger("app").info("handled", stack_info=True)

        handler()

        stack = out.events()[0]["stack"]
        assert "handler" in self._last_frame(stack)
        assert "structlog" not in self._last_frame(stack)
