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

The rules are written down in ``docs/redaction.md``.  Speed matters as
much as the rules, because redaction is on by default: key decisions and
already-scanned short strings are cached (bounded); text is scanned once,
in C, for the places a rule can start (anchors), and only there do the
rules run; every pattern runs in linear time.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import re
import uuid
from collections.abc import Callable, Iterable, Mapping, MutableMapping
from decimal import Decimal
from functools import partial
from itertools import filterfalse, islice
from operator import itemgetter
from types import MappingProxyType
from typing import Any, AnyStr, Final

from ahocorasick_rs import AhoCorasick

from ._rules import DEFAULT_RULES, TOKEN_START, SecretRule
from .render import _default as _render_default
from .render import safe_repr

__all__ = [
    "DEFAULT_KEYS",
    "DEFAULT_PATTERNS",
    "DEFAULT_RULES",
    "Redactor",
    "SecretRule",
    "redact_secrets",
]

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
        "pin",
        "pin_code",
        "totp_seed",
        "otp_seed",
        "mfa_seed",
        "code_verifier",
        "recovery_key",
        "customer_key",
        "secret_binary",
        "client_assertion",
        "saml_response",
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
_EXACT_KEYS: Final = frozenset({"pass", "plaintext"})
# "REDIS_PASS", "LDAP_PASS": a key ending in the word "pass" is a password,
# unless the word before says which pass of several it is.
_PASS_ORDINALS: Final = frozenset(
    {
        "first",
        "second",
        "third",
        "last",
        "next",
        "final",
        "single",
        "multi",
        "one",
        "two",
        "render",
        "shadow",
        "depth",
        "lighting",
        "main",
        "pre",
        "post",
        "boarding",
        "bus",
        "day",
        "season",
        "hall",
        "free",
        "mountain",
        "by",
        "com",
        "sur",
        "over",
        "under",
    }
)

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

# The key rule's verdicts.
_PLAIN: Final = 0
_SECRET: Final = 1
_COOKIE: Final = 2  # secret, and its value in text is a whole cookie list


def _words(name: str) -> list[str]:
    """``"X-Api-Key"`` -> ``["x", "api", "key"]``; camelCase is split."""
    return [w for w in _NON_WORD.split(_CAMEL.sub("_", name).lower()) if w]


class _KeyRule:
    """The key rule, compiled: which key names hold secrets (and which hold cookies)."""

    __slots__ = ("allow", "compact", "longest", "nouns", "suffixes", "triggers")

    def __init__(self, nouns: Iterable[str], allow: Iterable[str]) -> None:
        self.nouns = frozenset(nouns)
        self.compact = {noun.replace("_", ""): noun for noun in self.nouns}
        # Only a key's last words can name its secret: no more than the longest noun has.
        self.longest = max(noun.count("_") + 1 for noun in self.nouns)
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
        if words[-1] == "pass" and len(words) > 1 and words[-2] not in _PASS_ORDINALS:
            return _SECRET
        words = words[-self.longest :]
        noun = None
        for i in range(len(words)):
            noun = self.compact.get("".join(words[i:]))
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
    Substrings that every secret key contains: where a key=value pair may be in text.

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
# The value rule
# --------------------------------------------------------------------------

#: The value rule's patterns by name: what each matches at the spot where
#: one of its anchors occurs (``pattern.match(text, pos)``); the ``secret``
#: group is what gets replaced.  ``key=value`` pairs in text are the key
#: rule's: a value is replaced when its key is secret (``docs/redaction.md``).
DEFAULT_PATTERNS: Final[Mapping[str, re.Pattern[str]]] = MappingProxyType(
    {rule.name: re.compile(rule.pattern) for rule in DEFAULT_RULES}
)

_START_OF: Final = itemgetter(1)
_FLAG_SEPARATOR: Final = re.compile(r"=|[ \t]+")
# The start of the word(s) before an anchor, read in the reversed text: the
# rest of the anchor's word, then maybe one space and the word before it.
_BACK: Final = re.compile(r"[\w.\-]{0,64}(?:[ ](?P<previous>[\w.\-]{1,64}))?")

