"""The agent console: a web page, served by the gateway, where people take over the
conversations the bot handed to them.

    /console/login                  sign in (rate-limited)
    /console/                       the queue, updated live
    /console/handoffs/<id>          one conversation: transcript, account, reply, outcome
    /console/api/...                the JSON the pages poll and post to (views.py)
    /console/nlu/...                the trainers' NLU inbox (nlu.py)
    /console/results                what the contacts achieved, for analysts and supervisors (results.py)

Plain server-rendered HTML and a small script that polls the JSON API every two
seconds: a poll is an ordinary request any gateway process can answer from the
store, so live updates need no sticky sessions, websockets or pub/sub between
processes. Session cookies are signed with SECRET_KEY (shared by every process),
HttpOnly, SameSite=Lax, and Secure whenever PUBLIC_URL is https; they hold only a token
naming a session kept in the store, which sign-out, a new password, disabling the agent
and CONSOLE_IDLE_MINUTES end everywhere (auth.py). Every state-changing
request carries a CSRF token; every conversation endpoint checks who may see or act
on it (auth.py); every agent action is written to the audit trail.
"""
from __future__ import annotations

import datetime as dt
import logging
import secrets

from flask import Blueprint, Flask

log = logging.getLogger(__name__)

bp = Blueprint(
    "console", __name__, url_prefix="/console", template_folder="templates",
    static_folder="static",
)

SESSION_HOURS = 12  # one working day; then the agent signs in again


def init_app(app: Flask) -> None:
    """Wires the console into the gateway: sessions, sign-in, CSRF, rate limits."""
    from server import services
    from server.console import auth, nlu, results, views  # noqa: F401  (routes register on import)

    settings = services(app).settings

    secret = settings.secret_key
    if not secret:
        secret = secrets.token_hex(32)
        app.logger.warning(
            "SECRET_KEY is not set: console sign-ins last until this process restarts and "
            "are not shared with other gateway processes (set SECRET_KEY in production)"
        )
    app.config.update(
        SECRET_KEY=secret,
        SESSION_COOKIE_NAME="repay_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=bool(settings.public_url and settings.public_url.startswith("https://")),
        PERMANENT_SESSION_LIFETIME=dt.timedelta(hours=SESSION_HOURS),
        # CSRF is checked for the console only (the Twilio webhook and the bearer-key
        # API are not browser forms); a token lives as long as the signed-in session.
        WTF_CSRF_CHECK_DEFAULT=False,
        WTF_CSRF_TIME_LIMIT=None,
    )
    app.register_blueprint(bp)
    auth.init_sign_in(app, settings)
