"""One fake Rasa for every suite: Rasa's REST channel and tracker endpoints on 127.0.0.1
over real HTTP, with the knobs each suite turns (answers, delays, failures, outages,
hand-overs, parses, Rasa's auth token)."""
from __future__ import annotations

import json
import threading
import time
from typing import Callable, Dict, List, Optional, Union

from sqlalchemy import select
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from store.db import session_scope
from store.models import Conversation, OutcomeKind

FALLBACK_THRESHOLD = 0.4  # config.yml's FallbackClassifier threshold
HANDOFF_TEXT = "I'm passing you to a person at Northwind Credit, who will reply here within the hour."

Answer = Union[str, Dict]


def rasa_parse(text: str, intent: str, confidence: float, *others, fallback: bool = False) -> dict:
    """Rasa's `latest_message` for `text`: `others` are (intent, confidence) runners-up.
    With `fallback`, the FallbackClassifier's shape: nlu_fallback first, at its threshold."""
    ranking = [{"name": intent, "confidence": confidence}]
    ranking += [{"name": name, "confidence": value} for name, value in others]
    top = {"name": intent, "confidence": confidence}
    if fallback:
        top = {"name": "nlu_fallback", "confidence": FALLBACK_THRESHOLD}
        ranking.insert(0, dict(top))
    return {
        "intent": top, "entities": [], "text": text, "message_id": "m1", "metadata": {},
        "intent_ranking": ranking,
        "response_selector": {"all_retrieval_intents": [], "default": {}},
    }


def hand_over(conversation_id: str, reason: str = "request_human", verified: bool = True) -> int:
    """What actions/handoff.py does to the store when the bot hands over (after
    actions/identity.py verified the borrower, with `verified`)."""
    from store.handoffs import enqueue
    from store.outcomes import record_outcome

    with session_scope() as session:
        conversation = session.get(Conversation, conversation_id)
        if verified:
            record_outcome(session, OutcomeKind.VERIFIED, account_id=conversation.account_id,
                           conversation_id=conversation_id)
            session.flush()
        handoff = enqueue(session, conversation, reason)
        session.flush()
        return handoff.id


