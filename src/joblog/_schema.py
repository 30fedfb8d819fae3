"""
The output schema, owned here once: field names, level tables, ``parse_level``.

Every line joblog writes starts with :data:`TIMESTAMP`, :data:`LEVEL`,
:data:`MESSAGE` and :data:`LOGGER`, in that order; a call with an exception
adds :data:`ERROR_TYPE`, :data:`ERROR_MESSAGE` and :data:`EXCEPTION`.  Front
ends, renderers and replacement lines spell these names through this module,
so a different field layout is one function applied to the finished event,
not an edit in every file.  A leaf module: it imports nothing of joblog's.
"""

from __future__ import annotations

from typing import Final

__all__ = [
    "ERROR_MESSAGE",
    "ERROR_TYPE",
    "EXCEPTION",
    "JOB_ID",
    "LEVEL",
    "LEVELS",
    "LEVEL_ALIASES",
    "LEVEL_NAMES",
    "LOGGER",
    "MESSAGE",
    "SCHEMA_KEYS",
    "STACK",
    "TIMESTAMP",
    "parse_level",
]

TIMESTAMP: Final = "timestamp"
LEVEL: Final = "level"
MESSAGE: Final = "message"
LOGGER: Final = "logger"
#: The four fields that lead every line, in order.  A call-site, bound or
#: ``extra`` field named like one is kept as ``fields.<name>``.
SCHEMA_KEYS: Final = frozenset({TIMESTAMP, LEVEL, MESSAGE, LOGGER})
JOB_ID: Final = "job_id"

ERROR_TYPE: Final = "error_type"
ERROR_MESSAGE: Final = "error_message"
EXCEPTION: Final = "exception"
STACK: Final = "stack"

#: Level name -> number, as :mod:`logging` numbers them.
LEVELS: Final = {"debug": 10, "info": 20, "warning": 30, "error": 40, "critical": 50}
#: Level number -> name.
LEVEL_NAMES: Final = {number: name for name, number in LEVELS.items()}
#: Other spellings accepted wherever a level name is read.
LEVEL_ALIASES: Final = {"warn": "warning", "fatal": "critical", "crit": "critical", "err": "error"}


def parse_level(level: object, what: str = "level") -> int:
    """
    Return the numeric level for *level* (a name such as ``"info"`` or an int).

    Args:
        level: a level name (case-insensitive, aliases such as ``"warn"``
            accepted) or a number from 0 to 50.
        what: how the error message names the value (``"JOBLOG_LEVEL"``).

    Returns:
        The level's number.

    Raises:
        ValueError: for an unknown name or an out-of-range number.
        TypeError: for anything that is neither a string nor an int.
    """
    if isinstance(level, bool):
        raise TypeError(f"{what} must be a level name or an int, not {level!r}")
    if isinstance(level, int):
        if not 0 <= level <= 50:
            raise ValueError(f"{what} {level!r} is out of range: expected 0..50")
        return level
    if isinstance(level, str):
        name = level.strip().lower()
        name = LEVEL_ALIASES.get(name, name)
        if name in LEVELS:
            return LEVELS[name]
        raise ValueError(
            f"unknown {what} {level!r}: expected one of debug, info, warning, error, critical"
        )
    raise TypeError(f"{what} must be a level name or an int, not {level!r}")
