"""Rasa 3.6.21's hot spots that no extension point reaches, replaced with code that answers
the same: installed by the Rasa process's entry point (bot/rasa_cli.py) before Rasa's
command line runs.

- `RemoteAction._validate_action_result` checks each action server response with
  `jsonschema.validate`, which checks the schema itself first, every call (a quarter of a
  turn's CPU here). The validator is built once instead; the same errors, with Rasa's message.
- `Event.resolve_by_type` walks every Event subclass (`all_subclasses`, `inspect.isabstract`)
  for every event it reads back from the tracker store. A table built once answers instead;
  a type it does not know (an Event subclass imported later, or no such type) takes Rasa's
  own walk, so the answers are the same.
- `Domain.states_for_tracker_history` (what every policy featurizes, several times per
  prediction) replays the whole session and computes a state at every action, and
  `DialogueStateTracker.applied_events` (which it and others call) walks every event: a
  turn cost more the longer the conversation. A state, once computed, depends only on the
  events before it: each conversation's states and applied events are kept (for a bounded
  number of conversations), and a call computes only what follows the events it shares
  with the last call (the very same event objects, as bot/redis_tracker_store.py hands
  out turn after turn), returning copies as fresh as Rasa's. What could differ from a
  replay now is computed again: after a revert or a form's unhappy path, from where the
  events part; everything when a conversation names a new form, or when an event changes
  the latest user message after states were read from it.

- `RemoteAction._action_call_format` sends the action server the conversation's every event
  with every custom action call, so a call cost Rasa (and the action server) more the longer
  the conversation. The actions read the events of this turn and the one before at most
  (rasa-sdk's forms this turn's slot events; actions/handoff.py whether it answered the
  previous message too): the call carries the events from the previous user message on, or
  from the session's start when that is later. Everything else in the call is Rasa's own.

Each patch is pinned to the exact source of the function it replaces (a hash of it):
when Rasa changes, the function is left alone and the process says so in its log, and
tests/unit/test_rasa_speedups.py fails. REPAY_STOCK_RASA=1 runs Rasa without them.
"""
from __future__ import annotations

import copy
import hashlib
import inspect
import logging
import operator
import os
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Hashable, List, Optional, Text, Tuple, Type

import rasa
import rasa.shared.utils.common
from jsonschema import ValidationError
from jsonschema.exceptions import best_match
from jsonschema.validators import validator_for
from rasa.core.actions.action import RemoteAction
from rasa.shared.constants import DOCS_BASE_URL
from rasa.shared.core.constants import PREVIOUS_ACTION
from rasa.shared.core.domain import Domain, State
from rasa.shared.core.events import (
    ActionExecuted,
    ActionReverted,
    ActiveLoop,
    DefinePrevUserUtteredFeaturization,
    EntitiesAdded,
    Event,
    Restarted,
    SessionStarted,
    UserUtteranceReverted,
    UserUttered,
)
from rasa.shared.core.trackers import AnySlotDict, DialogueStateTracker, EventVerbosity

from bot.training import STOCK_RASA_SWITCH

logger = logging.getLogger(__name__)

RASA_VERSION = "3.6.21"


@dataclass(frozen=True)
class Patch:
    """One replaced function: where it lives, the hash of the source it replaces, and how
    to build its replacement (`original` is Rasa's function, for what the replacement
    hands back to it)."""

    owner: type
    name: str
    source_sha256: str
    replacement: Callable[[Callable], Callable]

    @property
    def label(self) -> str:
        return f"{self.owner.__module__}.{self.owner.__qualname__}.{self.name}"

    def original(self) -> Callable:
        """Rasa's own, also once replaced."""
        return _originals.get(self.label) or inspect.getattr_static(self.owner, self.name)

    def function(self) -> Callable:
        found = self.original()
        return found.__func__ if isinstance(found, staticmethod) else found

    def unchanged(self) -> bool:
        """Whether Rasa's function is still the one this patch was written against."""
        source = inspect.getsource(self.function())
        return hashlib.sha256(source.encode("utf-8")).hexdigest() == self.source_sha256


