"""Rasa's HTTP API and the action server answer only who holds their secret, as the stack runs
them (`rasa run --auth-token`, actions/server.py); the conversation itself still works, so Rasa
sends the action server its secret and the gateway sends Rasa its token."""
from __future__ import annotations

import requests


def test_rasas_http_api_needs_the_token(stack):
    rasa, token = stack.config.rasa_url, stack.secrets["RASA_TOKEN"]
    tracker = f"{rasa}/conversations/c-probe/tracker"
    assert requests.get(f"{rasa}/status", timeout=10).status_code == 401
    assert requests.get(tracker, timeout=10).status_code == 401
    assert requests.post(f"{tracker}/events", json=[{"event": "restart"}], timeout=10).status_code == 401
    assert requests.get(tracker, params={"token": "wrong"}, timeout=10).status_code == 401
    assert requests.get(f"{rasa}/status", params={"token": token}, timeout=10).status_code == 200
    assert requests.get(tracker, params={"token": token}, timeout=10).status_code == 200


def test_the_action_server_needs_its_secret(stack):
    actions = f"http://127.0.0.1:{stack.config.actions_port}"
    call = {"next_action": "action_session_start", "sender_id": "c-probe", "tracker": {}, "domain": {}}
    assert requests.post(f"{actions}/webhook", json=call, timeout=10).status_code == 401
    assert requests.get(f"{actions}/actions", timeout=10).status_code == 401
    secret = {"Authorization": f"Bearer {stack.secrets['ACTION_SERVER_TOKEN']}"}
    assert requests.get(f"{actions}/actions", headers=secret, timeout=10).status_code == 200


def test_a_conversation_runs_its_actions_behind_the_secrets(twilio, borrower):
    # The greeting asks for the birth date: action_session_start and the identity form ran.
    first = " ".join(twilio.sms(borrower["phone"], "hi"))
    assert "birth" in first.lower()
