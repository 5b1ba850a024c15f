"""What the fuzz suite sends: text of every kind Twilio or an API caller could send, and
signed requests."""
from __future__ import annotations

import string

from hypothesis import strategies as st
from twilio.request_validator import RequestValidator

from store.models import TWILIO_FIELD_LENGTH
from tests.support.app import API_KEY, AUTH_TOKEN

GATEWAY = "http://localhost"
AUTH = {"Authorization": f"Bearer {API_KEY}"}
# A form carries UTF-8 text: anything but lone surrogates (JSON can carry those, below).
_CHARACTERS = st.characters(blacklist_categories=("Cs",))
NASTY = [
    "", " ", "\x00", "a\x00b", "\x01\x0b\x1b\x7f", "\ufffe\uffff", "\u202e", "😀👩‍💻🇨🇳",
    "STOP", "stop ", "START", "HELP", "TD", "退订", "0", "*", "1", "03141988", "/restart",
    "<Response/>", "]]>", "&amp;", "%00", "whatsapp:+15550100001", "+15550100001",
    "+1" + "5" * 298, "x" * TWILIO_FIELD_LENGTH, "x" * (TWILIO_FIELD_LENGTH + 1),
]
text = st.one_of(st.text(_CHARACTERS, max_size=40), st.sampled_from(NASTY),
                 st.text(_CHARACTERS, min_size=200, max_size=2000))
short_text = st.one_of(st.text(_CHARACTERS, max_size=20), st.sampled_from(NASTY))
# Extra form fields Twilio may add (names are plain: the signature covers them as sent).
field_names = st.text(string.ascii_letters + string.digits + "_", min_size=1, max_size=20)
extra_fields = st.dictionaries(field_names, short_text, max_size=4)
# Headers a proxy or Twilio may add; their values are Latin-1 text.
header_values = st.text(st.characters(min_codepoint=0x20, max_codepoint=0xFF, blacklist_characters="\x7f"),
                        max_size=60)
headers = st.dictionaries(
    st.sampled_from(["User-Agent", "X-Forwarded-For", "X-Forwarded-Proto", "Accept", "Cookie",
                     "I-Twilio-Idempotency-Token", "X-Home-Region", "Accept-Language",
                     "X-Request-Id", "Origin", "Referer"]),
    header_values, max_size=3)
sids = st.one_of(st.from_regex(r"\ASM[0-9a-f]{32}\Z"), st.text(_CHARACTERS, min_size=1, max_size=40),
                 st.sampled_from(NASTY[1:]))

# JSON an API caller may send: any value, bytes that are no JSON, and documents deeper
# than any the API takes.
json_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=30), st.sampled_from(NASTY))
json_values = st.recursive(json_scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=12), inner, max_size=4)),
    max_leaves=20)


def deep(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


def signed(client, path: str, form: dict, extra_headers: dict = None):
    """A form post signed as Twilio signs it."""
    signature = RequestValidator(AUTH_TOKEN).compute_signature(f"{GATEWAY}{path}", form)
    return client.post(path, data=form, headers={**(extra_headers or {}),
                                                 "X-Twilio-Signature": signature})
