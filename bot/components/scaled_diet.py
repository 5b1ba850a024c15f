"""DIET whose epochs shrink as the training data grows, so its training time stays flat.

DIET's `epochs` counts passes over the data: with three times the examples, each pass takes
three times as long, and the same number of passes trains three times as many steps. Above
`scale_epochs_above` examples this classifier trains `epochs * scale_epochs_above / examples`
passes (never fewer than `min_epochs`): the same number of steps, in the same time, as at the
size its settings were chosen for. Measured (docs/training.md): on the English data tripled,
33 passes scored the held-out set as 100 did on the data as it is, in a third of the time.
"""
from __future__ import annotations

import logging
import math
from typing import Any, Dict, Text

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.nlu.classifiers.diet_classifier import DIETClassifier
from rasa.shared.nlu.training_data.training_data import TrainingData
from rasa.utils.tensorflow.constants import EPOCHS

logger = logging.getLogger(__name__)

SCALE_EPOCHS_ABOVE = "scale_epochs_above"
MIN_EPOCHS = "min_epochs"


def scaled_epochs(epochs: int, examples: int, scale_above: int, min_epochs: int) -> int:
    """The passes that train as many steps on `examples` as `epochs` did on `scale_above`."""
    if examples <= scale_above:
        return epochs
    return max(min(min_epochs, epochs), math.ceil(epochs * scale_above / examples))


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER,
     DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR],
    is_trainable=True,
)
class ScaledEpochsDIETClassifier(DIETClassifier):
    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {**DIETClassifier.get_default_config(), SCALE_EPOCHS_ABOVE: 2500, MIN_EPOCHS: 20}

    def train(self, training_data: TrainingData) -> Resource:
        examples = len(training_data.intent_examples)
        epochs = scaled_epochs(self.component_config[EPOCHS], examples,
                               self.component_config[SCALE_EPOCHS_ABOVE],
                               self.component_config[MIN_EPOCHS])
        if epochs != self.component_config[EPOCHS]:
            logger.info(f"{examples} examples: training {epochs} epochs instead of "
                        f"{self.component_config[EPOCHS]} (the same number of steps)")
        self.component_config[EPOCHS] = epochs
        return super().train(training_data)
