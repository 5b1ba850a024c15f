"""What the trainers' tests share: a fake Rasa that answers with the parse of each
message as bot/rest_channel.py does (or, as an older Rasa, without it) and also serves
trackers (the parse of each conversation's latest message, shaped as Rasa 3.6 returns it),
and parses built the way DIET and the FallbackClassifier build them."""
from __future__ import annotations

import io
import json
import re
import threading
from typing import Callable, Dict, Optional

from werkzeug.wrappers import Request, Response

from tests.console.console_support import FakeRasa

FALLBACK_THRESHOLD = 0.4  # config.yml's FallbackClassifier threshold


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


class TrackerRasa(FakeRasa):
    """FakeRasa plus `GET /conversations/<id>/tracker`: `parse(text)` decides how each
    message was classified (a confident greet by default), which the webhook answers with
    when asked (`?parse=true`) unless `answers_parse` is False (a Rasa without
    bot/rest_channel.py). `hold_trackers` makes tracker reads wait until it is set, to show
    nobody waits for them."""

    def __init__(self) -> None:
        super().__init__()
        self.parse: Callable[[str], dict] = lambda text: rasa_parse(text, "greet", 0.98)
        self.answers_parse = True
        self.latest: Dict[str, dict] = {}
        self.tracker_reads = 0
        self.tracker_status = 200
        self.hold_trackers: Optional[threading.Event] = None

    def _app(self, environ, start_response):
        request = Request(environ)
        match = re.fullmatch(r"/conversations/([^/]+)/tracker", request.path)
        if request.method == "GET" and match:
            self.tracker_reads += 1
            if self.hold_trackers is not None:
                self.hold_trackers.wait(10)
            if self.tracker_status != 200:
                return Response("error", status=self.tracker_status)(environ, start_response)
            sender = match.group(1)
            body = {"sender_id": sender, "slots": {}, "latest_message": self.latest.get(sender),
                    "events": None, "paused": False, "active_loop": {}}
            return Response(json.dumps(body), mimetype="application/json")(environ, start_response)
        if request.path == "/webhooks/rest/webhook":
            body = request.get_data()
            payload = json.loads(body)
            self.latest[payload["sender"]] = self.parse(payload["message"])
            environ["wsgi.input"] = io.BytesIO(body)  # FakeRasa reads it again
            if self.answers_parse and request.args.get("parse") == "true":
                answer = Response.from_app(super()._app, environ)
                return Response(json.dumps({
                    "messages": json.loads(answer.get_data()),
                    "parse": {key: self.latest[payload["sender"]][key]
                              for key in ("intent", "intent_ranking", "entities", "text")},
                }), mimetype="application/json")(environ, start_response)
        return super()._app(environ, start_response)
