"""The quality report and the gate, from a held-out evaluation (Rasa's output files
written here by hand: what `rasa test nlu` writes, without running it)."""
from __future__ import annotations

import json
import re

import pytest
import yaml

import bot.nlu_report as nlu_report
from bot import nlu_gate
from bot.nlu_eval import Evaluation, load
from bot.nlu_gate import SAFETY_CRITICAL, THRESHOLDS, check, load_floors
from bot.nlu_safety import SafetyFigures
from tests.support.paths import ROOT

PNG = b"\x89PNG\r\n\x1a\n" + b"not really a picture"
FLOORS = {
    "accuracy": 0.85, "min_f1": 0.70,
    "recall_floors": {intent: 0.8 for intent in SAFETY_CRITICAL},
}


def figures(precision, recall, support=10, **confused):
    f1 = 0.0 if precision + recall == 0 else 2 * precision * recall / (precision + recall)
    return {"precision": precision, "recall": recall, "f1-score": f1, "support": support,
            "confused_with": confused}


def rasa_output(out, opt_out_recall=0.9, accuracy=0.9, errors=None):
    """What `rasa test nlu --out out` leaves behind."""
    out.mkdir(parents=True, exist_ok=True)
    report = {intent: figures(0.9, 0.9) for intent in SAFETY_CRITICAL}
    report["opt_out"] = figures(0.95, opt_out_recall)
    report["greet"] = figures(1.0, 1.0)
    report["ask_who"] = figures(0.8, 0.7)
    report["accuracy"] = accuracy
    report["macro avg"] = {"precision": 0.9, "recall": 0.9, "f1-score": 0.88, "support": 80}
    report["weighted avg"] = {"precision": 0.9, "recall": 0.9, "f1-score": 0.89, "support": 80}
    errors = errors if errors is not None else [
        {"text": "who is this <b>really</b>", "intent": "ask_who",
         "intent_prediction": {"name": "thank", "confidence": 0.8}},
        {"text": "whats this about", "intent": "ask_who",
         "intent_prediction": {"name": "thank", "confidence": 0.6}},
        {"text": "leave me alone", "intent": "opt_out",
         "intent_prediction": {"name": "abuse", "confidence": 0.7}},
    ]
    (out / "intent_report.json").write_text(json.dumps(report))
    (out / "intent_errors.json").write_text(json.dumps(errors))
    (out / "intent_confusion_matrix.png").write_bytes(PNG)
    (out / "intent_histogram.png").write_bytes(PNG)
    return load("en", out, "repay-test.tar.gz")


def test_the_report_is_one_page_with_its_picture_figures_and_worst_confusions(tmp_path):
    evaluation = rasa_output(tmp_path / "rasa")
    page = nlu_report.write(evaluation, FLOORS, tmp_path / "report", baseline=tmp_path / "none.json")
    html = page.read_text()
    assert page.name == "report.html"
    # self-contained: the pictures are inside, nothing is fetched
    assert html.count("data:image/png;base64,") == 2
    assert not re.search(r"""(src|href)=["'](?!data:)""", html)
    assert "Gate passes" in html and "0.900" in html
    # worst confusions, most frequent first, sentences escaped
    worst = html[html.index("Worst confusions"):html.index("Confusion matrix")]
    assert worst.index("ask_who</td><td>thank</td><td class='n'>2") < worst.index("opt_out</td><td>abuse")
    assert "&lt;b&gt;really&lt;/b&gt;" in worst and "<b>really</b>" not in html
    assert "safety-critical" in html and "data/nlu/en/contact.yml" in html
    assert "No earlier report to compare with." in html


def test_the_report_compares_with_the_baseline_then_with_the_previous_run(tmp_path):
    baseline = tmp_path / "baseline_en.json"
    first = rasa_output(tmp_path / "rasa1", opt_out_recall=0.9)
    baseline.write_text(json.dumps(first.summary()))

    worse = rasa_output(tmp_path / "rasa2", opt_out_recall=0.7, accuracy=0.86, errors=[
        {"text": "leave me alone", "intent": "opt_out",
         "intent_prediction": {"name": "abuse", "confidence": 0.7}},
        {"text": "stop it", "intent": "opt_out",
         "intent_prediction": {"name": "abuse", "confidence": 0.9}},
    ])
    out = tmp_path / "report"
    html = nlu_report.write(worse, FLOORS, out, baseline=baseline).read_text()
    assert "the committed baseline" in html
    changed = html[html.index("What changed"):html.index("Per intent")]
    assert "<b>opt_out</b> recall 0.900 → 0.700" in changed
    assert "“stop it” (opt_out; now taken for abuse)" in changed
    assert "“whats this about” (ask_who; was taken for thank)" in changed
    assert "Gate fails" in html and "opt_out recall 0.700 &lt; 0.8" in html

    again = rasa_output(tmp_path / "rasa3", opt_out_recall=0.9)
    html = nlu_report.write(again, FLOORS, out, baseline=baseline).read_text()
    assert "the previous report" in html
    assert "<b>opt_out</b> recall 0.700 → 0.900" in html
    assert json.loads((out / "previous.json").read_text())["intents"]["opt_out"]["recall"] == 0.7


