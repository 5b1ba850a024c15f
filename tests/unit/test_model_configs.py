"""The per-language models hold one dialogue: only their NLU pipelines may differ."""
from pathlib import Path

import yaml

from bot.training import CONFIGS, ROOT


def _config(lang):
    return yaml.safe_load(Path(ROOT, CONFIGS[lang]).read_text(encoding="utf-8"))


def test_every_language_has_the_same_dialogue_policies():
    english = _config("en")["policies"]
    for lang in CONFIGS:
        assert _config(lang)["policies"] == english, f"{CONFIGS[lang]} policies differ from config.yml"


def test_each_config_declares_its_language_and_intents_only_from_diet():
    for lang in CONFIGS:
        config = _config(lang)
        assert config["language"] == lang
        diet = next(c for c in config["pipeline"] if c["name"] == "DIETClassifier")
        assert diet["entity_recognition"] is False  # entities come from rules, read by bot.language
