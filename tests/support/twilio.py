"""Twilio's side: webhooks signed the way Twilio signs them, TwiML read back, a call played
through Flask's test client (devtools/twilio_sim.SimulatedTwilio), and twilio-python's HTTP
layer replaced by a recording fake."""
from __future__ import annotations

import itertools
import json
import logging
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import List, Optional
from urllib.parse import urlsplit

from twilio.http import HttpClient
from twilio.http.response import Response
from twilio.request_validator import RequestValidator

from devtools.twilio_sim import SimulatedTwilio
from tests.support.accounts import BORROWER
from tests.support.app import AUTH_TOKEN

ACCOUNT_SID = "ACtest0000000000000000000000000000"
PUBLIC_URL = "https://sms.lender.example"
GATEWAY = "http://localhost"  # the test client's own address


def sign(url: str, form: dict, token: str = AUTH_TOKEN) -> str:
    return RequestValidator(token).compute_signature(url, form)


@dataclass
class SmsReply:
    """What Twilio would text back to the borrower."""

    status_code: int
    texts: List[str]
    xml: str


def parse_twiml(data: bytes) -> List[str]:
    root = ET.fromstring(data)
    assert root.tag == "Response"
    return [element.text or "" for element in root.findall("Message")]


_sids = itertools.count(1)


def new_sid() -> str:
    return f"SM{next(_sids):032d}"


def post_sms(client, body: str = "", *, phone: str = BORROWER, sid: Optional[str] = None,
             num_media: int = 0, url: str = "http://localhost/twilio/sms",
             path: str = "/twilio/sms", token: str = AUTH_TOKEN, buffered: bool = False) -> SmsReply:
    """Posts a Twilio inbound-SMS webhook signed like Twilio signs it. `buffered`: the
    response is read and closed, as a WSGI server does, so what the gateway does once the
    reply has gone (call_on_close) happens before this returns."""
    form = {
        "MessageSid": sid or new_sid(), "AccountSid": "ACtest", "From": phone,
        "To": "+18005550199", "Body": body, "NumMedia": str(num_media),
    }
    response = client.post(path, data=form, buffered=buffered,
                           headers={"X-Twilio-Signature": sign(url, form, token)})
    texts = parse_twiml(response.data) if response.status_code == 200 else []
    return SmsReply(response.status_code, texts, response.get_data(as_text=True))


def post_status(client, form: dict, query: str = "", token: str = AUTH_TOKEN):
    """A status callback signed the way Twilio signs it (the public URL it called)."""
    path = "/twilio/status" + (f"?{query}" if query else "")
    return client.post(path, data=form, headers={"X-Twilio-Signature": sign(PUBLIC_URL + path, form, token)})


class _Flask:
    """requests' post() over Flask's test client, for SimulatedTwilio."""

    def __init__(self, client):
        self.client = client

    def post(self, url, data=None, headers=None, timeout=None):
        parts = urlsplit(url)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        return _Reply(self.client.post(path, data=data, headers=headers))


class _Reply:
    def __init__(self, response):
        self.status_code = response.status_code
        self.text = response.get_data(as_text=True)

    def raise_for_status(self):
        if self.status_code >= 400:
            raise AssertionError(f"HTTP {self.status_code}: {self.text[:200]}")


def simulated_twilio(client, token: str = AUTH_TOKEN) -> SimulatedTwilio:
    """Twilio's side of calls, posting to the app through its test client."""
    twilio = SimulatedTwilio(GATEWAY, token)
    twilio.http = _Flask(client)
    return twilio


class FakeTwilio(HttpClient):
    """twilio-python's documented extension point for its HTTP layer: records requests
    and answers like Twilio, or with the errors a test queues in `failures`."""

    def __init__(self):
        super().__init__(logger=logging.getLogger("test.twilio"), is_async=False)
        self.requests: List[dict] = []
        self.failures: List[object] = []  # exceptions to raise, or (status, code) to answer
        self._sids = itertools.count(1)

    def request(self, method, uri, params=None, data=None, headers=None, auth=None,
                timeout=None, allow_redirects=False):
        self.requests.append({"method": method, "uri": uri, "data": dict(data or {})})
        if self.failures:
            failure = self.failures.pop(0)
            if isinstance(failure, BaseException):
                raise failure
            status, code = failure
            return Response(status, json.dumps({"code": code, "message": "refused", "status": status}))
        call = uri.endswith("/Calls.json")
        sid = f"{'CA' if call else 'SM'}{next(self._sids):032d}"
        return Response(201, json.dumps({"sid": sid, "status": "queued", "to": data["To"]}))

    def sent(self) -> List[dict]:
        return [r["data"] for r in self.requests]
