"""An attempt's life, from the worker's claim to Twilio's last status callback.

    scheduled --claim--> sending --Twilio took it--> sent --callbacks--> delivery:
        |                   |                               queued, sent, delivered,
        |                   |--gate says no--> scheduled later, or blocked   undelivered, failed
        |                   |--no longer wanted--> cancelled (left the segment; a plan
        |                   |      agreed, an instalment paid or a deferral since: campaigns/stages.py)
        |                   |--transient error--> scheduled with back-off (then failed)
        |                   |--permanent error--> failed
        |                   '--no answer from Twilio / worker died--> in_doubt
        '--outbox (no Twilio account): claim, gate and the outbox row in ONE transaction--> sent

The gate runs at send time, inside the claiming transaction, so an opt-out, a dispute or
a call made since scheduling blocks the send. Each step is written to the audit trail
(actor "campaigns" for the worker, "twilio" for callbacks) with ids and states only.
"""
from __future__ import annotations

import datetime as dt
import logging
import os
import socket
from typing import Dict, List, Mapping, Optional, Tuple

from sqlalchemy import case, func, select, update
from sqlalchemy.orm import Session

from campaigns.config import Campaign
from campaigns.experiments import variant_for
from campaigns.facts import AccountFacts, account_facts
from campaigns.gate import GateInputs, decide
from campaigns.messages import render_message
from campaigns.planning import fit_window, in_segment, next_slot
from campaigns.queueing import push
from campaigns.runtime import Runtime
from campaigns.stages import Subject, still_due
from lending.arrangements import standing
from lending.compliance import AGENT, AUTOMATED, UTC, Decision, Request, zone
from lending.policy import Policy
from messaging.twilio_adapter import (
    CARRIER_OPT_OUT,
    PermanentError,
    TransientError,
    UnknownOutcome,
    to_outbox,
)
from store.arrangements import facts as arrangement_facts
from store.db import session_scope
from store.messages import record_outbound
from store.models import (
    AttemptState,
    ContactAttempt,
    Message,
    OutcomeKind,
)
from store.outcomes import audit, record_outcome, set_opt_out

log = logging.getLogger(__name__)

ACTOR = "campaigns"
MAX_TRIES = 4  # hand-overs to Twilio for one attempt when errors are transient
BACKOFF_SECONDS = (60, 300, 900)  # before the 2nd, 3rd and 4th try
RATE_WAIT_SECONDS = 60  # longest wait for a send slot before the job is queued again

Pending = List[Tuple[int, int, dt.datetime]]  # jobs to queue once the transaction committed


def utc_now() -> dt.datetime:
    return dt.datetime.now(UTC)


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def audit_attempt(session: Session, attempt: ContactAttempt, action: str, actor: str = ACTOR, **details) -> None:
    audit(
        session, actor, action, account_id=attempt.account_id,
        details={
            "attempt_id": attempt.id, "campaign": attempt.campaign, "stage": attempt.stage,
            "channel": attempt.channel, "state": attempt.state, **details,
        },
    )


def requeue(rt: Runtime, attempt_id: int, when: dt.datetime, now: dt.datetime) -> bool:
    """Queues a still-scheduled attempt again (a new job id); False if it moved on."""
    with session_scope() as session:
        moved = session.execute(
            update(ContactAttempt)
            .where(ContactAttempt.id == attempt_id, ContactAttempt.state == AttemptState.SCHEDULED)
            .values(enqueues=ContactAttempt.enqueues + 1, enqueued_at=now,
                    not_before=when, updated_at=now)
        ).rowcount
        if not moved:
            return False
        enqueues = session.execute(
            select(ContactAttempt.enqueues).where(ContactAttempt.id == attempt_id)
        ).scalar_one()
    push(rt.queue, [(attempt_id, enqueues, when)], now)
    return True


