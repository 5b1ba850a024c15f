"""Rasa's REST channel, reached over HTTP (the gateway never imports rasa).

Rasa's HTTP API (trackers) takes the token of `rasa run --auth-token` as a `token` query
parameter (RASA_TOKEN; Rasa has no header for it). Its REST channel webhook ignores that
token: Rasa must be reachable by the gateway only (docs/security.md).

Each language has its own dialogue model and so its own Rasa server (README, "One model per
language"); `RasaServers` picks the one for an account's language, English by default.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Dict, List, Optional
from urllib.parse import quote

import requests
from urllib3.util import Timeout

from bot.language.languages import ENGLISH, parser_language
from server.metrics import RASA_ERRORS, RASA_SECONDS
from store.conversations import conversation_language
from store.db import session_scope

WEBHOOK_PATH = "/webhooks/rest/webhook"


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
    """What the bot answered to one message: its texts, and the identity question it asked
    (None when it asked none), so the gateway knows the next message is an identity answer."""

    texts: List[str]
    identity_question: Optional[str] = None


def bot_reply(answers: List[dict]) -> BotReply:
    texts = [a["text"] for a in answers if a.get("text")]
    if not texts:
        raise RasaAnsweredNothing("empty answer")
    question = None
    for answer in answers:
        custom = answer.get("custom")
        asked = custom.get(IDENTITY_QUESTION_KEY) if isinstance(custom, dict) else None
        if asked in IDENTITY_QUESTIONS:
            question = asked
    return BotReply(texts, question)


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

    def send(self, sender: str, message: str) -> List[str]:
        """The texts Rasa answers to `message`. Raises RasaUnavailable when Rasa is
        down, slow, failing, or answers nothing at all (which is what Rasa does
        when the action server behind it is down)."""
        return self.reply(sender, message).texts

    def reply(self, sender: str, message: str, message_id: Optional[int] = None) -> BotReply:
        """The texts Rasa answers and the identity question they ask. `message_id`, the
        store's id of the message, goes to the actions as the message's metadata (they
        take an identity answer's text out of the transcript). Raises like `send`."""
        return bot_reply(self.converse(sender, message, message_id))

    def converse(self, sender: str, message: str, message_id: Optional[int] = None) -> List[dict]:
        """Everything Rasa answers, in order: {"text": ...} and {"custom": ...} items (a
        response's custom payload follows its text). Raises like `send`."""
        started = time.perf_counter()
        try:
            return self._converse(sender, message, message_id)
        except RasaUnavailable as exc:
            RASA_ERRORS.labels(self.language, type(exc.__cause__ or exc).__name__).inc()
            raise
        finally:
            RASA_SECONDS.labels(self.language).observe(time.perf_counter() - started)

    def _converse(self, sender: str, message: str, message_id: Optional[int]) -> List[dict]:
        payload: dict = {"sender": sender, "message": message}
        if message_id is not None:
            payload["metadata"] = {"message_id": message_id}
        try:
            response = self._session.post(
                self.base_url + WEBHOOK_PATH,
                json=payload,
                # total= bounds connect and read together: Twilio waits 15 s at most.
                timeout=Timeout(total=self.timeout),
            )
            response.raise_for_status()
            answers = response.json()
        except (requests.RequestException, ValueError) as exc:
            raise RasaUnavailable(type(exc).__name__) from exc
        if not isinstance(answers, list):
            raise RasaUnavailable("unexpected answer shape")
        answers = [a for a in answers if isinstance(a, dict) and (a.get("text") or a.get("custom"))]
        if not answers:
            raise RasaAnsweredNothing("empty answer")
        return answers

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

    def tracker(self, sender: str) -> dict:
        """The conversation's tracker without its events (slots, latest_message).
        Raises RasaUnavailable when Rasa cannot say."""
        try:
            response = self._session.get(
                f"{self.base_url}/conversations/{quote(sender, safe='')}/tracker",
                params={"include_events": "NONE", **self._auth},
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


class RasaServers:
    """One RasaClient per language. A conversation stays with its account's language's
    server for good (its tracker lives there); one without an account is English."""

    def __init__(self, urls: Dict[str, str], timeout: float, token: Optional[str] = None):
        self.clients = {lang: RasaClient(url, timeout, token, lang) for lang, url in urls.items()}

    def for_language(self, language: Optional[str]) -> RasaClient:
        return self.clients.get(parser_language(language)) or self.clients[ENGLISH]

    def for_conversation(self, conversation_id: str) -> RasaClient:
        with session_scope() as session:
            return self.for_language(conversation_language(session, conversation_id))

    def status(self, timeout: float = 1.0) -> Dict[str, str]:
        """"up" or "down" for each language's server (the health endpoint)."""
        return {lang: "up" if client.is_up(timeout) else "down"
                for lang, client in self.clients.items()}
