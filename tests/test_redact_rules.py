"""
Tests for the value rule's formats: every default rule against its sample in
three places a secret is logged, rules turned off and added, the table in
docs/redaction.md, hard negatives, and the caches against lying objects.
"""

# Asserts read `expected == actual` (STYLE.md).

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import joblog
from joblog import DEFAULT_PATTERNS, DEFAULT_RULES, Redactor, SecretRule, redact_secrets
from joblog.render import dumps

from .redaction_cases import EMAIL, GITHUB_PAT, HARD_NEGATIVES, JOB_ID, SHA256, UUID
from .rule_samples import SAMPLES

R = "[REDACTED]"
RULES = {rule.name: rule for rule in DEFAULT_RULES}
NAMES = sorted(RULES)


def contexts(fragment: str) -> list[tuple[str, Any, tuple[str, ...]]]:
    """The fragment in a log message, in a header dict a client logs, in a nested value."""
    return [
        ("message", f"request failed using {fragment} (attempt 2)", ("request failed using",)),
        (
            "header",
            f'headers={{"X-Trace": "{fragment}", "Accept": "*/*"}}',
            ('"Accept": "*/*"', "headers="),
        ),
        ("nested", {"data": [{"note": fragment, "n": 1}], "job_id": JOB_ID}, (JOB_ID, '"n":1')),
    ]


class TestEveryRule:
    def test_every_rule_has_a_sample(self) -> None:
        """Adding a rule means adding its sample (and no sample is left without a rule)."""
        assert sorted(SAMPLES) == NAMES

    def test_names_are_unique(self) -> None:
        """Rule names are unique: they are what disable= refers to."""
        assert len(NAMES) == len(DEFAULT_RULES)
        assert sorted(DEFAULT_PATTERNS) == NAMES

    def test_many_vendors(self) -> None:
        """The rules cover well over 150 formats."""
        assert len(DEFAULT_RULES) >= 150

    @pytest.mark.parametrize("name", NAMES)
    def test_pattern_finds_its_sample(self, name: str) -> None:
        """The rule's own pattern finds the sample's secret, and its check accepts it."""
        rule = RULES[name]
        fragment, secret = SAMPLES[name]

        match = re.compile(rule.pattern).search(fragment)

        assert match is not None
        assert secret in match.group("secret")
        assert rule.check is None or rule.check(match.group("secret"))
        assert all(anchor in fragment.lower() for anchor in rule.anchors[:1]) or any(
            anchor in fragment.lower() for anchor in rule.anchors
        )

    @pytest.mark.parametrize(
        ("name", "where"),
        [(name, where) for name in NAMES for where in ("message", "header", "nested")],
    )
    def test_hidden_wherever_it_is_logged(self, name: str, where: str) -> None:
        """The sample's secret vanishes; the text around it stays."""
        fragment, secret = SAMPLES[name]
        (value, kept) = next((v, k) for w, v, k in contexts(fragment) if w == where)

        redacted = redact_secrets.redact(value)
        out = redacted if isinstance(redacted, str) else dumps(redacted)

        assert secret not in out
        assert R in out
        assert [] == [k for k in kept if k not in out]

    @pytest.mark.parametrize("name", NAMES)
    def test_idempotent(self, name: str) -> None:
        """A redacted sample redacts to itself."""
        once = redact_secrets.redact(SAMPLES[name][0])

        assert once == redact_secrets.redact(once)


