"""The leaders' notes (Markdown) as blocks of styled runs, for places that draw text themselves (the board pack).

markdown-it-py reads a note as CommonMark with GFM's pipe tables and ~~strike~~, and this module walks its tokens:
a heading, paragraph, list item or quoted paragraph is a Block of Runs (bold, italic, code), a list item with its
nesting depth and marker ("•" or "3."); a fenced or indented code block is a block a line; a table is a block a
row, its cells joined (as in GFM, cells past the header row's count are not shown). Links and images are their
text, struck text is its text; rules and link reference definitions are nothing. Raw HTML is not Markdown's
business here: `<b>` and `&amp;` are shown as typed. Otherwise nothing is dropped but markers, so the text a
reader sees is the text that was written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from markdown_it import MarkdownIt
from markdown_it.token import Token

ELLIPSIS = "…"


@dataclass(frozen=True)
class Run:
    text: str
    bold: bool = False
    italic: bool = False
    code: bool = False


@dataclass(frozen=True)
class Block:
    kind: str                 # "heading", "paragraph", "item", "quote", "code"
    runs: tuple[Run, ...]
    level: int = 0            # heading: 1-6; item: nesting depth from 0
    marker: str = ""          # item: "•" or "3."

    @property
    def text(self) -> str:
        return "".join(run.text for run in self.runs)


# html=False: tags are text. "entity" off: `&amp;` stays as typed rather than becoming "&". "text_join" off: a
# backslash escape stays its own token, so that _unstrayed() can tell an escaped \*\* from a stray one.
# maxNesting: the library skips whatever lies deeper than this many nested lists and quotes (CommonMark's preset
# says 20, which a note of ten nested bullets reaches); 100 as in its default preset, well within Python's stack.
_MARKDOWN = MarkdownIt("commonmark", {"html": False, "maxNesting": 100}).enable(["table", "strikethrough"]).disable(
    ["entity", "text_join"])
_CELL_GAP = Run("  ·  ")     # between a table row's cells


def parse(text: str) -> list[Block]:
    """The note's blocks in order; an empty or blank note has none."""
    blocks: list[Block] = []
    lists = quotes = heading = 0     # open lists and block quotes; the open heading's level
    item: Block | None = None        # a list item whose text is still to come
    row: list[list[Run]] | None = None

    def add(kind: str, runs: list[Run], level: int = 0) -> None:
        nonlocal item
        if item is not None:         # the item starts with no paragraph (a nested list, code): its marker alone
            blocks.append(item)
            item = None
        if kind:
            blocks.append(Block(kind, tuple(runs), level))

    for token in _MARKDOWN.parse(text):
        match token.type:
            case "bullet_list_open" | "ordered_list_open":
                lists += 1
            case "bullet_list_close" | "ordered_list_close":
                lists -= 1
            case "list_item_open" | "list_item_close":
                add("", [])
                if token.nesting == 1:
                    item = Block("item", (), lists - 1, f"{token.info}." if token.info else "•")
            case "blockquote_open" | "blockquote_close":
                quotes += token.nesting
            case "heading_open" | "heading_close":
                heading = int(token.tag[1]) if token.nesting == 1 else 0
            case "tr_open":
                row = []
            case "tr_close":
                cells = [cell for cell in row or [] if cell]
                if cells:
                    add("paragraph", _merged([run for k, cell in enumerate(cells)
                                              for run in ([_CELL_GAP] if k else []) + cell]))
                row = None
            case "fence" | "code_block":
                for line in token.content.removesuffix("\n").split("\n") if token.content else []:
                    add("code", [Run(line.rstrip(), code=True)])
            case "inline":
                runs = _collapsed(_runs(token.children or []))
                if row is not None:
                    row.append(runs)
                elif item is not None:
                    blocks.append(replace(item, runs=tuple(runs)))
                    item = None
                elif runs:
                    add("heading" if heading else "quote" if quotes else "paragraph", runs, heading)
    return blocks


