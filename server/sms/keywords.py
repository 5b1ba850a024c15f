"""SMS keywords the gateway answers itself, before the bot sees the message.

Carriers and Twilio expect STOP/START/HELP to work whatever state the dialogue
is in, so they are matched on the whole message (trimmed, any case, punctuation
ignored, full-width letters as typed by Chinese input methods read as ASCII) and
never sent to NLU. Plain-language requests ("stop texting me", "别再发短信了")
are the bot's job (intent opt_out).

The answer is in Chinese for a keyword written in Chinese; otherwise in the
account's language (English when no account is known), except that TD, T and R,
the replies Chinese senders ask for, are answered in Chinese when no account says
otherwise.
"""
from __future__ import annotations

import enum
import re
import unicodedata
from typing import Optional

from lending.languages import parser_language
from lending.policy import Policy
from messaging.gateway_words import gateway_reply


class Keyword(enum.Enum):
    """Each value names the keyword's answer in messaging/gateway_words.py."""

    OPT_OUT = "opt_out"
    OPT_IN = "opt_in"
    HELP = "help"


# The carriers' English keywords (CTIA, Twilio).
_ENGLISH = {
    **{word: Keyword.OPT_OUT for word in (
        "STOP", "STOPALL", "END", "CANCEL", "UNSUBSCRIBE", "QUIT", "REVOKE", "OPT OUT", "OPTOUT",
    )},
    **{word: Keyword.OPT_IN for word in ("START", "UNSTOP")},
    **{word: Keyword.HELP for word in ("HELP", "INFO")},
}
# Chinese SMS practice. Senders end messages with "回复TD退订" (TD: tuìdìng), "退订回T"
# or "拒收请回复R", so borrowers reply TD, T or R, or write 退订 (unsubscribe) itself;
# 取消订阅 and 退订短信 / 拒收 say the same. There is no carrier keyword to resume: the
# opposite word 订阅 (subscribe) is what our opt-out answer tells them to reply, with its
# natural variants. 帮助 is "help". Left to the NLU on purpose: 取消 alone ("cancel" my
# plan, my promise?) and 取消退订 (one character away from 取消订阅, the opposite).
_CHINESE_LETTERS = {word: Keyword.OPT_OUT for word in ("TD", "T", "R")}
_CHINESE = {
    **{word: Keyword.OPT_OUT for word in ("退订", "退订短信", "取消订阅", "拒收", "拒收短信")},
    **{word: Keyword.OPT_IN for word in ("订阅", "重新订阅", "恢复订阅")},
    "帮助": Keyword.HELP,
}
_KEYWORDS = {**_ENGLISH, **_CHINESE_LETTERS, **_CHINESE}


def normalise(body: str) -> str:
    """'  Opt-out! ' -> 'OPTOUT'; 'opt  out.' -> 'OPT OUT'; 'ＴＤ' -> 'TD'; '退订。' -> '退订'."""
    body = unicodedata.normalize("NFKC", body)
    kept = "".join(ch for ch in body if not unicodedata.category(ch).startswith("P"))
    return re.sub(r"\s+", " ", kept).strip().upper()


def classify(body: Optional[str]) -> Optional[Keyword]:
    return _KEYWORDS.get(normalise(body or ""))


def reply_language(body: Optional[str], account_language: Optional[str] = None) -> str:
    """The language ("en" or "zh") to answer a keyword message in."""
    word = normalise(body or "")
    if word in _CHINESE:
        return "zh"
    if account_language:
        return parser_language(account_language)
    return "zh" if word in _CHINESE_LETTERS else "en"


def reply_for(keyword: Keyword, policy: Policy, language: str = "en") -> str:
    """The gateway's answer to a keyword, in `language` ("en" or "zh"): the phrases
    opt_out, opt_in and help of messaging/gateway_words.py."""
    lender = policy.lender
    return gateway_reply(keyword.value, language, lender_name=lender.name,
                         assistant_name=lender.assistant_name, support_phone=lender.support_phone)
