"""The NLU inbox in the console: who may use it, approving (confirmed or corrected,
entities marked) into the NLU data copy, refusals, discards, the redacted conversation."""
from __future__ import annotations

import pytest
import yaml
from sqlalchemy import select

from store.db import session_scope
from store.models import AuditEvent, ReviewItem
from tests.support.fake_rasa import rasa_parse
from tests.support.store import audit_actions


@pytest.fixture
def item_id(app, rasa, sms):
    """A borrower's unsure message, waiting in the inbox."""
    rasa.parse = lambda text: rasa_parse(
        text, "ask_consequences", 0.55, ("hardship", 0.3), ("legal_protection", 0.1),
    )
    sms("Dana here. the bailiff took my car, call 555-010-0001")
    with session_scope() as session:
        return session.execute(select(ReviewItem.id)).scalar_one()


def examples_of(path, intent):
    data = yaml.safe_load(path.read_text())
    block = next(item for item in data["nlu"] if item.get("intent") == intent)
    return [line[2:] for line in block["examples"].splitlines()]


def test_a_trainer_signs_in_to_the_inbox(app, browser):
    tom = browser()
    token = tom.token_from("/console/login")
    response = tom.client.post("/console/login", data={
        "username": "tom", "password": "correct horse battery", "csrf_token": token})
    assert response.status_code == 302 and response.headers["Location"] == "/console/nlu/"
    page = tom.get("/console/nlu/").get_data(as_text=True)
    assert "NLU inbox" in page and "trainer console" in page


def test_the_inbox_lists_redacted_items_with_the_models_guesses(item_id, browser):
    data = browser("tom").get("/console/api/nlu/inbox").get_json()
    [item] = data["pending"]
    assert item["id"] == item_id
    assert item["text"] == "[NAME] here. the bailiff took my car, call [PHONE]"
    assert item["suggestion"] == "Alex here. the bailiff took my car, call 555 010 0199"
    assert (item["intent"], item["confidence"]) == ("ask_consequences", 0.55)
    assert [a["intent"] for a in item["alternatives"]] == ["hardship", "legal_protection"]
    assert item["reason"] == "low_confidence" and item["conversation_url"].startswith(
        "/console/nlu/conversations/c-")
    assert data["counts"] == {"pending": 1, "pending_low_confidence": 1}
    intents = {i["name"]: i["file"] for i in data["intents"]}
    assert intents["hardship"].endswith("nlu/en/hardship.yml") and "opt_out" in intents
    assert "amount" in data["entities"]


@pytest.mark.parametrize("username, status", [("alice", 403), ("bob", 403), ("sue", 200), ("tom", 200)])
def test_only_trainers_and_supervisors_use_the_inbox(item_id, browser, username, status):
    person = browser(username)
    assert person.get("/console/api/nlu/inbox").status_code == status
    assert person.get("/console/nlu/").status_code == status
    if status == 403:
        response = person.post(f"/console/api/nlu/items/{item_id}/discard")
        assert response.status_code == 403


def test_signed_out_requests_are_refused(app, item_id):
    client = app.test_client()
    assert client.get("/console/api/nlu/inbox").status_code == 401
    assert client.get("/console/nlu/").status_code == 302


def test_a_trainer_corrects_the_intent_and_the_example_is_written(item_id, browser, nlu_dir):
    tom = browser("tom")
    response = tom.post(f"/console/api/nlu/items/{item_id}/approve", {
        "intent": "hardship", "text": "the bailiff took my car",
    })
    assert response.status_code == 201, response.get_json()
    written = response.get_json()["written"]
    assert written["message"].startswith("Written to ") and "hardship.yml, line" in written["message"]
    assert written["example"] == "the bailiff took my car" and not written["already_present"]
    assert examples_of(nlu_dir / "hardship.yml", "hardship")[-1] == "the bailiff took my car"
    item = response.get_json()["item"]
    assert item["status"] == "approved" and item["decided_intent"] == "hardship"
    assert item["reviewed_by"] == "tom" and "hardship.yml, line" in item["written_to"]
    data = tom.get("/console/api/nlu/inbox").get_json()
    assert data["pending"] == [] and data["reviewed"][0]["id"] == item_id
    assert audit_actions("agent:tom")[-1] == "nlu_approve"