class TestDisableAndExtraRules:
    def test_disable(self) -> None:
        """A disabled rule no longer hides its format; the other rules still run."""
        text = f"push with {GITHUB_PAT} failed, password=hunter2"

        assert f"push with {GITHUB_PAT} failed, password={R}" == Redactor(
            disable=["github-pat"]
        ).redact(text)
        assert f"push with {R} failed, password={R}" == redact_secrets.redact(text)

    def test_disable_unknown_rule(self) -> None:
        """An unknown rule name is refused, named."""
        with pytest.raises(ValueError, match="'github-pta'"):
            Redactor(disable=["github-pta"])
        with pytest.raises(TypeError, match="'github-pat'"):
            Redactor(disable="github-pat")

    def test_extra_rule(self) -> None:
        """A user rule is a record like the defaults, tried from its anchors."""
        rule = SecretRule(
            "acme-token",
            ("acme_",),
            r"(?<![A-Za-z0-9_\-])(?P<secret>acme_[a-z0-9]{16})",
            check=lambda secret: not secret.endswith("0000"),
            description="ACME tokens",
        )
        redactor = Redactor(extra_rules=[rule])

        assert f"use {R} now" == redactor.redact("use acme_0123456789abcdef now")
        assert "use acme_0123456789ab0000 now" == redactor.redact("use acme_0123456789ab0000 now")
        assert "use acme_0123456789abcdef now" == redact_secrets.redact(
            "use acme_0123456789abcdef now"
        )

    @pytest.mark.parametrize(
        ("rules", "error", "shown"),
        [
            (["x"], TypeError, "'x'"),
            ([SecretRule("jwt", ("eyj",), "(?P<secret>x)")], ValueError, "'jwt'"),
        ],
    )
    def test_bad_extra_rules(self, rules: list[Any], error: type[Exception], shown: str) -> None:
        """Extra rules must be records with a name of their own."""
        with pytest.raises(error, match=shown):
            Redactor(extra_rules=rules)

    def test_duplicate_extra_rules(self) -> None:
        """Two extra rules may not share a name."""
        rule = SecretRule("acme", ("acme_",), "(?P<secret>acme_x)")
        with pytest.raises(ValueError, match="'acme'"):
            Redactor(extra_rules=[rule, rule])

    @pytest.mark.parametrize(
        ("kwargs", "shown"),
        [
            ({"name": "", "anchors": ("a",), "pattern": "(?P<secret>a)"}, "''"),
            ({"name": "r", "anchors": "ab", "pattern": "(?P<secret>a)"}, "'r'"),
            ({"name": "r", "anchors": (), "pattern": "(?P<secret>a)"}, "'r'"),
            ({"name": "r", "anchors": ("AB",), "pattern": "(?P<secret>a)"}, "'AB'"),
            ({"name": "r", "anchors": ("",), "pattern": "(?P<secret>a)"}, "''"),
            ({"name": "r", "anchors": ("a",), "pattern": "(?P<secret>a"}, "'r'"),
            ({"name": "r", "anchors": ("a",), "pattern": "a+"}, "'secret'"),
        ],
    )
    def test_bad_rule_records(self, kwargs: dict[str, Any], shown: str) -> None:
        """A malformed record is refused when it is made, naming what is wrong."""
        with pytest.raises(ValueError, match=re.escape(shown)):
            SecretRule(**kwargs)

    def test_rule_found_after_its_anchor(self) -> None:
        """A rule that looks back from its anchor ignores a match that starts later."""
        token = "123456789:AA" + "b" * 33
        text = f"note:aa then https://api.telegram.org/bot{token}/getMe"

        assert f"note:aa then https://api.telegram.org/bot{R}/getMe" == redact_secrets.redact(text)

    def test_public_names(self) -> None:
        """DEFAULT_RULES and SecretRule are public, DEFAULT_PATTERNS is derived from them."""
        assert joblog.DEFAULT_RULES is DEFAULT_RULES
        assert DEFAULT_PATTERNS["jwt"].pattern == RULES["jwt"].pattern


class TestDocumentation:
    def test_docs_list_every_rule(self) -> None:
        """docs/redaction.md's rule table is the rules, generated (python -m joblog._rules)."""
        page = (Path(__file__).resolve().parent.parent / "docs" / "redaction.md").read_text()
        from joblog._rules import rules_table

        assert rules_table() in page


# --------------------------------------------------------------------------
# Formats of key/value pairs and records, and what must stay
# --------------------------------------------------------------------------

