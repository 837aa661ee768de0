"""The package's import graph, read from the source with ``ast``: qfdesk's modules (the
simulator's among them) import one another without a cycle, and the engine reaches neither
Qt, Selenium, the UI nor the browser layer.

Every import counts, at any depth: under ``if TYPE_CHECKING:``, inside functions and at the
top. ``from package import name`` is an edge to ``package.name`` when that is a module.
"""

from __future__ import annotations

import ast
from collections.abc import Container, Iterable, Mapping
from pathlib import Path

import qfdesk

PACKAGE_DIR = Path(qfdesk.__file__).resolve().parent
FORBIDDEN_IN_ENGINE = ("PySide6", "shiboken6", "pyqtgraph", "qasync", "selenium")
FORBIDDEN_PACKAGES_IN_ENGINE = ("qfdesk.ui", "qfdesk.browser")

Graph = Mapping[str, frozenset[str]]


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE_DIR.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {_module_name(path): path for path in sorted(PACKAGE_DIR.rglob("*.py"))}


def _imported(module: str, path: Path, known: Container[str]) -> frozenset[str]:
    """Every module ``module`` (at ``path``) names in an import, qfdesk's own and third-party
    ones; ``known`` are qfdesk's modules."""
    is_package = path.name == "__init__.py"
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = module.split(".")
                anchor = anchor if is_package else anchor[:-1]
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                name = f"{base}.{alias.name}"
                found.add(name if name in known else base)
    return frozenset(found)


def _graph() -> dict[str, frozenset[str]]:
    modules = _modules()
    return {name: _imported(name, path, modules) for name, path in modules.items()}


def _in(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def _cycle(graph: Graph, within: str) -> list[str]:
    """One import cycle among the modules of ``within``, as a path; empty when there is none."""
    nodes = sorted(name for name in graph if _in(name, within))
    edges = {
        name: sorted(m for m in graph[name] if m in graph and _in(m, within)) for name in nodes
    }
    done: set[str] = set()
    for start in nodes:
        if start in done:
            continue
        path = [start]
        steps = [iter(edges[start])]
        while steps:
            step = next(steps[-1], None)
            if step is None:
                done.add(path.pop())
                steps.pop()
            elif step in path:
                return [*path[path.index(step) :], step]
            elif step not in done:
                path.append(step)
                steps.append(iter(edges[step]))
    return []


def _reached_from(graph: Graph, roots: Iterable[str]) -> set[str]:
    """Every module importing ``roots`` runs: what they import, and the packages above each
    (importing ``a.b.c`` runs ``a/__init__`` and ``a/b/__init__`` first)."""
    seen: set[str] = set()
    todo = list(roots)
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        parts = name.split(".")
        todo.extend(".".join(parts[:i]) for i in range(1, len(parts)))
        todo.extend(graph.get(name, ()))
    return seen


def test_the_graph_sees_every_kind_of_import() -> None:
    graph = _graph()
    # orders.py imports the world at the top; server.py names ``frames`` through its package
    assert "qfdesk.sim.world" in graph["qfdesk.sim.orders"]
    assert "qfdesk.sim.frames" in graph["qfdesk.sim.server"]
    assert {"qfdesk.sim.platform", "qfdesk.sim.state"} <= graph["qfdesk.sim"]


def test_a_cycle_is_found_where_there_is_one() -> None:
    graph = {
        "p.a": frozenset({"p.b"}),
        "p.b": frozenset({"p.c", "q.x"}),
        "p.c": frozenset({"p.a"}),
        "q.x": frozenset({"p.a"}),
    }
    assert _cycle(graph, "p") == ["p.a", "p.b", "p.c", "p.a"]
    assert _cycle(graph, "q") == []
    assert _cycle({"p.a": frozenset({"p.b"}), "p.b": frozenset()}, "p") == []


def test_qfdesk_has_no_import_cycle() -> None:
    cycle = _cycle(_graph(), "qfdesk")
    assert not cycle, "import cycle: " + " -> ".join(cycle)


def test_the_engine_reaches_neither_qt_selenium_ui_nor_browser() -> None:
    graph = _graph()
    engine = [name for name in graph if _in(name, "qfdesk.engine")]
    reached = _reached_from(graph, engine)
    assert "qfdesk.engine.pipeline" in reached and "numpy" in reached
    forbidden = sorted(
        name
        for name in reached
        if any(_in(name, top) for top in FORBIDDEN_IN_ENGINE + FORBIDDEN_PACKAGES_IN_ENGINE)
    )
    assert not forbidden, f"the engine imports {forbidden}"
