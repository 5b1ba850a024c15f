"""Rasa's REST channel, reached over HTTP (the gateway never imports rasa).

Rasa's HTTP API (trackers) takes the token of `rasa run --auth-token` as a `token` query
parameter (RASA_TOKEN; Rasa has no header for it). Its REST channel webhook ignores that
token: Rasa must be reachable by the gateway only (docs/security.md). The webhook is asked
for how the NLU read the message too (`?parse=true`, bot/rest_channel.py); a Rasa without
that channel answers the plain list, and the parse is then None.

Each language has its own dialogue model and so its own Rasa servers (docs/languages.md);
`RasaServers` picks the ones for an account's language, English by default. A
language may have several Rasa processes sharing their trackers and locks in Redis
(RASA_URL is a comma-separated list): `RasaPool` spreads conversations over them.
"""
from __future__ import annotations

import hashlib
import logging
import threading
import time
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence
from urllib.parse import quote

import requests
from urllib3.exceptions import ConnectTimeoutError, MaxRetryError, NewConnectionError
from urllib3.util import Timeout

from lending.languages import ENGLISH, parser_language
from server.metrics import RASA_ERRORS, RASA_SECONDS
from store.conversations import conversation_language
from store.db import session_scope

log = logging.getLogger(__name__)

WEBHOOK_PATH = "/webhooks/rest/webhook"
PARSE_KEYS = ("intent", "intent_ranking", "entities", "text")  # what bot/rest_channel.py sends
SESSION_START = "action_session_start"
# A Rasa process found down is skipped; its health check is tried again after this long.
RECHECK_SECONDS = 5.0


class RasaUnavailable(Exception):
    """Rasa did not answer usefully in time; the message waits for redelivery."""


class RasaRefusedToken(RasaUnavailable):
    """Rasa's HTTP API answered 401/403: RASA_TOKEN is not the `rasa run --auth-token` value.
    A setting to fix, not an outage to wait out."""


def _raise_for_status(response: requests.Response) -> None:
    if response.status_code in (401, 403):
        raise RasaRefusedToken(f"Rasa's HTTP API answered {response.status_code}: check RASA_TOKEN")
    response.raise_for_status()


class RasaAnsweredNothing(RasaUnavailable):
    """Rasa was reachable but returned no text: typically its action server is
    down (Rasa logs the failed action and carries on with nothing to say)."""


# The custom payload key by which a response says it asks an identity question
# (domain.yml: utter_ask_identity_form_<slot>), and the questions it may name.
IDENTITY_QUESTION_KEY = "identity_question"
IDENTITY_QUESTIONS = ("birth_date", "id_last4")


@dataclass(frozen=True)
class BotReply:
    """What the bot answered to one message: its texts, the identity question it asked
    (None when it asked none), so the gateway knows the next message is an identity answer,
    and how the NLU read the message (None from a Rasa that does not say)."""

    texts: List[str]
    identity_question: Optional[str] = None
    parse: Optional[dict] = None


@dataclass(frozen=True)
class Exchange:
    """Everything Rasa answered to one message, in order ({"text": ...} and {"custom": ...}
    items), and how its NLU read the message (None when it did not say)."""

    answers: List[dict]
    parse: Optional[dict] = None


@dataclass(frozen=True)
class AppliedTurn:
    """A message Rasa's tracker holds already: what the bot answered to it (nothing when
    its turn failed), how the NLU read it, and whether a later message followed it."""

    answers: List[dict]
    parse: Optional[dict]
    latest: bool


