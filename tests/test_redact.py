"""
Tests for joblog.redact: the key rule, the value rule, the walk over any
value, the processor and its caches, and redaction on every front end.
"""

# Asserts read `expected == actual` (STYLE.md); ruff's SIM300 wants the reverse.

from __future__ import annotations

import collections
import copy
import dataclasses
import doctest
import enum
import io
import json
import logging
import logging.config
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import structlog
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import joblog
from joblog import DEFAULT_KEYS, DEFAULT_PATTERNS, Redactor, redact_secrets
from joblog import redact as redact_module
from joblog.render import dumps
from joblog.testing import capture_logs

from .redaction_cases import (
    ANTHROPIC,
    AUTH_CASES,
    AWS_ACCESS_KEY_ID,
    EMAIL,
    GITHUB_PAT,
    HARD_NEGATIVES,
    JOB_ID,
    JWT,
    PAIR_CASES,
    PEM_RSA,
    PLAIN_DICT_KEYS,
    S3_URL,
    SHA256,
    SLACK_BOT,
    STRIPE_LIVE,
    TOKEN_CASES,
    TOKEN_DICT_KEYS,
    URL_CASES,
    UUID,
    Case,
    adversarial,
)

R = "[REDACTED]"
TEXT_CASES = [*TOKEN_CASES, *AUTH_CASES, *URL_CASES, *PAIR_CASES]


def rendered(value: object, redactor: Redactor = redact_secrets) -> str:
    """What a log line would show of *value* after redaction."""
    return dumps(redactor.redact(value))


class TestKeyRule:
    @pytest.mark.parametrize("key", TOKEN_DICT_KEYS)
    def test_secret_key(self, key: str) -> None:
        """A value under a secret key is replaced whole; the key and the neighbours stay."""
        event = {key: "v4lue-XYZ", "request_id": "req-1"}

        assert {key: R, "request_id": "req-1"} == redact_secrets.redact(event)

    @pytest.mark.parametrize("key", PLAIN_DICT_KEYS)
    def test_plain_key(self, key: str) -> None:
        """A key that merely contains a secret word, or none, keeps its value."""
        event = {key: "v4lue-XYZ", "other": 1}

        assert {key: "v4lue-XYZ", "other": 1} == redact_secrets.redact(event)

    def test_whole_subtree(self) -> None:
        """Under a secret key the whole subtree goes, whatever it holds."""
        event = {"credentials": {"user": "ada", "region": "eu"}, "job_id": JOB_ID}

        assert {"credentials": R, "job_id": JOB_ID} == redact_secrets.redact(event)

    def test_every_type_but_bool_and_none(self) -> None:
        """Numbers and lists under secret keys go; a bool or None is never a secret."""
        event = {
            "pin_password": 1234,
            "api_keys": ["k1", "k2"],
            "password_reset_requested": True,
            "password": None,
            "token": False,
        }

        assert {
            "pin_password": R,
            "api_keys": R,
            "password_reset_requested": True,
            "password": None,
            "token": False,
        } == redact_secrets.redact(event)

    def test_bytes_value_stays_bytes(self) -> None:
        """A bytes value under a secret key becomes the replacement as bytes."""
        assert {"authorization": b"[REDACTED]"} == redact_secrets.redact(
            {"authorization": b"Bearer abc"}
        )

    def test_bytes_and_object_keys(self) -> None:
        """A bytes key and any other object key are matched by their text."""

        class Field(enum.Enum):
            PASSWORD = "password"

        event = {b"x-api-key": "k-123", Field.PASSWORD: "hunter2", 7: "seven"}

        assert {b"x-api-key": R, Field.PASSWORD: R, 7: "seven"} == redact_secrets.redact(event)

    def test_allow_keys(self) -> None:
        """An allowed key keeps its value (in any spelling), which is still scanned."""
        redactor = Redactor(allow_keys=["next_token"])

        assert {"NextToken": "page-2", "next-token": R + " x"} == redactor.redact(
            {"NextToken": "page-2", "next-token": f"{JWT} x"}
        )

    def test_extra_keys(self) -> None:
        """Extra keys are matched like the default ones: any case, as the last word(s)."""
        redactor = Redactor(extra_keys=["ssn", "internal ref"])

        assert {
            "ssn": R,
            "user_SSN": R,
            "InternalRef": R,
            "ssn_last4": "6789",
            "note": f"ssn={R} ok",
        } == redactor.redact(
            {
                "ssn": "123-45-6789",
                "user_SSN": "123-45-6789",
                "InternalRef": "r-1",
                "ssn_last4": "6789",
                "note": "ssn=123456789 ok",
            }
        )

    def test_default_keys(self) -> None:
        """DEFAULT_KEYS is public, frozen and in normalized form."""
        assert isinstance(DEFAULT_KEYS, frozenset)
        assert {"password", "api_key", "token", "private_key", "session_id"} <= DEFAULT_KEYS
        assert [] == [k for k in DEFAULT_KEYS if k != k.lower() or "-" in k or " " in k]


