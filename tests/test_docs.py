"""Docs that tests keep honest: every CLI command is in the README, every catalogue metric on the Definitions page."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from metrics import catalog
from metrics.__main__ import parser
from tests.conftest import fixture_store

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def cli_commands() -> list[str]:
    """The sub-commands the CLI really has, read from its parser so a new command cannot be missed."""
    actions = [a for a in parser()._actions if isinstance(a, argparse._SubParsersAction)]
    return sorted(name for action in actions for name in action.choices)


def test_the_cli_has_commands():
    # Guards the parametrized test below against passing vacuously if the parser's shape changes.
    assert {"import", "scorecard", "export"} <= set(cli_commands())


@pytest.mark.parametrize("command", cli_commands())
def test_every_cli_command_is_in_the_readme(command):
    # \b so that "import" is not satisfied by "imports".
    assert re.search(rf"python -m metrics {re.escape(command)}\b", README), \
        f"README.md lacks a `python -m metrics {command} ...` line"


@pytest.fixture(scope="module")
def definitions_text(tmp_path_factory) -> str:
    """Everything the Definitions page shows, as one string; rendered once for all metrics."""
    directory = tmp_path_factory.mktemp("docs")
    path = directory / "fixture.duckdb"
    con = fixture_store(path, directory)
    con.close()
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("COLLAB_DB", str(path))
        at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60).run()
        at.switch_page("pages/definitions.py").run()
    assert not at.exception, at.exception
    texts = [e.value for kind in ("title", "header", "subheader", "caption", "markdown", "info")
             for e in at.get(kind)]
    texts += [e.label for e in at.expander]
    texts += [frame.value.to_csv(index=False) for frame in at.dataframe]
    return "\n".join(texts)


@pytest.mark.parametrize("name", [m.name for m in catalog.METRICS])
def test_every_catalogue_metric_is_on_the_definitions_page(definitions_text, name):
    assert re.search(rf"\b{re.escape(name)}\b", definitions_text), f"{name} is not on the Definitions page"


@pytest.mark.parametrize("command", ["import", "export"])
def test_the_readme_lists_every_kind_the_cli_takes(command):
    from metrics.__main__ import KIND_NAMES

    listed = re.search(rf"python -m metrics {command} \{{([a-z_,]+)\}}", README)
    assert listed, f"README.md's `python -m metrics {command}` line does not list the kinds in {{...}}"
    assert set(listed.group(1).split(",")) == set(KIND_NAMES)


def layout_table() -> dict[str, str]:
    """The README's Layout table: each path its first column names (in backticks) -> the row's text. A folder's
    row may name its files after it in brackets (`metrics/charts/` (`style.py`, ...)): they count as its paths."""
    section = README.split("## Layout", 1)[1].split("\n## ", 1)[0]
    named = {}
    for line in section.splitlines():
        if not line.startswith("| `"):
            continue
        first, rest = line[2:].split(" | ", 1)
        folder = ""
        for path in re.findall(r"`([^`]+)`", first):
            if path.endswith("/"):
                folder = path
            named[path if "/" in path else folder + path] = rest
    return named


def modules() -> list[str]:
    """Every Python module under metrics/, pages/ and ui/ (package __init__ files aside)."""
    return sorted(p.relative_to(ROOT).as_posix() for folder in ("metrics", "pages", "ui")
                  for p in (ROOT / folder).rglob("*.py") if p.name != "__init__.py")


def test_the_layout_table_names_only_real_paths():
    named = layout_table()
    assert len(named) > 40          # guards the tests below against a table the reader no longer finds
    missing = [path for path in named if not (ROOT / path).exists()]
    assert not missing, f"README.md's Layout table names paths that do not exist: {missing}"


@pytest.mark.parametrize("module", modules())
def test_every_module_is_in_the_layout_table(module):
    assert module in layout_table(), f"README.md's Layout table lacks {module}"