def applied_turn(events: Sequence[dict], message_id: int) -> Optional[AppliedTurn]:
    """The turn of the user event whose metadata carries `message_id` (the gateway sends
    it with every message), from a tracker's events; None when there is none."""
    users = [n for n, event in enumerate(events) if event.get("event") == "user"]
    found = next((n for n in reversed(users)
                  if str((events[n].get("metadata") or {}).get("message_id")) == str(message_id)),
                 None)
    if found is None:
        return None
    # The turn's answer: what a session it started said first (Rasa starts the session
    # before it logs the message), then what followed the message, up to the next one.
    earlier = [n for n in users if n < found]
    session_start = next((n for n in range(found - 1, earlier[-1] if earlier else -1, -1)
                          if events[n].get("event") == "action"
                          and events[n].get("name") == SESSION_START), None)
    turn = events[session_start + 1:found] if session_start is not None else []
    for event in events[found + 1:]:
        if event.get("event") == "user":
            break
        turn.append(event)
    answers: List[dict] = []
    for event in turn:
        if event.get("event") == "bot":
            # As Rasa's REST channel answers a response: its text, then its custom payload.
            if event.get("text"):
                answers.append({"text": event["text"]})
            custom = (event.get("data") or {}).get("custom")
            if custom:
                answers.append({"custom": custom})
    parse_data = events[found].get("parse_data") or {}
    return AppliedTurn(answers, {key: parse_data.get(key) for key in PARSE_KEYS},
                       latest=found == users[-1])


def bot_reply(exchange: Exchange) -> BotReply:
    answers = exchange.answers
    texts = [a["text"] for a in answers if a.get("text")]
    if not texts:
        raise RasaAnsweredNothing("empty answer")
    question = None
    for answer in answers:
        custom = answer.get("custom")
        asked = custom.get(IDENTITY_QUESTION_KEY) if isinstance(custom, dict) else None
        if asked in IDENTITY_QUESTIONS:
            question = asked
    return BotReply(texts, question, exchange.parse)


class RasaClient:
    def __init__(self, base_url: str, timeout: float, token: Optional[str] = None,
                 language: str = ENGLISH):
        self.base_url = base_url.rstrip("/")
        self.language = language  # the metrics' label
        self.timeout = timeout
        self._auth = {"token": token} if token else {}  # the HTTP API's, not the webhook's
        self._local = threading.local()  # one pooled requests.Session per thread

    @property
    def _session(self) -> requests.Session:
        if not hasattr(self._local, "session"):
            self._local.session = requests.Session()
        return self._local.session

    def exchange(self, sender: str, message: str, message_id: Optional[int] = None) -> Exchange:
        """Rasa's answers and its parse of the message. Raises RasaUnavailable when Rasa is
        down, slow, failing, or answers nothing at all (which is what Rasa does when the
        action server behind it is down)."""
        started = time.perf_counter()
        try:
            return self._exchange(sender, message, message_id)
        except RasaUnavailable as exc:
            RASA_ERRORS.labels(self.language, type(exc.__cause__ or exc).__name__).inc()
            raise
        finally:
            RASA_SECONDS.labels(self.language).observe(time.perf_counter() - started)

    def _exchange(self, sender: str, message: str, message_id: Optional[int]) -> Exchange:
        payload: dict = {"sender": sender, "message": message}
        if message_id is not None:
            payload["metadata"] = {"message_id": message_id}
        try:
            response = self._session.post(
                self.base_url + WEBHOOK_PATH,
                params={"parse": "true"},
                json=payload,
                # total= bounds connect and read together: Twilio waits 15 s at most.
                timeout=Timeout(total=self.timeout),
            )
            response.raise_for_status()
            body = response.json()
        except (requests.RequestException, ValueError) as exc:
            raise RasaUnavailable(type(exc).__name__) from exc
        parse = None
        if isinstance(body, dict):  # bot/rest_channel.py's, asked for the parse
            parse = body.get("parse") if isinstance(body.get("parse"), dict) else None
            body = body.get("messages")
        if not isinstance(body, list):
            raise RasaUnavailable("unexpected answer shape")
        answers = [a for a in body if isinstance(a, dict) and (a.get("text") or a.get("custom"))]
        if not answers:
            raise RasaAnsweredNothing("empty answer")
        return Exchange(answers, parse)

    def add_events(self, sender: str, events: List[dict]) -> None:
        """Appends events to the conversation's tracker through Rasa's HTTP API
        (`rasa run --enable-api`); raises RasaUnavailable when that fails."""
        try:
            response = self._session.post(
                f"{self.base_url}/conversations/{quote(sender, safe='')}/tracker/events",
                params={"include_events": "NONE", **self._auth},
                json=events,
                timeout=Timeout(total=self.timeout),
            )
            _raise_for_status(response)
        except requests.RequestException as exc:
            raise RasaUnavailable(type(exc).__name__) from exc

    def is_up(self, timeout: float = 1.0) -> bool:
        try:
            return self._session.get(self.base_url + "/", timeout=timeout).ok
        except requests.RequestException:
            return False

    def tracker(self, sender: str, events: str = "NONE") -> dict:
        """The conversation's tracker, without its events by default (slots,
        latest_message; `events`: Rasa's include_events). Raises RasaUnavailable when Rasa
        cannot say."""
        try:
            response = self._session.get(
                f"{self.base_url}/conversations/{quote(sender, safe='')}/tracker",
                params={"include_events": events, **self._auth},
                timeout=Timeout(total=self.timeout),
            )
            _raise_for_status(response)
            tracker = response.json()
        except (requests.RequestException, ValueError) as exc:
            raise RasaUnavailable(type(exc).__name__) from exc
        if not isinstance(tracker, dict):
            raise RasaUnavailable("tracker is not an object")
        return tracker

    def latest_message(self, sender: str) -> Optional[dict]:
        """The parse of the conversation's latest user message (intent, confidence,
        intent_ranking, text); None when the conversation has none."""
        latest = self.tracker(sender).get("latest_message")
        return latest if isinstance(latest, dict) and latest.get("intent") else None


