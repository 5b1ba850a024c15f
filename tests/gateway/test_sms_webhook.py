"""The inbound SMS webhook: what the borrower gets back, and what is stored."""
import logging
import threading

import pytest
from sqlalchemy import select

from messaging.sms_text import gateway_reply, with_opt_out
from server import services
from store.accounts import import_records
from store.db import session_scope
from store.models import Conversation, MessageStatus, Outcome, OutcomeKind
from store.outcomes import is_opted_out
from tests.support.accounts import BORROWER, STRANGER
from tests.support.store import inbound, outbound, stored_messages
from tests.support.twilio import post_sms, sign

UNSUBSCRIBED = (
    "You're unsubscribed from Northwind Credit messages. "
    "No more texts will be sent. Reply START to resubscribe."
)
RESUBSCRIBED = "You're resubscribed to Northwind Credit messages. Reply HELP for help, STOP to opt out."


def outcomes(kind):
    with session_scope() as session:
        return list(session.execute(select(Outcome).where(Outcome.kind == kind)).scalars())


def conversation_of(phone=BORROWER) -> Conversation:
    with session_scope() as session:
        return session.execute(select(Conversation).where(Conversation.phone == phone)).scalar_one()


def test_bot_answer_comes_back_as_twiml(sms, fake_rasa):
    fake_rasa.answer = lambda sender, text: ["Hi, this is Nora from Northwind Credit.", "Are you Dana?"]
    reply = sms("hello")

    assert reply.status_code == 200
    assert reply.texts == [with_opt_out("Hi, this is Nora from Northwind Credit.\nAre you Dana?")]
    conversation = conversation_of()
    assert conversation.account_id == "DEMO-1001"
    [message_in] = [m for m in stored_messages() if m.direction == "in"]
    assert fake_rasa.calls == [{"sender": conversation.id, "message": "hello",
                                "metadata": {"message_id": message_in.id}}]
    assert [(m.direction, m.status) for m in stored_messages()] == [
        ("in", MessageStatus.ANSWERED), ("out", MessageStatus.SENT),
    ]
    assert outbound()[0].body == reply.texts[0]


def test_messages_of_one_thread_share_a_conversation(sms, fake_rasa):
    sms("hello")
    sms("yes it's me")
    senders = {call["sender"] for call in fake_rasa.calls}
    assert senders == {conversation_of().id}


def test_a_phone_without_account_still_reaches_the_bot(sms, fake_rasa):
    assert sms("hello", phone=STRANGER).texts == [with_opt_out("Bot heard: hello")]
    assert conversation_of(STRANGER).account_id is None


def test_repeated_message_sid_is_answered_once(sms, fake_rasa):
    first = sms("hello", sid="SMrepeat")
    again = sms("hello", sid="SMrepeat")

    assert first.texts == [with_opt_out("Bot heard: hello")]
    assert again.status_code == 200 and again.texts == []
    assert len(fake_rasa.calls) == 1
    assert len(inbound()) == 1


