"""The sign-in limiter behind a proxy: each client counted at its own address, and no stranger
able to lock an agent out, while guessing at one account from many addresses stays bounded
(server/console/auth.py)."""
from __future__ import annotations

import pytest

from tests.support.console import PASSWORD, Browser

AGENT_OFFICE = "198.51.100.20"


@pytest.fixture
def proxied_app(make_app):
    return make_app(TRUSTED_PROXIES="1")  # one proxy in front, which sets X-Forwarded-For


def attempt(browser: Browser, username: str, password: str, address: str) -> int:
    """A sign-in that reached the gateway through the proxy from `address`."""
    token = browser.token_from("/console/login")
    return browser.client.post(
        "/console/login", data={"username": username, "password": password, "csrf_token": token},
        headers={"X-Forwarded-For": address},
    ).status_code


def test_behind_a_proxy_each_client_address_has_its_own_budget(proxied_app):
    attacker = Browser(proxied_app.test_client())
    codes = [attempt(attacker, name, f"guess {n}", "203.0.113.7")
             for n, name in enumerate(["alice", "bob"] * 5)]
    assert codes == [401] * 10
    assert attempt(attacker, "sue", "guess", "203.0.113.7") == 429  # this address is spent
    # Everyone else comes through the same proxy, and still signs in.
    assert attempt(Browser(proxied_app.test_client()), "alice", PASSWORD, AGENT_OFFICE) == 302


def test_one_address_gets_a_few_tries_at_one_account(proxied_app):
    attacker = Browser(proxied_app.test_client())
    codes = [attempt(attacker, "alice", f"guess {n}", "203.0.113.7") for n in range(6)]
    assert codes == [401] * 5 + [429]
    assert attempt(attacker, "bob", "guess", "203.0.113.7") == 401  # other accounts: per address


def test_without_a_trusted_proxy_a_forged_header_buys_nothing(make_app):
    attacker = Browser(make_app().test_client())
    codes = [attempt(attacker, name, f"guess {n}", f"203.0.113.{n}")
             for n, name in enumerate(["alice", "bob"] * 5 + ["sue"])]
    assert codes == [401] * 10 + [429]  # all from the one address the gateway really sees


def test_a_stranger_cannot_lock_an_agent_out(proxied_app):
    alice = Browser(proxied_app.test_client())
    assert attempt(alice, "alice", PASSWORD, AGENT_OFFICE) == 302  # her browser, signed in before
    alice.client.post("/console/logout", data={"csrf_token": alice.token_from("/console/")})

    # A guesser spread over many addresses: a bounded number of tries per hour at her account.
    guesser = [attempt(Browser(proxied_app.test_client()), "alice", f"guess {n}", f"203.0.113.{n}")
               for n in range(25)]
    assert guesser == [401] * 19 + [429] * 6  # 20 an hour from browsers new to her, hers included

    assert attempt(alice, "alice", PASSWORD, AGENT_OFFICE) == 302  # her own browser still gets in
    # A browser that never signed in as her waits out the hour: the price of the bound.
    assert attempt(Browser(proxied_app.test_client()), "alice", PASSWORD, AGENT_OFFICE) == 429
    assert attempt(Browser(proxied_app.test_client()), "bob", PASSWORD, AGENT_OFFICE) == 302


def test_a_forged_browser_cookie_is_not_trusted(proxied_app):
    attacker = Browser(proxied_app.test_client())
    attacker.client.set_cookie("repay_device", "alice", path="/console/login")
    codes = [attempt(Browser(proxied_app.test_client()), "alice", f"guess {n}", f"203.0.113.{n}")
             for n in range(20)]
    assert codes == [401] * 20
    assert attempt(attacker, "alice", "guess", "203.0.113.99") == 429
