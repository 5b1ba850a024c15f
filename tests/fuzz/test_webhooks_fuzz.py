"""Every Twilio webhook, signed, with arbitrary fields, headers and bot answers: never a
5xx, TwiML that always parses, every inbound message with a MessageSid stored, and a
repeat of any voice webhook answered as the first was (issue 11)."""
from __future__ import annotations

import xml.etree.ElementTree as ET
from urllib.parse import quote, urljoin

from hypothesis import event, given
from hypothesis import strategies as st
from sqlalchemy import select

from store.db import session_scope
from store.models import TWILIO_FIELD_LENGTH, Message
from tests.fuzz.strategies import extra_fields, headers, short_text, sids, signed, text

VOICE_PAYLOADS = [
    {"expect": "birth_date", "digits": 8, "keypad": "MMDDYYYY"},
    {"expect": "id_last4", "digits": 4}, {"expect": "amount", "finish_on_key": "#"},
    {"keys": {"1": "yes", "2": "no", "3": ""}}, {"hangup": True}, {"transfer": True},
    {"sms_offer": "https://pay.example/abc"}, {"anything_else": True}, {"sms_follow_up": True},
    {"barge_in": False},
]
bot_answers = st.lists(st.one_of(
    text, st.builds(lambda voice: {"custom": {"voice": voice}}, st.sampled_from(VOICE_PAYLOADS)),
), max_size=3)
VOICE_FIELDS = ["SpeechResult", "Confidence", "Digits", "CallStatus", "AnsweredBy",
                "DialCallStatus", "CallDuration", "From", "To", "Direction"]
voice_fields = st.dictionaries(st.sampled_from(VOICE_FIELDS), st.one_of(
    short_text, st.sampled_from(["0.1", "0.95", "nan", "1e309", "-1", "completed", "ringing",
                                 "in-progress", "no-answer", "busy", "machine_end_beep",
                                 "fax", "human", "1", "2", "#"])), max_size=5)


def query_of(name, value) -> str:
    """A query string as Twilio sends it: URL-encoded (None: no query)."""
    return "" if value is None else f"?{name}={quote(value, safe='')}"


def twiml_of(response) -> ET.Element:
    """The TwiML of a 200, which must parse."""
    root = ET.fromstring(response.data)
    assert root.tag == "Response"
    return root


def no_server_error(response) -> None:
    assert response.status_code < 500, response.get_data(as_text=True)[:500]
    if response.status_code == 200:
        twiml_of(response)


def stored(sid: str) -> bool:
    with session_scope() as session:
        query = select(Message.id).where(Message.direction == "in", Message.provider_sid == sid)
        return session.execute(query).first() is not None


def fits(value) -> bool:
    return bool(value) and len(value) <= TWILIO_FIELD_LENGTH


@given(sid=st.one_of(st.none(), sids), phone=st.one_of(st.none(), text), body=text,
       num_media=short_text, extra=extra_fields, extra_headers=headers, bot=bot_answers)
def test_an_inbound_sms_is_stored_and_answered_with_twiml(
        client, rasa, sid, phone, body, num_media, extra, extra_headers, bot):
    rasa.answer = lambda sender, said: bot
    form = {**extra, "Body": body, "NumMedia": num_media}
    if sid is not None:
        form["MessageSid"] = sid
    if phone is not None:
        form["From"] = phone
    response = signed(client, "/twilio/sms", form, extra_headers)
    event(f"sms: {response.status_code}")
    no_server_error(response)
    if fits(sid) and fits(phone):
        assert response.status_code == 200
        assert stored(sid)
    else:
        assert response.status_code == 400


@given(
    call_sid=st.one_of(st.from_regex(r"\ACA[0-9a-f]{32}\Z"), sids), phone=text,
    outbound_id=st.one_of(st.none(), st.integers(-5, 5), st.just(2**63)), answer=voice_fields,
    then=st.lists(st.tuples(st.sampled_from(["turn", "dial", "status", "whisper", "voice"]),
                            voice_fields, st.one_of(st.none(), short_text)), max_size=4),
    extra_headers=headers, bot=bot_answers,
)
def test_a_call_answers_every_webhook_and_every_repeat_alike(
        client, rasa, call_sid, phone, outbound_id, answer, then, extra_headers, bot):
    rasa.answer = lambda sender, said: bot
    query = "" if outbound_id is None else f"?call={outbound_id}"
    paths = {"voice": f"/twilio/voice{query}", "status": f"/twilio/voice/status{query}"}
    last_twiml = None
    for kind, fields, step in [("voice", answer, None), *then]:
        form = {"From": phone, **fields, "CallSid": call_sid}
        if kind in ("turn", "dial"):
            action = _action(last_twiml, kind)
            path = action or f"/twilio/voice/{kind}" + query_of("step", step)
        elif kind == "whisper":
            path = "/twilio/voice/whisper" + query_of("handoff", step)
        else:
            path = paths[kind]
        response = signed(client, path, form, extra_headers)
        event(f"{kind}: {response.status_code}")  # --hypothesis-show-statistics
        no_server_error(response)
        if not fits(call_sid) and kind != "whisper":  # the agent's leg: reads no CallSid
            assert response.status_code == 400
        if kind != "turn" or "step=" in path:
            again = signed(client, path, form, extra_headers)
            assert (again.status_code, again.data) == (response.status_code, response.data)
        if response.status_code == 200:
            last_twiml = twiml_of(response)


def _action(twiml, kind):
    """The action URL the last TwiML gave for a turn or the end of a transfer."""
    if twiml is None:
        return None
    tag = {"turn": "Gather", "dial": "Dial"}[kind]
    element = next(twiml.iter(tag), None)
    if element is None or not element.get("action"):
        return None
    return urljoin("/twilio/voice", element.get("action"))


@given(sid=st.one_of(st.none(), sids), status=short_text, error=short_text,
       attempt=st.one_of(st.none(), short_text), extra=extra_fields, extra_headers=headers)
def test_a_message_status_callback_never_fails(client, sid, status, error, attempt, extra,
                                               extra_headers):
    form = {**extra, "MessageStatus": status, "ErrorCode": error}
    if sid is not None:
        form["MessageSid"] = sid
    path = "/twilio/status" + query_of("attempt", attempt)
    response = signed(client, path, form, extra_headers)
    event(f"status: {response.status_code}")
    no_server_error(response)
