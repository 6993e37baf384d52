"""Survey-export layouts: read any supported platform's export (bytes) into one shape, ParsedExport; pure functions.

The reader does four things and nothing else: decode the bytes (BOMs, UTF-8, else charset-normalizer), parse the
grid (DuckDB's CSV reader, or openpyxl for .xlsx), recognise the platform's layout from its header rows, and say
what each column is (response id, submission time, personal data, platform metadata, free-text comment, or a
candidate answer). Mapping columns to catalogue items, validation and storage belong to metrics.ingest.

Every refusal is a LayoutError whose message names the file and says what to do.
"""

from __future__ import annotations

import csv
import html
import io
import json
import re
import tempfile
import threading
import zipfile
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import charset_normalizer
import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from metrics import vocabulary
from metrics.printable import printable

LAYOUTS: tuple[str, ...] = (
    "native", "qualtrics", "qualtrics_legacy", "surveymonkey", "google_forms", "ms_forms", "typeform",
    "limesurvey", "glint",
)
DATE_ORDERS = ("ymd", "dmy", "mdy")
DELIMITERS = (",", ";", "\t")          # in order of preference when two fit equally well
DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab"}
HEAD_ROWS = 3                          # the most header rows any layout has (Qualtrics)


# ----------------------------------------------------------------------------------------------------------
# Data tables: what each layout's columns are. Names are matched case-insensitively against a column's key, its
# question text and its sub-label; patterns are searched in the key and the sub-label.


@dataclass(frozen=True)
class LayoutSpec:
    """The platform columns of one layout, as its documentation and real exports show them."""

    ids: tuple[str, ...] = ()                  # the response-id column, in order of preference
    submitted: tuple[str, ...] = ()            # the submission-time column, in order of preference
    personal: tuple[str, ...] = ()             # never stored
    metadata: tuple[str, ...] = ()             # platform bookkeeping, not answers
    metadata_patterns: tuple[str, ...] = ()
    comment_patterns: tuple[str, ...] = ()     # free text the platform marks as such
    date_order: str | None = None              # set when the platform always writes one order
    id_is_personal: bool = False               # the id names a person: store it only pseudonymised


# Google Forms names the timestamp column in the spreadsheet's language.
GOOGLE_TIMESTAMP = ("Timestamp", "Marca temporal", "Horodateur", "Zeitstempel", "Informazioni cronologiche",
                    "Carimbo de data/hora", "Tijdstempel", "Sygnatura czasowa", "Tidsstämpel", "Tidsstempel")

SPECS: dict[str, LayoutSpec] = {
    "native": LayoutSpec(
        ids=("response_id",), submitted=("submitted_at",),
        metadata=("business_unit", "department", "role", "wave"), comment_patterns=(r"^comment$",)),
    # Current export: row 1 field ids, row 2 question texts, row 3 {"ImportId": ...} (ropensci/qualtRics sample.csv).
    "qualtrics": LayoutSpec(
        ids=("ResponseId",), submitted=("EndDate", "RecordedDate"),
        personal=("IPAddress", "RecipientLastName", "RecipientFirstName", "RecipientEmail", "ExternalReference",
                  "ExternalDataReference", "LocationLatitude", "LocationLongitude", "LocationAccuracy"),
        metadata=("StartDate", "EndDate", "RecordedDate", "Status", "Progress", "Duration (in seconds)", "Finished",
                  "DistributionChannel", "UserLanguage"),
        # Qualtrics' own Q_ fields (fraud scores, ...), display orders (..._DO) and Text iQ output (" - Topics").
        # Q_ is listed field by field: a question may be named Q_vocabulary by its author.
        metadata_patterns=(r"^Q_(RecaptchaScore|RelevantID\w*|TotalDuration|BallotBoxStuffing|DataPolicyViolations"
                           r"|Language|CHL|AmbiguousText\w*|Unanswered\w*|Straightliner\w*)$", r"_DO(_\d+)?$",
                           r" - (Parent Topics|Topics|Topic Sentiment.*|Sentiment.*|Actionability|Emotion.*"
                           r"|Effort.*)$"),
        comment_patterns=(r"_TEXT$",)),
    # Legacy export: row 1 V1..V10 and Q ids, row 2 names and question texts (ropensci/qualtRics sample_legacy.csv).
    "qualtrics_legacy": LayoutSpec(
        ids=("ResponseID",), submitted=("EndDate",),
        personal=("Name", "EmailAddress", "IPAddress", "ExternalDataReference", "LocationLatitude",
                  "LocationLongitude", "LocationAccuracy"),
        metadata=("ResponseSet", "StartDate", "EndDate", "Status", "Finished"),
        metadata_patterns=(r"_DO(_\d+)?$",), comment_patterns=(r"_TEXT$",)),
    # Row 1 question texts (blank over a question's further columns), row 2 "Response", "Open-Ended Response" or
    # the choice/row label; the first nine columns are the respondent's.
    "surveymonkey": LayoutSpec(
        ids=("Respondent ID",), submitted=("End Date",),
        personal=("IP Address", "Email Address", "First Name", "Last Name"),
        metadata=("Collector ID", "Start Date", "End Date"),
        comment_patterns=(r"^Open-Ended Response$", r"^Other \(please specify\)$")),
    "google_forms": LayoutSpec(
        submitted=GOOGLE_TIMESTAMP, personal=("Email Address", "Username"), metadata=("Score", "Total score")),
    "ms_forms": LayoutSpec(
        ids=("ID",), submitted=("Completion time",), personal=("Email", "Name"),
        metadata=("Start time", "Completion time", "Last modified time", "Total points", "Quiz feedback"),
        metadata_patterns=(r"^(Points|Feedback) - ",)),
    # "#" holds the response token; Network ID is derived from the respondent's network, so it is personal.
    "typeform": LayoutSpec(
        ids=("#", "Response ID", "Token"), submitted=("Submit Date (UTC)", "Submitted At"),
        personal=("Network ID",),
        metadata=("Start Date (UTC)", "Stage Date (UTC)", "Submit Date (UTC)", "Response Type", "Stage", "Tags",
                  "Score", "Ending")),
    # Question-code headings (id, submitdate, Q1[SQ001]) or full-text headings (Response ID, Date submitted ...),
    # as LimeSurvey's createFieldMap names them.
    "limesurvey": LayoutSpec(
        ids=("id", "Response ID"), submitted=("submitdate", "Date submitted"),
        personal=("ipaddr", "IP address", "refurl", "Referrer URL", "token", "Access code", "Token", "firstname",
                  "lastname", "email"),
        metadata=("lastpage", "Last page", "startlanguage", "Start language", "seed", "Seed", "startdate",
                  "Date started", "datestamp", "Date last action", "interviewtime", "Total time"),
        metadata_patterns=(r"^groupTime\d+$",),
        comment_patterns=(r"\[(comment|other)\]$", r"_C(comment|other)$")),
    # Standard columns per microsoft/vivaglint get_standard_columns(); the employee-id column's name varies and
    # EXID is the one in real exports. Dates are DD-MM-YYYY HH:MM (vivaglint parses them with dmy_hm).
    "glint": LayoutSpec(
        ids=("EXID", "Employee ID", "EmployeeID"), submitted=("Survey Cycle Completion Date",),
        personal=("First Name", "Last Name", "Email", "Manager ID"),
        metadata=("Status", "Survey Cycle Sent Date"),
        metadata_patterns=(r"_COMMENT_TOPICS$", r"_SENSITIVE_COMMENT_FLAG$"),
        comment_patterns=(r"_COMMENT$",),
        date_order="dmy", id_is_personal=True),
}


