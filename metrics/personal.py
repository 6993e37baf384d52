"""Personal data inside values: the one definition of what an e-mail address, a phone number and an IP address
look like, and their masking, in Python (rows read through pandas) and in DuckDB SQL (the native fast path).

The patterns are written in the syntax Python's `re` and DuckDB's RE2 read alike: no look-around, no
back-references, explicit [0-9] and ASCII word boundaries (Python compiles them with re.ASCII, as RE2's are), so
a text is masked the same whichever path it takes (tests/test_personal_data.py holds the two to it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable

_HEX = "[0-9A-Fa-f]{1,4}"
_OCTET = "(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
_IPV4 = rf"\b(?:{_OCTET}\.){{3}}{_OCTET}\b"

EMAIL = (r"[A-Za-z0-9._%+-]+@(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)+[A-Za-z]{2,63}\b"
         r"|[A-Za-z0-9._%+-]+@\[[0-9A-Fa-f:.]+\]")

# IPv6: the full eight groups, a compressed form ('::') with groups on its left (two or more, or one and some on
# its right) or only on its right, and these with an IPv4 address as their tail. Each side is greedy, so the
# longest address at a place is taken whole; a lone '::' (C++'s std::, "Note::") is not an address.
_IPV6 = "|".join((
    rf"\b(?:{_HEX}:){{6}}{_IPV4}",
    rf"(?:\b{_HEX}(?::{_HEX}){{0,5}})?::(?:{_HEX}:){{0,5}}{_IPV4}",
    rf"\b(?:{_HEX}:){{7}}{_HEX}\b",
    rf"\b{_HEX}(?::{_HEX}){{1,6}}::(?:{_HEX}(?::{_HEX}){{0,6}}\b)?",
    rf"\b{_HEX}::{_HEX}(?::{_HEX}){{0,6}}\b",
    rf"::{_HEX}(?::{_HEX}){{0,6}}\b",
))
IP_ADDRESS = f"{_IPV6}|{_IPV4}"

# Phone numbers: international (+44 20 7946 0958, +1 (555) 010-0199, 0044 20 7946 0958), national with a trunk 0
# (020 7946 0958, 07946 095800, 01 23 45 67 89) and North American (555-010-0199, (555) 010-0199). Every national
# form needs its separators or its leading 0, so years (2026), dates (2026-10-12, 01.10.2026), times, counts
# (5 of 7), percentages, decimals and amounts (1 000 000) are left alone.
_SEP = "[ .-]"
PHONE = "|".join((
    rf"(?:\+|\b00)[1-9][0-9]{{0,2}}(?:{_SEP}?\(0\))?{_SEP}?(?:\([0-9]{{1,4}}\)|[0-9]{{1,4}})"
    rf"(?:{_SEP}?[0-9]{{2,4}}){{2,4}}\b",
    rf"\b0[1-9][0-9]{{1,3}}{_SEP}?[0-9]{{3,4}}{_SEP}?[0-9]{{3,4}}\b",
    rf"\b0[1-9](?:{_SEP}[0-9]{{2}}){{4}}\b",
    rf"(?:\([2-9][0-9]{{2}}\){_SEP}?|\b[2-9][0-9]{{2}}{_SEP})[0-9]{{3}}{_SEP}[0-9]{{4}}\b",
))


@dataclass(frozen=True)
class Pattern:
    kind: str        # what the report counts: "e-mail", "IP address", "phone"
    regex: str       # for Python's re and DuckDB's RE2 alike
    token: str       # what replaces it

    @property
    def compiled(self) -> re.Pattern:
        return _compiled(self.regex)


# In this order: an e-mail's domain may hold an IP address, and an address's groups look like phone digits.
PATTERNS = (Pattern("e-mail", EMAIL, "[e-mail]"), Pattern("IP address", IP_ADDRESS, "[IP address]"),
            Pattern("phone", PHONE, "[phone]"))
KINDS = tuple(p.kind for p in PATTERNS)
ANY = "|".join(f"(?:{p.regex})" for p in PATTERNS)
NOUNS = {"e-mail": ("e-mail address", "e-mail addresses"), "IP address": ("IP address", "IP addresses"),
         "phone": ("phone number", "phone numbers")}

_cache: dict[str, re.Pattern] = {}


def _compiled(regex: str) -> re.Pattern:
    if regex not in _cache:
        _cache[regex] = re.compile(regex, re.ASCII)
    return _cache[regex]


def mask(text: str) -> tuple[str, dict[str, int]]:
    """The text with each e-mail address, IP address and phone number replaced by its token, and how many of each."""
    counts = {}
    for pattern in PATTERNS:
        text, n = pattern.compiled.subn(pattern.token, text)
        if n:
            counts[pattern.kind] = n
    return text, counts


def masked(text):
    """The text masked (anything that is not text as it is): for messages and logs."""
    return mask(text)[0] if isinstance(text, str) else text


def has_email(text) -> bool:
    return isinstance(text, str) and _compiled(EMAIL).search(text) is not None


def has_personal(text) -> bool:
    return isinstance(text, str) and _compiled(ANY).search(text) is not None


def add(total: dict[str, int], counts: dict[str, int]) -> dict[str, int]:
    for kind, n in counts.items():
        total[kind] = total.get(kind, 0) + n
    return total


def summary(counts: dict[str, int]) -> str:
    """'2 e-mail addresses, 1 phone number' in the patterns' order; '' when nothing was masked."""
    return ", ".join(f"{counts[k]:,} {NOUNS[k][counts[k] != 1]}" for k in KINDS if counts.get(k))


# ----------------------------------------------------------------------------------------------------------
# The same in DuckDB SQL. The patterns are this module's constants, not input: they are written into the SQL as
# literals, so that RE2 compiles each once for the statement (a bound parameter would be compiled row by row).


def literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def sql_mask(expression: str) -> str:
    """SQL: `expression` (a VARCHAR) masked as mask() masks it."""
    for pattern in PATTERNS:
        expression = f"regexp_replace({expression}, {literal(pattern.regex)}, {literal(pattern.token)}, 'g')"
    return expression


def sql_counts(expression: str, kinds: Iterable[str] = KINDS) -> dict[str, str]:
    """SQL per kind: how many of it mask() replaces in `expression`. A token holds no digit and no '@', so no later
    pattern touches it: the tokens in the masked text less those the text had already are the ones put in."""
    masked_sql = sql_mask(expression)
    tokens = {p.kind: p.token for p in PATTERNS}

    def occurrences(text: str, token: str) -> str:
        return f"((length({text}) - length(replace({text}, {literal(token)}, ''))) // {len(token)})"

    return {kind: f"coalesce({occurrences(masked_sql, tokens[kind])} - {occurrences(expression, tokens[kind])}, 0)"
            for kind in kinds}


def sql_has_email(expression: str) -> str:
    return f"regexp_matches({expression}, {literal(EMAIL)})"


def sql_has_personal(expression: str) -> str:
    return f"regexp_matches({expression}, {literal(ANY)})"
