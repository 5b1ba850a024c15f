"""Checking that a webhook really comes from Twilio (X-Twilio-Signature).

Twilio signs the URL it called plus the form fields. Behind a proxy or tunnel
that URL is the public one, not what Flask sees, so with PUBLIC_URL set the
signed URL is rebuilt as PUBLIC_URL + path + query.
"""
from __future__ import annotations

import functools
import logging
from typing import Mapping, Optional

from flask import Request, abort, request
from twilio.request_validator import RequestValidator

from server import services

log = logging.getLogger(__name__)


def signed_url(req: Request, public_url: Optional[str]) -> str:
    if not public_url:
        return req.url
    # Werkzeug's full_path ends in '?' even when there is no query string.
    return public_url.rstrip("/") + req.full_path.rstrip("?")


def is_valid_signature(auth_token: str, url: str, params: Mapping, signature: Optional[str]) -> bool:
    if not signature:
        return False
    return RequestValidator(auth_token).validate(url, params, signature)


def twilio_signed(view):
    """Answers 403 unless the request carries a valid X-Twilio-Signature."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        settings = services().settings
        url = signed_url(request, settings.public_url)
        signature = request.headers.get("X-Twilio-Signature")
        if not is_valid_signature(settings.twilio_auth_token, url, request.form, signature):
            log.warning(
                "rejected webhook %s: %s signature",
                request.path, "invalid" if signature else "missing",
            )
            abort(403)
        return view(*args, **kwargs)

    return wrapper
