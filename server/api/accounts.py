"""The operations API (accounts and consents in, an account with its arrangements out) and the
health check."""
from __future__ import annotations

import datetime as dt
import logging
from zoneinfo import ZoneInfo

from flask import Blueprint, Flask, jsonify

from lending import arrangements as lending_arrangements
from server import services
from server.api.auth import json_error, requires_api_key
from server.api.input import BadInput, parse_instant, request_json
from store import arrangements
from store.accounts import E164, balance_breakdown, get_account, grant_once, import_records
from store.consents import CHANNELS, REVOKED_BY, consent_state, latest, revoke
from store.db import session_scope
from store.outcomes import audit

log = logging.getLogger(__name__)

bp = Blueprint("api", __name__)

BODY_HELP = 'expected a JSON list of accounts, or {"accounts": [...]}'


@bp.app_errorhandler(BadInput)
def _bad_input(error: BadInput):
    """Any route's unreadable input (server/api/input.py): a 400 that says why."""
    return json_error(400, error.message)


@bp.post("/api/accounts")
@requires_api_key
def import_accounts():
    data = request_json(BODY_HELP)
    if isinstance(data, dict) and "accounts" in data:
        data = data["accounts"]
    if not isinstance(data, list):
        return json_error(400, f"body is not valid JSON or has the wrong shape: {BODY_HELP}")
    with session_scope() as session:
        report = import_records(session, data, recorded_by="api",
                                **services().policy.account_import_options())
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


CONSENT_HELP = (
    'expected {"phone": "+15551234567", "channel": "sms" or "voice", "action": "grant" or '
    '"revoke", "at": ISO time (grants; default now), "source": where it came from (grants), '
    '"how": one of ' + ", ".join(REVOKED_BY) + ' (revocations)}, or a list of them'
)


def _consent_item(session, item, now) -> str:
    """Records one grant or revocation; returns what happened, or raises ValueError."""
    if not isinstance(item, dict):
        raise ValueError("expected an object")
    phone, channel = str(item.get("phone") or "").strip(), item.get("channel")
    action = item.get("action", "grant")
    problems = []
    if not E164.match(phone):
        problems.append("phone: must be in E.164 form, e.g. +15551234567")
    if channel not in CHANNELS:
        problems.append("channel: sms (automated texts) or voice (automated or AI-voice calls)")
    if action not in ("grant", "revoke"):
        problems.append("action: grant or revoke")
    if problems:
        raise ValueError("; ".join(problems))
    if action == "revoke":
        how = item.get("how", "api")
        if how not in REVOKED_BY:
            raise ValueError(f"how: one of {', '.join(REVOKED_BY)}")
        revoke(session, phone, channel, how, recorded_by="api", account_id=item.get("account_id"))
        return "revoked"
    try:
        at = parse_instant(item.get("at"), "at", now)
    except BadInput as exc:
        raise ValueError(exc.message) from None
    if at > now + dt.timedelta(minutes=5):
        raise ValueError("at: consent cannot be given in the future")
    source = str(item.get("source") or "api").strip()[:40]
    if grant_once(session, phone, channel, at,
                  item.get("account_id"), source):
        return "granted"
    known = latest(session, phone, channel)
    return "already granted" if known.granted else "refused: a later revocation is on record"


@bp.post("/api/consents")
@requires_api_key
def record_consents():
    """Consent to automated contact, given or revoked, into the consent ledger."""
    data = request_json(CONSENT_HELP)
    items = data if isinstance(data, list) else [data]
    now = dt.datetime.now(dt.timezone.utc)
    results, errors = [], []
    with session_scope() as session:
        for number, item in enumerate(items, start=1):
            try:
                outcome = _consent_item(session, item, now)
            except ValueError as exc:
                errors.append({"row": number, "errors": [str(exc)]})
                continue
            results.append({"row": number, "phone": item["phone"].strip(), "channel": item["channel"],
                            "result": outcome, "consent": consent_state(session, item["phone"].strip())})
        audit(session, "api", "consents_recorded",
              details={"recorded": len(results), "rejected": len(errors)})
    status = 200 if results or not errors else 400
    return jsonify({"results": results, "errors": errors}), status


@bp.get("/api/accounts/<account_id>")
@requires_api_key
def account_view(account_id: str):
    """The account as collection stands: balance, status, the due date the contact rules
    count from, and every arrangement with its schedule. No identity facts, no phone."""
    policy = services().policy
    with session_scope() as session:
        account = get_account(session, account_id)
        if account is None:
            return json_error(404, f"no account {account_id!r}")
        today = dt.datetime.now(ZoneInfo(account.timezone)).date()
        known = arrangements.facts(session, policy.grace_days, [account_id]).get(account_id, [])
        standing = lending_arrangements.standing(account.due_date, known, today)
        nxt = standing.good_standing.next_instalment(today) if standing.good_standing else None
        body = {
            "account_id": account.account_id, "status": account.status,
            "currency": account.currency, "language": account.language,
            "balance": {k: str(v) for k, v in balance_breakdown(account).items()},
            "due_date": account.due_date.isoformat(),
            "effective_due_date": standing.due_date.isoformat(),
            "days_overdue": max(0, (today - standing.due_date).days),
            "vulnerable": bool(account.vulnerable),
            "breathing_space_until": (standing.breathing_space_until.isoformat()
                                      if standing.breathing_space_until else None),
            "next_instalment": ({"due_on": nxt.due_on.isoformat(), "amount": str(nxt.amount),
                                 "amount_paid": str(nxt.paid), "number": nxt.number}
                                if nxt else None),
            "arrangements": [arrangements.as_json(session, a)
                             for a in arrangements.for_account(session, account_id)],
        }
    return jsonify(body)


@bp.get("/healthz")
def health():
    """The gateway answers; "rasa" says, per language, whether its dialogue model does."""
    return jsonify({"status": "ok", "rasa": services().rasa.status(timeout=1.0)})


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
