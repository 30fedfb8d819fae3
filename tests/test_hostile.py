"""A logging call never raises and never crashes, whatever the values (hostile ones included)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
import structlog

import joblog

from .conftest import Output
from .hostile_values import HOSTILE

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = ("timestamp", "level", "message", "logger")


def run_python(code: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run *code* in a fresh interpreter, so a crash fails a test instead of killing pytest."""
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def assert_line(line: str, logger: str = "app.x") -> dict[str, Any]:
    event = json.loads(line)
    assert list(SCHEMA) == list(event)[:4]
    assert logger == event["logger"]
    assert "job-hostile" == event["job_id"]
    return dict(event)


class TestInAnotherProcess:
    """Each hostile value, alone and all nested together, in a child interpreter."""

    @pytest.mark.parametrize("renderer", ["json", "console"])
    @pytest.mark.parametrize("redact", [True, False])
    def test_no_crash_no_raise(self, renderer: str, redact: bool) -> None:
        """The child writes one line per call and exits normally (no SIGSEGV, no exception)."""
        result = run_python(
            f"""
            import io, sys
            import joblog
            from tests.hostile_values import HOSTILE

            out = io.StringIO()
            joblog.configure(stream=out, renderer={renderer!r}, redact={redact!r})
            log = joblog.get_logger("app.x")
            with joblog.bind_job("job-hostile"):
                for name, make in HOSTILE.items():
                    log.info(name, value=make())
                values = [make() for make in HOSTILE.values()]
                log.info("all", nested={{"list": values, "tuple": tuple(values)}})
            sys.stdout.write(out.getvalue())
            """
        )
        assert 0 == result.returncode, result.stderr
        lines = result.stdout.splitlines()
        assert len(HOSTILE) + 1 == len(lines)
        if renderer == "json":
            for line in lines:
                assert_line(line)

    def test_hypothesis_property(self) -> None:
        """Any value built from hostile pieces (nested at random) yields one valid JSON line."""
        result = run_python(
            """
            import io, json
            from hypothesis import given, settings, HealthCheck, strategies as st
            import joblog
            from tests.hostile_values import HOSTILE

            class Piece:
                # A recipe for a hostile value, built only inside the test:
                # hypothesis itself must be able to print what it drew.
                def __init__(self, name):
                    self.name = name

                def __repr__(self):
                    return f"Piece({self.name!r})"

            def build(recipe):
                if isinstance(recipe, Piece):
                    return HOSTILE[recipe.name]()
                if isinstance(recipe, list):
                    return [build(item) for item in recipe]
                if isinstance(recipe, tuple):
                    return tuple(build(item) for item in recipe)
                if isinstance(recipe, dict):
                    return {key: build(item) for key, item in recipe.items()}
                return recipe

            piece = st.sampled_from(sorted(HOSTILE)).map(Piece)
            leaf = piece | st.integers() | st.text() | st.binary() | st.none() | st.floats()
            value = st.recursive(
                leaf,
                lambda kids: st.lists(kids, max_size=4)
                | st.tuples(kids, kids)
                | st.dictionaries(st.text(max_size=5), kids, max_size=4),
                max_leaves=12,
            )

            @settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
            @given(recipe=value, redact=st.booleans())
            def check(recipe, redact):
                value = build(recipe)
                out = io.StringIO()
                joblog.configure(stream=out, renderer="json", redact=redact)
                with joblog.bind_job("job-hostile"):
                    joblog.get_logger("app.x").info("m", value=value)
                lines = out.getvalue().splitlines()
                assert 1 == len(lines), lines
                event = json.loads(lines[0])
                assert ["timestamp", "level", "message", "logger"] == list(event)[:4]
                assert "job-hostile" == event["job_id"]

            check()
            print("ok")
            """,
            timeout=300,
        )
        assert 0 == result.returncode, result.stderr
        assert "ok" == result.stdout.strip()


class TestInProcess:
    @pytest.mark.parametrize("name", sorted(HOSTILE))
    @pytest.mark.parametrize("redact", [True, False])
    def test_each_value(self, configured: Any, name: str, redact: bool) -> None:
        """One valid line with the schema fields, the logger and the job id."""
        out: Output = configured(redact=redact)
        with joblog.bind_job("job-hostile"):
            joblog.get_logger("app.x").info("m", value=HOSTILE[name](), after="kept")

        assert 1 == len(out.lines())
        assert_line(out.lines()[0])

    def test_values_become_placeholders_not_crashes(self, configured: Any) -> None:
        """Without redaction each hostile value is written as a placeholder of its type."""
        out: Output = configured(redact=False)
        with joblog.bind_job("job-hostile"):
            joblog.get_logger("app.x").info(
                "m",
                when=HOSTILE["datetime_tz"](),
                member=HOSTILE["enum_value"](),
                big=HOSTILE["huge_int"](),
                view=HOSTILE["released_memoryview"](),
            )

        event = assert_line(out.lines()[0])
        assert "<unrepresentable datetime>" == event["when"]
        assert "<unrepresentable HostileEnum>" == event["member"]
        assert "<int of 16610 bits>" == event["big"]
        assert "<unrepresentable memoryview>" == event["view"]
        assert "m" == event["message"]

    def test_console_renders_hostile_values(self, output: Output) -> None:
        """The console renderer survives them too."""
        joblog.configure(stream=output, renderer="console", redact=False)
        with joblog.bind_job("job-hostile"):
            joblog.get_logger("app.x").info("m", value=HOSTILE["dataclass_getattribute"]())

        assert output.lines()[0].endswith(' value="<unrepresentable HostileDataclass>"')

    def test_stdlib_extra(self, configured: Any) -> None:
        """A hostile ``extra`` field on a stdlib record gives one valid line too."""
        import logging

        out: Output = configured()
        with joblog.bind_job("job-hostile"):
            logging.getLogger("app.x").warning("m", extra={"value": HOSTILE["enum_value"]()})

        assert_line(out.lines()[0])


