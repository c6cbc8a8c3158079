"""What README.md and docs/*.md name exists: files and folders, links and their anchors, make targets, modules.

The README is what a newcomer reads first and the docs are where it sends them; a path that moved or a
section that was renamed is a dead end, so the names are checked here, not by reading.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
# Paths as the text writes them: from the repository's root, in backticks or plain.
PATH = re.compile(
    r"(?<![\w./<-])((?:services|tests|deploy|dashboards|docs|proto|\.ci)/[\w./<>*-]*|docker-compose\.yml|\.env\.example)"
)
# Folders made by running the system, not kept in the repository.
MADE_AT_RUN_TIME = (".data", ".cache", "test-artifacts")
LINK = re.compile(r"\]\(([^)\s]+)\)")
MAKE = re.compile(r"(?:^|[\s(])make ([a-z][a-z-]*)", re.MULTILINE)
MODULE = re.compile(r"python -m ([a-z_][\w.]*)")
FENCE = re.compile(r"^```.*?^```", re.MULTILINE | re.DOTALL)
CODE_SPAN = re.compile(r"`([^`\n]+)`")


def anchor(heading: str) -> str:
    """GitHub's anchor of a heading: lower case, punctuation dropped (letters of any script kept), spaces → '-'."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def anchors(path: Path) -> set[str]:
    prose = FENCE.sub("", path.read_text(encoding="utf-8"))
    return {anchor(heading) for heading in re.findall(r"^#+ (.*)$", prose, re.MULTILINE)}


def make_targets(text: str) -> set[str]:
    """The make targets of the commands the text shows (code blocks and `code`; prose says "make two names")."""
    code = FENCE.findall(text) + CODE_SPAN.findall(FENCE.sub("", text))
    return {target for snippet in code for target in MAKE.findall(snippet)}


def named_paths(text: str) -> set[str]:
    """Every repository path the text names, cut before a placeholder (`senders/<code>.py` → `senders/`)."""
    found = set()
    for path in PATH.findall(text):
        path = re.split(r"[<*]", path.rstrip(".,:;)"))[0]
        found.add(path)
    return found


def test_the_readme_links_every_docs_file() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    linked = {target.split("#")[0] for target in LINK.findall(readme)}
    assert {f"docs/{path.name}" for path in DOCS[1:]} <= linked


@pytest.mark.parametrize("doc", DOCS, ids=lambda path: path.name)
def test_every_path_named_exists(doc: Path) -> None:
    missing = sorted(path for path in named_paths(doc.read_text(encoding="utf-8")) if not (ROOT / path).exists())
    assert missing == [], f"{doc.relative_to(ROOT)} names paths that are not in the repository: {missing}"


@pytest.mark.parametrize("doc", DOCS, ids=lambda path: path.name)
def test_every_link_and_anchor_resolves(doc: Path) -> None:
    broken = []
    for target in LINK.findall(doc.read_text(encoding="utf-8")):
        if target.startswith(("http://", "https://")):
            continue
        path, _, fragment = target.partition("#")
        destination = (doc.parent / path).resolve() if path else doc
        if not destination.exists():
            broken.append(f"{target}: no such file")
        elif fragment and destination.suffix == ".md" and fragment not in anchors(destination):
            broken.append(f"{target}: no heading #{fragment} in {destination.relative_to(ROOT)}")
    assert broken == [], f"{doc.relative_to(ROOT)}: {broken}"


@pytest.mark.parametrize("doc", DOCS, ids=lambda path: path.name)
def test_every_make_target_and_module_named_exists(doc: Path) -> None:
    text = doc.read_text(encoding="utf-8")
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    targets = set(re.findall(r"^([a-z][a-z-]*):", makefile, re.MULTILINE))
    unknown_targets = sorted(make_targets(text) - targets)
    assert unknown_targets == [], f"{doc.relative_to(ROOT)}: no such make target: {unknown_targets}"
    unknown_modules = []
    for module in set(MODULE.findall(text)):
        relative = Path(*module.split("."))
        # Run from the repository (tests.…) or from the installed services/ (processor.…, stack).
        candidates = [base / relative.with_suffix(".py") for base in (ROOT, ROOT / "services")]
        candidates += [base / relative / "__main__.py" for base in (ROOT, ROOT / "services")]
        if not any(candidate.exists() for candidate in candidates):
            unknown_modules.append(module)
    assert unknown_modules == [], f"{doc.relative_to(ROOT)}: no such module: {sorted(unknown_modules)}"


def test_the_checks_read_as_written() -> None:
    assert anchor("Reports: `POST /v1/observations`, `PUT /v1/targets`") == "reports-post-v1observations-put-v1targets"
    assert anchor("Ingest (`http://127.0.0.1:8000`)") == "ingest-http1270018000"
    assert anchor("半年红 overview") == "半年红-overview"
    assert named_paths("see `services/notifier/senders/<code>.py`, and tests/dashboards/.") == {
        "services/notifier/senders/",
        "tests/dashboards/",
    }
    assert named_paths("`.data/pids/stack.pid`, `indicators.batches`") == set()
    assert make_targets("`make run`, then `INDICATORS_X=1 make sample`; make two names look alike") == {"run", "sample"}
    assert make_targets("```sh\nmake check  # lint\n```") == {"check"}
