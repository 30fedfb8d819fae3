"""configure(): arguments, environment, reconfiguration, routing of stdlib and structlog."""

from __future__ import annotations

import io
import json
import logging
from typing import Any

import pytest
import structlog

import joblog
from joblog import _config
from joblog.stdlib import JoblogHandler
from joblog.testing import reset_defaults

from .conftest import Output


def joblog_handlers() -> list[logging.Handler]:
    return [h for h in logging.getLogger().handlers if isinstance(h, JoblogHandler)]


class TestArguments:
    @pytest.mark.parametrize(
        ("kwargs", "error", "match"),
        [
            ({"renderer": "xml"}, ValueError, "unknown renderer 'xml'"),
            ({"renderer": 3}, ValueError, "unknown renderer 3"),
            ({"level": "verbose"}, ValueError, "unknown level 'verbose'"),
            ({"level": 99}, ValueError, "level 99 is out of range"),
            ({"level": True}, TypeError, "level must be a level name or an int, not True"),
            ({"level": 2.5}, TypeError, "not 2.5"),
            ({"stream": object()}, TypeError, "stream must have a write"),
            ({"stream": "stdout"}, TypeError, "'stdout'"),
            ({"processors": [42]}, TypeError, "processors must be callables, got 42"),
            ({"redact": "yes"}, TypeError, "redact must be True, False or a Redactor, not 'yes'"),
            ({"silence": [7]}, TypeError, "silence must be logger names, got 7"),
        ],
    )
    def test_bad_arguments_raise_naming_the_value(
        self, kwargs: dict[str, Any], error: type[Exception], match: str
    ) -> None:
        """Bad configuration raises at configure() time with the bad value in the message."""
        with pytest.raises(error, match=match):
            joblog.configure(**kwargs)

    def test_failed_configure_keeps_the_previous_configuration(self, output: Output) -> None:
        """A configure() that raises changes nothing."""
        joblog.configure(renderer="json", stream=output)
        with pytest.raises(ValueError, match="unknown renderer"):
            joblog.configure(renderer="yaml")
        joblog.get_logger("x").info("still json")

        assert "still json" == output.events()[0]["message"]

    @pytest.mark.parametrize(
        ("level", "expected"),
        [
            ("DEBUG", 10),
            ("info", 20),
            ("Warn", 30),
            ("warning", 30),
            (" error ", 40),
            ("fatal", 50),
            (0, 0),
            (25, 25),
        ],
    )
    def test_level_names_and_numbers(self, level: str | int, expected: int) -> None:
        """Level names are case-insensitive; warn and fatal are aliases; numbers pass through."""
        assert expected == _config.parse_level(level)

    def test_binary_stream(self) -> None:
        """A binary stream receives UTF-8 bytes."""
        stream = io.BytesIO()
        joblog.configure(renderer="json", stream=stream)
        joblog.get_logger("x").info("café")

        assert "café" == json.loads(stream.getvalue())["message"]

    def test_stream_defaults_to_stdout(self, capsys: pytest.CaptureFixture[str]) -> None:
        """Without a stream, lines go to sys.stdout."""
        joblog.configure(renderer="json")
        joblog.get_logger("x").info("to stdout")

        assert "to stdout" == json.loads(capsys.readouterr().out)["message"]