@dataclass(frozen=True)
class Signature:
    """Header-row-1 evidence for a layout: every name in all_of, one of any_of, and the first cell if given."""

    layout: str
    all_of: frozenset[str] = frozenset()
    any_of: frozenset[str] = frozenset()
    first_cell: frozenset[str] = frozenset()
    suffixes: tuple[str, ...] = ()


def _sig(layout, all_of=(), any_of=(), first_cell=(), suffixes=()) -> Signature:
    fold = lambda names: frozenset(n.casefold() for n in names)  # noqa: E731
    return Signature(layout, fold(all_of), fold(any_of), fold(first_cell), tuple(s.casefold() for s in suffixes))


# Checked in order; the first match wins. Qualtrics is recognised before these, by its header rows 2 and 3.
SIGNATURES: tuple[Signature, ...] = (
    _sig("glint", suffixes=("_SENSITIVE_COMMENT_FLAG", "_COMMENT_TOPICS")),
    _sig("glint", all_of=("Survey Cycle Completion Date",)),
    _sig("surveymonkey", all_of=("Respondent ID",), any_of=("Collector ID", "Start Date", "End Date")),
    _sig("typeform", all_of=("Submit Date (UTC)",)),
    _sig("typeform", all_of=("Network ID",), first_cell=("#",)),
    _sig("ms_forms", all_of=("ID", "Start time", "Completion time")),
    _sig("limesurvey", all_of=("id", "submitdate"), any_of=("lastpage", "startlanguage", "seed")),
    _sig("limesurvey", all_of=("Response ID", "Date submitted"), any_of=("Last page", "Start language", "Seed")),
    _sig("native", all_of=("response_id", "submitted_at")),
    _sig("google_forms", first_cell=GOOGLE_TIMESTAMP),
)

# Column names that hold personal data whatever the platform (full match, case-insensitive, on the key, the
# question text or the sub-label). Full matches, so that a question mentioning "your manager" stays an answer.
PERSONAL_PATTERNS: tuple[re.Pattern, ...] = tuple(re.compile(p, re.IGNORECASE) for p in (
    r"(respondent|recipient|employee|participant|user|contact|your|work)?\s*e-?mail(\s*address)?\s*\??",
    r"(what is )?your (full |first |last )?name\s*\??",
    r"((first|last|full|given|family|middle|user|display|respondent|recipient|employee|participant)\s*)?name",
    r"surname|forename|vorname|nachname|pr[ée]nom|nom|apellidos?|nombre",
    r"ip(\s*|-)?(address|adresse)?|ipaddr",
    r"(location\s*)?(latitude|longitude|accuracy)|lat\s*/\s*long|geo\s*location|location|gps",
    r"(postal|post|zip)\s*code|zip|(street|home|postal)?\s*address(\s*\d)?|city(/town)?|town",
    r"(phone|telephone|mobile|cell)(\s*number)?",
    r"recipient\s*\w*",
    r"manager(\s*(id|e-?mail|name))?|manager\s*\w*\s*id",
    r"external\s*(data\s*)?ref(erence)?",
    r"user\s*agent|browser|operating\s*system|device|screen\s*resolution",
    r"network\s*id|token|access\s*code|referr?er(\s*url)?|refurl|(q_)?url",   # URLs can carry ids in their query
    r"custom\s*data\s*\d*",
))

# Free-text questions recognisable by their wording, on any platform (searched in the question text).
COMMENT_PATTERN = re.compile(
    r"^(any\s+)?(other\s+|further\s+|additional\s+|final\s+)?(comments?|remarks?|feedback|suggestions?|thoughts)\b"
    r"|anything\s+else|\(please\s+specify\)|please\s+(explain|specify|describe)",
    re.IGNORECASE)

# Likert labels of the catalogue's 5-point scale (DESIGN.md "Uploads") and the usual variants.
LIKERT5_LABELS: dict[str, int] = {
    "strongly disagree": 1, "completely disagree": 1, "totally disagree": 1,
    "disagree": 2, "somewhat disagree": 2, "slightly disagree": 2, "tend to disagree": 2, "mostly disagree": 2,
    "neither agree nor disagree": 3, "neither agree or disagree": 3, "neither disagree nor agree": 3,
    "neutral": 3, "undecided": 3,
    "agree": 4, "somewhat agree": 4, "slightly agree": 4, "tend to agree": 4, "mostly agree": 4,
    "strongly agree": 5, "completely agree": 5, "totally agree": 5,
}
NPS_LABELS: dict[str, int] = {"not at all likely": 0, "not likely at all": 0, "extremely likely": 10}
# Answers that mean "no answer": missing, never zero.
NO_ANSWER = frozenset({"n/a", "na", "not applicable", "don't know", "do not know", "dont know", "prefer not to say",
                       "no answer", "-"})
# Per catalogue scale: its labels and the labels an error message suggests; SCALES adds its lowest and highest
# answer (metrics.vocabulary's) in front.
SCALE_LABELS = {"likert5": (LIKERT5_LABELS, "Strongly disagree, Disagree, Neither agree nor disagree, Agree, "
                                            "Strongly agree"),
                "nps11": (NPS_LABELS, "Not at all likely (0), Extremely likely (10)")}
SCALES = {scale: (*vocabulary.SCALES[scale], *SCALE_LABELS[scale]) for scale in vocabulary.SCALES}
# A number, alone or followed by a separator and its label: "4", "4.0", "4 - Agree", "5 = Strongly agree", "4 (Agree)".
NUMBERISH = re.compile(r"[0-9+\-._eE ]*[0-9][0-9+\-._eE ]*", re.ASCII)
NUMBERED = re.compile(r"(\d+(?:[.,]\d+)?)(?:(?:\s*[-=:.(]|\s)\s*(.*?)\)?)?", re.ASCII)

