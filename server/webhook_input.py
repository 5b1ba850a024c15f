"""The fields the gateway takes from Twilio's form posts.

Identifiers and addresses (MessageSid, CallSid, From) are kept as sent, up to the
store's bound (store.models.TWILIO_FIELD_LENGTH: Twilio's own are far shorter); a
longer one cannot come from Twilio, and is refused with a 400 rather than stored cut.
"""
from __future__ import annotations

from typing import Optional

from flask import abort, request

from store.models import TWILIO_FIELD_LENGTH


def twilio_field(name: str, required: bool = False) -> Optional[str]:
    """The form field `name` ("" or None when absent and not required)."""
    value = request.form.get(name) or None
    if value is None and required:
        abort(400, f"{name} is required")
    if value is not None and len(value) > TWILIO_FIELD_LENGTH:
        abort(400, f"{name} is longer than {TWILIO_FIELD_LENGTH} characters")
    return value
