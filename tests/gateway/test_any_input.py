"""Whatever Twilio can send is stored and answered with TwiML that parses, on SQLite and
PostgreSQL alike (issue 11, findings 4 and 5)."""
import json
import xml.etree.ElementTree as ET

import pytest

from store.db import session_scope
from store.models import TWILIO_FIELD_LENGTH, Account
from tests.support.accounts import BORROWER
from tests.support.store import stored_messages
from tests.support.twilio import new_sid, post_sms, sign

# Characters XML 1.0 cannot carry: NUL and other C0 controls, U+FFFE, U+FFFF, a lone surrogate.
NOT_XML = "\x00\x01\x08\x0b\x0c\x1b\x1f\ufffe\uffff\ud800"


@pytest.fixture
def store_client(make_app, database_url):
    return make_app(DATABASE_URL=database_url).test_client()


def only_message(phone):
    [message] = [m for m in stored_messages(phone) if m.direction == "in"]
    return message


def test_a_nul_in_a_message_is_kept_as_a_replacement_character(store_client):
    reply = post_sms(store_client, "I can pay\x00 on Friday")
    assert reply.status_code == 200
    assert reply.texts == ["Bot heard: I can pay on Friday\nReply STOP to opt out."]
    assert only_message(BORROWER).body == "I can pay\ufffd on Friday"


@pytest.mark.parametrize("phone", ["whatsapp:+15550100001", "+1" + "5" * 298])
def test_any_address_twilio_sends_is_stored(store_client, phone):
    reply = post_sms(store_client, "hello", phone=phone)
    assert reply.status_code == 200 and reply.texts
    assert only_message(phone).body == "hello"


def test_a_long_message_sid_is_stored_and_a_repeat_of_it_is_not(store_client):
    sid = "SM" + "0123456789" * 30
    assert post_sms(store_client, "hello", sid=sid).texts == ["Bot heard: hello\nReply STOP to opt out."]
    assert post_sms(store_client, "hello", sid=sid).texts == []
    assert only_message(BORROWER).provider_sid == sid


def test_a_sid_longer_than_twilio_could_send_is_refused_with_a_400(store_client):
    too_long = "SM" + "0" * TWILIO_FIELD_LENGTH
    reply = post_sms(store_client, "hello", sid=too_long)
    assert reply.status_code == 400
    assert stored_messages(BORROWER) == []


def test_a_bot_reply_with_control_characters_is_valid_twiml(client, fake_rasa):
    fake_rasa.answer = lambda sender, text: [f"Hello Dana{NOT_XML} Ñúñez, 你好 😀."]
    reply = post_sms(client, "hi", sid=new_sid())
    ET.fromstring(reply.xml)  # parses
    assert reply.texts == ["Hello Dana Ñúñez, 你好 😀.\nReply STOP to opt out."]


def test_control_characters_in_an_sms_do_not_break_the_reply(client, fake_rasa):
    reply = post_sms(client, f"hi{NOT_XML[:-1]}")  # a form cannot carry a lone surrogate
    assert reply.status_code == 200
    ET.fromstring(reply.xml)


@pytest.mark.parametrize("path", ["/twilio/status?attempt=99999999999999999999999",
                                  "/twilio/voice/status?call=99999999999999999999999"])
def test_an_id_no_row_can_have_reads_as_no_id(store_client, path):
    form = {"CallSid": "CA" + "0" * 32, "MessageSid": "SM" + "0" * 32, "MessageStatus": "delivered",
            "CallStatus": "completed"}
    response = store_client.post(path, data=form, headers={"X-Twilio-Signature": sign(
        f"http://localhost{path}", form)})
    assert response.status_code == 204


def test_a_step_no_question_named_is_a_step_of_its_own(store_client):
    path = "/twilio/voice/turn?step=" + "9" * 100
    form = {"CallSid": "CA" + "0" * 32, "From": BORROWER, "SpeechResult": "hello"}
    response = store_client.post(path, data=form, headers={"X-Twilio-Signature": sign(
        f"http://localhost{path}", form)})
    assert response.status_code == 200 and b"<Hangup" in response.data  # no such call


def test_an_account_name_json_can_carry_and_no_database_can_is_stored_replaced(make_app, database_url):
    from tests.support.accounts import API_ACCOUNT
    from tests.support.app import API_AUTH

    client = make_app(DATABASE_URL=database_url).test_client()
    body = json.dumps([{**API_ACCOUNT, "name": "Dana \ud800\x00 Ñúñez"}]).encode()  # a lone surrogate, escaped
    response = client.post("/api/accounts", data=body, headers={**API_AUTH, "Content-Type": "application/json"})
    assert response.status_code == 200 and response.get_json()["errors"] == []
    with session_scope() as session:
        assert session.get(Account, API_ACCOUNT["account_id"]).name == "Dana \ufffd\ufffd Ñúñez"
