"""The NLU quality report: one self-contained HTML page a trainer can open anywhere.

    python -m bot.nlu_report [--lang en] [--model models/<file>.tar.gz] [--save-baseline]

Evaluates the model on the held-out set (bot/nlu_eval.py, the same run as the gate) and
writes build/nlu-report/<lang>/report.html with
  - accuracy, macro and weighted F1, and the gate's verdict on every floor of
    tests/nlu/thresholds.yml;
  - per-intent precision, recall, F1 and support, with the file each intent's examples
    live in and the safety-critical intents marked;
  - the confusion matrix and the confidence histogram Rasa draws (embedded as data: the
    page needs no other file);
  - the worst confusions (which intent is taken for which, how often, and the sentences);
  - what got better or worse than the previous report: build/nlu-report/<lang>/
    previous.json (the run before this one, on this machine) or, on a fresh checkout
    such as CI, the committed baseline tests/nlu/baseline_<lang>.json. --save-baseline
    makes this run the baseline (commit it with the data change it measures);
  - a warning when held-out sentences also stand in the training data (the figures are
    then optimistic: those sentences are no longer unseen).
The gate (python -m bot.nlu_gate) writes the same page, so CI leaves it in build/.
"""
from __future__ import annotations

import argparse
import base64
import html
import json
import sys
from pathlib import Path
from typing import List, Optional, Tuple

from bot.annotation import (
    NluData,
    _scan,
    dev_messages,
    display_path,
    multi_intent_messages,
    normalise,
)
from bot.nlu_eval import Evaluation, dev_paths, evaluate, heldout_path, multi_path
from bot.nlu_gate import SAFETY_CRITICAL, checks, load_floors, print_report
from bot.training import ROOT, ensure_model, nlu_dir

REPORTS = ROOT / "build" / "nlu-report"
BASELINES = ROOT / "tests" / "nlu"
WORST = 10  # confusions listed
NOTABLE = 0.005  # a change smaller than this is noise in the comparison


def baseline_path(lang: str) -> Path:
    return BASELINES / f"baseline_{lang}.json"


def run(lang: str, model: Optional[Path], floors: dict) -> Tuple[Evaluation, Path]:
    """Evaluates (training the current model first when no model is given) and writes
    the report; returns the evaluation and the page."""
    out = REPORTS / lang
    evaluation = evaluate(lang, Path(model) if model else ensure_model(lang), out)
    return evaluation, write(evaluation, floors, out)


def contamination(lang: str, data_dir: Optional[Path] = None) -> List[Tuple[str, str]]:
    """(intent, sentence) of held-out sentences (the two-intent ones too, as
    "first+second") that also stand in the training data."""
    data = NluData(data_dir or nlu_dir(lang))
    training = {}
    for block in data.blocks():
        for _, example in block.examples:
            training.setdefault(normalise(example), block.intent)
    found = []
    for block in _scan(heldout_path(lang))[1]:
        for _, example in block.examples:
            if normalise(example) in training:
                found.append((block.intent, example))
    if multi_path(lang).exists():
        for text, intents in multi_intent_messages(multi_path(lang)):
            if normalise(text) in training:
                found.append(("+".join(intents), text))
    for path in dev_paths(lang):  # read by trainers, but never trained on
        for text, intents in dev_messages(path):
            if normalise(text) in training:
                found.append(("+".join(intents), text))
    return found


def write(evaluation: Evaluation, floors: dict, out: Path,
          baseline: Optional[Path] = None) -> Path:
    """Writes report.html and summary.json into `out`; the summary of the run before
    becomes previous.json, what this page compares itself with."""
    out.mkdir(parents=True, exist_ok=True)
    summary_file, previous_file = out / "summary.json", out / "previous.json"
    if summary_file.exists():
        summary_file.replace(previous_file)
    baseline = baseline or baseline_path(evaluation.lang)
    against, against_label = None, "nothing yet"
    if previous_file.exists():
        against = json.loads(previous_file.read_text())
        against_label = f"the previous report ({against.get('generated_at')}, {against.get('model')})"
    elif baseline.exists():
        against = json.loads(baseline.read_text())
        against_label = (f"the committed baseline {display_path(baseline)} "
                         f"({against.get('generated_at')}, {against.get('model')})")
    summary = evaluation.summary()
    summary_file.write_text(json.dumps(summary, indent=2, sort_keys=True) + "\n")
    page = out / "report.html"
    page.write_text(render(evaluation, floors, against, against_label,
                           contamination(evaluation.lang)))
    return page


