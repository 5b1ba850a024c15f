"""The operations API's one way to let a caller in, and the JSON refusal every API and the
console's own API answer with.

Every route under /api/ (accounts, consents, calls, campaigns, payments, results) takes the
deployment's API_KEY as a bearer token. `requires_api_key` is the check; without API_KEY the
API answers 503, never opens. `json_error` is the shape of every refusal: {"error": "..."}.
"""
from __future__ import annotations

import functools
import hmac
from typing import Callable, Optional

from flask import jsonify, request

from server import services


def json_error(status: int, message: str, challenge: Optional[str] = None, **details):
    """{"error": message, **details} with `status`; `challenge`: the WWW-Authenticate
    scheme of a 401; `details`: what the caller needs to act on it (a gate's rule...)."""
    response = jsonify({"error": message, **details})
    response.status_code = status
    if challenge:
        response.headers["WWW-Authenticate"] = challenge
    return response


def requires_api_key(view: Callable) -> Callable:
    """The view runs only for a caller with `Authorization: Bearer <API_KEY>`."""

    @functools.wraps(view)
    def checked(*args, **kwargs):
        api_key = services().settings.api_key
        if not api_key:  # never open by default
            return json_error(503, "API_KEY not configured")
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(token.strip().encode(), api_key.encode()):
            return json_error(401, "missing or wrong API key (Authorization: Bearer <API_KEY>)", "Bearer")
        return view(*args, **kwargs)

    return checked
