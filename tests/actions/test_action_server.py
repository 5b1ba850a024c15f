"""The action server answers Rasa only: the shared secret on every call, loopback by default
(actions/server.py, endpoints.yml)."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
import yaml

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