class FakeRasa:
    """Rasa on 127.0.0.1; tests set:
    - `answer(sender, text)`: texts, or whole answers as dicts ({"custom": ...} payloads);
      `script(*turns)` answers turns in order;
    - `delay` (seconds per turn) and `status` (a turn's HTTP status);
    - `hand_over_on`: a word that makes a message hand over as action_handoff does
      (`reason`, after verifying the borrower unless `verified` is False);
    - `keeps_turns`: like Rasa, each conversation's events hold a user event with the
      message's metadata, then the answer's bot events (events posted to
      .../tracker/events are kept either way);
    - `slots`: what GET .../tracker?include_events=NONE answers with (None: it fails);
      with events asked for it answers with them;
    - `parse(text)`: how a message was classified, kept as the tracker's latest_message
      and, when `answers_parse`, returned by the webhook asked `?parse=true`, as
      bot/rest_channel.py does; `tracker_status` fails tracker reads and `hold_trackers`
      makes them wait until it is set;
    - `token`: its HTTP API (/conversations/...) answers 401 without `?token=<token>`, as
      `rasa run --auth-token` does (`refused` counts them); the REST webhook needs none;
    - `up()` / `down()`: listening, or refusing connections, on the same port."""

    def __init__(self) -> None:
        self.calls: List[dict] = []
        self.events: Dict[str, List[dict]] = {}
        self.answer: Callable[[str, str], List[Answer]] = lambda sender, text: [f"Bot heard: {text}"]
        self.delay = 0.0
        self.status = 200
        self.hand_over_on: Optional[str] = None
        self.reason = "request_human"
        self.verified = True
        self.keeps_turns = True
        self.slots: Optional[dict] = None
        self.parse: Optional[Callable[[str], dict]] = None
        self.answers_parse = False
        self.latest: Dict[str, dict] = {}
        self.tracker_reads = 0
        self.tracker_status = 200
        self.hold_trackers: Optional[threading.Event] = None
        self.token: Optional[str] = None
        self.refused = 0
        self.in_flight = 0
        self.max_in_flight = 0  # how many turns Rasa was asked to run at once
        self._count_lock = threading.Lock()
        self.port: Optional[int] = None
        self._server = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def script(self, *turns: List[Answer]) -> None:
        """Answers the bot's turns in order (a call's start is the first)."""
        queue = list(turns)
        self.answer = lambda sender, text: queue.pop(0)

    def messages(self) -> List[str]:
        return [call["message"] for call in self.calls]

    def _json(self, body, environ, start_response):
        return Response(json.dumps(body), mimetype="application/json")(environ, start_response)

    def _app(self, environ, start_response):
        request = Request(environ)
        parts = request.path.strip("/").split("/")
        if request.path == "/":
            return Response("Hello from Rasa: 3.6.21")(environ, start_response)
        if self.token and parts[0] == "conversations" and request.args.get("token") != self.token:
            self.refused += 1
            return Response("User is not authenticated.", status=401)(environ, start_response)
        if request.method == "GET" and parts[0] == "conversations" and parts[2:] == ["tracker"]:
            return self._tracker(parts[1], request, environ, start_response)
        if request.method == "POST" and parts[0] == "conversations" and parts[2:] == ["tracker", "events"]:
            self.events.setdefault(parts[1], []).extend(request.get_json())
            return self._json({}, environ, start_response)
        return self._turn(request, environ, start_response)

    def _tracker(self, sender: str, request, environ, start_response):
        self.tracker_reads += 1
        if self.hold_trackers is not None:
            self.hold_trackers.wait(10)
        if self.tracker_status != 200:
            return Response("error", status=self.tracker_status)(environ, start_response)
        with_events = request.args.get("include_events", "AFTER_RESTART") != "NONE"
        if not with_events and self.slots is None:
            return Response("error", status=500)(environ, start_response)
        return self._json({
            "sender_id": sender, "slots": self.slots or {},
            "latest_message": self.latest.get(sender, {}),
            "events": self.events.get(sender, []) if with_events else None,
            "paused": False, "active_loop": {},
        }, environ, start_response)

    def _turn(self, request, environ, start_response):
        payload = request.get_json()
        sender, text = payload["sender"], payload["message"]
        self.calls.append(payload)
        with self._count_lock:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        time.sleep(self.delay)
        with self._count_lock:
            self.in_flight -= 1
        if self.status != 200:
            return Response("error", status=self.status)(environ, start_response)
        if self.parse is not None:
            self.latest[sender] = self.parse(text)
        if self.hand_over_on and self.hand_over_on in text.lower():
            hand_over(sender, self.reason, verified=self.verified)
            answers: List[Answer] = [HANDOFF_TEXT]
        else:
            answers = self.answer(sender, text)
        body = [{"recipient_id": sender, **({"text": a} if isinstance(a, str) else a)} for a in answers]
        if self.keeps_turns:
            self.events.setdefault(sender, []).append(
                {"event": "user", "text": text, "metadata": payload.get("metadata") or {},
                 "parse_data": {"intent": {"name": "greet", "confidence": 0.9}, "text": text}})
            self.events[sender] += [
                {"event": "bot", "text": a.get("text"), "data": {"custom": a.get("custom")}}
                for a in body]
        if self.answers_parse and request.args.get("parse") == "true" and sender in self.latest:
            parse = {key: self.latest[sender][key]
                     for key in ("intent", "intent_ranking", "entities", "text")}
            return self._json({"messages": body, "parse": parse}, environ, start_response)
        return self._json(body, environ, start_response)

    def up(self) -> None:
        self._server = make_server("127.0.0.1", self.port or 0, self._app, threaded=True)
        self.port = self._server.server_port
        threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True).start()

    def down(self) -> None:
        if self.hold_trackers is not None:
            self.hold_trackers.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None


# DEMO-1001 owes $453.50: what the actions record when it is agreed (details of the outcome,
# from which the store opens the arrangement).
AGREED = {
    "promise": {"date": "2026-12-14", "amount": "453.50", "currency": "USD"},
    "plan": {"months": 3, "total": "453.50", "down_payment": "0.00", "currency": "USD", "instalments": [
        {"number": 1, "due": "2026-12-14", "amount": "151.16"},
        {"number": 2, "due": "2027-01-14", "amount": "151.16"},
        {"number": 3, "due": "2027-02-14", "amount": "151.18"},
    ]},
    "deferral": {"new_due_date": "2026-12-21", "previous_due_date": "2026-11-10", "days": 14},
}


def agreed(kind: str) -> dict:
    """The details the bot records with an outcome of `kind` on DEMO-1001 ({} for the
    outcomes that agree nothing)."""
    return json.loads(json.dumps(AGREED.get(kind, {})))


def fake_bot_records(rasa: FakeRasa, account_id: str, kind: str, details: dict,
                     answer: str = "Done.") -> None:
    """The fake bot's turn records an agreement as the action server does (the store opens
    its arrangement), once per conversation, and says `answer`."""
    from store.models import Outcome
    from store.outcomes import record_outcome

    def turn(sender: str, text: str) -> List[str]:
        with session_scope() as session:
            done = session.execute(select(Outcome.id).where(
                Outcome.conversation_id == sender, Outcome.kind == kind)).first()
            if done is None:
                record_outcome(session, kind, account_id=account_id, conversation_id=sender,
                               details=json.loads(json.dumps(details)))
        return [answer]

    rasa.answer = turn
