"""The logging front end: JobJsonFormatter on its own and joblog's root handler."""

from __future__ import annotations

import io
import itertools
import json
import logging
import logging.config
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import structlog

import joblog
from joblog.stdlib import JobJsonFormatter, event_from_record

_names = itertools.count()


@pytest.fixture
def formatted() -> Iterator[tuple[logging.Logger, io.StringIO]]:
    """A uniquely named logger with its own handler using JobJsonFormatter."""
    stream = io.StringIO()
    logger = logging.getLogger(f"test.formatter.{next(_names)}")
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JobJsonFormatter())
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    yield logger, stream
    logger.removeHandler(handler)


def events(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


class TestJobJsonFormatter:
    def test_schema_and_context(self, formatted: tuple[logging.Logger, io.StringIO]) -> None:
        """A record becomes joblog's schema with the bound job context and extra fields."""
        logger, stream = formatted
        with joblog.bind_job("job-fmt", user_id="u1"):
            logger.info("Uploaded %s", "videos/final.mp4", extra={"bytes": 1024})

        (event,) = events(stream)
        assert ["timestamp", "level", "message", "logger", "job_id", "user_id", "bytes"] == list(
            event
        )
        assert ("info", "Uploaded videos/final.mp4", logger.name, "job-fmt", 1024) == (
            event["level"],
            event["message"],
            event["logger"],
            event["job_id"],
            event["bytes"],
        )

    def test_in_dict_config(self) -> None:
        """JobJsonFormatter works in logging.config.dictConfig, as uvicorn --log-config uses it."""
        stream = io.StringIO()
        logging.config.dictConfig(
            {
                "version": 1,
                "disable_existing_loggers": False,
                "formatters": {"json": {"()": "joblog.JobJsonFormatter"}},
                "handlers": {
                    "out": {
                        "class": "logging.StreamHandler",
                        "formatter": "json",
                        "stream": stream,
                    },
                },
                "loggers": {
                    "dictconfig.test": {"handlers": ["out"], "level": "INFO", "propagate": False}
                },
            }
        )
        logger = logging.getLogger("dictconfig.test")
        try:
            with joblog.bind_job("job-dc"):
                logger.warning("from dictConfig")
        finally:
            logger.handlers.clear()

        (event,) = events(stream)
        assert ("warning", "from dictConfig", "job-dc") == (
            event["level"],
            event["message"],
            event["job_id"],
        )

    def test_exception_fields(self, formatted: tuple[logging.Logger, io.StringIO]) -> None:
        """logger.exception() adds error_type, error_message and exception."""
        logger, stream = formatted
        try:
            raise ConnectionError("Kling API error: 503")
        except ConnectionError:
            logger.exception("Scene failed")

        (event,) = events(stream)
        assert ("error", "ConnectionError", "Kling API error: 503") == (
            event["level"],
            event["error_type"],
            event["error_message"],
        )
        assert event["exception"].endswith("ConnectionError: Kling API error: 503")

    def test_stack_info_and_custom_levels(
        self, formatted: tuple[logging.Logger, io.StringIO]
    ) -> None:
        """stack_info is kept as "stack"; a custom level is written lowercase."""
        logger, stream = formatted
        logger.log(25, "notice", stack_info=True)

        (event,) = events(stream)
        assert "level 25" == event["level"]
        assert event["stack"].startswith("Stack (most recent call last):")

    @pytest.mark.parametrize(
        ("msg", "args", "expected"),
        [
            ("needs %d", ("str",), "needs %d ('str',)"),
            ({"a": 1}, None, "{'a': 1}"),
            ("%(k)s", ({"k": "mapping"},), "mapping"),
        ],
    )
    def test_bad_args_and_non_string_messages(self, msg: Any, args: Any, expected: str) -> None:
        """Mismatched %-args and non-string messages never raise."""
        # Formatted directly: pytest's own capture handler would raise on the bad args.
        record = logging.LogRecord("r", logging.INFO, __file__, 1, msg, args, None)

        assert expected == json.loads(JobJsonFormatter().format(record))["message"]

    def test_schema_key_extras_are_renamed(
        self, formatted: tuple[logging.Logger, io.StringIO]
    ) -> None:
        """An extra field named like a schema key becomes fields.<name>."""
        logger, stream = formatted
        logger.info("m", extra={"level": "custom", "logger": "other", "timestamp": 1})

        (event,) = events(stream)
        assert ("info", logger.name, "custom", "other", 1) == (
            event["level"],
            event["logger"],
            event["fields.level"],
            event["fields.logger"],
            event["fields.timestamp"],
        )

    def test_uses_the_configured_processors(
        self, formatted: tuple[logging.Logger, io.StringIO]
    ) -> None:
        """The formatter runs the processors given to configure()."""
        logger, stream = formatted

        def tag(_: Any, __: str, event: Any) -> Any:
            event["tagged"] = True
            return event

        joblog.configure(renderer="json", stream=io.StringIO(), processors=[tag], stdlib=False)
        logger.info("m")

        assert events(stream)[0]["tagged"] is True

    def test_dropped_record_becomes_a_notice(
        self, formatted: tuple[logging.Logger, io.StringIO]
    ) -> None:
        """A formatter cannot drop a record: it writes a notice without the record's values."""
        logger, stream = formatted

        def drop(_: Any, __: str, event: Any) -> Any:
            raise structlog.DropEvent

        joblog.configure(renderer="json", stream=io.StringIO(), processors=[drop], stdlib=False)
        logger.info("token=abc")

        (event,) = events(stream)
        assert "joblog: a processor dropped this record" == event["message"]
        assert "abc" not in stream.getvalue()

    def test_ignores_python_json_logger_options(self) -> None:
        """python-json-logger's own options are accepted; the schema stays joblog's."""
        stream = io.StringIO()
        handler = logging.StreamHandler(stream)
        handler.setFormatter(
            JobJsonFormatter("%(levelname)s %(message)s", rename_fields={"levelname": "severity"})
        )
        record = logging.LogRecord("opt", logging.INFO, __file__, 1, "hello", None, None)
        handler.handle(record)

        assert ["timestamp", "level", "message", "logger"] == list(events(stream)[0])


class TestEventFromRecord:
    def test_record_time_is_the_timestamp(self) -> None:
        """The timestamp is the record's creation time, not the formatting time."""
        record = logging.LogRecord("r", logging.INFO, __file__, 1, "m", None, None)
        record.created = 0.5

        assert "1970-01-01T00:00:00.500Z" == event_from_record(record)["timestamp"]

    def test_record_with_a_formatted_message_attribute(self) -> None:
        """Attributes a formatter adds (message, asctime) are not taken for extra fields."""
        record = logging.LogRecord("r", logging.INFO, __file__, 1, "m %s", ("x",), None)
        logging.Formatter("%(asctime)s %(message)s").format(record)
        record.custom = "kept"

        event = event_from_record(record)
        assert "m x" == event["message"]
        assert "kept" == event["custom"]
        assert "asctime" not in event

    def test_make_log_record(self) -> None:
        """Records rebuilt with logging.makeLogRecord (socket/queue handlers) keep their extras."""
        record = logging.makeLogRecord(
            {"name": "q", "msg": "m", "levelno": 30, "levelname": "WARNING", "scene": 2}
        )

        event = event_from_record(record)
        assert ("warning", 2) == (event["level"], event["scene"])


class TestRootHandler:
    def test_same_output_as_the_formatter(
        self, formatted: tuple[logging.Logger, io.StringIO]
    ) -> None:
        """configure()'s root handler writes exactly what JobJsonFormatter writes."""
        logger, formatter_stream = formatted
        root_stream = io.StringIO()
        joblog.configure(renderer="json", stream=root_stream)
        logger.propagate = True
        with joblog.bind_job("job-same"):
            logger.info("same %s", "line", extra={"k": [1, 2]})

        from_formatter = events(formatter_stream)[0]
        from_root = events(root_stream)[0]
        assert from_formatter == from_root

    def test_failure_while_building_the_event(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """If a record cannot be turned into an event, a notice is written and nothing raises."""
        stream = io.StringIO()
        joblog.configure(renderer="json", stream=stream)
        from joblog import stdlib

        def broken(_: logging.LogRecord) -> dict[str, Any]:
            raise RuntimeError("broken")

        monkeypatch.setattr(stdlib, "event_from_record", broken)
        logging.getLogger("lib").warning("m")
        formatter_line = JobJsonFormatter().format(
            logging.LogRecord("f", logging.INFO, __file__, 1, "m", None, None)
        )

        assert "RuntimeError" == events(stream)[0]["error_type"]
        assert "RuntimeError" == json.loads(formatter_line)["error_type"]


class TestUvicornLogConfig:
    def test_example_file_routes_uvicorn_through_the_formatter(
        self, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """examples/uvicorn-log-config.json (for uvicorn --log-config) writes joblog JSON."""
        config = json.loads(
            (Path(__file__).parent.parent / "examples" / "uvicorn-log-config.json").read_text()
        )
        logging.config.dictConfig(config)
        root = logging.getLogger()
        added = root.handlers[-1]
        try:
            with joblog.bind_job("job-uv"):
                logging.getLogger("uvicorn.error").info("Application startup complete.")
                logging.getLogger("uvicorn.access").info("GET /health 200")
        finally:
            root.removeHandler(added)

        lines = capsys.readouterr().out.splitlines()
        assert [("uvicorn.error", "Application startup complete.", "job-uv")] == [
            (e["logger"], e["message"], e["job_id"]) for e in map(json.loads, lines)
        ]
