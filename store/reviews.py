"""The NLU review inbox: borrowers' messages the model was unsure about (or sampled),
already redacted, waiting for a trainer to confirm, correct or discard them.

Items are written by the gateway's capture (server/conversation/nlu_review.py) and reviewed from the
console (server/console/nlu.py) or the CLI (`flask --app server nlu ...`). A review is
one conditional UPDATE on a pending row, so two trainers never both decide one item.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, List, Optional, Tuple

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from store.identity import is_identity_answer
from store.models import Account, Conversation, Message, ReviewItem, ReviewStatus, utcnow


@dataclass(frozen=True)
class Capture:
    """What the gateway learnt about one message; `text` is already redacted."""

    message_id: Optional[int]
    conversation_id: Optional[str]
    channel: str
    language: str
    text: str
    normalised: str
    intent: Optional[str]
    confidence: float
    fell_back: bool
    alternatives: List[dict]
    reason: str


def borrower_facts(session: Session, conversation_id: Optional[str]) -> Tuple[List[str], str]:
    """The names redaction must remove (the conversation's account holder, and whoever
    holds an account on the same phone: a conversation may not be bound to one yet) and
    the borrower's language ("en" when no account says)."""
    conversation = session.get(Conversation, conversation_id) if conversation_id else None
    if conversation is None:
        return [], "en"
    accounts = list(session.execute(
        select(Account).where(Account.phone == conversation.phone)
    ).scalars())
    if conversation.account_id:
        bound = session.get(Account, conversation.account_id)
        if bound is not None:
            accounts = [bound] + [a for a in accounts if a.account_id != bound.account_id]
    names = sorted({account.name for account in accounts})
    return names, (accounts[0].language if accounts else "en")


def add(session: Session, capture: Capture) -> Optional[ReviewItem]:
    """Files the message in the inbox; the same sentence already waiting counts once
    more instead. None when this message was filed before, or is an identity answer (whose
    text never reaches the trainers, redacted or not)."""
    if capture.message_id is not None:
        message = session.get(Message, capture.message_id)
        if message is not None and is_identity_answer(message):
            return None
        known = select(ReviewItem.id).where(ReviewItem.message_id == capture.message_id)
        if session.execute(known).first() is not None:
            return None
    waiting = session.execute(
        select(ReviewItem).where(
            ReviewItem.status == ReviewStatus.PENDING,
            ReviewItem.normalised == capture.normalised,
            ReviewItem.language == capture.language,
        ).order_by(ReviewItem.id).limit(1)
    ).scalars().first()
    if waiting is not None:
        waiting.seen += 1
        waiting.last_seen_at = utcnow()
        return waiting
    item = ReviewItem(
        message_id=capture.message_id, conversation_id=capture.conversation_id,
        channel=capture.channel, language=capture.language, text=capture.text,
        normalised=capture.normalised[:400], intent=capture.intent,
        confidence=capture.confidence, fell_back=capture.fell_back,
        alternatives=capture.alternatives, reason=capture.reason,
    )
    session.add(item)
    session.flush()
    return item


def listing(
    session: Session, status: str = ReviewStatus.PENDING, reason: Optional[str] = None,
    limit: int = 100,
) -> List[ReviewItem]:
    """Pending items oldest first (an inbox); reviewed ones newest first."""
    query = select(ReviewItem).where(ReviewItem.status == status)
    if reason:
        query = query.where(ReviewItem.reason == reason)
    order = ReviewItem.id if status == ReviewStatus.PENDING else ReviewItem.reviewed_at.desc()
    return list(session.execute(query.order_by(order).limit(limit)).scalars())


def counts(session: Session) -> Dict[str, int]:
    """Pending items by reason, and the total of each status."""
    result: Dict[str, int] = {}
    rows = session.execute(
        select(ReviewItem.status, ReviewItem.reason, func.count()).group_by(
            ReviewItem.status, ReviewItem.reason
        )
    )
    for status, reason, number in rows:
        result[status] = result.get(status, 0) + number
        if status == ReviewStatus.PENDING:
            result[f"pending_{reason}"] = number
    return result


def decide(
    session: Session, item_id: int, by: str, status: str, *, intent: Optional[str] = None,
    example: Optional[str] = None, written_to: Optional[str] = None,
) -> bool:
    """Approves or discards a pending item; False when it was no longer pending."""
    result = session.execute(
        update(ReviewItem)
        .where(ReviewItem.id == item_id, ReviewItem.status == ReviewStatus.PENDING)
        .values(
            status=status, reviewed_by=by, reviewed_at=utcnow(), decided_intent=intent,
            example=example, written_to=written_to,
        )
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1
