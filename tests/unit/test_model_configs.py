"""The per-language models hold one dialogue: only their NLU pipelines may differ."""
import hashlib
import re
import tarfile
from pathlib import Path

import pytest
import yaml

from bot.training import CONFIGS, ROOT, model_path


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
        diet = next(c for c in config["pipeline"] if c["name"].endswith("DIETClassifier"))
        assert diet["entity_recognition"] is False  # entities come from rules, read by language


def _policy_files(lang):
    """{file name: sha256} of the dialogue policies inside a language's trained model."""
    path = model_path(lang)
    assert path.exists(), f"{path.name} is not trained: python -m bot.training"
    with tarfile.open(path) as archive:
        return {
            member.name: hashlib.sha256(archive.extractfile(member).read()).hexdigest()
            for member in archive.getmembers()
            if member.isfile() and re.match(r"components/train_\w+Policy\d+/", member.name)
        }


@pytest.mark.rasa  # reads models/
def test_the_trained_models_hold_the_very_same_dialogue_policies():
    # Same policies, domain, rules and stories: Rasa trains the dialogue once and takes it
    # from its cache for the next language. With the files identical, the test stories
    # run against the English model (scripts/test.sh) hold for every language.
    english = _policy_files("en")
    assert any("TEDPolicy" in name for name in english)
    for lang in CONFIGS:
        assert _policy_files(lang) == english, f"the {lang} model's dialogue differs from English"
