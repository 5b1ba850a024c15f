"""domain.yml, read in one place: the path Rasa is given and its sections as data.

The file is parsed once per process (the bot's words change with a new release, not while
it runs) and every function hands out its own copy, so no caller can change what another
reads. Plain YAML and the standard library only: the gateway (trainers' inbox) uses it and
never imports Rasa.
"""
from __future__ import annotations

import copy
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, List

import yaml

ROOT = Path(__file__).resolve().parent.parent
DOMAIN_PATH = ROOT / "domain.yml"


class DomainFileError(ValueError):
    """domain.yml cannot be read as a Rasa domain; the message names the file."""


@lru_cache(maxsize=None)
def _parsed(path: Path) -> Dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise DomainFileError(f"{path}: {exc}") from exc
    if not isinstance(data, dict):
        raise DomainFileError(f"{path}: not a mapping of Rasa domain sections")
    return data


def data(path: Path = DOMAIN_PATH) -> Dict[str, Any]:
    """The whole domain, as the action server's `domain` argument holds it."""
    return copy.deepcopy(_parsed(Path(path)))


def _section(path: Path, key: str, empty):
    return copy.deepcopy(_parsed(Path(path)).get(key) or empty)


def _names(items: List[Any]) -> List[str]:
    """Names of a list whose entries are a name or {name: properties}."""
    return [next(iter(item)) if isinstance(item, dict) else str(item) for item in items]


def intents(path: Path = DOMAIN_PATH) -> List[str]:
    """Intent names, in the file's order."""
    return _names(_section(path, "intents", []))


def entities(path: Path = DOMAIN_PATH) -> List[str]:
    """Entity names, in the file's order."""
    return _names(_section(path, "entities", []))


def slots(path: Path = DOMAIN_PATH) -> Dict[str, Dict[str, Any]]:
    return _section(path, "slots", {})


def forms(path: Path = DOMAIN_PATH) -> Dict[str, Dict[str, Any]]:
    return _section(path, "forms", {})


def actions(path: Path = DOMAIN_PATH) -> List[str]:
    """The custom actions the action server runs (responses are not listed)."""
    return _names(_section(path, "actions", []))


def responses(path: Path = DOMAIN_PATH) -> Dict[str, List[Dict[str, Any]]]:
    """Each response's variants, in the file's order."""
    return _section(path, "responses", {})
