"""Plays Twilio's side of an SMS webhook: signs a form post the way Twilio does and
reads the borrower's replies out of the TwiML that comes back."""
from __future__ import annotations

import itertools
import uuid
import xml.etree.ElementTree as ET
from typing import Dict, List, Optional

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
