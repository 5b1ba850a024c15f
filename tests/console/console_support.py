"""What the console tests share: a fake Rasa that also takes tracker events, agents,
a signed-in browser session (the test client with the page's CSRF token), and a
bot that hands over the way the action server does."""
from __future__ import annotations

import json
import re
import threading
import time
from typing import Callable, Dict, List, Optional

from sqlalchemy import select
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from store.agents import save_agent
from store.db import session_scope
from store.handoffs import enqueue
from store.models import AuditEvent, Conversation, Handoff, OutboxMessage, OutcomeKind
from store.outcomes import record_outcome

PASSWORD = "correct horse battery"
HANDOFF_TEXT = "I'm passing you to a person at Northwind Credit, who will reply here within the hour."
AGENTS = {"alice": "agent", "bob": "agent", "sue": "supervisor", "tom": "trainer"}
_CSRF = re.compile(r'name="csrf-token" content="([^"]+)"')


class FakeRasa:
    """Rasa's REST channel and tracker-events endpoint on 127.0.0.1. By default it
    answers "Bot heard: <text>"; `hand_over_on` makes a message hand over, as
    action_handoff does (store/handoffs.enqueue, then the handoff message), after the bot
    verified the borrower unless `verified` is False."""

    def __init__(self) -> None:
        self.calls: List[dict] = []
        self.events: Dict[str, List[dict]] = {}
        self.hand_over_on: Optional[str] = None
        self.reason = "request_human"
        self.verified = True
        self.answer: Callable[[str, str], List[str]] = lambda sender, text: [f"Bot heard: {text}"]
        self.port: Optional[int] = None
        self._server = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _app(self, environ, start_response):
        request = Request(environ)
        if request.path == "/":
            return Response("Hello from Rasa: 3.6.21")(environ, start_response)
        match = re.fullmatch(r"/conversations/([^/]+)/tracker/events", request.path)
        if match:
            self.events.setdefault(match.group(1), []).extend(request.get_json())
            return Response("{}", mimetype="application/json")(environ, start_response)
        payload = request.get_json()
        self.calls.append(payload)
        sender, text = payload["sender"], payload["message"]
        if self.hand_over_on and self.hand_over_on in text.lower():
            hand_over(sender, self.reason, verified=self.verified)
            texts = [HANDOFF_TEXT]
        else:
            texts = self.answer(sender, text)
        # Texts, or whole answers as dicts ({"custom": ...} payloads).
        body = [dict(t) if isinstance(t, dict) else {"recipient_id": sender, "text": t} for t in texts]
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


def hand_over(conversation_id: str, reason: str = "request_human", verified: bool = True) -> int:
    """What actions/handoff.py does to the store when the bot hands over (after
    actions/identity.py verified the borrower, with `verified`)."""
    with session_scope() as session:
        conversation = session.get(Conversation, conversation_id)
        if verified:
            record_outcome(session, OutcomeKind.VERIFIED, account_id=conversation.account_id,
                           conversation_id=conversation_id)
            session.flush()
        handoff = enqueue(session, conversation, reason)
        session.flush()
        return handoff.id


def create_agents() -> None:
    with session_scope() as session:
        for username, role in AGENTS.items():
            save_agent(session, username, role, PASSWORD)


class Browser:
    """One person's browser: the Flask test client, signed in, posting JSON with the
    CSRF token the console's pages carry."""

    def __init__(self, client, username: Optional[str] = None):
        self.client = client
        self.csrf = ""
        if username:
            self.sign_in(username)

    def token_from(self, path: str) -> str:
        page = self.client.get(path)
        found = _CSRF.search(page.get_data(as_text=True))
        assert found, f"{path} carries no CSRF token"
        self.csrf = found.group(1)
        return self.csrf

    def sign_in(self, username: str, password: str = PASSWORD):
        token = self.token_from("/console/login")
        response = self.client.post(
            "/console/login", data={"username": username, "password": password, "csrf_token": token}
        )
        if response.status_code == 302:
            self.token_from("/console/")  # the signed-in session's token
        return response

    def get(self, path: str):
        return self.client.get(path)

    def post(self, path: str, body: Optional[dict] = None, csrf: bool = True):
        headers = {"X-CSRFToken": self.csrf} if csrf else {}
        return self.client.post(path, json=body or {}, headers=headers)

    # the console's API, by what an agent does
    def queue(self) -> dict:
        response = self.get("/console/api/queue")
        assert response.status_code == 200, response.get_data(as_text=True)
        return response.get_json()

    def claim(self, handoff_id: int):
        return self.post(f"/console/api/handoffs/{handoff_id}/claim")

    def view(self, handoff_id: int, after: int = 0):
        return self.get(f"/console/api/handoffs/{handoff_id}?after={after}")

    def reply(self, handoff_id: int, body: str):
        return self.post(f"/console/api/handoffs/{handoff_id}/reply", {"body": body})

    def outcome(self, handoff_id: int, **form):
        return self.post(f"/console/api/handoffs/{handoff_id}/outcomes", form)

    def hand_back(self, handoff_id: int):
        return self.post(f"/console/api/handoffs/{handoff_id}/hand-back")

    def close(self, handoff_id: int):
        return self.post(f"/console/api/handoffs/{handoff_id}/close")

    def verify(self, handoff_id: int, birth_date: str, id_last4: str):
        return self.post(f"/console/api/handoffs/{handoff_id}/verify",
                         {"birth_date": birth_date, "id_last4": id_last4})

    def release(self, handoff_id: int):
        return self.post(f"/console/api/handoffs/{handoff_id}/release")


def handoff_row(handoff_id: int) -> Handoff:
    with session_scope() as session:
        return session.get(Handoff, handoff_id)


def audit_actions(actor: Optional[str] = None) -> List[str]:
    with session_scope() as session:
        query = select(AuditEvent).order_by(AuditEvent.id)
        if actor:
            query = query.where(AuditEvent.actor == actor)
        return [event.action for event in session.execute(query).scalars()]


def without_opt_out(texts: List[str]) -> List[str]:
    """What was said, without the opt-out wording every outbound SMS ends with."""
    return [re.sub(r"\nReply STOP to opt out\.$", "", text) for text in texts]


def outbox_bodies(phone: str) -> List[str]:
    with session_scope() as session:
        query = select(OutboxMessage).where(OutboxMessage.to == phone).order_by(OutboxMessage.id)
        return without_opt_out([row.body for row in session.execute(query).scalars()])


def wait_until(predicate: Callable[[], bool], timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()
