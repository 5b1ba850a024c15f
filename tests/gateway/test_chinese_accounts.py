"""A Chinese account's messages go to the Chinese model's Rasa, and everything the gateway
says to it is in Chinese: the bot's replies carry 回复TD退订, the holding reply is Chinese,
and redelivery answers through the same Rasa. English accounts are unchanged."""
from __future__ import annotations

import pytest

from messaging.sms_text import gateway_reply, with_opt_out
from server.conversation.redelivery import redeliver_once
from tests.support.accounts import BORROWER, in_contact_hours
from tests.support.fake_rasa import FakeRasa
from tests.support.store import outbound, outbox

CHINESE = "+8613800000001"  # DEMO-1005, zh-CN


@pytest.fixture
def chinese_rasa():
    rasa = FakeRasa()
    rasa.answer = lambda sender, text: [f"收到：{text}"]
    rasa.up()
    yield rasa
    rasa.down()


@pytest.fixture
def app(make_app, chinese_rasa):
    return make_app(RASA_URL_ZH=chinese_rasa.url)


def test_each_account_reaches_its_own_languages_model(sms, fake_rasa, chinese_rasa):
    in_contact_hours("DEMO-1005")  # the cn profile answers nothing 22:00-08:00
    assert sms("能不能分期", phone=CHINESE).texts == ["收到：能不能分期\n回复TD退订"]
    assert sms("can i pay next week", phone=BORROWER).texts == [
        "Bot heard: can i pay next week\nReply STOP to opt out."]
    assert [c["message"] for c in chinese_rasa.calls] == ["能不能分期"]
    assert [c["message"] for c in fake_rasa.calls] == ["can i pay next week"]


def test_a_chinese_borrower_waits_in_chinese_and_is_answered_later(app, sms, chinese_rasa):
    in_contact_hours("DEMO-1005")  # the cn profile answers nothing 22:00-08:00
    chinese_rasa.down()
    holding = with_opt_out(gateway_reply("holding", "zh"), "zh")
    assert sms("我已经还了", phone=CHINESE).texts == [holding]
    assert holding == "您的消息已收到，我们会尽快回复。\n回复TD退订"

    chinese_rasa.up()
    assert redeliver_once(app).answered == 1
    assert [m.body for m in outbox(CHINESE)] == ["收到：我已经还了\n回复TD退订"]
    assert [m.body for m in outbound(CHINESE)] == [holding, "收到：我已经还了\n回复TD退订"]


def test_an_empty_message_is_answered_in_chinese(sms):
    assert sms("   ", phone=CHINESE).texts == ["我们收到了一条空白短信，请用文字回复。\n回复TD退订"]
