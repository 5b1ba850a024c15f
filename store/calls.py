"""Voice calls: which call a webhook is about, the conversation it carries, how it ended.

A call carries at most one conversation, created when a person answers (an answering
machine gets a voicemail and no conversation), bound to the account the call is about:
the one an outbound call was placed for, or the one the caller's number reaches.
"""
from __future__ import annotations

import json
from typing import Optional

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from store.accounts import find_by_phone
from store.models import CallOutcome, CallWebhookReply, Conversation, VoiceCall, utcnow

# Twilio's CallStatus values after which nothing more happens on the call.
FINAL_STATUSES = {"completed", "busy", "no-answer", "failed", "canceled"}
# How far along a call each CallStatus is: a call's status only moves forward, whatever
# order the webhooks and status callbacks come in, and however often they are retried.
STATUS_ORDER = {
    "queued": 0, "initiated": 1, "ringing": 2, "in-progress": 3, "answered": 3,
    **{status: 4 for status in FINAL_STATUSES},
}
_OUTCOME_BY_STATUS = {
    "busy": CallOutcome.BUSY,
    "no-answer": CallOutcome.NO_ANSWER,
    "failed": CallOutcome.FAILED,
    "canceled": CallOutcome.CANCELED,
}


def is_machine(answered_by: Optional[str]) -> bool:
    """AnsweredBy says an answering machine or a fax took the call."""
    return bool(answered_by) and answered_by.startswith(("machine", "fax"))


def find_call(session: Session, call_sid: str, call_id: Optional[int] = None) -> Optional[VoiceCall]:
    """The call a webhook is about: by its CallSid, or by the id our outbound call put in
    the webhook URL (the webhook may come before Twilio's answer to the dial request was
    written down); such a row learns its CallSid here."""
    call = session.execute(select(VoiceCall).where(VoiceCall.call_sid == call_sid)).scalars().first()
    if call is not None or call_id is None:
        return call
    call = session.get(VoiceCall, call_id)
    if call is None or call.direction != "outbound" or call.call_sid not in (None, call_sid):
        return None
    call.call_sid = call_sid
    return call


def inbound_call(session: Session, call_sid: str, phone: str) -> VoiceCall:
    """The row of a call the borrower made, created on its first webhook."""
    existing = find_call(session, call_sid)
    if existing is not None:
        return existing
    account = find_by_phone(session, phone)
    call = VoiceCall(
        call_sid=call_sid, direction="inbound", phone=phone,
        account_id=account.account_id if account else None, status="ringing",
    )
    try:
        with session.begin_nested():  # Twilio retried the webhook a moment ago
            session.add(call)
    except IntegrityError:
        return find_call(session, call_sid)
    return call


def call_conversation(session: Session, call: VoiceCall) -> Conversation:
    """The call's conversation, opened when a person answers. A new one for every call:
    whatever was said on an earlier call or by SMS starts afresh, as a new SMS thread does
    after an idle hour."""
    if call.conversation_id:
        conversation = session.get(Conversation, call.conversation_id)
        if conversation is not None:
            return conversation
    conversation = Conversation(channel="voice", phone=call.phone, account_id=call.account_id)
    session.add(conversation)
    session.flush()
    call.conversation_id = conversation.id
    call.answered_at = call.answered_at or utcnow()
    return conversation


def outcome_of(status: str, answered_by: Optional[str]) -> Optional[str]:
    """The CallOutcome of a final CallStatus (None while the call goes on)."""
    if status not in FINAL_STATUSES:
        return None
    if status == "completed":
        return CallOutcome.VOICEMAIL if is_machine(answered_by) else CallOutcome.COMPLETED
    return _OUTCOME_BY_STATUS[status]


def advance_status(call: VoiceCall, status: str) -> bool:
    """Sets a CallStatus Twilio reported if it is one it documents and moves the call
    forward (never from completed back to in-progress); False when it was not applied."""
    if call.ended_at is not None or status not in STATUS_ORDER:
        return False
    if STATUS_ORDER[status] < STATUS_ORDER.get(call.status, 0):
        return False
    call.status = status
    return True


def note_answered_by(call: VoiceCall, answered_by: Optional[str]) -> None:
    """Keeps the first verdict of answering-machine detection (cut to the column)."""
    if answered_by and not call.answered_by:
        call.answered_by = answered_by[: VoiceCall.answered_by.type.length]


def end_call(session: Session, call: VoiceCall, status: str, answered_by: Optional[str]) -> Optional[str]:
    """Records a status; on a final one the outcome, the end and the conversation's close.
    Returns the outcome (None while the call goes on, or when it had already ended)."""
    note_answered_by(call, answered_by)
    if not advance_status(call, status):
        return None  # callbacks may repeat or come out of order
    outcome = outcome_of(status, call.answered_by)
    if outcome is None:
        return None
    now = utcnow()
    call.outcome, call.ended_at, call.live_state = outcome, now, None
    # Twilio retries nothing of an ended call; a repeat now only hangs up, so the
    # answers kept for retries go (the table stays the size of the calls in progress).
    session.execute(delete(CallWebhookReply).where(CallWebhookReply.call_sid == call.call_sid))
    if call.conversation_id:
        conversation = session.get(Conversation, call.conversation_id)
        if conversation is not None and conversation.closed_at is None:
            conversation.closed_at = now
    return outcome


def live_state(call: VoiceCall) -> Optional[dict]:
    """What the gateway remembers of a live call between its webhooks (keep_live_state);
    None before its first question and after its end."""
    return json.loads(call.live_state) if call.live_state else None


def keep_live_state(session: Session, call_id: int, state: dict) -> None:
    """Keeps the gateway's state of a call for its next webhook, on the call's row: any
    gateway process, after a restart or while Redis is down, carries the call on. An
    ended call keeps none."""
    call = session.get(VoiceCall, call_id)
    if call is not None and call.ended_at is None:
        call.live_state = json.dumps(state)


# -- replies to voice webhooks, kept for Twilio's retries --------------------------------------

def claim_reply(session: Session, call_sid: str, step: str) -> Optional[int]:
    """Takes this webhook of the call: the id of a new, empty reply row, or None when the
    webhook came before (it is a retry: see earlier_reply)."""
    reply = CallWebhookReply(call_sid=call_sid, step=step)
    try:
        with session.begin_nested():
            session.add(reply)
    except IntegrityError:
        return None
    return reply.id


def earlier_reply(session: Session, call_sid: str, step: str) -> Optional[CallWebhookReply]:
    query = select(CallWebhookReply).where(
        CallWebhookReply.call_sid == call_sid, CallWebhookReply.step == step)
    return session.execute(query).scalars().first()


def keep_reply(session: Session, reply_id: int, twiml: str) -> None:
    session.get(CallWebhookReply, reply_id).twiml = twiml


def drop_reply(session: Session, reply_id: int) -> None:
    """Forgets a webhook that failed, so Twilio's retry of it is worked on afresh."""
    reply = session.get(CallWebhookReply, reply_id)
    if reply is not None:
        session.delete(reply)