# A date and time as the platforms write them: 2024-03-15 10:30:00, 2024-03-15T10:30:00Z, 15/03/2024 10:30,
# 3/15/24 10:30:05 AM, 2024/03/15 10:30:00 AM GMT+1, 15-01-2024 10:30. The zone, if any, is dropped: times stay
# as the platform wrote them (the wave is a month, and every platform writes one zone for a whole file).
TIMESTAMP = re.compile(
    r"^\s*(?P<a>\d{1,4})[-/.](?P<b>\d{1,2})[-/.](?P<c>\d{1,4})"
    r"(?:[T\s]+(?P<hour>\d{1,2}):(?P<minute>\d{2})(?::(?P<second>\d{2})(?:[.,]\d+)?)?"
    r"\s*(?P<ampm>[AaPp]\.?\s?[Mm]\.?)?)?"
    r"\s*(?:Z|(?:GMT|UTC)?\s*[+-]\d{1,2}(?::?\d{2})?|GMT|UTC)?\s*$", re.ASCII)

UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"   # Excel 97-2003 .xls
TRIM = " \t\r\n\u00a0\ufeff"

# An .xlsx is a zip archive: the upload limit measures the file, not what it unpacks to, and a sheet may declare
# (or hold) a cell in its far corner, XFD1048576, that would make a grid of 17 billion cells. So the archive is
# inspected before it is opened, and the sheet is read with bounds no survey export reaches. An export of 20,000
# responses to 30 questions unpacks to 40 MB (16 times its size); the limit is the upload limit, 200 MB unless
# an admin sets another, and ingest passes the one in force.
XLSX_MAX_UNPACKED = 200 * 1024 * 1024
XLSX_MAX_RATIO = 200                 # deflated XML packs 10-30 to 1; zeros, a zip bomb's filling, 1,000 to 1
XLSX_MAX_ROWS = 1_000_000
XLSX_MAX_COLUMNS = 2_000
XLSX_MAX_CELLS = 20_000_000          # rows x columns of the grid read, empty cells included
EXCEL_MAX_ROWS = 1_048_576           # Excel's own limit: a row beyond it is not a workbook's
# Shown beside every refusal of an oversized workbook: what the analyst can do about it.
XLSX_TOO_BIG_ADVICE = ("export the responses as CSV instead, or split the export by month and import each part "
                       "(an admin can raise the upload limit, the setting max_upload_mb)")
# The sniffer reads the first records whatever their length (a Google Forms header of 331 long questions is
# over 64 KB), but never more than this: a quote left open would make the whole file one record.
SNIFF_MAX = 1 << 23


# ----------------------------------------------------------------------------------------------------------
# Results and errors


@dataclass
class ParsedExport:
    """One export, read. Every frame column is exactly one of: id_column, submitted_column, or in one of the
    personal, metadata, comment and answer lists. id_column is never listed as personal; id_is_personal says the
    id names a person (Glint's employee id), so it must be stored only pseudonymised."""

    layout: str
    frame: pd.DataFrame
    row_numbers: list[int]
    question_text: dict[str, str]
    id_column: str | None
    submitted_column: str | None
    personal_columns: list[str]
    metadata_columns: list[str]
    comment_columns: list[str]
    answer_columns: list[str]
    encoding: str
    delimiter: str
    date_order: str | None
    warnings: list[str] = field(default_factory=list)
    id_is_personal: bool = False


class LayoutError(ValueError):
    """An export that cannot be read as given; the message names the file and says what to do."""


class AmbiguousDates(LayoutError):
    """Dates that could be day-first or month-first: the analyst must say which (--date-order dmy|mdy)."""


@dataclass
class _Grid:
    """Every record of a file, header rows included; cells are stripped text or None."""

    cells: pd.DataFrame
    row_numbers: list[int]
    encoding: str
    delimiter: str
    warnings: list[str]

    def head(self) -> list[list[str]]:
        return [["" if v is None else v for v in row] for row in self.cells.head(HEAD_ROWS).itertuples(index=False)]


@dataclass
class _Columns:
    """What a layout's header rows say about each grid column."""

    keys: list[str]
    texts: list[str]
    labels: list[str]
    header_rows: int
    metadata: set[str] = field(default_factory=set)
    warnings: list[str] = field(default_factory=list)


# ----------------------------------------------------------------------------------------------------------
# Reading an export


def read_export(data: bytes, file_name: str, layout: str = "auto", date_order: str | None = None, *,
                max_unpacked: int = XLSX_MAX_UNPACKED) -> ParsedExport:
    """Read one survey export. layout "auto" detects it; date_order overrides the date order found in the data.

    A file with a header and no responses gives an empty frame and a warning, so a mapping can be prepared from
    a blank export; an empty, binary, one-column or ragged file is refused with a LayoutError. max_unpacked bounds
    what an .xlsx may unpack to, in bytes.
    """
    file_name = printable(file_name)
    _check_options(file_name, layout, date_order)
    grid = _read_grid(data, file_name, max_unpacked)
    head = grid.head()
    warnings = list(grid.warnings)
    if layout == "auto":
        layout = detect_layout(head, file_name)
    else:
        detected = _detect_quietly(head, file_name)
        if detected and detected != layout:
            warnings.append(f"read as {layout} as asked, although the header looks like {detected}")
    columns = HEADER_READERS[layout](head, file_name)
    frame, row_numbers, keys, body_warnings = _body(grid, columns, file_name)
    warnings += columns.warnings + body_warnings
    spec = SPECS[layout]
    roles = _roles(columns, keys, spec)
    submitted = frame[roles.submitted] if roles.submitted is not None else None
    order, date_warnings = _date_order(submitted, date_order or spec.date_order)
    warnings += date_warnings + (["the file has a header but no responses"] if frame.empty else [])
    return ParsedExport(
        layout=layout, frame=frame, row_numbers=row_numbers,
        question_text={key: columns.texts[i] for i, key in keys.items()},
        id_column=roles.id, submitted_column=roles.submitted,
        personal_columns=roles.personal, metadata_columns=roles.metadata,
        comment_columns=roles.comment, answer_columns=roles.answer,
        encoding=grid.encoding, delimiter=grid.delimiter, date_order=order, warnings=warnings,
        id_is_personal=spec.id_is_personal and roles.id is not None,
    )


def _check_options(file_name: str, layout: str, date_order: str | None) -> None:
    if layout != "auto" and layout not in LAYOUTS:
        raise LayoutError(f"{file_name}: unknown layout {layout!r}; choose auto or one of: {', '.join(LAYOUTS)}")
    if date_order is not None and date_order not in DATE_ORDERS:
        raise LayoutError(f"{file_name}: unknown date order {date_order!r}; choose one of: {', '.join(DATE_ORDERS)}")


# ----------------------------------------------------------------------------------------------------------
# Bytes to a grid of cells


