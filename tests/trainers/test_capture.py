"""Filling the inbox from live SMS: low confidence and fallbacks always, a sample of
the rest, redacted before it is stored, never in the borrower's way."""
from __future__ import annotations

import threading

import pytest
from sqlalchemy import select

from server.conversation.nlu_review import judge, sampled
from store.db import session_scope
from store.models import Message, ReviewItem
from tests.support.accounts import BORROWER, STRANGER, in_contact_hours
from tests.support.fake_rasa import rasa_parse


def items() -> list:
    with session_scope() as session:
        return list(session.execute(select(ReviewItem).order_by(ReviewItem.id)).scalars())


def inbound_id(body: str) -> int:
    with session_scope() as session:
        return session.execute(
            select(Message.id).where(Message.direction == "in", Message.body == body)
        ).scalar_one()


def test_a_low_confidence_message_goes_to_the_inbox_with_the_models_guesses(app, rasa, sms):
    rasa.parse = lambda text: rasa_parse(
        text, "request_deferral", 0.52, ("promise_to_pay", 0.31), ("hardship", 0.09),
        ("greet", 0.05), ("affirm", 0.03),
    )
    reply = sms("can we push it till my check clears")
    assert reply.texts[0].startswith("Bot heard: can we push it till my check clears")
    [item] = items()
    assert item.reason == "low_confidence" and not item.fell_back
    assert item.intent == "request_deferral" and item.confidence == pytest.approx(0.52)
    assert item.alternatives == [
        {"intent": "promise_to_pay", "confidence": 0.31},
        {"intent": "hardship", "confidence": 0.09},
        {"intent": "greet", "confidence": 0.05},
    ]
    assert item.text == "can we push it till my check clears"
    assert item.message_id == inbound_id("can we push it till my check clears")
    assert item.conversation_id and item.channel == "sms" and item.status == "pending"


def test_a_fallback_keeps_the_models_own_best_guess(app, rasa, sms):
    rasa.parse = lambda text: rasa_parse(
        text, "ask_amount", 0.36, ("ask_payment_methods", 0.33), fallback=True,
    )
    sms("whats the damage")
    [item] = items()
    assert item.reason == "fallback" and item.fell_back
    assert item.intent == "ask_amount" and item.confidence == pytest.approx(0.36)
    assert item.alternatives == [{"intent": "ask_payment_methods", "confidence": 0.33}]


def test_confident_messages_stay_out_unless_sampled(make_app, rasa):
    app = make_app(NLU_REVIEW_SAMPLE_RATE=0)
    from tests.support.twilio import post_sms

    client = app.test_client()
    rasa.parse = lambda text: rasa_parse(text, "greet", 0.97)
    for n in range(5):
        post_sms(client, f"hello {n}")
    assert app.extensions["repay.nlu_review"].wait_idle()
    assert items() == [] and rasa.tracker_reads == 0  # each parse came with its answer


def test_the_parse_comes_with_the_answer_and_no_tracker_is_read(app, rasa, sms):
    rasa.parse = lambda text: rasa_parse(text, "ask_amount", 0.44, ("greet", 0.2))
    sms("how much is it")
    [item] = items()
    assert (item.reason, item.intent, item.text) == ("low_confidence", "ask_amount",
                                                      "how much is it")
    assert rasa.tracker_reads == 0


def test_from_a_rasa_that_does_not_answer_with_the_parse_the_tracker_is_read(app, rasa, sms):
    rasa.answers_parse = False  # a Rasa still on Rasa's own REST channel
    rasa.parse = lambda text: rasa_parse(text, "ask_amount", 0.44, ("greet", 0.2))
    reply = sms("how much is it")
    assert reply.texts[0].startswith("Bot heard: how much is it")
    [item] = items()
    assert (item.reason, item.intent) == ("low_confidence", "ask_amount")
    assert rasa.tracker_reads == 1


def test_with_a_sample_rate_of_one_every_message_is_filed_as_a_sample(make_app, rasa):
    app = make_app(NLU_REVIEW_SAMPLE_RATE=1)
    from tests.support.twilio import post_sms

    client = app.test_client()
    rasa.parse = lambda text: rasa_parse(text, "greet", 0.97)
    for n in range(3):
        post_sms(client, f"hello there {n}")
    assert app.extensions["repay.nlu_review"].wait_idle()
    assert [(i.reason, i.intent) for i in items()] == [("sample", "greet")] * 3


