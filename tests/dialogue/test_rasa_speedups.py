"""bot/rasa_speedups.py: written for this very Rasa (a test that fails when Rasa's functions
change under it), and answering exactly as the functions it replaces, compared here with
Rasa's own on the dialogue's stories, grown event by event as a conversation grows."""
from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import List

import pytest
import rasa
import rasa.shared.utils.common
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction
from rasa.shared.core.constants import (
    ACTION_LISTEN_NAME,
    ACTION_SESSION_START_NAME,
    RULE_ONLY_LOOPS,
    RULE_ONLY_SLOTS,
    USER,
)
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    ActionReverted,
    DefinePrevUserUtteredFeaturization,
    EntitiesAdded,
    Event,
    SessionStarted,
    UserUtteranceReverted,
    UserUttered,
)
from rasa.shared.core.generator import TrainingDataGenerator
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.core.training_data import loading
from rasa.shared.core.training_data.structures import StoryGraph

from bot import rasa_speedups
from bot.domain_file import DOMAIN_PATH
from bot.training import STOCK_RASA_SWITCH

ROOT = Path(__file__).resolve().parents[2]
PATCHES = {patch.name: patch for patch in rasa_speedups.PATCHES}


def replaced(name: str):
    """(Rasa's function, its replacement), without installing anything in this process."""
    patch = PATCHES[name]
    original = patch.original()
    return _function(original), _function(patch.replacement(original))


def _function(found):
    return found.__func__ if isinstance(found, staticmethod) else found


# -- pinned to this Rasa ---------------------------------------------------------------------

def test_written_for_the_installed_rasa():
    assert rasa.__version__ == rasa_speedups.RASA_VERSION, (
        f"Rasa is {rasa.__version__} now: check each function bot/rasa_speedups.py replaces "
        "against the new Rasa, then update RASA_VERSION and the hashes")


@pytest.mark.parametrize("patch", rasa_speedups.PATCHES, ids=lambda p: p.label)
def test_each_replaced_function_is_still_the_one_written_against(patch):
    import inspect

    assert patch.unchanged(), (
        f"{patch.label} changed in Rasa: compare its replacement in bot/rasa_speedups.py "
        "with the new source, then update the hash")
    original, replacement = replaced(patch.name)

    def parameters(function):
        return [(p.name, p.kind, p.default)
                for p in inspect.signature(function).parameters.values()]

    assert parameters(replacement) == parameters(original)


def _install(env_extra: dict) -> List[str]:
    code = ("import json; from bot import rasa_speedups as s; "
            "from rasa.core.actions.action import RemoteAction; "
            "print(json.dumps([s.install(), RemoteAction._validate_action_result.__module__]))")
    env = {**os.environ, **env_extra}
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_install_replaces_every_function_and_the_switch_leaves_rasa_stock():
    installed, module = _install({STOCK_RASA_SWITCH: ""})
    assert installed == [patch.label for patch in rasa_speedups.PATCHES]
    assert module == "bot.rasa_speedups"
    installed, module = _install({STOCK_RASA_SWITCH: "1"})
    assert installed == [] and module == "rasa.core.actions.action"


# -- the same answers ------------------------------------------------------------------------

def _conversation(*texts: str, session_before_last: bool = False) -> DialogueStateTracker:
    events: List[Event] = [ActionExecuted(ACTION_SESSION_START_NAME), SessionStarted(),
                           ActionExecuted(ACTION_LISTEN_NAME)]
    for n, text in enumerate(texts):
        if session_before_last and n == len(texts) - 1:
            events += [ActionExecuted(ACTION_SESSION_START_NAME), SessionStarted(),
                       ActionExecuted(ACTION_LISTEN_NAME)]
        events += [UserUttered(text, {"name": "greet", "confidence": 1.0}),
                   ActionExecuted("action_handle_not_understood"), ActionExecuted(ACTION_LISTEN_NAME)]
    return DialogueStateTracker.from_events("c-1", events[:-1])  # mid-turn: an action runs


