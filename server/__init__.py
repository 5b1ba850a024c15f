"""The Flask gateway: Twilio webhooks in, TwiML out, the operations API.

    flask --app server run            # development server
    gunicorn 'server:create_app()'    # production

Nothing happens at import time; `create_app` reads the environment
(server/config.py), validates the lender's policy, connects the store and
wires the blueprints and commands.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Optional

from flask import Flask, current_app

import store.db
from lending.policy import Policy, load_policy
from server.config import ENV_VARS, Settings
from server.gateway_state import GatewayState, make_gateway_state
from server.rasa_client import RasaServers

if TYPE_CHECKING:
    from server.sender import SmsSender


@dataclass(frozen=True)
class Services:
    """What request handlers and workers share, built once per app."""

    settings: Settings
    policy: Policy
    state: GatewayState
    rasa: RasaServers  # one dialogue model per language
    sender: SmsSender


def services(app: Optional[Flask] = None) -> Services:
    return (app or current_app).extensions["repay"]


def create_app(config: Optional[dict] = None) -> Flask:
    """Builds the gateway. `config` overrides environment variables by the same
    names (see server/config.py); other keys (TESTING, ...) go to app.config."""
    # These modules use services(), defined above: imported here, as in Flask's tutorial.
    from server import (
        api,
        calls,
        campaigns_api,
        cli,
        console,
        nlu_review,
        twilio_sms,
        twilio_voice,
    )
    from server.redelivery import RedeliveryWorker
    from server.sender import SmsSender

    config = dict(config or {})
    overrides = {name: config.pop(name) for name in ENV_VARS if name in config}
    settings = Settings.from_env({**os.environ, **overrides})
    policy = load_policy(settings.policy_file)  # a bad policy stops start-up with PolicyError

    app = Flask(__name__, static_folder=None)
    app.config.from_mapping(MAX_CONTENT_LENGTH=16 * 1024 * 1024)
    app.config.update(config)
    if settings.uses_dev_auth_token:
        app.logger.warning(
            "TWILIO_AUTH_TOKEN is not set: webhooks must be signed with the development "
            "token (fine locally, never in production)"
        )

    store.db.connect(settings.database_url)
    app.extensions["repay"] = Services(
        settings=settings,
        policy=policy,
        state=make_gateway_state(settings.redis_url),
        rasa=RasaServers(settings.rasa_urls, timeout=policy.conversation.rasa_timeout_seconds),
        sender=SmsSender(settings),
    )

    app.register_blueprint(twilio_sms.bp)
    app.register_blueprint(twilio_voice.bp)  # calls: webhooks and status callbacks
    app.register_blueprint(api.bp)
    app.register_blueprint(campaigns_api.bp)  # campaigns, payments, SMS status callbacks
    calls.register(app)  # placing calls (API, CLI)
    console.init_app(app, settings)  # agents and trainers
    cli.register(app)
    nlu_review.init_app(app, settings, services(app).rasa)  # the trainers' inbox, off the reply's path

    if settings.redelivery_interval_seconds > 0:
        worker = RedeliveryWorker(app, settings.redelivery_interval_seconds)
        app.extensions["repay.redelivery"] = worker
        app.before_request(worker.start_once)
    return app
