"""Every environment variable the action server reads, in one place.

- DATABASE_URL  the store (read through store.db; SQLite file var/repay.db when unset).
- POLICY_FILE   the lender's policy (read through lending.policy; lender/policy.yml when unset).
- ACTION_SERVER_TOKEN  the key Rasa sends with every action call (endpoints.yml); required,
                locally too: actions/server.py refuses to start without it.
- REPAY_NOW     optional ISO 8601 instant ("2026-11-24T15:00:00+00:00") at which the bot's
                clock stands still, for demos and tests; a naive value is read as UTC.
"""
from __future__ import annotations

import datetime as dt
import os
from typing import Optional

from settings.deployment import ACTION_SERVER_TOKEN, ConfigError


def database_url() -> Optional[str]:
    return os.environ.get("DATABASE_URL") or None


def action_server_token() -> str:
    """The action server's shared secret with Rasa; raises ConfigError when unusable."""
    value = os.environ.get(ACTION_SERVER_TOKEN.name)
    problem = ACTION_SERVER_TOKEN.problem(value)
    if problem:
        raise ConfigError(f"The action server refuses to start: {problem}. See docs/security.md.")
    return value.strip()


def frozen_now() -> Optional[dt.datetime]:
    """The pinned current instant (aware, UTC), or None to use the real clock."""
    value = os.environ.get("REPAY_NOW")
    if not value:
        return None
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"REPAY_NOW={value!r} is not an ISO 8601 date and time") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    return moment.astimezone(dt.timezone.utc)