# --- the page ----------------------------------------------------------------------------


def _e(value) -> str:
    return html.escape(str(value))


def _image(path: Path, alt: str) -> str:
    if not path.exists():
        return f'<p class="muted">Rasa drew no {_e(alt.lower())} for this run.</p>'
    data = base64.b64encode(path.read_bytes()).decode()
    return f'<img alt="{_e(alt)}" src="data:image/png;base64,{data}">'


def _delta(now: float, before: Optional[float]) -> str:
    if before is None:
        return ""
    change = now - before
    if abs(change) < NOTABLE:
        return '<span class="muted">=</span>'
    kind = "up" if change > 0 else "down"
    return f'<span class="{kind}">{change:+.3f}</span>'


def changes(summary: dict, against: Optional[dict]) -> dict:
    """What got better or worse: intents by F1 or recall, and single sentences."""
    if not against:
        return {"better": [], "worse": [], "fixed": [], "broken": []}
    better, worse = [], []
    old = against.get("intents", {})
    for intent, now in sorted(summary["intents"].items()):
        before = old.get(intent)
        if not before:
            continue
        for figure in ("recall", "f1"):
            change = now[figure] - before[figure]
            if abs(change) >= NOTABLE:
                entry = (intent, figure, before[figure], now[figure])
                (better if change > 0 else worse).append(entry)
    wrong_now = {(e["text"], e["intent"]): e["predicted"] for e in summary["errors"]}
    wrong_before = {(e["text"], e["intent"]): e["predicted"] for e in against.get("errors", [])}
    return {
        "better": better,
        "worse": worse,
        "fixed": sorted((t, i, wrong_before[(t, i)]) for t, i in set(wrong_before) - set(wrong_now)),
        "broken": sorted((t, i, wrong_now[(t, i)]) for t, i in set(wrong_now) - set(wrong_before)),
    }


STYLE = """
body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1d2433;margin:0;background:#f5f7fb}
main{max-width:1100px;margin:0 auto;padding:24px}
h1{font-size:24px;margin:0 0 4px}h2{font-size:18px;margin:28px 0 10px}
section{background:#fff;border:1px solid #e3e7ee;border-radius:10px;padding:16px 20px;margin:16px 0}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:5px 8px;border-bottom:1px solid #e3e7ee}
th{font-size:12px;text-transform:uppercase;letter-spacing:.04em;color:#667085}
td.n{text-align:right;font-variant-numeric:tabular-nums}
.muted{color:#667085}.up{color:#1b7f3b;font-weight:600}.down{color:#c62828;font-weight:600}
.pass{background:#e7f6ec;color:#1b7f3b}.fail{background:#fee4e2;color:#c62828}
.verdict{display:inline-block;padding:4px 12px;border-radius:14px;font-weight:700}
.safety{font-size:11px;background:#fee4e2;color:#c62828;border-radius:8px;padding:1px 6px;margin-left:6px}
.figures{display:flex;gap:24px;flex-wrap:wrap}.figure b{display:block;font-size:28px}
img{max-width:100%;height:auto;border:1px solid #e3e7ee;border-radius:6px}
li{margin:2px 0}code{background:#f2f4f7;padding:1px 5px;border-radius:4px}
tr.failing td{background:#fff5f5}
"""


