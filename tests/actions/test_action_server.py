"""The action server answers Rasa only: the shared secret on every call, loopback by default
(actions/server.py, endpoints.yml)."""
from __future__ import annotations

import ast
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
import yaml

from bot import domain_file
from tests.support.paths import ROOT

PORT = int(os.environ.get("REPAY_E2E_PORT_BASE", "15000")) + 77
TOKEN = "action-server-test-token-0123456789"
URL = f"http://127.0.0.1:{PORT}"


def start(env: dict, log: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "actions.server", "--port", str(PORT)], cwd=ROOT,
        env={k: v for k, v in {**os.environ, **env}.items() if v is not None},
        stdout=log.open("w"), stderr=subprocess.STDOUT, start_new_session=True,
    )


@pytest.fixture(scope="module")
def action_server(tmp_path_factory):
    log = tmp_path_factory.mktemp("actions") / "actions.log"
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", PORT)) != 0, f"port {PORT} is taken"
    process = start({"ACTION_SERVER_TOKEN": TOKEN}, log)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        assert process.poll() is None, log.read_text()
        try:
            if requests.get(f"{URL}/health", timeout=1).ok:
                break
        except requests.RequestException:
            time.sleep(0.3)
    else:
        pytest.fail(f"the action server did not start: {log.read_text()}")
    yield process
    process.terminate()
    process.wait(timeout=20)


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def test_without_the_secret_every_call_is_refused(action_server):
    call = {"next_action": "action_session_start", "sender_id": "c-1", "tracker": {}, "domain": {}}
    for headers in ({}, bearer("wrong"), {"Authorization": TOKEN}, bearer(TOKEN + "x")):
        assert requests.post(f"{URL}/webhook", json=call, headers=headers, timeout=5).status_code == 401
        assert requests.get(f"{URL}/actions", headers=headers, timeout=5).status_code == 401
    assert requests.post(f"{URL}/webhook?token={TOKEN}", json=call, timeout=5).status_code == 401


def test_with_the_secret_rasa_is_answered(action_server):
    listed = requests.get(f"{URL}/actions", headers=bearer(TOKEN), timeout=5)
    assert listed.status_code == 200
    assert {"name": "action_session_start"} in listed.json()
    assert requests.get(f"{URL}/health", timeout=5).status_code == 200  # health checks need none


def test_it_listens_on_loopback_only(action_server):
    wanted = f":{PORT:04X}"
    listening = [line.split()[1] for line in Path("/proc/net/tcp").read_text().splitlines()[1:]
                 if line.split()[1].endswith(wanted) and line.split()[3] == "0A"]
    assert listening == [f"0100007F{wanted}"]  # 127.0.0.1, not 0.0.0.0


def test_rasa_sends_the_secret_the_action_server_checks():
    endpoints = yaml.safe_load((ROOT / "endpoints.yml").read_text())
    redis_endpoints = yaml.safe_load((ROOT / "endpoints.redis.yml").read_text())
    for config in (endpoints, redis_endpoints):
        headers = config["action_endpoint"]["headers"]
        assert headers == {"Authorization": "Bearer ${ACTION_SERVER_TOKEN}"}


@pytest.mark.parametrize("token", [None, "", "short"])
def test_without_a_usable_secret_it_does_not_start(tmp_path, token):
    process = start({"ACTION_SERVER_TOKEN": token}, tmp_path / "actions.log")
    assert process.wait(timeout=120) != 0
    said = (tmp_path / "actions.log").read_text()
    assert "The action server refuses to start" in said and "ACTION_SERVER_TOKEN" in said
    assert "Traceback" not in said


def test_an_action_rasa_sends_no_domain_is_answered(action_server):
    # endpoints.yml: enable_selective_domain. Rasa 3.6 sends neither the domain nor a digest
    # of it to an action that does not need it; rasa-sdk alone would refuse the call.
    tracker = {"sender_id": "c-1", "slots": {}, "latest_message": {
        "text": "you lot can go away now", "intent": {"name": "check_safety", "confidence": 0.5},
        "safety_check": "opt_out"}, "events": [], "paused": False, "latest_event_time": None,
        "followup_action": None, "active_loop": {}, "latest_action_name": "action_listen"}
    call = {"next_action": "action_start_safety_check", "sender_id": "c-1", "tracker": tracker,
            "version": "3.6.21"}
    answered = requests.post(f"{URL}/webhook", json=call, headers=bearer(TOKEN), timeout=10)
    assert answered.status_code == 200, answered.text
    slots = {e["name"]: e["value"] for e in answered.json()["events"] if e["event"] == "slot"}
    assert slots["safety_check"] == "opt_out"


def _reads_the_domain(node: ast.ClassDef) -> bool:
    """Whether a class's own code reads the domain (not merely passes it on)."""
    for sub in ast.walk(node):
        if isinstance(sub, (ast.Subscript, ast.Attribute)) and isinstance(sub.value, ast.Name) \
                and sub.value.id == "domain":  # domain[...], domain.get(...)
            return True
        if isinstance(sub, ast.Call) and any(isinstance(a, ast.Name) and a.id == "domain" for a in sub.args):
            name = sub.func.attr if isinstance(sub.func, ast.Attribute) else getattr(sub.func, "id", "")
            if name not in ("get_validation_events", "run", "super"):
                return True
    return False


def test_every_action_that_reads_the_domain_is_sent_it():
    domain = domain_file.data()
    sent = {name for entry in domain["actions"] if isinstance(entry, dict)
            for name, options in entry.items() if (options or {}).get("send_domain")}
    readers = []
    for path in (ROOT / "actions").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.ClassDef) or not _reads_the_domain(node):
                continue
            names = [sub.value.value for sub in ast.walk(node) if isinstance(sub, ast.Return)
                     and isinstance(sub.value, ast.Constant) and isinstance(sub.value.value, str)
                     and sub.value.value.startswith(("action_", "validate_"))]
            readers += names
    assert {"action_session_start", "action_ask_relief_form_relief_choice"} <= set(readers)
    for name in readers:
        assert name.startswith("validate_") or name in sent, f"{name} reads the domain: mark it send_domain"
    for config in ("endpoints.yml", "endpoints.redis.yml"):
        assert yaml.safe_load((ROOT / config).read_text())["action_endpoint"]["enable_selective_domain"]
