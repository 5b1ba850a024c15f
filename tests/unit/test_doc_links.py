"""Every relative link in the repository's Markdown leads somewhere: the file exists, and an
anchor (#section) names a heading of the page it points to. Code blocks and code spans are
not links; addresses with a scheme (https:, mailto:) are not checked here."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SKIP_DIRS = {".venv", ".venv-rasa", "build", "models", "var", ".git", "node_modules"}

FENCE = re.compile(r"^(```|~~~).*?^\1[^\n]*$", re.M | re.S)
CODE_SPAN = re.compile(r"(`+)(?!`).+?(?<!`)\1", re.S)
INLINE_LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
REFERENCE_LINK = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)", re.M)
HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$", re.M)
SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")


def markdown_files() -> list[Path]:
    return sorted(path for path in ROOT.rglob("*.md")
                  if not set(path.relative_to(ROOT).parts) & SKIP_DIRS)


def _prose(text: str) -> str:
    return CODE_SPAN.sub("", FENCE.sub("", text))


def links(text: str) -> list[str]:
    prose = _prose(text)
    return INLINE_LINK.findall(prose) + REFERENCE_LINK.findall(prose)


def anchors(text: str) -> set[str]:
    """GitHub's anchors for a page's headings: lower case, punctuation dropped, spaces to
    hyphens, a repeated heading numbered -1, -2..."""
    seen: dict[str, int] = {}
    found = set()
    for _, title in HEADING.findall(FENCE.sub("", text)):
        title = re.sub(r"`|\*\*|__|\[([^\]]*)\]\([^)]*\)", r"\1", title)
        slug = re.sub(r"[^\w\- ]", "", title.lower()).replace(" ", "-")
        count = seen.get(slug, 0)
        seen[slug] = count + 1
        found.add(slug if count == 0 else f"{slug}-{count}")
    return found


def broken_links(path: Path) -> list[str]:
    text = path.read_text(encoding="utf-8")
    problems = []
    for target in links(text):
        if SCHEME.match(target):
            continue
        file_part, _, anchor = target.partition("#")
        destination = (path.parent / file_part).resolve() if file_part else path
        if not destination.exists():
            problems.append(f"{target}: no such file")
        elif anchor and destination.suffix == ".md" and anchor not in anchors(
                destination.read_text(encoding="utf-8")):
            problems.append(f"{target}: no heading with that anchor")
    return problems


def test_the_checker_sees_links_and_skips_code():
    text = ("See [a](docs/a.md#x) and ![b](b.png \"title\"), not `[c](c.md)` nor\n"
            "```\n[d](d.md)\n```\n[e]: e.md\n")
    assert links(text) == ["docs/a.md#x", "b.png", "e.md"]
    assert anchors("# The safety layer: what the bot must never miss\n## A/B tests\n## A/B tests\n") == {
        "the-safety-layer-what-the-bot-must-never-miss", "ab-tests", "ab-tests-1"}


def test_there_are_pages_to_check():
    names = {path.relative_to(ROOT).as_posix() for path in markdown_files()}
    assert {"README.md", "docs/architecture.md", "docs/configuration.md"} <= names


@pytest.mark.parametrize("path", markdown_files(), ids=lambda p: p.relative_to(ROOT).as_posix())
def test_relative_links_resolve(path):
    assert broken_links(path) == []