def _read_grid(data: bytes, file_name: str, max_unpacked: int = XLSX_MAX_UNPACKED) -> _Grid:
    if not data or not data.strip():
        raise LayoutError(f"{file_name}: the file is empty: export the responses again")
    name = file_name.lower()
    if data.startswith(ZIP_MAGIC) or name.endswith((".xlsx", ".xlsm")):
        return _read_xlsx(data, file_name, max_unpacked)
    if data.startswith(OLE_MAGIC):
        raise LayoutError(f"{file_name}: is an Excel 97-2003 workbook (.xls): open it in Excel and save it as "
                          ".xlsx or as CSV UTF-8, then upload that")
    text, encoding, warnings = _decode(data, file_name)
    return _read_csv(text, encoding, warnings, file_name)


def _decode(data: bytes, file_name: str) -> tuple[str, str, list[str]]:
    """Text and the encoding it was read in: a BOM decides, then strict UTF-8, then charset-normalizer."""
    if data.startswith(b"\xef\xbb\xbf"):
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


def _read_csv(text: str, encoding: str, warnings: list[str], file_name: str) -> _Grid:
    if not text.strip():
        raise LayoutError(f"{file_name}: the file is empty: export the responses again")
    delimiter, width = _sniff(text)
    if width < 2:
        raise LayoutError(f"{file_name}: has only one column (no comma, semicolon or tab separates its header): "
                          "a survey export has several columns. Check that this is the responses export, "
                          "saved as CSV")
    try:
        table = _duckdb_csv(text, delimiter, width, file_name)
    except LayoutError:
        # Lines ended two ways (CR LF and LF alone, or a stray CR: a file edited in two programs) stop DuckDB's
        # reader, which takes one line ending for a whole file. Such a file is read again with one kind.
        if not _mixed_line_endings(text):
            raise
        text = re.sub(r"\r\n?", "\n", text)
        table = _duckdb_csv(text, delimiter, width, file_name)
        warnings = [*warnings, "the file's lines end in two ways (CR LF and LF): they were read as one kind"]
    cells = _cells_from_arrow(table)
    return _Grid(cells, _csv_row_numbers(text, delimiter, len(cells)), encoding, delimiter, warnings)


def _mixed_line_endings(text: str) -> bool:
    """Both CR and LF occur, and not only as CR LF pairs."""
    cr, lf = text.count("\r"), text.count("\n")
    return bool(cr and lf) and not cr == lf == text.count("\r\n")


def _sniff(text: str) -> tuple[str, int]:
    """The delimiter that splits the first records into the same number of fields, and that number."""
    sample = _first_lines(text)
    records = _delimiter_counts(sample, whole=len(sample) == len(text))
    if not records:
        return ",", 1

    def fit(delimiter: str) -> tuple[int, int]:
        first = records[0][delimiter]
        return (sum(1 for r in records if r[delimiter] == first) if first else 0), first

    best = max(DELIMITERS, key=fit)
    return best, records[0][best] + 1


def _first_lines(text: str, lines: int = 8) -> str:
    """The text up to the end of its first lines, however long they are; at least 64 KB, at most SNIFF_MAX."""
    newline = "\n" if text.find("\n", 0, SNIFF_MAX) >= 0 else "\r"   # or lines ended by CR alone (old Mac)
    end = 0
    for _ in range(lines):
        end = text.find(newline, end, SNIFF_MAX) + 1
        if not end:
            return text[:SNIFF_MAX]
    return text[: min(max(end, 1 << 16), SNIFF_MAX)]


def _delimiter_counts(sample: str, limit: int = 8, whole: bool = False) -> list[dict[str, int]]:
    """Per record, how often each candidate delimiter occurs outside quotes (quotes may hold newlines). `whole`:
    the sample is the whole file, so a last record without a newline counts."""
    records: list[dict[str, int]] = []
    counts = dict.fromkeys(DELIMITERS, 0)
    in_quotes, field_start, seen, i, n = False, True, False, 0, len(sample)
    while i < n and len(records) < limit:
        ch = sample[i]
        if in_quotes:
            if ch == '"' and i + 1 < n and sample[i + 1] == '"':
                i += 1
            elif ch == '"':
                in_quotes = False
        elif ch == '"' and field_start:
            in_quotes = True
        elif ch in counts:
            counts[ch] += 1
            field_start, seen = True, True
            i += 1
            continue
        elif ch in "\r\n":
            if seen:
                records.append(counts)
            counts, field_start, seen = dict.fromkeys(DELIMITERS, 0), True, False
            i += 1
            continue
        field_start, seen = False, True
        i += 1
    if seen and i >= n and not in_quotes and whole:
        records.append(counts)   # a last record without a newline, when the sample is the whole file
    return records


READ_CSV_SQL = """
SELECT * FROM read_csv($path, header = false, auto_detect = false, columns = $columns, delim = $delim,
                       quote = '"', escape = '"', strict_mode = true, null_padding = false, skip = 0, comment = '')
"""


def _duckdb_csv(text: str, delimiter: str, width: int, file_name: str) -> pa.Table:
    """Parse with DuckDB's CSV reader. The columns are given, so its sniffer neither skips "dirty" header rows
    nor takes a leading "#" (Typeform) for a comment; every cell is text."""
    columns = {f"c{i}": "VARCHAR" for i in range(width)}
    with tempfile.TemporaryDirectory(prefix="layouts-") as folder:
        path = Path(folder) / "export.csv"
        path.write_text(text, encoding="utf-8", newline="")
        # A private in-memory connection: no database is touched, and the module-level default connection is not
        # safe to share between the app's threads.
        con = duckdb.connect(":memory:")
        try:
            return con.sql(READ_CSV_SQL, params={"path": str(path), "columns": columns, "delim": delimiter}) \
                      .to_arrow_table()
        except duckdb.Error as exc:
            raise _csv_refusal(file_name, str(exc), delimiter) from None
        finally:
            con.close()


def _csv_refusal(file_name: str, message: str, delimiter: str) -> LayoutError:
    line = re.search(r"Line: (\d+)", message)
    where = f"line {line.group(1)}" if line else "one line"
    columns = re.search(r"Expected Number of Columns: (\d+) Found: (\d+)", message)
    name = DELIMITER_NAMES[delimiter]
    if columns:
        expected, found = columns.groups()
        return LayoutError(
            f"{file_name}: {where} has {found} columns where the header has {expected} ({name}-separated). "
            f"A cell there probably holds an unquoted {name} or a line break: fix that line, or export the file "
            "again from the survey tool without editing it")
    if "unterminated quote" in message.lower():
        return LayoutError(f"{file_name}: {where} opens a quote (\") that is never closed: fix that line, or "
                           "export the file again from the survey tool without editing it")
    first = next((s.strip() for s in message.splitlines() if s.strip()), "unknown error")
    return LayoutError(f"{file_name}: cannot be read as a {name}-separated CSV file ({first}). Export the "
                       "responses again as CSV UTF-8")


