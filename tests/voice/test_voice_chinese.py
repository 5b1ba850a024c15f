"""A call with a Chinese account, in Mandarin: Polly's Zhiyu voice, Mandarin speech
recognition and hints, the gateway's own words in Chinese (re-prompts, "您说的是……吗",
the close, the voicemail, the follow-up text with 回复TD退订), a birth date keyed in year
first. The fake Rasa speaks Chinese lines written here, so these tests do not depend on
domain.yml's wording; the English calls are tests/voice/test_voice_webhooks.py."""
import re
import xml.etree.ElementTree as ET

import pytest

import server.voice.calls
from server.voice.prompts import NOT_STORED, WORDS
from store.db import session_scope
from store.models import Account
from tests.support.accounts import BORROWER, in_contact_hours
from tests.support.app import AGENT_PHONE, API_KEY
from tests.support.store import outbox, stored_messages
from tests.support.twilio import simulated_twilio
from tests.support.voice import IN_HOURS
from tests.voice.twiml_documented import problems

ZH = WORDS["zh"]
# What no caller-facing word of the gateway may say in Chinese (a third party may hear it).
DEBT_WORDS = re.compile("欠款|欠债|债务|逾期|催收|催债|还款|贷款|借款|欠")

ASK_BIRTH_DATE = "请问您的出生日期是？您可以直接说，也可以按键输入8位数字，先输年份，再输月份和日期。"
GREETING = [
    "您好，我是Northwind Credit的智能客服机器人Nora。",
    "在继续之前，我需要先确认您的身份。",
    {"text": ASK_BIRTH_DATE},
    {"custom": {"voice": {"expect": "birth_date", "digits": 8, "keypad": "YYYYMMDD"}}},
]
ASK_ID = [{"text": "谢谢。请说出或按键输入您证件号码的后4位。"},
          {"custom": {"voice": {"expect": "id_last4", "digits": 4}}}]
OPTIONS = "请问您打算怎么处理？现在付款请按1，约定日期请按2，分期请按3，延期请按4。"
VERIFIED = [
    "谢谢您，身份已确认。",
    {"text": "您本期应还1,234.50元，到期日为2026年11月10日。"},
    {"custom": {"voice": {"barge_in": False}}},
    {"text": OPTIONS},
    {"custom": {"voice": {"expect": "options", "keys": {
        "1": "/ask_payment_methods", "2": "/promise_to_pay", "3": "/request_instalment",
        "4": "/request_deferral"}}}},
]
LINK = "https://pay.northwind.example/a/DEMO-1001"
PAYMENT_LINK = [{"text": "您可以通过安全链接用银行卡付款。需要我把链接用短信发给您吗？是请按1，不是请按2。"},
                {"custom": {"voice": {"sms_offer": f"Northwind Credit的付款链接：{LINK}"}}}]


@pytest.fixture
def app(make_app):
    app = make_app()
    with session_scope() as session:
        session.get(Account, "DEMO-1001").language = "zh-CN"
    return app


@pytest.fixture
def call(twilio, rasa):
    """A call from DEMO-1001's phone (a Chinese account here), at the birth date question."""
    rasa.script(GREETING)
    call = twilio.call(BORROWER)
    call.first = call.answer()
    return call


def says(twiml):
    return [element for element in ET.fromstring(twiml).iter("Say")]


def verified(call, rasa, *then):
    rasa.script(ASK_ID, VERIFIED, *then)
    call.press("19880314")
    return call.press("4821")


def test_the_call_speaks_mandarin_and_listens_for_it(call):
    twiml = call.first.twiml
    assert problems(twiml) == []
    assert [(s.get("voice"), s.get("language")) for s in says(twiml)] == [("Polly.Zhiyu", "cmn-CN")] * 3
    gather = call.first.gather
    assert gather["language"] == "cmn-Hans-CN"
    assert gather["hints"] == "年, 月, 日, 号, 出生日期, 转人工"
    assert gather["numDigits"] == "8"
    assert call.first.said[-1] == ASK_BIRTH_DATE


def test_a_birth_date_is_keyed_in_year_first(call, rasa):
    rasa.script(ASK_ID)
    asked = call.press("19880314")
    assert rasa.messages()[-1] == "1988-03-14"
    assert asked.gather["numDigits"] == "4" and "后四位" in asked.gather["hints"]
    assert [m.body for m in stored_messages(BORROWER, "voice") if m.direction == "in"] == [NOT_STORED]


def test_money_and_dates_are_said_the_chinese_way(call, rasa):
    turn = verified(call, rasa)
    assert "您本期应还一千二百三十四元五角，到期日为二零二六年十一月十日。" in turn.said
    assert "1,234" not in turn.text and "2026" not in turn.text
    assert "分期" in turn.gather["hints"] and "转人工" in turn.gather["hints"]
    assert problems(turn.twiml) == []


def test_silence_is_asked_again_in_chinese_then_closed_with_a_chinese_text(call, rasa):
    in_contact_hours("DEMO-1001")  # the gate holds the text in the borrower's night
    for _ in range(2):
        again = call.silence()
        assert again.said == [ZH.no_input, ASK_BIRTH_DATE] and again.gather is not None
    closed = call.silence()
    assert closed.said == [ZH.silent_close, ZH.text_promise, ZH.bye] and closed.hangup
    [text] = outbox(BORROWER)
    assert text.body == ZH.follow_up_sms.format(
        assistant_name="Nora", lender_name="Northwind Credit", support_phone="+18005550100",
    ) + "\n回复TD退订"
    assert "STOP" not in text.body and not DEBT_WORDS.search(text.body)


