"""Who may see and do what: signed-out requests, agents, supervisors, trainers; CSRF,
cookies, the sign-in rate limit, masking in lists, the audit trail."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from store.agents import save_agent
from store.db import session_scope
from store.models import Agent, AuditEvent, Conversation
from tests.support.accounts import BORROWER
from tests.support.app import PRODUCTION_SECRETS
from tests.support.console import PASSWORD, Browser
from tests.support.fake_rasa import hand_over
from tests.support.store import audit_actions


@pytest.fixture
def handoff_id(app, sms):
    sms("hello")
    with session_scope() as session:
        conversation_id = session.execute(select(Conversation.id)).scalar_one()
    return hand_over(conversation_id, "hardship")


ENDPOINTS = [
    ("GET", "/console/api/queue"),
    ("GET", "/console/api/handoffs/{id}"),
    ("POST", "/console/api/handoffs/{id}/claim"),
    ("POST", "/console/api/handoffs/{id}/reply"),
    ("POST", "/console/api/handoffs/{id}/outcomes"),
    ("POST", "/console/api/handoffs/{id}/arrangements/1/cancel"),
    ("POST", "/console/api/handoffs/{id}/arrangements/1/move"),
    ("POST", "/console/api/handoffs/{id}/vulnerable"),
    ("POST", "/console/api/handoffs/{id}/release"),
    ("POST", "/console/api/handoffs/{id}/hand-back"),
    ("POST", "/console/api/handoffs/{id}/close"),
    ("POST", "/console/api/approvals/1/approve"),
]
ACTIONS = [
    ("reply", {"body": "hello"}),
    ("outcomes", {"kind": "dispute"}),
    ("release", {}),
    ("hand-back", {}),
    ("close", {}),
]


@pytest.mark.parametrize("method, path", ENDPOINTS)
def test_signed_out_requests_are_refused(app, handoff_id, method, path):
    client = app.test_client()
    browser = Browser(client)
    browser.token_from("/console/login")  # even with a valid CSRF token
    url = path.format(id=handoff_id)
    response = client.get(url) if method == "GET" else browser.post(url, {"body": "hi"})
    assert response.status_code == 401
    assert response.get_json() == {"error": "sign in first"}


@pytest.mark.parametrize("path", ["/console/", "/console/handoffs/1"])
def test_signed_out_pages_send_you_to_sign_in(app, path):
    response = app.test_client().get(path)
    assert response.status_code == 302 and response.headers["Location"].startswith("/console/login")


def test_an_agent_cannot_read_or_act_on_another_agents_conversation(handoff_id, browser):
    alice, bob = browser("alice"), browser("bob")
    assert alice.claim(handoff_id).status_code == 200

    assert bob.view(handoff_id).status_code == 403
    assert bob.get(f"/console/handoffs/{handoff_id}").status_code == 403
    for action, body in ACTIONS:
        response = bob.post(f"/console/api/handoffs/{handoff_id}/{action}", body)
        assert response.status_code == 403, action
    assert bob.claim(handoff_id).status_code == 409
    queue = bob.queue()
    assert queue["queue"] == [] and queue["mine"] == [] and "others" not in queue
    # Nothing bob tried changed anything.
    assert alice.view(handoff_id).get_json()["handoff"]["claimed_by"] == "alice"
    assert audit_actions("agent:bob") == ["sign_in"]


def test_an_agent_reads_a_conversation_only_after_claiming_it(handoff_id, browser):
    alice = browser("alice")
    assert alice.view(handoff_id).status_code == 403
    assert alice.post(f"/console/api/handoffs/{handoff_id}/reply", {"body": "hi"}).status_code == 403
    alice.claim(handoff_id)
    assert alice.view(handoff_id).status_code == 200


def test_a_supervisor_sees_every_conversation_but_acts_only_on_their_own(handoff_id, browser):
    alice, sue = browser("alice"), browser("sue")
    alice.claim(handoff_id)
    queue = sue.queue()
    assert [item["claimed_by"] for item in queue["others"]] == ["alice"]
    view = sue.view(handoff_id)
    assert view.status_code == 200 and view.get_json()["can_act"] is False
    response = sue.post(f"/console/api/handoffs/{handoff_id}/reply", {"body": "hi"})
    assert response.status_code == 403 and response.get_json()["error"] == "alice holds this conversation"
    # ...except putting a stuck conversation back in the queue.
    assert sue.release(handoff_id).status_code == 200
    assert [item["id"] for item in alice.queue()["queue"]] == [handoff_id]


def test_a_trainer_signs_in_but_sees_no_conversation(handoff_id, browser):
    tom = browser("tom")
    assert tom.get("/console/api/queue").status_code == 403
    assert tom.claim(handoff_id).status_code == 403
    page = tom.get("/console/")
    assert page.status_code == 403 and "Nothing here for your role" in page.get_data(as_text=True)


def test_lists_mask_phone_numbers_and_names(handoff_id, browser):
    sue = browser("sue")
    [item] = sue.queue()["queue"]
    assert item["phone"] == "•••• 0001" and item["borrower"] == "D. R."
    listed = sue.get("/console/api/queue").get_data(as_text=True)
    page = sue.get("/console/").get_data(as_text=True)
    for secret in (BORROWER, BORROWER[2:], "Dana", "Rivers", "1988", "4821"):
        assert secret not in listed and secret not in page


def test_the_conversation_never_shows_identity_facts(handoff_id, browser):
    alice = browser("alice")
    alice.claim(handoff_id)
    text = alice.view(handoff_id).get_data(as_text=True)
    assert "Dana Rivers" in text  # the holder reads the account...
    assert "1988-03-14" not in text and "4821" not in text  # ...never the identity answers


def test_every_agent_action_is_in_the_audit_trail(handoff_id, browser):
    alice = browser("alice")
    alice.claim(handoff_id)
    alice.get(f"/console/handoffs/{handoff_id}")
    alice.reply(handoff_id, "Hello Dana")
    alice.outcome(handoff_id, kind="dispute")
    alice.hand_back(handoff_id)
    alice.post("/console/logout", csrf=False)  # a form post: refused without its token
    # The gate's decisions on the reply and on the hand-back notice (to the now disputed
    # account) are the agent's too.
    assert audit_actions("agent:alice") == [
        "sign_in", "claim", "view_conversation", "gate_allowed", "reply", "account_status", "outcome",
        "hand_back", "gate_refused",
    ]
    with session_scope() as session:
        events = session.execute(select(AuditEvent).where(AuditEvent.actor == "agent:alice")).scalars().all()
    assert all(e.details.get("handoff_id") == handoff_id for e in events
               if e.action not in ("sign_in", "account_status", "gate_allowed", "gate_refused"))
    assert {e.details["path"] for e in events if e.action.startswith("gate_")} == {"agent_reply", "hand_back"}
    assert all("Hello Dana" not in str(e.details) for e in events)  # bodies stay in messages


def test_posts_without_the_csrf_token_are_refused(handoff_id, browser):
    alice = browser("alice")
    response = alice.post(f"/console/api/handoffs/{handoff_id}/claim", csrf=False)
    assert response.status_code == 400 and "CSRF" in response.get_json()["error"]
    forged = alice.client.post(f"/console/api/handoffs/{handoff_id}/claim", headers={"X-CSRFToken": "forged"})
    assert forged.status_code == 400
    assert alice.queue()["mine"] == []
    signed_out = Browser(alice.client.application.test_client())
    response = signed_out.client.post("/console/login", data={"username": "alice", "password": PASSWORD})
    assert response.status_code == 400  # the sign-in form too


def test_sign_in_with_a_wrong_password_fails_the_same_way_as_an_unknown_user(app, browser):
    nobody = browser()
    wrong = nobody.sign_in("alice", "not the password")
    unknown = nobody.sign_in("mallory", "not the password")
    assert wrong.status_code == unknown.status_code == 401
    assert "Wrong username or password." in wrong.get_data(as_text=True)
    assert nobody.get("/console/api/queue").status_code == 401
    assert audit_actions("console") == ["sign_in_failed", "sign_in_failed"]


def test_sign_in_is_rate_limited(browser):
    attacker = browser()
    codes = [attacker.sign_in("alice", f"guess {n}").status_code for n in range(6)]
    assert codes == [401] * 5 + [429]  # per username and address (test_sign_in_limits.py)
    blocked = attacker.sign_in("alice")  # even the right password, for now
    assert blocked.status_code == 429 and "Too many sign-in attempts" in blocked.get_data(as_text=True)


def test_the_session_cookie_is_httponly_samesite_and_secure_behind_https(make_app):
    app = make_app(PUBLIC_URL="https://sms.lender.example", **PRODUCTION_SECRETS)
    browser = Browser(app.test_client())
    response = browser.sign_in("alice")
    cookie = response.headers["Set-Cookie"]
    assert re.search(r"; Secure", cookie) and "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_pages_forbid_framing_and_caching(browser):
    response = browser("alice").get("/console/")
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["Cache-Control"] == "no-store"


def test_passwords_are_stored_only_as_salted_hashes(app):
    with session_scope() as session:
        hashes = [a.password_hash for a in session.execute(select(Agent)).scalars()]
    assert all(PASSWORD not in h and h.startswith(("scrypt:", "pbkdf2:")) for h in hashes)
    assert len(set(hashes)) == len(hashes)  # salted: one password, different hashes


def test_a_new_password_signs_out_every_session(browser):
    alice = browser("alice")
    assert alice.get("/console/api/queue").status_code == 200
    with session_scope() as session:
        save_agent(session, "alice", "agent", "a brand new password")
    assert alice.get("/console/api/queue").status_code == 401


def test_signing_out_ends_the_session(browser):
    alice = browser("alice")
    token = alice.csrf
    response = alice.client.post("/console/logout", data={"csrf_token": token})
    assert response.status_code == 302
    assert alice.get("/console/api/queue").status_code == 401
    assert audit_actions("agent:alice") == ["sign_in", "sign_out"]
