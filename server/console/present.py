"""What the console shows, as JSON: queue items with phone numbers and names masked,
and one conversation in full for the person allowed to read it."""
from __future__ import annotations

import datetime as dt
from typing import Dict, List, Optional

from sqlalchemy import select
from sqlalchemy.orm import Session

from store.arrangements import as_json, for_account
from store.consents import consent_state
from store.handoffs import PRIORITY_NAMES, account_summary, conversation_outcomes, outcome_entry
from store.identity import active_lock
from store.models import (
    Account,
    ApprovalRequest,
    AuditEvent,
    Conversation,
    Handoff,
    Message,
    utcnow,
)
from store.types import iso_utc

REASONS = {
    "request_human": "Asked for a person",
    "legal_protection": "Attorney or bankruptcy",
    "hardship": "Hardship",
    "dispute_debt": "Disputes the debt",
    "already_paid": "Says it is paid",
    "abuse_after_deescalation": "Abusive after de-escalation",
    "not_understood_twice": "Not understood twice",
    "outside_policy": "Wants something outside the policy",
    "contact_rule": "Wrote in while contact is stopped (dispute, attorney, paid...)",
}


def mask_phone(phone: Optional[str]) -> str:
    """'+15550100001' -> '•••• 0001'."""
    if not phone:
        return "unknown"
    return "•••• " + phone[-4:]


def mask_name(name: Optional[str]) -> str:
    """'Dana Rivers' -> 'D. R.'."""
    if not name:
        return "no account"
    return " ".join(part[0] + "." for part in name.split() if part)


def iso(moment: Optional[dt.datetime]) -> Optional[str]:
    return iso_utc(moment, timespec="seconds") if moment else None


def queue_item(handoff: Handoff, conversation: Conversation, name: Optional[str],
               identity_locked: bool = False) -> dict:
    """One line of the queue: never a full phone number, a name or an identity fact."""
    waited = utcnow() - handoff.queued_at
    return {
        "identity_locked": identity_locked,
        "id": handoff.id,
        "channel": handoff.channel,
        "live_call": handoff.channel == "voice",
        "reason": handoff.reason,
        "reason_label": REASONS.get(handoff.reason, handoff.reason),
        "priority": handoff.priority,
        "priority_label": PRIORITY_NAMES.get(handoff.priority, str(handoff.priority)),
        "status": handoff.status,
        "claimed_by": handoff.claimed_by,
        "phone": mask_phone(conversation.phone),
        "borrower": mask_name(name),
        "queued_at": iso(handoff.queued_at),
        "waiting_seconds": int(waited.total_seconds()),
        "last_activity_at": iso(conversation.last_activity_at),
    }


def queue_items(session: Session, handoffs: List[Handoff]) -> List[dict]:
    items = []
    for handoff in handoffs:
        conversation = session.get(Conversation, handoff.conversation_id)
        account = session.get(Account, handoff.account_id) if handoff.account_id else None
        locked = active_lock(session, handoff.account_id) is not None
        items.append(queue_item(handoff, conversation, account.name if account else None, locked))
    return items


def agent_message_ids(session: Session, conversation_id: str) -> Dict[int, str]:
    """Outbound messages an agent wrote, by message id -> agent's username."""
    query = select(AuditEvent).where(
        AuditEvent.conversation_id == conversation_id, AuditEvent.action == "reply"
    )
    return {
        event.details["message_id"]: event.actor.split(":", 1)[-1]
        for event in session.execute(query).scalars()
        if event.details.get("message_id") is not None
    }


def transcript(session: Session, conversation_id: str, after: int = 0) -> List[dict]:
    by_agent = agent_message_ids(session, conversation_id)
    query = (
        select(Message)
        .where(Message.conversation_id == conversation_id, Message.id > after)
        .order_by(Message.id)
    )
    lines = []
    for message in session.execute(query).scalars():
        if message.direction == "in":
            who, label = "borrower", "Borrower"
        elif message.id in by_agent:
            who, label = "agent", by_agent[message.id]
        else:
            who, label = "bot", "Bot"
        lines.append({
            "id": message.id, "who": who, "label": label, "body": message.body,
            "at": iso(message.created_at),
        })
    return lines


def approval_entry(request: ApprovalRequest) -> dict:
    return {
        "id": request.id,
        "handoff_id": request.handoff_id,
        "kind": request.kind,
        "details": request.details,
        "refusal": {"rule": request.refusal_rule, "reason": request.refusal_reason},
        "requested_by": request.requested_by,
        "status": request.status,
        "decided_by": request.decided_by,
        "created_at": iso(request.created_at),
    }


def conversation_view(
    session: Session, handoff: Handoff, now: dt.datetime, after: int = 0
) -> dict:
    """Everything about one held conversation, for its holder or a supervisor (views.py takes
    the debt out while the borrower is not verified)."""
    conversation = session.get(Conversation, handoff.conversation_id)
    account = session.get(Account, handoff.account_id) if handoff.account_id else None
    approvals = session.execute(
        select(ApprovalRequest).where(ApprovalRequest.handoff_id == handoff.id)
        .order_by(ApprovalRequest.id)
    ).scalars()
    outcomes = [
        outcome_entry(o) for o in conversation_outcomes(session, conversation.id)
        if (o.details or {}).get("handoff_id") == handoff.id
    ]
    return {
        "handoff": {
            "id": handoff.id,
            "status": handoff.status,
            "resolution": handoff.resolution,
            "claimed_by": handoff.claimed_by,
            "channel": handoff.channel,
            "live_call": handoff.channel == "voice",
            "reason": handoff.reason,
            "reason_label": REASONS.get(handoff.reason, handoff.reason),
            "priority_label": PRIORITY_NAMES.get(handoff.priority, str(handoff.priority)),
            "queued_at": iso(handoff.queued_at),
            "summary": handoff.summary,
        },
        "conversation": {
            "id": conversation.id,
            "phone": conversation.phone,
            "handled_by": conversation.handled_by,
        },
        "account": {
            **account_summary(account, now),
            # The rules the account is contacted under, and what the borrower agreed to.
            "jurisdiction": account.jurisdiction,
            "consent": consent_state(session, account.phone),
            "vulnerable": bool(account.vulnerable),
        } if account is not None else None,
        # Everything the borrower agreed on this account, the newest first, with its schedule.
        "arrangements": [as_json(session, a) for a in reversed(for_account(session, account.account_id))]
        if account is not None else [],
        "messages": transcript(session, conversation.id, after),
        "outcomes": outcomes,
        "approvals": [approval_entry(a) for a in approvals],
    }
