"""The import graph of ``triage``, drawn from the code: no new cycle among module-level imports.

Each module's imports are read with ``ast`` (nothing is imported). An import
at module level (also inside a class body, a ``try`` or an ``if``, but not
under ``if TYPE_CHECKING:``) runs when the module is imported; one inside a
function runs when the function is called, which is how a module may reach
back without a cycle at import time. Among module-level imports no cycle is
allowed at all. Counting the function-level imports too, the cycles still
there are listed in ``KNOWN_DEFERRED_CYCLES``, to be removed (not added to):
the test also fails when one of them is gone, so the list stays true.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

from tests.conftest import ROOT

PACKAGE = ROOT / "triage"

#: cycles through function-level imports still in the tree (each as its sorted modules), to be removed
#: (the last one, triage.batch.units <-> triage.scan.pipeline, went with the work layer, triage/work/)
KNOWN_DEFERRED_CYCLES: set[tuple[str, ...]] = set()


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py")) if "__pycache__" not in p.parts}


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _imports(tree: ast.Module) -> Iterator[tuple[ast.Import | ast.ImportFrom, bool]]:
    """Every import statement and whether it runs at import time (module level)."""
    def walk(nodes: list[ast.stmt], top: bool) -> Iterator[tuple[ast.Import | ast.ImportFrom, bool]]:
        for node in nodes:
            if isinstance(node, ast.Import | ast.ImportFrom):
                yield node, top
            elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                yield from walk(node.body, False)
            elif isinstance(node, ast.If) and _is_type_checking(node.test):
                yield from walk(node.orelse, top)  # the TYPE_CHECKING branch never runs
            else:
                for field in ("body", "orelse", "finalbody", "handlers", "cases"):
                    children = getattr(node, field, None)
                    if isinstance(children, list):
                        stmts = [c for c in children if isinstance(c, ast.stmt)]
                        stmts += [s for c in children if isinstance(c, ast.ExceptHandler | ast.match_case)
                                  for s in c.body]
                        yield from walk(stmts, top)
    return walk(tree.body, True)


def import_graph() -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """``(module-level edges, function-level edges)`` between modules of ``triage``."""
    modules = _modules()
    top: dict[str, set[str]] = {m: set() for m in modules}
    inner: dict[str, set[str]] = {m: set() for m in modules}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node, at_top in _imports(ast.parse(path.read_text(encoding="utf-8"))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            else:
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join([*anchor, base] if base else anchor)
                for a in node.names:  # ``from pkg import module`` imports the module
                    targets.append(f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base)
            for t in targets:
                while t and t not in modules:  # ``import triage.x.y`` of a name inside a module
                    t = t.rpartition(".")[0]
                if t and t != name:
                    (top if at_top else inner)[name].add(t)
    return top, inner


def cycles(graph: dict[str, set[str]]) -> set[tuple[str, ...]]:
    """The strongly connected components of more than one module (Tarjan), each as its sorted modules."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: set[tuple[str, ...]] = set()
    counter = 0

    def visit(v: str) -> None:
        nonlocal counter
        index[v] = low[v] = counter
        counter += 1
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.add(tuple(sorted(comp)))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_no_cycle_among_module_level_imports() -> None:
    top, _inner = import_graph()
    assert cycles(top) == set()


def test_no_new_cycle_through_function_level_imports() -> None:
    top, inner = import_graph()
    found = cycles({m: top[m] | inner[m] for m in top})
    new = found - KNOWN_DEFERRED_CYCLES
    assert not new, f"new import cycle(s): {sorted(new)}"
    gone = KNOWN_DEFERRED_CYCLES - found
    assert not gone, f"cycle(s) removed: take them out of KNOWN_DEFERRED_CYCLES: {sorted(gone)}"


def test_the_graph_is_read_from_real_imports() -> None:
    top, inner = import_graph()
    assert len(top) > 80
    assert "triage.scan.content.matcher" in top["triage.scan.engine"] or \
        "triage.scan.content" in top["triage.scan.engine"] | inner["triage.scan.engine"]
    assert "triage.scan.members.limits" in top["triage.scan.members.zip"]
    # a TYPE_CHECKING import is not an edge: lanes and the matcher facade only refer to each other's types there
    assert "triage.scan.content.matcher" not in top["triage.scan.content.lanes"]
    assert "triage.scan.content.lanes" in top["triage.scan.content.matcher"]


def test_a_cycle_is_found_when_there_is_one() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == {("a", "b", "c")}
    assert cycles({"a": {"b"}, "b": set()}) == set()


def test_content_matching_and_members_do_not_reach_up_into_the_scan() -> None:
    """The content and members packages are below the engine and the pipeline: no import of them, at any level."""
    top, inner = import_graph()
    above = {"triage.scan.engine", "triage.batch", "triage.work", "triage.job",
             "triage.commands", "triage.cli"}
    for name in top:
        if name.startswith(("triage.scan.content", "triage.scan.members")):
            reached = {t for t in top[name] | inner[name] if t in above or t.startswith(tuple(a + "." for a in above))}
            assert not reached, (name, reached)


def test_the_work_layer_does_not_reach_up() -> None:
    """Work units, the worker runtime and the executors import the scan of one stream and the evidence, at any
    level, but never the pipeline that makes the units, the job layer or the commands (the cycle that was)."""
    top, inner = import_graph()
    above = ("triage.job", "triage.batch", "triage.commands", "triage.cli")
    works = [name for name in top if name.startswith("triage.work")]
    assert "triage.work.runtime" in works
    for name in works:
        reached = {t for t in top[name] | inner[name] if t in above or t.startswith(tuple(a + "." for a in above))}
        assert not reached, (name, reached)


def test_the_scan_of_one_stream_does_not_reach_up() -> None:
    """triage.scan (the engine and its consumers) is below the work layer and the job layer: it imports neither,
    at any level (the pipeline that drives executors lives in the job layer for that reason)."""
    top, inner = import_graph()
    above = ("triage.work", "triage.job", "triage.batch", "triage.commands", "triage.cli")
    scans = [name for name in top if name.startswith("triage.scan")]
    assert "triage.scan.engine" in scans
    for name in scans:
        reached = {t for t in top[name] | inner[name] if t in above or t.startswith(tuple(a + "." for a in above))}
        assert not reached, (name, reached)
