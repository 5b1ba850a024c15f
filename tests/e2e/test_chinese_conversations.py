"""Whole conversations in Simplified Chinese through signed webhooks: the Chinese dialogue
model (its own Rasa server), the shared action server and the gateway, as a borrower whose
account's language is zh-CN meets them."""
from __future__ import annotations

import datetime as dt
import itertools
import re
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

import store.db
from language import parse_date
from lending.policy import load_policy
from store.accounts import import_records
from store.models import VoiceCall
from tests.app_support import afternoon_zone
from tests.e2e.conftest import account_status, outcomes

pytestmark = pytest.mark.e2e

_phones = itertools.count(300)
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


@pytest.fixture
def borrower(stack):
    return load_chinese_borrower(stack.config.database_url, f"+86138{next(_phones):08d}")


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


def test_verify_explain_and_agree_a_three_month_plan(twilio, borrower):
    explanation = verify(twilio, borrower)
    statement = load_policy().profile_for("cn").required_statement("zh")
    assert statement in explanation
    for figure in ("4,535.00元", "4,200.00元", "185.00元", "150.00元", "14天"):
        assert figure in explanation, explanation
    assert "$" not in explanation

    read_back = say(twilio, borrower, "能不能分3期")
    assert "1,511.66元" in read_back and "1,511.68元" in read_back, read_back
    confirmed = say(twilio, borrower, "好的")
    [plan] = outcomes(borrower["account_id"], "plan")
    assert plan.details["months"] == 3
    assert [i["amount"] for i in plan.details["instalments"]] == ["1511.66", "1511.66", "1511.68"]
    assert CJK.search(confirmed), confirmed


def test_a_promise_in_colloquial_chinese_is_recorded(twilio, borrower):
    verify(twilio, borrower)
    said = "我下周五还500"
    read_back = say(twilio, borrower, said)
    friday = parse_date("下周五", ZONE, now=dt.datetime.now(dt.timezone.utc), language="zh")
    assert f"{friday.month}月{friday.day}日" in read_back and "500.00元" in read_back, read_back
    say(twilio, borrower, "对")
    [promise] = outcomes(borrower["account_id"], "promise")
    assert Decimal(promise.details["amount"]) == Decimal("500")
    assert promise.details["date"] == friday.isoformat()


def test_a_wrong_person_learns_nothing(twilio, borrower):
    replies = [say(twilio, borrower, "你好"), say(twilio, borrower, "你是谁啊 他欠你们多少钱"),
               say(twilio, borrower, "你们发错人了 我不认识王芳")]
    for reply in replies:
        assert not DISCLOSURE.search(reply.replace(OPT_OUT, "")), reply
        assert "王芳" not in reply
    assert account_status(borrower["account_id"]) == "wrong_number"
    assert len(outcomes(borrower["account_id"], "wrong_number")) == 1


@pytest.mark.parametrize("stop", ["TD", "退订"])
def test_td_and_tuiding_stop_messages_until_resubscribed(twilio, borrower, stop):
    confirmation = " ".join(twilio.sms(borrower["phone"], stop))
    assert CJK.search(confirmation) and "退订" in confirmation, confirmation
    assert twilio.sms(borrower["phone"], "在吗") == []
    assert twilio.sms(borrower["phone"], "我想问一下怎么还") == []
    assert outcomes(borrower["account_id"], "opt_out")
    resumed = " ".join(twilio.sms(borrower["phone"], "订阅"))
    assert CJK.search(resumed), resumed
    assert say(twilio, borrower, "你好") != ""


def test_a_call_in_mandarin(stack, twilio, borrower):
    """The borrower calls in: Mandarin speech and voice, keypad identity (year first)."""
    call = twilio.call(borrower["phone"])
    hello = call.answer()
    assert "Northwind" in hello.text and "智能客服机器人" in hello.text, hello.text
    assert 'language="cmn-CN"' in hello.twiml and "Polly.Zhiyu" in hello.twiml
    assert hello.gather["language"] == "cmn-Hans-CN"
    assert hello.gather["numDigits"] == "8"
    assert not DISCLOSURE.search(hello.text), hello.text

    asked = call.press("19880314")
    assert "后四位" in asked.text, asked.text
    explained = call.say("四八二X")
    assert "四千五百三十五元" in explained.text and "14天" in explained.text, explained.text
    call.hang_up()
    [row] = _calls(call.call_sid)
    assert row.outcome == "completed"


def _calls(call_sid):
    with store.db.session_scope() as session:
        return list(session.execute(select(VoiceCall).where(VoiceCall.call_sid == call_sid)).scalars())
