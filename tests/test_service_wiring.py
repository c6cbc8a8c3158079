"""Each HTTP service's modules import without a cycle: each one alone, none of them the app's wiring.

`<service>.main` only wires the app (routers, dependencies, handlers); everything a router needs lives in a
module of its own. If a router reached back into main (as the query board and alerts API once did, from
inside functions, for private helpers), importing it alone would pull main in, or fail half-way.
"""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys
from pathlib import Path

import pytest

SERVICES = ("query", "ingest")
# Per service: the modules every refactor must keep (a rename shows here first), and what main must wire.
ROUTERS = {
    "query": {"query.board", "query.alerts_api", "query.subscriptions", "query.problems"},
    "ingest": {"ingest.reports_api", "ingest.health", "ingest.problems"},
}


def service_dir(service: str) -> Path:
    return Path(importlib.import_module(service).__file__ or "").parent


def modules_of(service: str) -> list[str]:
    return sorted(f"{service}.{path.stem}" for path in service_dir(service).glob("*.py") if path.stem != "__init__")


def service_imports(service: str, module: str) -> list[tuple[str, str]]:
    """(imported module of the service, name) for every import of it in `module`'s source, at any depth."""
    source = service_dir(service) / f"{module.removeprefix(service + '.')}.py"
    found: list[tuple[str, str]] = []
    for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module is not None and node.module.split(".")[0] == service:
            for alias in node.names:
                # `from query import board` imports the module query.board.
                name = f"{service}.{alias.name}" if node.module == service else node.module
                found.append((name, "" if node.module == service else alias.name))
        elif isinstance(node, ast.Import):
            found += [(alias.name, "") for alias in node.names if alias.name.split(".")[0] == service]
    return found


@pytest.mark.parametrize("service", SERVICES)
def test_the_modules_are_found(service: str):
    assert ROUTERS[service] | {f"{service}.main"} <= set(modules_of(service))


@pytest.mark.parametrize(
    "service,module",
    [(s, m) for s in SERVICES for m in modules_of(s) if m not in {f"{s}.main", f"{s}.__main__"}],
)
def test_no_module_imports_the_wiring_or_anothers_private_names(service: str, module: str):
    imports = service_imports(service, module)
    assert [name for name, _ in imports if name == f"{service}.main"] == []
    assert [f"{name}.{item}" for name, item in imports if item.startswith("_")] == []


@pytest.mark.parametrize("service", SERVICES)
def test_the_modules_import_each_other_without_a_cycle(service: str):
    modules = modules_of(service)
    graph = {module: {name for name, _ in service_imports(service, module) if name in modules} for module in modules}
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

    for module in modules:
        visit(module)
    assert graph[f"{service}.main"] >= ROUTERS[service]


@pytest.mark.parametrize("service", SERVICES)
def test_each_module_imports_alone_in_a_fresh_interpreter_without_the_wiring(service: str):
    # One interpreter per module: a module imported first is the one that would fail half-way in a cycle.
    script = (
        "import importlib, sys\n"
        "importlib.import_module(sys.argv[1])\n"
        "print(sorted(m for m in sys.modules if m == sys.argv[2]))\n"
    )
    wiring = f"{service}.main"
    answers = {}
    for module in modules_of(service):
        if module == f"{service}.__main__":
            continue
        done = subprocess.run(  # noqa: S603 (this interpreter, a fixed script)
            [sys.executable, "-c", script, module, wiring], capture_output=True, text=True, timeout=60, check=False
        )
        assert done.returncode == 0, f"{module}: {done.stderr}"
        answers[module] = done.stdout.strip()
    assert answers == {module: f"['{wiring}']" if module == wiring else "[]" for module in answers}
