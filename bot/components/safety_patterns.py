"""The safety layer of the NLU: reviewed patterns over every message, after the intent
classifier and the fallback classifier (docs/conversation.md, "The safety layer").

For each message it adds `safety_intents` to the parse data (Rasa's /model/parse and the
tracker's latest_message): every safety-critical intent the message says, most severe first,
from the patterns (data/safety/<lang>.yml, language/safety.py) and from the model when the model
is confident. Then:
  - a pattern matched: the intent becomes the most severe safety intent, confidence 1.0
    (a hardship beside a request the model heard leaves the request: language.safety.decide);
  - no pattern matched and the model's best guess is a safety intent below `confirm_below`
    (or below the fallback threshold): the intent becomes `check_safety` and `safety_check`
    names the guess, so the bot asks one yes-or-no question instead of acting on a guess or
    ignoring it (data/rules/safety.yml, actions/safety.py).
  - otherwise a safety intent in `hint_intents` that the model ranks below its best guess at
    `hint_above` or more counts as a pattern match would, with the model's confidence in it:
    something else the message says ("things have been rough, can I pay in a month": a
    deferral, and a hardship beside it). Only intents whose false alarm costs a borrower
    nothing belong there (hardship: the softer path; request_human: a person answers); a
    wrongly heard opt-out, wrong number, attorney or dispute would stop contact or collection;
  - a pattern marked `ask` matched and nothing safety-critical was heard otherwise:
    `check_safety` names its intent, as for an unsure guess ("I'm not <name>" is usually a
    third party, but "I'm not british" is not).
The actions honour the safety intents beside the message's intent (actions/safety.py).

The pattern file is read at training and kept in the model, so a model always runs with the
patterns it was trained and measured with; editing the file retrains (fingerprint_addon).
"""
from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any, Dict, List, Optional, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from language import safety

PATTERNS_KEY = "patterns"  # the pattern file, relative to the repository
CONFIRM_BELOW_KEY = "confirm_below"
HINT_ABOVE_KEY = "hint_above"
HINT_INTENTS_KEY = "hint_intents"
FALLBACK = "nlu_fallback"
CHECK_INTENT = "check_safety"
SAFETY_INTENTS = "safety_intents"
SAFETY_CHECK = "safety_check"
STORED_FILE = "safety_patterns.yml"


def _confidence(entry: Optional[dict]) -> float:
    return float((entry or {}).get("confidence") or 0.0)


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True)
class SafetyPatterns(GraphComponent):
    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {PATTERNS_KEY: None, CONFIRM_BELOW_KEY: 0.0, HINT_ABOVE_KEY: 0.0, HINT_INTENTS_KEY: []}

    @classmethod
    def fingerprint_addon(cls, config: Dict[str, Any]) -> Optional[str]:
        path = config.get(PATTERNS_KEY)
        if not path or not Path(path).exists():
            return None
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()

    def __init__(self, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
                 patterns: Optional[safety.SafetyPatterns] = None) -> None:
        self._config = config
        self._model_storage = model_storage
        self._resource = resource
        self._patterns = patterns

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "SafetyPatterns":
        return cls(config, model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        path = self._config.get(PATTERNS_KEY)
        if not path:
            raise ValueError("SafetyPatterns needs `patterns`: the language's pattern file")
        text = Path(path).read_text(encoding="utf-8")
        self._patterns = safety.parse(text, path)  # a broken pattern fails training
        with self._model_storage.write_to(self._resource) as directory:
            (directory / STORED_FILE).write_text(text, encoding="utf-8")
        return self._resource

    @classmethod
    def load(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> "SafetyPatterns":
        with model_storage.read_from(resource) as directory:
            text = (directory / STORED_FILE).read_text(encoding="utf-8")
        return cls(config, model_storage, resource, safety.parse(text, STORED_FILE))

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            if self._patterns is not None and message.get(TEXT):
                self._process(message)
        return messages

    def _process(self, message: Message) -> None:
        intent = message.get(INTENT) or {}
        ranking = [r for r in (message.get(INTENT_RANKING_KEY) or []) if r.get(INTENT_NAME_KEY) != FALLBACK]
        best = ranking[0] if ranking else intent
        model_intent = best.get(INTENT_NAME_KEY)
        confident = intent.get(INTENT_NAME_KEY) != FALLBACK
        matched = self._patterns.matched(message.get(TEXT))
        if (not matched and model_intent in safety.SEVERITY
                and (not confident or _confidence(best) < self._config[CONFIRM_BELOW_KEY])):
            self._set_intent(message, CHECK_INTENT, _confidence(best), ranking)
            message.set(SAFETY_CHECK, model_intent, add_to_output=True)
            message.set(SAFETY_INTENTS, [], add_to_output=True)
            return
        hints = {name: conf for name, conf in self._hints(ranking[1:]).items() if name not in matched}
        chosen, said = safety.decide([*matched, *hints], model_intent, confident)
        ask = [i for i in self._patterns.to_ask(message.get(TEXT)) if i not in said]
        if chosen is None and not said and ask:
            # An `ask` pattern and nothing else safety-critical: one question about it.
            self._set_intent(message, CHECK_INTENT, _confidence(best), ranking)
            message.set(SAFETY_CHECK, ask[0], add_to_output=True)
        elif chosen in matched:
            self._set_intent(message, chosen, 1.0, ranking)
        elif chosen in hints:
            self._set_intent(message, chosen, hints[chosen], ranking)
        message.set(SAFETY_INTENTS, said, add_to_output=True)

    def _hints(self, below_best: List[dict]) -> Dict[str, float]:
        """The hint intents the model ranks below its best guess at `hint_above` or more."""
        above = self._config.get(HINT_ABOVE_KEY) or 0.0
        wanted = set(self._config.get(HINT_INTENTS_KEY) or [])
        return {r[INTENT_NAME_KEY]: _confidence(r) for r in below_best
                if above and r.get(INTENT_NAME_KEY) in wanted and _confidence(r) >= above}

    @staticmethod
    def _set_intent(message: Message, name: str, confidence: float, ranking: List[dict]) -> None:
        message.set(INTENT, {INTENT_NAME_KEY: name, "confidence": confidence}, add_to_output=True)
        rest = [r for r in ranking if r.get(INTENT_NAME_KEY) != name]
        message.set(INTENT_RANKING_KEY, [{INTENT_NAME_KEY: name, "confidence": confidence}, *rest],
                    add_to_output=True)
