"""Answering messages the bot could not answer when they arrived.

A message is DEFERRED when Rasa was down or slow (the borrower got a holding
reply), or left RECEIVED when a process died mid-turn. Each pass re-sends them
to Rasa oldest first and delivers the answer by outbound SMS, since the webhook
was answered long ago. Every message is claimed atomically in the store, so any
number of gateway processes and `flask --app server redeliver` workers can run
passes at once without answering a message twice.
"""
from __future__ import annotations

import datetime as dt
import logging
import threading
from dataclasses import dataclass, field
from typing import Optional, Set

from flask import Flask

from server import services
from server.gateway_state import thread_key
from server.nlu_review import after_bot_answer
from server.rasa_client import RasaAnsweredNothing, RasaUnavailable
from server.sms_text import reply_bodies
from store.conversations import get_conversation
from store.db import session_scope
from store.messages import (
    claim_deferred,
    claim_stale,
    deferred_messages,
    set_status,
    stale_received,
)
from store.models import Message, MessageStatus
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
    dropped: int = 0  # opted out, handed to a person, or nothing to say
    conversations_waiting: Set[str] = field(default_factory=set)

    def __str__(self) -> str:
        return (
            f"answered {self.answered}, still deferred {self.still_deferred}, "
            f"dropped {self.dropped}"
        )


@dataclass(frozen=True)
class _Waiting:
    id: int
    status: str
    conversation_id: Optional[str]
    phone: str
    channel: str


class _BotDown(Exception):
    """Ends the pass: retrying other messages now would only wait on Rasa again."""


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
            except _BotDown:
                break
    if waiting:
        log.info("redelivery pass: %s", report)
    return report


def _redeliver(waiting: _Waiting, report: RedeliveryReport) -> None:
    svc = services()
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
            body, attempts = message.body, message.attempts

        try:
            texts = svc.rasa.for_conversation(conversation.id).send(conversation.id, body)
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
            raise _BotDown() from exc

        try:
            for part in reply_bodies(texts):
                svc.sender.send_sms(waiting.phone, part, conversation.id)
        except Exception as exc:
            log.exception("message %s: sending the answer failed", waiting.id)
            _finish(waiting, MessageStatus.DEFERRED, "sending failed")
            report.still_deferred += 1
            raise _BotDown() from exc
        _finish(waiting, MessageStatus.ANSWERED, "answered by SMS")
        report.answered += 1
        after_bot_answer(conversation.id, waiting.id, body, waiting.channel)  # background


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

    Started by the first request rather than at start-up, so `flask` commands
    (which build the app too) and gunicorn's preloading parent never run it."""

    def __init__(self, app: Flask, interval: float):
        self.app = app
        self.interval = interval
        self._stop = threading.Event()
        self._started = False
        self._guard = threading.Lock()

    def start_once(self) -> None:
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
