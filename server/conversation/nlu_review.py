"""The trainers' review inbox: filled from live conversations off the reply's path,
and decided (approve into the NLU data, or discard) from the console and the CLI.

After Rasa has answered a borrower, the gateway queues the message for two background
threads and returns the reply at once. How Rasa's NLU classified the message (the intent,
its confidence and the ranking; under the FallbackClassifier the intent is `nlu_fallback`
and the model's own best guess comes next in the ranking) came with the answer
(bot/rest_channel.py); from a Rasa that did not send it, a thread reads it from the
tracker (`GET /conversations/<id>/tracker?include_events=NONE`, `latest_message`). The
message is filed when
  - the model fell back (too unsure, or its two best intents too close), or
  - its best intent's confidence is below NLU_REVIEW_CONFIDENCE (default 0.7), or
  - the message falls in the NLU_REVIEW_SAMPLE_RATE sample of the rest (default 2%;
    decided by a hash of the message id, so a message is in or out for good).
The text is redacted (language/redaction.py, with the account holder's names from the store)
before it is stored. A message sent while the bot waited for an identity answer is filed
only when the bot read no answer from it and it holds nothing that could be one (no digit,
number word or month): a birth date or ID digits the bot failed to read must not reach the
trainers either, while "I want a person" in its place should. Nothing here can fail or slow a webhook: a full queue drops the
capture, and any error is logged (without the message) and forgotten. The cost on Rasa:
none with the parse in the answer; one tracker read per answered message otherwise.

`approve` and `discard` are the one way an item is decided, whoever asks.
"""
from __future__ import annotations

import hashlib
import logging
import queue
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import List, Optional, Sequence

from flask import Flask, current_app
from sqlalchemy import update

from bot.annotation import Entity, NluData, Written, display_path, normalise
from language.redaction import redact
from lending.languages import parser_language
from server import services
from server.conversation.rasa_client import RasaRefusedToken, RasaServers, RasaUnavailable
from store import reviews
from store.db import session_scope
from store.identity import is_identity_answer
from store.models import Message, ReviewItem, ReviewReason, ReviewStatus
from store.outcomes import audit

log = logging.getLogger(__name__)

FALLBACK_INTENT = "nlu_fallback"
ALTERNATIVES = 3  # runners-up kept with each item
MAX_WAITING = 200  # captures queued at most; more are dropped (the inbox is a sample anyway)
EXTENSION = "repay.nlu_review"

