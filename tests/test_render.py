"""The output schema, safe encoding of every value type, and both renderers."""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import io
import json
import re
import uuid
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import joblog
from joblog.render import ConsoleRenderer, JSONRenderer, dumps, format_timestamp, to_jsonable

from .conftest import Output

TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
LINE_BREAKERS = ["\n", "\r", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029"]


class Color(enum.Enum):
    RED = "red"


@dataclasses.dataclass
class Point:
    x: int
    y: int


class Unrepresentable:
    def __repr__(self) -> str:
        raise RuntimeError("no repr for you")


class Unprintable(Exception):
    def __str__(self) -> str:
        raise RuntimeError("no str either")


class TestSchema:
    def test_schema_keys_first_in_order(self, configured: Any) -> None:
        """timestamp, level, message, logger lead every line, in that order."""
        out = configured()
        with joblog.bind_job("job-abc123"):
            joblog.get_logger("app.generate").info("Scene details", scene_number=1, duration=5)

        line = out.lines()[0]
        event = json.loads(line)
        assert [
            "timestamp",
            "level",
            "message",
            "logger",
            "job_id",
            "scene_number",
            "duration",
        ] == (list(event))
        assert TIMESTAMP.match(event["timestamp"])
        assert {
            "level": "info",
            "message": "Scene details",
            "logger": "app.generate",
            "job_id": "job-abc123",
            "scene_number": 1,
            "duration": 5,
        } == {k: v for k, v in event.items() if k != "timestamp"}

    def test_one_newline_terminated_line_per_event(self, configured: Any) -> None:
        """Each call writes exactly one line, ending in a newline."""
        out = configured()
        log = joblog.get_logger("x")
        log.info("one")
        log.warning("two", detail="a\nb")

        assert out.getvalue().endswith("\n")
        assert 2 == out.getvalue().count("\n")

    @pytest.mark.parametrize(
        ("method", "level"),
        [
            ("debug", "debug"),
            ("info", "info"),
            ("warning", "warning"),
            ("warn", "warning"),
            ("error", "error"),
            ("critical", "critical"),
            ("fatal", "critical"),
        ],
    )
    def test_levels_are_lowercase_names(self, configured: Any, method: str, level: str) -> None:
        """Every level method writes its lowercase level name."""
        out = configured()
        getattr(joblog.get_logger("x"), method)("hello")

        assert level == out.events()[0]["level"]

    def test_numbers_and_booleans_keep_their_type(self, configured: Any) -> None:
        """Numbers stay numbers and booleans stay booleans."""
        out = configured()
        joblog.get_logger("x").info("m", n=3, f=2.5, ok=True, none=None, neg=-(2**63))

        event = out.events()[0]
        assert (3, 2.5, True, None, -(2**63)) == (
            event["n"],
            event["f"],
            event["ok"],
            event["none"],
            event["neg"],
        )


class TestValueEncoding:
    """Every value type encodes to something safe, and a line is always produced."""

    @pytest.mark.parametrize(
        ("value", "expected"),
        [
            (
                dt.datetime(2026, 11, 23, 10, 15, 30, 123000, tzinfo=dt.timezone.utc),
                "2026-11-23T10:15:30.123000Z",
            ),
            (dt.datetime(2026, 11, 23, 10, 15, 30), "2026-11-23T10:15:30"),
            (dt.date(2026, 11, 23), "2026-11-23"),
            (dt.timedelta(minutes=1, milliseconds=500), 60.5),
            (b"caf\xc3\xa9", "café"),
            (b"\xff\xfe", "\\xff\\xfe"),
            (bytearray(b"ab"), "ab"),
            ({3, 1, 2}, [1, 2, 3]),
            (frozenset({"b", "a"}), ["a", "b"]),
            ({1, "a"}, None),  # unorderable members: any order, checked below
            (Color.RED, "red"),
            (Decimal("10.10"), "10.10"),
            (Point(1, 2), {"x": 1, "y": 2}),
            (ValueError("bad value"), "ValueError: bad value"),
            (uuid.UUID(int=1), "00000000-0000-0000-0000-000000000001"),
            ((1, "two"), [1, "two"]),
            (2**64, "18446744073709551616"),
            (float("nan"), None),
        ],
    )
    def test_value(self, configured: Any, value: object, expected: object) -> None:
        """A value of each type renders to its documented JSON form."""
        out = configured()
        joblog.get_logger("x").info("m", value=value)

        rendered = out.events()[0]["value"]
        if expected is None and isinstance(value, set):
            assert sorted(map(str, value)) == sorted(map(str, rendered))
        else:
            assert expected == rendered

    def test_unknown_object_uses_repr(self, configured: Any) -> None:
        """An unknown object is written as its repr."""
        out = configured()

        class Thing:
            def __repr__(self) -> str:
                return "<Thing 7>"

        joblog.get_logger("x").info("m", thing=Thing())

        assert "<Thing 7>" == out.events()[0]["thing"]

    def test_raising_repr_and_str(self, configured: Any) -> None:
        """Objects whose repr or str raise still give one valid line."""
        out = configured()
        joblog.get_logger("x").info("m", a=Unrepresentable(), b=Unprintable())

        event = out.events()[0]
        assert "<unrepresentable Unrepresentable>" == event["a"]
        assert "Unprintable: <unprintable Unprintable>" == event["b"]

    @pytest.mark.parametrize("redact", [True, False])
    def test_cycle(self, configured: Any, redact: bool) -> None:
        """A self-referencing structure gives one valid line with a marker (either stage)."""
        out = configured(redact=redact)
        cyclic: list[Any] = [1]
        cyclic.append(cyclic)
        loop: dict[str, Any] = {"name": "loop"}
        loop["self"] = loop
        joblog.get_logger("x").info("m", cyclic=cyclic, loop=loop, after="kept")

        event = out.events()[0]
        assert [1, "[cycle]"] == event["cyclic"]
        assert {"name": "loop", "self": "[cycle]"} == event["loop"]
        assert "kept" == event["after"]

    def test_deep_nesting_is_cut(self, configured: Any) -> None:
        """Nesting deeper than orjson allows is cut with a marker, not raised."""
        out = configured(redact=False)  # redaction cuts deeper trees itself, earlier
        deep: list[Any] = []
        node = deep
        for _ in range(300):
            child: list[Any] = []
            node.append(child)
            node = child
        joblog.get_logger("x").info("m", deep=deep)

        assert "[...]" in out.lines()[0]
        assert "m" == out.events()[0]["message"]

    def test_huge_string(self, configured: Any) -> None:
        """A 200 kB string still yields one complete, valid line (with the size limit off)."""
        out = configured(max_line_bytes=None)
        big = "x" * 200_000
        joblog.get_logger("x").info("m", big=big)

        assert 1 == len(out.lines())
        assert big == out.events()[0]["big"]

    def test_lone_surrogate_and_non_str_keys(self, configured: Any) -> None:
        """Invalid surrogates and non-string keys are made safe, not raised."""
        out = configured()
        joblog.get_logger("x").info("m", s="a\udcffb", d={1: "one", (2, 3): "pair"})

        event = out.events()[0]
        assert "a\\udcffb" == event["s"]
        assert {"1": "one", "(2, 3)": "pair"} == event["d"]

    def test_mapping_whose_items_raise(self, configured: Any) -> None:
        """A broken Mapping subclass is written as its repr."""
        out = configured()

        class Broken(dict[str, int]):
            def items(self) -> Any:
                raise RuntimeError("nope")

            def __repr__(self) -> str:
                return "Broken()"

        joblog.get_logger("x").info("m", broken=Broken(a=1), big=2**70)

        assert "Broken()" == out.events()[0]["broken"]

    def test_dataclass_with_raising_field(self) -> None:
        """A dataclass whose field cannot be read falls back to its repr."""

        @dataclasses.dataclass
        class Lazy:
            x: int

            def __getattribute__(self, name: str) -> Any:
                if name == "x":
                    raise RuntimeError("unreadable")
                return super().__getattribute__(name)

        assert to_jsonable(Lazy.__new__(Lazy)).startswith("<unrepresentable")

    def test_enum_datetime_and_set_in_slow_path(self) -> None:
        """The slow path (used after orjson refuses) keeps rich types readable."""
        when = dt.datetime(2026, 1, 2, 3, 4, 5)
        assert {
            "c": "red",
            "when": "2026-01-02T03:04:05",
            "s": [1, 2],
            "p": {"x": 1, "y": 2},
            "big": "1180591620717411303424",
            "small": 7,
            "flags": [None, True, 1.5],
            "obj": "Color.RED",
        } == to_jsonable(
            {
                "c": Color.RED,
                "when": when,
                "s": {2, 1},
                "p": Point(1, 2),
                "big": 2**70,
                "small": 7,
                "flags": (None, True, 1.5),
                "obj": _Repr("Color.RED"),
            }
        )


class _Repr:
    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return self.text


class TestLineInjection:
    """No value can split a line or forge another one, in either renderer."""

    @pytest.mark.parametrize("breaker", LINE_BREAKERS)
    def test_json_escapes_line_breakers(self, configured: Any, breaker: str) -> None:
        """Line terminators and U+0085/U+2028/U+2029 never reach the output raw."""
        out = configured()
        forged = f'ok{breaker}{{"level":"critical","message":"forged"}}'
        joblog.get_logger("x").info(forged, field=forged, **{f"k{breaker}": forged})

        text = out.getvalue()
        assert 1 == len(text.splitlines())  # str.splitlines knows every Unicode break
        assert breaker not in text[:-1]
        event = out.events()[0]
        assert forged == event["message"] == event["field"]

    @pytest.mark.parametrize("breaker", [*LINE_BREAKERS, "\x1b", "\x00", "\x7f", "\x9b"])
    def test_console_escapes_control_characters(self, breaker: str) -> None:
        """The console renderer escapes every control character, in message, keys and values."""
        stream = io.StringIO()
        joblog.configure(renderer="console", stream=stream)
        forged = f"ok{breaker}INFO  forged"
        joblog.get_logger("x").info(forged, field=forged, **{f"k{breaker}": 1})

        text = stream.getvalue()
        assert 1 == len(text.splitlines())
        assert breaker not in text[:-1]
        assert "ok\\" in text

    def test_console_layout(self) -> None:
        """The console shows time, a 5-column level, the padded message, then key=value."""
        line = ConsoleRenderer(timestamps=False)(
            {
                "timestamp": "2026-11-23T10:15:30.123Z",
                "level": "info",
                "message": "Scene details",
                "logger": "app",
                "job_id": "job-abc123",
                "scene_number": 1,
                "prompt": "a cat, on a mat",
                "tags": ["a"],
            }
        )
        assert (
            "INFO  Scene details                    job_id=job-abc123 scene_number=1 "
            'prompt="a cat, on a mat" tags=["a"]\n'
        ) == line

    def test_console_timestamp_and_levels(self) -> None:
        """The clock part of the timestamp is shown; warning prints as WARN."""
        line = ConsoleRenderer(pad_message=0)(
            {"timestamp": "2026-11-23T10:15:30.123Z", "level": "warning", "message": "Retrying"}
        )
        assert "10:15:30.123 WARN  Retrying\n" == line

    def test_console_unknown_level_and_short_timestamp(self) -> None:
        """Odd levels and timestamps are shown as they are, still escaped."""
        line = ConsoleRenderer(pad_message=0)(
            {"timestamp": "now", "level": "trace\n", "message": "m"}
        )
        assert "now TRACE\\x0a m\n" == line

    def test_console_colors_only_when_asked(self) -> None:
        """Colors appear only with colors=True."""
        event = {"timestamp": "2026-11-23T10:15:30.123Z", "level": "error", "message": "m", "k": 1}
        assert "\x1b[" not in ConsoleRenderer()(event)
        colored = ConsoleRenderer(colors=True)(event)
        assert "\x1b[31mERROR\x1b[0m" in colored
        assert 1 == len(colored.splitlines())

    def test_console_survives_broken_mapping(self) -> None:
        """A mapping that breaks while rendering still gives one line."""

        class Flaky(dict[str, Any]):
            calls = 0

            def items(self) -> Any:
                Flaky.calls += 1
                if Flaky.calls == 1:
                    raise RuntimeError("first time")
                return super().items()

        assert "m" in ConsoleRenderer()(Flaky(level="info", message="m"))


class TestAutoRendererAndColors:
    def test_auto_picks_console_on_a_tty(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """renderer="auto" writes console lines to a TTY, colored unless NO_COLOR is set."""
        monkeypatch.delenv("NO_COLOR", raising=False)
        monkeypatch.delenv("FORCE_COLOR", raising=False)
        tty = _TTY()
        joblog.configure(renderer="auto", stream=tty)
        joblog.get_logger("x").info("hello", k=1)

        assert "\x1b[" in tty.getvalue()
        assert not tty.getvalue().startswith("{")

    def test_no_color(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """NO_COLOR turns colors off even on a TTY."""
        monkeypatch.setenv("NO_COLOR", "1")
        tty = _TTY()
        joblog.configure(renderer="console", stream=tty)
        joblog.get_logger("x").info("hello")

        assert "\x1b[" not in tty.getvalue()

    def test_force_color(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """FORCE_COLOR turns colors on for a non-TTY console stream."""
        monkeypatch.delenv("NO_COLOR", raising=False)
        monkeypatch.setenv("FORCE_COLOR", "1")
        stream = io.StringIO()
        joblog.configure(renderer="console", stream=stream)
        joblog.get_logger("x").info("hello")

        assert "\x1b[" in stream.getvalue()

    def test_auto_picks_json_elsewhere(self, output: Output) -> None:
        """renderer="auto" writes JSON to a non-TTY stream."""
        joblog.configure(renderer="auto", stream=output)
        joblog.get_logger("x").info("hello")

        assert "hello" == output.events()[0]["message"]

    def test_isatty_raising_means_not_a_tty(self, output: Output) -> None:
        """A stream whose isatty() raises is treated as a file."""

        class Odd(Output):
            def isatty(self) -> bool:
                raise ValueError("closed")

        odd = Odd()
        joblog.configure(renderer="auto", stream=odd)
        joblog.get_logger("x").info("hello")

        assert "hello" == odd.events()[0]["message"]


class _TTY(io.StringIO):
    def isatty(self) -> bool:
        return True


class TestTimestamp:
    @pytest.mark.parametrize(
        ("epoch", "expected"),
        [
            (0.0, "1970-01-01T00:00:00.000Z"),
            (1.9999, "1970-01-01T00:00:01.999Z"),
            (1_700_000_000.5, "2023-11-14T22:13:20.500Z"),
            (-0.25, "1969-12-31T23:59:59.750Z"),
        ],
    )
    def test_format(self, epoch: float, expected: str) -> None:
        """UTC, milliseconds, Z, also across the per-second cache."""
        assert expected == format_timestamp(epoch)
        assert expected == format_timestamp(epoch)


JSONABLE = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(), children, max_size=4)
    ),
    max_leaves=20,
)


class TestProperties:
    @given(st.dictionaries(st.text(), JSONABLE, max_size=8))
    def test_any_jsonable_event_renders_to_one_line_that_parses_back(
        self, fields: dict[str, Any]
    ) -> None:
        """Any JSON-able event renders to exactly one line that parses back to the same values."""
        event = {"timestamp": "t", "level": "info", "message": "m", "logger": "x", **fields}
        line = JSONRenderer()(event)

        assert line.endswith("\n")
        assert 1 == len(line.splitlines())
        assert event == json.loads(line)

    @given(st.text())
    def test_any_text_stays_on_one_console_line(self, text: str) -> None:
        """Any message and value stays on one console line."""
        line = ConsoleRenderer()({"level": "info", "message": text, text or "k": text})
        assert 1 == len(line.splitlines())

    def test_dumps_without_newline_option(self) -> None:
        """dumps() can also encode a bare value."""
        assert '"a\\u2028b"' == dumps("a\u2028b", option=0)


class TestConsoleShowsOnlyWhatWasLogged:
    """The console renderer's line is encodable, reads in logical order and forges no fields."""

    @pytest.mark.parametrize("text", ["a\udcffb", "\ud800", "name-\udce9.txt"])
    def test_lone_surrogates_survive_a_strict_utf8_stream(self, text: str) -> None:
        """A value or message with a lone surrogate still reaches a strict UTF-8 stream."""
        raw = io.BytesIO()
        stream = io.TextIOWrapper(raw, encoding="utf-8", errors="strict", write_through=True)
        joblog.configure(stream=stream, renderer="console", redact=False)
        joblog.get_logger("x").info(text, path=text, **{text: 1})

        line = raw.getvalue().decode("utf-8")
        assert 1 == line.count("\n")
        assert "\\ud" in line

    @pytest.mark.parametrize("control", ["\u202a", "\u202b", "\u202c", "\u202d", "\u202e"])
    def test_bidi_embeddings_are_escaped(self, control: str) -> None:
        """U+202A-U+202E never reach the terminal raw."""
        line = ConsoleRenderer()({"level": "info", "message": f"a{control}b", "f": f"x{control}y"})

        assert control not in line
        assert 2 == line.count(f"\\u{ord(control):04x}")

    @pytest.mark.parametrize("control", ["\u2066", "\u2067", "\u2068", "\u2069"])
    def test_bidi_isolates_are_escaped(self, control: str) -> None:
        """U+2066-U+2069 never reach the terminal raw, in keys either."""
        line = ConsoleRenderer()({"level": "info", "message": "m", f"k{control}": control})

        assert control not in line
        assert 2 == line.count(f"\\u{ord(control):04x}")

    def test_message_cannot_imitate_fields(self) -> None:
        """A message holding ``key=value`` is quoted, so it cannot pass for fields."""
        line = ConsoleRenderer(timestamps=False)(
            {"level": "info", "message": "login ok user=admin", "user": "mallory"}
        )

        assert line.startswith('INFO  "login ok user=admin"')
        assert line.rstrip().endswith(" user=mallory")

    @pytest.mark.parametrize("message", ['"quoted', " leading space"])
    def test_message_that_would_look_quoted_or_shifted_is_quoted(self, message: str) -> None:
        """A message starting with a quote or a space is JSON-quoted."""
        line = ConsoleRenderer(timestamps=False)({"level": "info", "message": message})

        assert json.loads(line[6:].rstrip()) == message

    @pytest.mark.parametrize("key", ["a=b", "a b", 'a"b', "", "k\x1b[31m"])
    def test_key_cannot_imitate_fields(self, key: str) -> None:
        """A key that is not a plain name is JSON-quoted (and escaped)."""
        line = ConsoleRenderer(timestamps=False)({"level": "info", "message": "m", key: "v"})

        field = line.split(None, 2)[2].rstrip()
        assert f"{json.dumps(key)}=v".replace("\\u001b", "\\x1b") == field.replace(
            "\\u001b", "\\x1b"
        )
        assert "\x1b" not in line

    def test_non_string_key(self) -> None:
        """A non-string key prints as its quoted text."""
        line = ConsoleRenderer(timestamps=False)({"level": "info", "message": "m", 7: "v"})

        assert line.rstrip().endswith(' "7"=v')

    def test_plain_keys_stay_bare(self) -> None:
        """Ordinary keys (dotted, with brackets) print as they are."""
        line = ConsoleRenderer(timestamps=False)(
            {"level": "info", "message": "m", "fields.message": 1, "a[0]": 2}
        )

        assert line.rstrip().endswith(" fields.message=1 a[0]=2")

    @given(st.text())
    def test_any_text_is_encodable_and_free_of_bidi_controls(self, text: str) -> None:
        """Whatever the text, the line encodes as strict UTF-8 and holds no bidi control."""
        line = ConsoleRenderer()({"level": "info", "message": text, text or "k": text})

        line.encode("utf-8")
        assert not re.search("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]", line)


class TestBigValues:
    """Huge bytes are cut before they are decoded."""

    def test_big_invalid_bytes_are_cut_with_a_marker(self, configured: Any) -> None:
        """10 MB of invalid UTF-8 is written as its first 64 KiB, escaped, and a marker."""
        out = configured(redact=False, max_line_bytes=None)
        joblog.get_logger("x").info("m", blob=b"\xff" * 10_000_000)

        blob = out.events()[0]["blob"]
        assert blob.startswith("\\xff\\xff")
        assert blob.endswith(f"[... {10_000_000 - 65536} bytes cut]")
        assert 65536 * 4 == blob.index("[")

    def test_big_memoryview_and_bytearray(self) -> None:
        """The cut applies to every bytes-like type."""
        for value in (bytearray(b"a" * 70_000), memoryview(b"a" * 70_000)):
            assert to_jsonable(value).endswith(f"[... {70_000 - 65536} bytes cut]")

    def test_bytes_at_the_limit_are_whole(self) -> None:
        """Up to the limit, bytes are decoded whole."""
        assert "a" * 65536 == to_jsonable(b"a" * 65536)

    def test_plain_containers_refused_by_orjson_are_converted(self, configured: Any) -> None:
        """A plain list holding a lone surrogate or a 65-bit int is converted, not raised."""
        out = configured(redact=False)
        joblog.get_logger("x").info("m", items=["a\udcffb", 2**70], when=dt.date(2026, 1, 2))

        event = out.events()[0]
        assert ["a\\udcffb", "1180591620717411303424"] == event["items"]
        assert "2026-01-02" == event["when"]
