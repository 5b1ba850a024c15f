"""The operations API (accounts in) and the health check."""
from __future__ import annotations

import hmac
import logging

from flask import Blueprint, jsonify, request

from server import services
from store.accounts import import_records
from store.db import session_scope
from store.outcomes import audit

log = logging.getLogger(__name__)

bp = Blueprint("api", __name__)

BODY_HELP = 'expected a JSON list of accounts, or {"accounts": [...]}'


def _error(status: int, message: str):
    response = jsonify({"error": message})
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = "Bearer"
    return response


def _authorised():
    """None when the caller may proceed, else the error response."""
    api_key = services().settings.api_key
    if not api_key:  # never open by default
        return _error(503, "API_KEY not configured")
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(token.strip().encode(), api_key.encode()):
        return _error(401, "missing or wrong API key (Authorization: Bearer <API_KEY>)")
    return None


@bp.post("/api/accounts")
def import_accounts():
    refusal = _authorised()
    if refusal is not None:
        return refusal
    data = request.get_json(force=True, silent=True)
    if isinstance(data, dict) and "accounts" in data:
        data = data["accounts"]
    if not isinstance(data, list):
        return _error(400, f"body is not valid JSON or has the wrong shape: {BODY_HELP}")
    with session_scope() as session:
        report = import_records(session, data)
        audit(
            session, "api", "accounts_import",
            details={
                "created": report.created, "updated": report.updated,
                "rejected": len(report.errors),
            },
        )
    log.info(
        "accounts import: created %d, updated %d, rejected %d",
        report.created, report.updated, len(report.errors),
    )
    return jsonify(report.as_dict())


@bp.get("/healthz")
def health():
    """The gateway answers; "rasa" says, per language, whether its dialogue model does."""
    return jsonify({"status": "ok", "rasa": services().rasa.status(timeout=1.0)})
