"""A Chinese SMS conversation with the running service (tests/e2e): 王芳's account, what
she says, and the identity check every conversation starts with."""
from __future__ import annotations

import datetime as dt
import itertools
import re
from zoneinfo import ZoneInfo

import store.db
from store.accounts import import_records
from tests.support.accounts import afternoon_zone

_phones = itertools.count(300)


def new_phone() -> str:
    """A Chinese mobile number no other borrower of this test run has."""
    return f"+86138{next(_phones):08d}"


CJK = re.compile(r"[\u4e00-\u9fff]")
OPT_OUT = "回复TD退订"
# What a third party must never read or hear: an amount, the debt, its collection.
DISCLOSURE = re.compile(r"\d[\d,]*\.\d\d|元|¥|欠款|欠|逾期|催收|还款|借款|贷款|债")

# Shanghai, unless it is night there as CI runs: the cn profile answers no message 22:00-08:00
# (tests/campaigns/test_contact_rules.py and tests/gateway hold that rule), so the
# conversation is then held in a zone where it is afternoon.
ZONE = "Asia/Shanghai" if 8 <= dt.datetime.now(ZoneInfo("Asia/Shanghai")).hour < 19 else afternoon_zone()


def load_chinese_borrower(database_url: str, phone: str) -> dict:
    """王芳, a Chinese account 14 days overdue: 4,200 + 185 + 150 = 4,535.00元."""
    store.db.connect(database_url)
    today = dt.datetime.now(ZoneInfo(ZONE)).date()
    account = {
        "account_id": f"ZH-{phone[-4:]}", "name": "王芳", "phone": phone,
        "timezone": ZONE, "language": "zh-CN", "currency": "CNY",
        "principal": "4200.00", "interest": "185.00", "fees": "150.00",
        "due_date": (today - dt.timedelta(days=14)).isoformat(),
        "birth_date": "1988-03-14", "id_last4": "482X",
        "jurisdiction": "cn",  # as the demo's Chinese accounts: China's rules, not the policy's US default
        "consent_sms": "2026-01-05T10:00:00Z", "consent_voice": "2026-01-05T10:00:00Z",
    }
    with store.db.session_scope() as session:
        assert import_records(session, [account]).errors == []
    return account


def say(twilio, borrower, text):
    replies = twilio.sms(borrower["phone"], text)
    for reply in replies:  # every text the bot sends says how to opt out, in Chinese
        assert reply.endswith(OPT_OUT) or "退订" in reply, reply
    return "\n".join(replies)


def verify(twilio, borrower):
    """Greets and answers both identity questions in Chinese; returns the explanation."""
    first = say(twilio, borrower, "你好")
    assert "Northwind" in first and "智能客服机器人" in first, first  # says it is automated
    assert "出生日期" in first, first
    assert not DISCLOSURE.search(first.replace(OPT_OUT, "")), first
    second = say(twilio, borrower, "1988年3月14日")
    assert "后四位" in second, second
    assert not DISCLOSURE.search(second.replace(OPT_OUT, "")), second
    return say(twilio, borrower, "482x")  # a lower-case x is the same ID
