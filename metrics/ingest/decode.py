"""Bytes to text, the first stage of reading a file: a BOM decides, then strict UTF-8, then charset-normalizer;
binary files and files mixing two encodings are refused.

Every refusal of the reader, at any stage, is a LayoutError whose message names the file and says what to do.
"""

from __future__ import annotations

import codecs
import re

import charset_normalizer

UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


class LayoutError(ValueError):
    """An export that cannot be read as given; the message names the file and says what to do. Raised by every
    stage of the reader (decode, grid, values, layouts), so callers catch this one class."""


def decode(data: bytes, file_name: str) -> tuple[str, str, list[str]]:
    """Text and the encoding it was read in: a BOM decides, then strict UTF-8, then charset-normalizer."""
    # charset-normalizer only for what it does well, choosing among legacy code pages (_decode_legacy). Asked
    # about whole files instead (from_bytes(data).best(), December 2026, 5,739 fixtures, hostile and fuzzed
    # uploads), it read another text from 458 (short valid UTF-8 as big5, cp932 or UTF-16; Windows-1252 as
    # cp1250), decoded 219 that this ladder refuses as binary (NUL bytes taken for UTF-16), and gives a file one
    # encoding, so a file mixing two (_refuse_mixed) goes unseen.
    if data.startswith(codecs.BOM_UTF8):
        text, encoding = _strict(data[3:], "utf-8", file_name), "utf-8-sig"
    elif data.startswith(UTF16_BOMS):
        text, encoding = _strict(data, "utf-16", file_name), "utf-16"
    elif _looks_utf16_without_bom(data):
        codec = "utf-16-le" if data[1] == 0 else "utf-16-be"
        text, encoding = _strict(data, codec, file_name), "utf-16"
    elif b"\x00" in data:
        raise LayoutError(_binary(file_name, data))   # NUL never occurs in UTF-8 or single-byte text
    else:
        try:
            text, encoding = data.decode("utf-8"), "utf-8"
        except UnicodeDecodeError:
            text, encoding = _decode_legacy(data, file_name)
    _refuse_binary(text, file_name)
    if not encoding.startswith(("utf-8", "utf-16")):
        _refuse_mixed(data, file_name)
    warnings = [] if encoding.startswith(("utf-8", "utf-16")) else [
        f"the file is not UTF-8; it was read as {encoding}: check accented letters in the question texts"]
    return text, encoding, warnings


def _strict(data: bytes, codec: str, file_name: str) -> str:
    try:
        return data.decode(codec)
    except UnicodeDecodeError as exc:
        raise LayoutError(f"{file_name}: looks like {codec.upper()} text, but byte {exc.start} is not valid "
                          f"{codec.upper()}: save it again as CSV UTF-8 and upload that") from None


def _looks_utf16_without_bom(data: bytes) -> bool:
    # ASCII text in UTF-16 has a NUL byte in every other position.
    sample = data[:200]
    if len(sample) < 8:
        return False
    evens, odds = sample[0::2], sample[1::2]
    return (odds.count(0) > 0.8 * len(odds) and evens.count(0) == 0) or (
        evens.count(0) > 0.8 * len(evens) and odds.count(0) == 0)


def _decode_legacy(data: bytes, file_name: str) -> tuple[str, str]:
    """Windows-1252 (what Excel writes on Western Windows) whenever it reads the bytes as well as the best guess."""
    # charset-normalizer's own first guess for Windows-1252 text is often cp1250, cp1257 or even EBCDIC cp037
    # (268 of the 879 fuzzed files that reach this point): a tie is settled for cp1252 here.
    sample = _non_ascii_lines(data)
    # Without a BOM, UTF-16/32 was ruled out above; charset-normalizer proposing it means noise.
    matches = [m for m in charset_normalizer.from_bytes(sample) if not m.encoding.startswith("utf")]
    if not matches:
        raise LayoutError(f"{file_name}: does not look like a text (CSV) file: its bytes fit no known text "
                          "encoding. Export the responses as CSV (UTF-8) or .xlsx")
    lowest = min(m.chaos for m in matches)
    tied = [m for m in matches if m.chaos <= lowest + 0.01]
    try:
        western = sample.decode("cp1252")
    except UnicodeDecodeError:
        western = None
    if western is not None and any(m.encoding == "cp1252" or str(m) == western for m in tied):
        return _strict(data, "cp1252", file_name), "cp1252"
    # Otherwise a Windows code page among the equally good guesses (cp1251 before mac_cyrillic, say).
    best = sorted(tied, key=lambda m: (not m.encoding.startswith("cp125"), -m.coherence))[0]
    return _strict(data, best.encoding, file_name), best.encoding


