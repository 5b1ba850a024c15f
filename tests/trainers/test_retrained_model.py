"""An approved example teaches the model: annotate a copy of data/nlu, train a quick
NLU-only model on the copy and on the original (bot/nlu_try.py, in one subprocess, about
a minute and a half on two cores, in Rasa's runtime), and ask both how they classify the sentence.

The sentence is one the current model gets wrong ("the bailiff took my car" reads as
ask_consequences); a trainer files it under hardship."""
from __future__ import annotations

import json
import os
import subprocess
import textwrap

import pytest
import yaml

from bot.annotation import NluData
from settings.runtimes import dialogue_python
from tests.support.paths import ROOT

SENTENCE = "the bailiff took my car"
INTENT = "hardship"

SCRIPT = textwrap.dedent("""
    import json, sys
    from pathlib import Path
    from bot.nlu_try import train_quick
    from bot.nlu_parse import parse
    before_dir, after_dir, out, sentence = sys.argv[1:5]
    before = train_quick(Path(before_dir), Path(out), "before")
    after = train_quick(Path(after_dir), Path(out), "after")
    print("RESULT " + json.dumps({
        "before": parse(before, [sentence])[0], "after": parse(after, [sentence])[0],
    }), flush=True)
""")


@pytest.mark.rasa  # trains two models
def test_an_approved_example_is_learnt_by_the_retrained_model(tmp_path, nlu_dir):
    original = nlu_dir  # a copy of data/nlu, left as it is
    annotated = tmp_path / "annotated" / "nlu"
    annotated.parent.mkdir()
    subprocess.run(["cp", "-r", str(original), str(annotated)], check=True)

    written = NluData(annotated).add_example(INTENT, SENTENCE)
    data = yaml.safe_load(written.file.read_text())
    block = next(item for item in data["nlu"] if item.get("intent") == INTENT)
    assert block["examples"].splitlines()[-1] == f"- {SENTENCE}"

    env = {**os.environ, "PYTHONPATH": str(ROOT), "RASA_CACHE_DIRECTORY": str(tmp_path / "cache")}
    run = subprocess.run(
        [dialogue_python(), "-c", SCRIPT, str(original), str(annotated), str(tmp_path / "models"),
         SENTENCE],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600,
    )
    lines = [line for line in run.stdout.splitlines() if line.startswith("RESULT ")]
    assert run.returncode == 0 and lines, run.stderr[-3000:]
    result = json.loads(lines[-1][len("RESULT "):])
    print(f"before: {result['before']['intent']} {result['before']['confidence']:.2f}; "
          f"after: {result['after']['intent']} {result['after']['confidence']:.2f}")
    assert result["before"]["intent"] != INTENT, (
        "the model already says hardship without the example: choose another sentence, "
        "or this test shows nothing"
    )
    assert result["after"]["intent"] == INTENT
