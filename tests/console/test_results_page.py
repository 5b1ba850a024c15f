"""The results page in the console: who may read it, the JSON it draws, the CSV export
(safe against formula injection), over the hand-built history of tests/store."""
from __future__ import annotations

import csv
import io

import pytest

from server.console.results import safe_cell
from store.agents import save_agent
from store.db import session_scope
from store.models import ContactAttempt
from tests.support import results_history as history
from tests.support.console import PASSWORD

PERIOD = "from=2026-11-02&to=2026-11-04"


@pytest.fixture
def analyst(app, browser):
    with session_scope() as session:
        history.build(session)
        save_agent(session, "ann", "analyst", PASSWORD)
    return browser("ann")


def test_an_analyst_reads_the_results_and_nothing_else(analyst):
    page = analyst.get("/console/results")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'data-testid="funnel"' in html and "vendor/chartjs/chart.umd.js" in html
    report = analyst.get(f"/console/api/results?{PERIOD}&by=campaign").get_json()
    assert (report["totals"]["right_party_contacts"], report["totals"]["promises"],
            report["totals"]["opt_outs"]) == (4, 2, 2)
    assert [row["key"] for row in report["breakdown"]] == ["overdue_calls", "reminders", "(none)"]
    # Read-only: no queue, no conversation, no claim, no NLU inbox.
    assert analyst.get("/console/").status_code == 403
    assert analyst.get("/console/api/queue").status_code == 403
    assert analyst.post("/console/api/handoffs/1/claim").status_code == 403
    assert analyst.get("/console/nlu/").status_code == 403


def test_signing_in_takes_an_analyst_to_the_results(app, browser):
    with session_scope() as session:
        save_agent(session, "ann", "analyst", PASSWORD)
    response = browser().sign_in("ann")
    assert response.status_code == 302 and response.headers["Location"].endswith("/console/results")


def test_supervisors_read_the_results_agents_and_trainers_do_not(app, browser):
    assert browser("sue").get("/console/results").status_code == 200
    assert browser("sue").get(f"/console/api/results?{PERIOD}").status_code == 200
    for who in ("alice", "tom"):
        person = browser(who)
        assert person.get("/console/results").status_code == 403
        refused = person.get(f"/console/api/results?{PERIOD}")
        assert refused.status_code == 403 and "analysts and supervisors" in refused.get_json()["error"]
        assert person.get(f"/console/results.csv?{PERIOD}").status_code == 403
    assert browser().get("/console/api/results").status_code == 401


def test_bad_filters_get_a_clear_error(analyst):
    response = analyst.get("/console/api/results?from=2026-02-30&to=2026-03-01")
    assert response.status_code == 400 and "YYYY-MM-DD" in response.get_json()["error"]
    response = analyst.get(f"/console/api/results?{PERIOD}&by=phone")
    assert response.status_code == 400 and "by is one of" in response.get_json()["error"]
    assert analyst.get("/console/results.csv?from=yesterday").status_code == 400


@pytest.mark.parametrize("value", ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"])
def test_a_cell_that_starts_a_formula_is_text(value):
    assert safe_cell(value) == "'" + value


def test_ordinary_cells_are_left_alone():
    assert [safe_cell(v) for v in ("reminders", 12, 0.25, None, "2026-11-02", "a=b")] == [
        "reminders", "12", "0.25", "", "2026-11-02", "a=b"]


def test_the_csv_export_holds_the_page_figures_and_no_formula(analyst):
    with session_scope() as session:  # a lender's campaign named like a formula
        for attempt in session.query(ContactAttempt).filter_by(campaign="overdue_calls"):
            attempt.campaign = '=HYPERLINK("http://evil.example","x")'
    response = analyst.get(f"/console/results.csv?{PERIOD}&by=campaign")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    header, total = rows[0], rows[1]
    assert header[:3] == ["row", "key", "attempts"]
    assert dict(zip(header, total))["right_party_contacts"] == "4"
    assert dict(zip(header, total))["amount_collected_CNY"] == "500.00"
    assert (dict(zip(header, total))["feedback_answers"], dict(zip(header, total))["feedback_mean_score"]) == ("1", "4.0")
    days = [row[1] for row in rows if row[0] == "day"]
    assert days == ["2026-11-02", "2026-11-03", "2026-11-04"]
    keys = [row[1] for row in rows if row[0] == "campaign"]
    assert keys == ["'" + '=HYPERLINK("http://evil.example","x")', "reminders", "(none)"]
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)


def test_signing_in_keeps_a_bookmarked_view(app, browser):
    with session_scope() as session:
        save_agent(session, "ann", "analyst", PASSWORD)
    person = browser()
    asked = person.get(f"/console/results?{PERIOD}&by=stage")
    assert asked.status_code == 302
    token = person.token_from("/console/login")
    response = person.client.post(asked.headers["Location"],
                                  data={"username": "ann", "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/console/results?{PERIOD}&by=stage")