def _validate_action_result(original: Callable) -> Callable:
    schema = RemoteAction.action_response_format_spec()
    validator_class = validator_for(schema)
    validator_class.check_schema(schema)
    validator = validator_class(schema)

    def validate_action_result(self: RemoteAction, result: Dict[Text, Any]) -> bool:
        error: Optional[ValidationError] = best_match(validator.iter_errors(result))
        if error is None:
            return True
        error.message += (
            f". Failed to validate Action server response from API, "
            f"make sure your response from the Action endpoint is valid. "
            f"For more information about the format visit "
            f"{DOCS_BASE_URL}/custom-actions"
        )
        raise error

    return validate_action_result


def recent_events(events: Any) -> List[Event]:
    """The events an action call carries: from the previous user message on (the latest one is
    this turn's), or from the latest session start when that is later."""
    events = list(events)
    users = 0
    for index in range(len(events) - 1, -1, -1):
        event = events[index]
        if isinstance(event, SessionStarted):
            return events[index:]
        if isinstance(event, UserUttered):
            users += 1
            if users == 2:
                return events[index:]
    return events


def _action_call_format(original: Callable) -> Callable:
    def action_call_format(self: RemoteAction, tracker: DialogueStateTracker,
                           domain: Domain) -> Dict[Text, Any]:
        tracker_state = tracker.current_state(EventVerbosity.NONE)
        tracker_state["events"] = [event.as_dict() for event in recent_events(tracker.events)]
        result = {
            "next_action": self._name,
            "sender_id": tracker.sender_id,
            "tracker": tracker_state,
            "version": rasa.__version__,
        }
        if (not self._is_selective_domain_enabled()
                or domain.does_custom_action_explicitly_need_domain(self.name())):
            result["domain"] = domain.as_dict()
        return result

    return action_call_format


def _resolve_by_type(original: Callable) -> Callable:
    rasa_resolve = original.__func__ if isinstance(original, staticmethod) else original
    by_type: Dict[Text, Type[Event]] = {}

    def learn() -> None:
        # In Rasa's order, the first class of a type name wins, as in its walk.
        for cls in rasa.shared.utils.common.all_subclasses(Event):
            by_type.setdefault(cls.type_name, cls)

    def resolve_by_type(type_name: Text,
                        default: Optional[Type[Event]] = None) -> Optional[Type[Event]]:
        found = by_type.get(type_name)
        if found is not None:
            return found
        learn()
        return by_type.get(type_name) or rasa_resolve(type_name, default)

    return staticmethod(resolve_by_type)


# Conversations whose applied events and past states are kept (states: per way of asking;
# the policies ask two ways).
KEPT_CONVERSATIONS = 512
# Events that change the latest user message in place (what states are read from).
_CHANGES_USER_MESSAGE = (DefinePrevUserUtteredFeaturization, EntitiesAdded)


def _common_prefix(kept: List[Event], events: Any) -> int:
    """How many of `events` are the very objects kept, from the first."""
    if all(map(operator.is_, kept, events)):
        return min(len(kept), len(events))
    count = 0
    for count, same in enumerate(map(operator.is_, kept, events), start=1):
        if not same:
            return count - 1
    return count


class _Kept:
    """A bounded, least recently used table, safe across threads."""

    def __init__(self, size: int = KEPT_CONVERSATIONS) -> None:
        self.size = size
        self.table: "OrderedDict[Hashable, Any]" = OrderedDict()
        self.lock = threading.Lock()

    def take(self, key: Hashable) -> Any:
        return self.table.pop(key, None)

    def put(self, key: Hashable, value: Any) -> None:
        self.table[key] = value
        while len(self.table) > self.size:
            self.table.popitem(last=False)


@dataclass
class _Applied:
    """DialogueStateTracker.applied_events's loop stopped after `events`."""

    events: List[Event] = field(default_factory=list)
    applied: List[Event] = field(default_factory=list)
    loop_names: frozenset = frozenset()


