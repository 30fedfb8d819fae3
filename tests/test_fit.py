"""configure(max_line_bytes=...): an over-long event is shrunk, largest strings first."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import joblog
from joblog._fit import DEFAULT_MAX_LINE_BYTES, fit_line
from joblog.render import ConsoleRenderer, dumps

from .conftest import Output

SCHEMA = ["timestamp", "level", "message", "logger"]


def size(line: str) -> int:
    return len(line.encode())


class TestDefault:
    def test_default_is_docker_line_size(self, configured: Any) -> None:
        """By default no line is longer than 16 KiB, newline included."""
        out: Output = configured()
        with joblog.bind_job("job-fit"):
            joblog.get_logger("app").info("m", blob="x" * 100_000)

        line = out.getvalue()
        assert 16_384 == DEFAULT_MAX_LINE_BYTES
        assert size(line) <= DEFAULT_MAX_LINE_BYTES
        event = json.loads(line)
        assert "job-fit" == event["job_id"]
        assert "bytes cut]" in event["blob"]

    def test_short_lines_are_untouched(self, configured: Any) -> None:
        """A line under the limit is written as it is."""
        out: Output = configured(max_line_bytes=1024)
        joblog.get_logger("app").info("m", text="y" * 200)

        assert "y" * 200 == out.events()[0]["text"]


class TestShrinking:
    def test_largest_string_goes_first_and_keeps_head_and_tail(self, configured: Any) -> None:
        """The traceback (the largest string) loses its middle; smaller strings stay whole."""
        out: Output = configured(max_line_bytes=4096)
        log = joblog.get_logger("app")
        with joblog.bind_job("job-fit"):
            try:
                raise ValueError("x" * 20_000)
            except ValueError:
                log.exception("Scene failed", note="n" * 500)

        event = out.events()[0]
        assert SCHEMA == list(event)[:4]
        assert size(out.getvalue()) <= 4096
        assert "n" * 500 == event["note"]
        assert event["exception"].startswith("Traceback")
        assert "bytes cut]" in event["exception"]
        assert "job-fit" == event["job_id"]

    def test_marker_says_how_much_was_cut(self) -> None:
        """The marker counts the bytes removed."""
        line = fit_line({"message": "m", "blob": "z" * 10_000}, dumps, 2048)
        blob = json.loads(line)["blob"]
        cut = int(blob.split("[... ")[1].split(" bytes cut]")[0])
        assert 10_000 == cut + blob.count("z")

    def test_nested_strings_are_cut_too(self) -> None:
        """Strings inside lists and dicts count."""
        line = fit_line({"message": "m", "d": {"l": ["a" * 8000, "b" * 3000]}}, dumps, 4096)
        event = json.loads(line)
        assert size(line) <= 4096
        assert "bytes cut]" in event["d"]["l"][0]

    @pytest.mark.parametrize(
        "payload",
        [list(range(1_000_000)), {"items": tuple(range(100_000))}, [[0] * 10_000]],
        ids=["list", "nested tuple", "nested list"],
    )
    def test_a_container_that_cannot_fit_is_replaced_whole(self, payload: Any) -> None:
        """A list of a million numbers gives way to a marker; the line keeps the rest."""
        event = {"message": "batch", "logger": "app", "job_id": "job-fit", "scene": 1}
        line = fit_line({**event, "payload": payload}, dumps, 4096)
        out = json.loads(line)

        assert size(line) <= 4096
        assert {**event, "payload": out["payload"]} == out
        assert "items cut]" in json.dumps(out["payload"])

    def test_many_small_fields_fall_back_to_the_schema_fields(self) -> None:
        """When no string is big enough to cut, the schema fields and job id remain."""
        event = {
            "timestamp": "2026-01-01T00:00:00.000Z",
            "level": "info",
            "message": "m",
            "logger": "app",
            "job_id": "job-fit",
            **{f"k{i}": i for i in range(2000)},
        }
        line = fit_line(event, dumps, 1024)
        out = json.loads(line)
        assert [*SCHEMA, "job_id", "truncated"] == list(out)
        assert size(line) <= 1024

    def test_console_lines_are_fitted_too(self, output: Output) -> None:
        """The limit holds for the console renderer as well."""
        joblog.configure(stream=output, renderer="console", max_line_bytes=2048)
        joblog.get_logger("app").info("m", blob="q" * 50_000)

        assert size(output.getvalue()) <= 2048
        assert "bytes cut]" in output.getvalue()

    def test_stdlib_records_and_the_formatter(self, configured: Any) -> None:
        """stdlib records are fitted, also through JobJsonFormatter."""
        out: Output = configured(max_line_bytes=2048)
        logging.getLogger("lib").warning("big %s", "w" * 10_000)
        assert size(out.getvalue()) <= 2048
        line = joblog.JobJsonFormatter().format(
            logging.LogRecord("lib", 30, __file__, 1, "big %s", ("w" * 10_000,), None)
        )
        assert size(line) <= 2048
        assert "bytes cut]" in json.loads(line)["message"]

    def test_multibyte_text(self) -> None:
        """Cuts respect UTF-8: the result decodes and fits."""
        line = fit_line({"message": "m", "t": "é" * 10_000 + "€" * 5000}, dumps, 2048)
        assert size(line) <= 2048
        json.loads(line)

    @settings(max_examples=60, deadline=None)
    @given(
        fields=st.dictionaries(
            st.text(max_size=8),
            st.text(max_size=3000) | st.integers() | st.lists(st.text(max_size=2000), max_size=4),
            max_size=12,
        ),
        limit=st.integers(1024, 8192),
        console=st.booleans(),
    )
    def test_property_always_fits_and_parses(
        self, fields: dict[str, Any], limit: int, console: bool
    ) -> None:
        """Any event comes out within the limit, valid, with the schema fields and job id."""
        event = {
            "timestamp": "2026-01-01T00:00:00.000Z",
            "level": "info",
            "message": "m" * 500,
            "logger": "app",
            "job_id": "job-fit",
            **{f"f_{k}": v for k, v in fields.items()},
        }
        render = ConsoleRenderer() if console else dumps
        line = fit_line(event, render, limit)
        assert size(line) <= limit
        if not console:
            out = json.loads(line)
            assert SCHEMA == list(out)[:4]
            assert "job-fit" == out["job_id"]


class TestValidation:
    @pytest.mark.parametrize("bad", [0, 100, 1023, "16k", 2.5, True])
    def test_bad_values(self, bad: object) -> None:
        """Too small or not an int: ValueError naming the value."""
        with pytest.raises(ValueError, match="max_line_bytes"):
            joblog.configure(max_line_bytes=bad)  # type: ignore[arg-type]

    def test_none_turns_the_limit_off(self, configured: Any) -> None:
        """None writes lines of any size."""
        out: Output = configured(max_line_bytes=None)
        joblog.get_logger("app").info("m", blob="x" * 100_000)

        assert "x" * 100_000 == out.events()[0]["blob"]


def test_many_medium_strings_end_in_the_skeleton() -> None:
    """When cutting string after string is not enough, the schema fields remain."""
    event = {"message": "m", "logger": "app", **{f"k{i}": "s" * 60 for i in range(500)}}
    line = fit_line(event, dumps, 1024)
    assert size(line) <= 1024
    assert "truncated" in json.loads(line)
