"""Plays Twilio's side of the webhooks: signs a form post the way Twilio does and reads
what the borrower would get out of the TwiML that comes back - the replies to an SMS, or,
turn by turn, what a call says and asks (SimulatedCall)."""
from __future__ import annotations

import itertools
import uuid
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from typing import Dict, List, Optional
from urllib.parse import urljoin

import requests
from twilio.request_validator import RequestValidator


class SimulatedTwilio:
    def __init__(self, gateway_url: str, auth_token: str, lender_number: str = "+18005550199"):
        self.gateway_url = gateway_url.rstrip("/")
        self.validator = RequestValidator(auth_token)
        self.lender_number = lender_number
        self.http = requests.Session()
        self._sids = itertools.count(1)

    def new_message_sid(self) -> str:
        return f"SM{uuid.uuid4().hex}"

    def post(self, path: str, params: Dict[str, str], timeout: float = 20) -> requests.Response:
        url = f"{self.gateway_url}{path}"
        signature = self.validator.compute_signature(url, params)
        return self.http.post(
            url, data=params, headers={"X-Twilio-Signature": signature}, timeout=timeout
        )

    def call(self, phone: str) -> "SimulatedCall":
        """A call from `phone` to the lender's number."""
        return SimulatedCall(self, f"CA{uuid.uuid4().hex}", phone, self.lender_number, "inbound")

    def placed_call(self, call_sid: str, phone: str, call_id: Optional[int] = None) -> "SimulatedCall":
        """An outbound call the gateway placed (into the outbox), ringing at `phone`."""
        return SimulatedCall(self, call_sid, self.lender_number, phone, "outbound-api", call_id)

    def sms(self, phone: str, body: str, message_sid: Optional[str] = None,
            media: int = 0) -> List[str]:
        """Sends one SMS from `phone` and returns the texts the borrower receives."""
        params = {
            "MessageSid": message_sid or self.new_message_sid(),
            "AccountSid": "AC" + "0" * 32,
            "From": phone,
            "To": self.lender_number,
            "Body": body,
            "NumMedia": str(media),
        }
        response = self.post("/twilio/sms", params)
        response.raise_for_status()
        return twiml_messages(response.text)


def twiml_messages(twiml: str) -> List[str]:
    root = ET.fromstring(twiml)
    return [(element.text or "").strip() for element in root.iter("Message")]


# --- calls ---------------------------------------------------------------------------------

@dataclass
class CallTurn:
    """One TwiML document of a call, as the caller (or the agent) meets it."""

    twiml: str
    said: List[str] = field(default_factory=list)  # every <Say>, in order
    gather: Optional[Dict[str, str]] = None  # the <Gather>'s attributes: a question to answer
    hangup: bool = False
    dial: Optional[Dict[str, str]] = None  # <Dial> attributes plus "number" and its "url"
    redirect: Optional[str] = None
    paused: bool = False

    @property
    def text(self) -> str:
        return " ".join(self.said)

    @classmethod
    def parse(cls, twiml: str) -> "CallTurn":
        root = ET.fromstring(twiml)
        if root.tag != "Response":
            raise ValueError(f"not TwiML: <{root.tag}>")
        turn = cls(twiml=twiml)
        for element in root.iter():
            if element.tag == "Say":
                turn.said.append((element.text or "").strip())
            elif element.tag == "Gather":
                turn.gather = dict(element.attrib)
            elif element.tag == "Hangup":
                turn.hangup = True
            elif element.tag == "Redirect":
                turn.redirect = (element.text or "").strip()
            elif element.tag == "Pause":
                turn.paused = True
            elif element.tag == "Dial":
                turn.dial = dict(element.attrib)
                number = element.find("Number")
                if number is not None:
                    turn.dial["number"] = (number.text or "").strip()
                    turn.dial["url"] = number.get("url", "")
        return turn


