"""POST /api/accounts (operations load accounts) and GET /healthz."""
import pytest
from sqlalchemy import select

from store.db import session_scope
from store.models import Account, AuditEvent
from tests.support.app import API_KEY

GOOD = {
    "account_id": "API-1", "name": "Ana Example", "phone": "+15550109001",
    "timezone": "America/Denver", "language": "en", "currency": "USD",
    "principal": "500.00", "interest": "12.00", "fees": "0", "due_date": "2026-12-01",
    "birth_date": "1990-02-03", "id_last4": "1234",
}
AUTH = {"Authorization": f"Bearer {API_KEY}"}


def account(account_id):
    with session_scope() as session:
        return session.get(Account, account_id)


def test_accounts_are_created_then_updated(client):
    response = client.post("/api/accounts", json=[GOOD], headers=AUTH)
    assert response.status_code == 200
    assert response.json == {"created": 1, "updated": 0, "errors": []}
    assert account("API-1").phone == "+15550109001"

    response = client.post("/api/accounts", json={"accounts": [{**GOOD, "fees": "5.00"}]}, headers=AUTH)
    assert response.json == {"created": 0, "updated": 1, "errors": []}
    assert str(account("API-1").fees) == "5.00"


def test_bad_rows_are_reported_and_good_rows_saved(client):
    bad = {**GOOD, "account_id": "API-2", "phone": "555-0100", "timezone": "Mars/Olympus"}
    response = client.post("/api/accounts", json=[GOOD, bad, "not an object"], headers=AUTH)

    assert response.status_code == 200
    body = response.json
    assert body["created"] == 1 and body["updated"] == 0
    assert [(e["row"], e["account_id"]) for e in body["errors"]] == [(2, "API-2"), (3, None)]
    assert any(message.startswith("phone:") for message in body["errors"][0]["errors"])
    assert any(message.startswith("timezone:") for message in body["errors"][0]["errors"])
    assert account("API-1") is not None and account("API-2") is None


def test_import_is_audited_without_personal_data(client):
    client.post("/api/accounts", json=[GOOD], headers=AUTH)
    with session_scope() as session:
        event = session.execute(select(AuditEvent).where(AuditEvent.actor == "api")).scalar_one()
    assert event.action == "accounts_import"
    assert event.details == {"created": 1, "updated": 0, "rejected": 0}


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"}, {"Authorization": API_KEY}])
def test_missing_or_wrong_key_is_refused(client, headers):
    response = client.post("/api/accounts", json=[GOOD], headers=headers)
    assert response.status_code == 401
    assert "API key" in response.json["error"]
    assert account("API-1") is None


def test_without_an_api_key_configured_every_request_is_refused(make_app):
    client = make_app(API_KEY=None).test_client()
    for headers in ({}, {"Authorization": "Bearer "}, {"Authorization": "Bearer None"}):
        response = client.post("/api/accounts", json=[GOOD], headers=headers)
        assert response.status_code == 503
        assert response.json == {"error": "API_KEY not configured"}
    assert account("API-1") is None


@pytest.mark.parametrize("data", [b"not json", b'{"accounts": 3}', b'{"id": 1}', b"null", b""])
def test_body_that_is_not_a_list_of_accounts_is_a_400(client, data):
    response = client.post(
        "/api/accounts", data=data, headers={**AUTH, "Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert "list of accounts" in response.json["error"]


def test_health_reports_whether_each_languages_rasa_is_up(client, fake_rasa):
    # Both languages point at the one fake here (tests/gateway/conftest.py).
    assert client.get("/healthz").json == {"status": "ok", "rasa": {"en": "up", "zh": "up"}}
    fake_rasa.down()
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "rasa": {"en": "down", "zh": "down"}}
