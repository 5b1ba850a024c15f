"""Fail closed: anything that looks like production refuses to start without its secrets, or
with the public development ones; local use needs none (settings/deployment.py)."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

import campaigns.runtime
from settings.deployment import DEV_TWILIO_AUTH_TOKEN, ConfigError
from tests.support.app import AUTH_TOKEN, PRODUCTION_SECRETS
from tests.support.paths import ROOT
from tests.support.twilio import post_sms

SIGNALS = {
    "PUBLIC_URL": {"PUBLIC_URL": "https://sms.lender.example"},
    "TWILIO_ACCOUNT_SID": {"TWILIO_ACCOUNT_SID": "AC0123456789abcdef0123456789abcdef"},
    "TWILIO_FROM_NUMBER": {"TWILIO_FROM_NUMBER": "+18005550199"},
    "TWILIO_MESSAGING_SERVICE_SID": {"TWILIO_MESSAGING_SERVICE_SID": "MG0123456789abcdef"},
    "REPAY_ENV=production": {"REPAY_ENV": "production"},
}
# The issue's careless operator: everything but the Twilio token.
FORGOT_THE_TOKEN = {
    "PUBLIC_URL": "https://sms.lender.example", "TWILIO_ACCOUNT_SID": "AC0123456789abcdef0123456789abcdef",
    "TWILIO_FROM_NUMBER": "+18005550199", "API_KEY": "a-real-api-key", **PRODUCTION_SECRETS,
}


@pytest.mark.parametrize("signal", SIGNALS)
@pytest.mark.parametrize("token", [None, DEV_TWILIO_AUTH_TOKEN])
def test_production_without_the_real_twilio_token_does_not_start(make_app, signal, token):
    with pytest.raises(ConfigError) as refused:
        make_app(**SIGNALS[signal], **PRODUCTION_SECRETS, TWILIO_AUTH_TOKEN=token)
    message = str(refused.value)
    assert "refuses to start" in message and "TWILIO_AUTH_TOKEN" in message
    assert signal in message  # says why it thinks this is production


def test_the_forgotten_token_of_the_issue_stops_start_up(make_app):
    with pytest.raises(ConfigError, match="set TWILIO_AUTH_TOKEN"):
        make_app(**FORGOT_THE_TOKEN, TWILIO_AUTH_TOKEN=None)


def test_with_the_real_token_the_development_one_signs_nothing(make_app, fake_rasa):
    client = make_app(**FORGOT_THE_TOKEN).test_client()  # AUTH_TOKEN: the real one
    url = "https://sms.lender.example/twilio/sms"
    assert post_sms(client, "STOP", url=url, token=DEV_TWILIO_AUTH_TOKEN).status_code == 403
    assert post_sms(client, "hello", url=url).status_code == 200
    assert fake_rasa.messages() == ["hello"]


@pytest.mark.parametrize("name, value, expected", [
    ("SECRET_KEY", None, "set SECRET_KEY"),
    ("SECRET_KEY", "too-short", "SECRET_KEY must be at least 32 characters"),
    ("RASA_TOKEN", None, "set RASA_TOKEN"),
    ("RASA_TOKEN", " ", "set RASA_TOKEN"),
])
def test_production_needs_every_secret_of_the_gateway(make_app, name, value, expected):
    with pytest.raises(ConfigError, match=expected):
        make_app(PUBLIC_URL="https://sms.lender.example", **{**PRODUCTION_SECRETS, name: value})


def test_every_missing_secret_is_named_at_once(make_app):
    with pytest.raises(ConfigError) as refused:
        make_app(TWILIO_ACCOUNT_SID="AC0123", TWILIO_AUTH_TOKEN=None)
    assert all(name in str(refused.value) for name in ("TWILIO_AUTH_TOKEN", "SECRET_KEY", "RASA_TOKEN"))


def test_saying_development_does_not_lift_the_rule(make_app):
    with pytest.raises(ConfigError, match="TWILIO_AUTH_TOKEN"):
        make_app(REPAY_ENV="development", PUBLIC_URL="https://sms.lender.example",
                 TWILIO_AUTH_TOKEN=None, **PRODUCTION_SECRETS)
    with pytest.raises(ConfigError, match="REPAY_ENV must be one of development, production"):
        make_app(REPAY_ENV="staging")


def test_local_use_needs_no_secret(make_app, fake_rasa):
    app = make_app(TWILIO_AUTH_TOKEN=None, API_KEY=None)
    reply = post_sms(app.test_client(), "hello", token=DEV_TWILIO_AUTH_TOKEN)
    assert reply.status_code == 200 and fake_rasa.messages() == ["hello"]


def _without_gateway_variables() -> dict:
    from settings.service import ENV_VARS

    return {k: v for k, v in os.environ.items() if k not in ENV_VARS}


def test_the_cli_and_gunicorn_say_what_to_set(tmp_path):
    env = {**_without_gateway_variables(), **FORGOT_THE_TOKEN,
           "DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}"}
    bin_dir = os.path.dirname(sys.executable)
    cli = subprocess.run([f"{bin_dir}/flask", "--app", "server", "outbox"], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=120)
    assert cli.returncode != 0 and "set TWILIO_AUTH_TOKEN" in cli.stderr
    gunicorn = subprocess.run([f"{bin_dir}/gunicorn", "--check-config", "server:create_app()"],
                              cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert gunicorn.returncode != 0 and "set TWILIO_AUTH_TOKEN" in gunicorn.stdout + gunicorn.stderr
    env["TWILIO_AUTH_TOKEN"] = AUTH_TOKEN
    assert subprocess.run([f"{bin_dir}/flask", "--app", "server", "outbox"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120).returncode == 0


def test_a_campaign_worker_refuses_to_send_without_the_token(monkeypatch):
    """Today's worker would quietly write every message to the outbox instead."""
    monkeypatch.setattr(campaigns.runtime, "_current", None)
    for name, value in FORGOT_THE_TOKEN.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:9/0")  # never reached
    with pytest.raises(ConfigError, match="(?s)A campaign worker refuses to start.*set TWILIO_AUTH_TOKEN"):
        campaigns.runtime.runtime()
