"""`./repay demo` and `serve` start as soon as English is ready: a language in
StackConfig.later whose model is not built yet is trained after the rest is up, then
its Rasa is started (devtools/stack.py). Processes are not started here: `launch` is
recorded; the training is a real subprocess."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

from devtools import stack as stack_module
from devtools.stack import Stack, StackConfig


@pytest.fixture
def models(tmp_path, monkeypatch):
    """English built, Chinese not; ensure_models records what it was asked to build."""
    built = {"en": tmp_path / "repay-en.tar.gz"}
    built["en"].write_text("model")
    asked = []

    def model_path(lang):
        return built.get(lang, tmp_path / f"repay-{lang}.tar.gz")

    def ensure_models(languages):
        languages = list(languages)
        asked.extend(languages)
        return {lang: model_path(lang) for lang in languages}

    monkeypatch.setattr(stack_module, "model_path", model_path)
    monkeypatch.setattr(stack_module, "ensure_models", ensure_models)
    return built, asked


def recording_stack(config: StackConfig, monkeypatch, training: str = "") -> Stack:
    stack = Stack(config)
    stack.started = []
    monkeypatch.setattr(stack, "launch", stack.started.append)
    monkeypatch.setattr(stack, "wait_healthy", lambda names, timeout, progress=False: None)
    monkeypatch.setattr(stack, "training_command", lambda lang: [sys.executable, "-c", training])
    return stack


def test_a_later_language_is_trained_after_the_rest_is_up_then_started(
        models, tmp_path, monkeypatch):
    built, asked = models
    config = StackConfig(languages=("en", "zh"), later=("zh",), log_dir=tmp_path / "log")
    # The "training" builds the model file, as bot.training would.
    stack = recording_stack(config, monkeypatch,
                            f"open({str(tmp_path / 'repay-zh.tar.gz')!r}, 'w').write('model')")
    assert asked == ["en"]  # nothing waits for the Chinese model
    (tmp_path / "log").mkdir()
    stack.start_all()
    assert stack.started[:3] == ["actions", "rasa", "gateway"]
    stack.background["zh"].join(timeout=30)
    assert stack.started == ["actions", "rasa", "gateway", "rasa-zh"]
    assert stack.models["zh"] == tmp_path / "repay-zh.tar.gz"
    assert "rasa-zh" in stack._commands()


def test_a_failed_background_training_leaves_the_rest_running_and_says_where_to_look(
        models, tmp_path, monkeypatch, capsys):
    config = StackConfig(languages=("en", "zh"), later=("zh",), log_dir=tmp_path / "log")
    stack = recording_stack(config, monkeypatch, "raise SystemExit(1)")
    (tmp_path / "log").mkdir()
    stack.start_all()
    stack.background["zh"].join(timeout=30)
    assert stack.started == ["actions", "rasa", "gateway"]
    out = capsys.readouterr().out
    assert "training the zh model failed" in out and "training-zh.log" in out


def test_without_later_every_model_is_built_before_anything_starts(models, tmp_path, monkeypatch):
    _built, asked = models
    config = StackConfig(languages=("en", "zh"), log_dir=tmp_path / "log")
    stack = recording_stack(config, monkeypatch)
    assert asked == ["en", "zh"]
    stack.start_all()
    assert stack.started == ["actions", "rasa", "rasa-zh", "gateway"]
    assert stack.background == {}


def test_a_later_language_already_built_starts_with_the_rest(models, tmp_path, monkeypatch):
    built, asked = models
    built["zh"] = Path(tmp_path / "repay-zh.tar.gz")
    built["zh"].write_text("model")
    config = StackConfig(languages=("en", "zh"), later=("zh",), log_dir=tmp_path / "log")
    stack = recording_stack(config, monkeypatch)
    assert asked == ["en", "zh"]
    stack.start_all()
    assert stack.started == ["actions", "rasa", "rasa-zh", "gateway"]
