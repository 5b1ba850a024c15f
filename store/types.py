"""Column types: text any sender can send, money in exact cents, instants in UTC."""
from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

from sqlalchemy.types import BigInteger, DateTime, Interval, String, Text, TypeDecorator

# What takes the place of a character no database can store: PostgreSQL's text cannot
# hold NUL, and neither database's driver encodes a lone surrogate (only JSON can carry
# one in). U+FFFD, the replacement character, says "something was here".
REPLACEMENT = "\ufffd"
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def storable_text(value: str) -> str:
    """`value` with NUL and lone surrogates replaced by U+FFFD; everything else as sent."""
    return _UNSTORABLE.sub(REPLACEMENT, value)


class _Storable:
    def process_bind_param(self, value, dialect):
        return storable_text(value) if isinstance(value, str) else value


class StoredString(_Storable, TypeDecorator):
    """VARCHAR(n) that takes any text (see storable_text)."""

    impl = String
    cache_ok = True


class StoredText(_Storable, TypeDecorator):
    """TEXT that takes any text (see storable_text)."""

    impl = Text
    cache_ok = True


class Money(TypeDecorator):
    """A Decimal stored as whole cents, exact on SQLite and PostgreSQL alike."""

    impl = BigInteger
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return None if value is None else int((Decimal(value) * 100).to_integral_value())

    def process_result_value(self, value, dialect):
        return None if value is None else (Decimal(value) / 100).quantize(Decimal("0.01"))


def iso_utc(moment: dt.datetime, timespec: str = "auto") -> str:
    """An instant as ISO 8601 in UTC with a Z: 2026-11-25T15:00:00Z."""
    return moment.astimezone(dt.timezone.utc).replace(tzinfo=None).isoformat(timespec=timespec) + "Z"


class NaiveDateTimeError(ValueError):
    """An instant without a time zone: the store cannot tell which moment it means."""


class UTCDateTime(TypeDecorator):
    """An instant: written from a timezone-aware datetime (a naive one is refused), read
    back aware in UTC. PostgreSQL keeps it as timestamp with time zone; SQLite, which has
    no zones, as the UTC wall time."""

    impl = DateTime
    cache_ok = True

    def load_dialect_impl(self, dialect):
        return dialect.type_descriptor(DateTime(timezone=dialect.name != "sqlite"))

    def coerce_compared_value(self, op, value):
        # `column - timedelta` is arithmetic with an interval, not an instant to check.
        return Interval() if isinstance(value, dt.timedelta) else self

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if not isinstance(value, dt.datetime) or value.tzinfo is None:
            raise NaiveDateTimeError(
                f"the store takes timezone-aware datetimes (e.g. in UTC), not {value!r}")
        value = value.astimezone(dt.timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.timezone.utc)
        return value.astimezone(dt.timezone.utc)