def test_confirming_with_entities_marked(app, rasa, sms, browser, nlu_dir):
    rasa.parse = lambda text: rasa_parse(text, "request_instalment", 0.6)
    sms("could i do 150 a month for 6 months")
    tom = browser("tom")
    [item] = tom.get("/console/api/nlu/inbox").get_json()["pending"]
    text = item["suggestion"]
    response = tom.post(f"/console/api/nlu/items/{item['id']}/approve", {
        "intent": "request_instalment", "text": text,
        "entities": [{"start": 11, "end": 14, "entity": "amount"},
                     {"start": 27, "end": 35, "entity": "months"}],
    })
    assert response.status_code == 201, response.get_json()
    line = "could i do [150](amount) a month for [6 months](months)"
    assert response.get_json()["written"]["example"] == line
    assert examples_of(nlu_dir / "plans.yml", "request_instalment")[-1] == line


def test_a_duplicate_under_another_intent_is_refused_and_the_item_stays(app, rasa, sms, browser, nlu_dir):
    rasa.parse = lambda text: rasa_parse(text, "greet", 0.5)
    sms("i lost my job")
    tom = browser("tom")
    [item] = tom.get("/console/api/nlu/inbox").get_json()["pending"]
    before = {p.name: p.read_text() for p in nlu_dir.glob("*.yml")}
    response = tom.post(f"/console/api/nlu/items/{item['id']}/approve",
                        {"intent": "greet", "text": item["suggestion"]})
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert "already an example of hardship" in error and "hardship.yml, line" in error
    assert {p.name: p.read_text() for p in nlu_dir.glob("*.yml")} == before
    assert [i["id"] for i in tom.get("/console/api/nlu/inbox").get_json()["pending"]] == [item["id"]]


def test_placeholders_left_in_the_example_are_refused(item_id, browser):
    response = browser("tom").post(f"/console/api/nlu/items/{item_id}/approve", {
        "intent": "hardship", "text": "[NAME] here. the bailiff took my car",
    })
    assert response.status_code == 422 and "replace [NAME]" in response.get_json()["error"]


def test_an_item_is_decided_once(item_id, browser):
    tom, sue = browser("tom"), browser("sue")
    assert tom.post(f"/console/api/nlu/items/{item_id}/discard").status_code == 200
    response = sue.post(f"/console/api/nlu/items/{item_id}/approve",
                        {"intent": "hardship", "text": "the bailiff took my car"})
    assert response.status_code == 409
    assert response.get_json()["error"] == f"item #{item_id} was already discarded by tom"


def test_discarding_writes_nothing(item_id, browser, nlu_dir):
    before = {p.name: p.read_text() for p in nlu_dir.glob("*.yml")}
    response = browser("tom").post(f"/console/api/nlu/items/{item_id}/discard")
    assert response.status_code == 200 and response.get_json()["item"]["status"] == "discarded"
    assert {p.name: p.read_text() for p in nlu_dir.glob("*.yml")} == before


def test_approving_needs_the_csrf_token(item_id, browser):
    tom = browser("tom")
    response = tom.post(f"/console/api/nlu/items/{item_id}/discard", csrf=False)
    assert response.status_code == 400 and "CSRF" in response.get_json()["error"]


def test_the_conversation_opens_redacted(item_id, browser):
    tom = browser("tom")
    url = tom.get("/console/api/nlu/inbox").get_json()["pending"][0]["conversation_url"]
    page = tom.get(url).get_data(as_text=True)
    assert "[NAME] here. the bailiff took my car, call [PHONE]" in page
    assert "in the inbox" in page
    for secret in ("Dana", "Rivers", "555-010-0001", "+15550100001"):
        assert secret not in page
    with session_scope() as session:
        event = session.execute(select(AuditEvent).where(
            AuditEvent.action == "nlu_view_conversation")).scalar_one()
    assert event.actor == "agent:tom" and event.conversation_id == url.rsplit("/", 1)[1]


def test_the_audit_trail_keeps_decisions_without_text(item_id, browser):
    browser("tom").post(f"/console/api/nlu/items/{item_id}/approve",
                        {"intent": "hardship", "text": "the bailiff took my car"})
    with session_scope() as session:
        event = session.execute(select(AuditEvent).where(AuditEvent.action == "nlu_approve")).scalar_one()
    assert event.details["intent"] == "hardship" and event.details["predicted"] == "ask_consequences"
    assert "bailiff" not in str(event.details)
