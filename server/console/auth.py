"""Signing in and out, who may see what, CSRF and the sign-in rate limit.

Password guessing is slowed without letting a stranger lock an agent out. Attempts are limited
per client address (behind a proxy, the client's own: TRUSTED_PROXIES), per username and
address, and per username for browsers that never signed in as that person, which bounds a
guesser spread over many addresses. The agent's own browser holds a signed cookie from its last
sign-in (DEVICE_COOKIE) and is not counted in that last limit: a stranger who spends it locks
out only new browsers, for an hour at most.

Roles: an agent sees the queue and the conversations they hold; a supervisor sees
every conversation and approves exceptions to the policy; a trainer reviews the NLU
inbox (server/console/nlu.py) and reads conversations only redacted, never the queue;
an analyst reads the results (server/console/results.py) and nothing else. Supervisors
may use the NLU inbox and the results too.

Sessions live in the store (store/console_sessions.py): the signed cookie carries only a
random token, which Flask-Login keeps as the user's id ("alternative tokens") and looks
up on every request. Signing out, a new password, disabling the agent and
CONSOLE_IDLE_MINUTES without a request end a session for every gateway process.
"""
from __future__ import annotations

import datetime as dt
import functools
from typing import Callable, Optional

from flask import (
    Flask,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_limiter import Limiter
from flask_limiter.errors import RateLimitExceeded
from flask_limiter.util import get_remote_address
from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user
from flask_wtf.csrf import CSRFError, CSRFProtect
from itsdangerous import BadSignature, URLSafeTimedSerializer

from server import services
from server.api.auth import json_error
from server.console import bp
from settings.service import Settings
from store import console_sessions
from store.agents import authenticate
from store.db import session_scope
from store.models import Agent, AgentRole, utcnow
from store.outcomes import audit

SIGN_IN_LIMIT_PER_ADDRESS = "10 per minute; 60 per hour"
SIGN_IN_LIMIT_PER_USERNAME_AND_ADDRESS = "5 per minute; 20 per hour"
# Per username, for browsers that never signed in as that person: a guesser spread over any
# number of addresses gets this many tries an hour at one account.
SIGN_IN_LIMIT_PER_USERNAME_NEW_BROWSER = "20 per hour"
DEVICE_COOKIE = "repay_device"
DEVICE_DAYS = 90
CONSOLE_ROLES = (AgentRole.AGENT, AgentRole.SUPERVISOR)
TRAINER_ROLES = (AgentRole.TRAINER, AgentRole.SUPERVISOR)
RESULTS_ROLES = (AgentRole.ANALYST, AgentRole.SUPERVISOR)

csrf = CSRFProtect()


class ConsoleUser(UserMixin):
    """The signed-in agent. Their id, for Flask-Login, is the session's token: the
    cookie names a session in the store, never the agent directly."""

    def __init__(self, agent: Agent, token: str):
        self.agent_id = agent.id
        self.username = agent.username
        self.role = agent.role
        self.token = token

    def get_id(self) -> str:
        return self.token

    @property
    def actor(self) -> str:
        """How the audit trail names this person."""
        return f"agent:{self.username}"

    @property
    def is_supervisor(self) -> bool:
        return self.role == AgentRole.SUPERVISOR


def _now() -> dt.datetime:
    # Tests pass CONSOLE_CLOCK to move time on (the idle timeout) without sleeping.
    return current_app.config.get("CONSOLE_CLOCK", utcnow)()


def _limits() -> tuple[dt.timedelta, dt.timedelta]:
    """How long a session may sit idle, and how long it may last at all."""
    idle = dt.timedelta(minutes=services().settings.console_idle_minutes)
    return idle, current_app.permanent_session_lifetime


def _load_user(token: str) -> Optional[ConsoleUser]:
    with session_scope() as db:
        agent = console_sessions.resume(db, token, _now(), *_limits())
        return ConsoleUser(agent, token) if agent is not None else None


def wants_json() -> bool:
    return request.path.startswith("/console/api/")


def _unauthorized():
    if wants_json():
        return json_error(401, "sign in first")
    query = request.query_string.decode("latin-1")  # a bookmarked view keeps its filters
    return redirect(url_for("console.login", next=request.path + (f"?{query}" if query else "")))


def requires_role(roles, refusal: str) -> Callable:
    """A view for people signed in with one of `roles`. Anyone else signs in first (401 or
    the sign-in page), or is refused: a 403 that says `refusal` (JSON), or the page that says
    there is nothing here for their role."""

    def decorator(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return _unauthorized()
            if current_user.role not in roles:
                if wants_json():
                    return json_error(403, refusal)
                return render_template("console/no_access.html"), 403
            return view(*args, **kwargs)

        return wrapped

    return decorator


console_access = requires_role(CONSOLE_ROLES, "your role has no access to conversations")
trainer_access = requires_role(TRAINER_ROLES, "the NLU inbox is for trainers and supervisors")
results_access = requires_role(RESULTS_ROLES, "the results are for analysts and supervisors")
supervisor_only = requires_role((AgentRole.SUPERVISOR,), "only a supervisor may do this")


def home_page() -> str:
    """Where a signed-in person starts: the queue, a trainer's inbox, an analyst's results."""
    if current_user.is_authenticated and current_user.role == AgentRole.TRAINER:
        return url_for("console.nlu_inbox_page")
    if current_user.is_authenticated and current_user.role == AgentRole.ANALYST:
        return url_for("console.results_page")
    return url_for("console.queue_page")


def _attempted_username() -> str:
    return (request.form.get("username") or "").strip().lower()[:64]


def _username_key() -> str:
    return "user:" + _attempted_username()


def _username_and_address_key() -> str:
    return f"user:{_attempted_username()}@{get_remote_address()}"


def _devices() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt="repay-sign-in-device")


def _known_browser() -> bool:
    """This browser signed in as the attempted username before (a cookie we signed says so)."""
    raw = request.cookies.get(DEVICE_COOKIE)
    if not raw:
        return False
    try:
        username = _devices().loads(raw, max_age=DEVICE_DAYS * 86400)
    except BadSignature:
        return False
    return username == _attempted_username()


@bp.route("/login", methods=["GET", "POST"])
def login():
    if request.method == "GET":
        if current_user.is_authenticated:
            return redirect(home_page())
        return render_template("console/login.html")
    username = (request.form.get("username") or "").strip().lower()
    password = request.form.get("password") or ""
    with session_scope() as db:
        agent = authenticate(db, username, password)
        if agent is None:
            # The attempted username is not a borrower's data; the password never goes anywhere.
            audit(db, "console", "sign_in_failed", details={"username": username[:32]})
            user = None
        else:
            audit(db, f"agent:{agent.username}", "sign_in", details={"role": agent.role})
            now = _now()
            console_sessions.purge_expired(db, now, *_limits())
            user = ConsoleUser(agent, console_sessions.start(db, agent, now))
    if user is None:
        flash("Wrong username or password.")
        return render_template("console/login.html", username=username), 401
    session.clear()  # a fresh session (and CSRF token) for the signed-in person
    session.permanent = True
    login_user(user)
    target = request.args.get("next") or ""
    if (not target.startswith("/console/") or target.startswith("//")
            or target == url_for("console.queue_page")):
        target = home_page()
    response = redirect(target)
    response.set_cookie(
        DEVICE_COOKIE, _devices().dumps(user.username), max_age=DEVICE_DAYS * 86400,
        path=url_for("console.login"), httponly=True, samesite="Lax",
        secure=current_app.config["SESSION_COOKIE_SECURE"],
    )
    return response


@bp.post("/logout")
def logout():
    if current_user.is_authenticated:
        with session_scope() as db:
            console_sessions.end(db, current_user.token)
            audit(db, current_user.actor, "sign_out")
        logout_user()
    session.clear()
    return redirect(url_for("console.login"))


@bp.before_request
def _check_csrf() -> None:
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        csrf.protect()


@bp.errorhandler(CSRFError)
def _csrf_failed(error: CSRFError):
    if wants_json():
        return json_error(400, "the page is out of date (CSRF token); reload it")
    flash("The page was out of date; please try again.")
    return render_template("console/login.html"), 400


def _too_many_attempts(_error):
    flash("Too many sign-in attempts. Wait a minute and try again.")
    return render_template("console/login.html"), 429


def init_sign_in(app: Flask, settings: Settings) -> None:
    """Sessions, CSRF and the sign-in rate limits (server/console/__init__.py calls it)."""
    manager = LoginManager()
    manager.session_protection = "strong"
    manager.user_loader(_load_user)
    manager.unauthorized_handler(_unauthorized)
    manager.init_app(app)
    csrf.init_app(app)
    # Counters in Redis when several processes serve the console, else in memory.
    limiter = Limiter(
        key_func=get_remote_address,
        storage_uri=settings.redis_url or "memory://",
        key_prefix="repay:limits",
        headers_enabled=True,
    )
    limiter.init_app(app)
    # The limits are checked by a wrapper around this app's sign-in view.
    view = limiter.limit(SIGN_IN_LIMIT_PER_ADDRESS, methods=["POST"])(login)
    view = limiter.limit(SIGN_IN_LIMIT_PER_USERNAME_AND_ADDRESS, methods=["POST"],
                         key_func=_username_and_address_key)(view)
    view = limiter.limit(SIGN_IN_LIMIT_PER_USERNAME_NEW_BROWSER, methods=["POST"],
                         key_func=_username_key, exempt_when=_known_browser)(view)
    app.view_functions["console.login"] = view
    app.register_error_handler(RateLimitExceeded, _too_many_attempts)
