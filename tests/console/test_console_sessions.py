"""Console sessions end on the server: a session cookie copied before sign-out, a new
password, disabling the agent or the idle time is refused afterwards, from any address
and user agent, by every gateway process sharing the store."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from settings.service import ConfigError, Settings
from store.agents import save_agent
from store.db import session_scope
from store.models import Agent, ConsoleSession, utcnow
from tests.support.console import Browser

COOKIE = "repay_session"


class Clock:
    """The console's clock, moved on by the test instead of sleeping."""

    def __init__(self) -> None:
        self.now = utcnow()

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta) -> None:
        self.now += dt.timedelta(**delta)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def app(make_app, clock):
    return make_app(CONSOLE_CLOCK=clock)


def copy_cookie(browser: Browser, app):
    """Another machine holding a copy of the browser's session cookie."""
    thief = app.test_client()
    thief.environ_base.update({"REMOTE_ADDR": "203.0.113.77", "HTTP_USER_AGENT": "curl/8.5.0"})
    thief.set_cookie(COOKIE, browser.client.get_cookie(COOKIE).value)
    return thief


def sign_out(browser: Browser):
    response = browser.client.post("/console/logout", data={"csrf_token": browser.csrf})
    assert response.status_code == 302
    return response


def sessions_of(username: str) -> list:
    with session_scope() as db:
        return list(db.execute(
            select(ConsoleSession).join(Agent, Agent.id == ConsoleSession.agent_id)
            .where(Agent.username == username)
        ).scalars())


def test_a_cookie_copied_before_sign_out_is_refused_afterwards(app, browser):
    alice = browser("alice")
    thief = copy_cookie(alice, app)
    assert thief.get("/console/api/queue").status_code == 200  # the copy works while signed in
    sign_out(alice)
    assert thief.get("/console/api/queue").status_code == 401
    assert thief.get("/console/").status_code == 302  # to the sign-in page
    assert alice.get("/console/api/queue").status_code == 401
    assert sessions_of("alice") == []


def test_signing_out_ends_only_that_session(app, browser):
    at_desk, on_laptop = browser("alice"), browser("alice")
    sign_out(at_desk)
    assert at_desk.get("/console/api/queue").status_code == 401
    assert on_laptop.get("/console/api/queue").status_code == 200


def test_another_gateway_process_refuses_the_signed_out_cookie(make_app, clock):
    first, second = make_app(CONSOLE_CLOCK=clock), make_app(CONSOLE_CLOCK=clock)
    alice = Browser(first.test_client(), "alice")
    elsewhere = copy_cookie(alice, second)
    assert elsewhere.get("/console/api/queue").status_code == 200
    sign_out(alice)
    assert elsewhere.get("/console/api/queue").status_code == 401


def test_a_new_password_ends_every_session(app, browser):
    alice, laptop = browser("alice"), browser("alice")
    thief = copy_cookie(alice, app)
    with session_scope() as db:
        save_agent(db, "alice", "agent", "a brand new password")
    for client in (alice.client, laptop.client, thief):
        assert client.get("/console/api/queue").status_code == 401
    assert sessions_of("alice") == []
    assert browser().sign_in("alice", "a brand new password").status_code == 302


def test_disabling_an_agent_ends_their_sessions_at_once(app, browser):
    alice, bob = browser("alice"), browser("bob")
    thief = copy_cookie(alice, app)
    result = app.test_cli_runner().invoke(args=["agents", "disable", "alice"])
    assert result.exit_code == 0, result.output
    assert sessions_of("alice") == []  # ended in the store, not only refused when used
    assert thief.get("/console/api/queue").status_code == 401
    assert alice.get("/console/api/queue").status_code == 401
    assert bob.get("/console/api/queue").status_code == 200
    assert browser().sign_in("alice").status_code == 401


def test_a_session_idle_for_longer_than_the_idle_time_is_ended(app, browser, clock):
    alice = browser("alice")
    thief = copy_cookie(alice, app)
    clock.advance(minutes=31)  # the default idle time is 30 minutes
    assert thief.get("/console/api/queue").status_code == 401
    assert alice.get("/console/api/queue").status_code == 401
    assert sessions_of("alice") == []


def test_the_idle_time_is_configurable(make_app, clock):
    app = make_app(CONSOLE_CLOCK=clock, CONSOLE_IDLE_MINUTES="5")
    alice = Browser(app.test_client(), "alice")
    clock.advance(minutes=4)
    assert alice.get("/console/api/queue").status_code == 200
    clock.advance(minutes=5, seconds=1)
    assert alice.get("/console/api/queue").status_code == 401


def test_an_active_session_is_kept_alive_by_its_requests(app, browser, clock):
    alice = browser("alice")
    for _ in range(3):  # an hour in all, never idle for 30 minutes
        clock.advance(minutes=20)
        assert alice.get("/console/api/queue").status_code == 200
        assert [row.last_seen_at for row in sessions_of("alice")] == [clock.now]
    clock.advance(minutes=30, seconds=1)
    assert alice.get("/console/api/queue").status_code == 401


def test_a_session_ends_after_a_working_day_however_active(app, browser, clock):
    alice = browser("alice")
    for _ in range(35):  # 11 h 40 min
        clock.advance(minutes=20)
        assert alice.get("/console/api/queue").status_code == 200
    clock.advance(minutes=21)
    assert alice.get("/console/api/queue").status_code == 401


def test_the_store_keeps_only_a_hash_of_the_cookies_token(app, browser):
    alice = browser("alice")
    cookie = alice.client.get_cookie(COOKIE).value
    [row] = sessions_of("alice")
    assert len(row.token_hash) == 64 and row.token_hash not in cookie
    with session_scope() as db:
        agent_id = db.execute(select(Agent.id).where(Agent.username == "alice")).scalar_one()
    assert row.agent_id == agent_id


def test_signing_in_clears_out_expired_sessions(app, browser, clock):
    browser("alice")
    clock.advance(hours=1)
    browser("bob")
    assert sessions_of("alice") == [] and len(sessions_of("bob")) == 1


@pytest.mark.parametrize("raw", ["0", "-5", "soon", "nan", "inf", "100000"])
def test_an_unusable_idle_time_stops_start_up(raw):
    with pytest.raises(ConfigError, match="CONSOLE_IDLE_MINUTES"):
        Settings.from_env({"CONSOLE_IDLE_MINUTES": raw})


def test_the_idle_time_defaults_to_thirty_minutes():
    assert Settings.from_env({}).console_idle_minutes == 30
    assert Settings.from_env({"CONSOLE_IDLE_MINUTES": "12.5"}).console_idle_minutes == 12.5
