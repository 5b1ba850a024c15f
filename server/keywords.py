"""SMS keywords the gateway answers itself, before the bot sees the message.

Carriers and Twilio expect STOP/START/HELP to work whatever state the dialogue
is in, so they are matched on the whole message (trimmed, any case, punctuation
ignored) and never sent to NLU. Plain-language requests ("stop texting me") are
the bot's job (intent opt_out).
"""
from __future__ import annotations

import enum
import re
import unicodedata
from typing import Optional

from lending.policy import Policy


class Keyword(enum.Enum):
    OPT_OUT = "opt_out"
    OPT_IN = "opt_in"
    HELP = "help"


_KEYWORDS = {
    **{word: Keyword.OPT_OUT for word in (
        "STOP", "STOPALL", "END", "CANCEL", "UNSUBSCRIBE", "QUIT", "REVOKE", "OPT OUT", "OPTOUT",
    )},
    **{word: Keyword.OPT_IN for word in ("START", "UNSTOP")},
    **{word: Keyword.HELP for word in ("HELP", "INFO")},
}


def normalise(body: str) -> str:
    """'  Opt-out! ' -> 'OPTOUT'; 'opt  out.' -> 'OPT OUT'."""
    kept = "".join(ch for ch in body if not unicodedata.category(ch).startswith("P"))
    return re.sub(r"\s+", " ", kept).strip().upper()


def classify(body: Optional[str]) -> Optional[Keyword]:
    return _KEYWORDS.get(normalise(body or ""))


def opt_out_reply(policy: Policy) -> str:
    return (
        f"You're unsubscribed from {policy.lender.name} messages. "
        "No more texts will be sent. Reply START to resubscribe."
    )


def opt_in_reply(policy: Policy) -> str:
    return (
        f"You're resubscribed to {policy.lender.name} messages. "
        "Reply HELP for help, STOP to opt out."
    )


def help_reply(policy: Policy) -> str:
    # Whoever holds this phone may not be the borrower: say who we are and how
    # to reach a person, nothing about any account, amount or its purpose.
    lender = policy.lender
    return (
        f"{lender.name}: this is {lender.assistant_name}, an automated assistant. "
        f"For help call {lender.support_phone}. Reply STOP to opt out."
    )


def reply_for(keyword: Keyword, policy: Policy) -> str:
    return {
        Keyword.OPT_OUT: opt_out_reply,
        Keyword.OPT_IN: opt_in_reply,
        Keyword.HELP: help_reply,
    }[keyword](policy)