class TestValueRule:
    @pytest.mark.parametrize("case", TEXT_CASES, ids=[c.id for c in TEXT_CASES])
    def test_secret_in_text(self, case: Case) -> None:
        """The secret span is gone; the text around it is still there."""
        out = redact_secrets.redact(case.text)

        assert [] == [secret for secret in case.gone if secret in out]
        assert [] == [kept for kept in case.kept if kept not in out]
        assert R in out

    @pytest.mark.parametrize("text", HARD_NEGATIVES)
    def test_no_secret_in_text(self, text: str) -> None:
        """Emails, ids, hashes, URLs without credentials and prose come out as they went in."""
        assert text == redact_secrets.redact(text)

    @pytest.mark.parametrize("case", TEXT_CASES, ids=[c.id for c in TEXT_CASES])
    def test_idempotent(self, case: Case) -> None:
        """Redacting a redacted text changes nothing (a line logged twice)."""
        once = redact_secrets.redact(case.text)

        assert once == redact_secrets.redact(once)

    def test_bytes(self) -> None:
        """Bytes are scanned as the text they render as; clean bytes stay the same object."""
        clean = b"GET /health 200"

        assert f"password={R}&user=ada" == redact_secrets.redact(b"password=hunter2&user=ada")
        assert clean is redact_secrets.redact(clean)
        assert f"token={R}" == redact_secrets.redact(bytearray(b"token=abc123"))
        assert f"token={R}" == redact_secrets.redact(memoryview(b"token=abc123"))

    def test_default_patterns(self) -> None:
        """DEFAULT_PATTERNS: read-only, compiled, each marking its secret span."""
        text = f"id {JWT} end"

        assert JWT == DEFAULT_PATTERNS["jwt"].search(text).group("secret")  # type: ignore[union-attr]
        assert all("secret" in p.groupindex for p in DEFAULT_PATTERNS.values())
        with pytest.raises(TypeError):
            DEFAULT_PATTERNS["jwt"] = re.compile("x")  # type: ignore[index]

    def test_replacement(self) -> None:
        """The replacement is configurable."""
        assert {"password": "<hidden>", "msg": "token=<hidden> ok"} == Redactor(
            replacement="<hidden>"
        ).redact({"password": "x", "msg": "token=abc ok"})

    def test_extra_patterns(self) -> None:
        """An extra pattern replaces its match, or only its "secret" group if it has one."""
        redactor = Redactor(
            extra_patterns=[
                r"\b\d{3}-\d{2}-\d{4}\b",
                re.compile(r"acct:(?P<secret>\d{8})"),
            ]
        )

        assert f"ssn {R}, acct:{R}, job {JOB_ID}" == redactor.redact(
            f"ssn 123-45-6789, acct:12345678, job {JOB_ID}"
        )

    def test_pair_without_secret_group(self) -> None:
        """An extra pattern's optional secret group that did not take part: all is replaced."""
        redactor = Redactor(extra_patterns=[r"ref-(?P<secret>\d+)?x"])

        assert f"a {R} b" == redactor.redact("a ref-x b")

    def test_text_over_the_limit(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Beyond MAX_TEXT the rest is replaced by a marker; a secret before it is hidden."""
        monkeypatch.setattr(redact_module, "MAX_TEXT", 5000)
        text = f"token={GITHUB_PAT} " + "x " * 4000

        out = Redactor().redact(text)

        cut = text.rfind(" ", 0, 5000)  # at a blank, so no token is cut in two
        assert out.startswith(f"token={R} x x")
        assert out.endswith(f"x x{R} ({len(text) - cut} more characters)")
        assert GITHUB_PAT not in out

    def test_text_over_the_limit_without_blanks(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """A text with no blank near the limit is cut at the limit."""
        monkeypatch.setattr(redact_module, "MAX_TEXT", 5000)

        assert "a" * 5000 + f"{R} (100 more characters)" == Redactor().redact("a" * 5100)

    def test_bytes_over_the_limit(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Bytes are cut to MAX_TEXT before decoding; the marker counts the bytes dropped."""
        monkeypatch.setattr(redact_module, "MAX_TEXT", 5000)
        data = f"token={GITHUB_PAT} ".encode() + "é ".encode() * 3000

        out = Redactor().redact(data)

        cut = data.rfind(b" ", 0, 5000)  # at a blank, as for text
        assert out.startswith(f"token={R} é é")
        assert out.endswith(f"é{R} ({len(data) - cut} more bytes)")
        assert GITHUB_PAT not in out
        assert out.count("é") == data[:cut].decode().count("é")

    @given(
        st.lists(st.sampled_from([b"\\udc", b"\\", b"\xff", b"\x80", b"\xc3", b"a", "é".encode()]))
    )
    def test_bytes_shown_as_backslashreplace(self, parts: list[bytes]) -> None:
        """Bytes are decoded as backslashreplace shows them, whatever their mix."""
        data = b"".join(parts)

        assert redact_module._decode(data) == data.decode("utf-8", "backslashreplace")

    @pytest.mark.parametrize("wrap", [bytes, bytearray, memoryview])
    def test_invalid_utf8_over_the_limit(self, monkeypatch: pytest.MonkeyPatch, wrap: Any) -> None:
        """Escaped invalid bytes grow fourfold: the text is cut again, each cut says how much."""
        monkeypatch.setattr(redact_module, "MAX_TEXT", 5000)
        data = b"\xfe" * 6000

        out = Redactor().redact(wrap(data))

        assert out == "\\xfe" * 1250 + f"{R} (15000 more characters){R} (1000 more bytes)"

    def test_lower_case_longer_than_text(self) -> None:
        """A character whose lower case is longer ("İ") does not shift the secret span."""
        assert f"İstanbul password={R} ok" == redact_secrets.redact("İstanbul password=x1 ok")

    def test_scheme_repeated(self) -> None:
        """ "Bearer Bearer x" keeps both scheme words and hides x; a lone scheme word is hidden."""
        assert "Authorization: Bearer Bearer [REDACTED]" == redact_secrets.redact(
            "Authorization: Bearer Bearer x"
        )
        assert "authorization: [REDACTED]" == redact_secrets.redact("authorization: bearer")

    def test_quoted_header_value(self) -> None:
        """A quoted authorization value keeps its scheme; a flag's quoted value is hidden whole."""
        assert f'{{"Authorization": "Bearer {R}"}}' == redact_secrets.redact(
            '{"Authorization": "Bearer abc123"}'
        )
        assert f'run --password "{R}" now' == redact_secrets.redact(
            'run --password "--token x" now'
        )

    def test_overlapping_finds(self) -> None:
        """Two rules finding overlapping spans hide their union."""
        assert f"token=Bearer {R} ok" == redact_secrets.redact("token=Bearer abc12345xyz. ok")

    def test_pair_of_url_user_info_is_not_a_key(self) -> None:
        """ "https://x-access-token:pw@host": the password goes, the host stays."""
        assert "https://x-access-token:[REDACTED]@github.com/a" == redact_secrets.redact(
            "https://x-access-token:p4ss@github.com/a"
        )


class TestStructure:
    def test_nested(self) -> None:
        """Secrets at any depth of dicts, lists, tuples and sets are found; the rest stays."""
        value = {
            "request": {
                "headers": {"Authorization": f"Bearer {JWT}", "Accept": "application/json"},
                "body": [{"user": EMAIL, "password": "hunter2"}, ("token", "abc")],
            },
            "tags": {f"api_key={STRIPE_LIVE}", "prod"},
            "ids": (JOB_ID, UUID),
        }

        assert {
            "request": {
                "headers": {"Authorization": R, "Accept": "application/json"},
                "body": [{"user": EMAIL, "password": R}, ("token", R)],
            },
            "tags": {f"api_key={R}", "prod"},
            "ids": (JOB_ID, UUID),
        } == redact_secrets.redact(value)

    def test_header_lists(self) -> None:
        """Header lists of (name, value) pairs, str or bytes, tuples or lists."""
        headers = [
            (b"authorization", b"Bearer abc"),
            (b"host", b"example.com"),
            ["Cookie", "sessionid=1"],
            ["X-Request-Id", "req-1"],
        ]

        assert [
            (b"authorization", b"[REDACTED]"),
            (b"host", b"example.com"),
            ["Cookie", R],
            ["X-Request-Id", "req-1"],
        ] == redact_secrets.redact(headers)

    def test_two_word_list_is_not_a_pair(self) -> None:
        """A list of two names (fields that failed validation) is not a header pair."""
        assert ["password", "email"] == redact_secrets.redact(["password", "email"])

    def test_name_value_records(self) -> None:
        """{"name": ..., "value": ...} records (HAR headers, AWS tags) with a secret name."""
        value = [
            {"name": "Authorization", "value": "Basic eHl6"},
            {"name": "Accept", "value": "*/*"},
            {"Key": "db_password", "Value": "pw"},
            {"name": "token", "value": True},
        ]

        assert [
            {"name": "Authorization", "value": R},
            {"name": "Accept", "value": "*/*"},
            {"Key": "db_password", "Value": R},
            {"name": "token", "value": True},
        ] == redact_secrets.redact(value)

    def test_secret_as_key(self) -> None:
        """A secret used as a dict key is replaced in the key; colliding keys are numbered."""
        value = {GITHUB_PAT: "alice", STRIPE_LIVE: "bob", JWT: "dan", "user": "carol"}

        assert {R: "alice", f"{R} (2)": "bob", f"{R} (3)": "dan", "user": "carol"} == (
            redact_secrets.redact(value)
        )

    def test_long_key(self) -> None:
        """A key too long to cache is still judged (by its last words)."""
        key = "x" * 300 + "_password"

        assert {key: R} == redact_secrets.redact({key: "pw"})

    def test_object_key_holding_a_secret(self) -> None:
        """A non-str key whose text holds a secret is written as its redacted text."""
        value = {(GITHUB_PAT,): 1, ("plain",): 2}

        assert {f"('{R}',)": 1, ("plain",): 2} == redact_secrets.redact(value)

    def test_dataclass(self) -> None:
        """A dataclass is redacted as the JSON object it renders as; the instance is untouched."""

        @dataclasses.dataclass
        class Database:
            host: str
            password: str

        db = Database("db.internal", "hunter2")

        assert {"host": "db.internal", "password": R} == redact_secrets.redact(db)
        assert "hunter2" == db.password

    def test_dataclass_with_broken_field(self) -> None:
        """A dataclass whose field cannot be read falls back to its (scanned) repr."""

        @dataclasses.dataclass
        class Broken:
            token: str = "x"

            def __getattribute__(self, name: str) -> Any:
                if name == "token":
                    raise RuntimeError("no")
                return object.__getattribute__(self, name)

            def __repr__(self) -> str:
                return "Broken(token='abc')"

        assert f"Broken(token='{R}')" == redact_secrets.redact(Broken())

    def test_objects_as_text(self) -> None:
        """Exceptions and other objects become the text the renderer would show, scanned."""

        class Client:
            def __repr__(self) -> str:
                return "Client(api_key='ak_123', region='eu')"

        class Hostile:
            def __repr__(self) -> str:
                raise RuntimeError("no repr")

        Pair = collections.namedtuple("Pair", "user password")

        assert {
            "error": f"ValueError: bad token={R}",
            "client": f"Client(api_key='{R}', region='eu')",
            "hostile": f"<unrepresentable {Hostile.__name__}>",
            "pair": f"Pair(user='ada', password='{R}')",
        } == redact_secrets.redact(
            {
                "error": ValueError("bad token=abc123"),
                "client": Client(),
                "hostile": Hostile(),
                "pair": Pair("ada", "hunter2"),
            }
        )

    def test_scalars_and_subclasses(self) -> None:
        """Types that render without user code pass as they are; subclasses are handled too."""
        import datetime as dt
        import decimal
        import uuid

        class Text(str):
            pass

        class Count(int):
            pass

        class Ratio(float):
            def __repr__(self) -> str:
                return "Ratio(token=abc)"

        class Color(enum.Enum):
            RED = "red"
            LEAK = f"key={GITHUB_PAT}"

        stamp = dt.datetime(2026, 1, 2, 3, 4, 5)
        value = [
            stamp,
            dt.timedelta(seconds=3),
            decimal.Decimal("1.5"),
            uuid.UUID(UUID),
            Count(3),
            Text("password=x"),
            Ratio(0.5),
            Color.RED,
            Color.LEAK,
        ]

        out = redact_secrets.redact(value)

        assert [
            stamp,
            dt.timedelta(seconds=3),
            decimal.Decimal("1.5"),
            uuid.UUID(UUID),
            3,
            f"password={R}",
            f"Ratio(token={R})",
            Color.RED,
            f"key={R}",
        ] == out
        assert out[7] is Color.RED

    def test_sets(self) -> None:
        """Sets and frozensets keep their type; a member that turned into a dict makes a list."""

        @dataclasses.dataclass(frozen=True)
        class Login:
            password: str

        assert frozenset({"x", f"token={R}"}) == redact_secrets.redact(
            frozenset({"x", "token=abc"})
        )
        assert [{"password": R}] == redact_secrets.redact({Login("pw")})

    def test_cycles(self) -> None:
        """A structure that contains itself is walked once and shows a marker."""
        loop: dict[str, Any] = {"token": "abc", "n": 1}
        loop["self"] = loop
        ring: list[Any] = ["password=x"]
        ring.append(ring)

        assert {"token": R, "n": 1, "self": "[cycle]"} == redact_secrets.redact(loop)
        assert [f"password={R}", "[cycle]"] == redact_secrets.redact(ring)

    def test_shared_dicts_and_sets(self) -> None:
        """A dict or set referenced twice is walked once and its copy shared; clean sets stay."""
        creds = {"password": "pw"}
        tags = frozenset({"token=abc"})
        clean = {"a", "b"}

        out = redact_secrets.redact([creds, creds, tags, tags, clean])

        assert out[0] is out[1]
        assert out[2] is out[3]
        assert ({"password": R}, frozenset({f"token={R}"})) == (out[0], out[2])
        assert out[4] is clean

    def test_shared_containers(self) -> None:
        """A container referenced many times is walked once (no exponential blow-up)."""
        node: list[Any] = ["token=abc"]
        for _ in range(30):  # 2**30 paths to the leaf
            node = [node, node]

        out = redact_secrets.redact(node)

        leaf = out
        for _ in range(30):
            assert leaf[0] is leaf[1]
            leaf = leaf[0]
        assert [f"token={R}"] == leaf

    def test_depth_bound(self) -> None:
        """Depth 16 is walked in full; beyond MAX_DEPTH the subtree is replaced (fail closed)."""

        def nest(depth: int) -> dict[str, Any]:
            value: dict[str, Any] = {"password": "pw", "keep": "me"}
            for _ in range(depth):
                value = {"child": value}
            return value

        def leaf(value: Any) -> Any:
            while isinstance(value, dict) and "child" in value:
                value = value["child"]
            return value

        assert {"password": R, "keep": "me"} == leaf(redact_secrets.redact(nest(16)))
        assert f"{R} (nested too deep)" == leaf(redact_secrets.redact(nest(100)))

    def test_size_bounds(self) -> None:
        """5,000 items per container are walked; beyond MAX_ITEMS the rest is a marker."""
        items = [f"item {i}" for i in range(5000)] + ["token=abc"]
        many = list(range(12_000))
        keys = {f"k{i}": i for i in range(12_000)}

        assert [*items[:5000], f"token={R}"] == redact_secrets.redact(items)
        assert [*range(10_000), f"{R} (2000 more items)"] == redact_secrets.redact(many)
        assert "2000 more items" == redact_secrets.redact(keys)[R]
        assert 10_001 == len(redact_secrets.redact(set(many)))

    def test_total_bound(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Beyond MAX_NODES values in one call, what is left is a marker (never a hang)."""
        monkeypatch.setattr(redact_module, "MAX_NODES", 250)
        grid = [[f"token={i}" for i in range(100)] for _ in range(5)]

        out = Redactor().redact(grid)

        # 250 values: 1 + 100 + 1 + 100 + 1 + 47, then markers.
        assert [f"token={R}"] * 100 == out[0]
        assert [*[f"token={R}"] * 47, f"{R} (53 more items)"] == out[2]
        assert [f"{R} (2 more items)"] == out[3:]

    def test_never_mutates_and_copies_only_what_changes(self) -> None:
        """The caller's objects are never changed; clean parts are returned as they are."""
        clean = {"ids": [JOB_ID, UUID], "n": 1}
        value = {"user": {"password": "pw", "name": "ada"}, "clean": clean, "list": ["token=x"]}
        before = copy.deepcopy(value)

        out = redact_secrets.redact(value)

        assert before == value
        assert out["clean"] is clean
        assert out is not value
        assert clean is redact_secrets.redact(clean)

    def test_hostile_objects(self) -> None:
        """Objects that cannot be printed pass unharmed; one that breaks the walk is withheld."""

        class Loud:
            def __str__(self) -> str:
                raise RuntimeError("no str")

            def __repr__(self) -> str:
                raise RuntimeError("no repr")

        class Shapeless:
            @property  # type: ignore[misc]
            def __class__(self) -> type:
                raise RuntimeError("no class")

        unprintable_key = {Loud(): 1}

        assert unprintable_key is redact_secrets.redact(unprintable_key)
        assert R == redact_secrets.redact(Shapeless())


class TestProcessor:
    def test_in_place(self) -> None:
        """As a processor it redacts the event dict itself and returns it."""
        event = {"message": "login", "password": "pw", "user": "ada"}

        out = redact_secrets(None, "info", event)

        assert out is event
        assert {"message": "login", "password": R, "user": "ada"} == event

    def test_renamed_key_keeps_order(self) -> None:
        """A key holding a secret gives a new dict, in the same order."""
        event = {"message": "x", GITHUB_PAT: 1, "z": 2}

        out = redact_secrets(None, "info", event)

        assert [("message", "x"), (R, 1), ("z", 2)] == list(out.items())

    def test_caches_never_hide_a_new_secret(self) -> None:
        """Known keys and values are cached, yet a secret appearing under them is still found."""
        redactor = Redactor()
        clean = {"timestamp": "2026-01-01T00:00:00.000Z", "message": "m", "note": "hello", "n": 3}
        for _ in range(3):
            assert clean == redactor(None, "info", dict(clean))

        dirty = redactor(None, "info", {**clean, "note": "token=abc"})
        assert f"token={R}" == dirty["note"]
        nested = redactor(None, "info", {**clean, "note": ["password=pw"]})
        assert [f"password={R}"] == nested["note"]
        secret_key = redactor(None, "info", {**clean, "password": "pw"})
        assert R == secret_key["password"]
        assert clean == redactor(None, "info", dict(clean))

    def test_numbers_that_vary(self) -> None:
        """Events whose numbers change every time take the same path; a secret still shows up."""
        redactor = Redactor()
        for n in range(2000):
            event = {"timestamp": "2026-01-01T00:00:00.000Z", "attempt": n, "ms": n / 7}
            assert event == redactor(None, "info", dict(event))

        event = {"timestamp": "2026-01-01T00:00:00.000Z", "attempt": 1, "ms": 0.5, "m": "pwd=x"}
        assert f"pwd={R}" == redactor(None, "info", event)["m"]
        first = {"message": "first value is not a timestamp", "n": 2}
        assert first == redactor(None, "info", dict(first))
        assert first == redactor(None, "info", dict(first))

    def test_known_keys_new_values(self) -> None:
        """Known keys, new values: strings are scanned; numbers and inert text pass as they are."""
        redactor = Redactor()
        base = {
            "timestamp": "2026-01-01T00:00:00.000Z",
            "clock": "10:15:30",
            "ratio": 1.5,
            "size": 10**9,
            "a": "x",
            "b": "y",
            "c": "z",
            "d": "w",
        }
        assert base == redactor(None, "info", dict(base))
        assert base == redactor(None, "info", dict(base))

        event = redactor(
            None,
            "info",
            {**base, "a": "token=t1", "b": "password=p", "c": [1], "d": {"k": 2}},
        )

        assert {
            **base,
            "a": f"token={R}",
            "b": f"password={R}",
            "c": [1],
            "d": {"k": 2},
        } == event

    def test_event_with_object_keys(self) -> None:
        """Event keys that are not strings are judged by their text; a secret one is renamed."""
        event = {"message": "m", 5: "five", b"token": "t", (GITHUB_PAT,): 1, "password": None}

        assert {
            "message": "m",
            5: "five",
            b"token": R,
            f"('{R}',)": 1,
            "password": None,
        } == redact_secrets(None, "info", event)

    def test_structlog_chain_event(self) -> None:
        """Events of a plain structlog chain (message under "event") are redacted alike."""
        redactor = Redactor()
        for _ in range(2):
            event = redactor(None, "info", {"event": "connect postgres://u:pw@db/x", "n": 1})
            assert {"event": f"connect postgres://u:{R}@db/x", "n": 1} == event

    def test_caches_are_bounded(self) -> None:
        """The caches stay within CACHE_SIZE however many distinct strings and keys pass."""
        redactor = Redactor()
        for i in range(redact_module.CACHE_SIZE + 500):
            redactor(None, "info", {f"key{i}": f"value {i}", "token": f"t{i}"})
        for i in range(redact_module.CACHE_SIZE + 500):
            redactor.redact(f"password=p{i}")

        sizes = [len(redactor._clean), len(redactor._keys), len(redactor._plain_keys)]
        assert all(size <= redact_module.CACHE_SIZE + 1200 for size in sizes), sizes
        assert len(redactor._dirty) <= redact_module.CACHE_SIZE

    def test_never_raises(self) -> None:
        """A broken event mapping gives a withheld event with none of its values."""

        class Broken(dict):  # type: ignore[type-arg]
            def items(self) -> Any:
                raise RuntimeError("broken items")

        event = Broken(timestamp="2026-01-01T00:00:00.000Z", level="info", password="pw")

        assert {
            "timestamp": "2026-01-01T00:00:00.000Z",
            "level": "error",
            "message": f"{R} (redaction failed: RuntimeError)",
        } == redact_secrets(None, "info", event)

    def test_never_raises_keeps_no_odd_timestamp(self) -> None:
        """The withheld event keeps a timestamp only if it is inert text."""

        class Broken(dict):  # type: ignore[type-arg]
            def items(self) -> Any:
                raise RuntimeError("broken items")

        assert {
            "level": "error",
            "message": f"{R} (redaction failed: RuntimeError)",
        } == redact_secrets(None, "info", Broken(timestamp="token=abc", password="pw"))

    def test_never_raises_without_timestamp(self) -> None:
        """The withheld event has no timestamp when the event's cannot be read safely."""

        class Broken(dict):  # type: ignore[type-arg]
            def items(self) -> Any:
                raise RuntimeError("broken items")

            def get(self, key: Any, default: Any = None) -> Any:
                raise RuntimeError("broken get")

        assert {
            "level": "error",
            "message": f"{R} (redaction failed: RuntimeError)",
        } == redact_secrets(None, "info", Broken(password="pw"))

    def test_in_a_structlog_chain(self) -> None:
        """Redactor works as the last processor of a plain structlog configuration."""
        out = io.StringIO()
        structlog.configure(
            processors=[
                structlog.processors.add_log_level,
                Redactor(),
                structlog.processors.JSONRenderer(),
            ],
            logger_factory=structlog.PrintLoggerFactory(out),
        )

        structlog.get_logger().info("login", password="pw", user="ada")

        assert {"password": R, "user": "ada", "event": "login", "level": "info"} == json.loads(
            out.getvalue()
        )

    def test_repr(self) -> None:
        """The repr names the replacement."""
        assert "<Redactor(replacement='[REDACTED]')>" == repr(redact_secrets)


class TestConfiguration:
    @pytest.mark.parametrize(
        ("kwargs", "error"),
        [
            ({"extra_keys": "password"}, TypeError),
            ({"extra_keys": [b"password"]}, TypeError),
            ({"extra_keys": 3}, TypeError),
            ({"extra_keys": ["--"]}, ValueError),
            ({"allow_keys": [""]}, ValueError),
            ({"extra_patterns": ["("]}, ValueError),
            ({"extra_patterns": ["a*"]}, ValueError),
            ({"extra_patterns": [re.compile(b"x")]}, TypeError),
            ({"extra_patterns": [3]}, TypeError),
            ({"replacement": ""}, ValueError),
            ({"replacement": b"x"}, TypeError),
        ],
    )
    def test_bad_arguments(self, kwargs: dict[str, Any], error: type[Exception]) -> None:
        """A bad argument is refused at construction, naming the bad value."""
        with pytest.raises(error) as info:
            Redactor(**kwargs)

        (value,) = kwargs.values()
        shown = value[0] if isinstance(value, list) else value
        assert repr(shown) in str(info.value)


# --------------------------------------------------------------------------
# Adversarial inputs: correct output (their timings are in bench/redact.py)
# --------------------------------------------------------------------------


class TestAdversarial:
    @pytest.mark.parametrize(
        "name",
        [
            "long word run",
            "noun word run",
            "noun words",
            "json without secrets",
            "open braces",
            "url near misses",
            "user info without @",
            "bearer run",
            "jwt prefix run",
            "token prefix run",
            "brace-heavy near misses",
            "backslash run",
            "flags without values",
        ],
    )
    def test_near_misses_stay(self, name: str) -> None:
        """Inputs built to look almost like secrets come out unchanged."""
        text = adversarial()[name]

        assert text == redact_secrets.redact(text)

    def test_secrets_found(self) -> None:
        """Inputs full of secrets, or with one far in, have every secret replaced."""
        cases = adversarial()

        assert "x x x" in redact_secrets.redact(cases["secret after 67 kB"])
        assert redact_secrets.redact(cases["secret after 67 kB"]).endswith(f"token={R}")
        assert f"password={R} " * 3 in redact_secrets.redact(cases["secret pairs"])
        assert "password=x" not in redact_secrets.redact(cases["secret pairs"])
        assert f"--password {R} --password {R}" in redact_secrets.redact(cases["flags"])
        assert f"Cookie: {R}; " == redact_secrets.redact(cases["cookie list"])[:20]
        assert "AAAA" not in redact_secrets.redact(cases["pem without end"])
        assert f"://a:{R}@" == redact_secrets.redact(cases["at signs"])
        assert "sig=x" not in redact_secrets.redact(cases["signature pairs"] + "x")

    def test_key_of_many_words(self) -> None:
        """A key of 50,000 words is judged by its last words (not by every tail of it)."""
        key = "_".join(["a"] * 50_000)

        assert {f"{key}_password": R, key: "x"} == redact_secrets.redact(
            {f"{key}_password": "pw", key: "x"}
        )

    def test_many_keys(self) -> None:
        """A 2,000-key dict: every secret key and every secret in a value is found."""
        value = {f"field_{i}": f"value {i}" for i in range(2000)}
        value.update({f"password_{i}": "pw" for i in range(0, 2000, 10)})
        value.update({f"note_{i}": f"token={i}" for i in range(0, 2000, 10)})

        out = redact_secrets.redact(value)

        assert [] == [k for k, v in out.items() if k.startswith("password_") and v != R]
        assert [] == [k for k, v in out.items() if k.startswith("note_") and v != f"token={R}"]
        assert "value 1999" == out["field_1999"]


# --------------------------------------------------------------------------
# Properties
# --------------------------------------------------------------------------

# An alphabet no rule can match in: no secret noun, token prefix or separator
# can be spelled with it.
_SAFE = "bfgjmqvwxz0123456789 ,.!"
safe_text = st.text(alphabet=_SAFE, max_size=20)
scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | safe_text
safe_keys = st.text(alphabet="bfgjmqvwxz", min_size=1, max_size=8)
# Words that cannot spell any secret of the cases (no digits).
prose = st.text(alphabet="bfgjmqvwxz ,.!", max_size=20)


def containers(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return (
        st.lists(children, max_size=4)
        | st.tuples(children, children)
        | st.dictionaries(safe_keys, children, max_size=4)
    )


clean_values = st.recursive(scalars, containers, max_leaves=25)


def _mangle(key: str, style: int) -> str:
    """The same key as different code bases write it."""
    words = re.split(r"[_.\-]", key)
    if style == 0:
        return key.upper()
    if style == 1:
        return "-".join(w.capitalize() for w in words)
    if style == 2:
        return words[0] + "".join(w.capitalize() for w in words[1:])
    return key


# Pieces of text; tokens come with a blank in front (a token glued to the
# word before it is not a token: "task-" is not "sk-").
TOKENS = [GITHUB_PAT, JWT, AWS_ACCESS_KEY_ID, STRIPE_LIVE, ANTHROPIC, SLACK_BOT, PEM_RSA]
SNIPPETS = [
    *(f" {token}" for token in TOKENS),
    *("password", "token", "api_key", "Authorization", "Bearer", "Cookie", "sig", "x", "user"),
    *("=", ": ", ":", " ", '"', "'", '\\"', "&", "?", "#", "://", "@", ",", ";", "\n", "\t"),
    *("(", ")", "{", "}", "[", "]", "--", "-u ", "=>", "%3D", "[REDACTED]", "host.example.com/p"),
]

SECRET = "zq-s3cr3t-value"
secret_values = (
    st.just(SECRET)
    | st.just([SECRET, "x"])
    | st.just({"nested": SECRET})
    | st.just((SECRET,))
    | st.just(SECRET.encode())
)
planted = st.builds(
    lambda key, style, value: {_mangle(key, style): value},
    st.sampled_from(TOKEN_DICT_KEYS),
    st.integers(0, 3),
    secret_values,
)
with_secret = st.recursive(planted, containers, max_leaves=25)


class TestProperties:
    @settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
    @given(clean_values)
    def test_clean_values_render_unchanged(self, value: Any) -> None:
        """A structure without secrets comes back equal and renders identically."""
        out = redact_secrets.redact(value)

        assert value == out
        assert dumps(value) == dumps(out)

    @settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
    @given(with_secret, clean_values)
    def test_planted_secret_never_renders(self, value: Any, neighbour: Any) -> None:
        """A secret under a secret key, at any depth, in any spelling, never renders."""
        out = redact_secrets.redact([value, neighbour])

        assert SECRET not in dumps(out)
        assert neighbour == out[1]

    @settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
    @given(with_secret)
    def test_input_never_mutated(self, value: Any) -> None:
        """Whatever redaction changes, the caller's structure is left as it was."""
        before = copy.deepcopy(value)

        redact_secrets.redact(value)

        assert before == value

    @settings(max_examples=200)
    @given(st.sampled_from([c for c in TEXT_CASES if len(c.gone) == 1]), prose, prose)
    def test_secret_in_any_text(self, case: Case, before: str, after: str) -> None:
        """A known secret shape surrounded by any text is still hidden."""
        assert case.gone[0] not in redact_secrets.redact(f"{before} {case.text} {after}")

    @settings(max_examples=1000, suppress_health_check=[HealthCheck.too_slow])
    @given(st.lists(st.sampled_from(SNIPPETS), max_size=14))
    def test_text_made_of_pieces(self, pieces: list[str]) -> None:
        """Keys, separators, quotes, URLs and tokens in any order: no token survives, and
        redacting again changes nothing."""
        text = "".join(pieces)
        spaced = redact_secrets.redact(" ".join(pieces))

        out = redact_secrets.redact(text)

        assert [] == [token for token in TOKENS if token in text and token in out]
        assert spaced == redact_secrets.redact(spaced)

    @settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
    @given(st.dictionaries(st.text(max_size=10), st.recursive(scalars | st.binary(), containers)))
    def test_processor_never_raises(self, event: dict[str, Any]) -> None:
        """Any event gives a mapping that renders as one JSON line."""
        out = Redactor()(None, "info", dict(event))

        assert "\n" not in dumps(out).rstrip("\n")


# --------------------------------------------------------------------------
# Every front end: joblog, structlog and logging loggers, through configure()
# --------------------------------------------------------------------------


class TestFrontEnds:
    def test_joblog_logger(self, configured: Callable[..., Any]) -> None:
        """Fields, the message and %-args of a joblog logger are redacted on the way out."""
        output = configured()
        log = joblog.get_logger("app")

        with joblog.bind_job(JOB_ID, api_key="ak_123"):
            log.info("connecting with %s", f"Bearer {JWT}", password="pw", user=EMAIL)

        (event,) = output.events()
        assert f"connecting with Bearer {R}" == event["message"]
        assert (R, R, EMAIL, JOB_ID) == (
            event["password"],
            event["api_key"],
            event["user"],
            event["job_id"],
        )
        assert JWT not in output.getvalue()

    def test_exception_and_traceback(self, configured: Callable[..., Any]) -> None:
        """The exception's message and its traceback text are redacted; the frames stay."""
        output = configured()
        log = joblog.get_logger("app")

        try:
            raise ConnectionError(f"could not reach postgres://app:pgpw@db/x with {GITHUB_PAT}")
        except ConnectionError:
            log.exception("connect failed")

        (event,) = output.events()
        assert f"could not reach postgres://app:{R}@db/x with {R}" == event["error_message"]
        assert "Traceback (most recent call last)" in event["exception"]
        assert "test_exception_and_traceback" in event["exception"]
        assert "pgpw" not in output.getvalue()
        assert GITHUB_PAT not in output.getvalue()

    def test_structlog_logger(self, configured: Callable[..., Any]) -> None:
        """structlog.get_logger() loggers go through the same redaction."""
        output = configured()

        structlog.get_logger("lib").warning("retry", authorization="Basic eHl6", attempt=2)

        (event,) = output.events()
        assert (R, 2) == (event["authorization"], event["attempt"])

    def test_structlog_contextvars(self, configured: Callable[..., Any]) -> None:
        """Fields bound with structlog.contextvars are redacted; joblog's bindings win."""
        output = configured()
        structlog.contextvars.bind_contextvars(
            session_token="st-1", timestamp="t", region="eu", job_id="job-structlog"
        )
        log = joblog.get_logger("app")

        with joblog.bind_job(JOB_ID):
            log.info("x")
            structlog.contextvars.unbind_contextvars("region")
            log.info("y")

        first, second = output.events()
        assert (R, "t", "eu", JOB_ID) == (
            first["session_token"],
            first["fields.timestamp"],
            first["region"],
            first["job_id"],
        )
        assert (R, False) == (second["session_token"], "region" in second)

    def test_stdlib_logger(self, configured: Callable[..., Any]) -> None:
        """A logging record: %-args after interpolation, extra fields, exceptions."""
        output = configured()
        log = logging.getLogger("stdlib.app")

        log.info("dsn=%s user=%s", "postgres://svc:s3cret@db/x", EMAIL, extra={"token": "t-1"})
        try:
            raise PermissionError("invalid api_key=ak_999")
        except PermissionError:
            log.error("denied", exc_info=True, extra={"cookie": "sid=1"})

        info, error = output.events()
        assert f"dsn=postgres://svc:{R}@db/x user={EMAIL}" == info["message"]
        assert R == info["token"]
        assert (R, f"invalid api_key={R}") == (error["cookie"], error["error_message"])
        assert "ak_999" not in output.getvalue()
        assert "s3cret" not in output.getvalue()

    def test_stdlib_message_object(self, configured: Callable[..., Any]) -> None:
        """A non-str message, with or without args, is redacted as its text."""
        output = configured()
        log = logging.getLogger("stdlib.obj")

        log.warning({"password": "pw"})
        log.warning(ValueError("token=abc %s"), "x")

        first, second = output.events()
        assert f"{{'password': '{R}'}}" == first["message"]
        assert f"token={R} x" == second["message"]

    def test_stdlib_handler_filters(self, configured: Callable[..., Any]) -> None:
        """joblog's root handler honours its filters; what passes is redacted."""
        output = configured()
        (handler,) = [
            h for h in logging.getLogger().handlers if isinstance(h, joblog.stdlib.JoblogHandler)
        ]
        handler.addFilter(lambda record: "drop" not in record.getMessage())
        log = logging.getLogger("stdlib.filtered")

        log.info("drop me password=pw")
        log.info("keep me password=pw")

        (event,) = output.events()
        assert f"keep me password={R}" == event["message"]
        assert not handler.handle(log.makeRecord("x", 20, "f", 1, "drop", (), None))
        assert handler.handle(log.makeRecord("x", 20, "f", 1, "kept", (), None))

    def test_job_json_formatter_in_dict_config(self) -> None:
        """JobJsonFormatter used on its own (dictConfig, no configure()) redacts by default."""
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
                    }
                },
                "loggers": {"uvicorn.error": {"handlers": ["out"], "level": "INFO"}},
            }
        )
        log = logging.getLogger("uvicorn.error")
        try:
            log.info(
                "upstream %s", f"https://hooks.slack.com/services/{'T' * 9}/{'B' * 9}/{'x' * 24}"
            )
        finally:
            log.handlers.clear()

        event = json.loads(stream.getvalue())
        assert f"upstream https://hooks.slack.com/services/{R}" == event["message"]

    def test_redaction_off(self, configured: Callable[..., Any]) -> None:
        """configure(redact=False) writes values as they are."""
        output = configured(redact=False)

        joblog.get_logger("app").info("x", password="pw")

        assert "pw" == output.events()[0]["password"]

    def test_custom_redactor(self, configured: Callable[..., Any]) -> None:
        """configure(redact=Redactor(...)) uses that redactor."""
        output = configured(redact=Redactor(replacement="<hidden>", extra_keys=["ssn"]))

        joblog.get_logger("app").info("x", ssn="123-45-6789", password="pw")

        assert ("<hidden>", "<hidden>") == (
            output.events()[0]["ssn"],
            output.events()[0]["password"],
        )

    def test_defaults_without_configure(self, capsys: pytest.CaptureFixture[str]) -> None:
        """Never configured, joblog still redacts (JSON on a non-TTY stdout)."""
        joblog.get_logger("app").info("start", token="t-1", video=S3_URL, checksum=SHA256)

        event = json.loads(capsys.readouterr().out)
        assert (R, S3_URL, SHA256) == (event["token"], event["video"], event["checksum"])

    def test_capture_logs_sees_redacted_events(self, configured: Callable[..., Any]) -> None:
        """capture_logs() collects the events after redaction."""
        configured()

        with capture_logs() as logs:
            joblog.get_logger("app").info("x", password="pw")
            logging.getLogger("stdlib").warning("y", extra={"secret": "s"})

        assert [R, R] == [logs[0]["password"], logs[1]["secret"]]

    def test_console_renderer(self, output: Any) -> None:
        """The console renderer gets redacted events too."""
        joblog.configure(stream=output, renderer="console", level="info")

        joblog.get_logger("app").info("x", password="pw", user="ada")

        assert f"password={R} user=ada" in output.getvalue()
        assert "pw " not in output.getvalue()


class TestDocs:
    def test_examples_run(self) -> None:
        """Every example in docs/redaction.md runs and prints what the page says."""
        page = Path(__file__).resolve().parent.parent / "docs" / "redaction.md"

        result = doctest.testfile(
            str(page),
            module_relative=False,
            optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE,
        )

        assert (0, 22) == (result.failed, result.attempted)
