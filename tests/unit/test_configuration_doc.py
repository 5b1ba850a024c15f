"""docs/configuration.md is the one table of the environment variables: it names every variable
the gateway, the workers and the action server read, and nothing they do not.

The names are read from the source (ast), not imported, so a variable read directly with
os.environ.get("NAME") counts as well as one listed in settings.service.ENV_VARS.
"""
from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "configuration.md"
# The modules that read the service's environment.
MODULES = ("settings/service.py", "settings/deployment.py", "actions/config.py")
SERVICE_TABLE = "### The service's variables"
TOOLS_TABLE = "### Variables of the processes around the service, the tools and the tests"
NAME = re.compile(r"^[A-Z][A-Z0-9_]*$")
# Where a tool's variable may be read: the source and the scripts, never the documentation.
SOURCE_SUFFIXES = {".py", ".sh", ".yml", ".yaml"}
SOURCE_FILES = ("repay", ".ci/run", "scripts/lock")
SKIP_DIRS = {".venv", ".venv-rasa", "build", "models", "var", ".git", "docs", "node_modules"}


def _constant_names(node: ast.AST) -> list[str]:
    """String constants that look like variable names, in a tuple/list or alone."""
    items = node.elts if isinstance(node, (ast.Tuple, ast.List)) else [node]
    return [item.value for item in items
            if isinstance(item, ast.Constant) and isinstance(item.value, str)
            and NAME.match(item.value)]


def _is_environ(node: ast.AST) -> bool:
    """`os.environ`, or a parameter named `environ` (Settings.from_env, the production rule)."""
    return (isinstance(node, ast.Attribute) and node.attr == "environ") or (
        isinstance(node, ast.Name) and node.id == "environ")


def environment_names(path: Path) -> set[str]:
    """Every variable `path` reads: environ.get("X"), environ["X"], os.getenv("X"), the names
    of its Secret(...)s, and the tuples of names it iterates (ENV_VARS, PRODUCTION_SIGNALS)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and node.args:
            func = node.func
            if isinstance(func, ast.Attribute) and func.attr == "get" and _is_environ(func.value):
                found.update(_constant_names(node.args[0]))
            elif isinstance(func, ast.Attribute) and func.attr == "getenv":
                found.update(_constant_names(node.args[0]))
            elif isinstance(func, ast.Name) and func.id == "Secret":
                found.update(_constant_names(node.args[0]))
        elif isinstance(node, ast.Subscript) and _is_environ(node.value):
            found.update(_constant_names(node.slice))
        elif isinstance(node, ast.Assign) and isinstance(node.value, (ast.Tuple, ast.List)):
            targets = {t.id for t in node.targets if isinstance(t, ast.Name)}
            if targets & {"ENV_VARS", "PRODUCTION_SIGNALS"}:
                found.update(_constant_names(node.value))
    return found


def documented_names(heading: str) -> list[str]:
    """The variables in the first column of the table under `heading` (several per row allowed)."""
    lines = DOC.read_text(encoding="utf-8").splitlines()
    assert heading in lines, f"{DOC.name} has no section {heading!r}"
    names = []
    for line in lines[lines.index(heading) + 1:]:
        if line.startswith("#"):
            break
        if line.startswith("| `"):
            first_cell = line.split("|")[1]
            names.extend(re.findall(r"`([A-Z][A-Z0-9_]*)`", first_cell))
    assert names, f"no table of variables under {heading!r} in {DOC.name}"
    return names


def test_every_module_is_read():
    # A parser that finds nothing would pass the comparison below for the wrong reason.
    for module in MODULES:
        assert environment_names(ROOT / module), f"no environment variable found in {module}"


def test_the_reader_finds_each_way_of_reading():
    found = set().union(*(environment_names(ROOT / module) for module in MODULES))
    # One of each: ENV_VARS, environ.get("..."), a Secret's name, PRODUCTION_SIGNALS.
    assert {"CAMPAIGN_QUEUE", "REPAY_NOW", "ACTION_SERVER_TOKEN", "REPAY_ENV"} <= found


def test_every_variable_the_service_reads_is_documented_and_nothing_else():
    read = {name: module for module in MODULES for name in environment_names(ROOT / module)}
    documented = documented_names(SERVICE_TABLE)
    duplicates = sorted({name for name in documented if documented.count(name) > 1})
    assert not duplicates, f"listed twice in {DOC.name}: {duplicates}"
    missing = sorted(set(read) - set(documented))
    assert not missing, (
        f"read but not documented in docs/configuration.md ({SERVICE_TABLE}): "
        + ", ".join(f"{name} ({read[name]})" for name in missing))
    unknown = sorted(set(documented) - set(read))
    assert not unknown, (
        f"documented in docs/configuration.md ({SERVICE_TABLE}) but read by none of "
        f"{', '.join(MODULES)}: {unknown}")


def _source_text() -> str:
    texts = []
    for path in ROOT.rglob("*"):
        relative = path.relative_to(ROOT)
        if set(relative.parts) & SKIP_DIRS or not path.is_file():
            continue
        if path.suffix in SOURCE_SUFFIXES or str(relative) in SOURCE_FILES:
            texts.append(path.read_text(encoding="utf-8", errors="replace"))
    return "\n".join(texts)


def test_every_tool_variable_documented_is_read_somewhere():
    service = set(documented_names(SERVICE_TABLE))
    tools = documented_names(TOOLS_TABLE)
    both = sorted(service & set(tools))
    assert not both, f"in both tables of {DOC.name} (one place each): {both}"
    source = _source_text()
    unread = [name for name in tools if not re.search(rf"\b{name}\b", source)]
    assert not unread, f"documented in {DOC.name} ({TOOLS_TABLE}) but read nowhere: {unread}"


def test_settings_docstring_points_to_the_table_instead_of_copying_it():
    import settings.service

    docstring = settings.service.__doc__ or ""
    assert "docs/configuration.md" in docstring
    assert "|" not in docstring, "settings/service.py's docstring holds a table again"