FORMAT_CASES = [
    ("{'password': b'hunter2'}", "hunter2", "{'password': b'"),
    ("'X-Amz-Security-Token': b'IQoJb3JpZ2luX2Vj'", "IQoJb3JpZ2luX2Vj", "X-Amz-Security-Token"),
    ("[(b'x-api-key', b'k-92341'), (b'host', b'a')]", "k-92341", "(b'host', b'a')"),
    ("REDIS_PASS=r3dis LDAP_PASS=ld4p first_pass=ok", ("r3dis", "ld4p"), "first_pass=ok"),
    ("&quot;password&quot;: &quot;hunter2&quot;, &quot;user&quot;", "hunter2", "&quot;user"),
    ("mysql -u root -pS3cret jobs", "S3cret", " jobs"),
    ("sshpass -p hunter2 ssh deploy@host", "hunter2", "ssh deploy@host"),
    ("docker login -u ada -p dckpw1 registry.io", "dckpw1", "registry.io"),
    ("redis-cli -h cache -a r3dpw ping", "r3dpw", " ping"),
    ("openssl enc -pass pass:opw9 -in f", "opw9", "-in f"),
    ("htpasswd -bc .htpasswd ada htpw1", "htpw1", ".htpasswd ada"),
    ("aws configure set aws_secret_access_key wJalrXUtnK7", "wJalrXUtnK7", "configure set"),
    ("sqlplus scott/tiger9@orcl", "tiger9", "@orcl"),
    ("ALTER USER app WITH PASSWORD 'pgpw1'", "pgpw1", "ALTER USER app"),
    ("CREATE USER 'a'@'%' IDENTIFIED BY 'mypw1';", "mypw1", "CREATE USER"),
    ('"AUTH" "ada" "rpw1"', "rpw1", '"AUTH"'),
    ("AUTH PLAIN AGFkYQBwdzE=", "AGFkYQBwdzE=", "AUTH PLAIN"),
    ("machine api.example.com login ada password netpw1", "netpw1", "login ada"),
    ('Authorization: Digest username="ada", response="6629fae4"', "6629fae4", "Digest"),
    ("GET /cb?code=4/0AbCd9&state=xyz", "4/0AbCd9", "state=xyz"),
    ("GET /weather?q=paris&appid=b1b15e88fa79", "b1b15e88fa79", "q=paris"),
    ("postgres://app:pa/ss#w?rd@db:5432/x", "pa/ss#w?rd", "@db:5432/x"),
    ("--password=Pw1 --password Pw2", ("Pw1", "Pw2"), "--password"),
]


@pytest.mark.parametrize(
    ("text", "gone", "kept"), FORMAT_CASES, ids=[c[0][:30] for c in FORMAT_CASES]
)
def test_formats(text: str, gone: str | tuple[str, ...], kept: str) -> None:
    """Key/value shapes of bytes reprs, escaped JSON, command lines, SQL and protocols."""
    out = redact_secrets.redact(text)

    assert [] == [g for g in ((gone,) if isinstance(gone, str) else gone) if g in out]
    assert kept in out


def test_records() -> None:
    """Name/value records with more keys than the pair, and private JWK members."""
    value = [
        {"Name": "/prod/db/password", "Type": "SecureString", "Value": "pw1", "Version": 3},
        {"Name": "/prod/db/host", "Type": "SecureString", "Value": "pw2"},
        {"Name": "/prod/db/host", "Type": "String", "Value": "db.internal"},
        {"name": "DB_PASSWORD", "value": "pw3", "value_from": None},
        {"name": "HOST", "value": "db", "comment": ""},
        {"ParameterKey": "DbPassword", "ParameterValue": "pw4"},
        {"Namespace": "aws:elasticbeanstalk", "OptionName": "SECRET_KEY", "Value": "pw5"},
        {"name": 7, "value": "kept"},
        {"kty": "RSA", "n": "modulus", "e": "AQAB", "d": "d1", "p": "p1", "q": "q1", "qi": "i"},
        {"kty": "EC", "crv": "P-256", "x": "x1", "y": "y1"},
        {"kty": "oct", "k": "sym", "d": None},
        {"value": "alone"},
    ]

    assert [
        {"Name": "/prod/db/password", "Type": "SecureString", "Value": R, "Version": 3},
        {"Name": "/prod/db/host", "Type": "SecureString", "Value": R},
        {"Name": "/prod/db/host", "Type": "String", "Value": "db.internal"},
        {"name": "DB_PASSWORD", "value": R, "value_from": None},
        {"name": "HOST", "value": "db", "comment": ""},
        {"ParameterKey": "DbPassword", "ParameterValue": R},
        {"Namespace": "aws:elasticbeanstalk", "OptionName": "SECRET_KEY", "Value": R},
        {"name": 7, "value": "kept"},
        {"kty": "RSA", "n": "modulus", "e": "AQAB", "d": R, "p": R, "q": R, "qi": R},
        {"kty": "EC", "crv": "P-256", "x": "x1", "y": "y1"},
        {"kty": "oct", "k": R, "d": None},
        {"value": "alone"},
    ] == redact_secrets.redact(value)