def render(evaluation: Evaluation, floors: dict, against: Optional[dict], against_label: str,
           contaminated: List[Tuple[str, str]]) -> str:
    summary = evaluation.summary()
    gate = checks(evaluation.report, floors)
    failing = [c for c in gate if not c.ok]
    recall_floors = floors.get("recall_floors") or {}
    files = NluData(nlu_dir(evaluation.lang)).intent_files()
    old = (against or {}).get("intents", {})
    diff = changes(summary, against)
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        "<meta name='viewport' content='width=device-width, initial-scale=1'>",
        f"<title>NLU quality report ({_e(evaluation.lang)})</title><style>{STYLE}</style></head>",
        "<body><main>",
        f"<h1>NLU quality report: held-out set ({_e(evaluation.lang)})</h1>",
        f"<p class='muted'>{_e(evaluation.generated_at)} · model {_e(evaluation.model)} · "
        f"{summary['size']} held-out messages in {_e(display_path(heldout_path(evaluation.lang)))}, "
        "never trained on · compared with " + _e(against_label) + "</p>",
    ]

    # the verdict and the headline figures
    verdict = ("<span class='verdict pass'>Gate passes</span>" if not failing
               else f"<span class='verdict fail'>Gate fails: {len(failing)} below the floor</span>")
    before_accuracy = (against or {}).get("accuracy")
    parts += [
        "<section>", verdict,
        "<div class='figures'>",
        f"<div class='figure'>accuracy<b>{evaluation.accuracy:.3f}</b>"
        f"{_delta(evaluation.accuracy, before_accuracy)} floor {floors['accuracy']}</div>",
        f"<div class='figure'>macro F1<b>{summary['macro_f1']:.3f}</b>"
        f"{_delta(summary['macro_f1'], (against or {}).get('macro_f1'))}</div>",
        f"<div class='figure'>weighted F1<b>{summary['weighted_f1']:.3f}</b>"
        f"{_delta(summary['weighted_f1'], (against or {}).get('weighted_f1'))}</div>",
        "</div>",
    ]
    if failing:
        parts.append("<ul>" + "".join(f"<li class='down'>{_e(c)}</li>" for c in failing) + "</ul>")
    parts.append(
        "<p class='muted'>The gate (tests/nlu/thresholds.yml): accuracy at least "
        f"{floors['accuracy']}, every intent's F1 at least {floors['min_f1']}, and a recall floor "
        "for each safety-critical intent: "
        + ", ".join(f"{_e(i)} {recall_floors.get(i)}" for i in SAFETY_CRITICAL) + ".</p></section>"
    )

    # what changed
    parts.append("<section><h2>What changed</h2>")
    if against is None:
        parts.append("<p class='muted'>No earlier report to compare with.</p>")
    else:
        def moves(entries, word):
            if not entries:
                return f"<p class='muted'>Nothing {word}.</p>"
            return "<ul>" + "".join(
                f"<li><b>{_e(i)}</b> {_e(f)} {b:.3f} → {n:.3f}</li>" for i, f, b, n in entries
            ) + "</ul>"

        parts.append("<h3>Better</h3>" + moves(diff["better"], "got better"))
        parts.append("<h3>Worse</h3>" + moves(diff["worse"], "got worse"))
        if diff["fixed"]:
            parts.append("<h3>Now right</h3><ul>" + "".join(
                f"<li>“{_e(t)}” ({_e(i)}; was taken for {_e(p)})</li>" for t, i, p in diff["fixed"]
            ) + "</ul>")
        if diff["broken"]:
            parts.append("<h3>Now wrong</h3><ul>" + "".join(
                f"<li class='down'>“{_e(t)}” ({_e(i)}; now taken for {_e(p)})</li>"
                for t, i, p in diff["broken"]
            ) + "</ul>")
    parts.append("</section>")

    # per intent
    parts.append(
        "<section><h2>Per intent</h2><table><thead><tr><th>intent</th><th>examples in</th>"
        "<th class='n'>precision</th><th class='n'>recall</th><th class='n'>F1</th>"
        "<th class='n'>n</th><th class='n'>F1 change</th><th class='n'>recall floor</th>"
        "</tr></thead><tbody>"
    )
    for intent, f in sorted(summary["intents"].items(), key=lambda kv: kv[1]["f1"]):
        floor = recall_floors.get(intent)
        below = f["f1"] < floors["min_f1"] or (floor is not None and f["recall"] < floor)
        badge = "<span class='safety'>safety-critical</span>" if intent in SAFETY_CRITICAL else ""
        where = display_path(files[intent]) if intent in files else ""
        parts.append(
            f"<tr class='{'failing' if below else ''}'><td>{_e(intent)}{badge}</td>"
            f"<td class='muted'>{_e(where)}</td>"
            f"<td class='n'>{f['precision']:.3f}</td><td class='n'>{f['recall']:.3f}</td>"
            f"<td class='n'>{f['f1']:.3f}</td><td class='n'>{f['support']}</td>"
            f"<td class='n'>{_delta(f['f1'], (old.get(intent) or {}).get('f1')) if against else ''}</td>"
            f"<td class='n'>{'' if floor is None else floor}</td></tr>"
        )
    parts.append("</tbody></table><p class='muted'>Weakest first. Precision: of the messages the "
                 "model gave this intent, the share that had it. Recall: of the messages that "
                 "have this intent, the share the model found.</p></section>")

    # worst confusions
    parts.append("<section><h2>Worst confusions</h2>")
    confusions = evaluation.confusions()[:WORST]
    if not confusions:
        parts.append("<p>The model got every held-out message right.</p>")
    else:
        parts.append("<table><thead><tr><th>is</th><th>taken for</th><th class='n'>times</th>"
                     "<th>held-out messages (never copy them into data/nlu)</th></tr></thead><tbody>")
        for c in confusions:
            texts = "<br>".join(f"“{_e(t)}”" for t in c.texts)
            parts.append(f"<tr><td>{_e(c.intent)}</td><td>{_e(c.predicted)}</td>"
                         f"<td class='n'>{c.count}</td><td>{texts}</td></tr>")
        parts.append("</tbody></table>")
    parts.append("</section>")

    # pictures
    parts += [
        "<section><h2>Confusion matrix</h2><p class='muted'>Rows: the intent a message has; "
        "columns: what the model said. Everything off the diagonal is a mistake.</p>",
        _image(evaluation.out / "intent_confusion_matrix.png", "Confusion matrix"),
        "</section><section><h2>Confidence</h2><p class='muted'>How sure the model was: its "
        "right answers on the left, its wrong ones on the right. Wrong answers at high "
        "confidence are the ones to fix first.</p>",
        _image(evaluation.out / "intent_histogram.png", "Confidence histogram"),
        "</section>",
    ]

    if contaminated:
        parts.append(
            f"<section><h2 class='down'>{len(contaminated)} held-out messages are also training "
            "examples</h2><p>These figures are optimistic: a sentence the model was trained on "
            "is no longer unseen. Reword or remove the copies in data/nlu (never the held-out "
            "set).</p><details><summary>Show them</summary><ul>"
            + "".join(f"<li>{_e(i)}: “{_e(t)}”</li>" for i, t in contaminated)
            + "</ul></details></section>"
        )
    parts.append("<p class='muted'>How to read this page and how to add examples: "
                 "docs/trainers.md.</p></main></body></html>\n")
    return "\n".join(parts)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.nlu_report")
    parser.add_argument("--lang", default="en")
    parser.add_argument("--model", type=Path, default=None,
                        help="evaluate this model (default: the current one, trained if needed)")
    parser.add_argument("--save-baseline", action="store_true",
                        help=f"also write this run's figures to {display_path(BASELINES)}/"
                             "baseline_<lang>.json")
    args = parser.parse_args(argv)
    floors = load_floors(args.lang)
    evaluation, page = run(args.lang, args.model, floors)
    print_report(evaluation)
    failing = [c for c in checks(evaluation.report, floors) if not c.ok]
    print(f"gate: {'passes' if not failing else 'FAILS: ' + '; '.join(map(str, failing))}")
    if args.save_baseline:
        baseline_path(args.lang).write_text((page.parent / "summary.json").read_text())
        print(f"baseline saved: {display_path(baseline_path(args.lang))}")
    print(f"report: {page}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
