"""Rasa's REST channel, reached over HTTP (the gateway never imports rasa).

Each language has its own dialogue model and so its own Rasa server (README, "One model per
language"); `RasaServers` picks the one for an account's language, English by default.
"""
from __future__ import annotations

import threading
from typing import Dict, List, Optional
from urllib.parse import quote

import requests
from urllib3.util import Timeout

from bot.language.languages import ENGLISH, parser_language
from store.conversations import conversation_language
from store.db import session_scope

WEBHOOK_PATH = "/webhooks/rest/webhook"


class RasaUnavailable(Exception):
    """Rasa did not answer usefully in time; the message waits for redelivery."""


class RasaAnsweredNothing(RasaUnavailable):
    """Rasa was reachable but returned no text: typically its action server is
    down (Rasa logs the failed action and carries on with nothing to say)."""


class RasaClient:
    def __init__(self, base_url: str, timeout: float):
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
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
        texts = [a["text"] for a in self.converse(sender, message) if a.get("text")]
        if not texts:
            raise RasaAnsweredNothing("empty answer")
        return texts

    def converse(self, sender: str, message: str) -> List[dict]:
        """Everything Rasa answers, in order: {"text": ...} and {"custom": ...} items (a
        response's custom payload follows its text). Raises like `send`."""
        try:
            response = self._session.post(
                self.base_url + WEBHOOK_PATH,
                json={"sender": sender, "message": message},
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
                params={"include_events": "NONE"},
                json=events,
                timeout=Timeout(total=self.timeout),
            )
            response.raise_for_status()
        except requests.RequestException as exc:
            raise RasaUnavailable(type(exc).__name__) from exc

    def is_up(self, timeout: float = 1.0) -> bool:
        try:
            return self._session.get(self.base_url + "/", timeout=timeout).ok
        except requests.RequestException:
            return False

    def latest_message(self, sender: str) -> Optional[dict]:
        """The parse of the conversation's latest user message (intent, confidence,
        intent_ranking, text), from the tracker without its events; None when the
        conversation has none. Raises RasaUnavailable when Rasa cannot say."""
        try:
            response = self._session.get(
                f"{self.base_url}/conversations/{quote(sender, safe='')}/tracker",
                params={"include_events": "NONE"},
                timeout=Timeout(total=self.timeout),
            )
            response.raise_for_status()
            tracker = response.json()
        except (requests.RequestException, ValueError) as exc:
            raise RasaUnavailable(type(exc).__name__) from exc
        latest = tracker.get("latest_message") if isinstance(tracker, dict) else None
        return latest if isinstance(latest, dict) and latest.get("intent") else None


class RasaServers:
    """One RasaClient per language. A conversation stays with its account's language's
    server for good (its tracker lives there); one without an account is English."""

    def __init__(self, urls: Dict[str, str], timeout: float):
        self.clients = {lang: RasaClient(url, timeout) for lang, url in urls.items()}

    def for_language(self, language: Optional[str]) -> RasaClient:
        return self.clients.get(parser_language(language)) or self.clients[ENGLISH]

    def for_conversation(self, conversation_id: str) -> RasaClient:
        with session_scope() as session:
            return self.for_language(conversation_language(session, conversation_id))

    def status(self, timeout: float = 1.0) -> Dict[str, str]:
        """"up" or "down" for each language's server (the health endpoint)."""
        return {lang: "up" if client.is_up(timeout) else "down"
                for lang, client in self.clients.items()}