def deliver(rt: Runtime, attempt_id: int, now: Optional[dt.datetime] = None) -> str:
    """The body of the RQ job: send one attempt if it is still due and allowed.
    `now` is for tests; a worker reads the clock."""
    fixed_clock = now is not None
    now = now or utc_now()
    with session_scope() as session:
        attempt = session.get(ContactAttempt, attempt_id)
        if attempt is None:
            return "no such attempt"
        if attempt.state != AttemptState.SCHEDULED:
            return f"nothing to do: {attempt.state}"
        if attempt.not_before > now + dt.timedelta(seconds=5):
            return "not due yet"  # an older job; the one queued for its time will come
        channel = attempt.channel
    if not rt.limiter.acquire(rt.sending_number(channel), timeout=RATE_WAIT_SECONDS):
        requeue(rt, attempt_id, now + dt.timedelta(seconds=5), now)
        return "send rate full: queued again"
    if not fixed_clock:
        now = utc_now()  # the wait for a slot may have been long

    pending: Pending = []
    handover = None
    with session_scope() as session:
        claimed = session.execute(
            update(ContactAttempt)
            .where(ContactAttempt.id == attempt_id, ContactAttempt.state == AttemptState.SCHEDULED)
            .values(state=AttemptState.SENDING, claimed_at=now, claimed_by=worker_name(),
                    updated_at=now)
        ).rowcount
        if not claimed:
            return "claimed by another worker"
        attempt = session.get(ContactAttempt, attempt_id, populate_existing=True)
        result, handover = _decide(session, rt, attempt, now, pending)
    if pending:
        push(rt.queue, pending, now)
    if handover is not None:
        result = _hand_over(rt, attempt_id, handover, now)
    log.info("attempt %s: %s", attempt_id, result)
    return result


def _decide(
    session: Session, rt: Runtime, attempt: ContactAttempt, now: dt.datetime, pending: Pending
) -> Tuple[str, Optional[Tuple[str, str, str, str]]]:
    """Inside the claiming transaction: block, cancel, send to the outbox, or return
    what to hand to Twilio once the claim is committed."""
    campaign = rt.campaigns.get(attempt.campaign) if attempt.campaign else None
    facts = account_facts(session, attempt.account_id)
    if facts is None or (attempt.campaign and campaign is None):
        return _cancel(session, attempt, "campaign_removed" if facts else "account_removed"), None
    attempt.phone = facts.phone  # the account's number now, should it have changed
    verdict = decide(
        session, rt.policy, now, channel=attempt.channel,
        kind=AGENT if attempt.source == "agent" else AUTOMATED, actor=ACTOR,
        account_id=attempt.account_id, exclude_attempt=attempt.id, path=f"attempt:{attempt.id}",
    )
    inputs, decision = verdict.inputs, verdict.decision
    if not decision.allowed:
        return _hold(session, attempt, facts, campaign, inputs, decision, rt, now, pending,
                     AGENT if attempt.source == "agent" else AUTOMATED), None
    subject = None
    if campaign is not None:
        subject, reason = still_wanted(session, campaign, facts, attempt, rt.policy)
        if reason:
            return _cancel(session, attempt, reason), None
    body = attempt.body or render_message(
        campaign, attempt.stage, facts, rt.policy, attempt.local_date, subject,
        variant_for(session, campaign, attempt.stage, facts.account_id),
    )
    attempt.body, attempt.tries = body, attempt.tries + 1
    if rt.provider is None:
        to_outbox(session, attempt.channel, attempt.phone, body)
        record_outbound(session, phone=attempt.phone, channel=attempt.channel, body=body,
                        conversation_id=None)
        attempt.state, attempt.sent_at, attempt.delivery = AttemptState.SENT, now, "outbox"
        audit_attempt(session, attempt, "attempt_sent", via="outbox")
        return "sent to the outbox", None
    audit_attempt(session, attempt, "attempt_sending", via="twilio", worker=attempt.claimed_by)
    return "sending", (attempt.channel, attempt.phone, body, facts.language)


def still_wanted(
    session: Session, campaign: Campaign, facts: AccountFacts, attempt: ContactAttempt, policy: Policy,
) -> Tuple[Optional[Subject], Optional[str]]:
    """(what the message speaks of, None) or (None, why it should not go): the planner's
    reading of the account's arrangements again, with what changed since it was scheduled
    (a plan agreed, an instalment paid, a deferral)."""
    if not in_segment(campaign, facts):
        return None, "left_segment"
    stage = campaign.stages.get(attempt.stage)
    if stage is None:
        return None, "stage_removed"
    arrangements = arrangement_facts(session, policy.grace_days, [facts.account_id]).get(facts.account_id, ())
    return still_due(stage, standing(facts.due_date, arrangements, attempt.local_date), attempt.local_date)


def _cancel(session: Session, attempt: ContactAttempt, reason: str) -> str:
    attempt.state, attempt.rule, attempt.reason = AttemptState.CANCELLED, reason, None
    audit_attempt(session, attempt, "attempt_cancelled", because=reason)
    return f"cancelled: {reason}"