def _cells_from_arrow(table: pa.Table) -> pd.DataFrame:
    """Stripped text or None, column by column in Arrow (a 100k-row export takes well under a second)."""
    columns = {}
    for i, name in enumerate(table.column_names):
        trimmed = pc.utf8_trim_whitespace(table.column(name))
        empty_to_null = pc.if_else(pc.equal(trimmed, ""), pa.scalar(None, pa.string()), trimmed)
        columns[i] = empty_to_null.to_numpy(zero_copy_only=False)
    return pd.DataFrame(columns, dtype=object)


def _csv_row_numbers(text: str, delimiter: str, records: int) -> list[int]:
    """The spreadsheet row of each record: its position, unless blank lines (which DuckDB skips) shift it."""
    body = text.rstrip(TRIM)
    if not re.search(r"(^|\n)[ \t]*\r?\n", body):
        return list(range(1, records + 1))
    rows = [n for n, record in enumerate(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), 1)
            if record]
    return rows if len(rows) == records else list(range(1, records + 1))


def _read_xlsx(data: bytes, file_name: str, max_unpacked: int = XLSX_MAX_UNPACKED) -> _Grid:
    if not data.startswith(ZIP_MAGIC):
        looks_like = " (it looks like a CSV text file: rename it to .csv)" if _looks_like_text(data) else ""
        raise LayoutError(f"{file_name}: is not an Excel workbook{looks_like}. Upload the .xlsx file the survey "
                          "tool exported, or the responses as CSV")
    try:
        _check_archive(data, file_name, max_unpacked)
        import openpyxl

        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True, keep_links=False)
        try:
            sheets = [sheet.title for sheet in book.worksheets]
            raw = _sheet_frame(book.worksheets[0], file_name)
        finally:
            book.close()
    except LayoutError:
        raise
    except Exception as exc:  # openpyxl raises many kinds of error on a damaged workbook; all mean the same here
        raise LayoutError(f"{file_name}: is not a readable Excel workbook ({type(exc).__name__}): open it in Excel, "
                          "save it again as .xlsx, or export the responses as CSV") from None
    if raw.empty:
        raise LayoutError(f"{file_name}: the workbook's first sheet ({sheets[0]!r}) is empty: export the "
                          "responses again")
    cells = pd.DataFrame({i: _strip_cells(raw[c]) for i, c in enumerate(raw.columns)}, dtype=object)
    warnings = [f"the workbook has {len(sheets)} sheets; only the first, {sheets[0]!r}, was read"] \
        if len(sheets) > 1 else []
    return _Grid(cells, list(range(1, len(cells) + 1)), "xlsx", "", warnings)


def _check_archive(data: bytes, file_name: str, max_unpacked: int) -> None:
    """Refuse a workbook that unpacks to more than max_unpacked bytes, or holds a part packed like a zip bomb,
    from the archive's directory alone: nothing is unpacked. Python's zipfile stops a part at its declared size
    (and fails its checksum), so a part cannot unpack to more than the directory says."""
    parts = zipfile.ZipFile(io.BytesIO(data)).infolist()
    total = sum(part.file_size for part in parts)
    mb = 1024 * 1024
    if total > max_unpacked:
        raise LayoutError(f"{file_name}: the workbook is {len(data) / mb:,.1f} MB but unpacks to {total / mb:,.0f} "
                          f"MB, over the upload limit of {max_unpacked / mb:g} MB (an .xlsx is a compressed archive: "
                          f"what it holds counts): {XLSX_TOO_BIG_ADVICE}")
    for part in parts:
        ratio = part.file_size / max(part.compress_size, 1)
        if part.file_size > mb and ratio > XLSX_MAX_RATIO:
            raise LayoutError(f"{file_name}: is not a workbook a survey tool writes: its part "
                              f"{printable(part.filename)!r} unpacks to {ratio:,.0f} times its packed size "
                              f"({part.file_size / mb:,.0f} MB), as a zip bomb does, where a sheet packs about 10 to "
                              "30 times. Export the responses again from the survey tool, as .xlsx or CSV")


def _sheet_frame(sheet, file_name: str) -> pd.DataFrame:
    """The sheet's cells as text, as pandas' read_excel(header=None, dtype=str) gives them, read with bounds.

    The extent comes from the cells themselves, not from the dimension the sheet declares (which can be wrong,
    or hostile: A1:XFD1048576). A run of blank rows is counted, not stored, so blank rows at the end cost
    nothing; data beyond XLSX_MAX_ROWS or XLSX_MAX_COLUMNS, or a grid over XLSX_MAX_CELLS, is refused as soon as
    it is met."""
    from openpyxl.cell.cell import TYPE_ERROR, TYPE_NUMERIC
    from openpyxl.utils import get_column_letter
    from pandas.io.parsers import TextParser

    def too_far(row_number: int, column: int) -> LayoutError:
        return LayoutError(
            f"{file_name}: the first sheet ({sheet.title!r}) has data as far as cell "
            f"{get_column_letter(column)}{row_number}, beyond what a survey export holds (at most "
            f"{XLSX_MAX_ROWS:,} rows and {XLSX_MAX_COLUMNS:,} columns): delete what lies outside the responses "
            "and save the workbook again, or export the responses again from the survey tool")

    def text(cell):   # pandas' conversion (its openpyxl reader's _convert_cell)
        if cell.value is None:
            return ""
        if cell.data_type == TYPE_ERROR:
            return float("nan")
        if cell.data_type == TYPE_NUMERIC:
            whole = int(cell.value)
            return whole if whole == cell.value else float(cell.value)
        return cell.value

    sheet.reset_dimensions()   # openpyxl then finds the extent from the cells it meets
    data: list[list] = []
    width = blank = scanned = 0
    for row_number, row in enumerate(sheet.rows, start=1):
        if row_number > EXCEL_MAX_ROWS:
            raise LayoutError(f"{file_name}: is not a readable Excel workbook: its first sheet has rows beyond "
                              f"Excel's last, {EXCEL_MAX_ROWS:,}. Open it in Excel, save it again as .xlsx, or "
                              "export the responses as CSV")
        scanned += len(row)
        if scanned > XLSX_MAX_CELLS:
            raise LayoutError(f"{file_name}: the first sheet ({sheet.title!r}) holds more than {XLSX_MAX_CELLS:,} "
                              f"cells, more than a survey export holds: {XLSX_TOO_BIG_ADVICE}")
        if len(row) > XLSX_MAX_COLUMNS:
            beyond = [n for n, cell in enumerate(row[XLSX_MAX_COLUMNS:], XLSX_MAX_COLUMNS + 1)
                      if cell.value is not None]
            if beyond:
                raise too_far(row_number, beyond[-1])
            row = row[:XLSX_MAX_COLUMNS]
        converted = [text(cell) for cell in row]
        while converted and converted[-1] == "":
            converted.pop()
        if not converted:
            blank += 1
            continue
        if row_number > XLSX_MAX_ROWS:
            raise too_far(row_number, len(converted))
        width = max(width, len(converted))
        if row_number * width > XLSX_MAX_CELLS:
            raise LayoutError(f"{file_name}: the first sheet ({sheet.title!r}) spans {row_number:,} rows and "
                              f"{width:,} columns, more cells than a survey export holds ({XLSX_MAX_CELLS:,}): "
                              f"delete what lies outside the responses, or {XLSX_TOO_BIG_ADVICE}")
        data += [[] for _ in range(blank)]
        data.append(converted)
        blank = 0
    data = [row + [""] * (width - len(row)) for row in data]
    if not data:
        return pd.DataFrame()
    return TextParser(data, header=None, dtype=str, skip_blank_lines=False).read()


