"""The direction of dependencies, read from the source (docs/architecture.md).

Bottom to top: the store and the lender's rules; the settings, language and messaging;
the dialogue side (the model's tools, the actions), the campaigns and the gateway; the
developers' tools. A package may import its own modules and the layers below it, and,
within a layer, only what ALSO_ALLOWED names. The gateway and the workers' never importing
Rasa at run time is checked by running them (tests/gateway/test_gateway_app.py,
tests/campaigns/test_campaign_cli.py); this is the static rule beside it.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

LAYERS = [
    {"store", "lending"},
    {"settings", "language", "messaging"},
    {"bot", "actions", "campaigns", "server"},
    {"devtools"},
]
# Imports within a layer that are part of the design, and why.
ALSO_ALLOWED = {
    # The store keeps the lender's rules' records and the rules read them: one level.
    ("store", "lending"), ("lending", "store"),
    # Settings name the lender's policy file and the store's default database.
    ("settings", "lending"), ("settings", "store"),
    # The one Twilio adapter (messaging/twilio_adapter.py) reads the credentials from Settings.
    ("messaging", "settings"),
    # The gateway runs the campaigns' API and the console's trainers' inbox
    # (bot/annotation.py edits the training data; it does not import Rasa).
    ("server", "campaigns"), ("server", "bot"),
}
PACKAGES = {name for layer in LAYERS for name in layer}
LAYER_OF = {name: index for index, layer in enumerate(LAYERS) for name in layer}


def _imported_packages(path: Path) -> set[str]:
    """Top-level names of the repository's packages that `path` imports (absolute imports;
    relative imports stay within the package)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        found.update(name.split(".")[0] for name in names if name.split(".")[0] in PACKAGES)
    return found


def _may_import(importer: str, imported: str) -> bool:
    if importer == imported or LAYER_OF[imported] < LAYER_OF[importer]:
        return True
    return (importer, imported) in ALSO_ALLOWED


def test_every_package_is_placed_in_a_layer():
    packages = {p.name for p in ROOT.iterdir() if (p / "__init__.py").is_file()}
    assert packages - {"tests"} == PACKAGES


@pytest.mark.parametrize("package", sorted(PACKAGES))
def test_a_package_imports_only_from_the_layers_below(package):
    wrong = sorted(
        f"{path.relative_to(ROOT)} imports {imported}"
        for path in (ROOT / package).rglob("*.py")
        for imported in _imported_packages(path)
        if not _may_import(package, imported)
    )
    assert not wrong, "imports against the layers (docs/architecture.md):\n" + "\n".join(wrong)


def test_the_check_sees_an_upward_import(tmp_path):
    module = tmp_path / "upward.py"
    module.write_text("from server.api.accounts import bp\nimport store.db\nfrom . import sibling\n")
    assert _imported_packages(module) == {"server", "store"}
    assert not _may_import("campaigns", "devtools")
    assert not _may_import("lending", "language")
    assert _may_import("server", "campaigns")