def _hold(
    session: Session, attempt: ContactAttempt, facts: AccountFacts, campaign: Optional[Campaign],
    inputs: GateInputs, decision: Decision, rt: Runtime, now: dt.datetime, pending: Pending,
    kind: str,
) -> str:
    """The gate said no: later if the rule allows and the attempt has not expired, else blocked."""
    attempt.rule, attempt.reason = decision.rule, decision.reason
    when = None
    if decision.retry_at is not None and attempt.expires_at is not None:
        tz = zone(facts.timezone)

        def fit(t):
            return fit_window(t, tz, campaign.schedule) if campaign else t

        def gate(t):
            return inputs.check(facts, attempt.channel, t, rt.policy, Request(kind))

        when, _ = next_slot(gate, decision.retry_at, fit, attempt.expires_at)
    if when is None:
        attempt.state = AttemptState.BLOCKED
        audit_attempt(session, attempt, "attempt_blocked", rule=decision.rule)
        return f"blocked: {decision.rule}"
    attempt.state, attempt.not_before = AttemptState.SCHEDULED, when
    attempt.enqueues, attempt.enqueued_at = attempt.enqueues + 1, now
    pending.append((attempt.id, attempt.enqueues, when))
    audit_attempt(session, attempt, "attempt_deferred", rule=decision.rule, until=when.isoformat())
    return f"deferred: {decision.rule} until {when:%Y-%m-%d %H:%M} UTC"


def _hand_over(rt: Runtime, attempt_id: int, handover, now: dt.datetime) -> str:
    channel, phone, body, language = handover
    pending: Pending = []
    try:
        handed = rt.provider.send(channel, phone, body, language, attempt_id=attempt_id)
    except TransientError as exc:
        with session_scope() as session:
            attempt = session.get(ContactAttempt, attempt_id)
            backoff = BACKOFF_SECONDS[min(attempt.tries, len(BACKOFF_SECONDS)) - 1]
            when = now + dt.timedelta(seconds=backoff)
            if attempt.tries >= MAX_TRIES or (
                attempt.expires_at is not None and when > attempt.expires_at
            ):
                attempt.state, attempt.reason = AttemptState.FAILED, f"transient errors: {exc}"
                audit_attempt(session, attempt, "attempt_failed", error=str(exc), tries=attempt.tries)
                return f"failed after {attempt.tries} tries: {exc}"
            attempt.state, attempt.not_before = AttemptState.SCHEDULED, when
            attempt.enqueues, attempt.enqueued_at = attempt.enqueues + 1, now
            attempt.reason = f"retrying: {exc}"
            pending.append((attempt.id, attempt.enqueues, when))
            audit_attempt(session, attempt, "attempt_retry", error=str(exc), tries=attempt.tries,
                   until=when.isoformat())
        push(rt.queue, pending, now)
        return f"transient error, retry at {when:%H:%M:%S} UTC: {exc}"
    except PermanentError as exc:
        with session_scope() as session:
            attempt = session.get(ContactAttempt, attempt_id)
            attempt.state, attempt.reason = AttemptState.FAILED, str(exc)
            attempt.error_code = str(exc.code) if exc.code is not None else None
            if exc.opted_out:
                set_opt_out(session, phone, channel, True, how="carrier_21610", recorded_by=ACTOR,
                            account_id=attempt.account_id)
                record_outcome(session, OutcomeKind.OPT_OUT, account_id=attempt.account_id,
                               conversation_id=None, phone=phone,
                               details={"channel": channel, "source": "carrier"})
            audit_attempt(session, attempt, "attempt_failed", error_code=attempt.error_code)
        return f"failed: {exc}"
    except UnknownOutcome as exc:
        with session_scope() as session:
            attempt = session.get(ContactAttempt, attempt_id)
            attempt.state, attempt.reason = AttemptState.IN_DOUBT, str(exc)
            audit_attempt(session, attempt, "attempt_in_doubt", error=str(exc))
        return f"in doubt: {exc}"
    with session_scope() as session:
        attempt = session.get(ContactAttempt, attempt_id)
        attempt.state, attempt.sent_at = AttemptState.SENT, utc_now()
        attempt.provider_sid, attempt.delivery = handed.sid, handed.status
        record_outbound(session, phone=phone, channel=channel, body=body, conversation_id=None,
                        provider_sid=handed.sid)
        audit_attempt(session, attempt, "attempt_sent", via="twilio", sid=handed.sid)
    return f"sent via Twilio ({handed.sid})"


# -- Twilio's status callbacks -----------------------------------------------------------