# A bare value: up to white space, a quote, a query/cookie/list separator or a closer.
_BARE_SOURCE: Final = r"[^\s\"'&;,<>(){}\[\]\\][^\s\"'&;,<>)}\]\\]*"
_BARE: Final = re.compile(_BARE_SOURCE)
# The value after a secret key: escaped-quoted, quoted, or bare.
_VALUE: Final = re.compile(
    r"\\{1,3}[\"'](?P<e>[^\"'\\\r\n]+)"
    r"|\"(?P<d>(?:[^\"\\\r\n]|\\.)+)"
    r"|'(?P<s>(?:[^'\\\r\n]|\\.)+)"
    # A bytes repr (b'...', b"..."), a value in HTML-escaped quotes.
    r"|[ \t]?b'(?P<bs>(?:[^'\\\r\n]|\\.)+)|[ \t]?b\"(?P<bd>(?:[^\"\\\r\n]|\\.)+)"
    r"|&(?:quot|#3[49]);(?P<h>(?:[^&\r\n]|&(?!quot;|#3[49];))+)"
    # A flat tuple, list or object on one line (auth=('ada', 'pw'), "creds": {...}).
    r"|\((?P<p>[^()\r\n]+)\)|\[(?P<l>[^\[\]\r\n]+)\]|\{(?P<o>[^{}\r\n]+)\}"
    r"|(?P<u>" + _BARE_SOURCE + ")"
)
# A cookie header's value: the whole name=value list.
_COOKIE_VALUE: Final = re.compile(r"[^\s\"';,]+(?:;[ ]?[^\s\"';,]+)*")
# An authorization scheme, kept in front of the credential it introduces.
# (Repeated: "Bearer Bearer x", from a confused client, keeps both.)
_SCHEMES: Final = re.compile(
    r"(?:(?i:bearer|basic|digest|token|bot|negotiate|ntlm|dpop|apikey|sso-key)[ \t]+(?=\S))+"
)
# Values after a secret key that are not secrets: booleans, nulls, templates.
_NOT_A_VALUE: Final = re.compile(
    # Status words after a secret name: "token=expired", "Authorization: required".
    r"(?i:true|false|null|none|nil|undefined|expired|missing|required|invalid|revoked|"
    r"empty|unset|absent|present|provided|rejected|denied|unknown|valid|ok|n/a|not[ _]set)"
    r"|\$\{[^}]*\}?|\{\{.*|%[sdr]|%\([\w.]+\)[sdr]|\*+"
)

# Characters that no rule can match in: a string made only of these (a
# timestamp, a number) needs no scan.
_INERT: Final = "0123456789-:.TZ +/"
_INERT_BYTES: Final = _INERT.encode()


# After a secret noun: the rest of the key (one more word at most), a closing
# quote, a separator.  Where this does not match, no key=value pair can be.
# The rest of a word is taken whole (an atomic group, written as a captured
# lookahead and a back-reference for Python 3.10): nothing after it can start
# with a word character, so giving characters back could never help.
_KEY_TAIL: Final = (
    r"(?=(?P<rest>[\w.\-]{0,64}))(?P=rest)"
    r"(?:[ ](?=(?P<word>[\w.\-]{1,64}))(?P=word))?(?P<tail>)"
    # A closing quote (escaped, HTML-escaped) then a separator; or after a
    # quote a comma before a bytes value: a header tuple (b'x-api-key', b'...').
    r"(?:(?:\\{0,3}[\"']|&quot;|&#3[49];)"
    r"(?:[ \t]{0,8}(?:=>|:=|==|[:=](?!//)|%3[ad])|,(?=[ \t]?b[\"']))"
    r"|[ \t]{0,8}(?:=>|:=|==|[:=](?!//)|%3[ad]))[ \t]{0,8}"
)
# --password value: a noun in a word that starts with "--", then a blank or "=".
_DASH_KEY: Final = (r"--[\w.\-]{0,62}?(?:", r")[\w.\-]{0,64}(?=[ \t]+[^\s\-]|=)")


def _alternation(literals: Iterable[str], context: Mapping[str, str] = MappingProxyType({})) -> str:
    """
    A regex for any of *literals*, factored by first character, longest first.

    The engine then tries at most one branch per position, and skips in C the
    positions whose character starts no literal.
    """
    by_first: dict[str, list[str]] = {}
    for literal in literals:
        by_first.setdefault(literal[0], []).append(literal)
    branches = []
    for first, group in sorted(by_first.items()):
        rests = [
            re.escape(literal[1:]) + context.get(literal, "")
            for literal in sorted(group, key=len, reverse=True)
        ]
        branches.append(re.escape(first) + (f"(?:{'|'.join(rests)})" if any(rests) else ""))
    return "|".join(branches)


