"""The safety layer's figures (bot/nlu_safety.py) from parses written here by hand: what the
bot acts on, what it asks about, what it flags wrongly, and the two-intent score; and the
gate's floors for them (bot/nlu_gate.py)."""
from __future__ import annotations

import pytest

from bot.nlu_gate import safety_checks
from bot.nlu_safety import score
from language import safety


def parse(intent, *safety_intents, check=None):
    return {"intent": intent, "safety_intents": list(safety_intents), "safety_check": check}


SINGLE = [
    (("opt_out",), "stop texting me"),
    (("opt_out",), "go away with your reminders"),
    (("opt_out",), "you lot can leave it now"),
    (("greet",), "hi there"),
    (("ask_who",), "the wrong guy answered, who is this"),
]
MULTI = [
    (("wrong_person", "opt_out"), "wrong person, stop texting me"),
    (("hardship", "request_deferral"), "I lost my job, can I pay later"),
    (("wrong_person", "abuse"), "wrong number you idiots"),
]
PARSES = [
    parse("opt_out", "opt_out"),
    parse("check_safety", check="opt_out"),  # asked: heard, not acted on
    parse("goodbye"),  # missed
    parse("greet"),
    parse("wrong_person", "wrong_person"),  # a false alarm
    parse("wrong_person", "wrong_person", "opt_out"),
    parse("request_deferral", "hardship"),
    parse("wrong_person", "wrong_person"),  # abuse is not a safety intent: not both
]


@pytest.fixture
def figures():
    return score("en", SINGLE, MULTI, PARSES, safety.load("en"))


def test_recall_counts_what_the_bot_acts_on_and_asked_is_counted_apart(figures):
    opt_out = figures.intents["opt_out"]
    assert (opt_out.support, opt_out.found, opt_out.asked) == (4, 2, 1)
    assert opt_out.recall == 0.5 and opt_out.heard == 0.75
    assert [m[0] for m in figures.misses] == ["opt_out"]


def test_precision_counts_every_message_acted_on_as_the_intent(figures):
    wrong = figures.intents["wrong_person"]
    assert (wrong.flagged, wrong.flagged_right) == (3, 2)
    assert wrong.precision == pytest.approx(2 / 3)
    assert figures.false_alarms[0][2] == "the wrong guy answered, who is this"


def test_the_patterns_precision_is_measured_without_the_model(figures):
    wrong = figures.intents["wrong_person"]
    # "wrong guy" in the ask_who message, "wrong person", "wrong number you idiots"
    assert (wrong.pattern_hits, wrong.pattern_right) == (3, 2)


def test_two_intent_messages_count_every_intent_and_every_safety_intent(figures):
    assert figures.multi_total == 3
    assert figures.multi_all == 2  # the abuse beside a wrong number is not found
    assert figures.multi_safety == 3


def test_the_gate_fails_below_the_safety_floors(figures):
    floors = {"safety": {"recall_floors": {"opt_out": 0.5, "hardship": 0.9},
                         "precision_floors": {"wrong_person": 0.9}, "multi_floor": 1.0}}
    failing = [str(c) for c in safety_checks(figures, floors) if not c.ok]
    assert failing == ["wrong_person safety precision 0.667 < 0.9"]
    floors["safety"]["multi_floor"] = 1.01
    assert "two-intent messages with every safety intent found 1.000 < 1.01" in [
        str(c) for c in safety_checks(figures, floors) if not c.ok]
