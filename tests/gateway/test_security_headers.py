"""Every response, not only the console's, carries the security headers; HSTS once the public
URL is https (server/http_security.py)."""
from __future__ import annotations

import pytest

from tests.support.accounts import BORROWER
from tests.support.app import API_KEY, PRODUCTION_SECRETS
from tests.support.twilio import sign

SMS = {"MessageSid": "SM" + "1" * 32, "AccountSid": "ACtest", "From": BORROWER,
       "To": "+18005550199", "Body": "hello", "NumMedia": "0"}


def responses(client, base="http://localhost"):
    """One of each kind the gateway sends: TwiML, JSON, a refusal, a page, a 404."""
    return {
        "twiml": client.post("/twilio/sms", data=SMS,
                             headers={"X-Twilio-Signature": sign(f"{base}/twilio/sms", SMS)}),
        "health": client.get("/healthz"),
        "api": client.post("/api/accounts", json=[], headers={"Authorization": f"Bearer {API_KEY}"}),
        "refused": client.post("/twilio/sms", data=SMS),
        "page": client.get("/console/login"),
        "missing": client.get("/nothing-here"),
    }


def test_every_response_carries_the_security_headers(client):
    for kind, response in responses(client).items():
        headers = response.headers
        assert headers["X-Content-Type-Options"] == "nosniff", kind
        assert headers["X-Frame-Options"] == "DENY", kind
        assert "frame-ancestors 'none'" in headers["Content-Security-Policy"], kind
        assert headers["Referrer-Policy"] == "same-origin", kind
        assert headers["Cache-Control"] == "no-store", kind  # they hold personal data
        assert "Strict-Transport-Security" not in headers, kind  # plain http: no HSTS
    assert responses(client)["twiml"].status_code == 200


def test_static_files_may_be_cached_but_not_sniffed(client):
    response = client.get("/console/static/common.js")
    assert response.status_code == 200
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers.get("Cache-Control") != "no-store"


@pytest.mark.parametrize("public_url, hsts", [
    ("https://sms.lender.example", True), ("http://sms.lender.example", False)])
def test_hsts_once_the_public_url_is_https(make_app, public_url, hsts):
    client = make_app(PUBLIC_URL=public_url, **PRODUCTION_SECRETS).test_client()
    for kind, response in responses(client, base=public_url).items():
        if hsts:
            assert response.headers["Strict-Transport-Security"] == "max-age=31536000", kind
        else:
            assert "Strict-Transport-Security" not in response.headers, kind