def test_an_action_call_carries_the_events_from_the_previous_message_and_the_rest_as_rasa(domain):
    original, replacement = replaced("_action_call_format")
    action = RemoteAction("action_handle_not_understood", None)
    tracker = _conversation(*(f"message {n}" for n in range(30)))
    stock, ours = original(action, tracker, domain), replacement(action, tracker, domain)
    users = [e["text"] for e in ours["tracker"]["events"] if e["event"] == "user"]
    assert users == ["message 28", "message 29"]
    assert ours["tracker"]["events"] == stock["tracker"]["events"][-len(ours["tracker"]["events"]):]
    assert {**ours, "tracker": None} == {**stock, "tracker": None}  # the domain, name, version
    assert {**ours["tracker"], "events": None} == {**stock["tracker"], "events": None}


def test_an_action_call_after_a_new_session_carries_that_session_only(domain):
    _, replacement = replaced("_action_call_format")
    action = RemoteAction("action_handle_not_understood", None)
    tracker = _conversation("earlier", "today", session_before_last=True)
    events = replacement(action, tracker, domain)["tracker"]["events"]
    assert events[0]["event"] == "session_started"
    assert [e["text"] for e in events if e["event"] == "user"] == ["today"]


VALID = {"events": [{"event": "slot", "name": "language", "value": "en"},
                    {"event": "action", "name": "action_listen"}],
         "responses": [{"text": "hi", "custom": {"identity_question": "birth_date"}}]}
INVALID = [
    {"events": [{"event": "no_such_event"}]},
    {"events": [{"event": "slot", "value": 1}]},
    {"events": "slot"},
    {"responses": [1]},
    {"events": [{"event": "user", "text": 3}]},
]


def test_action_results_are_judged_as_rasa_judges_them():
    original, replacement = replaced("_validate_action_result")
    action = RemoteAction("action_explain_debt", None)
    assert original(action, VALID) is replacement(action, VALID) is True
    for response in INVALID:
        with pytest.raises(ValidationError) as stock:
            original(action, response)
        with pytest.raises(ValidationError) as ours:
            replacement(action, response)
        assert str(ours.value) == str(stock.value)
        assert ours.value.message == stock.value.message
        assert "Failed to validate Action server response" in ours.value.message


def test_events_resolve_to_the_classes_rasa_finds():
    original, replacement = replaced("resolve_by_type")
    names = {cls.type_name for cls in rasa.shared.utils.common.all_subclasses(Event)}
    assert len(names) > 20
    for name in names:
        assert replacement(name) is original(name)
    assert replacement("topic") is original("topic") is None
    assert replacement("nonsense", UserUttered) is UserUttered
    with pytest.raises(ValueError, match="Unknown event name 'nonsense'"):
        replacement("nonsense")

    class LaterEvent(UserUttered):  # a subclass imported after the table was built
        type_name = "later_event"

    assert replacement("later_event") is original("later_event") is LaterEvent


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load(str(DOMAIN_PATH))


@pytest.fixture(scope="module")
def stories(domain) -> List[List[Event]]:
    """The events of every test story and training story, as Rasa reads them."""
    files = sorted(str(p) for p in (ROOT / "tests" / "stories").glob("*.yml"))
    files += sorted(str(p) for p in (ROOT / "data" / "stories").glob("*.yml"))
    graph = StoryGraph(loading.load_data_from_files(files, domain))
    trackers = TrainingDataGenerator(graph, domain, remove_duplicates=False,
                                     augmentation_factor=0).generate()
    assert len(trackers) > 50
    return [list(tracker.events) for tracker in trackers]


def _live(events: List[Event]) -> List[Event]:
    """A story's events as a served conversation has them: each user message followed by
    the featurization choice Rasa's processor adds."""
    out: List[Event] = []
    for event in events:
        out.append(event)
        if isinstance(event, UserUttered):
            out.append(DefinePrevUserUtteredFeaturization(False))
    return out


def _long_conversation(stories: List[List[Event]]) -> List[Event]:
    """Several stories one after the other, with what a long conversation meets: two
    sessions, an utterance and an action reverted, entities added after an action."""
    session = [ActionExecuted(ACTION_SESSION_START_NAME), SessionStarted(),
               ActionExecuted(ACTION_LISTEN_NAME)]
    events: List[Event] = list(session)
    for index, story in enumerate(stories[:12]):
        events += _live(story[1:])  # the story's leading action_listen is in place already
        if index == 3:
            events += [UserUttered("wait", {"name": "greet", "confidence": 1.0}),
                       UserUtteranceReverted()]
        if index == 5:
            events += [ActionReverted()]
        if index == 7:
            events += [EntitiesAdded([{"entity": "amount", "value": "50"}])]
        if index == 8:
            events += [ActionExecuted(ACTION_SESSION_START_NAME), SessionStarted(),
                       ActionExecuted(ACTION_LISTEN_NAME)]
    return events


