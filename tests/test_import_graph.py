"""The package `issuer` has no import cycle, counting every import wherever it is written.

An import inside a function is still a dependency: a cycle held together by late imports works
only by accident of import order. Each module under `issuer/` is parsed with `ast`; every
`import` and `from … import` (relative ones resolved) becomes an edge to the module it names
(to `package.name` when that is a module, else to the package itself).
"""

from __future__ import annotations

import ast
from pathlib import Path

import issuer

ROOT = Path(issuer.__file__).parent


def module_name(path: Path) -> str:
    parts = ("issuer", *path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(path): path for path in sorted(ROOT.rglob("*.py"))}


def imported(node: ast.AST, name: str, is_package: bool, known: set[str]) -> list[str]:
    """The modules of `issuer` that an import statement in module `name` names."""
    if isinstance(node, ast.Import):
        targets = [alias.name for alias in node.names]
    elif isinstance(node, ast.ImportFrom):
        base = node.module or ""
        if node.level:
            package = name.split(".") if is_package else name.split(".")[:-1]
            package = package[:len(package) - node.level + 1]
            base = ".".join(package + ([node.module] if node.module else []))
        targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base
                   for alias in node.names]
    else:
        return []
    return [target for target in targets if target in known]


def import_graph() -> dict[str, set[str]]:
    found = modules()
    known = set(found)
    graph = {}
    for name, path in found.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        is_package = path.name == "__init__.py"
        graph[name] = {target for node in ast.walk(tree)
                       for target in imported(node, name, is_package, known)
                       if target != name}
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle as [a, b, …, a], or None (depth-first search, in a stable order)."""
    state: dict[str, str] = {}
    path: list[str] = []

    def visit(module: str) -> list[str] | None:
        state[module] = "open"
        path.append(module)
        for target in sorted(graph[module]):
            if state.get(target) == "open":
                return path[path.index(target):] + [target]
            if target not in state:
                cycle = visit(target)
                if cycle:
                    return cycle
        state[module] = "done"
        path.pop()
        return None

    for module in sorted(graph):
        if module not in state:
            cycle = visit(module)
            if cycle:
                return cycle
    return None


def test_the_graph_sees_late_and_relative_imports():
    graph = import_graph()
    assert "issuer.services" in graph["issuer.services.intake"]  # from . import unit_of_work
    assert "issuer.web.openapi" in graph["issuer.web.api"]  # from . import openapi (a module)
    assert "issuer.services.keys" in graph["issuer.services.issuing"]  # from .keys import …
    assert "issuer.web.auth" in graph["issuer.web.i18n"]  # an import inside a function
    assert "issuer.core.baking" in graph["issuer.core.verify"]  # from . import baking


def test_find_cycle_names_the_cycle():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert find_cycle(graph) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_no_import_cycle():
    cycle = find_cycle(import_graph())
    assert cycle is None, "import cycle: " + " → ".join(cycle)
