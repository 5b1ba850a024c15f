"""The app factory: configuration from the environment, policy checked at start-up."""
import dataclasses
import subprocess
import sys

import pytest

from lending.policy import PolicyError
from server import create_app, services
from server.conversation.state import MemoryGatewayState
from settings.service import DEV_TWILIO_AUTH_TOKEN, ConfigError, Settings
from tests.support.paths import ROOT


def test_defaults_when_nothing_is_set():
    settings = Settings.from_env({})
    assert settings.rasa_url == "http://localhost:5005"
    assert settings.twilio_auth_token == DEV_TWILIO_AUTH_TOKEN
    assert settings.api_key is None and settings.redis_url is None and settings.public_url is None
    assert settings.redelivery_interval_seconds == 5
    assert settings.database_url.endswith("var/repay.db")
    assert not settings.twilio_rest_configured


def test_values_are_read_from_the_environment():
    settings = Settings.from_env({
        "RASA_URL": "http://rasa:5005/", "PUBLIC_URL": "https://sms.lender.example/",
        "REDELIVERY_INTERVAL_SECONDS": "2.5", "API_KEY": "k", "TWILIO_ACCOUNT_SID": " ",
    })
    assert settings.rasa_url == "http://rasa:5005"
    assert settings.public_url == "https://sms.lender.example"
    assert settings.redelivery_interval_seconds == 2.5
    assert settings.api_key == "k"
    assert settings.twilio_account_sid is None  # blank counts as unset


def test_settings_are_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        Settings.from_env({}).api_key = "x"


def test_a_bad_interval_is_explained():
    with pytest.raises(ConfigError, match="REDELIVERY_INTERVAL_SECONDS"):
        Settings.from_env({"REDELIVERY_INTERVAL_SECONDS": "soon"})


def test_config_overrides_the_environment(monkeypatch, make_app):
    monkeypatch.setenv("RASA_URL", "http://from-the-shell:5005")
    app = make_app(RASA_URL="http://from-the-test:5005")
    assert services(app).settings.rasa_url == "http://from-the-test:5005"
    assert isinstance(services(app).state, MemoryGatewayState)
    assert app.config["TESTING"] is True


def test_a_bad_policy_stops_start_up(tmp_path, policy_file):
    policy_file.write_text(policy_file.read_text().replace("rasa_timeout_seconds: 1", "rasa_timeout_seconds: 30"))
    with pytest.raises(PolicyError, match="rasa_timeout_seconds"):
        create_app({"POLICY_FILE": str(policy_file), "DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}"})


def test_the_gateway_never_imports_rasa(tmp_path):
    code = (
        "import sys; from server import create_app; "
        f"create_app({{'DATABASE_URL': 'sqlite:///{tmp_path / 'x.db'}', 'REDELIVERY_INTERVAL_SECONDS': 0}}); "
        "import server.cli.commands, server.conversation.redelivery, server.sms.webhook, server.api.accounts; "
        "assert not [m for m in sys.modules if m == 'rasa' or m.startswith('rasa.')], 'rasa imported'"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_importing_the_package_does_no_work(tmp_path):
    code = "import server, store.db; assert store.db._factory is None"
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