# What an answer to "what is your date of birth / the last 4 digits of your ID" is made of,
# in either language: digits of any script, number words and month names.
_IDENTITY_DATA = re.compile(
    r"\d|[零〇一二两三四五六七八九十百千万]|\b(?:zero|oh|one|two|three|four|five|six|seven|eight|"
    r"nine|ten|eleven|twelve|(?:thir|four|fif|six|seven|eigh|nine)teen(?:th)?|twenty|thirty|"
    r"forty|fifty|sixty|seventy|eighty|ninety|hundred|thousand|double|triple|first|second|"
    r"third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|eleventh|twelfth|twentieth|"
    r"thirtieth|jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    r"sep(?:t|tember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\b",
    re.IGNORECASE,
)


def could_be_identity_answer(text: str) -> bool:
    return _IDENTITY_DATA.search(text) is not None


@dataclass(frozen=True)
class Verdict:
    intent: Optional[str]
    confidence: float
    fell_back: bool
    alternatives: List[dict]
    reason: str


def sampled(key: str, rate: float) -> bool:
    """Whether `key` is in a `rate` share: the same answer for the same key, always."""
    if rate <= 0:
        return False
    value = int(hashlib.sha256(key.encode()).hexdigest()[:12], 16) / float(16**12)
    return value < rate


def judge(parse: dict, low_confidence: float, sample_rate: float, key: str) -> Optional[Verdict]:
    """Whether (and why) a parse goes to the inbox; None when it does not."""
    intent = parse.get("intent") or {}
    ranking = [
        {"intent": r.get("name"), "confidence": round(float(r.get("confidence") or 0.0), 4)}
        for r in parse.get("intent_ranking") or [] if r.get("name")
    ]
    fell_back = intent.get("name") == FALLBACK_INTENT
    ranking = [r for r in ranking if r["intent"] != FALLBACK_INTENT]
    if not ranking and intent.get("name") and not fell_back:
        ranking = [{"intent": intent["name"], "confidence": float(intent.get("confidence") or 0)}]
    best = ranking[0] if ranking else {"intent": None, "confidence": 0.0}
    if fell_back:
        reason = ReviewReason.FALLBACK
    elif best["confidence"] < low_confidence:
        reason = ReviewReason.LOW_CONFIDENCE
    elif sampled(key, sample_rate):
        reason = ReviewReason.SAMPLE
    else:
        return None
    return Verdict(best["intent"], best["confidence"], fell_back,
                   ranking[1:1 + ALTERNATIVES], reason)


class ReviewCapture:
    """The background half: a bounded queue and two daemon threads, started with the
    serving process (server.start_background_work), or by the first capture of an app
    that was not started so (tests). Never by create_app: `flask` commands and
    gunicorn's parent build the app too. Daemon threads: a process that stops loses
    what is still queued, never waits for it."""

    def __init__(self, rasa: RasaServers, low_confidence: float, sample_rate: float,
                 workers: int = 2):
        self.rasa = rasa
        self.low_confidence = low_confidence
        self.sample_rate = sample_rate
        self._queue: "queue.Queue[tuple]" = queue.Queue(maxsize=MAX_WAITING)
        self._workers = workers
        self._started = False
        self._guard = threading.Lock()

    def submit(self, conversation_id: str, message_id: int, text: str, channel: str,
               asked_identity: bool = False, parse: Optional[dict] = None) -> None:
        self.start()
        try:
            self._queue.put_nowait(
                (conversation_id, message_id, text, channel, asked_identity, parse))
        except queue.Full:
            log.warning("nlu review: %d captures waiting, message %s not captured",
                        MAX_WAITING, message_id)

    def start(self) -> None:
        if self._started:
            return
        with self._guard:
            if not self._started:
                for n in range(self._workers):
                    threading.Thread(target=self._work, name=f"nlu-review-{n}", daemon=True).start()
                self._started = True

    def _work(self) -> None:
        while True:
            conversation_id, message_id, text, channel, asked_identity, parse = self._queue.get()
            try:
                self.capture(conversation_id, message_id, text, channel, asked_identity, parse)
            except Exception as exc:  # never let a capture disturb anything else
                log.warning("nlu review: message %s not captured (%s)", message_id,
                            type(exc).__name__)
            finally:
                self._queue.task_done()

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Until every queued capture has finished (tests)."""
        with self._queue.all_tasks_done:
            return self._queue.all_tasks_done.wait_for(
                lambda: self._queue.unfinished_tasks == 0, timeout
            )

    def capture(self, conversation_id: str, message_id: int, text: str, channel: str,
                asked_identity: bool = False, parse: Optional[dict] = None) -> bool:
        """Files the message if its parse qualifies (`parse`: the one Rasa answered with;
        None: read from the tracker); True when filed. An identity answer never is: the
        transcript holds a placeholder for it, and its text (a birth date, ID digits) must
        not reach the trainers in any form. `asked_identity`: the message came while the bot
        waited for one."""
        if asked_identity and could_be_identity_answer(text):
            return False
        if parse is not None:  # most messages are not filed: judged before the store is read
            verdict = judge(parse, self.low_confidence, self.sample_rate, f"message:{message_id}")
            if verdict is None:
                return False
        with session_scope() as session:
            message = session.get(Message, message_id)
            if message is None or is_identity_answer(message):
                return False
        if parse is None:
            parse = self._latest_parse(conversation_id, message_id, text)
            if parse is None:
                return False
            verdict = judge(parse, self.low_confidence, self.sample_rate, f"message:{message_id}")
            if verdict is None:
                return False
        with session_scope() as session:
            names, language = reviews.borrower_facts(session, conversation_id)
            redacted = redact(text, names)
            item = reviews.add(session, reviews.Capture(
                message_id=message_id, conversation_id=conversation_id, channel=channel,
                language=language,
                text=redacted, normalised=normalise(redacted), intent=verdict.intent,
                confidence=verdict.confidence, fell_back=verdict.fell_back,
                alternatives=verdict.alternatives, reason=verdict.reason,
            ))
        if item is not None:
            log.info("nlu review: message %s filed (%s, %s %.2f)", message_id,
                     verdict.reason, verdict.intent, verdict.confidence)
        return item is not None

    def _latest_parse(self, conversation_id: str, message_id: int, text: str) -> Optional[dict]:
        """The parse of the conversation's latest message, read from its tracker, when that
        message is this one."""
        try:
            parse = self.rasa.for_conversation(conversation_id).latest_message(conversation_id)
        except RasaRefusedToken as exc:
            log.warning("nlu review: message %s not captured: %s", message_id, exc)
            return None
        except RasaUnavailable as exc:
            log.info("nlu review: tracker of %s unavailable (%s)", conversation_id, exc)
            return None
        if parse is None or (parse.get("text") or "").strip() != text.strip():
            # A later message of the same conversation got there first: its own capture
            # reads that one; this one is left out rather than filed with a wrong parse.
            log.info("nlu review: message %s is no longer the latest, skipped", message_id)
            return None
        return parse


def init_app(app: Flask) -> None:
    settings = services(app).settings
    app.extensions[EXTENSION] = ReviewCapture(
        services(app).rasa, settings.nlu_review_confidence, settings.nlu_review_sample_rate,
    )


def after_bot_answer(conversation_id: Optional[str], message_id: Optional[int], text: str,
                     channel: str = "sms", *, asked_identity: bool = False,
                     parse: Optional[dict] = None) -> None:
    """Called once Rasa has answered a borrower's message and it is marked answered: queues
    its capture and returns at once. `asked_identity`: the message came while the bot waited
    for an identity answer; `parse`: how Rasa's NLU read it, when Rasa said (BotReply.parse).
    A no-op outside an app built by create_app."""
    if not conversation_id or message_id is None or not text.strip():
        return
    capture = current_app.extensions.get(EXTENSION)
    if capture is not None:
        capture.submit(conversation_id, message_id, text, channel, asked_identity, parse)


class NotPending(Exception):
    """The item was decided already (or does not exist); the message says by whom."""


def training_data(data_dir: Path, language: Optional[str]) -> NluData:
    """A language's NLU training data: NLU_DATA_DIR/<en|zh> (what bot/training.py trains)."""
    return NluData(Path(data_dir) / parser_language(language))


def approve(item_id: int, by: str, actor: str, intent: str, text: str,
            entities: Sequence[Entity], data_dir: Path) -> Written:
    """Writes the example into the NLU data and marks the item approved, as one unit:
    the item is decided first (a conditional UPDATE holds it), the file written next,
    and a refused example (bot.annotation.AnnotationRefused) rolls the decision back."""
    with session_scope() as db:
        item = db.get(ReviewItem, item_id)
        if item is None:
            raise NotPending(f"no inbox item #{item_id}")
        if not reviews.decide(db, item_id, by, ReviewStatus.APPROVED, intent=intent):
            db.refresh(item)
            raise NotPending(f"item #{item_id} was already {item.status} by {item.reviewed_by}")
        written = training_data(data_dir, item.language).add_example(intent, text, entities)
        db.execute(
            update(ReviewItem).where(ReviewItem.id == item_id)
            .values(example=written.example, written_to=written.where()[:300])
            .execution_options(synchronize_session=False)
        )
        audit(db, actor, "nlu_approve", details={
            "item_id": item_id, "intent": intent, "predicted": item.intent,
            "file": display_path(written.file), "line": written.line,
            "already_present": written.already_present,
        })
    return written


def discard(item_id: int, by: str, actor: str) -> None:
    with session_scope() as db:
        item = db.get(ReviewItem, item_id)
        if item is None:
            raise NotPending(f"no inbox item #{item_id}")
        if not reviews.decide(db, item_id, by, ReviewStatus.DISCARDED):
            db.refresh(item)
            raise NotPending(f"item #{item_id} was already {item.status} by {item.reviewed_by}")
        audit(db, actor, "nlu_discard", details={"item_id": item_id, "predicted": item.intent})