def test_simultaneous_deliveries_of_one_sid_reach_the_bot_once(app, fake_rasa):
    fake_rasa.delay = 0.5
    replies = []
    threads = [
        threading.Thread(target=lambda: replies.append(post_sms(app.test_client(), "hi", sid="SMtwin")))
        for _ in range(2)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(fake_rasa.calls) == 1
    assert sorted(len(r.texts) for r in replies) == [0, 1]
    assert all(r.status_code == 200 for r in replies)
    assert len(inbound()) == 1


def test_a_retry_of_a_message_whose_gateway_died_before_storing_it_is_answered(app, sms, fake_rasa):
    # Another gateway process claimed the MessageSid, then was killed before the store had
    # the message; Twilio (or the load balancer) sends it again.
    services(app).state.claim_message_sid("SMorphan", 600)

    reply = sms("hello", sid="SMorphan")

    assert reply.texts == [with_opt_out("Bot heard: hello")]
    [message] = inbound()
    assert (message.provider_sid, message.status) == ("SMorphan", MessageStatus.ANSWERED)
    assert sms("hello", sid="SMorphan").texts == []  # once stored, a copy is a duplicate
    assert len(fake_rasa.calls) == 1


def test_messages_from_one_phone_reach_the_bot_one_at_a_time(app, fake_rasa):
    fake_rasa.delay = 0.3
    replies = {}
    threads = [
        threading.Thread(target=lambda b=body: replies.setdefault(b, post_sms(app.test_client(), b)))
        for body in ("first", "second")
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert fake_rasa.max_in_flight == 1
    assert replies["first"].texts == [with_opt_out("Bot heard: first")]
    assert replies["second"].texts == [with_opt_out("Bot heard: second")]


def test_different_phones_are_not_serialised(app, fake_rasa):
    fake_rasa.delay = 0.5
    threads = [
        threading.Thread(target=post_sms, args=(app.test_client(), "hi"), kwargs={"phone": phone})
        for phone in (BORROWER, STRANGER)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert fake_rasa.max_in_flight == 2


def test_stop_then_silence_then_start(sms, fake_rasa):
    assert sms("STOP").texts == [UNSUBSCRIBED]
    with session_scope() as session:
        assert is_opted_out(session, BORROWER, "sms")

    silent = sms("why did you stop?")
    assert silent.status_code == 200 and silent.texts == []
    assert fake_rasa.calls == []
    assert inbound()[-1].body == "why did you stop?"
    assert inbound()[-1].status == MessageStatus.HANDLED

    assert sms("START").texts == [RESUBSCRIBED]
    assert sms("hello again").texts == [with_opt_out("Bot heard: hello again")]
    assert fake_rasa.messages() == ["hello again"]
    assert [o.account_id for o in outcomes(OutcomeKind.OPT_OUT)] == ["DEMO-1001"]
    assert len(outcomes(OutcomeKind.OPT_IN)) == 1


@pytest.mark.parametrize("body", [
    "STOP", "stop", "  Stop!  ", "STOPALL", "End", "cancel", "UNSUBSCRIBE", "Quit.", "revoke",
    "opt out", "Opt-Out", "OPTOUT", "opt  out",
])
def test_every_opt_out_keyword_unsubscribes_with_one_confirmation(sms, fake_rasa, body):
    reply = sms(body)
    assert reply.texts == [UNSUBSCRIBED]
    assert fake_rasa.calls == []
    with session_scope() as session:
        assert is_opted_out(session, BORROWER, "sms")
    assert len(outcomes(OutcomeKind.OPT_OUT)) == 1


@pytest.mark.parametrize("body", ["START", "unstop", "Start."])
def test_start_keywords_resubscribe(sms, fake_rasa, body):
    sms("STOP")
    assert sms(body).texts == [RESUBSCRIBED]
    with session_scope() as session:
        assert not is_opted_out(session, BORROWER, "sms")


@pytest.mark.parametrize("body", ["stop texting me", "please stop", "yes", "end of story"])
def test_sentences_are_the_bots_to_understand(sms, fake_rasa, body):
    assert sms(body).texts == [with_opt_out(f"Bot heard: {body}")]
    with session_scope() as session:
        assert not is_opted_out(session, BORROWER, "sms")


@pytest.mark.parametrize("body", ["HELP", "help", "Info", "help?"])
@pytest.mark.parametrize("phone", [BORROWER, STRANGER])
def test_help_says_who_we_are_and_nothing_about_a_debt(sms, fake_rasa, body, phone):
    reply = sms(body, phone=phone)

    assert len(reply.texts) == 1
    text = reply.texts[0]
    assert "Northwind Credit" in text
    assert "automated" in text
    assert "+18005550100" in text
    assert "Reply STOP to opt out" in text
    for word in ("debt", "owe", "amount", "balance", "collect", "overdue", "payment", "loan", "$"):
        assert word not in text.lower()
    assert fake_rasa.calls == []


def test_help_is_answered_while_opted_out(sms, fake_rasa):
    sms("STOP")
    assert "Northwind Credit" in sms("HELP").texts[0]


def test_empty_message_asks_for_words(sms, fake_rasa):
    assert sms("   ").texts == [with_opt_out(gateway_reply("empty"))]
    assert fake_rasa.calls == []
    assert inbound()[0].status == MessageStatus.HANDLED


def test_picture_only_message_asks_for_words_and_is_stored(sms, fake_rasa):
    assert sms("", num_media=2).texts == [with_opt_out(gateway_reply("media"))]
    assert fake_rasa.calls == []
    assert "2 media" in inbound()[0].body


def test_picture_with_words_sends_the_words_to_the_bot(sms, fake_rasa):
    assert sms("here is my receipt", num_media=1).texts == [with_opt_out("Bot heard: here is my receipt")]


def test_conversation_with_a_person_gets_no_bot_reply(sms, fake_rasa):
    sms("hello")
    with session_scope() as session:
        session.get(Conversation, conversation_of().id).handled_by = "human"

    reply = sms("I want to talk about my plan")
    assert reply.status_code == 200 and reply.texts == []
    assert fake_rasa.messages() == ["hello"]
    assert inbound()[-1].body == "I want to talk about my plan"


def test_webhook_without_sender_is_rejected(client):
    form = {"MessageSid": "SM9", "Body": "hi"}
    headers = {"X-Twilio-Signature": sign("http://localhost/twilio/sms", form)}
    assert client.post("/twilio/sms", data=form, headers=headers).status_code == 400


def test_logs_hold_no_bodies_or_phone_numbers(sms, fake_rasa, caplog):
    caplog.set_level(logging.DEBUG)
    sms("my birthday is 14 March 1988")
    sms("STOP")
    sms("still there?")
    fake_rasa.down()
    sms("START")
    sms("are you there")

    assert caplog.records
    for secret in ("14 March", "still there", "are you there", BORROWER, "Dana"):
        assert secret not in caplog.text


# -- Chinese keywords: 退订 / TD work exactly like STOP ------------------------------------------

MANDARIN_BORROWER = "+8613800138000"
ZH_UNSUBSCRIBED = "您已退订Northwind Credit的短信，我们不会再给您发短信。如需恢复，请回复“订阅”。"
ZH_RESUBSCRIBED = "您已重新订阅Northwind Credit的短信。回复“帮助”获取帮助，回复TD退订。"


@pytest.fixture
def mandarin_borrower(app):
    """An account whose language is Simplified Chinese."""
    with session_scope() as session:
        report = import_records(session, [{
            "account_id": "DEMO-ZH-1", "name": "李文", "phone": MANDARIN_BORROWER,
            "timezone": "Asia/Shanghai", "language": "zh-CN", "currency": "CNY",
            "principal": "3000.00", "interest": "120.00", "fees": "0.00",
            "due_date": "2026-11-10", "birth_date": "1988-03-14", "id_last4": "4821",
        }])
    assert not report.errors
    return MANDARIN_BORROWER


def test_tuiding_then_silence_then_dingyue(sms, fake_rasa):
    assert sms("退订").texts == [ZH_UNSUBSCRIBED]
    with session_scope() as session:
        assert is_opted_out(session, BORROWER, "sms")

    silent = sms("为什么不发了？")
    assert silent.status_code == 200 and silent.texts == []
    assert fake_rasa.calls == []
    assert inbound()[-1].status == MessageStatus.HANDLED

    assert sms("订阅").texts == [ZH_RESUBSCRIBED]
    assert sms("你好").texts == [with_opt_out("Bot heard: 你好")]
    assert fake_rasa.messages() == ["你好"]
    opted_out = outcomes(OutcomeKind.OPT_OUT)
    assert [o.account_id for o in opted_out] == ["DEMO-1001"]
    assert opted_out[0].details == {"channel": "sms", "keyword": "退订"}
    assert len(outcomes(OutcomeKind.OPT_IN)) == 1


@pytest.mark.parametrize("body", [
    "退订", "退订。", " 退订 ", "【退订】", "退订短信", "取消订阅", "拒收", "拒收短信",
])
@pytest.mark.parametrize("phone", [BORROWER, STRANGER])
def test_every_chinese_opt_out_word_unsubscribes_with_one_chinese_confirmation(sms, fake_rasa, body, phone):
    assert sms(body, phone=phone).texts == [ZH_UNSUBSCRIBED]
    assert fake_rasa.calls == []
    with session_scope() as session:
        assert is_opted_out(session, phone, "sms")
    assert len(outcomes(OutcomeKind.OPT_OUT)) == 1


@pytest.mark.parametrize("body", ["TD", "td", "ＴＤ", "T", "t", "R", "TD!"])
def test_td_t_and_r_unsubscribe_and_are_answered_in_the_accounts_language(
    sms, fake_rasa, mandarin_borrower, body,
):
    assert sms(body, phone=mandarin_borrower).texts == [ZH_UNSUBSCRIBED]
    assert sms(body, phone=STRANGER).texts == [ZH_UNSUBSCRIBED]  # no account: the Chinese habit
    assert sms(body, phone=BORROWER).texts == [UNSUBSCRIBED]  # an English account
    assert fake_rasa.calls == []
    with session_scope() as session:
        assert all(is_opted_out(session, p, "sms") for p in (mandarin_borrower, STRANGER, BORROWER))
    assert len(outcomes(OutcomeKind.OPT_OUT)) == 3


def test_english_keywords_from_a_chinese_account_are_answered_in_chinese(sms, fake_rasa, mandarin_borrower):
    assert sms("STOP", phone=mandarin_borrower).texts == [ZH_UNSUBSCRIBED]
    assert sms("START", phone=mandarin_borrower).texts == [ZH_RESUBSCRIBED]
    assert "如需帮助" in sms("HELP", phone=mandarin_borrower).texts[0]


@pytest.mark.parametrize("body", ["订阅", "重新订阅", "恢复订阅", "START"])
def test_chinese_start_words_resubscribe(sms, fake_rasa, mandarin_borrower, body):
    sms("退订", phone=mandarin_borrower)
    assert sms(body, phone=mandarin_borrower).texts == [ZH_RESUBSCRIBED]
    with session_scope() as session:
        assert not is_opted_out(session, mandarin_borrower, "sms")


@pytest.mark.parametrize("phone", [BORROWER, STRANGER])
def test_bangzhu_says_who_we_are_in_chinese_and_nothing_about_a_debt(sms, fake_rasa, phone):
    reply = sms("帮助", phone=phone)

    assert reply.texts == ["Northwind Credit：我是自动助手Nora。如需帮助，请致电+18005550100。回复TD退订。"]
    for word in ("欠", "还款", "逾期", "金额", "贷款", "催收", "债", "余额", "账户", "$", "¥"):
        assert word not in reply.texts[0]
    assert fake_rasa.calls == []
    with session_scope() as session:
        assert not is_opted_out(session, phone, "sms")


@pytest.mark.parametrize("body", ["我要退订", "别再发短信了", "取消", "取消退订", "退 订", "TDD", "订阅了吗"])
def test_chinese_sentences_are_the_bots_to_understand(sms, fake_rasa, body):
    assert sms(body).texts == [with_opt_out(f"Bot heard: {body}")]
    with session_scope() as session:
        assert not is_opted_out(session, BORROWER, "sms")