def _applied_events(original: Callable) -> Callable:
    kept = _Kept()

    def applied_events(self: DialogueStateTracker) -> List[Event]:
        events = list(self.events)
        with kept.lock:
            memo = kept.take(self.sender_id)
            if memo is not None and _common_prefix(memo.events, events) < len(memo.events):
                memo = None
            # Which actions count as a loop's depends on every loop of the conversation.
            new = events if memo is None else events[len(memo.events):]
            loop_names = frozenset(
                event.name for event in new if isinstance(event, ActiveLoop) and event.name)
            if memo is None or not loop_names <= memo.loop_names:
                memo = _Applied(loop_names=loop_names | (memo.loop_names if memo else frozenset()))
            loop_names = memo.loop_names
            applied = memo.applied
            for event in events[len(memo.events):]:
                if isinstance(event, (Restarted, SessionStarted)):
                    applied = []
                elif isinstance(event, ActionReverted):
                    self._undo_till_previous(ActionExecuted, applied)
                elif isinstance(event, UserUtteranceReverted):
                    self._undo_till_previous(UserUttered, applied)
                    self._undo_till_previous(ActionExecuted, applied)
                elif (
                    isinstance(event, ActionExecuted)
                    and event.action_name in loop_names
                    and not self._first_loop_execution_or_unhappy_path(
                        event.action_name, applied)
                ):
                    self._undo_till_previous_loop_execution(event.action_name, applied)
                else:
                    applied.append(event)
            kept.put(self.sender_id, _Applied(events, applied, loop_names))
            return list(applied)

    return applied_events


@dataclass
class _Mark:
    """Where Rasa's replay stood after the state of the action at `position` of the
    applied events: how many states, and the loop's two variables."""

    position: int
    states: int
    last_ml_action_sub_state: Optional[Dict[Text, Text]]
    turn_was_hidden: bool


@dataclass
class _History:
    """Rasa's replay (Domain.states_for_tracker_history) stopped after `applied`: the
    replayed tracker, the states of the actions so far and the loop's two variables."""

    domain: Domain
    rule_only_data: Optional[Dict[Text, Any]]
    start: DialogueStateTracker  # the replay's first tracker, kept to start again from
    replay: DialogueStateTracker
    applied: List[Event] = field(default_factory=list)
    states: List[State] = field(default_factory=list)
    marks: List[_Mark] = field(default_factory=list)

    @property
    def last_ml_action_sub_state(self) -> Optional[Dict[Text, Text]]:
        return self.marks[-1].last_ml_action_sub_state if self.marks else None

    @property
    def turn_was_hidden(self) -> bool:
        return self.marks[-1].turn_was_hidden if self.marks else False

    def keep(self, applied: List[Event]) -> int:
        """How many applied events the kept states still hold for: those in common, back
        to the latest user message when an event after them changes it and states were
        read from it since."""
        common = _common_prefix(self.applied, applied)
        latest_user = next((index for index in range(common - 1, -1, -1)
                            if isinstance(applied[index], UserUttered)), None)
        if latest_user is None or not any(m.position > latest_user for m in self.marks):
            return common
        for event in applied[common:]:
            if isinstance(event, UserUttered):
                break
            if isinstance(event, _CHANGES_USER_MESSAGE):
                return latest_user
        return common

    def rewind(self, applied: List[Event], position: int) -> None:
        """Back to just before applied event `position`: the states of the actions before
        it are kept, the tracker replayed again up to it (replaying is cheap, the states
        are not)."""
        if position == len(self.applied):
            return
        self.marks = [mark for mark in self.marks if mark.position < position]
        del self.states[self.marks[-1].states if self.marks else 0:]
        self.replay = self.start.copy()
        for event in applied[:position]:
            self.replay.update(event)
        self.applied = applied[:position]

    def state(self, hide_rule_turn: bool, omit_unset_slots: bool, ignore_rule_only_turns: bool
              ) -> Tuple[Optional[State], Optional[Dict[Text, Text]], bool]:
        """The body of Rasa's loop for the replay as it stands: (the state or None when the
        turn is hidden, and the loop's two variables after it)."""
        domain, replay = self.domain, self.replay
        last_ml_action_sub_state, turn_was_hidden = (
            self.last_ml_action_sub_state, self.turn_was_hidden)
        if ignore_rule_only_turns:
            if not turn_was_hidden:
                last_ml_action_sub_state = domain._get_prev_action_sub_state(replay)
            if (not replay.followup_action
                    and not replay.latest_action_name == replay.active_loop_name):
                turn_was_hidden = hide_rule_turn
            if turn_was_hidden:
                return None, last_ml_action_sub_state, turn_was_hidden
        state = domain.get_active_state(replay, omit_unset_slots=omit_unset_slots)
        if ignore_rule_only_turns:
            domain._remove_rule_only_features(state, self.rule_only_data)
            if self.states:
                domain._substitute_rule_only_user_input(state, self.states[-1])
            if last_ml_action_sub_state:
                state[PREVIOUS_ACTION] = last_ml_action_sub_state
        return domain._clean_state(state), last_ml_action_sub_state, turn_was_hidden