def test_the_low_confidence_threshold_is_configuration(make_app, rasa):
    app = make_app(NLU_REVIEW_CONFIDENCE=0.99)
    from tests.support.twilio import post_sms

    rasa.parse = lambda text: rasa_parse(text, "greet", 0.97)
    post_sms(app.test_client(), "hi hi")
    assert app.extensions["repay.nlu_review"].wait_idle()
    assert [i.reason for i in items()] == ["low_confidence"]


def test_sampling_takes_the_configured_share_and_the_same_messages_every_time():
    keys = [f"message:{n}" for n in range(4000)]
    chosen = [k for k in keys if sampled(k, 0.1)]
    assert 320 <= len(chosen) <= 480  # 10% of 4000, give or take 2 standard deviations
    assert chosen == [k for k in keys if sampled(k, 0.1)]
    assert set(k for k in keys if sampled(k, 0.05)) <= set(chosen)  # a smaller share is a subset
    assert not any(sampled(k, 0) for k in keys) and all(sampled(k, 1) for k in keys)


@pytest.mark.parametrize("parse, expected", [
    (rasa_parse("x", "greet", 0.95), None),
    (rasa_parse("x", "greet", 0.69), ("low_confidence", "greet", False)),
    (rasa_parse("x", "greet", 0.45, ("affirm", 0.40), fallback=True), ("fallback", "greet", True)),
    ({"intent": {"name": "nlu_fallback", "confidence": 0.4}, "intent_ranking": []},
     ("fallback", None, True)),
    ({"intent": {"name": "deny", "confidence": 0.5}}, ("low_confidence", "deny", False)),
])
def test_judging_a_parse(parse, expected):
    verdict = judge(parse, low_confidence=0.7, sample_rate=0.0, key="message:1")
    assert (verdict and (verdict.reason, verdict.intent, verdict.fell_back)) == expected


def test_personal_data_is_redacted_before_it_is_stored(app, rasa, sms):
    rasa.parse = lambda text: rasa_parse(text, "inform_identity", 0.41, ("wrong_person", 0.3))
    message = ("this is Dana Rivers, dob 03/14/1988, id 123-45-6789, call me at "
               "+1 555 010 0001 or dana@example.com")
    sms(message)
    [item] = items()
    assert item.text == "this is [NAME] [NAME], dob [DATE], id [ID], call me at [PHONE] or [EMAIL]"
    with session_scope() as session:
        row = session.execute(select(ReviewItem.__table__)).mappings().one()
    stored = " ".join(str(value) for value in row.values())
    for secret in ("Dana", "Rivers", "1988", "6789", "010 0001", "example.com"):
        assert secret not in stored


def test_a_stranger_has_no_names_to_redact_but_numbers_still_go(app, rasa, sms):
    rasa.parse = lambda text: rasa_parse(text, "wrong_person", 0.5)
    sms("not Dana, my number is 555-010-0199", phone=STRANGER)
    [item] = items()
    assert item.text == "not Dana, my number is [PHONE]"


def test_the_same_sentence_waiting_is_counted_not_repeated(app, rasa, sms):
    rasa.parse = lambda text: rasa_parse(text, "greet", 0.3)
    sms("Yo?")
    sms("yo")
    [item] = items()
    assert item.seen == 2 and item.text == "Yo?"


def test_the_borrower_never_waits_for_the_capture(app, rasa, sms, capture):
    rasa.answers_parse = False  # the capture reads the tracker
    rasa.parse = lambda text: rasa_parse(text, "greet", 0.3)
    rasa.hold_trackers = threading.Event()
    reply = sms("hey is this thing on", wait=False)
    # The reply is back while the tracker read is still held.
    assert reply.texts[0].startswith("Bot heard: hey is this thing on")
    assert items() == []
    rasa.hold_trackers.set()
    assert capture.wait_idle()
    assert [i.text for i in items()] == ["hey is this thing on"]


