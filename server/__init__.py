"""The Flask gateway: Twilio webhooks in, TwiML out, the operations API.

    flask --app server run            # development server
    gunicorn 'server:create_app()'    # production (reads gunicorn.conf.py from the working
                                      # directory: it starts the background work)

Nothing happens at import time; `create_app` reads the environment
(settings/service.py), validates the lender's policy, connects the store and
wires the blueprints and commands.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Optional

from flask import Flask, current_app

import store.db
from lending.policy import Policy, load_policy
from server.api.input import RowIdConverter
from server.conversation.rasa_client import RasaServers
from server.conversation.state import GatewayState, make_gateway_state
from settings.deployment import GATEWAY_SECRETS, require_secrets
from settings.service import ENV_VARS, Settings

if TYPE_CHECKING:
    from server.sms.sender import SmsSender


REDELIVERY = "repay.redelivery"  # app.extensions key of the RedeliveryWorker


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
    names (see settings/service.py); other keys (TESTING, ...) go to app.config."""
    from server.conversation.redelivery import RedeliveryWorker
    from server.sms.sender import SmsSender

    config = dict(config or {})
    overrides = {name: config.pop(name) for name in ENV_VARS if name in config}
    environ = {**os.environ, **overrides}
    settings = Settings.from_env(environ)
    require_secrets(environ, GATEWAY_SECRETS, "The gateway")  # ConfigError: nothing starts
    policy = load_policy(settings.policy_file)  # a bad policy stops start-up with PolicyError

    app = Flask(__name__, static_folder=None)
    app.url_map.converters["int"] = RowIdConverter  # before any route is added
    app.config.from_mapping(MAX_CONTENT_LENGTH=16 * 1024 * 1024)
    app.config.update(config)
    if settings.uses_dev_auth_token:
        app.logger.warning(
            "TWILIO_AUTH_TOKEN is not set: webhooks must be signed with the development "
            "token (local use only: anything that looks like production refuses to start)"
        )

    store.db.connect(settings.database_url)
    app.extensions["repay"] = Services(
        settings=settings,
        policy=policy,
        state=make_gateway_state(settings.redis_url),
        rasa=RasaServers(settings.rasa_urls, timeout=policy.conversation.rasa_timeout_seconds,
                         token=settings.rasa_token),
        sender=SmsSender(settings, policy=policy),
    )

    for feature in _features():
        feature.init_app(app)

    if settings.redelivery_interval_seconds > 0:
        app.extensions[REDELIVERY] = RedeliveryWorker(app, settings.redelivery_interval_seconds)
    return app


def _features() -> tuple:
    """What the gateway is made of, in the order it is wired: each module's
    `init_app(app)` registers its routes, commands and hooks."""
    # These modules use services(), defined above: imported here, as in Flask's tutorial.
    from server import console, http_security
    from server.api import accounts, campaigns, metrics, results
    from server.cli import commands
    from server.conversation import nlu_review
    from server.sms import webhook as sms_webhook
    from server.voice import calls
    from server.voice import webhook as voice_webhook

    return (
        http_security,  # trusted proxies; security headers on every response
        sms_webhook,  # Twilio's inbound SMS
        voice_webhook,  # calls: webhooks and status callbacks
        accounts,  # the operations API: accounts, consents
        campaigns,  # campaigns, payments, SMS status callbacks
        results,  # what the contacts achieved
        calls,  # placing calls (API)
        console,  # agents, trainers and analysts
        commands,  # every `flask --app server` command
        metrics,  # GET /metrics, and each request's time
        nlu_review,  # the trainers' inbox, off the reply's path
    )


def start_background_work(app: Flask) -> None:
    """Starts what a serving process runs besides answering requests: redelivery of
    deferred messages and the trainers' inbox capture. Once per serving process, when it
    starts (gunicorn.conf.py: every worker), so a restarted gateway answers what waits
    without anyone texting first. `flask --app server run` does not call it: run
    `flask --app server redeliver --loop` beside it."""
    from server.conversation import nlu_review

    worker = app.extensions.get(REDELIVERY)
    if worker is not None:
        worker.start()
    capture = app.extensions.get(nlu_review.EXTENSION)
    if capture is not None:
        capture.start()
