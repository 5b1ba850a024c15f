"""Reading what an API caller sent: the JSON body and instants. Bad input raises
BadInput, which every route answers with a 400 and a JSON message (the handler is
registered once, in server/api/accounts.py), so no route needs its own try/except.
"""
from __future__ import annotations

import datetime as dt
import json
from typing import Any, Optional

from flask import request
from werkzeug.routing import IntegerConverter

# Deeper than any document the API takes (an account list is 3 levels); a deep one
# would otherwise exhaust the recursion of the parser or of whatever walks it next.
MAX_JSON_DEPTH = 32
# Instants the campaigns can compute with: a borrower's local time, a few days either
# side, must stay inside the years datetime knows (1 to 9999).
EARLIEST = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
LATEST = dt.datetime(3000, 1, 1, tzinfo=dt.timezone.utc)
INSTANT_HELP = "expected an ISO instant, e.g. 2026-11-25T15:00:00Z"
# The largest row id: both databases' INTEGER columns stop at 2**31 - 1 (a larger number
# in a query fails in the driver, not with "not found").
ROW_ID_MAX = 2**31 - 1


class BadInput(Exception):
    """A request the API cannot take; `message` says why (answered with a 400)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def _refuse_constant(name: str):
    raise BadInput(f"the body is not valid JSON ({name} is not a number JSON allows)")


def _depth(value: Any) -> int:
    """How deep lists and objects nest in `value` (without recursion)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else None
        if children is None:
            continue
        deepest = max(deepest, depth)
        if deepest > MAX_JSON_DEPTH:
            break
        stack.extend((child, depth + 1) for child in children)
    return deepest


def request_json(expected: str, required: bool = True) -> Any:
    """The request's JSON body, whatever its Content-Type; None for an empty body when
    it is optional. `expected` says what the route takes, for the error message."""
    raw = request.get_data(cache=True)
    if not raw.strip():
        if required:
            raise BadInput(f"the body is empty: {expected}")
        return None
    too_deep = f"the body is nested deeper than {MAX_JSON_DEPTH} levels: {expected}"
    try:
        data = json.loads(raw, parse_constant=_refuse_constant)
    except RecursionError:
        raise BadInput(too_deep) from None
    except BadInput as exc:
        raise BadInput(f"{exc.message}: {expected}") from None
    except ValueError as exc:  # JSONDecodeError, or bytes that are no Unicode text
        raise BadInput(f"the body is not valid JSON ({getattr(exc, 'msg', 'not UTF-8')}): {expected}") from None
    if _depth(data) > MAX_JSON_DEPTH:
        raise BadInput(too_deep)
    return data


def parse_instant(raw: Any, name: str = "at", now: Optional[dt.datetime] = None) -> dt.datetime:
    """An ISO instant (UTC when it has no offset) between 1970 and 3000; `now` (or the
    current time) when none is given."""
    if raw is None or raw == "":
        return now or dt.datetime.now(dt.timezone.utc)
    if not isinstance(raw, str):
        raise BadInput(f"{name}: {INSTANT_HELP}, not {type(raw).__name__}")
    try:
        value = dt.datetime.fromisoformat(raw.strip().replace("Z", "+00:00"))
        value = value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)
        inside = EARLIEST <= value < LATEST
    except (ValueError, OverflowError):
        raise BadInput(f"{name}: {INSTANT_HELP}") from None
    if not inside:
        raise BadInput(f"{name}: must be between {EARLIEST:%Y} and {LATEST:%Y}")
    return value


def row_id(raw: str) -> int:
    """A row id from a query parameter, for `request.args.get(name, type=row_id)`: a
    number no row can have reads as absent (ValueError)."""
    value = int(raw)
    if not 0 <= value <= ROW_ID_MAX:
        raise ValueError(f"{raw!r} is no row id")
    return value


class RowIdConverter(IntegerConverter):
    """Flask's <int:...> URL parts, bounded to row ids: a larger one is a 404."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", ROW_ID_MAX)
        super().__init__(map, *args, **kwargs)