# A status only replaces one of a lower rank: callbacks may arrive out of order.
STATUS_RANK = {
    "accepted": 0, "scheduled": 0, "queued": 1, "initiated": 2, "sending": 2, "ringing": 3,
    "sent": 3, "in-progress": 4, "delivered": 5, "undelivered": 5, "failed": 5, "read": 6,
    "completed": 6, "busy": 6, "no-answer": 6, "canceled": 6, "outbox": 9,
}
NOT_ANSWERED = {"busy", "no-answer", "failed", "canceled"}


def record_status(session: Session, params: Mapping[str, str], attempt_hint: Optional[int]) -> Dict:
    """Applies one status callback; returns what it matched (for the log and tests)."""
    sid = params.get("MessageSid") or params.get("CallSid") or ""
    status = (params.get("MessageStatus") or params.get("SmsStatus") or params.get("CallStatus") or "").lower()
    error_code = (params.get("ErrorCode") or "")[: ContactAttempt.error_code.type.length] or None
    attempt = None
    if sid:
        attempt = session.execute(
            select(ContactAttempt).where(ContactAttempt.provider_sid == sid)
        ).scalars().first()
    if attempt is None and attempt_hint is not None:
        # The worker may have died after Twilio took the message and before it wrote
        # the sid down: the callback URL names the attempt, and settles the doubt.
        candidate = session.get(ContactAttempt, attempt_hint)
        if candidate is not None and candidate.provider_sid is None and candidate.state in (
            AttemptState.SENDING, AttemptState.IN_DOUBT
        ):
            attempt = candidate
            attempt.provider_sid, attempt.sent_at = sid or None, utc_now()
            attempt.state = AttemptState.SENT
            audit_attempt(session, attempt, "attempt_resolved", actor="twilio", sid=sid)
    matched = {"attempt": attempt.id if attempt else None, "status": status}
    if attempt is not None and status:
        # Only the statuses Twilio documents, and only forward (callbacks repeat and cross).
        applied = status in STATUS_RANK and (
            STATUS_RANK[status] >= STATUS_RANK.get(attempt.delivery or "", 0))
        if applied:
            attempt.delivery = status
            if error_code:
                attempt.error_code = error_code
            if status in ("in-progress", "completed"):
                machine = (params.get("AnsweredBy") or "").startswith(("machine", "fax"))
                attempt.answered = not machine
            elif status in NOT_ANSWERED and attempt.channel == "voice":
                attempt.answered = False
        if error_code and error_code.isdigit() and int(error_code) in CARRIER_OPT_OUT:
            set_opt_out(session, attempt.phone, attempt.channel, True, how="carrier_21610",
                        recorded_by="twilio", account_id=attempt.account_id)
        audit_attempt(session, attempt, "attempt_status", actor="twilio", delivery=status,
               error_code=error_code, applied=applied)
        matched["applied"] = applied
    if sid and status and (attempt is None or attempt.channel == "sms"):
        message = session.execute(
            select(Message).where(Message.direction == "out", Message.provider_sid == sid)
        ).scalars().first()
        if message is not None and STATUS_RANK.get(status, 0) >= STATUS_RANK.get(message.status, 0):
            message.status = status[:12]
            matched["message"] = message.id
    return matched


# -- progress ----------------------------------------------------------------------------

def progress(
    session: Session, *, run_id: Optional[str] = None, campaign: Optional[str] = None,
    now: Optional[dt.datetime] = None,
) -> Dict[str, int]:
    """Attempts per state; `scheduled` split into due now and later; `done` counts
    every attempt no worker needs to touch any more (or not before later)."""
    now = now or utc_now()
    due = case((ContactAttempt.not_before <= now, 1), else_=0)
    query = select(ContactAttempt.state, func.count(), func.sum(due)).group_by(ContactAttempt.state)
    if run_id:
        query = query.where(ContactAttempt.run_id == run_id)
    if campaign:
        query = query.where(ContactAttempt.campaign == campaign)
    counts = {state: 0 for state in (AttemptState.SCHEDULED, AttemptState.SENDING) + AttemptState.FINAL}
    counts["scheduled_due"] = counts["scheduled_later"] = 0
    for state, count, due_count in session.execute(query):
        counts[state] = count
        if state == AttemptState.SCHEDULED:
            counts["scheduled_due"] = int(due_count or 0)
            counts["scheduled_later"] = count - int(due_count or 0)
    counts["total"] = sum(counts[s] for s in (AttemptState.SCHEDULED, AttemptState.SENDING) + AttemptState.FINAL)
    counts["waiting"] = counts["scheduled_due"] + counts[AttemptState.SENDING]
    return counts