class SimulatedCall:
    """Twilio's side of one phone call: the webhooks a real call makes, signed, in order.
    The caller speaks (`say`), presses keys (`press`), or stays silent (`silence`)."""

    def __init__(self, twilio: "SimulatedTwilio", call_sid: str, caller: str, called: str,
                 direction: str, call_id: Optional[int] = None):
        self.twilio = twilio
        self.call_sid = call_sid
        self.caller, self.called, self.direction = caller, called, direction
        self.call_id = call_id
        self.turns: List[CallTurn] = []
        self.ended = False

    @property
    def last(self) -> Optional[CallTurn]:
        return self.turns[-1] if self.turns else None

    def _params(self, **extra: str) -> Dict[str, str]:
        params = {
            "CallSid": self.call_sid, "AccountSid": "AC" + "0" * 32, "From": self.caller,
            "To": self.called, "CallStatus": "in-progress", "Direction": self.direction,
            "ApiVersion": "2010-04-01",
        }
        params.update({k: v for k, v in extra.items() if v is not None})
        return params

    def _post(self, path: str, params: Dict[str, str]) -> CallTurn:
        response = self.twilio.post(path, params, timeout=30)
        response.raise_for_status()
        turn = CallTurn.parse(response.text)
        self.turns.append(turn)
        if turn.hangup or turn.dial is not None:
            self.ended = turn.hangup
        return turn

    def answer(self, answered_by: Optional[str] = None) -> CallTurn:
        """The call connects: the voice URL. `answered_by` is answering-machine detection's
        verdict on an outbound call (human, machine_end_beep, ...)."""
        path = "/twilio/voice" + (f"?call={self.call_id}" if self.call_id is not None else "")
        return self._post(path, self._params(AnsweredBy=answered_by))

    def _action(self) -> str:
        if self.last is None or self.last.gather is None:
            raise RuntimeError("the call is not waiting for an answer")
        return urljoin("/twilio/voice", self.last.gather.get("action") or "/twilio/voice/turn")

    def say(self, text: str, confidence: float = 0.92) -> CallTurn:
        return self._post(self._action(), self._params(
            SpeechResult=text, Confidence=f"{confidence:.2f}"))

    def press(self, digits: str) -> CallTurn:
        return self._post(self._action(), self._params(Digits=digits))

    def silence(self) -> CallTurn:
        """No answer before the Gather's timeout (actionOnEmptyResult posts anyway)."""
        return self._post(self._action(), self._params())

    def dial_ended(self, dial_status: str) -> CallTurn:
        """The transfer to the agents' line ended: completed, busy, no-answer, failed."""
        if self.last is None or self.last.dial is None:
            raise RuntimeError("the call is not being transferred")
        action = urljoin("/twilio/voice", self.last.dial.get("action") or "/twilio/voice")
        return self._post(action, self._params(DialCallStatus=dial_status, DialCallDuration="0"))

    def agent_hears(self) -> CallTurn:
        """What the agent who picks up hears before the two are connected (the whisper)."""
        if self.last is None or self.last.dial is None or not self.last.dial.get("url"):
            raise RuntimeError("the call is not being transferred")
        response = self.twilio.post(urljoin("/twilio/voice", self.last.dial["url"]),
                                    self._params(Direction="outbound-dial"))
        response.raise_for_status()
        return CallTurn.parse(response.text)

    def status(self, call_status: str, duration: int = 60, answered_by: Optional[str] = None) -> int:
        """A status callback (completed, busy, no-answer, failed...); the HTTP status."""
        path = "/twilio/voice/status" + (f"?call={self.call_id}" if self.call_id is not None else "")
        response = self.twilio.post(path, self._params(
            CallStatus=call_status, CallDuration=str(duration), AnsweredBy=answered_by,
            CallbackSource="call-progress-events"))
        response.raise_for_status()
        self.ended = self.ended or call_status in ("completed", "busy", "no-answer", "failed", "canceled")
        return response.status_code

    def hang_up(self) -> int:
        """The caller puts the phone down: Twilio reports the call completed."""
        return self.status("completed")