def test_speech_heard_unsurely_is_confirmed_in_chinese(call, rasa):
    verified(call, rasa, ["好的，请问您打算哪天付款？"])
    asked = call.say("我周五可以付", confidence=0.3)
    assert asked.said == ["您说的是“我周五可以付”吗？是请按1，不是请按2。"]
    assert asked.gather["hints"] == "是的, 不是, 对, 不对, 好的, 不用了, 转人工"
    call.say("是的", confidence=0.9)
    assert rasa.messages()[-1] == "我周五可以付"


def test_a_spoken_no_to_did_you_say_asks_again(call, rasa):
    verified(call, rasa)
    call.say("分期吧", confidence=0.2)
    again = call.say("不是", confidence=0.9)
    assert again.said == [ZH.not_that, OPTIONS]
    assert len(rasa.calls) == 3  # the unsure answer never reached the bot


def test_more_than_a_yes_or_no_goes_to_the_bot(call, rasa):
    verified(call, rasa, ["好的，马上为您转接。"])
    call.say("分期", confidence=0.2)
    call.say("不是，我要转人工", confidence=0.9)
    assert rasa.messages()[-1] == "不是，我要转人工"


def test_an_identity_answer_heard_unsurely_asks_for_the_keys_in_chinese(call, rasa):
    again = call.say("一九八八年三月十四日", confidence=0.2)
    assert again.said == [ZH.unsure, ASK_BIRTH_DATE]
    assert len(rasa.calls) == 1


def test_the_link_is_texted_after_a_chinese_yes_with_the_chinese_opt_out(call, rasa):
    verified(call, rasa, PAYMENT_LINK)
    offer = call.press("1")
    assert "http" not in offer.text and outbox(BORROWER) == []
    sent = call.say("嗯", confidence=0.6)
    assert sent.said == [ZH.sent, ZH.anything_else]
    [text] = outbox(BORROWER)
    assert LINK in text.body and text.body.endswith("\n回复TD退订")
    goodbye = call.say("不用了，谢谢")
    assert goodbye.said == [ZH.goodbye] and goodbye.hangup


def test_when_the_bot_is_down_the_caller_is_told_in_chinese(call, rasa):
    rasa.status = 500
    ended = call.press("19880314")
    assert ended.said == [ZH.trouble, ZH.text_promise, ZH.bye] and ended.hangup


def test_the_agent_hears_the_whisper_in_english_the_borrower_hears_chinese(call, rasa):
    rasa.script([{"text": "好的，正在为您转接Northwind Credit的工作人员，请稍候。"},
                 {"custom": {"voice": {"transfer": True}}}])
    put_through = call.say("转人工")
    assert put_through.dial["number"] == AGENT_PHONE
    assert {s.get("language") for s in says(put_through.twiml)} == {"cmn-CN"}
    agent = call.agent_hears()
    assert agent.said[0].startswith("A call from a borrower, put through by Nora")
    assert [(s.get("voice"), s.get("language")) for s in says(agent.twiml)] == [("Polly.Joanna", "en-US")]
    ended = call.dial_ended("no-answer")
    assert ended.said == [ZH.no_agent.format(lender_name="Northwind Credit"), ZH.text_promise, ZH.bye]


def test_a_machine_gets_a_chinese_voicemail_that_says_nothing_about_a_debt(app, rasa, monkeypatch):
    monkeypatch.setattr(server.voice.calls, "utc_now", lambda: IN_HOURS)
    client = app.test_client()
    placed = client.post("/api/calls", json={"account_id": "DEMO-1001"},
                         headers={"Authorization": f"Bearer {API_KEY}"}).get_json()
    call = simulated_twilio(client).placed_call(placed["call_sid"], BORROWER, placed["call_id"])
    message = call.answer(answered_by="machine_end_beep")
    assert message.said == ["您好，我是Northwind的Nora。请您回电幺，八零零，五五五，零幺零零。谢谢。"]
    assert not DEBT_WORDS.search(message.text)
    assert [(s.get("voice"), s.get("language")) for s in says(message.twiml)] == [("Polly.Zhiyu", "cmn-CN")]
    assert problems(message.twiml) == []
    assert message.paused and message.hangup and rasa.calls == []


def test_the_transcript_keeps_what_was_said_as_it_was_spoken(call, rasa):
    verified(call, rasa)
    out = [m.body for m in stored_messages(BORROWER, "voice") if m.direction == "out"]
    assert "您本期应还一千二百三十四元五角，到期日为二零二六年十一月十日。" in out


def test_every_document_of_a_chinese_call_is_documented_twiml(call, rasa):
    verified(call, rasa, PAYMENT_LINK, ["好的，请问您打算哪天付款？"])
    call.press("1")  # the link offer
    call.say("好的")  # yes: texted, then "anything else?"
    call.press("1")  # yes, something else
    call.say("我下周五付", confidence=0.3)  # "您说的是……吗"
    call.press("*")
    call.silence()
    call.press("1")
    assert len(call.turns) >= 9
    for turn in call.turns:
        assert problems(turn.twiml) == [], turn.twiml
        assert {s.get("language") for s in says(turn.twiml)} <= {"cmn-CN"}
        assert turn.gather is None or turn.gather["language"] == "cmn-Hans-CN"
