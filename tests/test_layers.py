"""The house's layers (issue 17): no import circle anywhere in metrics/ or pages/, imports made inside functions
included (a late import hides a circle, it does not remove it), and the store below the import layer."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph(folders=("metrics", "pages")) -> dict[str, set[str]]:
    """module -> the project modules it imports, at any depth of its code."""
    paths = {module_name(p): p for folder in folders for p in (ROOT / folder).rglob("*.py")}
    graph = {}
    for name, path in paths.items():
        found = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found |= {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found |= {node.module} | {f"{node.module}.{alias.name}" for alias in node.names}
        graph[name] = {m for m in found if m in paths and m != name}
    return graph


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan), each sorted."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_the_reader_finds_a_circle_where_there_is_one():
    # guards the test below against a checker that cannot fail
    assert circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert circles({"a": {"b"}, "b": set()}) == []


def test_no_import_circle_in_metrics_or_pages():
    graph = import_graph()
    assert len(graph) > 40 and graph["metrics.ingest.importing"] >= {"metrics.store"}
    assert circles(graph) == []


def test_the_store_does_not_reach_up_to_the_import_layer():
    graph = import_graph()
    assert not {m for m in graph["metrics.store"] if m.startswith(("metrics.ingest", "metrics.settings", "metrics.opening"))}
    # and importing it loads nothing above it
    code = "import sys, metrics.store; print(sorted(m for m in sys.modules if m.startswith('metrics.')))"
    loaded = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert "metrics.ingest" not in loaded.stdout and "metrics.settings" not in loaded.stdout