def test_the_gate_fails_on_a_safety_critical_recall_below_its_floor(tmp_path):
    evaluation = rasa_output(tmp_path, opt_out_recall=0.7)
    assert check(evaluation.report, FLOORS) == ["opt_out recall 0.700 < 0.8"]
    assert check(rasa_output(tmp_path, opt_out_recall=0.8).report, FLOORS) == []


def test_the_gate_fails_on_accuracy_and_on_a_weak_intent(tmp_path):
    evaluation = rasa_output(tmp_path, accuracy=0.84)
    evaluation.report["ask_who"] = figures(0.6, 0.6)
    assert check(evaluation.report, FLOORS) == ["accuracy 0.840 < 0.85", "ask_who F1 0.600 < 0.7"]


def test_a_safety_critical_intent_missing_from_the_held_out_set_fails(tmp_path):
    evaluation = rasa_output(tmp_path)
    del evaluation.report["hardship"]
    assert check(evaluation.report, FLOORS) == ["hardship recall missing from the held-out set < 0.8"]


def test_gate_and_report_share_one_evaluation(tmp_path, monkeypatch, capsys):
    runs = []

    def fake_evaluate(lang, model, out):
        runs.append(model)
        return rasa_output(out, opt_out_recall=0.5)

    monkeypatch.setattr(nlu_report, "REPORTS", tmp_path)
    monkeypatch.setattr(nlu_report, "evaluate", fake_evaluate)
    monkeypatch.setattr(nlu_gate, "measure_safety", lambda lang, model: SafetyFigures(lang))
    assert nlu_gate.main(["--model", "models/x.tar.gz"]) == 1
    output = capsys.readouterr().out
    assert "NLU gate FAILED: opt_out recall 0.500 <" in output
    assert len(runs) == 1 and (tmp_path / "en" / "report.html").exists()
    assert "Gate fails" in (tmp_path / "en" / "report.html").read_text()


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_thresholds_name_every_safety_critical_intent_and_never_exceed_todays_model(lang):
    floors = load_floors(lang)
    baseline = json.loads(nlu_report.baseline_path(lang).read_text())
    assert set(floors["recall_floors"]) == set(SAFETY_CRITICAL)
    assert floors["accuracy"] <= baseline["accuracy"]
    for intent, floor in floors["recall_floors"].items():
        assert floor <= baseline["intents"][intent]["recall"], intent
    assert yaml.safe_load(THRESHOLDS.read_text())[lang]["min_f1"] <= min(
        f["f1"] for f in baseline["intents"].values())


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_no_held_out_sentence_is_a_training_example(lang):
    # The held-out figures only estimate real traffic while the set stays unseen.
    assert nlu_report.contamination(lang) == []


def test_held_out_sentences_in_the_training_data_are_counted(tmp_path):
    evaluation = rasa_output(tmp_path / "rasa")
    html = nlu_report.render(evaluation, FLOORS, None, "nothing", [("greet", "hey hi")])
    assert "1 held-out messages are also training examples" in html


def test_the_trainers_guide_matches_the_gate_and_the_commands():
    guide = (ROOT / "docs" / "trainers.md").read_text()
    floors = load_floors("en")
    for intent, floor in floors["recall_floors"].items():
        assert re.search(rf"\| {intent} \| {floor} \|", guide), intent
    from server.cli.nlu import nlu

    for command in set(re.findall(r"flask --app server nlu ([a-z]+)", guide)):
        assert command in nlu.commands, command
    for module in set(re.findall(r"python -m (bot\.[a-z_]+)", guide)):
        assert (ROOT / (module.replace(".", "/") + ".py")).exists(), module


def test_an_evaluation_summary_round_trips(tmp_path):
    evaluation = rasa_output(tmp_path)
    summary = evaluation.summary()
    assert summary["intents"]["opt_out"]["recall"] == 0.9 and summary["size"] == 80
    assert isinstance(Evaluation(lang="en", model="m", out=tmp_path, report=evaluation.report)
                      .confusions(), list)
