"""Text from outside (a file's name above all) made safe to print in a message, a log or a terminal.

A file name is whatever the uploader's machine allowed: an escape sequence ("\\x1b[2J" clears a terminal), a
carriage return that overwrites the line before it, a newline that forges a second message, or a right-to-left
override (U+202E) that shows "invoice\\u202egnp.exe" as "invoiceexe.png". Every such character is written as a
visible escape instead, so the name still says what it was and cannot act on the screen.
"""

from __future__ import annotations

import unicodedata

# Control (Cc), format (Cf: bidi overrides and isolates, zero-width characters), surrogate (Cs: bytes that are
# not UTF-8, as os.fsdecode keeps them) and line or paragraph separator (Zl, Zp) characters.
_UNSAFE = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})


def printable(text: object) -> str:
    """The text with each control, format or separator character as a visible escape (\\x1b, \\u202e).

    Applying it twice gives the same text, so a name made safe where it enters and again where it is printed
    reads the same in both places."""
    text = str(text)
    if text.isprintable():   # the common case, in one C call (isprintable is False for every character escaped)
        return text
    return "".join(_escape(ch) if unicodedata.category(ch) in _UNSAFE else ch for ch in text)


def _escape(ch: str) -> str:
    code = ord(ch)
    if 0xDC80 <= code <= 0xDCFF:   # a byte that was not UTF-8, kept by the file system's surrogateescape
        return f"\\x{code - 0xDC00:02x}"
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"
