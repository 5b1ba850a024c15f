"""The console's pages and the JSON API they poll and post to.

Who may do what, checked on every request:
- the queue: any signed-in agent or supervisor (items masked);
- claiming: any of them, for a queued item; of two claims at once exactly one wins;
- reading a conversation: the agent holding it (or who held it), or a supervisor;
- replying, recording outcomes, cancelling an arrangement or moving an instalment's date,
  flagging the borrower vulnerable, handing back, closing: only the agent holding it;
- releasing a claim: its holder, or a supervisor;
- approving or rejecting an exception to the policy: a supervisor;
- sending a text the compliance gate refused: a supervisor holding the conversation, with
  a reason, where the account's jurisdiction profile lets a supervisor override that rule.
- verifying the borrower of a conversation the bot did not verify: only the agent holding
  it; until then the debt (and the account's arrangements and vulnerability flag) is not
  shown, and agreements, changes to them and replies naming an amount of the account are
  refused (identity.py).
Every action is written to the audit trail as `agent:<username>`.
"""
from __future__ import annotations

import datetime as dt
import logging
import re
from decimal import Decimal
from typing import Optional

from flask import jsonify, render_template, request
from flask_login import current_user
from sqlalchemy import select

from campaigns.gate import Override
from language.wording import addressed_name
from server import services
from server.api.auth import json_error
from server.api.input import request_json, row_id
from server.console import bp
from server.console.arrangements import (
    CHANGES,
    Change,
    ChangeInputError,
    NotChangeable,
    apply_change,
    arrangement_of,
    propose_cancel,
    propose_move,
)
from server.console.auth import console_access, supervisor_only, wants_json
from server.console.identity import (
    VerificationInputError,
    identity_view,
    lock_alerts,
    verify,
    without_debt,
)
from server.console.outcomes import (
    OutcomeInputError,
    Proposal,
    Recorded,
    borrower_now,
    handback_notice,
    propose,
    record,
)
from server.console.present import (
    approval_entry,
    conversation_view,
    queue_items,
)
from server.conversation.rasa_client import RasaUnavailable
from server.sms.arrangement_notice import send_confirmation
from store.arrangements import as_json
from store.conversations import conversation_language
from store.db import session_scope
from store.handoffs import claim as claim_handoff
from store.handoffs import claimed, finish, outcome_entry, queued
from store.handoffs import release as release_handoff
from store.models import (
    Account,
    ApprovalRequest,
    ApprovalStatus,
    Conversation,
    Handoff,
    HandoffResolution,
    HandoffStatus,
    Outcome,
    utcnow,
)
from store.outcomes import audit, flag_vulnerable

log = logging.getLogger(__name__)

# How long one claim may be in flight in the shared state before the store decides.
CLAIM_IN_FLIGHT_SECONDS = 10
# Inside Twilio's 1600 characters, with room for the opt-out wording the sender adds.
REPLY_LIMIT = 1500
OVERRIDE_REASON_LIMIT = 500