def _refuse_mixed(data: bytes, file_name: str) -> None:
    """A file that is not UTF-8 as a whole, although some of its lines are (rows pasted together from two exports):
    whatever one encoding it is read in, some of its text comes out garbled ("ZÃ¼rich"), so it is refused.
    A line of a legacy code page is practically never valid UTF-8 by chance: its accented letters would have to
    come in exactly UTF-8's lead-and-continuation byte pairs."""
    utf8 = legacy = None
    for number, line in _high_byte_lines(data, b"\n"):
        try:
            line.decode("utf-8")
            utf8 = utf8 or number
        except UnicodeDecodeError:
            legacy = legacy or number
        if utf8 and legacy:
            raise LayoutError(
                f"{file_name}: mixes two text encodings: line {utf8} is UTF-8 but line {legacy} is not (Windows-1252 "
                "or another legacy encoding), so some accented letters would be garbled. The rows probably come "
                "from two exports: export the data again as one CSV UTF-8 file, or fix those lines and save the "
                "file as CSV UTF-8")


def _high_byte_lines(data: bytes, ends: bytes = b"\r\n"):
    """(line number, line) of each line holding a byte above 127, in one pass: found byte by byte, then widened to
    the line's ends (a regex like [^\n]*[\x80-\xff] backtracks over every ASCII line and takes seconds a MB)."""
    high = re.compile(rb"[\x80-\xff]")
    end_of = re.compile(b"[" + re.escape(ends) + b"]")
    position, number, counted = 0, 1, 0
    while (found := high.search(data, position)) is not None:
        start = max(data.rfind(end, 0, found.start()) for end in (bytes([e]) for e in ends)) + 1
        stop = end_of.search(data, found.start())
        stop = stop.start() if stop else len(data)
        number += data.count(b"\n", counted, start)
        counted = start
        yield number, data[start:stop]
        position = stop + 1


def _non_ascii_lines(data: bytes, limit: int = 1 << 16) -> bytes:
    """The lines holding non-ASCII bytes, up to limit: all the evidence about a legacy encoding, and cheap to
    test whatever the file's size (charset-normalizer takes about a second on 3 MB)."""
    lines, size = [], 0
    for _, line in _high_byte_lines(data):
        lines.append(line)
        size += len(line) + 1
        if size >= limit:
            break
    return b"\n".join(lines)


def _refuse_binary(text: str, file_name: str) -> None:
    sample = text[: 1 << 16]
    controls = sum(1 for ch in sample if ch < " " and ch not in "\t\r\n\f")
    if "\x00" in text or controls > 0.01 * max(len(sample), 1):
        raise LayoutError(_binary(file_name, text))


def _binary(file_name: str, content: bytes | str = b"") -> str:
    """The refusal of a binary file; where a NUL byte is the only sign, the line that holds the first one."""
    nul = b"\x00" if isinstance(content, bytes) else "\x00"
    newline = b"\n" if isinstance(content, bytes) else "\n"
    first = content.find(nul)
    where = f" (a NUL byte on line {content.count(newline, 0, first) + 1})" if first >= 0 else ""
    return (f"{file_name}: does not look like a text (CSV) file: it contains binary data{where}. Export the "
            "responses as CSV or .xlsx and upload that file")

