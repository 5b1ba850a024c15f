"""What a test needs beyond Python, as markers (pyproject.toml lists them), given from
what it uses so that a new test gets them without anyone remembering:
- `postgres`, `redis`: it uses the `postgres_url` or `redis_url` fixture, itself or
  through another fixture; a variant parametrized onto SQLite (`sqlite`) or memory
  (`memory`) instead needs neither;
- `e2e` and `rasa`: it is under tests/e2e (the stack runs the trained models);
- `browser`: it uses the `chromium` fixture (tests/e2e/conftest.py).
Tests that need a trained model, or train one, without saying so through a fixture carry
`@pytest.mark.rasa` themselves."""
from __future__ import annotations

from pathlib import Path

import pytest

E2E_DIR = Path(__file__).resolve().parent.parent / "e2e"
SERVERS = {"postgres_url": "postgres", "redis_url": "redis"}
# A parametrized fixture's variant that runs without the server: {param value: marker}.
WITHOUT_SERVER = {"sqlite": "postgres", "memory": "redis"}


def needs(item) -> set:
    """The markers `item` (a collected test) gets from what it uses."""
    markers = {marker for fixture, marker in SERVERS.items() if fixture in item.fixturenames}
    callspec = getattr(item, "callspec", None)
    if callspec is not None:
        markers -= {WITHOUT_SERVER.get(str(value)) for value in callspec.params.values()}
    if E2E_DIR in Path(item.path).parents:
        markers |= {"e2e", "rasa"}
    if "chromium" in item.fixturenames:
        markers.add("browser")
    return markers


def mark_by_what_tests_use(items) -> None:
    for item in items:
        for marker in sorted(needs(item)):
            item.add_marker(getattr(pytest.mark, marker))