# A rule compiled: its pattern, how far before its anchor it may start, its
# check, the character the text needs.
_Compiled = tuple[re.Pattern[str], int, "Callable[[str], bool] | None", str]
# Characters that may not come right before a token.
_TOKEN_CHARS: Final = frozenset("abcdefghijklmnopqrstuvwxyz0123456789_-")


class _Anchors:
    """
    Every literal a rule can start at, found in one pass over the text.

    The literals are the rules' anchors and the secret nouns of the key
    rule (where a ``key=value`` pair may be); an Aho-Corasick automaton
    finds all of them at once, in time linear in the text and independent
    of how many there are.
    """

    __slots__ = ("dash", "find", "nouns", "rules", "tail", "token_start")

    def __init__(self, nouns: Iterable[str], rules: Iterable[SecretRule]) -> None:
        by_literal: dict[str, list[SecretRule]] = {}
        for rule in rules:
            for literal in rule.anchors:
                by_literal.setdefault(literal, []).append(rule)
        noun_set = set(nouns)
        literals = sorted(by_literal.keys() | noun_set)
        compiled: dict[str, _Compiled] = {}
        #: By literal index: the rules to try there.
        self.rules: list[tuple[_Compiled, ...]] = []
        #: By literal index: every rule there needs a token boundary before it.
        self.token_start: list[bool] = []
        #: By literal index: the literal is a secret noun.
        self.nouns: list[bool] = []
        for literal in literals:
            here = by_literal.get(literal, [])
            self.rules.append(
                tuple(
                    compiled.setdefault(
                        rule.name, (re.compile(rule.pattern), rule.back, rule.check, rule.needs)
                    )
                    for rule in here
                )
            )
            self.token_start.append(
                bool(here) and all(r.pattern.startswith(TOKEN_START) and not r.back for r in here)
            )
            self.nouns.append(literal in noun_set)
        automaton = AhoCorasick(literals)
        self.find = partial(automaton.find_matches_as_indexes, overlapping=True)
        #: After a noun: the rest of a key and a separator.
        self.tail = re.compile(_KEY_TAIL).match
        #: --key value with a secret noun in the key.
        self.dash = re.compile(_alternation(sorted(noun_set)).join(_DASH_KEY)).search


def _lower(text: str) -> str:
    """*text* lower-cased, one character for one (anchors found in it are positions in *text*)."""
    low = text.lower()
    if len(low) != len(text):
        # U+0130 ("İ") is the one character whose lower case is longer ("i̇").
        low = text.replace("\u0130", "i").lower()
    return low


def _is_dataclass_instance(value: object) -> bool:
    return dataclasses.is_dataclass(value) and not isinstance(value, type)


# Types that are never secrets and render without calling user code.
_SCALARS: Final = frozenset(
    {int, float, bool, type(None), dt.datetime, dt.date, dt.time, dt.timedelta, Decimal, uuid.UUID}
)
# Small ints (counters, scene numbers, status codes) repeat: they join the
# cache of clean values, so the fast path skips them in C.  The range bounds
# how many there can be; other numbers are checked by type, never scanned.
# The exact types whose values the caches may answer for.
_CACHEABLE: Final = frozenset({str, int, float, bool, type(None)}).issuperset
# Name/value records (see Redactor._named_pair): their keys, their size.
_NAME_KEYS: Final = frozenset(
    {"name", "key", "parameterkey", "parameter_key", "optionname", "option_name", "attributename"}
)
_VALUE_KEYS: Final = frozenset({"value", "parametervalue", "parameter_value", "attributevalue"})
_RECORD_SIZE: Final = 16
_JWK_PRIVATE: Final = frozenset({"d", "p", "q", "dp", "dq", "qi", "k", "oth"})
_SMALL_INT_MIN: Final = -128
_SMALL_INT_MAX: Final = 1024


