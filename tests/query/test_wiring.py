"""The query service's modules import without a cycle: each one alone, none of them the app's wiring.

query.main only wires the app (routers, dependencies, handlers); everything a router needs lives in a
module of its own. If a router reached back into query.main (as the board and the alerts API once did, from
inside functions, for private helpers), importing it alone would pull query.main in, or fail half-way.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import query

QUERY_DIR = Path(query.__file__).parent
MODULES = sorted(f"query.{path.stem}" for path in QUERY_DIR.glob("*.py") if path.stem != "__init__")
# Only the entry point (`python -m query`) may import the wiring.
WIRING_IMPORTERS = {"query.__main__"}


def query_imports(module: str) -> list[tuple[str, str]]:
    """(imported query module, name) for every import of a query module in `module`'s source, at any depth."""
    tree = ast.parse((QUERY_DIR / f"{module.removeprefix('query.')}.py").read_text(encoding="utf-8"))
    found: list[tuple[str, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module is not None and node.module.split(".")[0] == "query":
            for alias in node.names:
                # `from query import board` imports the module query.board.
                name = f"query.{alias.name}" if node.module == "query" else node.module
                found.append((name, "" if node.module == "query" else alias.name))
        elif isinstance(node, ast.Import):
            found += [(alias.name, "") for alias in node.names if alias.name.split(".")[0] == "query"]
    return found


def test_the_modules_are_found():
    assert {"query.main", "query.board", "query.alerts_api", "query.subscriptions", "query.problems"} <= set(MODULES)


@pytest.mark.parametrize("module", [m for m in MODULES if m not in WIRING_IMPORTERS | {"query.main"}])
def test_no_module_imports_the_wiring_or_anothers_private_names(module: str):
    imports = query_imports(module)
    assert [name for name, _ in imports if name == "query.main"] == []
    assert [f"{name}.{item}" for name, item in imports if item.startswith("_")] == []


def test_the_modules_import_each_other_without_a_cycle():
    graph = {module: {name for name, _ in query_imports(module) if name in MODULES} for module in MODULES}
    visiting: list[str] = []
    done: set[str] = set()

    def visit(module: str) -> None:
        assert module not in visiting, f"import cycle: {' → '.join([*visiting[visiting.index(module) :], module])}"
        if module in done:
            return
        visiting.append(module)
        for imported in sorted(graph[module]):
            visit(imported)
        visiting.pop()
        done.add(module)

    for module in MODULES:
        visit(module)
    assert graph["query.main"] >= {"query.board", "query.alerts_api", "query.subscriptions", "query.problems"}


def test_each_module_imports_alone_in_a_fresh_interpreter_without_the_wiring():
    # One interpreter per module: a module imported first is the one that would fail half-way in a cycle.
    script = (
        "import importlib, sys\n"
        "importlib.import_module(sys.argv[1])\n"
        "print(sorted(m for m in sys.modules if m == 'query.main'))\n"
    )
    answers = {}
    for module in MODULES:
        if module == "query.__main__":
            continue
        done = subprocess.run(  # noqa: S603 (this interpreter, a fixed script)
            [sys.executable, "-c", script, module], capture_output=True, text=True, timeout=60, check=False
        )
        assert done.returncode == 0, f"{module}: {done.stderr}"
        answers[module] = done.stdout.strip()
    assert answers == {module: "['query.main']" if module == "query.main" else "[]" for module in answers}
