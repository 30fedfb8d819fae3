"""
Secret redaction: no password, token or key reaches a log line.

:class:`Redactor` is a structlog processor that joblog runs last, right
before rendering, on every event of both front ends.  It applies two rules
to everything in the event, however deeply nested:

* the **key rule**: a value stored under a secret-named key (``password``,
  ``X-Api-Key``, ``aws_secret_access_key``, ``set-cookie``, …) is replaced
  whole, whatever its type, unless it is ``None`` or a bool;
* the **value rule**: every string (and the text of bytes, exceptions and
  other objects) is scanned for known secret shapes (JWTs, ``Bearer``
  tokens, AWS, GitHub, Slack, Stripe, OpenAI, Google, … keys, PEM private
  keys, passwords in URLs, ``password=…`` pairs) and only the secret span
  is replaced.

The rule is written down in ``docs/redaction.md``.  The fast path matters
as much as the rules, because redaction is on by default: key decisions
and already-scanned short strings are cached (bounded), a cheap
case-folded pre-check gates the one combined pattern, and every pattern
runs in linear time.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import re
import uuid
from collections.abc import Iterable, Mapping, MutableMapping
from decimal import Decimal
from itertools import filterfalse, islice
from types import MappingProxyType
from typing import Any, Final

from .render import _default as _render_default
from .render import safe_repr

__all__ = ["DEFAULT_KEYS", "DEFAULT_PATTERNS", "Redactor", "redact_secrets"]

#: What replaces a secret unless the :class:`Redactor` is told otherwise.
REPLACEMENT: Final = "[REDACTED]"

#: Containers nested deeper than this are replaced by a marker.
MAX_DEPTH: Final = 32
#: Items walked per container; the rest is replaced by a marker.
MAX_ITEMS: Final = 10_000
#: Values walked per call (all containers together); the rest is replaced by a marker.
MAX_NODES: Final = 200_000
#: Characters scanned per string; the rest is replaced by a marker.
MAX_TEXT: Final = 1 << 20
#: Strings up to this length are remembered once scanned (messages, job ids repeat).
CACHE_TEXT: Final = 256
#: Entries per cache; a full cache is emptied and refills with what is current.
CACHE_SIZE: Final = 4096

_CYCLE: Final = "[cycle]"

# --------------------------------------------------------------------------
# The key rule
# --------------------------------------------------------------------------

#: Key names whose values are secrets, in normalized form (lower case, words
#: joined by ``_``).  A key is secret when its last word(s) equal one of
#: these, whatever its case and separators: ``Password``, ``user_password``,
#: ``X-Api-Key``, ``apiKey``, ``aws_secret_access_key``.  Words that follow
#: a secret noun and merely describe it (``token_count``, ``secret_name``,
#: ``key_id``) make the key harmless; see ``docs/redaction.md``.
DEFAULT_KEYS: Final[frozenset[str]] = frozenset(
    {
        # passwords
        "password",
        "passwords",
        "passwd",
        "passphrase",
        "passcode",
        "pwd",
        "pw",
        "db_pass",
        "database_pass",
        "user_pass",
        "admin_pass",
        "root_pass",
        "key_pass",
        "login_pass",
        "smtp_pass",
        "mysql_pass",
        "contrasena",
        "contraseña",
        "passwort",
        "kennwort",
        "senha",
        "mot_de_passe",
        # secrets and tokens
        "secret",
        "secrets",
        "token",
        "access_tokens",
        "refresh_tokens",
        "auth_tokens",
        "api_tokens",
        "id_tokens",
        "bearer_tokens",
        "session_tokens",
        "id_token_hint",
        "jwt",
        "bearer",
        # keys
        "api_key",
        "api_keys",
        "access_key",
        "access_keys",
        "access_key_id",
        "secret_key",
        "secret_keys",
        "private_key",
        "private_keys",
        "priv_key",
        "auth_key",
        "signing_key",
        "encryption_key",
        "decryption_key",
        "enc_key",
        "master_key",
        "client_key",
        "app_key",
        "application_key",
        "consumer_key",
        "service_key",
        "account_key",
        "session_key",
        "ssh_key",
        "deploy_key",
        "license_key",
        "subscription_key",
        "storage_key",
        "hmac_key",
        "shared_key",
        "admin_key",
        "db_key",
        "database_key",
        # authorization, one-time codes
        "auth",
        "authorization",
        "auth_code",
        "authorization_code",
        "mfa_code",
        "otp",
        "otp_code",
        "totp",
        "hotp",
        "recovery_code",
        "recovery_codes",
        "backup_codes",
        # sessions and cookies
        "cookie",
        "cookies",
        "session",
        "session_id",
        "sessionid",
        "sessid",
        "phpsessid",
        "jsessionid",
        "connect_sid",
        "csrf",
        "xsrf",
        "csrftoken",
        "xsrftoken",
        # signatures and credentials
        "signature",
        "sig",
        "credential",
        "credentials",
        "creds",
        # payment cards
        "card_number",
        "credit_card",
        "cvv",
        "cvc",
    }
)

# Whole-key-only names: "pass" alone is a password, but "first_pass" is a pass.
_EXACT_KEYS: Final = frozenset({"pass"})

# Words that, after a secret noun, still name the secret itself:
# password_confirmation, token_value, api_key_header, secret_key_base.
_CARRIERS: Final = frozenset(
    {
        "value",
        "values",
        "confirmation",
        "confirm",
        "again",
        "repeat",
        "plain",
        "plaintext",
        "cleartext",
        "raw",
        "b64",
        "base64",
        "encoded",
        "string",
        "str",
        "text",
        "bytes",
        "header",
        "json",
        "base",
        "literal",
        "input",
    }
)

# Compact (separator-free) nouns of 5+ letters may end a key written as one
# word ("USERPASSWORD", "XAPIKEY", "SLACKTOKEN"); these may not: possession,
# obsession, cupbearer.
_NO_COMPACT_SUFFIX: Final = frozenset({"session", "bearer", "sessid"})

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_NON_WORD = re.compile(r"[\W_]+")

_PLAIN: Final = 0
_SECRET: Final = 1
_COOKIE: Final = 2
# Code bit: the key's own text holds a secret (a token used as a dict key).
_DIRTY_NAME: Final = 4


def _words(name: str) -> list[str]:
    """``"X-Api-Key"`` -> ``["x", "api", "key"]``; camelCase is split."""
    return [w for w in _NON_WORD.split(_CAMEL.sub("_", name).lower()) if w]


class _KeyRule:
    """The key rule, compiled: which key names hold secrets (and which hold cookies)."""

    __slots__ = ("allow", "compact", "nouns", "suffixes", "triggers")

    def __init__(self, nouns: Iterable[str], allow: Iterable[str]) -> None:
        self.nouns = frozenset(nouns)
        self.compact = {noun.replace("_", ""): noun for noun in self.nouns}
        self.suffixes = tuple(
            sorted(
                c
                for c in self.compact
                if (len(c) >= 5 or c in ("pwd", "jwt")) and c not in _NO_COMPACT_SUFFIX
            )
        )
        self.allow = frozenset(allow)
        self.triggers = _trigger_words(self.nouns | _EXACT_KEYS)

    def classify(self, name: str) -> int:
        """``_PLAIN``, ``_SECRET`` or ``_COOKIE`` for the key *name*."""
        words = _words(name)
        if not words or "".join(words) in self.allow:
            return _PLAIN
        # Numbering is not meaning: password2, x-hub-signature-256.
        while len(words) > 1 and words[-1].isdigit():
            words.pop()
        words[-1] = words[-1].rstrip("0123456789") or words[-1]
        while len(words) > 1 and words[-1] in _CARRIERS:
            words.pop()
        if len(words) == 1 and words[0] in _EXACT_KEYS:
            return _SECRET
        noun = None
        for i in range(len(words)):
            tail = words[i:]
            noun = self.compact.get("".join(tail))
            if noun is not None:
                break
        if noun is None:
            compact = "".join(words)
            if not compact.endswith(self.suffixes):
                return _PLAIN
            noun = self.compact[next(s for s in self.suffixes if compact.endswith(s))]
        return _COOKIE if noun.rsplit("_", 1)[-1] in ("cookie", "cookies") else _SECRET


def _trigger_words(nouns: Iterable[str]) -> list[str]:
    """
    Substrings that every secret key contains, for the free-text pre-check.

    For a noun of several words any one of them is present in every key that
    matches it; the last word is used unless it is generic (``id``,
    ``code``), and a word containing a shorter chosen one is dropped.
    """
    generic = {"id", "code", "codes", "number", "hint"}
    words = set()
    for noun in nouns:
        parts = [p for p in noun.split("_") if p not in generic] or noun.split("_")
        words.add(parts[-1])
    chosen: list[str] = []
    for word in sorted(words, key=len):
        if not any(c in word for c in chosen):
            chosen.append(word)
    return sorted(chosen)


# --------------------------------------------------------------------------
# The value rule: token shapes
# --------------------------------------------------------------------------

# A token starts where no token character precedes it.
_START = r"(?<![A-Za-z0-9_\-])"

# Known token shapes (gitleaks' and detect-secrets' rule sets are the reference).
# Each is anchored on a literal prefix and has bounded repetition only.
_TOKEN_SHAPES: Final = {
    "aws_access_key_id": r"(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16}(?![A-Za-z0-9])",
    "github": r"gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{22,255}",
    "gitlab": r"gl(?:pat|dt|rt|cbt|ptt|ft|imt|agent|soat|ffct|oas|wt)-[A-Za-z0-9_.\-]{20,255}",
    "slack": r"xox[a-z]-[A-Za-z0-9\-]{10,255}|xapp-[0-9]-[A-Za-z0-9\-]{10,255}",
    "stripe": r"(?:sk|rk)_(?:test|live|prod)_[A-Za-z0-9]{10,255}|whsec_[A-Za-z0-9+/=]{20,255}",
    "anthropic": r"sk-ant-[a-z]{3,6}[0-9]{2}-[A-Za-z0-9_\-]{20,255}",
    "openai": (
        r"sk-(?:proj|svcacct|admin)-[A-Za-z0-9_\-]{20,255}"
        r"|sk-[A-Za-z0-9]{20}T3BlbkFJ[A-Za-z0-9]{20}"
        # the sk- convention of other model APIs (DeepSeek, Together, ...):
        # long, and with a digit, so "sk-" words and slugs are not taken.
        r"|sk-(?=[A-Za-z_\-]{0,255}[0-9])[A-Za-z0-9_\-]{32,255}"
    ),
    "google": (
        r"AIza[A-Za-z0-9_\-]{35}|ya29\.[A-Za-z0-9_\-]{20,2048}"
        r"|GOCSPX-[A-Za-z0-9_\-]{20,255}|1//0[A-Za-z0-9_\-]{40,512}"
    ),
    "npm": r"npm_[A-Za-z0-9]{36}",
    "pypi": r"pypi-AgE[A-Za-z0-9_\-]{50,1024}",
    "huggingface": r"hf_[A-Za-z0-9]{30,255}|api_org_[A-Za-z0-9]{30,255}",
    "sendgrid": r"SG\.[A-Za-z0-9_\-]{16,64}\.[A-Za-z0-9_\-]{16,128}",
    "hashicorp_vault": r"hv[sb]\.[A-Za-z0-9_\-]{24,255}",
    "digitalocean": r"do[opr]_v1_[a-f0-9]{64}",
    "replicate": r"r8_[A-Za-z0-9]{30,255}",
    "shopify": r"shp(?:at|ca|pa|ss)_[a-fA-F0-9]{32}",
    "sentry": r"sntr[ysu]_[A-Za-z0-9_=+/.\-]{30,512}",
    "grafana": r"glsa_[A-Za-z0-9]{32}_[A-Fa-f0-9]{8}|glc_[A-Za-z0-9+/]{32,400}={0,2}",
    "databricks": r"dapi[a-f0-9]{32}(?:-[0-9])?",
    "linear": r"lin_(?:api|oauth)_[A-Za-z0-9]{40}",
    "notion": r"ntn_[A-Za-z0-9]{40,64}|secret_[A-Za-z0-9]{43}(?![A-Za-z0-9_])",
    "postman": r"PMAK-[a-f0-9]{24}-[a-f0-9]{34}",
    "atlassian": r"ATATT3[A-Za-z0-9_=\-]{100,400}",
    "age": r"AGE-SECRET-KEY-1[0-9A-Z]{58}",
    "telegram_bot": r"[0-9]{8,10}:AA[A-Za-z0-9_\-]{33}",
}
# Lower-cased literal prefixes of the shapes above, for the pre-check.
_TOKEN_PREFIXES: Final = (
    "akia",
    "asia",
    "abia",
    "acca",
    "a3t",
    "ghp_",
    "gho_",
    "ghu_",
    "ghs_",
    "ghr_",
    "github_pat_",
    "glpat-",
    "gldt-",
    "glrt-",
    "glcbt-",
    "glptt-",
    "glft-",
    "glimt-",
    "glagent-",
    "glsoat-",
    "glffct-",
    "gloas-",
    "glwt-",
    "xox",
    "xapp-",
    "sk_",
    "rk_",
    "whsec_",
    "sk-",
    "aiza",
    "ya29.",
    "gocspx-",
    "1//0",
    "npm_",
    "pypi-",
    "hf_",
    "api_org_",
    "sg.",
    "hvs.",
    "hvb.",
    "dop_v1_",
    "doo_v1_",
    "dor_v1_",
    "r8_",
    "shpat_",
    "shpca_",
    "shppa_",
    "shpss_",
    "sntr",
    "glsa_",
    "glc_",
    "dapi",
    "lin_",
    "ntn_",
    "secret_",
    "pmak-",
    "atatt3",
    "age-secret-key-",
    ":aa",
)

_B64URL = r"[A-Za-z0-9_\-]"
# Each rule has a "secret" group: the span that is replaced.
_RULES: Final = {
    "private_key": (
        r"-----BEGIN[ A-Z0-9]{0,40}PRIVATE KEY(?: BLOCK)?-----"
        r"(?P<secret>[\s\S]{1,16384}?(?=-----END)|[A-Za-z0-9+/=\s\\:,.\-]{1,16384})"
    ),
    "url_password": (
        r"(?<![A-Za-z0-9+.\-])[A-Za-z][A-Za-z0-9+.\-]{0,31}://"
        r"[^\s:/?#@'\"<>]{0,256}:(?P<secret>[^\s/?#'\"<>]{1,1024})@"
    ),
    "jwt": (
        rf"{_START}(?P<secret>eyJ{_B64URL}{{8,16384}}\.{_B64URL}{{0,16384}}\.{_B64URL}{{0,16384}}"
        rf"(?:\.{_B64URL}{{0,16384}}\.{_B64URL}{{0,16384}})?)"
    ),
    "token": _START + "(?P<secret>" + "|".join(_TOKEN_SHAPES.values()) + ")",
    "webhook": (
        r"hooks\.slack\.com/(?:services|workflows|triggers)/(?P<secret>[A-Za-z0-9+/_\-]{20,256})"
        r"|discord(?:app)?\.com/api/webhooks/[0-9]{5,30}/(?P<secret2>[A-Za-z0-9_\-]{20,256})"
    ),
    "auth_scheme": (
        r"(?<![A-Za-z0-9_\-])(?i:bearer|basic)[ \t]+(?P<secret>[A-Za-z0-9\-._~+/]{8,8192}=*)"
    ),
    "curl_user": (
        r"(?<![\w\-])(?:-u|--user)(?:[ \t]+|=)['\"]?[^\s:'\"]{1,256}:(?P<secret>[^\s'\"]{1,1024})"
    ),
    "curl_bearer": r"--oauth2-bearer[ \t]+['\"]?(?P<secret>[^\s'\"]{1,8192})",
    # key=value, key: value, "key": "value", --key value: the value is found
    # and replaced in code when the key is secret by the key rule.
    "key_value": (
        r"(?<![\w.\-])(?:\\{0,3}[\"'])?"
        r"(?P<key>(?P<dash>--)[^\W\d][\w.\-]{0,63}"
        r"|[^\W\d][\w.\-]{0,63}(?:[ ][^\W\d][\w.\-]{0,63})?)"
        r"(?:\\{0,3}[\"'])?"
        r"(?(dash)(?:[ \t]+|=)|[ \t]{0,8}(?:=>|:=|==|[:=](?!//)|%3[aAdD])[ \t]{0,8})"
    ),
}

#: The value rule's patterns by name, each compiled on its own (for reading,
#: testing or reuse); a match's ``secret`` group is what gets replaced.  The
#: ``key_value`` pattern finds ``key=``/``key:`` pairs; their value is
#: replaced when the key is secret by the key rule.  :class:`Redactor`
#: combines them into one pattern.
DEFAULT_PATTERNS: Final[Mapping[str, re.Pattern[str]]] = MappingProxyType(
    {
        **{
            name: re.compile(source.replace("(?P<secret2>", "(?P<secret_b>"))
            for name, source in _RULES.items()
            if name != "token"
        },
        **{name: re.compile(f"{_START}(?P<secret>{src})") for name, src in _TOKEN_SHAPES.items()},
    }
)


def _combined() -> re.Pattern[str]:
    """One pattern, an alternative per rule; ``lastgroup`` names the rule."""
    parts = []
    for name, source in _RULES.items():
        source = source.replace("(?P<secret>", f"(?P<s_{name}>")
        source = source.replace("(?P<secret2>", f"(?P<t_{name}>")
        parts.append(f"(?P<{name}>{source})")
    return re.compile("|".join(parts))


_SCAN: Final = _combined()

# A bare value: up to white space, a quote, a query/cookie/list separator or a closer.
_BARE_SOURCE: Final = r"[^\s\"'&;,<>(){}\[\]\\][^\s\"'&;,<>)}\]\\]{0,8191}"
_BARE: Final = re.compile(_BARE_SOURCE)
# The value after a secret key: escaped-quoted, quoted, or bare.
_VALUE: Final = re.compile(
    r"\\{1,3}[\"'](?P<e>[^\"'\\\r\n]{1,8192})"
    r"|\"(?P<d>(?:[^\"\\\r\n]|\\.){1,8192})"
    r"|'(?P<s>(?:[^'\\\r\n]|\\.){1,8192})"
    r"|(?P<u>" + _BARE_SOURCE + ")"
)
# A cookie header's value: the whole name=value list.
_COOKIE_VALUE: Final = re.compile(r"[^\s\"';,]{1,4096}(?:;[ ]?[^\s\"';,]{1,4096}){0,64}")
# An authorization scheme, kept in front of the credential it introduces.
_SCHEME: Final = re.compile(
    r"(?i:bearer|basic|token|bot|negotiate|ntlm|dpop|apikey|sso-key)[ \t]+(?=\S)"
)
# Values after a secret key that are not secrets: booleans, nulls, templates.
_NOT_A_VALUE: Final = re.compile(
    r"(?i:true|false|null|none|nil|undefined)|\$\{[^}]*\}?|\{\{.*|%[sdr]|%\([\w.]+\)[sdr]|\*+"
)
# A word after Bearer/Basic outside a header is a credential only if it looks
# like one: a digit, a symbol or an inner capital ("Bearer authentication" is prose).
_TOKENISH: Final = re.compile(r".[A-Z]|.*[0-9\-._~+/=]")

# Characters that no rule can match in: a string made only of these (a
# timestamp, a number) needs no scan.
_INERT: Final = "0123456789-:.TZ +/"
_INERT_BYTES: Final = _INERT.encode()


def _trigger(words: Iterable[str]) -> re.Pattern[str]:
    """The pre-check: does the lower-cased text contain anything a rule starts with?"""
    literals = sorted(set(words) | set(_TOKEN_PREFIXES) | {"-----begin", "-u ", "-u\t", "--user"})
    by_first: dict[str, list[str]] = {}
    for literal in literals:
        by_first.setdefault(literal[0], []).append(re.escape(literal[1:]))
    # One branch per first character: the engine then tries one branch per position.
    branches = [
        re.escape(first) + (f"(?:{'|'.join(rests)})" if any(rests) else "")
        for first, rests in sorted(by_first.items())
    ]
    # A URL with user info: "://" followed by "@" before the path.
    branches.append(r"://[^\s/?#]{1,1300}@")
    return re.compile("|".join(branches))


def _is_dataclass_instance(value: object) -> bool:
    return dataclasses.is_dataclass(value) and not isinstance(value, type)


# Types that are never secrets and render without calling user code.
_SCALARS: Final = frozenset(
    {int, float, bool, type(None), dt.datetime, dt.date, dt.time, dt.timedelta, Decimal, uuid.UUID}
)
# Small ints (counters, scene numbers, status codes) repeat: they join the
# cache of clean values, so the fast path skips them in C.  The range bounds
# how many there can be; other numbers are checked by type, never scanned.
_SMALL_INT_MIN: Final = -128
_SMALL_INT_MAX: Final = 1024


class _Walk:
    """Per-call state: nodes left to visit, containers on the current path."""

    __slots__ = ("budget", "path")

    def __init__(self) -> None:
        self.budget = MAX_NODES
        self.path: set[int] = set()


class Redactor:
    """
    Replace secrets in log events: a structlog processor, and :meth:`redact` for any value.

    joblog runs one last in its chain (``configure(redact=True)``, the
    default, uses :data:`redact_secrets`); in a plain structlog chain put it
    right before the renderer.  It never raises and never changes the
    caller's objects: the event dict itself is updated in place (it is the
    processor chain's own), anything nested is copied where it changes.

    Args:
        extra_keys: more key names whose values are secrets, matched like
            :data:`DEFAULT_KEYS` (case- and separator-insensitive, as the
            last word(s) of a key): ``extra_keys=["ssn"]`` also redacts
            ``user_ssn``.
        extra_patterns: more regular expressions (strings or compiled
            ``str`` patterns) for secret values.  A match is replaced
            whole, or only its ``secret`` group if it has one.  They run on
            every string that is not cached, so keep them linear-time.
        allow_keys: key names never treated as secret by the key rule
            (compared case- and separator-insensitively, as whole names),
            for example ``["next_token"]``.  Their values are still scanned.
        replacement: what a secret is replaced with.

    Raises:
        TypeError: an argument of the wrong type (a bare string where a list
            is expected, a bytes pattern, a non-string key).
        ValueError: an empty key name, an invalid pattern or one that
            matches the empty string, an empty replacement.
    """

    __slots__ = (
        "_all_clean",
        "_clean",
        "_dirty",
        "_extra",
        "_keys",
        "_keys_plain",
        "_numbers_vary",
        "_plain_keys",
        "_replacement",
        "_replacement_bytes",
        "_rule",
        "_trigger",
    )

    def __init__(
        self,
        *,
        extra_keys: Iterable[str] = (),
        extra_patterns: Iterable[str | re.Pattern[str]] = (),
        allow_keys: Iterable[str] = (),
        replacement: str = REPLACEMENT,
    ) -> None:
        nouns = set(DEFAULT_KEYS)
        nouns.update("_".join(words) for words in _key_names(extra_keys, "extra_keys"))
        allow = {"".join(words) for words in _key_names(allow_keys, "allow_keys")}
        self._rule = _KeyRule(nouns, allow)
        self._extra = tuple(_compile(p) for p in _iterable(extra_patterns, "extra_patterns"))
        if not isinstance(replacement, str):
            raise TypeError(f"replacement must be a str, not {replacement!r}")
        if not replacement:
            raise ValueError(f"replacement must not be empty, got {replacement!r}")
        self._replacement = replacement
        self._replacement_bytes = replacement.encode("utf-8", "backslashreplace")
        self._trigger = _trigger(self._rule.triggers)
        # Caches, each bounded by CACHE_SIZE (emptied when full).
        self._keys: dict[Any, int] = {}  # str key -> _PLAIN/_SECRET/_COOKIE (| _DIRTY_NAME)
        self._plain_keys: set[str] = set()  # keys known plain and clean
        self._clean: set[Any] = set()  # short strings and scalars known clean
        self._dirty: dict[str, str] = {}  # short strings with a secret -> redacted
        self._forget()
        self._keys_plain = self._plain_keys.issuperset
        self._all_clean = self._clean.issuperset
        self._numbers_vary = False  # did the last event have numbers not cached?

    def _forget(self) -> None:
        """Empty the cache of clean values (it is bounded); None and bools are always clean."""
        self._clean.clear()
        self._clean.update((None, True, False))

    def __repr__(self) -> str:
        return f"<Redactor(replacement={self._replacement!r})>"

    # ----------------------------------------------------------------------
    # Public entry points
    # ----------------------------------------------------------------------

    def __call__(
        self, logger: Any, method_name: str, event_dict: MutableMapping[str, Any]
    ) -> MutableMapping[str, Any]:
        """
        Redact *event_dict* (a structlog processor); never raises.

        Returns:
            The event with every secret replaced: *event_dict* itself,
            updated in place, or a new dict when a key had to be renamed.
        """
        try:
            if self._keys_plain(event_dict):
                # Every key is known to be plain (field names repeat), so only
                # values can hold secrets; most are cached as clean.
                try:
                    values = iter(event_dict.values())
                    for first in values:
                        # joblog's timestamp comes first: inert (digits, "-:.TZ").
                        if (
                            first.__class__ is str
                            and first.isascii()
                            and not first.encode().strip(_INERT_BYTES)
                        ) or first in self._clean:
                            if not self._numbers_vary:
                                # All cached: one C-level set operation.
                                if self._all_clean(values):
                                    return event_dict
                                values = islice(event_dict.values(), 1, None)
                            # Skip the cached values in C, look at the others
                            # here: numbers are fine, inert strings too.  When
                            # numbers were new, the next event starts here
                            # (set operation first only pays when all is cached).
                            clean = self._clean
                            new_number = False
                            for value in filterfalse(clean.__contains__, values):
                                cls = value.__class__
                                if cls is int or cls is float:
                                    if cls is int and _SMALL_INT_MIN <= value < _SMALL_INT_MAX:
                                        clean.add(value)
                                    else:
                                        new_number = True
                                elif cls is not str or value.strip(_INERT):
                                    break
                            else:
                                self._numbers_vary = new_number
                                return event_dict
                        break
                except TypeError:  # an unhashable value (a list, a dict)
                    pass
                return self._values(event_dict)
            return self._event(event_dict)
        except Exception as exc:
            return self._withheld(event_dict, exc)

    def redact(self, value: object) -> Any:
        """
        Return *value* with every secret in it replaced; never raises.

        Strings are scanned for secret shapes; mappings also get the key
        rule; lists, tuples, sets and header lists of ``(name, value)``
        pairs are walked; bytes are scanned as text; other objects are
        replaced by their (scanned) text form, as the renderer would show
        them.  *value* itself is never modified: what changes is copied,
        what does not is returned as is.

        Args:
            value: anything.

        Returns:
            The redacted value (*value* itself when nothing had to change).
        """
        try:
            return self._value(value, 0, _Walk())
        except Exception:
            return self._replacement

    # ----------------------------------------------------------------------
    # Events
    # ----------------------------------------------------------------------

    def _values(self, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
        """Redact an event whose keys are all known to be plain: only values to check."""
        clean = self._clean
        changes = None
        walk = None
        for key, value in event.items():
            cls = value.__class__
            if cls is str:
                if value in clean or not value.strip(_INERT):
                    continue
                new = self._text(value)
            elif cls in _SCALARS:
                if cls is int and _SMALL_INT_MIN <= value < _SMALL_INT_MAX:
                    clean.add(value)
                continue
            else:
                if walk is None:
                    walk = _Walk()
                new = self._value(value, 1, walk)
            if new is not value:
                if changes is None:
                    changes = {}
                changes[key] = new
        if changes:
            for key, new in changes.items():
                event[key] = new
        return event

    def _event(self, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
        """Redact an event with keys not seen before (or secret ones): the key rule first."""
        walk = None
        changes: dict[Any, Any] = {}
        renamed = False
        plain_keys = self._plain_keys
        for key, value in event.items():
            verdict = self._verdict(key)
            if self._dirty_name(key):
                renamed = True
            elif not verdict and key.__class__ is str:
                _remember(plain_keys, key)
            if verdict:
                if not (value is None or value is True or value is False):
                    changes[key] = self._mask(value)
                continue
            if walk is None:
                walk = _Walk()
            new = self._value(value, 1, walk)
            if new is not value:
                changes[key] = new
            elif value.__class__ is int and _SMALL_INT_MIN <= value < _SMALL_INT_MAX:
                self._clean.add(value)
        if renamed:
            out: dict[Any, Any] = {}
            for key, value in event.items():
                _put(out, self._key_name(key), changes.get(key, value))
            return out
        for key, new in changes.items():
            event[key] = new
        return event

    def _withheld(self, event: Mapping[str, Any], exc: BaseException) -> dict[str, Any]:
        """The fail-closed result when redaction itself failed: no value of *event* survives."""
        out: dict[str, Any] = {}
        try:
            stamp = event.get("timestamp")
            if stamp.__class__ is str and not stamp.strip(_INERT):
                out["timestamp"] = stamp
        except Exception:  # noqa: S110 - nothing of the event is needed
            pass
        out["level"] = "error"
        out["message"] = f"{self._replacement} (redaction failed: {type(exc).__qualname__})"
        return out

    # ----------------------------------------------------------------------
    # Keys
    # ----------------------------------------------------------------------

    def _verdict(self, key: object) -> int:
        """The key rule on *key*: ``_PLAIN`` (0), ``_SECRET`` or ``_COOKIE``."""
        if key.__class__ is str:
            verdict = self._keys.get(key)
            if verdict is None:
                verdict = self._rule.classify(key)
                if len(key) <= CACHE_TEXT:
                    if len(self._keys) >= CACHE_SIZE:
                        self._keys.clear()
                    self._keys[key] = verdict
            return verdict
        if key is None or key.__class__ in _SCALARS:
            return _PLAIN
        return self._rule.classify(_key_text(key))

    def _dirty_name(self, key: object) -> bool:
        """Does the text of *key* itself hold a secret (a token used as a dict key)?"""
        if key.__class__ is str:
            return self._text(key) is not key
        if key is None or key.__class__ in _SCALARS:
            return False
        name = _key_text(key)
        return self._text(name) is not name

    def _key_name(self, key: object) -> Any:
        """*key* as written out: itself, or its redacted text when it holds a secret."""
        if key.__class__ is str:
            return self._text(key)
        if key is None or key.__class__ in _SCALARS:
            return key
        name = _key_text(key)
        new = self._text(name)
        return key if new is name else new

    # ----------------------------------------------------------------------
    # Values
    # ----------------------------------------------------------------------

    def _mask(self, value: object) -> Any:
        """The replacement, as bytes for bytes (header lists keep their type)."""
        if isinstance(value, (bytes, bytearray)):
            return self._replacement_bytes
        return self._replacement

    def _value(self, value: Any, depth: int, walk: _Walk) -> Any:
        cls = value.__class__
        if cls is str:
            return self._text(value)
        if cls in _SCALARS:
            return value
        if isinstance(value, enum.Enum):
            # Rendered as its value: redact that.
            inner = value.value
            new = self._value(inner, depth, walk)
            return value if new is inner else new
        if isinstance(value, str):
            return self._scan(value)
        if isinstance(value, (bytes, bytearray, memoryview)):
            return self._bytes(value)
        if isinstance(value, int):  # int subclasses render as numbers
            return value
        if depth > MAX_DEPTH:
            return f"{self._replacement} (nested too deep)"
        if isinstance(value, dict):
            return self._mapping(value, depth, walk)
        if cls is list or cls is tuple or isinstance(value, list):
            return self._sequence(value, depth, walk)
        if isinstance(value, (set, frozenset)):
            return self._set(value, depth, walk)
        if _is_dataclass_instance(value):
            try:
                fields = {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
            except Exception:
                return self._object(value)
            # Rendered as a JSON object of its fields: redact it as one.
            return self._mapping(fields, depth, walk)
        return self._object(value)

    def _object(self, value: object) -> str:
        """Anything else is rendered as text (its repr, or ``Type: message``): scan that."""
        text = _render_default(value)
        if text.__class__ is not str:  # pragma: no cover - _default returns text for objects
            text = safe_repr(value)
        return self._text(text)

    def _bytes(self, value: bytes | bytearray | memoryview) -> Any:
        text = bytes(value).decode("utf-8", "backslashreplace")
        new = self._text(text)
        return value if new is text else new

    def _exhausted(self, walk: _Walk) -> bool:
        walk.budget -= 1
        return walk.budget < 0

    def _mapping(self, mapping: dict[Any, Any], depth: int, walk: _Walk) -> Any:
        marker = id(mapping)
        if marker in walk.path:
            return _CYCLE
        try:
            # dict's own items, as orjson reads them (a subclass may override items()).
            items = list(dict.items(mapping))
        except Exception:
            return self._object(mapping)
        walk.path.add(marker)
        try:
            out: dict[Any, Any] = {}
            changed = False
            for index, (key, value) in enumerate(items):
                if index == MAX_ITEMS or self._exhausted(walk):
                    out[self._replacement] = f"{len(items) - index} more items"
                    changed = True
                    break
                name = self._key_name(key)
                if self._verdict(key):
                    new = value if value is None or value is True or value is False else None
                    if new is None and value is not None:
                        new = self._mask(value)
                else:
                    new = self._value(value, depth + 1, walk)
                if new is not value or name is not key:
                    changed = True
                _put(out, name, new)
            pair = self._named_pair(out)
            if pair is not None:
                return pair
            return out if changed else mapping
        finally:
            walk.path.discard(marker)

    def _named_pair(self, mapping: dict[Any, Any]) -> dict[Any, Any] | None:
        """
        ``{"name": "Authorization", "value": "Bearer …"}`` (HAR headers, AWS
        tags): the value is replaced when the name is a secret key.
        """
        if len(mapping) != 2:
            return None
        name_key = value_key = None
        for key in mapping:
            lowered = key.lower() if key.__class__ is str else None
            if lowered in ("name", "key"):
                name_key = key
            elif lowered == "value":
                value_key = key
        if name_key is None or value_key is None:
            return None
        name = mapping[name_key]
        value = mapping[value_key]
        if not isinstance(name, (str, bytes)) or value is None or value is True or value is False:
            return None
        if not self._verdict(_key_text(name)):
            return None
        return {**mapping, value_key: self._mask(value)}

    def _sequence(self, seq: list[Any] | tuple[Any, ...], depth: int, walk: _Walk) -> Any:
        marker = id(seq)
        if marker in walk.path:
            return _CYCLE
        is_tuple = seq.__class__ is tuple
        if is_tuple and len(seq) == 2:
            pair = self._pair(seq)
            if pair is not None:
                return pair
        # list's own items, as orjson reads them (a subclass may override __iter__).
        items = seq if isinstance(seq, tuple) else list.copy(seq)
        walk.path.add(marker)
        try:
            # A list of (name, value) rows is a header list: its 2-lists are pairs too.
            rows = len(items) <= MAX_ITEMS and all(
                (row.__class__ is tuple or row.__class__ is list) and len(row) == 2 for row in items
            )
            out: list[Any] = []
            changed = False
            for index, item in enumerate(items):
                if index == MAX_ITEMS or self._exhausted(walk):
                    out.append(f"{self._replacement} ({len(items) - index} more items)")
                    changed = True
                    break
                new = self._pair(item) if rows else None
                if new is None:
                    new = self._value(item, depth + 1, walk)
                if new is not item:
                    changed = True
                out.append(new)
            if not changed:
                return seq
            return tuple(out) if is_tuple else out
        finally:
            walk.path.discard(marker)

    def _pair(self, item: Any) -> Any:
        """A ``(name, value)`` header pair whose name is secret, with the value replaced."""
        name, value = item
        if not isinstance(name, (str, bytes, bytearray)):
            return None
        if value is None or value is True or value is False:
            return None
        if not self._verdict(_key_text(name)):
            return None
        masked = self._mask(value)
        return (name, masked) if item.__class__ is tuple else [name, masked]

    def _set(self, items: set[Any] | frozenset[Any], depth: int, walk: _Walk) -> Any:
        marker = id(items)
        if marker in walk.path:
            return _CYCLE
        walk.path.add(marker)
        try:
            out = []
            changed = False
            for index, item in enumerate(items):
                if index == MAX_ITEMS or self._exhausted(walk):
                    out.append(f"{self._replacement} ({len(items) - index} more items)")
                    changed = True
                    break
                new = self._value(item, depth + 1, walk)
                changed = changed or new is not item
                out.append(new)
            if not changed:
                return items
            try:
                return frozenset(out) if isinstance(items, frozenset) else set(out)
            except TypeError:  # a member became unhashable (a copied list)
                return out
        finally:
            walk.path.discard(marker)

    # ----------------------------------------------------------------------
    # Text
    # ----------------------------------------------------------------------

    def _text(self, text: str) -> str:
        """:meth:`_scan` with the caches in front; returns *text* itself when clean."""
        if text in self._clean:
            return text
        dirty = self._dirty.get(text)
        if dirty is not None:
            return dirty
        if not text.strip(_INERT):
            return text
        new = self._scan(text)
        if len(text) <= CACHE_TEXT:
            if new is text:
                if len(self._clean) >= CACHE_SIZE:
                    self._forget()
                self._clean.add(text)
            else:
                if len(self._dirty) >= CACHE_SIZE:
                    self._dirty.clear()
                self._dirty[text] = new
        return new

    def _scan(self, text: str) -> str:
        """Replace every secret span in *text*; returns *text* itself when there is none."""
        cut = ""
        if len(text) > MAX_TEXT:
            cut = f"{self._replacement} ({len(text) - MAX_TEXT} more characters)"
            text = text[:MAX_TEXT]
        new = self._rules(text) if self._trigger.search(text.lower()) else text
        for pattern in self._extra:
            new = pattern.sub(self._extra_match, new)
        if cut:
            return new + cut
        return text if new == text else new

    def _extra_match(self, match: re.Match[str]) -> str:
        """Replace a match of an extra pattern: its ``secret`` group, or all of it."""
        if match.re.groupindex.get("secret") and match.group("secret") is not None:
            start, end = match.span("secret")
            text = match.string
            return text[match.start() : start] + self._replacement + text[end : match.end()]
        return self._replacement

    def _rules(self, text: str) -> str:
        """Apply the combined pattern left to right, replacing only secret spans."""
        parts: list[str] = []
        last = 0  # the end of the text already copied to parts
        pos = 0  # where the next search starts
        search = _SCAN.search
        while True:
            match = search(text, pos)
            if match is None:
                break
            rule = match.lastgroup
            if rule == "key_value":
                span = self._pair_value(text, match)
                if span is None:
                    # Not a secret key: what follows is scanned like any text.
                    pos = match.end("key")
                    continue
                start, end = span
                pos = end
            else:
                group = f"s_{rule}"
                if match.group(group) is None:  # the second webhook alternative
                    group = f"t_{rule}"
                start, end = match.span(group)
                pos = match.end()
                if rule == "auth_scheme":
                    token = text[start:end].rstrip(".,")
                    if not _TOKENISH.match(token):
                        pos = start  # prose ("Bearer authentication"): scan on
                        continue
                    pos = end = start + len(token)
            parts.append(text[last:start])
            parts.append(self._replacement)
            last = end
        if not parts:
            return text
        parts.append(text[last:])
        return "".join(parts)

    def _pair_value(self, text: str, match: re.Match[str]) -> tuple[int, int] | None:
        """The span of the value after a secret key, or ``None`` if there is nothing to hide."""
        verdict = self._verdict(match.group("key"))
        if not verdict:
            return None
        at = match.end()
        quoted = text[at : at + 1] in ("'", '"', "\\")
        if verdict == _COOKIE and not quoted:
            cookie = _COOKIE_VALUE.match(text, at)
            return None if cookie is None else cookie.span()
        value = _VALUE.match(text, at)
        if value is None:
            return None
        group = value.lastgroup or "u"
        start, end = value.span(group)
        if group == "u":
            # "Authorization: Bearer abc": keep the scheme, hide what follows.
            scheme = _SCHEME.match(text, start)
            if scheme is not None:
                token = _BARE.match(text, scheme.end())
                if token is not None:
                    start, end = token.span()
        else:
            scheme = _SCHEME.match(text, start, end)
            if scheme is not None:
                start = scheme.end()
        content = text[start:end]
        if (
            _NOT_A_VALUE.fullmatch(content)
            or content.startswith(self._replacement)
            or (match.group("dash") and content.startswith("-"))
        ):
            return None
        return start, end


def _key_text(key: object) -> str:
    """The text of a non-str key: bytes decoded, anything else as ``str()`` shows it."""
    if isinstance(key, str):
        return key
    if isinstance(key, (bytes, bytearray)):
        return bytes(key).decode("utf-8", "backslashreplace")
    try:
        return str(key)
    except Exception:
        return safe_repr(key)


def _put(out: dict[Any, Any], key: Any, value: Any) -> None:
    """Add *key*; a redacted key that collides with another gets a number."""
    if key in out and key.__class__ is str:
        n = 2
        while f"{key} ({n})" in out:
            n += 1
        key = f"{key} ({n})"
    out[key] = value


def _remember(cache: set[Any], item: Any) -> None:
    if len(cache) >= CACHE_SIZE:
        cache.clear()
    cache.add(item)


def _iterable(value: object, what: str) -> list[Any]:
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        raise TypeError(f"{what} must be an iterable (list, tuple, set), not {value!r}")
    return list(value)


def _key_names(names: object, what: str) -> list[list[str]]:
    out = []
    for name in _iterable(names, what):
        if not isinstance(name, str):
            raise TypeError(f"{what} must hold key names (str), got {name!r}")
        words = _words(name)
        if not words:
            raise ValueError(f"{what}: {name!r} is not a usable key name (no letters or digits)")
        out.append(words)
    return out


def _compile(pattern: object) -> re.Pattern[str]:
    if isinstance(pattern, re.Pattern):
        if not isinstance(pattern.pattern, str):
            raise TypeError(f"extra_patterns must be str patterns, not {pattern!r}")
        compiled = pattern
    elif isinstance(pattern, str):
        try:
            compiled = re.compile(pattern)
        except re.error as exc:
            raise ValueError(f"extra_patterns: {pattern!r} is not a valid pattern: {exc}") from None
    else:
        raise TypeError(f"extra_patterns must hold str or re.Pattern, got {pattern!r}")
    if compiled.match("") is not None:
        raise ValueError(f"extra_patterns: {pattern!r} matches the empty string")
    return compiled


#: The default :class:`Redactor`: what ``joblog.configure(redact=True)`` uses.
redact_secrets: Final = Redactor()
