"""What the gateway tests share: a fake Rasa over real HTTP, signed Twilio
webhooks, and views of what the store holds afterwards."""
from __future__ import annotations

import json
import threading
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Dict, List, Optional

from sqlalchemy import select
from twilio.request_validator import RequestValidator
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from store.db import session_scope
from store.models import Message, OutboxMessage

REPO = Path(__file__).resolve().parents[2]
AUTH_TOKEN = "test-auth-token"
API_KEY = "test-api-key"
BORROWER = "+15550100001"  # DEMO-1001 in lender/demo_accounts.csv
STRANGER = "+15550199999"  # reaches no account
RASA_TIMEOUT = 1  # seconds, written into the test policy


class FakeRasa:
    """Rasa's REST channel on 127.0.0.1: tests set `answer`, `delay` and `status`,
    or take it down (connections refused) and up again on the same port. Like Rasa, it
    keeps each conversation's events (a user event with the message's metadata, then the
    answer's bot events; nothing when `status` fails it), which GET .../tracker answers with
    when asked for events (`include_events` other than NONE)."""

    def __init__(self) -> None:
        self.calls: List[dict] = []
        self.events: Dict[str, List[dict]] = {}
        self.answer: Callable[[str, str], List[str]] = lambda sender, text: [f"Bot heard: {text}"]
        self.delay = 0.0
        self.status = 200
        self.slots: Optional[dict] = None  # set: GET .../tracker answers with these slots
        self.in_flight = 0
        self.max_in_flight = 0  # how many turns Rasa was asked to run at once
        self._count_lock = threading.Lock()
        self.port: Optional[int] = None
        self._server = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _app(self, environ, start_response):
        request = Request(environ)
        if request.path == "/":
            return Response("Hello from Rasa: 3.6.21")(environ, start_response)
        if request.method == "GET" and request.path.endswith("/tracker"):
            sender = request.path.split("/")[-2]
            if request.args.get("include_events", "AFTER_RESTART") != "NONE":
                body = {"slots": self.slots or {}, "events": self.events.get(sender, [])}
                return Response(json.dumps(body), mimetype="application/json")(environ, start_response)
            if self.slots is not None:
                body = {"slots": self.slots, "latest_message": {}}
                return Response(json.dumps(body), mimetype="application/json")(environ, start_response)
        if request.method == "POST" and request.path.endswith("/tracker/events"):
            sender = request.path.split("/")[-3]
            self.events.setdefault(sender, []).extend(request.get_json())
            return Response("{}", mimetype="application/json")(environ, start_response)
        payload = request.get_json()
        self.calls.append(payload)
        with self._count_lock:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        time.sleep(self.delay)
        with self._count_lock:
            self.in_flight -= 1
        if self.status != 200:
            return Response("error", status=self.status)(environ, start_response)
        # Texts, or whole answers as dicts ({"custom": ...} payloads).
        body = [dict(t) if isinstance(t, dict) else {"recipient_id": payload["sender"], "text": t}
                for t in self.answer(payload["sender"], payload["message"])]
        self.events.setdefault(payload["sender"], []).append(
            {"event": "user", "text": payload["message"], "metadata": payload.get("metadata") or {},
             "parse_data": {"intent": {"name": "greet", "confidence": 0.9},
                            "text": payload["message"]}})
        self.events[payload["sender"]] += [
            {"event": "bot", "text": answer.get("text"), "data": {"custom": answer.get("custom")}}
            for answer in body]
        return Response(json.dumps(body), mimetype="application/json")(environ, start_response)

    def up(self) -> None:
        self._server = make_server("127.0.0.1", self.port or 0, self._app, threaded=True)
        self.port = self._server.server_port
        threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True).start()

    def down(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def messages(self) -> List[str]:
        return [call["message"] for call in self.calls]


# DEMO-1001 owes $453.50: what the actions record when it is agreed (details of the outcome,
# from which the store opens the arrangement).
AGREED = {
    "promise": {"date": "2026-12-14", "amount": "453.50", "currency": "USD"},
    "plan": {"months": 3, "total": "453.50", "down_payment": "0.00", "currency": "USD", "instalments": [
        {"number": 1, "due": "2026-12-14", "amount": "151.16"},
        {"number": 2, "due": "2027-01-14", "amount": "151.16"},
        {"number": 3, "due": "2027-02-14", "amount": "151.18"},
    ]},
    "deferral": {"new_due_date": "2026-12-21", "previous_due_date": "2026-11-10", "days": 14},
}


def agreed(kind: str) -> dict:
    """The details the bot records with an outcome of `kind` on DEMO-1001 ({} for the
    outcomes that agree nothing)."""
    return json.loads(json.dumps(AGREED.get(kind, {})))


def fake_bot_records(rasa: FakeRasa, account_id: str, kind: str, details: dict,
                     answer: str = "Done.") -> None:
    """The fake bot's turn records an agreement as the action server does (the store opens
    its arrangement), once per conversation, and says `answer`."""
    from store.models import Outcome
    from store.outcomes import record_outcome

    def turn(sender: str, text: str) -> List[str]:
        with session_scope() as session:
            done = session.execute(select(Outcome.id).where(
                Outcome.conversation_id == sender, Outcome.kind == kind)).first()
            if done is None:
                record_outcome(session, kind, account_id=account_id, conversation_id=sender,
                               details=json.loads(json.dumps(details)))
        return [answer]

    rasa.answer = turn


def sign(url: str, form: dict, token: str = AUTH_TOKEN) -> str:
    return RequestValidator(token).compute_signature(url, form)


@dataclass
class SmsReply:
    """What Twilio would text back to the borrower."""

    status_code: int
    texts: List[str]
    xml: str


def parse_twiml(data: bytes) -> List[str]:
    root = ET.fromstring(data)
    assert root.tag == "Response"
    return [element.text or "" for element in root.findall("Message")]


_sids = iter(range(1, 10**9))


def new_sid() -> str:
    return f"SM{next(_sids):032d}"


def post_sms(client, body: str = "", *, phone: str = BORROWER, sid: Optional[str] = None,
             num_media: int = 0, url: str = "http://localhost/twilio/sms",
             path: str = "/twilio/sms", token: str = AUTH_TOKEN, buffered: bool = False) -> SmsReply:
    """Posts a Twilio inbound-SMS webhook signed like Twilio signs it. `buffered`: the
    response is read and closed, as a WSGI server does, so what the gateway does once the
    reply has gone (call_on_close) happens before this returns."""
    form = {
        "MessageSid": sid or new_sid(), "AccountSid": "ACtest", "From": phone,
        "To": "+18005550199", "Body": body, "NumMedia": str(num_media),
    }
    response = client.post(path, data=form, buffered=buffered,
                           headers={"X-Twilio-Signature": sign(url, form, token)})
    texts = parse_twiml(response.data) if response.status_code == 200 else []
    return SmsReply(response.status_code, texts, response.get_data(as_text=True))


def stored_messages(phone: str = BORROWER) -> List[Message]:
    with session_scope() as session:
        query = select(Message).where(Message.phone == phone).order_by(Message.id)
        return list(session.execute(query).scalars())


def inbound(phone: str = BORROWER) -> List[Message]:
    return [m for m in stored_messages(phone) if m.direction == "in"]


def outbound(phone: str = BORROWER) -> List[Message]:
    return [m for m in stored_messages(phone) if m.direction == "out"]


def outbox(phone: str = BORROWER) -> List[OutboxMessage]:
    with session_scope() as session:
        query = select(OutboxMessage).where(OutboxMessage.to == phone).order_by(OutboxMessage.id)
        return list(session.execute(query).scalars())