def _strip_cells(column: pd.Series) -> pd.Series:
    text = column.astype("string").str.strip(TRIM)
    return text.astype(object).where(text.notna() & (text != ""), None)


def _looks_like_text(data: bytes) -> bool:
    try:
        sample = data[:4096].decode("utf-8")
    except UnicodeDecodeError:
        return False
    return any(d in sample for d in DELIMITERS) and "\x00" not in sample


# ----------------------------------------------------------------------------------------------------------
# Layout detection


def detect_layout(header_rows: list[list[str]], file_name: str) -> str:
    """The layout whose signature the first header rows carry; LayoutError if none does."""
    rows = [[_header_cell(c) for c in row] for row in header_rows]
    first = rows[0] if rows else []
    names = {c.casefold() for c in first if c}
    if len(rows) > 2 and _is_import_id_row(rows[2]):
        return "qualtrics"
    if len(rows) > 1 and "v1" in names and "responseid" in {c.casefold() for c in rows[1]}:
        return "qualtrics_legacy"
    if {"startdate", "enddate"} <= names and names & {"responseid", "recordeddate", "progress", "finished"}:
        raise LayoutError(_missing_import_ids(file_name))
    for signature in SIGNATURES:
        if _signature_matches(signature, names, first[0].casefold() if first else ""):
            return signature.layout
    shown = ", ".join(repr(c) for c in first[:6] if c) or "nothing"
    raise LayoutError(f"{file_name}: the layout was not recognised (the header starts with {shown}). Choose the "
                      f"layout by hand ({', '.join(LAYOUTS)}), or fill in the native template")


def _detect_quietly(header_rows: list[list[str]], file_name: str) -> str | None:
    try:
        return detect_layout(header_rows, file_name)
    except LayoutError:
        return None


def _signature_matches(signature: Signature, names: set[str], first_cell: str) -> bool:
    if not signature.all_of <= names:
        return False
    if signature.any_of and not signature.any_of & names:
        return False
    if signature.first_cell and first_cell not in signature.first_cell:
        return False
    if signature.suffixes and not any(n.endswith(signature.suffixes) for n in names):
        return False
    return True


def _missing_import_ids(file_name: str) -> str:
    return (f"{file_name}: looks like a Qualtrics export but the third header row ({{\"ImportId\": ...}}) is "
            "missing: export again with 'Use legacy format' off, or choose the layout 'qualtrics_legacy'")


def _import_id(cell: str) -> str | None:
    if not cell.startswith("{"):
        return None
    try:
        value = json.loads(cell)
    except ValueError:
        return None
    return str(value.get("ImportId")) if isinstance(value, dict) and "ImportId" in value else None


def _is_import_id_row(row: list[str]) -> bool:
    filled = [c for c in row if c]
    return bool(filled) and sum(1 for c in filled if _import_id(c) is not None) * 2 >= len(filled)


# ----------------------------------------------------------------------------------------------------------
# Header rows to column keys and question texts, per layout


def _header_cell(value: str | None) -> str:
    """A header cell on one line: quoted line breaks and runs of spaces become one space."""
    return " ".join(str(value or "").replace("\ufeff", "").split())


def _plain(text: str) -> str:
    """Question text without the HTML some platforms keep in it."""
    return _header_cell(html.unescape(re.sub(r"<[^>]+>", " ", text)))


def _row(head: list[list[str]], index: int, width: int) -> list[str]:
    row = head[index] if index < len(head) else []
    return [_header_cell(c) for c in row] + [""] * (width - len(row))


def _single_header(head: list[list[str]], file_name: str) -> _Columns:
    first = _row(head, 0, len(head[0]))
    return _Columns(first, list(first), [""] * len(first), 1)


def _qualtrics_header(head: list[list[str]], file_name: str) -> _Columns:
    width = len(head[0])
    ids, texts, third = _row(head, 0, width), _row(head, 1, width), _row(head, 2, width)
    if not _is_import_id_row(third):
        raise LayoutError(_missing_import_ids(file_name))
    import_ids = [_import_id(c) or "" for c in third]
    keys = [k or t for k, t in zip(ids, texts)]
    return _Columns(keys, [_plain(t) or k for t, k in zip(texts, keys)], import_ids, 3)


def _qualtrics_legacy_header(head: list[list[str]], file_name: str) -> _Columns:
    width = len(head[0])
    ids, texts = _row(head, 0, width), _row(head, 1, width)
    keys = [k or t for k, t in zip(ids, texts)]
    return _Columns(keys, [_plain(t) or k for t, k in zip(texts, keys)], [""] * width, 2)


def _surveymonkey_header(head: list[list[str]], file_name: str) -> _Columns:
    """Row 1 holds each question once, over its first column; row 2 says what each column of it holds. Keys
    join the two ("Question — Row label"); "Response" and "Open-Ended Response" add nothing to the key."""
    width = len(head[0])
    questions, subs = _row(head, 0, width), _row(head, 1, width)
    if subs and subs[0]:
        # Row 2 starts with a respondent id: the file was saved with one header row.
        return _Columns(questions, list(questions), [""] * width, 1,
                        warnings=["SurveyMonkey export with one header row: read row 1 as the header"])
    keys, current = [], ""
    for question, sub in zip(questions, subs):
        current = question or current
        says_nothing = not sub or (question and sub.casefold() in ("response", "open-ended response"))
        keys.append(current if says_nothing else f"{current} — {sub}")
    return _Columns(keys, list(keys), subs, 2)


