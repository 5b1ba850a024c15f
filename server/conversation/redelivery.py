"""Answering messages the bot could not answer when they arrived.

A message is DEFERRED when Rasa was down or slow (the borrower got a holding
reply), or left RECEIVED when a process died mid-turn. Each pass re-sends them
to Rasa oldest first and delivers the answer by outbound SMS, since the webhook
was answered long ago. Rasa applies each message once: a message its tracker holds
already (a turn that ended after the gateway stopped waiting) is not sent again, its
turn's answer is delivered (RasaPool.reply_once). Every message is claimed atomically in the store, so any
number of gateway processes and `flask --app server redeliver` workers can run
passes at once without answering a message twice. Once an answer has gone, what the bot
agreed in that turn is confirmed in writing (server/sms/arrangement_notice.py), as after a
webhook's turn.
"""
from __future__ import annotations

import datetime as dt
import logging
import threading
from dataclasses import dataclass, field
from typing import Optional, Set

from flask import Flask

from campaigns.gate import decide
from lending.compliance import REPLY
from messaging.sms_text import reply_bodies
from server import services
from server.conversation.nlu_review import after_bot_answer
from server.conversation.rasa_client import RasaAnsweredNothing, RasaUnavailable
from server.conversation.state import thread_key
from server.sms.arrangement_notice import confirm_agreed
from server.sms.webhook import locked_reply
from store.conversations import conversation_language, get_conversation
from store.db import session_scope
from store.handoffs import enqueue
from store.identity import active_lock, set_pending_question, text_for_bot
from store.messages import (
    claim_deferred,
    claim_stale,
    defer_until,
    deferred_messages,
    set_status,
    stale_received,
)
from store.models import HeldIdentityAnswer, Message, MessageStatus
from store.outcomes import audit, is_opted_out

log = logging.getLogger(__name__)

BATCH = 50
# A RECEIVED message this old was abandoned: no webhook lives this long.
STALE_AFTER = dt.timedelta(minutes=2)
# Rasa answering nothing again and again is the dialogue's choice, not an
# outage: stop asking after this many tries.
MAX_EMPTY_ANSWERS = 3


@dataclass
class RedeliveryReport:
    answered: int = 0
    still_deferred: int = 0
    dropped: int = 0  # opted out, handed to a person, nothing to say, or the gate refused for good
    held: int = 0  # the gate said not now (e.g. the borrower's night): asked again later
    conversations_waiting: Set[str] = field(default_factory=set)
    # Rasa servers (one per language) found down in this pass: not asked again in it, while
    # the other languages' messages carry on (a model still loading holds up only its own).
    bots_down: Set[str] = field(default_factory=set)

    def __str__(self) -> str:
        return (
            f"answered {self.answered}, still deferred {self.still_deferred}, "
            f"held by the gate {self.held}, dropped {self.dropped}"
        )


@dataclass(frozen=True)
class _Waiting:
    id: int
    status: str
    conversation_id: Optional[str]
    phone: str
    channel: str


class _SendingFailed(Exception):
    """Ends the pass: the next answers would fail to go out too."""


def redeliver_once(app: Flask) -> RedeliveryReport:
    """One pass over the waiting messages, oldest first."""
    report = RedeliveryReport()
    with app.app_context():
        with session_scope() as session:
            found = deferred_messages(session, dt.timedelta(0), BATCH)
            found += stale_received(session, STALE_AFTER, BATCH)
            waiting = [
                _Waiting(m.id, m.status, m.conversation_id, m.phone, m.channel)
                for m in sorted(found, key=lambda m: m.id)
            ]
        for message in waiting:
            # A later message of a conversation never overtakes an earlier one.
            if message.conversation_id in report.conversations_waiting:
                continue
            try:
                _redeliver(message, report)
            except _SendingFailed:
                break
    if waiting:
        log.info("redelivery pass: %s", report)
    return report


