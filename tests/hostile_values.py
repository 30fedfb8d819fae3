"""Values built to break a logger: each raises, or crashes an encoder, when read."""

from __future__ import annotations

import dataclasses
import datetime as dt
import decimal
import enum
from collections.abc import Callable
from typing import Any


class Boom(Exception):
    """What every hostile method raises."""


def _boom(*_: object, **__: object) -> Any:
    raise Boom("hostile")


class HostileTZ(dt.tzinfo):
    utcoffset = dst = tzname = _boom


class HostileEnum(enum.Enum):
    A = 1

    @property
    def value(self) -> Any:  # type: ignore[override]
        raise Boom("hostile")


@dataclasses.dataclass
class HostileDataclass:
    a: int = 1

    def __getattribute__(self, name: str) -> Any:
        raise Boom("hostile")


class HostileSet(set[int]):
    __iter__ = __len__ = __repr__ = _boom


class HostileDecimal(decimal.Decimal):
    __str__ = __repr__ = __format__ = _boom


class HostileObject:
    def __getattribute__(self, name: str) -> Any:
        raise Boom("hostile")


class HostileStr(str):
    __str__ = __repr__ = _boom


class HostileList(list[int]):
    __iter__ = __len__ = __repr__ = _boom


def _released() -> memoryview:
    view = memoryview(b"abc")
    view.release()
    return view


#: name -> a factory of the hostile value.
HOSTILE: dict[str, Callable[[], object]] = {
    "datetime_tz": lambda: dt.datetime(2026, 1, 1, tzinfo=HostileTZ()),
    "time_tz": lambda: dt.time(1, tzinfo=HostileTZ()),
    "enum_value": lambda: HostileEnum.A,
    "dataclass_getattribute": lambda: HostileDataclass(),
    "huge_int": lambda: 10**5000,
    "set_subclass": lambda: HostileSet([1]),
    "decimal_subclass": lambda: HostileDecimal("1.5"),
    "released_memoryview": _released,
    "object_getattribute": lambda: HostileObject(),
    "str_subclass": lambda: HostileStr("text"),
    "list_subclass": lambda: HostileList([1]),
    "lone_surrogate": lambda: "a\udcffb",
}
