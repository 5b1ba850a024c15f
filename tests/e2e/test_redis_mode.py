"""Several gateway processes and Rasa sharing one lender's state through Redis."""
from __future__ import annotations

import datetime as dt
import subprocess
import threading
import uuid
from pathlib import Path

import pytest
import redis
from sqlalchemy import func, select

import store.db
from devtools.stack import OFFLINE_TWILIO, Stack, StackConfig
from devtools.twilio_sim import SimulatedTwilio
from language import local_today
from settings.service import DEV_TWILIO_AUTH_TOKEN
from store.accounts import import_records
from store.models import Message
from tests.support.stack import PORT_BASE


@pytest.fixture(scope="module")
def redis_stack(tmp_path_factory, redis_url):
    client = redis.Redis.from_url(redis_url)
    client.ping()  # fails loudly when Redis is down
    client.flushdb()
    var = Path(tmp_path_factory.mktemp("e2e-redis"))
    config = StackConfig(
        rasa_port=PORT_BASE + 1005, actions_port=PORT_BASE + 1055, gateway_port=PORT_BASE + 1000,
        gateways=2, workers=1, languages=("en",),
        database_url=f"sqlite:///{var / 'repay.db'}", tracker_db=str(var / "unused.db"),
        redis_url=redis_url, log_dir=var / "log",
        extra_env={**OFFLINE_TWILIO, "REDELIVERY_INTERVAL_SECONDS": "0"},
    )
    store.db.connect(config.database_url)
    phone = "+15550300001"
    with store.db.session_scope() as session:
        import_records(session, [{
            "account_id": "REDIS-1", "name": "Sam Okafor", "phone": phone,
            "timezone": "America/Chicago", "language": "en", "currency": "USD",
            "principal": "1250.00", "interest": "62.40", "fees": "30.00",
            "due_date": (local_today("America/Chicago") - dt.timedelta(days=20)).isoformat(),
            "birth_date": "1979-11-02", "id_last4": "7730",
        }])
    with Stack(config) as stack:
        yield stack, client, phone


def _gateways(stack):
    return [SimulatedTwilio(f"http://127.0.0.1:{stack.config.gateway_port_of(name)}", DEV_TWILIO_AUTH_TOKEN)
            for name in stack.config.gateway_names]


def test_one_conversation_across_two_gateways(redis_stack):
    stack, client, phone = redis_stack
    first, second = _gateways(stack)
    assert "birth" in " ".join(first.sms(phone, "hello")).lower()
    assert "4" in " ".join(second.sms(phone, "11/02/1979"))
    explanation = " ".join(first.sms(phone, "7730"))
    assert "$1,342.40" in explanation
    # Rasa's tracker lives in Redis, not in a file
    assert any(key.startswith(b"repay") for key in client.scan_iter(count=1000))


def test_a_retried_webhook_hitting_both_gateways_is_answered_once(redis_stack):
    stack, _client, phone = redis_stack
    gateways = _gateways(stack)
    sid = f"SM{uuid.uuid4().hex}"
    replies = []

    def deliver(twilio):
        replies.append(twilio.sms(phone, "how much do i owe", message_sid=sid))

    threads = [threading.Thread(target=deliver, args=(g,)) for g in gateways for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    answered = [r for r in replies if r]
    assert len(answered) == 1, replies
    with store.db.session_scope() as session:
        stored = session.execute(
            select(func.count(Message.id)).where(Message.provider_sid == sid)
        ).scalar_one()
    assert stored == 1


def _python_version(pid: int) -> str:
    """The version of the interpreter process `pid` runs (a venv's python is a link)."""
    interpreter = Path(f"/proc/{pid}/exe").resolve()
    return subprocess.run([str(interpreter), "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                          capture_output=True, text=True, check=True).stdout.strip()


def test_the_service_runs_on_a_supported_python_and_only_rasa_on_3_10(redis_stack):
    """docs/dependencies.md: the gateways (and their gunicorn workers), the campaign worker
    and the action server on Python 3.12 or newer; the Rasa server on 3.10."""
    stack, _client, _phone = redis_stack
    versions = {}
    for name, process in stack.processes.items():
        versions[name] = _python_version(process.pid)
        for child in stack.children(name) if name.startswith("gateway") else []:
            versions[f"{name} worker {child}"] = _python_version(child)
    service = {name: v for name, v in versions.items() if not name.startswith("rasa")}
    dialogue = {name: v for name, v in versions.items() if name.startswith("rasa")}
    assert {"gateway", "gateway2", "worker", "actions"} <= set(service)
    assert any(" worker " in name for name in service)  # gunicorn's, not only its master
    assert all(tuple(map(int, v.split("."))) >= (3, 12) for v in service.values()), versions
    assert dialogue and set(dialogue.values()) == {"3.10"}, versions