def test_a_failing_tracker_read_changes_nothing_for_the_borrower(app, rasa, sms):
    rasa.answers_parse = False
    rasa.parse = lambda text: rasa_parse(text, "greet", 0.3)
    rasa.tracker_status = 500
    reply = sms("hello?")
    assert reply.status_code == 200 and reply.texts[0].startswith("Bot heard: hello?")
    assert items() == [] and rasa.tracker_reads == 1


def test_a_parse_of_another_message_is_not_filed_under_this_one(app, rasa, sms):
    rasa.answers_parse = False  # the tracker's latest message is another one by then
    rasa.parse = lambda text: dict(rasa_parse("a later message", "greet", 0.3))
    sms("first message")
    assert items() == []


def test_messages_the_gateway_answers_itself_never_reach_the_inbox(app, rasa, sms):
    rasa.parse = lambda text: rasa_parse(text, "greet", 0.1)
    sms("HELP")
    sms("STOP")
    assert items() == [] and rasa.tracker_reads == 0


def test_redelivered_messages_are_captured_too(make_app, rasa):
    from server.conversation.redelivery import redeliver_once
    from tests.support.twilio import post_sms

    app = make_app()
    rasa.parse = lambda text: rasa_parse(text, "promise_to_pay", 0.55)
    rasa.down()
    reply = post_sms(app.test_client(), "i get paid on the 15th", phone=BORROWER)
    assert "reply shortly" in reply.texts[0]
    rasa.up()
    assert redeliver_once(app).answered == 1
    assert app.extensions["repay.nlu_review"].wait_idle()
    [item] = items()
    assert item.text == "i get paid on the 15th" and item.reason == "low_confidence"
    assert rasa.tracker_reads == 1  # redelivery asking whether Rasa had the message; not the capture


def test_a_chinese_borrowers_name_birth_date_and_id_ending_are_redacted_in_chinese(app, rasa, sms):
    # 王芳 (lender/demo_accounts.csv): born 1990-05-18, ID ending 302X
    rasa.parse = lambda text: rasa_parse(text, "inform_identity", 0.4)
    in_contact_hours("DEMO-1005")  # the cn profile answers nothing 22:00-08:00
    sms("我是王芳，一九九零年五月十八日出生，身份证尾号302X，电话一三八 零零零零 零零零一", phone="+8613800000001")
    [item] = items()
    assert item.text == "我是[NAME]，[DATE]出生，身份证尾号[ID]，电话[PHONE]"


ASKS_BIRTH_DATE = [{"text": "What is your date of birth? (for example 03/14/1988)"},
                   {"custom": {"identity_question": "birth_date"}}]


@pytest.mark.parametrize("answer", ["03/14/1988", "its march fourteenth 88", "4 8 2 1",
                                    "march fourteenth nineteen eighty eight", "four eight two one",
                                    "一九八八年三月十四日"])
def test_an_identity_answer_never_reaches_the_inbox(app, rasa, sms, answer):
    """Even when the model is unsure of it: the transcript holds a placeholder, and neither
    the text nor a redacted form of it goes to the trainers."""
    rasa.answer = lambda sender, text: ASKS_BIRTH_DATE
    rasa.parse = lambda text: rasa_parse(text, "inform_identity", 0.31, ("inform", 0.30),
                                         fallback=True)
    sms("hi")
    items_before = len(items())
    sms(answer)
    assert len(items()) == items_before  # "hi" may be filed; the answer is not
    assert all(answer not in item.text and "[DATE]" not in item.text and "[ID]" not in item.text
               for item in items())


def test_what_the_borrower_says_instead_of_an_identity_answer_reaches_the_inbox(app, rasa, sms):
    """The bot read no answer from it, and it holds nothing that could be one."""
    rasa.answer = lambda sender, text: ASKS_BIRTH_DATE
    rasa.parse = lambda text: rasa_parse(text, "hardship", 0.41, ("inform_identity", 0.30))
    sms("hi")
    sms("the bailiff took my car")
    assert [item.text for item in items() if "bailiff" in item.text] == ["the bailiff took my car"]
    with session_scope() as session:  # and the transcript has its text back
        assert session.execute(select(Message.id).where(
            Message.direction == "in", Message.body == "the bailiff took my car")).first()