def _redeliver(waiting: _Waiting, report: RedeliveryReport) -> None:
    svc = services()
    bot = svc.rasa.for_conversation(waiting.conversation_id or "")
    if bot.base_url in report.bots_down:
        report.conversations_waiting.add(waiting.conversation_id)
        return
    key = thread_key(waiting.channel, waiting.phone)
    with svc.state.conversation_lock(key, wait=0) as locked:
        if not locked:  # a webhook is answering this phone right now
            report.conversations_waiting.add(waiting.conversation_id)
            return
        with session_scope() as session:
            if waiting.status == MessageStatus.DEFERRED:
                claimed = claim_deferred(session, waiting.id)
            else:
                claimed = claim_stale(session, waiting.id, STALE_AFTER)
            if not claimed:
                return
            message = session.get(Message, waiting.id)
            conversation = get_conversation(session, waiting.conversation_id or "")
            if (
                conversation is None
                or conversation.handled_by == "human"
                or is_opted_out(session, waiting.phone, waiting.channel)
            ):
                set_status(session, waiting.id, MessageStatus.HANDLED)
                report.dropped += 1
                log.info("message %s: not redelivered (opted out or with a person)", waiting.id)
                return
            locked = active_lock(session, conversation.account_id) is not None
            if locked:
                set_status(session, waiting.id, MessageStatus.HANDLED)
            language = conversation_language(session, conversation.id)
            body, attempts = text_for_bot(session, message), message.attempts
            asked_identity = session.get(HeldIdentityAnswer, waiting.id) is not None
            if not locked:
                # The answer would leave as an SMS: the gate first, before Rasa hears the message
                # (so a held message is not put into the dialogue twice).
                verdict = decide(
                    session, svc.policy, dt.datetime.now(dt.timezone.utc), channel="sms", kind=REPLY,
                    actor="gateway", account_id=conversation.account_id, phone=waiting.phone,
                    conversation_id=conversation.id, path="bot_answer",
                )
                if not verdict.allowed:
                    rule, retry_at = verdict.decision.rule, verdict.decision.retry_at
                    if retry_at is None:  # collection has stopped: a person answers, not the bot
                        set_status(session, waiting.id, MessageStatus.HANDLED)
                        enqueue(session, conversation, "contact_rule")
                        report.dropped += 1
                    else:
                        # Deferred again, as it was: no pass looks at it before retry_at (the
                        # passes pick deferred messages by updated_at), and the claim's try
                        # is given back, as the bot was never asked.
                        defer_until(session, waiting.id, retry_at, give_back_try=True)
                        report.held += 1
                        report.conversations_waiting.add(waiting.conversation_id)
                    log.info("message %s: not answered now (%s)", waiting.id, rule)
                    return

        if locked:
            # Too many wrong identity answers meanwhile: the lender's number, not the bot.
            svc.sender.send_sms(waiting.phone, locked_reply(svc.policy, language), conversation.id,
                                actor="gateway", path="identity_locked")
            report.dropped += 1
            log.info("message %s: not redelivered (account locked)", waiting.id)
            return
        try:
            # Sent before (it timed out, or Rasa failed or answered nothing): Rasa may hold
            # its turn already, whose answer is then the one sent.
            answer = bot.reply_once(conversation.id, body, waiting.id)
        except RasaAnsweredNothing:
            if attempts >= MAX_EMPTY_ANSWERS:
                _finish(waiting, MessageStatus.ANSWERED, "bot had nothing to say")
                report.dropped += 1
            else:
                _finish(waiting, MessageStatus.DEFERRED, "bot answered nothing")
                report.still_deferred += 1
                report.conversations_waiting.add(waiting.conversation_id)
            return
        except RasaUnavailable as exc:
            _finish(waiting, MessageStatus.DEFERRED, f"bot unavailable ({exc})")
            report.still_deferred += 1
            report.bots_down.add(bot.base_url)
            return

        with session_scope() as session:
            set_pending_question(session, conversation.id, answer.identity_question)
        try:
            for part in reply_bodies(answer.texts):
                svc.sender.send_sms(waiting.phone, part, conversation.id, actor="gateway",
                                    path="bot_answer")
        except Exception as exc:
            log.exception("message %s: sending the answer failed", waiting.id)
            _finish(waiting, MessageStatus.DEFERRED, "sending failed")
            report.still_deferred += 1
            raise _SendingFailed() from exc
        _finish(waiting, MessageStatus.ANSWERED, "answered by SMS")
        report.answered += 1
        confirm_agreed(conversation.id)
        after_bot_answer(conversation.id, waiting.id, body, waiting.channel,  # background
                         asked_identity=asked_identity, parse=answer.parse)


def _finish(waiting: _Waiting, status: str, why: str) -> None:
    with session_scope() as session:
        set_status(session, waiting.id, status)
        if status == MessageStatus.ANSWERED:
            audit(
                session, "gateway", "redelivered", conversation_id=waiting.conversation_id,
                details={"message_id": waiting.id, "outcome": why},
            )
    log.info(
        "conversation %s message %s: %s, %s", waiting.conversation_id, waiting.id, why, status,
    )


class RedeliveryWorker:
    """Runs a pass every `interval` seconds in a daemon thread of a serving process.

    Started when the serving process starts (server.start_background_work, called by
    gunicorn's post_worker_init hook in gunicorn.conf.py), not by create_app: `flask`
    commands build the app too, and gunicorn's preloading parent must not run it."""

    def __init__(self, app: Flask, interval: float):
        self.app = app
        self.interval = interval
        self._stop = threading.Event()
        self._started = False
        self._guard = threading.Lock()

    def start(self) -> None:
        if self._started:
            return
        with self._guard:
            if not self._started:
                threading.Thread(target=self.run, name="redelivery", daemon=True).start()
                self._started = True

    def run(self) -> None:
        run_loop(self.app, self.interval, self._stop)

    def stop(self) -> None:
        self._stop.set()


def run_loop(app: Flask, interval: float, stop: Optional[threading.Event] = None) -> None:
    stop = stop or threading.Event()
    while not stop.wait(interval):
        try:
            redeliver_once(app)
        except Exception:  # a failed pass must not end the loop; the next one retries
            log.exception("redelivery pass failed")
