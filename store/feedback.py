"""The borrower's word: the one question after an agreement and its answer (server/sms/feedback.py
asks and reads the answer; store/results.py counts them with the rest of the results)."""
from __future__ import annotations

import datetime as dt
from typing import Iterable, Optional

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from store.models import (
    ContactAttempt,
    Conversation,
    FeedbackRequest,
    FeedbackStatus,
    Handoff,
    Outcome,
    OutcomeKind,
    utcnow,
)

# After any of these the question is never asked, whatever else the conversation agreed:
# the borrower stopped us, disputes the debt (or says it is paid), named a lawyer or
# bankruptcy, is in hardship, is not the borrower, or a person had to take over (abuse,
# a request for a human, a message the bot could not understand twice).
NEVER_AFTER = {
    OutcomeKind.OPT_OUT, OutcomeKind.DISPUTE, OutcomeKind.ALREADY_PAID, OutcomeKind.LEGAL,
    OutcomeKind.HARDSHIP, OutcomeKind.WRONG_NUMBER, OutcomeKind.IDENTITY_FAILED,
    OutcomeKind.ESCALATION,
}
CAMPAIGN_LOOKBACK = dt.timedelta(days=7)


def agreement_to_ask_after(session: Session, conversation_id: str, after: Iterable[str]) -> Optional[str]:
    """The conversation's latest agreement that earns the question, or None when none
    does, the question was asked already, or the conversation took a path it never follows."""
    conversation = session.get(Conversation, conversation_id)
    if conversation is None or conversation.handled_by != "bot":
        return None
    if session.execute(select(FeedbackRequest.id).where(
            FeedbackRequest.conversation_id == conversation_id)).first():
        return None
    if session.execute(select(Handoff.id).where(Handoff.conversation_id == conversation_id)).first():
        return None
    kinds = [kind for (kind,) in session.execute(
        select(Outcome.kind).where(Outcome.conversation_id == conversation_id).order_by(Outcome.id))]
    if NEVER_AFTER.intersection(kinds):
        return None
    agreements = [kind for kind in kinds if kind in set(after)]
    return agreements[-1] if agreements else None


def claim(session: Session, conversation: Conversation, outcome: str, campaign: Optional[str]) -> Optional[int]:
    """Writes the question's row before it is sent; None when another turn did first."""
    row = FeedbackRequest(
        conversation_id=conversation.id, account_id=conversation.account_id, campaign=campaign,
        channel=conversation.channel, outcome=outcome, status=FeedbackStatus.ASKED,
    )
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        return None
    return row.id


def campaign_before(session: Session, account_id: Optional[str], at: dt.datetime) -> Optional[str]:
    """The campaign of the account's latest message sent in the week before `at`."""
    if account_id is None:
        return None
    return session.execute(
        select(ContactAttempt.campaign).where(
            ContactAttempt.account_id == account_id, ContactAttempt.campaign.is_not(None),
            ContactAttempt.sent_at.is_not(None), ContactAttempt.sent_at <= at,
            ContactAttempt.sent_at >= at - CAMPAIGN_LOOKBACK,
        ).order_by(ContactAttempt.sent_at.desc()).limit(1)
    ).scalar_one_or_none()


def waiting_question(session: Session, conversation_id: str, now: dt.datetime,
                     window: dt.timedelta) -> Optional[FeedbackRequest]:
    """The question this conversation may still answer."""
    return session.execute(
        select(FeedbackRequest).where(
            FeedbackRequest.conversation_id == conversation_id,
            FeedbackRequest.status == FeedbackStatus.ASKED,
            FeedbackRequest.asked_at >= now - window,
        )
    ).scalars().first()


def answer(request: FeedbackRequest, score: int, comment: Optional[str]) -> None:
    if not 1 <= score <= 5:
        raise ValueError("a score is 1 to 5")
    request.status, request.score = FeedbackStatus.ANSWERED, score
    request.comment, request.answered_at = comment or None, utcnow()