class _Walk:
    """
    Per-call state: values left to visit, containers on the current path
    (a cycle), and containers already done (a shared one is walked once:
    the object is kept with its result, so its id cannot be reused).
    """

    __slots__ = ("budget", "done", "path")

    def __init__(self) -> None:
        self.budget = MAX_NODES
        self.path: set[int] = set()
        self.done: dict[int, tuple[object, Any]] = {}


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
        disable: names of default rules (:data:`DEFAULT_RULES`) to turn
            off, for example ``["twilio-api-key"]``.
        extra_rules: more secret formats, as :class:`SecretRule` records;
            they run like the default rules, from their anchors.

    Raises:
        TypeError: an argument of the wrong type (a bare string where a list
            is expected, a bytes pattern, a non-string key).
        ValueError: an empty key name, an invalid pattern or one that
            matches the empty string, an empty replacement, an unknown rule
            name in *disable*, an extra rule whose name is taken.
    """

    __slots__ = (
        "_all_clean",
        "_anchors",
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
    )

    def __init__(
        self,
        *,
        extra_keys: Iterable[str] = (),
        extra_patterns: Iterable[str | re.Pattern[str]] = (),
        allow_keys: Iterable[str] = (),
        replacement: str = REPLACEMENT,
        disable: Iterable[str] = (),
        extra_rules: Iterable[SecretRule] = (),
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
        self._anchors = _Anchors(self._rule.triggers, _rule_set(disable, extra_rules))
        # Caches, each bounded by CACHE_SIZE (emptied when full).
        self._keys: dict[str, int] = {}  # key -> _PLAIN, _SECRET or _COOKIE
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
                # values can hold secrets; most are cached as clean.  The
                # caches hold only values of exact built-in types, and are
                # asked only about such values: an object whose __eq__ or
                # __hash__ lies cannot pass for a cached one.
                if not _CACHEABLE(map(type, event_dict.values())):
                    return self._values(event_dict)
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
            if self._key_name(key) is not key:  # a token used as a key
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
        out["message"] = f"{self._replacement} (redaction failed: {type(exc).__name__})"
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
        data = bytes(value)
        if len(data) <= MAX_TEXT:
            text = _decode(data)
            new = self._text(text)
            return value if new is text else new
        # Cut before decoding: all but the first MAX_TEXT bytes are dropped anyway.
        end = _cut_at(data, b" ", b"\n")
        text = _decode(data[:end])
        return self._text(text) + f"{self._replacement} ({len(data) - end} more bytes)"

    def _exhausted(self, walk: _Walk) -> bool:
        walk.budget -= 1
        return walk.budget < 0

    def _mapping(self, mapping: dict[Any, Any], depth: int, walk: _Walk) -> Any:
        marker = id(mapping)
        if marker in walk.path:
            return _CYCLE
        if marker in walk.done:
            return walk.done[marker][1]
        # dict's own items, as orjson reads them (a subclass may override items()).
        items = list(dict.items(mapping))
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
                    secretless = value is None or value is True or value is False
                    new = value if secretless else self._mask(value)
                else:
                    new = self._value(value, depth + 1, walk)
                if new is not value or name is not key:
                    changed = True
                _put(out, name, new)
            result = self._named_pair(out)
            if result is None:
                result = out if changed else mapping
            walk.done[marker] = (mapping, result)
            return result
        finally:
            walk.path.discard(marker)

    def _named_pair(self, mapping: dict[Any, Any]) -> dict[Any, Any] | None:
        """
        A name/value record, or a private JWK, with its secret replaced.

        ``{"name": "Authorization", "value": "Bearer …"}`` (HAR headers, AWS
        tags, kubernetes env vars, SSM parameters, CloudFormation
        ``ParameterKey``/``ParameterValue``, Beanstalk ``OptionName``/``Value``):
        the value is replaced when the name is a secret key, or when the
        record says it is secret (SSM ``"Type": "SecureString"``).  In a JWK
        (a dict with ``kty``) the private members (``d``, ``p``, ``q``,
        ``dp``, ``dq``, ``qi``, ``k``, ``oth``) are replaced.
        """
        if len(mapping) > _RECORD_SIZE:
            return None
        name_key = value_key = None
        secure = jwk = False
        for key, value in mapping.items():
            if key.__class__ is not str:
                continue
            lowered = key.lower()
            if lowered in _NAME_KEYS:
                name_key = key
            elif lowered in _VALUE_KEYS:
                value_key = key
            elif lowered == "type":
                secure = value.__class__ is str and value.lower() == "securestring"
            elif lowered == "kty":
                jwk = True
        if jwk:
            private = [k for k in mapping if k in _JWK_PRIVATE and mapping[k] is not None]
            return {**mapping, **{k: self._mask(mapping[k]) for k in private}} if private else None
        if value_key is None or (name_key is None and not secure):
            return None
        value = mapping[value_key]
        if value is None or value is True or value is False:
            return None
        if not secure:
            name = mapping[name_key]
            if not isinstance(name, (str, bytes)) or not self._verdict(_key_text(name)):
                return None
        return {**mapping, value_key: self._mask(value)}

    def _sequence(self, seq: list[Any] | tuple[Any, ...], depth: int, walk: _Walk) -> Any:
        marker = id(seq)
        if marker in walk.path:
            return _CYCLE
        if marker in walk.done:
            return walk.done[marker][1]
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
            result = (tuple(out) if is_tuple else out) if changed else seq
            walk.done[marker] = (seq, result)
            return result
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
        # A set cannot hold itself (it is not hashable): no cycle to guard against.
        marker = id(items)
        if marker in walk.done:
            return walk.done[marker][1]
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
        result: Any = items
        if changed:
            try:
                result = frozenset(out) if isinstance(items, frozenset) else set(out)
            except TypeError:  # a member became unhashable (a copied list)
                result = out
        walk.done[marker] = (items, result)
        return result

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
            end = _cut_at(text, " ", "\n")
            cut = f"{self._replacement} ({len(text) - end} more characters)"
            text = text[:end]
        low = _lower(text)
        try:
            hits = self._anchors.find(low)
        except UnicodeEncodeError:
            # A lone surrogate: search a copy with "?" for each, the same length
            # (the codec's own replacement, in C: a regex sub took 0.1 s a MB).
            hits = self._anchors.find(low.encode("utf-8", "replace").decode("utf-8"))
        new = self._rules(text, low, hits) if hits else text
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

    def _rules(self, text: str, low: str, hits: list[tuple[int, int, int]]) -> str:
        """
        Find every secret span in *text* (*low* is it lower-cased, same length), replace them.

        *hits* are the places (literal index, start, end) where the anchor
        scan found a literal: each rule runs only there, with an anchored
        match.  A place inside what the last find took is skipped (no text
        is read twice); the spans are merged, so overlapping finds hide
        their union.
        """
        spans: list[tuple[int, int]] = []
        anchors = self._anchors
        rules = anchors.rules
        token_start = anchors.token_start
        nouns: list[tuple[int, int]] = []
        hidden = (0, 0)  # the last span found: anchors inside it need no look
        hits.sort(key=_START_OF)
        for index, at, stop in hits:
            if anchors.nouns[index]:
                nouns.append((at, stop))
            if hidden[0] <= at < hidden[1] or (
                token_start[index] and at and low[at - 1] in _TOKEN_CHARS
            ):
                continue
            for pattern, back, check, needs in rules[index]:
                if needs and needs not in text:
                    continue
                if back:
                    match = pattern.search(text, max(0, at - back), stop + 4096)
                    if match is None or match.start() > at:
                        continue
                else:
                    match = pattern.match(text, at)
                    if match is None:
                        continue
                start, end = match.span("secret")
                if check is not None and not check(text[start:end]):
                    continue
                # A rule's secret may start after its anchor ("-u ghp_...:pw"):
                # anchors before it still get their look.
                hidden = (start, end)
                spans.append(hidden)
                break
        if nouns:
            self._pairs(text, low, nouns, spans)
        if not spans:
            return text
        spans.sort()
        parts: list[str] = []
        last = 0
        for start, end in spans:
            if end <= last:
                continue
            if start > last or not parts:
                parts.append(text[last:start])
                parts.append(self._replacement)
            last = end  # an overlapping span extends the one before
        parts.append(text[last:])
        return "".join(parts)

    def _pairs(
        self, text: str, low: str, nouns: list[tuple[int, int]], spans: list[tuple[int, int]]
    ) -> None:
        """
        Add the values of secret ``key=value`` pairs and ``--key value`` flags to *spans*.

        Pairs are read left to right from the secret nouns found.  A noun
        that starts inside a value already read is dropped (a value can
        reach over into the next key: "x=mysecret token=abc" must still
        find "token").
        """
        reverse = text[::-1]
        tail = self._anchors.tail
        pos = 0
        for at, stop in nouns:
            if at < pos:
                continue
            pair = tail(low, stop)
            if pair is None:
                continue
            span = self._pair_value(text, reverse, at, pair.end("tail"), pair.end())
            if span is None:  # a plain key (or a URL's user info): its value is read on
                pos = pair.end()
                continue
            if span[0] < span[1]:
                spans.append(span)
            pos = span[1]
        if "--" in text:
            find = self._anchors.dash
            pos = 0
            while (flag := find(low, pos)) is not None:
                span = self._flag_value(text, flag.start(), flag.end())
                if span is None:
                    pos = flag.end()
                    continue
                if span[0] < span[1]:
                    spans.append(span)
                pos = span[1]

    def _pair_value(
        self, text: str, reverse: str, noun: int, key_end: int, separator_end: int
    ) -> tuple[int, int] | None:
        """
        The value to hide of the key=value pair whose key holds the noun at *noun*.

        The key starts at the beginning of the noun's word (or one word
        before: "api key"); it is secret if either reading is.
        """
        back = _BACK.match(reverse, len(text) - noun)
        if back is None:  # pragma: no cover - every part of _BACK is optional
            return None
        before = back.group()
        previous = back.group("previous")
        start = noun - len(before) + (len(previous) + 1 if previous else 0)
        if text[start - 2 : start] == "//" or (
            text[start - 1 : start] == ":" and text[separator_end - 1] == ":"
        ):
            return None  # user info of a URL, a path like arn:aws:...:secret:name
        verdict = self._verdict(text[start:key_end])
        if previous:
            verdict = verdict or self._verdict(text[noun - len(before) : key_end])
        if not verdict:
            return None
        return self._value_span(text, separator_end, verdict)

    def _flag_value(self, text: str, start: int, end: int) -> tuple[int, int] | None:
        """The value after ``--key`` (a blank or "=" follows *end*), if the key is secret."""
        verdict = self._verdict(text[start:end])
        if not verdict:
            return None
        separator = _FLAG_SEPARATOR.match(text, end)
        if separator is None:  # pragma: no cover - the dash scan checked it
            return None
        return self._value_span(text, separator.end(), verdict)

    def _value_span(self, text: str, at: int, verdict: int) -> tuple[int, int] | None:
        """
        The span of the value at *at*, after a secret key.

        ``None`` when there is no value there; an empty span at its end when
        the value is no secret (``true``, ``null``, a template, already redacted).
        """
        if text.startswith(self._replacement, at):
            end = at + len(self._replacement)
            return end, end  # redacted already (a line logged twice)
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
            scheme = _SCHEMES.match(text, start)
            if scheme is not None:
                return self._value_span(text, scheme.end(), _SECRET)
        else:
            scheme = _SCHEMES.match(text, start, end)
            if scheme is not None:
                start = scheme.end()
        if _NOT_A_VALUE.fullmatch(text, start, end) or text.startswith(self._replacement, start):
            return end, end  # read, nothing to hide (or hidden by an earlier pass)
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


#: Bytes that are not UTF-8, as surrogateescape decodes them -> as backslashreplace shows them.
_ESCAPES: Final = {0xDC80 + i: f"\\x{0x80 + i:02x}" for i in range(128)}


def _decode(data: bytes) -> str:
    """
    *data* as ``data.decode("utf-8", "backslashreplace")`` shows it, fast.

    That error handler runs once per invalid byte (a megabyte of binary
    takes a quarter of a second).  surrogateescape and the encoder's
    backslashreplace run in C: a byte 0xff becomes the surrogate U+DCFF,
    written ``\\udcff``, rewritten ``\\xff``.
    """
    try:
        return data.decode()
    except UnicodeDecodeError:
        pass
    if b"\\udc" in data:  # text of that form would be rewritten too
        return data.decode("utf-8", "surrogateescape").translate(_ESCAPES)
    escaped = data.decode("utf-8", "surrogateescape").encode("utf-8", "backslashreplace")
    return escaped.replace(b"\\udc", b"\\x").decode()


def _cut_at(data: AnyStr, blank: AnyStr, newline: AnyStr) -> int:
    """
    Where to cut *data*, longer than MAX_TEXT: at a blank near the limit if
    there is one, so no token is cut in two (its first part could be too
    short to recognize), else at the limit.
    """
    window = MAX_TEXT - 4096
    end = max(data.rfind(blank, window, MAX_TEXT), data.rfind(newline, window, MAX_TEXT))
    return end if end > window else MAX_TEXT


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


def _rule_set(disable: object, extra: object) -> list[SecretRule]:
    """The default rules less the *disable* names, plus the *extra* rules."""
    names = {rule.name for rule in DEFAULT_RULES}
    off = set()
    for name in _iterable(disable, "disable"):
        if name not in names:
            raise ValueError(f"disable: {name!r} is not the name of a default rule")
        off.add(name)
    rules = [rule for rule in DEFAULT_RULES if rule.name not in off]
    for rule in _iterable(extra, "extra_rules"):
        if not isinstance(rule, SecretRule):
            raise TypeError(f"extra_rules must hold SecretRule records, got {rule!r}")
        if rule.name in names:
            raise ValueError(f"extra_rules: the name {rule.name!r} is taken")
        names.add(rule.name)
        rules.append(rule)
    return rules


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
