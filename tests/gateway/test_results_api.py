"""GET /api/results: bearer API key, clear 400s, and the figures of the hand-built
history (tests/store/results_history.py) on SQLite and PostgreSQL."""
from __future__ import annotations

import pytest

from store.db import session_scope
from store.results import variant_column
from tests.support import results_history as history
from tests.support.app import API_KEY, fresh_database

AUTH = {"Authorization": f"Bearer {API_KEY}"}


@pytest.fixture(params=["sqlite", "postgresql"])
def client(request, make_app, tmp_path, postgres_url):
    app = make_app(DATABASE_URL=fresh_database(request.param, tmp_path, postgres_url))
    with session_scope() as session:
        history.build(session)
    return app.test_client()


def test_the_results_of_a_period_by_campaign(client):
    response = client.get("/api/results?from=2026-11-02&to=2026-11-04&by=campaign", headers=AUTH)
    assert response.status_code == 200
    report = response.get_json()
    assert (report["from"], report["to"], report["by"]) == ("2026-11-02", "2026-11-04", "campaign")
    totals = report["totals"]
    assert (totals["attempts"], totals["right_party_contacts"], totals["promises"], totals["promises_kept"],
            totals["opt_outs"]) == (4, 4, 2, 1, 2)
    assert [d["day"] for d in report["days"]] == ["2026-11-02", "2026-11-03", "2026-11-04"]
    assert {row["key"]: row["conversations"] for row in report["breakdown"]} == {
        "overdue_calls": 1, "reminders": 3, "(none)": 1}


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"}])
def test_without_the_api_key_nothing_is_shown(client, headers):
    response = client.get("/api/results", headers=headers)
    assert response.status_code == 401 and "conversations" not in response.get_data(as_text=True)


@pytest.mark.parametrize("query, message", [
    ("from=2026-11-31&to=2026-12-01", "YYYY-MM-DD"),
    ("from=11/02/2026", "YYYY-MM-DD"),
    ("from=2026-11-05&to=2026-11-01", "from is after to"),
    ("from=2020-01-01&to=2026-01-01", "at most 366 days"),
    ("by=account", "by is one of campaign, stage, channel, language, variant"),
])
def test_bad_queries_get_a_400_that_says_why(client, query, message):
    response = client.get(f"/api/results?{query}", headers=AUTH)
    assert response.status_code == 400
    assert message in response.get_json()["error"]


def test_by_variant_waits_for_recorded_variants(client):
    response = client.get("/api/results?from=2026-11-02&to=2026-11-04&by=variant", headers=AUTH)
    if variant_column() is None:
        assert response.status_code == 400
        assert response.get_json() == {"error": "no variants recorded: contact attempts carry no template variant"}
    else:  # attempts carry a variant: the hand-built ones have none
        assert response.status_code == 200
        assert [row["key"] for row in response.get_json()["breakdown"]] == ["(none)"]


def test_without_dates_the_last_30_days(client):
    report = client.get("/api/results", headers=AUTH).get_json()
    assert len(report["days"]) == 30 and report["breakdown"] == []
