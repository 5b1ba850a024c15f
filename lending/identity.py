"""The identity check's rules, one for the bot (actions/identity.py) and the agents'
console (server/console/identity.py): when an answer matches the account (how an answer is
read is language/identity.py). Plain functions over the account's facts; nothing here stores
or logs an answer.
"""
from __future__ import annotations

import datetime as dt
import hmac
from typing import Optional


def date_order(jurisdiction: str) -> str:
    """How the borrower writes "3/4": month first in the US, day first elsewhere."""
    return "MDY" if jurisdiction == "us" else "DMY"


def normalised_id_last4(value: str) -> str:
    """'482x' and '482X' are the same answer: a Chinese ID number ends in a check character X,
    which borrowers type in either case (the store keeps it upper case)."""
    return str(value).strip().upper()


def birth_date_matches(said: Optional[dt.date], expected: dt.date) -> bool:
    return said is not None and said == expected


def id_last4_matches(said: Optional[str], expected: str) -> bool:
    if not said:
        return False
    return hmac.compare_digest(normalised_id_last4(said).encode(), normalised_id_last4(expected).encode())
