"""The leaders' notes (Markdown) as blocks of styled runs, for places that draw text themselves (the board pack).

The subset is what people write in a note: ATX and underlined headings, paragraphs, bullet and numbered lists
(nested by indentation), block quotes, fenced code, pipe tables (a row as one line), **bold**, *italic*, both,
`code`, ~~strike~~ (its text), [links](url) and ![images](src) as their text, <autolinks>, and backslash escapes.
Raw HTML is not Markdown's business here: `<b>` and `&amp;` are shown as typed. Nothing is dropped but markers,
so the text a reader sees is the text that was written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

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


_HEADING = re.compile(r" {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$")
_SETEXT = re.compile(r" {0,3}(=+|-+)[ \t]*$")
_RULE = re.compile(r" {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$")
_ITEM = re.compile(r"( *)([-*+]|\d{1,9}[.)])[ \t]+(.*)$")
_QUOTE = re.compile(r" {0,3}>[ \t]?(.*)$")
_FENCE = re.compile(r" {0,3}(`{3,}|~{3,})")
_TABLE_ROW = re.compile(r"\s*\|.*\|\s*$")
_TABLE_RULE = re.compile(r"\s*\|[\s|:-]*-[\s|:-]*\|\s*$")
_ESCAPABLE = set("\\`*_{}[]()#+-.!|~<>\"'")
_AUTOLINK = re.compile(r"<((?:https?|ftp|mailto):[^\s<>]+|[^\s@<>]+@[^\s@<>]+\.[^\s@<>]+)>")


def parse(text: str) -> list[Block]:
    """The note's blocks in order; an empty or blank note has none."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").expandtabs(4).split("\n")
    blocks: list[Block] = []
    open_lines: list[str] = []          # the paragraph, item or quote being read
    open_kind: tuple[str, int, str] | None = None
    indents: list[int] = []             # the open list items' indentation, outermost first
    fence: str | None = None

    def close() -> None:
        nonlocal open_kind
        if open_kind is not None:
            kind, level, marker = open_kind
            joined = " ".join(line.strip() for line in open_lines).strip()
            if joined or kind == "item":
                blocks.append(Block(kind, tuple(_collapsed(inline(joined))), level, marker))
        open_lines.clear()
        open_kind = None

    for line in lines:
        if fence is not None:
            if line.strip().startswith(fence):
                fence = None
            else:
                blocks.append(Block("code", (Run(line.rstrip(), code=True),)))
            continue
        if not line.strip():
            close()
            continue
        if (found := _FENCE.match(line)) is not None:
            close()
            fence = found.group(1)[0] * 3
            continue
        if open_kind is not None and open_kind[0] == "paragraph" and (under := _SETEXT.match(line)):
            open_kind = ("heading", 1 if under.group(1)[0] == "=" else 2, "")
            close()
            continue
        if _RULE.match(line):
            close()
            indents.clear()
            continue
        if (heading := _HEADING.match(line)) is not None:
            close()
            indents.clear()
            if (heading.group(2) or "").strip():
                blocks.append(Block("heading", tuple(inline(heading.group(2).strip())), len(heading.group(1))))
            continue
        if (item := _ITEM.match(line)) is not None:
            close()
            indent = len(item.group(1))
            while indents and indent < indents[-1]:
                indents.pop()
            if not indents or indent > indents[-1]:
                indents.append(indent)
            bullet = item.group(2)
            marker = "•" if bullet in "-*+" else bullet[:-1] + "."
            open_kind = ("item", len(indents) - 1, marker)
            open_lines.append(item.group(3))
            continue
        if (quote := _QUOTE.match(line)) is not None:
            if open_kind is None or open_kind[0] != "quote":
                close()
                open_kind = ("quote", 0, "")
            if quote.group(1).strip():
                open_lines.append(quote.group(1))
            else:                       # a blank line inside the quote starts its next paragraph
                close()
                open_kind = ("quote", 0, "")
            continue
        if _TABLE_ROW.match(line):
            close()
            if not _TABLE_RULE.match(line):
                cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
                blocks.append(Block("paragraph", tuple(inline("  ·  ".join(c for c in cells if c)))))
            continue
        if open_kind is None:
            open_kind = ("paragraph", 0, "")
            if not line.startswith(" "):
                indents.clear()
        open_lines.append(line)
    close()
    return blocks


