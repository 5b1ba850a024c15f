"""The agent console's side: its people, a signed-in browser session (the test client
with the page's CSRF token), and a borrower asking the bot for a person."""
from __future__ import annotations

import re
import time
from typing import Callable, List, Optional

from sqlalchemy import select

from store.agents import save_agent
from store.db import session_scope
from store.models import Conversation, Handoff
from tests.support.accounts import BORROWER
from tests.support.fake_rasa import HANDOFF_TEXT
from tests.support.store import without_opt_out

PASSWORD = "correct horse battery"
AGENTS = {"alice": "agent", "bob": "agent", "sue": "supervisor", "tom": "trainer"}
_CSRF = re.compile(r'name="csrf-token" content="([^"]+)"')


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


def wait_until(predicate: Callable[[], bool], timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


def ask_for_a_person(sms, fake_rasa, phone: str = BORROWER) -> int:
    """The borrower texts hello, then asks for a person (the bot hands over): the handoff."""
    fake_rasa.hand_over_on = "person"
    assert without_opt_out(sms("hello", phone=phone).texts) == ["Bot heard: hello"]
    assert without_opt_out(sms("I want to talk to a person", phone=phone).texts) == [HANDOFF_TEXT]
    with session_scope() as session:
        conversation = session.execute(
            select(Conversation).where(Conversation.phone == phone)
        ).scalars().one()
        assert conversation.handled_by == "human"
    return queue_ids(phone)[-1]


def queue_ids(phone: str = BORROWER) -> List[int]:
    """The handoffs of `phone`'s conversations, oldest first."""
    with session_scope() as session:
        rows = session.execute(
            select(Handoff).join(Conversation, Conversation.id == Handoff.conversation_id)
            .where(Conversation.phone == phone).order_by(Handoff.id)
        ).scalars().all()
    return [row.id for row in rows]
