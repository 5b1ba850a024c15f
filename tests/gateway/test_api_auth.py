"""Every route of the operations API (/api/...) takes the deployment's API_KEY, and none is
open without it: read off the app's own routes, so a route added later is checked too."""
import re

import pytest

from tests.support.app import API_KEY


def api_routes(app):
    """(method, path) of every /api/ route, with each <variable> filled in."""
    routes = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/"):
            continue
        path = re.sub(r"<(?:[^:>]+:)?[^>]+>", "x1", rule.rule)
        routes += [(method, path) for method in sorted(rule.methods - {"HEAD", "OPTIONS"})]
    return routes


def test_the_api_has_the_routes_this_test_expects_to_guard(app):
    paths = {path for _, path in api_routes(app)}
    assert {"/api/accounts", "/api/consents", "/api/calls", "/api/results"} <= paths
    assert len(paths) >= 8


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {API_KEY}"}])
def test_without_the_key_every_route_says_401_and_how_to_authenticate(app, headers):
    client = app.test_client()
    for method, path in api_routes(app):
        response = client.open(path, method=method, json={}, headers=headers)
        assert response.status_code == 401, (method, path)
        assert response.headers["WWW-Authenticate"] == "Bearer", (method, path)
        assert "API key" in response.get_json()["error"], (method, path)


def test_without_an_api_key_configured_the_api_is_closed(make_app):
    app = make_app(API_KEY="")
    client = app.test_client()
    for method, path in api_routes(app):
        response = client.open(path, method=method, json={}, headers={"Authorization": "Bearer "})
        assert (response.status_code, response.get_json()) == (503, {"error": "API_KEY not configured"}), (
            method, path)


def test_the_console_asks_for_a_sign_in_not_a_bearer_token(client):
    response = client.get("/console/api/queue")
    assert response.status_code == 401 and "WWW-Authenticate" not in response.headers