RULE_ONLY = {RULE_ONLY_SLOTS: ["requested_slot"], RULE_ONLY_LOOPS: []}
WAYS = [(omit, ignore, data) for omit in (False, True) for ignore in (False, True)
        for data in (None, RULE_ONLY)]


def _shape(states):
    """Which parts of the states are one and the same dict (Rasa shares some)."""
    seen = {}
    return [{key: seen.setdefault(id(part), len(seen)) for key, part in state.items()}
            for state in states]


def _check_growing(domain, events: List[Event], sender: str) -> int:
    """Rasa's and ours after each event, for the same tracker grown event by event from the
    same event objects (as a tracker store that keeps them hands them out turn after turn)."""
    stock_states, states = replaced("states_for_tracker_history")
    stock_applied, applied = replaced("applied_events")
    checked = 0
    for count in range(1, len(events) + 1):
        tracker = DialogueStateTracker.from_events(sender, events[:count], domain.slots)
        expected_applied = stock_applied(tracker)
        got_applied = applied(tracker)
        assert len(got_applied) == len(expected_applied)
        assert all(a is b for a, b in zip(got_applied, expected_applied)), count
        for omit, ignore, data in WAYS:
            expected = stock_states(domain, tracker, omit, ignore, data)
            got = states(domain, tracker, omit, ignore, copy.deepcopy(data))
            assert got == expected, (sender, count, omit, ignore)
            assert _shape(got) == _shape(expected), (sender, count, omit, ignore)
            if got and USER in got[-1]:  # callers change the last state; never the next answer
                got[-1][USER].clear()
            checked += 1
    return checked


def test_past_states_and_applied_events_match_rasa_for_every_story(domain, stories):
    checked = sum(_check_growing(domain, _live(story), f"story-{n}")
                  for n, story in enumerate(stories))
    assert checked > 5000


def test_past_states_match_rasa_through_a_long_conversation(domain, stories):
    events = _long_conversation(stories)
    assert len(events) > 200
    assert _check_growing(domain, events, "long") == len(events) * len(WAYS)


def test_past_states_match_rasa_when_each_turn_reads_the_events_afresh(domain, stories):
    """A tracker store that reads every turn from its storage hands out new event objects:
    nothing kept applies, each answer is computed whole."""
    stock_states, states = replaced("states_for_tracker_history")
    events = _long_conversation(stories)[:120]
    for count in range(1, len(events) + 1, 7):
        fresh = [Event.from_parameters(e.as_dict()) for e in events[:count]]
        tracker = DialogueStateTracker.from_events("afresh", fresh, domain.slots)
        for omit, ignore, data in WAYS:
            assert states(domain, tracker, omit, ignore, data) == \
                stock_states(domain, tracker, omit, ignore, data)


def test_entities_added_after_an_action_read_the_message_are_seen_as_rasa_sees_them():
    """Rasa's replay sees the message as it is now, entities added later included (once the
    bot listens again, before the next message): what states were read from it before is
    not kept."""
    domain = Domain.from_dict({"intents": ["inform"], "entities": ["amount"],
                               "responses": {"utter_ok": [{"text": "ok"}]}})
    message = UserUttered("50", {"name": "inform", "confidence": 1.0}, [])
    events = [ActionExecuted(ACTION_LISTEN_NAME), message, ActionExecuted("utter_ok"),
              ActionExecuted(ACTION_LISTEN_NAME),
              EntitiesAdded([{"entity": "amount", "value": "50"}]), ActionExecuted("utter_ok")]
    assert _check_growing(domain, events, "entities") == len(events) * len(WAYS)
    stock_states, _ = replaced("states_for_tracker_history")
    tracker = DialogueStateTracker.from_events("entities", events, domain.slots)
    assert stock_states(domain, tracker)[2][USER]["entities"] == ("amount",)  # it mattered
