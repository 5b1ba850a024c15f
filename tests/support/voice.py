"""The voice variants of domain.yml as Rasa would pick them, and what the bot says on an
English call to DEMO-1001 (Dana Rivers, $453.50, due Nov 10)."""
from __future__ import annotations

import datetime as dt
from typing import Dict, List, Optional

from bot import domain_file

RESPONSES = domain_file.responses()
VOICE_CONDITION = [{"type": "slot", "name": "channel", "value": "voice"}]
# Tuesday 24 Nov 2026, 10:00 in New York: inside DEMO-1001's contact hours.
IN_HOURS = dt.datetime(2026, 11, 24, 15, 0, tzinfo=dt.timezone.utc)


def conditions(variant: dict) -> Dict[str, str]:
    """A variant's slot conditions as {slot: value} ({} for the default)."""
    return {c["name"]: c["value"] for c in variant.get("condition") or [] if c.get("type") == "slot"}


def voice_variant(name: str, language: str = "en") -> Optional[dict]:
    """The variant Rasa picks on a call in `language` (domain.yml's scheme: English voice
    is [channel=voice] or [channel=voice, language=en]; Chinese voice is [language=zh,
    channel=voice]), None when the response has none for the phone."""
    for variant in RESPONSES[name]:
        slots = conditions(variant)
        if slots.get("channel") == "voice" and slots.get("language", "en") == language:
            return variant
    return None


def said(name: str, **values) -> List[Dict]:
    """Rasa's REST answer for a response sent on an English call: the voice variant's text
    (filled like Rasa fills it) followed by its custom payload."""
    variant = voice_variant(name) or RESPONSES[name][0]

    def fill(value):
        if isinstance(value, str):
            return value.format(**values) if values else value
        if isinstance(value, dict):
            return {k: fill(v) for k, v in value.items()}
        return value

    answer = [{"text": fill(variant["text"])}]
    if variant.get("custom"):
        answer.append({"custom": fill(variant["custom"])})
    return answer


INTRO = "Hi, this is Nora, an automated assistant for Northwind Credit."
GREETING = [INTRO, *said("utter_explain_identity_check"), *said("utter_ask_identity_form_birth_date")]
ASK_ID = said("utter_ask_identity_form_id_last4")
VERIFIED = [
    *said("utter_identity_confirmed", borrower_first_name="Dana"),
    *said("utter_required_statement", statement="This is an attempt to collect a debt, and any "
          "information obtained will be used for that purpose."),
    *said("utter_explain_debt", total="$453.50", due_date="Nov 10, 2026", days_overdue="14 days",
          principal="$420.00", interest="$18.50", fees="$15.00"),
    *said("utter_offer_options"),
]
