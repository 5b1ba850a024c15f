"""Bad input to the operations API gets a 400 that says what is wrong, never a 500
(issue 11, finding 8)."""
import pytest

from tests.support.app import API_KEY

AUTH = {"Authorization": f"Bearer {API_KEY}"}
DEEP = b"[" * 100_000 + b"]" * 100_000


def error_of(response):
    assert response.status_code == 400, response.get_data(as_text=True)[:300]
    return response.get_json()["error"]


@pytest.mark.parametrize("path", [
    "/api/accounts", "/api/payments", "/api/calls", "/api/campaigns/reminders/run",
])
def test_deeply_nested_json_is_refused(client, path):
    assert "nested deeper than" in error_of(client.post(path, data=DEEP, headers=AUTH))


def test_json_that_python_alone_reads_is_refused(client):
    message = error_of(client.post("/api/payments", data=b'[{"amount": NaN}]', headers=AUTH))
    assert "NaN" in message


def test_bytes_that_are_not_text_are_refused(client):
    assert "not valid JSON" in error_of(client.post("/api/accounts", data=b"\xff\xfe\xfa", headers=AUTH))


@pytest.mark.parametrize("at", ["9999-12-31T23:59:59Z", "0001-01-01T00:00:00", "10000-01-01"])
def test_a_preview_at_an_instant_out_of_range_is_refused(client, at):
    response = client.get("/api/campaigns/reminders/preview", query_string={"at": at}, headers=AUTH)
    assert error_of(response).startswith("at: ")


@pytest.mark.parametrize("at", [5, [], {"at": 1}, True, "tomorrow"])
def test_a_run_at_something_that_is_not_an_instant_is_refused(client, at):
    response = client.post("/api/campaigns/reminders/run", json={"at": at}, headers=AUTH)
    assert "expected an ISO instant" in error_of(response)


def test_a_run_with_a_body_that_is_not_an_object_is_refused(client):
    assert "at" in error_of(client.post("/api/campaigns/reminders/run", json=[1], headers=AUTH))


def test_an_instant_in_range_is_still_read(client):
    response = client.get("/api/campaigns/reminders/preview",
                          query_string={"at": "2026-11-25T15:00:00Z"}, headers=AUTH)
    assert response.status_code == 200


def test_an_id_no_row_can_have_matches_no_route(client):
    assert client.get("/console/handoffs/99999999999999999999").status_code == 404
    assert client.get("/console/handoffs/1").status_code != 404  # the sign-in page
