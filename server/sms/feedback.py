"""The borrower's word: after an agreement, one short question, "How did we do? Reply 1
to 5", and the answer read before the message would go to the bot.

The gateway does it, not the dialogue model: once a turn has settled a promise, a plan,
a deferral or a payment link (the policy's `feedback.after`) and the conversation took no
path the question must never follow (store/feedback.py NEVER_AFTER, a handoff, abuse the
bot de-escalated: the tracker's `abuse_count`), the question goes out through the one
SMS sender after the webhook's reply has been sent. A rating within the reply window (a
digit 1-5, optionally with a few words) is stored with its words redacted and thanked;
anything else closes the question and goes to the bot as usual. On a call the question is
said before the goodbye and answered on the keypad (server/voice/webhook.py). The policy
switch `feedback.ask` (lender/policy.yml) turns all of it on.
"""
from __future__ import annotations

import datetime as dt
import logging
import re
import unicodedata
from typing import List, Optional, Tuple

from flask import Flask
from sqlalchemy import select

from language.redaction import redact
from messaging.gateway_words import gateway_reply, phrase
from server import services
from server.conversation.rasa_client import RasaUnavailable
from store import feedback as feedback_store
from store.conversations import conversation_language
from store.db import session_scope
from store.models import Conversation, FeedbackRequest, FeedbackStatus, utcnow
from store.reviews import borrower_facts

log = logging.getLogger(__name__)

# The phrases, in every language (tests read them here).
QUESTION = phrase("feedback_question")
VOICE_QUESTION = phrase("feedback_question_call")
THANKS = phrase("feedback_thanks")
COMMENT_LENGTH = 500
# "4", "4/5", "5 stars", "4 - quick and easy", "5分", "3，还可以"; never "15" or "3rd".
_RATING = re.compile(
    r"^\s*([1-5])(?![0-9a-z])\s*(?:/\s*5|out of 5|stars?|分|星)?\s*[-–—:,.;!，。：！、)]*\s*(.*)$",
    re.IGNORECASE | re.DOTALL,
)


def parse_rating(text: str) -> Optional[Tuple[int, str]]:
    """(score, the words after it) when the message is a rating, else None."""
    match = _RATING.match(unicodedata.normalize("NFKC", text or ""))
    if match is None:
        return None
    return int(match.group(1)), " ".join(match.group(2).split())


def take_answer(session, conversation: Conversation, body: str, now: dt.datetime) -> Optional[List[str]]:
    """Inside the webhook's routing transaction: the reply when `body` answers a waiting
    question (the answer stored); None when it is for the bot (a waiting question closed)."""
    policy = services().policy.feedback
    request = feedback_store.waiting_question(
        session, conversation.id, now, dt.timedelta(minutes=policy.reply_window_minutes))
    if request is None:
        return None
    rating = parse_rating(body)
    if rating is None:
        request.status = FeedbackStatus.PASSED
        return None
    score, comment = rating
    names, language = borrower_facts(session, conversation.id)
    feedback_store.answer(request, score, redact(comment, names)[:COMMENT_LENGTH] if comment else None)
    log.info("conversation %s: feedback %d", conversation.id, score)
    return [gateway_reply("feedback_thanks", language)]


def _earned(svc, conversation_id: str) -> Optional[str]:
    """The agreement that earns the question in this conversation, or None."""
    if not svc.policy.feedback.ask:
        return None
    with session_scope() as session:
        outcome = feedback_store.agreement_to_ask_after(session, conversation_id, svc.policy.feedback.after)
    if outcome is None:
        return None
    try:  # a borrower the bot had to calm down is not asked how it went
        slots = svc.rasa.for_conversation(conversation_id).tracker(conversation_id).get("slots") or {}
    except RasaUnavailable as exc:
        log.info("conversation %s: no feedback question, the tracker cannot say (%s)", conversation_id, exc)
        return None
    return None if slots.get("abuse_count") else outcome


def _claim(conversation_id: str, outcome: str) -> Optional[int]:
    with session_scope() as session:
        conversation = session.get(Conversation, conversation_id)
        campaign = feedback_store.campaign_before(session, conversation.account_id, utcnow())
        return feedback_store.claim(session, conversation, outcome, campaign)


def voice_question(conversation_id: str, language: Optional[str]) -> Optional[str]:
    """On a call about to end: the words of the question when this call earned it (its
    row is written), else None."""
    outcome = _earned(services(), conversation_id)
    if outcome is None or _claim(conversation_id, outcome) is None:
        return None
    return gateway_reply("feedback_question_call", language)


def take_keyed_answer(conversation_id: str, keyed: str) -> bool:
    """A call's answer to the question: keys, or speech Twilio transcribed as a digit."""
    rating = parse_rating(keyed)
    with session_scope() as session:
        request = session.execute(select(FeedbackRequest).where(
            FeedbackRequest.conversation_id == conversation_id,
            FeedbackRequest.status == FeedbackStatus.ASKED)).scalars().first()
        if request is None:
            return False
        if rating is None:
            request.status = FeedbackStatus.PASSED
            return False
        feedback_store.answer(request, rating[0], None)  # keys carry no words
    return True


def ask_after_turn(app: Flask, conversation_id: str, phone: str) -> Optional[str]:
    """After the webhook's reply went out: asks the question if this turn earned it.
    Returns what happened (for the log and tests)."""
    with app.app_context():
        svc = services(app)
        outcome = _earned(svc, conversation_id)
        if outcome is None:
            return None
        request_id = _claim(conversation_id, outcome)
        if request_id is None:
            return None
        with session_scope() as session:
            language = conversation_language(session, conversation_id)
        result = svc.sender.send_sms(phone, gateway_reply("feedback_question", language), conversation_id,
                                     actor="gateway", path="feedback_question")
        if not result.sent:
            with session_scope() as session:
                request = session.get(FeedbackRequest, request_id)
                request.status, request.reason = FeedbackStatus.NOT_SENT, (result.reason or "")[:40]
            return f"not sent: {result.reason}"
        log.info("conversation %s: feedback question sent after %s", conversation_id, outcome)
        return "asked"