def inline(text: str, bold: bool = False, italic: bool = False) -> list[Run]:
    """The runs of one block's text: emphasis applied, markers and link targets gone."""
    runs: list[Run] = []
    plain: list[str] = []

    def flush() -> None:
        if plain:
            runs.append(Run("".join(plain), bold, italic))
            plain.clear()

    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text) and text[i + 1] in _ESCAPABLE:
            plain.append(text[i + 1])
            i += 2
            continue
        if ch == "\\" and i + 1 == len(text):    # a hard line break written as a trailing backslash
            i += 1
            continue
        if ch == "`":
            ticks = _run_length(text, i, "`")
            end = text.find("`" * ticks, i + ticks)
            while end != -1 and _run_length(text, end, "`") != ticks:
                end = text.find("`" * ticks, end + _run_length(text, end, "`"))
            if end != -1:
                flush()
                runs.append(Run(text[i + ticks:end].strip() or text[i + ticks:end], bold, italic, code=True))
                i = end + ticks
                continue
            plain.append(text[i:i + ticks])
            i += ticks
            continue
        if ch == "[" or (ch == "!" and text.startswith("[", i + 1)):
            link = _link(text, i + (ch == "!"))
            if link is not None:
                label, end = link
                flush()
                runs += inline(label, bold, italic)
                i = end
                continue
        if ch == "<" and (auto := _AUTOLINK.match(text, i)) is not None:
            plain.append(auto.group(1).removeprefix("mailto:"))
            i = auto.end()
            continue
        if ch in "*_~":
            length = _run_length(text, i, ch)
            end = _closing(text, i, ch, length)
            if end is not None and (ch != "~" or length == 2):
                flush()
                inner = text[i + length:end]
                strong, emphasis = (False, False) if ch == "~" else (length >= 2, length in (1, 3))
                runs += inline(inner, bold or strong, italic or emphasis)
                i = end + length
                continue
            if length >= 2 and (ch == "*" or (ch == "_" and _flanking(text, i, length))):
                i += length             # an unmatched ** or __: a typo for emphasis, not text to show
                continue
            plain.append(text[i:i + length])
            i += length
            continue
        plain.append(ch)
        i += 1
    flush()
    return _merged(runs)


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


def _run_length(text: str, at: int, ch: str) -> int:
    end = at
    while end < len(text) and text[end] == ch:
        end += 1
    return end - at


def _flanking(text: str, at: int, length: int) -> bool:
    """Whether a delimiter run touches a word on either side (so it was meant as a marker, not as text)."""
    before = text[at - 1] if at > 0 else " "
    after = text[at + length] if at + length < len(text) else " "
    return not before.isspace() or not after.isspace()


def _closing(text: str, at: int, ch: str, length: int) -> int | None:
    """Where the delimiter run opened at `at` closes (a run of the same length), or None. An opener must be
    followed by a non-space; a closer preceded by one; with '_', neither may sit inside a word (snake_case)."""
    after = text[at + length] if at + length < len(text) else " "
    before = text[at - 1] if at > 0 else " "
    if after.isspace() or (ch == "_" and before.isalnum()):
        return None
    j = at + length
    while j < len(text):
        if text[j] == "\\":
            j += 2
            continue
        if text[j] == "`":                 # code spans are opaque to emphasis
            ticks = _run_length(text, j, "`")
            end = text.find("`" * ticks, j + ticks)
            j = j + ticks if end == -1 else end + ticks
            continue
        if text[j] == ch:
            run = _run_length(text, j, ch)
            next_char = text[j + run] if j + run < len(text) else " "
            if run == length and not text[j - 1].isspace() and not (ch == "_" and next_char.isalnum()):
                return j
            j += run
            continue
        j += 1
    return None


def _link(text: str, at: int) -> tuple[str, int] | None:
    """A link or image at `at` (its '['): its label and where it ends, or None. [label](target), [label][ref]
    and [label][] are links; a bare [label] is text."""
    depth, j = 0, at
    while j < len(text):
        if text[j] == "\\":
            j += 2
            continue
        if text[j] == "[":
            depth += 1
        elif text[j] == "]":
            depth -= 1
            if depth == 0:
                break
        j += 1
    else:
        return None
    label, rest = text[at + 1:j], j + 1
    if text.startswith("(", rest):
        depth, k = 0, rest
        while k < len(text):
            if text[k] == "(":
                depth += 1
            elif text[k] == ")":
                depth -= 1
                if depth == 0:
                    return label, k + 1
            k += 1
        return None
    if text.startswith("[", rest) and (close := text.find("]", rest)) != -1:
        return label, close + 1
    return None


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