class TestEnvironment:
    def test_env_supplies_defaults(self, output: Output, monkeypatch: pytest.MonkeyPatch) -> None:
        """JOBLOG_LEVEL and JOBLOG_RENDERER apply when the arguments are not given."""
        monkeypatch.setenv("JOBLOG_LEVEL", "warning")
        monkeypatch.setenv("JOBLOG_RENDERER", "console")
        joblog.configure(stream=output)
        log = joblog.get_logger("x")
        log.info("hidden")
        log.warning("shown")

        (line,) = output.lines()
        assert "WARN  shown" == line[13:24]

    def test_arguments_win_over_env(self, output: Output, monkeypatch: pytest.MonkeyPatch) -> None:
        """Explicit arguments override the environment."""
        monkeypatch.setenv("JOBLOG_LEVEL", "error")
        monkeypatch.setenv("JOBLOG_RENDERER", "console")
        joblog.configure(level="info", renderer="json", stream=output)
        joblog.get_logger("x").info("shown")

        assert "shown" == output.events()[0]["message"]

    @pytest.mark.parametrize(
        ("var", "value", "match"),
        [
            ("JOBLOG_LEVEL", "loud", "unknown JOBLOG_LEVEL 'loud'"),
            ("JOBLOG_RENDERER", "fancy", "unknown JOBLOG_RENDERER 'fancy'"),
        ],
    )
    def test_bad_env_values(
        self, monkeypatch: pytest.MonkeyPatch, var: str, value: str, match: str
    ) -> None:
        """A bad environment value raises naming the variable and the value."""
        monkeypatch.setenv(var, value)
        with pytest.raises(ValueError, match=match):
            joblog.configure()

    def test_empty_env_is_ignored(self, output: Output, monkeypatch: pytest.MonkeyPatch) -> None:
        """An empty variable counts as unset."""
        monkeypatch.setenv("JOBLOG_LEVEL", "")
        monkeypatch.setenv("JOBLOG_RENDERER", "")
        joblog.configure(stream=output)
        joblog.get_logger("x").info("json at info")

        assert "json at info" == output.events()[0]["message"]


class TestReconfiguration:
    def test_no_duplicate_handlers_or_lines(self, output: Output) -> None:
        """Configuring three times leaves one handler and writes each line once."""
        for _ in range(3):
            joblog.configure(renderer="json", stream=output)
        logging.getLogger("lib").warning("once")
        joblog.get_logger("app").warning("once too")

        assert 1 == len(joblog_handlers())
        assert ["once", "once too"] == [e["message"] for e in output.events()]

    def test_stream_switch(self) -> None:
        """After reconfiguring, lines go to the new stream only."""
        first, second = Output(), Output()
        log = joblog.get_logger("app")
        joblog.configure(renderer="json", stream=first)
        log.info("one")
        logging.getLogger("lib").info("two")
        joblog.configure(renderer="json", stream=second)
        log.info("three")
        logging.getLogger("lib").info("four")

        assert ["one", "two"] == [e["message"] for e in first.events()]
        assert ["three", "four"] == [e["message"] for e in second.events()]

    def test_level_change_reaches_existing_loggers(self, output: Output) -> None:
        """A module-level logger created before configure() follows each new level."""
        module_level = joblog.get_logger("app")
        child = module_level.bind(scene=1)
        joblog.configure(renderer="json", stream=output, level="error")
        module_level.info("hidden")
        child.warning("hidden")
        joblog.configure(renderer="json", stream=output, level="debug")
        module_level.debug("shown")
        child.info("shown too")
        logging.getLogger("lib").debug("stdlib shown")

        assert ["shown", "shown too", "stdlib shown"] == [e["message"] for e in output.events()]

    def test_renderer_switch(self, output: Output) -> None:
        """Switching renderers changes the output of existing loggers."""
        log = joblog.get_logger("app")
        joblog.configure(renderer="json", stream=output)
        log.info("json")
        joblog.configure(renderer="console", stream=output)
        log.info("console")

        first, second = output.lines()
        assert "json" == json.loads(first)["message"]
        assert "INFO  console" in second

    def test_stdlib_false_removes_routing(self, output: Output) -> None:
        """configure(stdlib=False) takes joblog's handler off the root logger."""
        joblog.configure(renderer="json", stream=output)
        joblog.configure(renderer="json", stream=output, stdlib=False)
        logging.getLogger("lib").warning("not routed")

        assert [] == joblog_handlers()
        assert "" == output.getvalue()

    def test_other_root_handlers_are_left_alone(self, output: Output) -> None:
        """Handlers joblog did not add stay on the root logger."""
        theirs = logging.NullHandler()
        logging.getLogger().addHandler(theirs)
        try:
            joblog.configure(renderer="json", stream=output)
            assert theirs in logging.getLogger().handlers
        finally:
            logging.getLogger().removeHandler(theirs)