def _copied(states: List[State]) -> List[State]:
    """The states and their parts as new dicts, parts shared between states still shared
    (a caller changing the last state's user part changes it wherever Rasa's would)."""
    parts: Dict[int, Any] = {}

    def part(value: Any) -> Any:
        if not isinstance(value, dict):
            return value
        if id(value) not in parts:
            parts[id(value)] = dict(value)
        return parts[id(value)]

    return [{key: part(value) for key, value in state.items()} for state in states]


def _states_for_tracker_history(original: Callable) -> Callable:
    kept = _Kept(2 * KEPT_CONVERSATIONS)

    def states_for_tracker_history(
        self: Domain,
        tracker: DialogueStateTracker,
        omit_unset_slots: bool = False,
        ignore_rule_only_turns: bool = False,
        rule_only_data: Optional[Dict[Text, Any]] = None,
    ) -> List[State]:
        if isinstance(tracker.slots, AnySlotDict):
            return original(self, tracker, omit_unset_slots=omit_unset_slots,
                            ignore_rule_only_turns=ignore_rule_only_turns,
                            rule_only_data=rule_only_data)
        applied = tracker.applied_events()
        # The policies' rule_only_data is a new dict each time, with the same content.
        key = (tracker.sender_id, id(self), repr(rule_only_data), omit_unset_slots,
               ignore_rule_only_turns, tracker.is_rule_tracker, tracker._max_event_history)
        with kept.lock:
            history = kept.take(key)
            if (history is None or history.domain is not self
                    or history.rule_only_data != rule_only_data
                    or history.start.slots.keys() != tracker.slots.keys()):
                start = tracker.init_copy()
                history = _History(self, copy.deepcopy(rule_only_data), start, start.copy())
            history.rewind(applied, history.keep(applied))
            for position in range(len(history.applied), len(applied)):
                event = applied[position]
                if isinstance(event, ActionExecuted):
                    state, last_ml_action_sub_state, turn_was_hidden = history.state(
                        event.hide_rule_turn, omit_unset_slots, ignore_rule_only_turns)
                    if state is not None:
                        history.states.append(state)
                    history.marks.append(_Mark(position, len(history.states),
                                               last_ml_action_sub_state, turn_was_hidden))
                history.replay.update(event)
                history.applied.append(event)
            final, _, _ = history.state(False, omit_unset_slots, ignore_rule_only_turns)
            kept.put(key, history)
            return _copied(history.states + ([] if final is None else [final]))

    return states_for_tracker_history


PATCHES: List[Patch] = [
    Patch(RemoteAction, "_validate_action_result",
          "f8cdb4be6812396167ced74161b2ccd65c5ea676ad86d7d359d8c322d9d8dc42", _validate_action_result),
    Patch(RemoteAction, "_action_call_format",
          "428795b944f22edba142d278ec47a30098975b01463ba337ec447dade52a0492", _action_call_format),
    Patch(Event, "resolve_by_type",
          "b5cf570fa7f286c7059ec73d8880528d03a78b28cf4e80285a46079c0fa65968", _resolve_by_type),
    Patch(DialogueStateTracker, "applied_events",
          "764d5065ea9997d613c1984d9357370f9ae32d31ca21346086f16c54f0487aae", _applied_events),
    Patch(Domain, "states_for_tracker_history",
          "035111ce73ac90ba50e143abf556f924af07d9f452893f5a96a62895d44df8b7", _states_for_tracker_history),
]

_originals: Dict[str, Callable] = {}  # label -> Rasa's function, once replaced


def install() -> List[str]:
    """Applies every patch whose target is unchanged; returns the labels applied. Nothing
    when REPAY_STOCK_RASA=1 or Rasa is not the version these were written for."""
    if os.environ.get(STOCK_RASA_SWITCH) == "1":
        return []
    if rasa.__version__ != RASA_VERSION:
        logger.warning("rasa speedups: none applied: written for Rasa %s, this is %s",
                       RASA_VERSION, rasa.__version__)
        return []
    for patch in PATCHES:
        if patch.label in _originals:
            continue
        if not patch.unchanged():
            logger.warning("rasa speedups: %s changed in Rasa, left as it is", patch.label)
            continue
        original = patch.original()
        setattr(patch.owner, patch.name, patch.replacement(original))
        _originals[patch.label] = original
    return list(_originals)
