"""Whole conversations in Simplified Chinese through signed webhooks: the Chinese dialogue
model (its own Rasa server), the shared action server and the gateway, as a borrower whose
account's language is zh-CN meets them."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select

import store.db
from language import parse_date
from lending.policy import load_policy
from store.models import VoiceCall
from tests.support.conversation_zh import (
    CJK,
    DISCLOSURE,
    OPT_OUT,
    ZONE,
    load_chinese_borrower,
    new_phone,
    say,
    verify,
)
from tests.support.stack import account_status, outcomes


@pytest.fixture
def borrower(stack):
    return load_chinese_borrower(stack.config.database_url, new_phone())


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
