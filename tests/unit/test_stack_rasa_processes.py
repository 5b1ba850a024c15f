"""`./repay serve --rasa-processes N` (or RASA_PROCESSES): N Rasa servers per language,
sharing Redis, all named to the gateway; and stock Rasa beside them for the benchmark
(devtools/stack.py). Processes are not started here."""
from __future__ import annotations

import subprocess

import pytest
import yaml

from devtools import stack as stack_module
from devtools.stack import STOCK_RASA, Stack, StackConfig

REDIS = "redis://127.0.0.1:6379/9"


@pytest.fixture(autouse=True)
def models(tmp_path, monkeypatch):
    monkeypatch.setattr(stack_module, "ensure_models", lambda languages: {
        lang: tmp_path / f"repay-{lang}.tar.gz" for lang in languages})


def test_two_processes_per_language_each_on_its_port_and_all_named_to_the_gateway(
        tmp_path, monkeypatch):
    config = StackConfig(languages=("en", "zh"), rasa_processes=2, redis_url=REDIS,
                         log_dir=tmp_path / "log")
    stack = Stack(config)
    started = []
    monkeypatch.setattr(stack, "launch", started.append)
    monkeypatch.setattr(stack, "wait_healthy", lambda names, timeout, progress=False: None)
    stack.start_all()
    assert started == ["actions", "rasa", "rasa2", "rasa-zh", "rasa-zh2", "gateway"]
    commands = stack._commands()
    ports = {name: commands[name][commands[name].index("--port") + 1]
             for name in ("rasa", "rasa2", "rasa-zh", "rasa-zh2")}
    assert ports == {"rasa": "5005", "rasa2": "5007", "rasa-zh": "5006", "rasa-zh2": "5008"}
    assert all("endpoints.redis.yml" in commands[name] for name in ports)
    env = stack.env()
    assert env["RASA_URL"] == "http://127.0.0.1:5005,http://127.0.0.1:5007"
    assert env["RASA_URL_ZH"] == "http://127.0.0.1:5006,http://127.0.0.1:5008"


def test_more_than_one_process_needs_redis(tmp_path):
    with pytest.raises(ValueError, match="set REDIS_URL"):
        Stack(StackConfig(rasa_processes=2, log_dir=tmp_path / "log"))


@pytest.mark.parametrize("argv, env, message", [
    (["serve", "--rasa-processes", "2"], {}, "set REDIS_URL"),
    (["serve", "--rasa-processes", "0"], {"REDIS_URL": REDIS}, "1 or more, not '0'"),
    (["serve"], {"RASA_PROCESSES": "two", "REDIS_URL": REDIS}, "RASA_PROCESSES: a whole number"),
])
def test_serve_refuses_a_count_it_cannot_run(argv, env, message, monkeypatch, capsys):
    monkeypatch.delenv("REDIS_URL", raising=False)
    monkeypatch.delenv("RASA_PROCESSES", raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(SystemExit) as stopped:
        stack_module.main(argv)
    assert stopped.value.code == 2 and message in capsys.readouterr().err


def test_the_count_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("RASA_PROCESSES", "3")
    monkeypatch.setenv("REDIS_URL", REDIS)
    assert StackConfig.from_env().rasa_processes == 3


def test_stock_rasa_runs_beside_without_the_speedups_and_with_rasas_own_store_and_channel(
        tmp_path, monkeypatch):
    config = StackConfig(languages=("en",), rasa_port=25905, stock_rasa_port=25999, redis_url=REDIS,
                         log_dir=tmp_path / "log")
    stack = Stack(config)
    launched = {}

    class Recorded:
        def __init__(self, command, env, **_kwargs):
            launched[command[command.index("--port") + 1]] = (command, env)
            self.pid = 0

    monkeypatch.setattr(subprocess, "Popen", Recorded)
    stack.launch("rasa")
    stack.launch(STOCK_RASA)
    tuned_command, tuned_env = launched["25905"]
    stock_command, stock_env = launched["25999"]
    assert tuned_env.get("REPAY_STOCK_RASA") is None and stock_env["REPAY_STOCK_RASA"] == "1"
    assert tuned_command[tuned_command.index("--credentials") + 1] == "credentials.yml"
    endpoints = yaml.safe_load(open(stock_command[stock_command.index("--endpoints") + 1]))
    credentials = yaml.safe_load(open(stock_command[stock_command.index("--credentials") + 1]))
    assert endpoints["tracker_store"]["type"] == "redis"  # Rasa's RedisTrackerStore
    assert endpoints["lock_store"]["type"] == "redis"
    assert credentials == {"rest": None}  # Rasa's REST channel