class Refused(Exception):
    def __init__(self, status: int, message: str, gate: Optional[dict] = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.gate = gate  # the compliance gate's refusal: rule, reason, retry_at, overridable


@bp.errorhandler(Refused)
def _refused(error: Refused):
    if wants_json():
        return json_error(error.status, error.message, **({"gate": error.gate} if error.gate else {}))
    return render_template("console/refused.html", message=error.message), error.status


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _readable(handoff: Handoff) -> bool:
    return current_user.is_supervisor or handoff.claimed_by == current_user.username


def _load(db, handoff_id: int, act: bool = False) -> Handoff:
    """The handoff, when the signed-in person may read it (and, with `act`, act on it)."""
    handoff = db.get(Handoff, handoff_id)
    if handoff is None:
        raise Refused(404, "no such conversation")
    if not _readable(handoff):
        raise Refused(403, "this conversation is not yours")
    if act:
        if handoff.status == HandoffStatus.CLOSED:
            raise Refused(409, "this conversation is already finished")
        if handoff.status == HandoffStatus.QUEUED:
            raise Refused(409, "claim this conversation first")
        if handoff.claimed_by != current_user.username:
            raise Refused(403, f"{handoff.claimed_by} holds this conversation")
    return handoff


def _audit(db, action: str, handoff: Handoff, **details) -> None:
    audit(
        db, current_user.actor, action, account_id=handoff.account_id,
        conversation_id=handoff.conversation_id, details={"handoff_id": handoff.id, **details},
    )


def _json_body() -> dict:
    data = request_json("expected a JSON object", required=False)
    return data if isinstance(data, dict) else {}


# --- pages -------------------------------------------------------------------------------


@bp.get("/")
@console_access
def queue_page():
    return render_template("console/queue.html")


@bp.get("/handoffs/<int:handoff_id>")
@console_access
def conversation_page(handoff_id: int):
    with session_scope() as db:
        handoff = _load(db, handoff_id)
        _audit(db, "view_conversation", handoff)
    return render_template(
        "console/conversation.html", handoff_id=handoff_id,
        is_supervisor=current_user.is_supervisor,
    )


# --- the queue ---------------------------------------------------------------------------


@bp.get("/api/queue")
@console_access
def queue_api():
    me = current_user.username
    with session_scope() as db:
        data = {
            "me": {"username": me, "role": current_user.role},
            "queue": queue_items(db, queued(db)),
            "mine": queue_items(db, claimed(db, me)),
            # Accounts locked after too many wrong identity answers: someone may be trying
            # to pass for the borrower.
            "identity_locks": lock_alerts(db, _now()),
        }
        if current_user.is_supervisor:
            data["others"] = [i for i in queue_items(db, claimed(db)) if i["claimed_by"] != me]
            pending = db.execute(
                select(ApprovalRequest).where(ApprovalRequest.status == ApprovalStatus.PENDING)
                .order_by(ApprovalRequest.id)
            ).scalars()
            data["approvals"] = [approval_entry(a) for a in pending]
    return jsonify(data)


@bp.post("/api/handoffs/<int:handoff_id>/claim")
@console_access
def claim(handoff_id: int):
    state = services().state
    with session_scope() as db:
        if db.get(Handoff, handoff_id) is None:
            raise Refused(404, "no such conversation")
    # Several gateway processes: the shared state lets one claim through at a time;
    # the store's conditional update is what finally decides.
    if not state.claim_handoff(handoff_id, CLAIM_IN_FLIGHT_SECONDS):
        raise Refused(409, "another agent is claiming this conversation")
    try:
        with session_scope() as db:
            if not claim_handoff(db, handoff_id, current_user.username):
                holder = db.get(Handoff, handoff_id).claimed_by
                raise Refused(409, f"already taken by {holder}" if holder else "no longer queued")
            handoff = db.get(Handoff, handoff_id)
            db.refresh(handoff)
            _audit(db, "claim", handoff)
    finally:
        state.release_handoff(handoff_id)
    return jsonify({"id": handoff_id, "status": HandoffStatus.CLAIMED, "claimed_by": current_user.username})


@bp.post("/api/handoffs/<int:handoff_id>/release")
@console_access
def release(handoff_id: int):
    with session_scope() as db:
        handoff = _load(db, handoff_id)
        if handoff.status != HandoffStatus.CLAIMED:
            raise Refused(409, "this conversation is not held by anyone")
        if handoff.claimed_by != current_user.username and not current_user.is_supervisor:
            raise Refused(403, "this conversation is not yours")
        holder = handoff.claimed_by
        if not release_handoff(db, handoff_id, holder):
            raise Refused(409, "this conversation changed; reload")
        _audit(db, "release", handoff, holder=holder)
    return jsonify({"id": handoff_id, "status": HandoffStatus.QUEUED})


# --- one conversation --------------------------------------------------------------------


@bp.get("/api/handoffs/<int:handoff_id>")
@console_access
def conversation_api(handoff_id: int):
    after = request.args.get("after", default=0, type=row_id)
    with session_scope() as db:
        handoff = _load(db, handoff_id)
        view = conversation_view(db, handoff, _now(), after=after)
        view["identity"] = identity_view(db, handoff, services().policy, _now())
    if not view["identity"]["verified"]:
        # Nothing about the debt before the borrower is verified, by the bot or the agent.
        view["account"] = without_debt(view["account"])
        summary = dict(view["handoff"]["summary"] or {})
        summary["account"] = without_debt(summary.get("account"))
        summary["agreed"] = []
        view["handoff"]["summary"] = summary
        view["arrangements"] = None
    view["can_act"] = (
        view["handoff"]["status"] == HandoffStatus.CLAIMED
        and view["handoff"]["claimed_by"] == current_user.username
    )
    return jsonify(view)


def _override(form: dict) -> Optional[Override]:
    """A supervisor's override of the gate, with the reason they give (agents get none)."""
    reason = str(form.get("override_reason") or "").strip()
    if not reason:
        return None
    if not current_user.is_supervisor:
        raise Refused(403, "only a supervisor may send what the compliance gate refused")
    return Override(by=current_user.username, reason=reason[:OVERRIDE_REASON_LIMIT])


def gate_message(refusal: dict) -> str:
    """'not sent: <reason> (<rule>); allowed from <time>' for the agent."""
    text = f"not sent: {refusal['reason']} ({refusal['rule']})"
    if refusal.get("retry_at"):
        text += f"; allowed from {refusal['retry_at']}"
    return text


@bp.post("/api/handoffs/<int:handoff_id>/reply")
@console_access
def reply(handoff_id: int):
    form = _json_body()
    body = str(form.get("body") or "").strip()
    if not body:
        raise Refused(400, "write a message first")
    if len(body) > REPLY_LIMIT:
        raise Refused(400, f"at most {REPLY_LIMIT} characters")
    override = _override(form)
    with session_scope() as db:
        handoff = _load(db, handoff_id, act=True)
        if handoff.channel != "sms":
            raise Refused(409, "this is a call: speak to the borrower on the line")
        if names_the_debt(db, handoff, body):
            _audit(db, "reply_refused_unverified", handoff)
            raise Refused(403, "verify the borrower before writing about the debt")
        conversation = db.get(Conversation, handoff.conversation_id)
        phone, conversation_id = conversation.phone, conversation.id
    result = services().sender.send_sms(
        phone, body, conversation_id, actor=current_user.actor, path="agent_reply", override=override,
    )
    with session_scope() as db:
        handoff = db.get(Handoff, handoff_id)
        if not result.sent:
            _audit(db, "reply_not_sent", handoff, rule=result.reason)
            raise Refused(409, gate_message(result.refusal), gate=result.refusal)
        _audit(db, "reply", handoff, message_id=result.message_id, via=result.via,
               **({"override_reason": override.reason} if override else {}))
    return jsonify({"sent": True, "message_id": result.message_id, "via": result.via,
                    "overridden": override is not None and result.sent}), 201


def _settle(db, handoff: Handoff, form: dict, kind: str, details: dict, refusal, make, *,
            action: str, done_status: int):
    """What the policy allows is done at once (`make(**extra)` returns the answer's JSON and
    the ids for the audit trail); what it refuses, a supervisor approves directly or an agent
    asks one to, where the policy lists the rule; anything else stays refused, with why.
    Audited as `action`, `exception_approved`, `approval_requested` or `<action>_refused`."""
    if refusal is None:
        body, ids = make()
        _audit(db, action, handoff, kind=kind, **ids)
        return jsonify(body), done_status
    approvable = refusal.rule in services().policy.exceptions.supervisor_may_approve
    if approvable and current_user.is_supervisor and form.get("approve_exception"):
        body, ids = make(approved_by=current_user.username, exception=refusal.rule)
        _audit(db, "exception_approved", handoff, kind=kind, rule=refusal.rule, **ids)
        return jsonify(body), done_status
    if approvable and form.get("request_approval"):
        approval = ApprovalRequest(
            handoff_id=handoff.id, conversation_id=handoff.conversation_id,
            account_id=handoff.account_id, kind=kind, details=details,
            refusal_rule=refusal.rule, refusal_reason=refusal.reason,
            requested_by=current_user.username,
        )
        db.add(approval)
        db.flush()
        _audit(db, "approval_requested", handoff, kind=kind, rule=refusal.rule, approval_id=approval.id)
        return jsonify({"approval": approval_entry(approval)}), 202
    _audit(db, f"{action}_refused", handoff, kind=kind, rule=refusal.rule)
    return jsonify({"refusal": {"rule": refusal.rule, "reason": refusal.reason},
                    "approvable": approvable}), 422


def recorded_json(db, recorded: Recorded) -> dict:
    arrangement = recorded.arrangement
    return {"recorded": outcome_entry(recorded.outcome),
            "arrangement": as_json(db, arrangement) if arrangement is not None else None}


@bp.post("/api/handoffs/<int:handoff_id>/outcomes")
@console_access
def record_outcome(handoff_id: int):
    form = _json_body()
    with session_scope() as db:
        handoff = _load(db, handoff_id, act=True)
        if form.get("kind") in NEEDS_VERIFICATION and not _verified(db, handoff):
            raise Refused(403, "verify the borrower before agreeing a promise, a plan, a deferral or relief")
        try:
            proposal = propose(db, handoff, form, services().policy, _now())
        except OutcomeInputError as exc:
            raise Refused(400, str(exc)) from None

        agreed = []

        def make(**extra):
            recorded = record(db, handoff, proposal, current_user.actor, **extra)
            if recorded.arrangement is not None:
                agreed.append(recorded.arrangement.id)
            return recorded_json(db, recorded), {"outcome_id": recorded.outcome.id}

        response = _settle(db, handoff, form, proposal.kind, proposal.details, proposal.refusal, make,
                           action="outcome", done_status=201)
    _confirm_in_writing(agreed)
    return response


def _confirm_in_writing(arrangement_ids) -> None:
    """The borrower's written confirmation of what the agent agreed, once the agreement has
    committed (server/sms/arrangement_notice.py: through the sender and the gate, recorded)."""
    for arrangement_id in arrangement_ids:
        try:
            send_confirmation(arrangement_id, actor=current_user.actor, path="console")
        except Exception:  # recorded as confirmation_failed; the agreement itself stands
            log.exception("written confirmation of arrangement %s failed", arrangement_id)


@bp.post("/api/handoffs/<int:handoff_id>/arrangements/<int:arrangement_id>/<any(cancel, move):action>")
@console_access
def change_arrangement(handoff_id: int, arrangement_id: int, action: str):
    """Cancels an arrangement of the account (with a reason) or moves one instalment's date."""
    form = _json_body()
    policy = services().policy
    with session_scope() as db:
        handoff = _load(db, handoff_id, act=True)
        if not _verified(db, handoff):
            raise Refused(403, "verify the borrower before changing what they agreed")
        arrangement = arrangement_of(db, handoff, arrangement_id)
        if arrangement is None:
            raise Refused(404, "no such arrangement on this account")
        try:
            if action == "cancel":
                change = propose_cancel(arrangement, form, policy, supervisor=current_user.is_supervisor)
            else:
                account = db.get(Account, handoff.account_id)
                today = borrower_now(account, policy, _now()).date()
                change = propose_move(db, arrangement, form, policy, today)
        except ChangeInputError as exc:
            raise Refused(400, str(exc)) from None
        except NotChangeable as exc:
            raise Refused(409, str(exc)) from None

        def make(**_approval):  # who approved it is in the audit trail (exception_approved)
            changed = apply_change(db, change, actor=current_user.actor)
            return {"arrangement": as_json(db, changed)}, {"arrangement_id": changed.id}

        return _settle(db, handoff, form, change.kind, change.details, change.refusal, make,
                       action=change.kind, done_status=200)


@bp.post("/api/handoffs/<int:handoff_id>/vulnerable")
@console_access
def flag_borrower_vulnerable(handoff_id: int):
    """The agent flags the borrower vulnerable: no automated campaigns where the policy says
    so, and their messages go to a person."""
    with session_scope() as db:
        handoff = _load(db, handoff_id, act=True)
        if not handoff.account_id:
            raise Refused(409, "this conversation reaches no account")
        if not _verified(db, handoff):
            raise Refused(403, "verify the borrower before flagging the account")
        flag_vulnerable(db, handoff.account_id, actor=current_user.actor, because="agent")
    return jsonify({"vulnerable": True})


@bp.post("/api/approvals/<int:approval_id>/<any(approve, reject):decision>")
@supervisor_only
def decide(approval_id: int, decision: str):
    with session_scope() as db:
        approval = db.get(ApprovalRequest, approval_id)
        if approval is None:
            raise Refused(404, "no such request")
        if approval.status != ApprovalStatus.PENDING:
            raise Refused(409, f"already {approval.status}")
        handoff = db.get(Handoff, approval.handoff_id)
        approval.decided_by, approval.decided_at = current_user.username, utcnow()
        if decision == "reject":
            approval.status = ApprovalStatus.REJECTED
            _audit(db, "exception_rejected", handoff, approval_id=approval.id, rule=approval.refusal_rule)
            return jsonify({"approval": approval_entry(approval)})
        approval.status = ApprovalStatus.APPROVED
        requested_by = f"agent:{approval.requested_by}"
        if approval.kind in CHANGES:
            try:
                changed = apply_change(db, Change(approval.kind, approval.details), actor=requested_by)
            except (ChangeInputError, NotChangeable) as exc:
                raise Refused(409, f"{exc}; reject the request instead") from None
            _audit(db, "exception_approved", handoff, approval_id=approval.id,
                   rule=approval.refusal_rule, arrangement_id=changed.id)
            return jsonify({"approval": approval_entry(approval), "arrangement": as_json(db, changed)})
        recorded = record(
            db, handoff, Proposal(approval.kind, approval.details), requested_by,
            approved_by=current_user.username, exception=approval.refusal_rule,
        )
        _audit(db, "exception_approved", handoff, approval_id=approval.id,
               rule=approval.refusal_rule, outcome_id=recorded.outcome.id)
        response = jsonify({"approval": approval_entry(approval), **recorded_json(db, recorded)})
    _confirm_in_writing([recorded.arrangement.id] if recorded.arrangement is not None else [])
    return response


# Agreements about the debt (read back, confirmed by SMS).
NEEDS_VERIFICATION = {"promise", "plan", "deferral", "relief"}


def _verified(db, handoff: Handoff) -> bool:
    return identity_view(db, handoff, services().policy, _now())["verified"]


# An amount as an agent would write one: with cents, or next to a currency.
_AMOUNT = re.compile(r"[$¥€£]\s*(\d+(?:\.\d{1,2})?)|(\d+\.\d{2})|(\d+(?:\.\d{1,2})?)\s*(?:元|dollars?\b|usd\b)",
                     re.IGNORECASE)


def names_the_debt(db, handoff: Handoff, body: str) -> bool:
    """Whether a reply to a borrower not yet verified names an amount of the account."""
    if not handoff.account_id or _verified(db, handoff):
        return False
    account = db.get(Account, handoff.account_id)
    if account is None:
        return False
    amounts = {account.balance, account.principal, account.interest, account.fees}
    written = {Decimal(next(g for g in match.groups() if g))
               for match in _AMOUNT.finditer(body.replace(",", ""))}
    return bool(written & amounts)


@bp.post("/api/handoffs/<int:handoff_id>/verify")
@console_access
def verify_borrower(handoff_id: int):
    """The agent checks the borrower's identity answers. The answers are never echoed,
    stored or logged; a mismatch counts against the account's identity lock."""
    form = _json_body()
    birth_date = str(form.get("birth_date") or "").strip()
    id_last4 = str(form.get("id_last4") or "").strip()
    if not birth_date or not id_last4:
        raise Refused(400, "type the date of birth and the last 4 digits of the ID document")
    policy = services().policy
    now = _now()
    with session_scope() as db:
        handoff = _load(db, handoff_id, act=True)
        if not handoff.account_id:
            raise Refused(409, "this conversation reaches no account: there is nothing to verify against")
        view = identity_view(db, handoff, policy, now)
        if view["verified"]:
            return jsonify({"identity": view})
        if view["locked"]:
            raise Refused(423, f"this account is locked after too many wrong identity answers, "
                               f"until {view['locked_until']}: the borrower must call the lender")
        try:
            result = verify(db, handoff, birth_date, id_last4, current_user.actor, policy, now)
        except VerificationInputError as exc:
            raise Refused(400, str(exc)) from None
        _audit(db, "verify_borrower", handoff, matched=result.matched,
               locked=result.state.locked)
        view = identity_view(db, handoff, policy, now)
    if result.matched:
        return jsonify({"identity": view})
    return json_error(423 if view["locked"] else 422, "the answers do not match the account",
                      identity=view)


def _agent_outcomes(db, handoff: Handoff) -> list:
    query = select(Outcome).where(Outcome.conversation_id == handoff.conversation_id).order_by(Outcome.id)
    return [o for o in db.execute(query).scalars() if (o.details or {}).get("handoff_id") == handoff.id]


@bp.post("/api/handoffs/<int:handoff_id>/hand-back")
@console_access
def hand_back(handoff_id: int):
    """The bot answers this conversation again. The borrower is told, by SMS, that an
    automated assistant answers from now on and what was agreed; the same text goes into
    Rasa's tracker, with the de-escalation count reset, so the bot carries on from it."""
    svc = services()
    with session_scope() as db:
        handoff = _load(db, handoff_id, act=True)
        if handoff.channel != "sms":
            raise Refused(409, "a call cannot go back to the bot; close it when the call ends")
        if not finish(db, handoff_id, current_user.username, HandoffResolution.HANDED_BACK):
            raise Refused(409, "this conversation changed; reload")
        # In the account's language, as the sender's opt-out wording will be.
        language = conversation_language(db, handoff.conversation_id)
        account = db.get(Account, handoff.account_id) if handoff.account_id else None
        notice = handback_notice(_agent_outcomes(db, handoff), svc.policy, language=language,
                                 jurisdiction=account.jurisdiction if account is not None else None)
        conversation = db.get(Conversation, handoff.conversation_id)
        phone, conversation_id = conversation.phone, conversation.id
        identity = identity_view(db, handoff, svc.policy, _now())
        _audit(db, "hand_back", handoff)
    # The notice asks the gate like any text: refused (the borrower's night, an opt-out),
    # the conversation is still handed back and the agent is told why no text went.
    result = svc.sender.send_sms(phone, notice, conversation_id, actor=current_user.actor,
                                 path="hand_back")
    sent = result.sent
    events: list = [
        {"event": "slot", "name": "abuse_count", "value": 0},
        {"event": "slot", "name": "form_stop_reason", "value": None},
    ]
    if identity["verified"] and identity["verified_by"] != "bot" and account is not None:
        # Verified by the agent: the bot goes on with a verified borrower.
        events += [
            {"event": "slot", "name": "identity_status", "value": "verified"},
            {"event": "slot", "name": "borrower_first_name",
             "value": addressed_name(account.name, account.language)},
        ]
    if sent:
        events.append({"event": "bot", "text": notice, "metadata": {"handoff_id": handoff_id}})
    try:
        svc.rasa.for_conversation(conversation_id).add_events(conversation_id, events)
    except RasaUnavailable as exc:
        # The store already says the bot answers; only the tracker's note is missing.
        log.warning("conversation %s: handed back, tracker not updated (%s)", conversation_id, exc)
    return jsonify({"id": handoff_id, "status": HandoffStatus.CLOSED,
                    "resolution": HandoffResolution.HANDED_BACK, "notice_sent": sent,
                    **({"gate": result.refusal} if result.refusal else {})})


@bp.post("/api/handoffs/<int:handoff_id>/close")
@console_access
def close(handoff_id: int):
    with session_scope() as db:
        _load(db, handoff_id, act=True)
        if not finish(db, handoff_id, current_user.username, HandoffResolution.CLOSED):
            raise Refused(409, "this conversation changed; reload")
        _audit(db, "close", db.get(Handoff, handoff_id))
    return jsonify({"id": handoff_id, "status": HandoffStatus.CLOSED,
                    "resolution": HandoffResolution.CLOSED})
