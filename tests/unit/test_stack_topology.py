"""`./repay topology` (devtools/topology.py): which processes it starts, where, and with
which settings. Processes are not started here (tests/e2e/test_topology_faults.py does)."""
from __future__ import annotations

import pytest

from devtools import stack as stack_module
from devtools.stack import Stack, StackConfig
from devtools.topology import production_env, topology_config, where
from settings.deployment import GATEWAY_SECRETS, WORKER_SECRETS, require_secrets

REDIS = "redis://127.0.0.1:6379/9"
DATABASE = "postgresql://repay:secret@db.internal:5432/repay"


@pytest.fixture(autouse=True)
def models(tmp_path, monkeypatch):
    monkeypatch.setattr(stack_module, "ensure_models", lambda languages: {
        lang: tmp_path / f"repay-{lang}.tar.gz" for lang in languages})


@pytest.fixture
def topology(tmp_path, monkeypatch):
    for name in ("TWILIO_AUTH_TOKEN", "API_KEY", "SECRET_KEY", "RASA_TOKEN", "ACTION_SERVER_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    return Stack(topology_config(DATABASE, REDIS, 8000, tmp_path / "log"))


def test_two_gateways_two_english_rasa_actions_and_two_workers(topology, monkeypatch):
    started = []
    monkeypatch.setattr(topology, "launch", started.append)
    monkeypatch.setattr(topology, "wait_healthy", lambda names, timeout, progress=False: None)
    topology.start_all()
    assert started == ["actions", "rasa", "rasa2", "gateway", "gateway2", "worker", "worker2"]
    commands = topology._commands()
    assert [commands[g][commands[g].index("--bind") + 1] for g in ("gateway", "gateway2")] == [
        "127.0.0.1:8000", "127.0.0.1:8001"]
    assert commands["worker"][-4:-1] == ["campaigns", "worker", "--name"]
    # RQ keeps a dead worker's name for a while: each run's names are its own.
    assert commands["worker"][-1] != commands["worker2"][-1]
    assert commands["worker"][-1] != Stack(topology.config).worker_ids["worker"]
    env = topology.env()
    assert env["RASA_URL"] == "http://127.0.0.1:8005,http://127.0.0.1:8007"
    assert (env["DATABASE_URL"], env["REDIS_URL"]) == (DATABASE, REDIS)
    lines = "\n".join(where(topology))
    assert "http://127.0.0.1:8001" in lines and "worker2.log" in lines


def test_production_rules_with_secrets_of_the_run_and_no_twilio_account(topology):
    env = topology.env()
    assert env["REPAY_ENV"] == "production"
    require_secrets(env, GATEWAY_SECRETS, "The gateway")  # nothing missing: no ConfigError
    require_secrets(env, WORKER_SECRETS, "A campaign worker")
    assert env["TWILIO_ACCOUNT_SID"] == "" and env["PUBLIC_URL"] == ""  # texts go to the outbox
    again = production_env({})
    assert again["TWILIO_AUTH_TOKEN"] != env["TWILIO_AUTH_TOKEN"]  # new for each run
    assert production_env({"TWILIO_AUTH_TOKEN": "from-the-operator"})["TWILIO_AUTH_TOKEN"] == "from-the-operator"


def test_workers_need_redis(tmp_path):
    with pytest.raises(ValueError, match="campaign workers take their jobs from Redis"):
        Stack(StackConfig(workers=2, log_dir=tmp_path / "log"))