def _limesurvey_header(head: list[list[str]], file_name: str) -> _Columns:
    columns = _single_header(head, file_name)
    # Timing columns are named after the question they time: "Q1Time" beside Q1 or Q1[SQ001].
    timed = {k.split("[")[0] for k in columns.keys if k}
    columns.metadata = {k for k in columns.keys if k.endswith("Time") and k[:-4] in timed}
    return columns


HEADER_READERS = {
    "native": _single_header, "qualtrics": _qualtrics_header, "qualtrics_legacy": _qualtrics_legacy_header,
    "surveymonkey": _surveymonkey_header, "google_forms": _single_header, "ms_forms": _single_header,
    "typeform": _single_header, "limesurvey": _limesurvey_header, "glint": _single_header,
}


# ----------------------------------------------------------------------------------------------------------
# The responses below the header


def _body(grid: _Grid, columns: _Columns, file_name: str
          ) -> tuple[pd.DataFrame, list[int], dict[int, str], list[str]]:
    """The response rows with unique column keys; blank columns and rows dropped. Returns the frame, each row's
    spreadsheet row, the kept grid column -> key, and warnings."""
    body = grid.cells.iloc[columns.header_rows:]
    filled = body.notna().any(axis=0).to_numpy() if len(body) else [False] * body.shape[1]
    keys: dict[int, str] = {}
    warnings: list[str] = []
    for i, key in enumerate(columns.keys):
        if not key and not filled[i]:
            continue   # trailing delimiters (Qualtrics legacy) make header-less empty columns
        if not key:
            key = f"column {i + 1}"
            columns.texts[i] = key
            warnings.append(f"column {i + 1} has no header; it was named {key!r}")
        keys[i] = key
    keys = _unique(keys, warnings)
    if len(keys) < 2:
        raise LayoutError(f"{file_name}: has fewer than two columns with a header: a survey export has several. "
                          "Check that this is the responses export")
    frame = body[list(keys)]
    frame.columns = list(keys.values())
    kept = frame.notna().any(axis=1).to_numpy()
    rows = [n for n, keep in zip(grid.row_numbers[columns.header_rows:], kept) if keep]
    return frame[kept].reset_index(drop=True), rows, keys, warnings


def _unique(keys: dict[int, str], warnings: list[str]) -> dict[int, str]:
    """Keys made unique: a repeated header becomes "Header (2)", "Header (3)" ..."""
    used = set(keys.values())
    unique: dict[int, str] = {}
    for i, key in keys.items():
        if key not in unique.values():
            unique[i] = key
            continue
        count = 2
        while f"{key} ({count})" in used:
            count += 1
        unique[i] = f"{key} ({count})"
        used.add(unique[i])
        warnings.append(f"two columns are headed {key!r}; the later one is {unique[i]!r}")
    return unique


# ----------------------------------------------------------------------------------------------------------
# Column roles


@dataclass
class _Roles:
    id: str | None
    submitted: str | None
    personal: list[str] = field(default_factory=list)
    metadata: list[str] = field(default_factory=list)
    comment: list[str] = field(default_factory=list)
    answer: list[str] = field(default_factory=list)


def _roles(columns: _Columns, keys: dict[int, str], spec: LayoutSpec) -> _Roles:
    """One role per kept column. Personal is tested first, so a column that could be two things (a LimeSurvey
    token, a Typeform hidden "email") is never stored."""
    names = {i: {n.casefold() for n in (columns.keys[i], columns.texts[i], columns.labels[i]) if n} for i in keys}
    ids = _first_named(spec.ids, names)
    submitted = _first_named(spec.submitted, names, exclude=ids)
    roles = _Roles(keys.get(ids), keys.get(submitted))
    personal = {n.casefold() for n in spec.personal}
    metadata = {n.casefold() for n in spec.metadata}
    for i, key in keys.items():
        if i in (ids, submitted):
            continue
        tags = (columns.keys[i], columns.labels[i])
        if names[i] & personal or any(p.fullmatch(n) for p in PERSONAL_PATTERNS for n in names[i]):
            roles.personal.append(key)
        elif columns.keys[i] in columns.metadata or names[i] & metadata or _searched(spec.metadata_patterns, tags):
            roles.metadata.append(key)
        elif _searched(spec.comment_patterns, tags) or COMMENT_PATTERN.search(columns.texts[i]):
            roles.comment.append(key)
        else:
            roles.answer.append(key)
    return roles


def _first_named(candidates: tuple[str, ...], names: dict[int, set[str]], exclude: int | None = None) -> int | None:
    for candidate in candidates:
        for i, column_names in names.items():
            if i != exclude and candidate.casefold() in column_names:
                return i
    return None


def _searched(patterns: tuple[str, ...], texts: tuple[str, ...]) -> bool:
    return any(re.search(p, t, re.IGNORECASE) for p in patterns for t in texts if t)


# ----------------------------------------------------------------------------------------------------------
# Dates


def _date_parts(values: pd.Series) -> pd.DataFrame:
    """Per value: the numbers a/b/c (date, in the order written), hour, minute, second (NaN where absent),
    whether the year comes first, and the meridiem ("a", "p" or None). RE2 in Arrow does the matching."""
    text = pa.array(pd.Series(values, dtype="string").to_numpy(dtype=object, na_value=None), type=pa.string())
    found = pc.extract_regex(text, TIMESTAMP.pattern)
    parts = dict(zip((f.name for f in found.type), found.flatten()))
    empty = pa.scalar(None, pa.string())

    def number(name: str) -> pa.Array:
        # An optional group that did not take part comes back as "", not null.
        return pc.cast(pc.if_else(pc.equal(parts[name], ""), empty, parts[name]), pa.float64())

    frame = pd.DataFrame({name: number(name).to_numpy(zero_copy_only=False)
                          for name in ("a", "b", "c", "hour", "minute", "second")}, index=values.index)
    frame["year_first"] = pc.fill_null(pc.equal(pc.utf8_length(parts["a"]), 4), False).to_numpy(zero_copy_only=False)
    meridiem = pc.utf8_lower(pc.utf8_slice_codeunits(parts["ampm"], 0, 1))
    frame["meridiem"] = pc.if_else(pc.equal(meridiem, ""), empty, meridiem).to_numpy(zero_copy_only=False)
    return frame


def _settle_order(parts: pd.DataFrame) -> tuple[str | None, bool]:
    """(order, mixed): ymd when every date is year-first; otherwise a day above 12 in the first or second place
    settles it; mixed when both happen."""
    dated = parts["a"].notna()
    other = parts[dated & ~parts["year_first"]]
    if other.empty:
        return ("ymd" if dated.any() else None), False
    day_first, month_first = bool((other["a"] > 12).any()), bool((other["b"] > 12).any())
    if day_first and month_first:
        return None, True
    return ("dmy" if day_first else "mdy" if month_first else None), False