class TestReplacementLines:
    """Every line joblog writes in place of an event has the schema fields and the job id."""

    def test_redaction_failure(self, configured: Any) -> None:
        """Redaction that fails keeps the logger and the bound job id on its replacement line."""
        out: Output = configured()
        with joblog.bind_job("job-hostile"):
            joblog.get_logger("app.x").info("m", value=HOSTILE["set_subclass"]())

        event = assert_line(out.lines()[0])
        assert "error" == event["level"]
        assert "redaction failed" in event["message"]

    def test_redaction_failure_with_a_strange_logger_name(self, configured: Any) -> None:
        """A logger name that is not a dotted name is not carried over: it could be data."""
        out: Output = configured()
        with joblog.bind_job("job-hostile"):
            joblog.get_logger("user token=abc").info("m", value=HOSTILE["set_subclass"]())

        assert_line(out.lines()[0], logger="joblog")

    def test_custom_redactor_returning_a_bare_dict(self, configured: Any) -> None:
        """A redactor's new dict without the schema fields gets them, in schema order."""

        def redactor(_: Any, __: str, event: Any) -> dict[str, Any]:
            return {"note": "withheld"}

        out: Output = configured(redact=redactor)
        with joblog.bind_job("job-hostile"):
            joblog.get_logger("app.x").info("m", secret="x")

        event = assert_line(out.lines()[0])
        assert {"error", "withheld"} == {event["level"], event["note"]}
        assert "secret" not in event

    def test_custom_redactor_returning_a_broken_mapping(self, configured: Any) -> None:
        """A redactor's result that cannot even be read still leaves one valid line."""

        class Broken(dict[str, Any]):
            def __iter__(self) -> Any:
                raise RuntimeError("unreadable")

            def get(self, *_: Any) -> Any:
                raise RuntimeError("unreadable")

            def keys(self) -> Any:
                raise RuntimeError("unreadable")

        def redactor(_: Any, __: str, event: Any) -> Broken:
            return Broken(x=1)

        out: Output = configured(redact=redactor)
        with joblog.bind_job("job-hostile"):
            joblog.get_logger("app.x").info("m")

        assert_line(out.lines()[0])

    def test_processor_failure(self, configured: Any) -> None:
        """A processor that raises yields a replacement line with the job id."""

        def broken(_: Any, __: str, event: Any) -> Any:
            raise RuntimeError("processor bug")

        out: Output = configured(processors=[broken])
        with joblog.bind_job("job-hostile"):
            joblog.get_logger("app.x").info("m", secret="hunter2")

        event = assert_line(out.lines()[0], logger="joblog")
        assert "RuntimeError" == event["error_type"]

    def test_renderer_failure(self, output: Output) -> None:
        """A value that breaks even the fallback rendering leaves a replacement line."""

        class Weird(dict[str, Any]):
            def items(self) -> Any:
                raise RuntimeError("no items")

            def get(self, *_: Any) -> Any:
                raise RuntimeError("no get")

        def to_weird(_: Any, __: str, event: Any) -> Any:
            return Weird(event)

        joblog.configure(stream=output, renderer="console", processors=[to_weird], redact=False)
        with joblog.bind_job("job-hostile"):
            joblog.get_logger("app.x").info("m")

        line = output.lines()[0]
        assert "ERROR" in line
        assert "job_id=job-hostile" in line

    def test_dropped_from_a_processor_is_still_dropped(self, configured: Any) -> None:
        """DropEvent is not a failure: nothing is written."""

        def drop(_: Any, __: str, event: Any) -> Any:
            raise structlog.DropEvent

        out: Output = configured(processors=[drop])
        joblog.get_logger("app.x").info("m")

        assert [] == out.lines()


class TestOddShapes:
    def test_subclassed_keys_and_floats(self, configured: Any) -> None:
        """str-subclass keys and float subclasses in nested data are written as plain values."""

        class Ratio(float):
            pass

        out: Output = configured(redact=False)
        with joblog.bind_job("job-hostile"):
            joblog.get_logger("app.x").info(
                "m", nested={HOSTILE["str_subclass"](): Ratio(0.5), "big": 2**70}
            )

        event = assert_line(out.lines()[0])
        assert {"text": 0.5, "big": "1180591620717411303424"} == event["nested"]

    def test_a_redactor_may_drop(self, configured: Any) -> None:
        """A redactor raising DropEvent drops the event, as a processor may."""

        def dropping(_: Any, __: str, event: Any) -> Any:
            raise structlog.DropEvent

        out: Output = configured(redact=dropping)
        joblog.get_logger("app.x").info("m")

        assert [] == out.lines()

    def test_replacement_after_a_processor_broke_the_event(self, configured: Any) -> None:
        """The replacement line's logger falls back to joblog when the event cannot be read."""

        class Unreadable(dict[str, Any]):
            def get(self, *_: Any) -> Any:
                raise RuntimeError("unreadable")

        def to_unreadable(_: Any, __: str, event: Any) -> Any:
            return Unreadable(event)

        def withholding(_: Any, __: str, event: Any) -> dict[str, Any]:
            return {}

        out: Output = configured(processors=[to_unreadable], redact=withholding)
        with joblog.bind_job("job-hostile"):
            joblog.get_logger("app.x").info("m")

        assert_line(out.lines()[0], logger="joblog")

    def test_cli_table_cells_keep_non_ascii_text(self) -> None:
        """Escaped text still carries ordinary non-ASCII characters into the CLI's table."""
        from joblog.cli.output import _cell

        assert "café \\ud800" == _cell("café \ud800")
