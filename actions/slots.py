"""Slot names the actions share, and small helpers over them (see domain.yml)."""
from __future__ import annotations

from typing import List

from rasa_sdk import Tracker
from rasa_sdk.events import ActiveLoop, EventType, SlotSet

REQUESTED_SLOT = "requested_slot"
IDENTITY_STATUS = "identity_status"  # pending | verified | locked
STOP_SLOT = "form_stop_reason"
REFUSED_SLOT = "refused_rules"
FAILURES_SLOT = "form_failures"


def is_verified(tracker: Tracker) -> bool:
    return tracker.get_slot(IDENTITY_STATUS) == "verified"


def cleared(*slots: str) -> List[EventType]:
    """Events that forget a finished form's answers and why it stopped."""
    return [SlotSet(slot, None) for slot in slots] + [SlotSet(STOP_SLOT, None)]


def end_active_loop(tracker: Tracker) -> List[EventType]:
    """Ends whatever form is running, for actions after which no form may resume."""
    if not tracker.active_loop.get("name"):
        return []
    return [ActiveLoop(None), SlotSet(REQUESTED_SLOT, None)]