def _date_order(values: pd.Series | None, settled: str | None) -> tuple[str | None, list[str]]:
    """The order asked for or fixed by the layout, else the one the submission times show, with warnings."""
    if values is None:
        return settled, ["no submission time column: set the survey wave when importing"]
    if settled:
        return settled, []
    order, mixed = _settle_order(_date_parts(values))
    if mixed:
        return None, [f"the dates in {values.name!r} mix day-first and month-first: check the column, then "
                      "choose the date order (dmy or mdy)"]
    if order is None and values.notna().any():
        return None, [f"the dates in {values.name!r} could be day-first or month-first (no day is above 12): "
                      "choose the date order (dmy or mdy)"]
    return order, []


def parse_timestamps(values: pd.Series, date_order: str | None, *, file_name: str | None = None) -> pd.Series:
    """Text dates and times as datetime64 (NaT where unparseable). With date_order None the data must settle the
    order: AmbiguousDates if every day is 12 or less, LayoutError if day-first and month-first dates are mixed."""
    parts = _date_parts(values)
    order = date_order
    if order is None:
        order, mixed = _settle_order(parts)
        where = f"{file_name}: " if file_name else ""
        if mixed:
            raise LayoutError(f"{where}the dates in column {values.name!r} mix day-first and month-first "
                              "(a day above 12 appears in both places): correct the column, then import again")
        if order is None and parts["a"].notna().any():
            example = values[parts["a"].notna()].iloc[0]
            raise AmbiguousDates(
                f"{where}the dates in column {values.name!r} could be day-first or month-first (every day is 12 or "
                f"less, e.g. {example!r}): choose the date order, dmy for 15/03/2024 or mdy for 03/15/2024 "
                "(--date-order dmy|mdy)")
    return pd.Series(_assemble(parts, order).to_numpy(), index=values.index, name=values.name)


def _assemble(parts: pd.DataFrame, order: str | None) -> pd.Series:
    if order == "dmy":
        year, month, day = parts["c"], parts["b"], parts["a"]
    elif order == "mdy":
        year, month, day = parts["c"], parts["a"], parts["b"]
    else:
        year, month, day = parts["a"], parts["b"], parts["c"]
    year_first = parts["year_first"]
    year = year.where(~year_first, parts["a"])
    month = month.where(~year_first, parts["b"])
    day = day.where(~year_first, parts["c"])
    # 3/15/24: a survey answered this century; a year written with four digits is taken as written.
    year = year.where((year >= 100) | year_first, year + 2000)
    hour = parts["hour"].fillna(0)
    afternoon = (parts["meridiem"] == "p") & (hour < 12)
    midnight = (parts["meridiem"] == "a") & (hour == 12)
    hour = hour.where(~afternoon, hour + 12).where(~midnight, 0)
    minute, second = parts["minute"].fillna(0), parts["second"].fillna(0)
    stamp = pd.DataFrame({"year": year, "month": month, "day": day, "hour": hour, "minute": minute, "second": second})
    # pandas carries 25:61 over into the next day and accepts year 0: an impossible time is no time at all.
    impossible = (hour > 23) | (minute > 59) | (second > 59) | (year < 1)
    return pd.to_datetime(stamp.mask(impossible), errors="coerce")


# ----------------------------------------------------------------------------------------------------------
# Answer labels


@lru_cache(maxsize=4096)
def likert_value(text: str | None, scale: str) -> int | None:
    """The number an answer stands for on a catalogue scale (likert5: 1-5, nps11: 0-10); None when unanswered.
    Accepts numbers ("4", "4.0"), numbered labels ("4 - Agree", "5 = Strongly agree", "10 - Extremely likely")
    and labels ("Strongly agree"), in any case. Raises ValueError, with the reason, for anything else."""
    if scale not in SCALES:
        raise ValueError(f"unknown scale {scale!r}; expected one of: {', '.join(SCALES)}")
    low, high, labels, suggested = SCALES[scale]
    clean = _label(text)
    if not clean or clean in NO_ANSWER:
        return None
    number = _number(str(text).strip(TRIM))
    if number is not None:  # a number, however written ("4", "+4", "4.0", "4e0"): as DuckDB's CSV reader reads it
        return _numbered_value(repr(number), "", text, low, high, labels)
    numbered = NUMBERED.fullmatch(clean)
    if numbered:
        return _numbered_value(numbered.group(1), numbered.group(2) or "", text, low, high, labels)
    if clean in labels:
        return labels[clean]
    raise ValueError(f"{text!r} is not an answer on the {low}–{high} scale: expected a number from {low} to {high} "
                     f"or a label ({suggested})")


_numbers = duckdb.connect()
_numbers_lock = threading.Lock()


@lru_cache(maxsize=4096)
def _number(text: str) -> float | None:
    """The number DuckDB reads in this text (the fast import path reads answers with it), or None. One reader for
    both paths, so a cell means the same whichever path a file takes."""
    if not NUMBERISH.fullmatch(text):
        return None
    with _numbers_lock:
        return _numbers.execute("SELECT TRY_CAST($text AS DOUBLE)", {"text": text}).fetchall()[0][0]


def _label(text: str | None) -> str:
    if text is None or (not isinstance(text, str) and pd.isna(text)):
        return ""
    clean = str(text).replace("’", "'").replace("–", "-").replace("—", "-").casefold()
    return " ".join(clean.split()).strip(" .")


def _numbered_value(number: str, rest: str, text: str | None, low: int, high: int, labels: dict[str, int]) -> int:
    value = float(number.replace(",", "."))
    if not value.is_integer():
        raise ValueError(f"{text!r} is not a whole number from {low} to {high}")
    value = int(value)
    if not low <= value <= high:
        raise ValueError(f"{text!r} is outside the {low}–{high} scale")
    label = rest.strip(" -=:.()")
    # A platform's own label next to the number is trusted unless it is a label we know for another number.
    if label in labels and labels[label] != value:
        raise ValueError(f"{text!r} contradicts itself: {label!r} means {labels[label]}, not {value}")
    return value


def read_table(data: bytes, file_name: str, *, max_unpacked: int = XLSX_MAX_UNPACKED
               ) -> tuple[pd.DataFrame, list[int], str, str, list[str]]:
    """A one-header-row table (the native templates of every kind) with the same decoding and reader as the
    survey exports: the frame, each row's spreadsheet row number, encoding, delimiter and warnings."""
    file_name = printable(file_name)
    grid = _read_grid(data, file_name, max_unpacked)
    columns = _single_header(grid.head(), file_name)
    frame, row_numbers, _, body_warnings = _body(grid, columns, file_name)
    return frame, row_numbers, grid.encoding, grid.delimiter, grid.warnings + columns.warnings + body_warnings
