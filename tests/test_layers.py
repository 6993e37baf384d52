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
    assert not {m for m in graph["metrics.store"] if m.startswith(("metrics.ingest", "metrics.store.settings", "metrics.opening"))}
    # and importing it loads nothing above it
    code = "import sys, metrics.store; print(sorted(m for m in sys.modules if m.startswith('metrics.')))"
    loaded = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert "metrics.ingest" not in loaded.stdout and "metrics.store.settings" not in loaded.stdout


# The layers, lowest first (README.md's Layout): a module may import its own layer and those below, never one
# above. Data flows one way: files -> ingest -> store -> analysis -> charts -> pack, pages and command line.
LAYERS = (
    ("base", ("metrics", "metrics.vocabulary", "metrics.dates", "metrics.personal", "metrics.printable",
              "metrics.sample")),
    ("store", ("metrics.store",)),
    ("ingest", ("metrics.ingest",)),
    ("analysis", ("metrics.catalog", "metrics.stats", "metrics.scorecard", "metrics.alignment", "metrics.comments",
                  "metrics.linkage", "metrics.meetings", "metrics.collaboration", "metrics.projects", "metrics.review",
                  "metrics.review_edits", "metrics.glossary", "metrics.roles", "metrics.sign_in", "metrics.sign_outs",
                  "metrics.opening")),
    ("charts", ("metrics.charts",)),
    ("boardpack", ("metrics.boardpack",)),
    ("interfaces", ("metrics.__main__", "ui", "pages")),
)


def layer_of(module: str) -> int:
    """The layer of a module: the one naming it or the package it is in (the longest name that fits)."""
    fits = [(len(name), rank) for rank, (_, names) in enumerate(LAYERS) for name in names
            if module == name or module.startswith(name + ".")]
    assert fits, f"{module} is in no layer: add it to LAYERS"
    return max(fits)[1]


def upward(graph: dict[str, set[str]]) -> list[str]:
    return sorted(f"{m} ({LAYERS[layer_of(m)][0]}) imports {d} ({LAYERS[layer_of(d)][0]})"
                  for m, found in graph.items() for d in found if layer_of(d) > layer_of(m))


def test_the_layer_checker_finds_an_import_from_above():
    assert upward({"metrics.store": {"metrics.ingest.kinds"}, "metrics.ingest.kinds": set()}) == [
        "metrics.store (store) imports metrics.ingest.kinds (ingest)"]
    assert upward({"pages.data": {"metrics.store"}, "metrics.store": set()}) == []


def test_no_module_imports_a_layer_above_its_own():
    graph = import_graph(("metrics", "pages", "ui"))
    assert {"metrics.store.answers", "metrics.ingest.grid", "metrics.boardpack.slides", "pages.data"} <= set(graph)
    assert upward(graph) == []