class TestUnconfigured:
    def test_importing_configures_nothing(self) -> None:
        """Before configure(), the root logger has no joblog handler and no pipeline exists."""
        assert [] == joblog_handlers()
        assert _config.pipeline is None

    def test_first_use_applies_defaults(self, capsys: pytest.CaptureFixture[str]) -> None:
        """Logging before configure() writes JSON at info to stdout, leaving logging alone."""
        log = joblog.get_logger("app")
        log.debug("hidden")
        log.info("shown")

        assert "shown" == json.loads(capsys.readouterr().out)["message"]
        assert [] == joblog_handlers()

    def test_defaults_follow_the_environment(
        self, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """The unconfigured defaults honour JOBLOG_LEVEL too."""
        monkeypatch.setenv("JOBLOG_LEVEL", "debug")
        joblog.get_logger("app").debug("shown")

        assert "shown" == json.loads(capsys.readouterr().out)["message"]


class TestStdlibRouting:
    def test_root_level_follows_configure(self, output: Output) -> None:
        """The root logger's level is set so third-party info lines come through."""
        joblog.configure(renderer="json", stream=output, level="info")
        assert logging.INFO == logging.getLogger().level
        logging.getLogger("boto3").info("Found credentials")

        assert "boto3" == output.events()[0]["logger"]

    def test_handler_respects_the_level(self, output: Output) -> None:
        """A logger with its own lower level still cannot write below joblog's level."""
        joblog.configure(renderer="json", stream=output, level="warning")
        chatty = logging.getLogger("chatty")
        chatty.setLevel(logging.DEBUG)
        try:
            chatty.info("below")
            chatty.error("above")
        finally:
            chatty.setLevel(logging.NOTSET)

        assert ["above"] == [e["message"] for e in output.events()]

    def test_uvicorn_loggers_are_routed_and_access_is_silenced(self, output: Output) -> None:
        """uvicorn's own handlers are removed so its lines come out as joblog JSON."""
        own = logging.StreamHandler(io.StringIO())
        for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
            logging.getLogger(name).addHandler(own)
            logging.getLogger(name).propagate = False
        joblog.configure(renderer="json", stream=output)

        logging.getLogger("uvicorn.error").info("Started server process [%d]", 42)
        logging.getLogger("uvicorn.access").info('%s - "%s %s" %d', "127.0.0.1", "GET", "/x", 200)

        assert [{"logger": "uvicorn.error", "message": "Started server process [42]"}] == [
            {"logger": e["logger"], "message": e["message"]} for e in output.events()
        ]
        assert all(own not in logging.getLogger(n).handlers for n in ("uvicorn", "uvicorn.error"))

    def test_silence_can_be_turned_off(self, output: Output) -> None:
        """silence=() keeps uvicorn's access lines."""
        logging.getLogger("uvicorn.access").setLevel(logging.NOTSET)
        joblog.configure(renderer="json", stream=output, silence=())
        logging.getLogger("uvicorn.access").info("GET /x 200")

        assert "GET /x 200" == output.events()[0]["message"]

    def test_silence_is_undone_by_reconfigure_and_reset(self, output: Output) -> None:
        """A logger silenced by one configure() gets its own level back afterwards."""
        chatty = logging.getLogger("chatty.client")
        chatty.setLevel(logging.DEBUG)
        try:
            joblog.configure(renderer="json", stream=output, silence=("chatty.client",))
            assert logging.WARNING == chatty.level
            joblog.configure(renderer="json", stream=output, silence=())
            assert logging.DEBUG == chatty.level
            joblog.configure(renderer="json", stream=output, silence=("chatty.client",))
            reset_defaults()
            assert logging.DEBUG == chatty.level
        finally:
            chatty.setLevel(logging.NOTSET)

    def test_uvicorn_color_message_is_dropped(self, output: Output) -> None:
        """uvicorn's color_message extra (ANSI duplicate of the message) is not written."""
        joblog.configure(renderer="json", stream=output)
        logging.getLogger("uvicorn.error").info(
            "Waiting for application startup.",
            extra={"color_message": "\x1b[1mWaiting\x1b[0m"},
        )

        assert "color_message" not in output.events()[0]


class TestStructlogRouting:
    def test_structlog_loggers_use_joblogs_chain(self, output: Output) -> None:
        """structlog.get_logger() lines come out in joblog's schema with the job context."""
        joblog.configure(renderer="json", stream=output)
        with joblog.bind_job("job-sl"):
            structlog.get_logger("app.db").info("query", rows=3)
            structlog.get_logger().msg("legacy msg")
            try:
                raise OSError("disk full")
            except OSError:
                structlog.get_logger("app.db").exception("write failed")

        query, legacy, failed = output.events()
        assert {
            "level": "info",
            "message": "query",
            "logger": "app.db",
            "job_id": "job-sl",
            "rows": 3,
        } == {k: v for k, v in query.items() if k != "timestamp"}
        assert ("info", "structlog") == (legacy["level"], legacy["logger"])
        assert ("error", "OSError", "disk full") == (
            failed["level"],
            failed["error_type"],
            failed["error_message"],
        )

    def test_structlog_level_follows_configure(self, output: Output) -> None:
        """structlog's loggers drop calls below joblog's level."""
        joblog.configure(renderer="json", stream=output, level="warning")
        structlog.get_logger("x").info("hidden")
        structlog.get_logger("x").warning("shown")

        assert ["shown"] == [e["message"] for e in output.events()]


class TestProcessors:
    def test_extra_processors_run_in_order_and_see_the_schema(self, output: Output) -> None:
        """Extra processors run in order on the schema-ordered event (text under "message")."""
        seen: list[list[str]] = []

        def record_keys(_: Any, __: str, event: Any) -> Any:
            seen.append(list(event))
            return event

        def add_region(_: Any, method: str, event: Any) -> Any:
            event["region"] = "eu-west-1"
            event["method"] = method
            return event

        joblog.configure(renderer="json", stream=output, processors=[record_keys, add_region])
        with joblog.bind_job("job-p"):
            joblog.get_logger("app").warning("m", k=1)
            logging.getLogger("lib").error("n")

        assert [
            ["timestamp", "level", "message", "logger", "job_id", "k"],
            ["timestamp", "level", "message", "logger", "job_id"],
        ] == seen
        assert [("eu-west-1", "warning"), ("eu-west-1", "error")] == [
            (e["region"], e["method"]) for e in output.events()
        ]

    def test_drop_event(self, output: Output) -> None:
        """A processor raising structlog.DropEvent drops the line, on both front ends."""

        def drop_noise(_: Any, __: str, event: Any) -> Any:
            if event["message"].startswith("noise"):
                raise structlog.DropEvent
            return event

        joblog.configure(renderer="json", stream=output, processors=[drop_noise])
        joblog.get_logger("app").info("noise 1")
        logging.getLogger("lib").info("noise 2")
        joblog.get_logger("app").info("signal")

        assert ["signal"] == [e["message"] for e in output.events()]

    def test_raising_processor_writes_a_notice_without_values(self, output: Output) -> None:
        """A failing processor never raises into the app and never leaks the event."""

        def broken(_: Any, __: str, event: Any) -> Any:
            raise RuntimeError(event["message"])

        joblog.configure(renderer="json", stream=output, processors=[broken])
        joblog.get_logger("app").info("password=hunter2")

        event = output.events()[0]
        assert ("error", "joblog", "RuntimeError") == (
            event["level"],
            event["logger"],
            event["error_type"],
        )
        assert "hunter2" not in output.getvalue()


class TestBrokenStreams:
    def test_closed_stream_never_raises(self, capfd: pytest.CaptureFixture[str]) -> None:
        """Writing to a closed stream is reported once on stderr, never raised."""
        stream = io.StringIO()
        joblog.configure(renderer="json", stream=stream)
        stream.close()
        _config._reported = False
        log = joblog.get_logger("app")
        log.info("lost")
        log.info("lost again")
        logging.getLogger("lib").error("lost too")

        assert 1 == capfd.readouterr().err.count("joblog: could not write a log line: ValueError")

    def test_stream_without_flush(self) -> None:
        """A stream with write() but no flush() works."""

        class WriteOnly:
            def __init__(self) -> None:
                self.lines: list[str] = []

            def write(self, text: str) -> None:
                self.lines.append(text)

        stream = WriteOnly()
        joblog.configure(renderer="json", stream=stream)  # type: ignore[arg-type]
        joblog.get_logger("app").info("m")

        assert "m" == json.loads(stream.lines[0])["message"]


class TestRedactArgument:
    def test_custom_redactor_runs_last(self, output: Output) -> None:
        """redact= takes a processor, run after the extra processors, on both front ends."""
        order: list[str] = []

        def extra(_: Any, __: str, event: Any) -> Any:
            order.append("extra")
            event["note"] = "secret-ish"
            return event

        def mask(_: Any, __: str, event: Any) -> Any:
            order.append("redact")
            return {k: ("***" if k == "note" else v) for k, v in event.items()}

        joblog.configure(renderer="json", stream=output, processors=[extra], redact=mask)
        joblog.get_logger("app").info("m")
        logging.getLogger("lib").info("n")

        assert ["extra", "redact", "extra", "redact"] == order
        assert ["***", "***"] == [e["note"] for e in output.events()]

    def test_redactor_alone_on_the_fast_path(self, output: Output) -> None:
        """Without extra processors the redactor still runs (the inlined path)."""

        def mask(_: Any, __: str, event: Any) -> Any:
            event["message"] = "masked"
            return event

        joblog.configure(renderer="json", stream=output, redact=mask)
        joblog.get_logger("app").info("m")

        assert "masked" == output.events()[0]["message"]

    def test_raising_redactor_never_leaks(self, output: Output) -> None:
        """A redactor that raises yields the notice, never the unredacted event."""

        def broken(_: Any, __: str, event: Any) -> Any:
            raise RuntimeError("redactor bug")

        joblog.configure(renderer="json", stream=output, redact=broken)
        joblog.get_logger("app").info("token=abc")

        assert "abc" not in output.getvalue()
        assert "RuntimeError" == output.events()[0]["error_type"]

    def test_processors_without_redaction(self, output: Output) -> None:
        """With redaction off, extra processors still run and nothing else touches the event."""

        def tag(_: Any, __: str, event: Any) -> Any:
            event["tag"] = "password=visible-because-redaction-is-off"
            return event

        joblog.configure(renderer="json", stream=output, processors=[tag], redact=False)
        joblog.get_logger("app").info("m")

        assert "password=visible-because-redaction-is-off" == output.events()[0]["tag"]

    def test_redact_false_and_none(self, output: Output) -> None:
        """redact=False (or None) turns redaction off."""
        for off in (False, None):
            joblog.configure(renderer="json", stream=output, redact=off)  # type: ignore[arg-type]
            assert _config.current().redactor is None


class TestInternals:
    def test_no_stderr_at_all(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """With no sys.__stderr__ (pythonw), a broken stream is silently ignored."""
        stream = io.StringIO()
        joblog.configure(renderer="json", stream=stream)
        stream.close()
        monkeypatch.setattr(_config, "_reported", False)
        monkeypatch.setattr("sys.__stderr__", None)
        joblog.get_logger("app").info("lost")

        assert _config._reported is True

    def test_default_install_when_another_thread_won(self, output: Output) -> None:
        """If a pipeline appears while waiting for the lock, it is kept, not replaced."""
        joblog.configure(renderer="json", stream=output)
        installed = _config.pipeline

        assert installed is _config._install_default()

    def test_uvicorn_loggers_that_do_not_exist_are_not_created(
        self, output: Output, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """configure() only adopts uvicorn's loggers when uvicorn created them."""
        manager = logging.Logger.manager
        for name in ("uvicorn", "uvicorn.error"):
            monkeypatch.delitem(manager.loggerDict, name, raising=False)
        joblog.configure(renderer="json", stream=output, silence=())

        assert "uvicorn" not in manager.loggerDict