def _never_reached(exc: RasaUnavailable) -> bool:
    """Whether the request failed before Rasa could have read it (no connection made)."""
    cause = exc.__cause__
    if isinstance(cause, requests.ConnectTimeout):
        return True
    reason = cause.args[0] if isinstance(cause, requests.ConnectionError) and cause.args else None
    return isinstance(reason, MaxRetryError) and isinstance(
        reason.reason, (NewConnectionError, ConnectTimeoutError))


def _is_down(exc: RasaUnavailable) -> bool:
    """Whether a failure says the process is down (no connection, or a 5xx), rather than
    slow or answering nothing."""
    cause = exc.__cause__
    return _never_reached(exc) or (
        isinstance(cause, requests.HTTPError) and cause.response is not None
        and cause.response.status_code >= 500)


class RasaPool:
    """A language's Rasa processes (one or more), which share their trackers and locks
    through Redis, so any of them can take any turn of a conversation. Each conversation
    goes to the process its id ranks first among those up (rendezvous hashing: the same
    one every turn, where that process holds the conversation's events in memory, and
    spread evenly). A process that refuses the connection or answers 5xx is skipped until
    its health check passes again (tried at most every RECHECK_SECONDS); a message it
    never received goes to the next one at once. One whose failure leaves in doubt whether
    it applied the message (a timeout, a 5xx) is not retried elsewhere: the message waits
    for redelivery, which asks the tracker first (`reply_once`)."""

    def __init__(self, urls: Sequence[str], timeout: float, token: Optional[str] = None,
                 language: str = ENGLISH, recheck_seconds: float = RECHECK_SECONDS):
        self.clients = [RasaClient(url, timeout, token, language) for url in urls]
        self.base_url = ",".join(client.base_url for client in self.clients)
        self.recheck_seconds = recheck_seconds
        self._down: Dict[str, float] = {}  # base_url -> when last found down (monotonic)
        self._guard = threading.Lock()

    def _ranked(self, sender: str) -> List[RasaClient]:
        """The processes for this conversation, in its order of preference, those up first
        (a pool all down still tries them all)."""
        ranked = sorted(self.clients, key=lambda client: hashlib.sha256(
            f"{client.base_url} {sender}".encode()).digest())
        up = [client for client in ranked if self._usable(client)]
        return up + [client for client in ranked if client not in up]

    def _usable(self, client: RasaClient) -> bool:
        with self._guard:
            since = self._down.get(client.base_url)
            if since is None:
                return True
            if time.monotonic() - since < self.recheck_seconds:
                return False
            self._down[client.base_url] = time.monotonic()  # one health check at a time
        if client.is_up():
            with self._guard:
                self._down.pop(client.base_url, None)
            log.info("rasa %s is up again", client.base_url)
            return True
        return False

    def _mark_down(self, client: RasaClient, exc: RasaUnavailable) -> None:
        with self._guard:
            if client.base_url not in self._down:
                log.warning("rasa %s is down (%s): skipped until its health check passes",
                            client.base_url, exc)
            self._down[client.base_url] = time.monotonic()

    def _first(self, sender: str, call):
        """`call(client)` on the conversation's process, or the next when a process could
        not be reached."""
        failure: Optional[RasaUnavailable] = None
        for client in self._ranked(sender):
            try:
                return call(client)
            except RasaRefusedToken:
                raise
            except RasaUnavailable as exc:
                if not _is_down(exc):
                    raise
                self._mark_down(client, exc)
                if not _never_reached(exc):
                    raise
                failure = exc
        assert failure is not None
        raise failure

    def reply(self, sender: str, message: str, message_id: Optional[int] = None) -> BotReply:
        """The texts Rasa answers, the identity question they ask and the message's parse.
        `message_id`, the store's id of the message, goes to Rasa as the message's metadata
        (the actions take an identity answer's text out of the transcript with it; it marks
        the turn in the tracker). Raises like RasaClient.exchange."""
        return bot_reply(self.exchange(sender, message, message_id))

    def converse(self, sender: str, message: str, message_id: Optional[int] = None) -> List[dict]:
        """Everything Rasa answers, in order: {"text": ...} and {"custom": ...} items (a
        response's custom payload follows its text). Raises like RasaClient.exchange."""
        return self.exchange(sender, message, message_id).answers

    def exchange(self, sender: str, message: str, message_id: Optional[int] = None) -> Exchange:
        return self._first(sender, lambda client: client.exchange(sender, message, message_id))

    def reply_once(self, sender: str, message: str, message_id: int) -> BotReply:
        """`reply` for a message sent before (it timed out, Rasa failed or answered nothing):
        applied once at most. When the tracker holds its turn, that turn's answer is the
        reply; a turn that failed (no answer) is undone (Rasa's `rewind`) and the message
        sent again; a failed turn a later message has followed is not (RasaAnsweredNothing)."""
        events = self.tracker(sender, events="AFTER_RESTART").get("events") or []
        turn = applied_turn(events, message_id)
        if turn is None:
            return self.reply(sender, message, message_id)
        log.info("conversation %s message %s: already applied by Rasa", sender, message_id)
        if turn.answers:
            return bot_reply(Exchange(turn.answers, turn.parse))
        if not turn.latest:
            raise RasaAnsweredNothing("applied without an answer, and the conversation went on")
        self.add_events(sender, [{"event": "rewind"}])
        return self.reply(sender, message, message_id)

    def add_events(self, sender: str, events: List[dict]) -> None:
        self._first(sender, lambda client: client.add_events(sender, events))

    def tracker(self, sender: str, events: str = "NONE") -> dict:
        return self._first(sender, lambda client: client.tracker(sender, events))

    def latest_message(self, sender: str) -> Optional[dict]:
        return self._first(sender, lambda client: client.latest_message(sender))


class RasaServers:
    """The Rasa processes of each language. A conversation stays with its account's
    language's model for good; one without an account is English."""

    def __init__(self, urls: Dict[str, Sequence[str]], timeout: float,
                 token: Optional[str] = None, recheck_seconds: float = RECHECK_SECONDS):
        self.pools = {lang: RasaPool(list(lang_urls), timeout, token, lang, recheck_seconds)
                      for lang, lang_urls in urls.items()}

    def for_language(self, language: Optional[str]) -> RasaPool:
        return self.pools.get(parser_language(language)) or self.pools[ENGLISH]

    def for_conversation(self, conversation_id: str) -> RasaPool:
        with session_scope() as session:
            return self.for_language(conversation_language(session, conversation_id))

    def status(self, timeout: float = 1.0) -> Dict[str, str]:
        """Each language's Rasa processes (the health endpoint): "up" (all answer their
        health check), "down" (none does), or how many of them answer ("1/2 up")."""
        status = {}
        for lang, pool in self.pools.items():
            up, count = sum(client.is_up(timeout) for client in pool.clients), len(pool.clients)
            status[lang] = "up" if up == count else "down" if not up else f"{up}/{count} up"
        return status