def _runs(tokens: list[Token], bold: bool = False, italic: bool = False) -> list[Run]:
    """The runs of one block's inline tokens: emphasis applied, markers and link targets gone."""
    runs: list[Run] = []
    strong = emphasis = 0
    autolink = False
    for token in tokens:
        style = {"bold": bold or strong > 0, "italic": italic or emphasis > 0}
        match token.type:
            case "strong_open" | "strong_close":
                strong += token.nesting
            case "em_open" | "em_close":
                emphasis += token.nesting
            case "link_open" | "link_close":
                autolink = token.nesting == 1 and token.markup == "autolink"
            case "text":
                runs.append(Run(token.content if autolink else _unstrayed(token.content), **style))
            case "text_special":     # a backslash escape: the character itself
                runs.append(Run(token.content, **style))
            case "code_inline":
                runs.append(Run(token.content, code=True, **style))
            case "softbreak" | "hardbreak":
                runs.append(Run(" ", **style))
            case "image":            # its alt text, which may have emphasis of its own
                runs += _runs(token.children or [], **style)
            # s_open and s_close: struck text is shown as its text (a Run has no strike-through)
    return _merged(runs)


def _unstrayed(text: str) -> str:
    """The text without stray ** or __: CommonMark shows an unclosed `**typo` as typed, but a leader who typed it
    meant emphasis, and the pack shows no Markdown markers. A run of two or more that touches a word is dropped;
    one between spaces ("5 ** 3") or inside a word (snake__case) is text."""
    def kept(found: re.Match) -> str:
        before = text[found.start() - 1] if found.start() else " "
        after = text[found.end()] if found.end() < len(text) else " "
        if before.isspace() and after.isspace() or found.group()[0] == "_" and before.isalnum() and after.isalnum():
            return found.group()
        return ""
    return re.sub(r"\*{2,}|_{2,}", kept, text)


def _collapsed(runs: list[Run]) -> list[Run]:
    """Runs of white space as one space, across runs too ("**a **b" reads "a b"), as a browser shows Markdown."""
    collapsed: list[Run] = []
    for run in runs:
        text = run.text if run.code else re.sub(r"\s+", " ", run.text)
        if collapsed and text.startswith(" ") and collapsed[-1].text.endswith(" "):
            text = text[1:]
        if text:
            collapsed.append(replace(run, text=text))
    return collapsed


def _merged(runs: list[Run]) -> list[Run]:
    merged: list[Run] = []
    for run in runs:
        if not run.text:
            continue
        if merged and (merged[-1].bold, merged[-1].italic, merged[-1].code) == (run.bold, run.italic, run.code):
            merged[-1] = replace(merged[-1], text=merged[-1].text + run.text)
        else:
            merged.append(run)
    return merged


# ----------------------------------------------------------------------------------------------------------
# Cutting a note short


def cut_points(blocks: list[Block]) -> list[tuple[int, int]]:
    """Every place a note may be cut at a word boundary, in order: (block, characters of its text kept). The
    end of each block is one; so is the end of every word within it."""
    points = []
    for b, block in enumerate(blocks):
        text = block.text
        points += [(b, m.end()) for m in re.finditer(r"\S+(?=\s)", text)]
        points.append((b, len(text)))
    return points


_DANGLING = " ,;:.-–"   # what an ellipsis replaces at the end of the text kept ("agree." reads "agree…")


def cut(blocks: list[Block], point: tuple[int, int]) -> list[Block]:
    """The blocks up to a cut point, the last one ending in an ellipsis (after any dangling punctuation)."""
    b, keep = point
    kept = list(blocks[:b])
    runs, left = [], keep
    for run in blocks[b].runs:
        if left <= 0:
            break
        runs.append(replace(run, text=run.text[:left]))
        left -= len(run.text)
    while runs and not runs[-1].text.rstrip(_DANGLING):
        runs.pop()
    if runs:
        runs[-1] = replace(runs[-1], text=runs[-1].text.rstrip(_DANGLING) + ELLIPSIS)
    else:
        runs = [Run(ELLIPSIS)]
    kept.append(replace(blocks[b], runs=tuple(runs)))
    return kept


def plain_text(blocks: list[Block]) -> str:
    """What a reader sees, as plain text: one line a block, an item with its marker."""
    return "\n".join((f"{block.marker} " if block.kind == "item" else "") + block.text for block in blocks)
