"""What the voice tests share: a fake Rasa that answers with voice payloads, Twilio's
side of a call played through Flask's test client (devtools/twilio_sim.SimulatedCall),
and the voice variants of domain.yml as Rasa would pick them."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Callable, Dict, List, Optional, Union
from urllib.parse import urlsplit

from sqlalchemy import select
from werkzeug.wrappers import Request, Response

from bot import domain_file
from devtools.twilio_sim import SimulatedTwilio
from store.db import session_scope
from store.models import AuditEvent, Message, OutboxMessage
from tests.gateway.gateway_support import AUTH_TOKEN, FakeRasa

REPO = Path(__file__).resolve().parents[2]
RESPONSES = domain_file.responses()
VOICE_CONDITION = [{"type": "slot", "name": "channel", "value": "voice"}]
GATEWAY = "http://localhost"

Answer = Union[str, Dict]


def conditions(variant: dict) -> Dict[str, str]:
    """A variant's slot conditions as {slot: value} ({} for the default)."""
    return {c["name"]: c["value"] for c in variant.get("condition") or [] if c.get("type") == "slot"}


def voice_variant(name: str, language: str = "en") -> Optional[dict]:
    """The variant Rasa picks on a call in `language` (domain.yml's scheme: English voice
    is [channel=voice] or [channel=voice, language=en]; Chinese voice is [language=zh,
    channel=voice]), None when the response has none for the phone."""
    for variant in RESPONSES[name]:
        slots = conditions(variant)
        if slots.get("channel") == "voice" and slots.get("language", "en") == language:
            return variant
    return None


def said(name: str, **values) -> List[Dict]:
    """Rasa's REST answer for a response sent on an English call: the voice variant's text
    (filled like Rasa fills it) followed by its custom payload."""
    variant = voice_variant(name) or RESPONSES[name][0]

    def fill(value):
        if isinstance(value, str):
            return value.format(**values) if values else value
        if isinstance(value, dict):
            return {k: fill(v) for k, v in value.items()}
        return value

    answer = [{"text": fill(variant["text"])}]
    if variant.get("custom"):
        answer.append({"custom": fill(variant["custom"])})
    return answer


class VoiceRasa(FakeRasa):
    """Rasa's REST channel answering with texts and custom payloads: `answer(sender, text)`
    returns strings (texts) or dicts (whole answers)."""

    def __init__(self) -> None:
        super().__init__()
        self.answer: Callable[[str, str], List[Answer]] = lambda sender, text: [f"Bot heard: {text}"]

    def _app(self, environ, start_response):
        request = Request(environ)
        if request.path == "/":
            return Response("Hello from Rasa: 3.6.21")(environ, start_response)
        if request.method == "GET" and request.path.endswith("/tracker") and self.slots is not None:
            body = {"slots": self.slots, "latest_message": {}}
            return Response(json.dumps(body), mimetype="application/json")(environ, start_response)
        payload = request.get_json()
        self.calls.append(payload)
        if self.status != 200:
            return Response("error", status=self.status)(environ, start_response)
        body = []
        for item in self.answer(payload["sender"], payload["message"]):
            item = {"text": item} if isinstance(item, str) else dict(item)
            body.append({"recipient_id": payload["sender"], **item})
        return Response(json.dumps(body), mimetype="application/json")(environ, start_response)

    def script(self, *turns: List[Answer]) -> None:
        """Answers the bot's turns in order (the call's start is the first)."""
        queue = list(turns)
        self.answer = lambda sender, text: queue.pop(0)


class _Flask:
    """requests' post() over Flask's test client, for SimulatedTwilio."""

    def __init__(self, client):
        self.client = client

    def post(self, url, data=None, headers=None, timeout=None):
        parts = urlsplit(url)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        response = self.client.post(path, data=data, headers=headers)
        return _Reply(response)


class _Reply:
    def __init__(self, response):
        self.status_code = response.status_code
        self.text = response.get_data(as_text=True)

    def raise_for_status(self):
        if self.status_code >= 400:
            raise AssertionError(f"HTTP {self.status_code}: {self.text[:200]}")


def simulated_twilio(client, token: str = AUTH_TOKEN) -> SimulatedTwilio:
    twilio = SimulatedTwilio(GATEWAY, token)
    twilio.http = _Flask(client)
    return twilio


def messages(phone: str, channel: str = "voice") -> List[Message]:
    with session_scope() as session:
        query = select(Message).where(Message.phone == phone, Message.channel == channel)
        return list(session.execute(query.order_by(Message.id)).scalars())


def outbox(phone: str) -> List[OutboxMessage]:
    with session_scope() as session:
        query = select(OutboxMessage).where(OutboxMessage.to == phone).order_by(OutboxMessage.id)
        return list(session.execute(query).scalars())


def audit_events(action: str) -> List[AuditEvent]:
    with session_scope() as session:
        query = select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
        return list(session.execute(query).scalars())
