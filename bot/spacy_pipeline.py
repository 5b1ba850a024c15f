"""Build the spaCy pipeline Rasa loads: blank English plus our entity_ruler; no downloaded model.

    python -m bot.spacy_pipeline build/spacy/en

writes a pipeline directory that Rasa's `SpacyNLP` loads with `model: build/spacy/en`:
`SpacyTokenizer` uses its tokenizer and `SpacyEntityExtractor` reports its entities
(amount, date, months, birth_date, id_last4). Rebuild after editing bot/entity_patterns.py;
the patterns are copied into the directory. Building twice gives the same files.
"""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional, Sequence

import spacy
from spacy.language import Language

from bot.entity_patterns import english_patterns

DEFAULT_PATH = Path("build/spacy/en")
PIPELINE_NAME = "repay_entities"  # spaCy names the package en_repay_entities
PIPELINE_VERSION = "1.0.0"


def build_pipeline() -> Language:
    """A blank English pipeline with one component, the entity_ruler holding our patterns."""
    nlp = spacy.blank("en")
    nlp.meta.update(
        name=PIPELINE_NAME,
        version=PIPELINE_VERSION,
        description="Tokenizer and rule-based entities for repayment conversations over SMS.",
    )
    ruler = nlp.add_pipe("entity_ruler", config={"validate": True})
    ruler.add_patterns(english_patterns())
    return nlp


def save_pipeline(path: Path = DEFAULT_PATH) -> Path:
    """Build the pipeline and write it to `path` (parents created, existing files replaced)."""
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    build_pipeline().to_disk(path)
    return path


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) > 1 or (args and args[0] in ("-h", "--help")):
        print(f"usage: python -m bot.spacy_pipeline [PATH]  (default {DEFAULT_PATH})")
        return 2
    path = save_pipeline(Path(args[0]) if args else DEFAULT_PATH)
    print(f"spaCy pipeline written to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
