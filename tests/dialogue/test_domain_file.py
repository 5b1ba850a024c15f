"""domain.yml has one reader (bot/domain_file.py), which reads what Rasa reads, and one
layout: every section ordered by the topics its header lists, as data/ is split."""
from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from rasa.shared.core.constants import DEFAULT_INTENTS
from rasa.shared.core.domain import Domain

from bot import domain_file

ROOT = Path(__file__).resolve().parents[2]
SECTIONS = ("intents", "slots", "forms", "actions", "responses")
TOPIC_LINE = re.compile(r"^#   ([a-z]+) {2,}\S")
TOPIC_HEADER = re.compile(r"^  # --- ([a-z]+)\b")
ENTRY = re.compile(r"^  (?:- )?[a-z_0-9]+\b")


def _sources():
    skipped = {".venv", ".venv-rasa", "build", "node_modules"}
    return [p for p in ROOT.rglob("*.py") if not skipped & set(p.relative_to(ROOT).parts)]


def _names_the_domain_file(path: Path) -> bool:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    return any(isinstance(node, ast.Constant) and isinstance(node.value, str)
               and Path(node.value).name == domain_file.DOMAIN_PATH.name for node in ast.walk(tree))


def test_only_the_loader_names_the_domain_file():
    others = [str(p.relative_to(ROOT)) for p in _sources()
              if _names_the_domain_file(p) and p != ROOT / "bot" / "domain_file.py"]
    assert not others, f"read domain.yml through bot/domain_file.py, not in: {others}"


def test_the_check_sees_a_private_reader(tmp_path):
    reader = tmp_path / "reader.py"
    reader.write_text('"""Reads domain.yml."""\nimport yaml\nDATA = yaml.safe_load(open(ROOT / "domain.yml"))\n')
    assert _names_the_domain_file(reader)
    reader.write_text('"""Mentions domain.yml in words only."""\n')
    assert not _names_the_domain_file(reader)


def test_the_loader_reads_what_rasa_reads():
    rasa = Domain.load(str(domain_file.DOMAIN_PATH))
    assert set(domain_file.intents()) | set(DEFAULT_INTENTS) == set(rasa.intents)
    assert sorted(domain_file.entities()) == rasa.entities
    assert set(domain_file.slots()) <= {slot.name for slot in rasa.slots}
    assert list(domain_file.forms()) == rasa.form_names
    assert domain_file.actions() == [a for a in rasa.user_actions if not a.startswith("utter_")]
    assert domain_file.responses() == rasa.responses
    assert "utter_explain_debt" in domain_file.responses()  # not an empty file read twice


def test_a_caller_cannot_change_what_the_others_read():
    domain_file.responses()["utter_greet"][0]["text"] = "changed"
    domain_file.slots().clear()
    assert domain_file.responses()["utter_greet"][0]["text"] != "changed"
    assert "identity_status" in domain_file.slots()


def test_a_domain_file_that_is_not_a_mapping_is_refused_by_name(tmp_path):
    broken = tmp_path / "broken.yml"
    broken.write_text("- responses\n")
    with pytest.raises(domain_file.DomainFileError, match=re.escape(str(broken))):
        domain_file.responses(broken)


def _layout_problems(text: str) -> list:
    """Where a section of the domain leaves the header's order of topics."""
    lines = text.splitlines()
    topics = [m.group(1) for line in lines if (m := TOPIC_LINE.match(line))]  # the header's
    if not topics:
        return ["the header lists no topics"]
    section, seen, problems = None, {}, []
    for number, line in enumerate(lines, 1):
        top = re.match(r"^([a-z_]+):", line)
        if top:
            section = top.group(1)
            seen[section] = []
            continue
        if section not in SECTIONS:
            continue
        header = TOPIC_HEADER.match(line)
        if header:
            topic = header.group(1)
            if topic not in topics:
                problems.append(f"line {number}: '{topic}' is not a topic of the header")
                continue
            if seen[section] and topics.index(topic) <= topics.index(seen[section][-1]):
                problems.append(f"line {number}: {section}: '{topic}' after '{seen[section][-1]}'")
            seen[section].append(topic)
        elif ENTRY.match(line) and not seen[section]:
            problems.append(f"line {number}: {section}: an entry before any topic")
    problems += [f"no {name} section" for name in SECTIONS if name not in seen]
    return problems


def test_every_section_is_ordered_by_the_topics_of_the_header():
    text = domain_file.DOMAIN_PATH.read_text(encoding="utf-8")
    assert {"identity", "debt", "promises", "plans", "deferral", "contact"} <= {
        m.group(1) for line in text.splitlines() if (m := TOPIC_LINE.match(line))}
    assert _layout_problems(text) == []


def test_the_layout_check_sees_a_topic_out_of_place():
    text = domain_file.DOMAIN_PATH.read_text(encoding="utf-8")
    moved = text.replace("  # --- promises: a promise to pay\n", "", 1).replace(
        "  # --- fallback: not understanding\n", "  # --- fallback: not understanding\n"
        "  # --- promises: a promise to pay\n", 1)
    assert moved != text
    assert _layout_problems(moved) == [
        f"line {moved.splitlines().index('  # --- fallback: not understanding') + 2}: "
        "responses: 'promises' after 'fallback'"]
    unknown = text.replace("  # --- disputes\n", "  # --- complaints\n", 1)
    assert any("'complaints' is not a topic" in p for p in _layout_problems(unknown))