def test_secret_keys() -> None:
    """Key names of passwords, SSE-C and KMS material, seeds, verifiers, PINs."""
    keys = [
        "REDIS_PASS",
        "mail_pass",
        "SSECustomerKey",
        "x-amz-server-side-encryption-customer-key",
        "Plaintext",
        "SecretBinary",
        "totp_seed",
        "code_verifier",
        "recovery_key",
        "pin",
    ]
    plain = ["first_pass", "render_pass", "bypass", "boarding_pass", "pinned", "spin"]

    out = redact_secrets.redact({**dict.fromkeys(keys, "s3cr3t"), **dict.fromkeys(plain, "v")})

    assert {**dict.fromkeys(keys, R), **dict.fromkeys(plain, "v")} == out


MORE_NEGATIVES = [
    "token=expired api_key=missing secret: none password=invalid",
    "Authorization: required",
    "ulid 01ARZ3NDEKTSV4RRFFQ69G5FAV created",
    'ETag: "33a64df551425fcc55e4d42a148795d9f25f89d4"',
    "arn:aws:s3:::videos-prod/jobs/job-0b5c/scene-01.mp4",
    "s3 key jobs/2026/11/23/job-0b5c/AKIA-notes.txt",
    "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk",
    "x-request-id: req_01HF8X3K9M2Q7 message-id <CAF=abc123@mail.example.com>",
    f"sha256:{SHA256} digest ok",
    "token_count=512 prompt_tokens=37",
    "https://cdn.example.com:8443/media/maria@example.com/avatar.png",
    "see the password 'manual' for help",
    "the task skipped 3 paths in 0.4 s.",
    "auth failed for user ada",
]


@pytest.mark.parametrize("text", MORE_NEGATIVES)
def test_hard_negatives(text: str) -> None:
    """Ids, digests, ETags, ARNs, S3 keys, data URIs, status words stay verbatim."""
    assert text == redact_secrets.redact(text)


# --------------------------------------------------------------------------
# The clean-value cache does not trust __eq__ / __hash__
# --------------------------------------------------------------------------


class Liar:
    """Compares equal to (and hashes like) a clean string, but renders a secret."""

    def __init__(self, like: str) -> None:
        self.like = like

    def __eq__(self, other: object) -> bool:
        return True

    def __hash__(self) -> int:
        return hash(self.like)

    def __repr__(self) -> str:
        return f"Liar(password='{GITHUB_PAT}')"


def test_cache_is_not_fooled_by_eq() -> None:
    """A value equal to a cached clean string is still redacted as itself."""
    redactor = Redactor()
    clean = {"timestamp": "2026-01-01T00:00:00Z", "message": "hello", "user": EMAIL}
    for _ in range(3):
        redactor(None, "info", dict(clean))

    event = redactor(None, "info", {**clean, "message": Liar("hello"), "user": Liar(EMAIL)})

    assert GITHUB_PAT not in dumps(event)
    assert f"Liar(password='{R}')" == event["message"]
    assert GITHUB_PAT not in dumps(redactor.redact([Liar("hello"), Liar(UUID)]))


def test_lone_surrogate() -> None:
    """Text with a lone surrogate is scanned all the same (the anchor search sees a stand-in)."""
    assert f"a\udcff password={R} b" == redact_secrets.redact("a\udcff password=pw b")


# --------------------------------------------------------------------------
# Properties
# --------------------------------------------------------------------------

prose = st.text(alphabet="bfgjmqvwxz ,.!", max_size=30)


@settings(max_examples=400, deadline=None)
@given(st.sampled_from(NAMES), prose, prose)
def test_any_format_in_any_text(name: str, before: str, after: str) -> None:
    """A secret of any rule's format, inside random text, is always hidden."""
    fragment, secret = SAMPLES[name]

    assert secret not in redact_secrets.redact(f"{before} {fragment} {after}")


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(HARD_NEGATIVES + MORE_NEGATIVES), prose, prose)
def test_hard_negatives_in_any_text(text: str, before: str, after: str) -> None:
    """Hard negatives are never touched, whatever text surrounds them."""
    line = f"{before}\n{text}\n{after}"

    assert line == redact_secrets.redact(line)
