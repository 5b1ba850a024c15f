"""Signing in and out, who may see what, CSRF and the sign-in rate limit.

Roles: an agent sees the queue and the conversations they hold; a supervisor sees
every conversation and approves exceptions to the policy; a trainer reviews the NLU
inbox (server/console/nlu.py) and reads conversations only redacted, never the queue.
Supervisors may use the NLU inbox too.
"""
from __future__ import annotations

import functools
from typing import Callable, Optional

from flask import (
    Flask,
    flash,
    jsonify,
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

from server.config import Settings
from server.console import bp
from store.agents import authenticate
from store.db import session_scope
from store.models import Agent, AgentRole
from store.outcomes import audit

# Per client address, and per username whatever the address (a slow spray).
SIGN_IN_LIMIT_PER_ADDRESS = "10 per minute; 60 per hour"
SIGN_IN_LIMIT_PER_USERNAME = "20 per hour"
CONSOLE_ROLES = (AgentRole.AGENT, AgentRole.SUPERVISOR)
TRAINER_ROLES = (AgentRole.TRAINER, AgentRole.SUPERVISOR)

csrf = CSRFProtect()


class ConsoleUser(UserMixin):
    """The signed-in agent, as the session knows them. The session holds the agent's
    id and a piece of their password hash: a new password signs out every session."""

    def __init__(self, agent: Agent):
        self.agent_id = agent.id
        self.username = agent.username
        self.role = agent.role
        self._stamp = agent.password_hash[-16:]

    def get_id(self) -> str:
        return f"{self.agent_id}:{self._stamp}"

    @property
    def actor(self) -> str:
        """How the audit trail names this person."""
        return f"agent:{self.username}"

    @property
    def is_supervisor(self) -> bool:
        return self.role == AgentRole.SUPERVISOR


def _load_user(user_id: str) -> Optional[ConsoleUser]:
    agent_id, _, stamp = user_id.partition(":")
    if not agent_id.isdigit():
        return None
    with session_scope() as db:
        agent = db.get(Agent, int(agent_id))
        if agent is None or not agent.active or agent.password_hash[-16:] != stamp:
            return None
        return ConsoleUser(agent)


def wants_json() -> bool:
    return request.path.startswith("/console/api/")


def _error(status: int, message: str):
    response = jsonify({"error": message})
    response.status_code = status
    return response


def _unauthorized():
    if wants_json():
        return _error(401, "sign in first")
    return redirect(url_for("console.login", next=request.path))


def console_access(view: Callable) -> Callable:
    """Signed in, as an agent or a supervisor."""

    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        if not current_user.is_authenticated:
            return _unauthorized()
        if current_user.role not in CONSOLE_ROLES:
            if wants_json():
                return _error(403, "your role has no access to conversations")
            return render_template("console/no_access.html"), 403
        return view(*args, **kwargs)

    return wrapped


def trainer_access(view: Callable) -> Callable:
    """Signed in, as a trainer or a supervisor: the NLU inbox."""

    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        if not current_user.is_authenticated:
            return _unauthorized()
        if current_user.role not in TRAINER_ROLES:
            if wants_json():
                return _error(403, "the NLU inbox is for trainers and supervisors")
            return render_template("console/no_access.html"), 403
        return view(*args, **kwargs)

    return wrapped


def home_page() -> str:
    """Where a signed-in person starts: the queue, or a trainer's inbox."""
    if current_user.is_authenticated and current_user.role == AgentRole.TRAINER:
        return url_for("console.nlu_inbox_page")
    return url_for("console.queue_page")


def supervisor_only(view: Callable) -> Callable:
    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        if not current_user.is_authenticated:
            return _unauthorized()
        if not current_user.is_supervisor:
            return _error(403, "only a supervisor may do this")
        return view(*args, **kwargs)

    return wrapped


def _username_key() -> str:
    return "user:" + (request.form.get("username") or "").strip().lower()[:64]


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
            user = ConsoleUser(agent)
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
    return redirect(target)


@bp.post("/logout")
def logout():
    if current_user.is_authenticated:
        with session_scope() as db:
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
        return _error(400, "the page is out of date (CSRF token); reload it")
    flash("The page was out of date; please try again.")
    return render_template("console/login.html"), 400


@bp.after_request
def _security_headers(response):
    response.headers.setdefault(
        "Content-Security-Policy",
        "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'",
    )
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    # same-origin: Flask-WTF compares the Referer on HTTPS requests.
    response.headers.setdefault("Referrer-Policy", "same-origin")
    if not request.path.startswith("/console/static/"):
        response.headers["Cache-Control"] = "no-store"  # pages hold personal data
    return response


def _too_many_attempts(_error):
    flash("Too many sign-in attempts. Wait a minute and try again.")
    return render_template("console/login.html"), 429


def init_app(app: Flask, settings: Settings) -> None:
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
    view = limiter.limit(SIGN_IN_LIMIT_PER_USERNAME, methods=["POST"], key_func=_username_key)(view)
    app.view_functions["console.login"] = view
    app.register_error_handler(RateLimitExceeded, _too_many_attempts)
