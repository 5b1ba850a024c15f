"""What is wrong with a language's NLU training data before any model is trained.

    python -m bot.nlu_data_report [--lang en] [--threshold 0.9] [--data DIR]

Lists, for data/nlu/<lang>/:
  - the number of examples per intent;
  - exact duplicates: the same sentence twice (compared as bot.annotation.normalise does:
    without case, spacing, entity markup and final punctuation), under one intent or two;
  - label conflicts: the same or nearly the same sentence under two intents (the model is
    taught both answers and learns neither);
  - near-duplicates inside one intent: sentences that differ by a word and teach the model
    nothing new.
"Nearly the same" is the Jaccard similarity of the two sentences' token sets at or above
the threshold. English compares words; Chinese, written without spaces, compares
character bigrams (a word is usually two characters). Exits 1 when there is an exact
duplicate or a label conflict (tests/unit/test_nlu_data_checks.py holds the data to it);
near-duplicates are listed for a trainer to thin out, without failing.
"""
from __future__ import annotations

import argparse
import math
import re
import sys
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, FrozenSet, Iterable, List, Optional, Sequence, Tuple

from bot.annotation import NluData, display_path, normalise
from bot.training import LANGUAGES, nlu_dir

THRESHOLD = 0.9
_WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)*")


@dataclass(frozen=True)
class Example:
    intent: str
    file: Path
    line: int  # 1-based
    text: str  # as written, with entity markup
    key: str  # normalised: what exact duplicates share
    tokens: FrozenSet[str]

    def where(self) -> str:
        return f"{display_path(self.file)}:{self.line} [{self.intent}] {self.text}"


@dataclass(frozen=True)
class Pair:
    first: Example
    second: Example
    similarity: float


@dataclass
class DataReport:
    lang: str
    threshold: float
    counts: Dict[str, int]
    exact_duplicates: List[Pair]  # same normalised sentence, any intents
    conflicts: List[Pair]  # near-same sentence (not exact), two intents
    near_duplicates: List[Pair]  # near-same sentence (not exact), one intent

    @property
    def failed(self) -> bool:
        return bool(self.exact_duplicates or self.conflicts)


def tokens(text: str, lang: str) -> FrozenSet[str]:
    """The units two sentences are compared by: words, or character bigrams for Chinese."""
    key = normalise(text)
    if lang == "zh":
        # Letters and digits only (CJK punctuation and spaces say nothing about meaning);
        # a Latin word or a number counts as one unit so "STOP" is not four letters.
        units: List[str] = []
        for word in _WORD.findall(key):
            if all(unicodedata.east_asian_width(ch) in "WF" for ch in word):
                units.extend(word)
            else:
                units.append(word)
        if len(units) < 2:
            return frozenset(units)
        return frozenset(a + b for a, b in zip(units, units[1:]))
    return frozenset(_WORD.findall(key))


def jaccard(a: FrozenSet[str], b: FrozenSet[str]) -> float:
    """0 when a sentence has no words ("👍", "❌"): those are compared only exactly."""
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


def load(data_dir: Path, lang: str) -> List[Example]:
    return [
        Example(block.intent, block.file, index + 1, text, normalise(text), tokens(text, lang))
        for block in NluData(data_dir, heldout_dir=None).blocks()
        for index, text in block.examples
    ]


def similar_pairs(examples: Sequence[Example], threshold: float) -> Iterable[Tuple[int, int, float]]:
    """(i, j, similarity) of every pair at or above the threshold, by prefix filtering: two
    sets with Jaccard >= t share at least one of the first |x| - ceil(t|x|) + 1 tokens of
    each, in one global order (rarest first), so only those tokens are indexed."""
    frequency = Counter(token for example in examples for token in example.tokens)
    ordered = [sorted(e.tokens, key=lambda t: (frequency[t], t)) for e in examples]
    index: Dict[str, List[int]] = defaultdict(list)
    for i in sorted(range(len(examples)), key=lambda k: len(ordered[k])):
        size = len(ordered[i])
        prefix = size - math.ceil(threshold * size) + 1 if size else 0
        candidates = set()
        for token in ordered[i][:prefix]:
            candidates.update(index[token])
            index[token].append(i)
        for j in candidates:
            # j was indexed earlier, so it is no larger; a much smaller set cannot reach t.
            if len(ordered[j]) < threshold * size:
                continue
            similarity = jaccard(examples[i].tokens, examples[j].tokens)
            if similarity >= threshold:
                yield (j, i, similarity) if j < i else (i, j, similarity)


def report(lang: str, data_dir: Optional[Path] = None, threshold: float = THRESHOLD) -> DataReport:
    examples = load(Path(data_dir or nlu_dir(lang)), lang)
    counts = dict(Counter(example.intent for example in examples))

    exact: List[Pair] = []
    first_of: Dict[str, Example] = {}
    for example in examples:
        if example.key in first_of:
            exact.append(Pair(first_of[example.key], example, 1.0))
        else:
            first_of[example.key] = example

    conflicts: List[Pair] = []
    near: List[Pair] = []
    for i, j, similarity in similar_pairs(examples, threshold):
        a, b = examples[i], examples[j]
        if a.key == b.key:
            continue  # an exact duplicate, listed above
        (near if a.intent == b.intent else conflicts).append(Pair(a, b, similarity))
    order = lambda pair: (pair.first.file, pair.first.line, pair.second.line)  # noqa: E731
    return DataReport(lang, threshold, counts, exact, sorted(conflicts, key=order),
                      sorted(near, key=order))


def render(result: DataReport) -> str:
    lines = [f"NLU data [{result.lang}]: {sum(result.counts.values())} examples, "
             f"{len(result.counts)} intents (similarity: Jaccard >= {result.threshold} of "
             f"{'character bigrams' if result.lang == 'zh' else 'words'})"]
    for intent, count in sorted(result.counts.items(), key=lambda item: (item[1], item[0])):
        lines.append(f"  {count:5d}  {intent}")
    sections = [
        ("exact duplicates (fix: keep one)", result.exact_duplicates),
        ("label conflicts: the same or nearly the same sentence under two intents "
         "(fix: keep it under the intent DOMAIN.md gives it, or reword)", result.conflicts),
        ("near-duplicates within an intent (reword or drop one)", result.near_duplicates),
    ]
    for title, pairs in sections:
        lines.append(f"{title}: {len(pairs)}")
        for pair in pairs:
            lines.append(f"  {pair.similarity:.2f}  {pair.first.where()}")
            lines.append(f"        {pair.second.where()}")
    return "\n".join(lines)


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lang", choices=LANGUAGES, default="en")
    parser.add_argument("--threshold", type=float, default=THRESHOLD,
                        help="Jaccard similarity that counts as nearly the same (0-1]")
    parser.add_argument("--data", type=Path, help="NLU data directory (default: data/nlu/<lang>)")
    args = parser.parse_args(argv)
    if not 0 < args.threshold <= 1:
        parser.error("--threshold must be in (0, 1]")
    result = report(args.lang, args.data, args.threshold)
    print(render(result))
    return 1 if result.failed else 0


if __name__ == "__main__":
    sys.exit(main())
