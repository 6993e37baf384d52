"""Survey-export layouts: any supported platform's export (bytes) read into one shape, ParsedExport; pure functions.

The platform is recognised from the file's header rows, and each column given one role: response id, submission
time, personal data, platform metadata, free-text comment, or a candidate answer.

Built on the stages before it: decode (bytes to text), grid (text to cells) and values (the date order a column
of submission times shows). Mapping columns to catalogue items is the next stage (mapping); validation and
storage belong to the rest of metrics.ingest. read_table reads the native templates' one-header-row tables.

Every refusal is a LayoutError whose message names the file and says what to do.

One thing at some length (about 540 lines): most of it is the seven platforms' declarations (header signatures,
metadata columns, header readers), which belong together with the one detection that reads them.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass, field

import pandas as pd

from metrics.ingest.decode import LayoutError
from metrics.ingest.grid import XLSX_MAX_UNPACKED, Grid, read_grid
from metrics.ingest.values import DATE_ORDERS, settle_date_order
from metrics.printable import printable

LAYOUTS: tuple[str, ...] = (
    "native", "qualtrics", "qualtrics_legacy", "surveymonkey", "google_forms", "ms_forms", "typeform",
    "limesurvey", "glint",
)
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


# ----------------------------------------------------------------------------------------------------------
# Results


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
    grid = read_grid(data, file_name, max_unpacked)
    head = _head(grid)
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


def _head(grid: Grid) -> list[list[str]]:
    """The first HEAD_ROWS records, empty cells as ""."""
    return [["" if v is None else v for v in row] for row in grid.cells.head(HEAD_ROWS).itertuples(index=False)]


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


def _body(grid: Grid, columns: _Columns, file_name: str
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
# The date order of the submission times


def _date_order(values: pd.Series | None, settled: str | None) -> tuple[str | None, list[str]]:
    """The order asked for or fixed by the layout, else the one the submission times show, with warnings."""
    if values is None:
        return settled, ["no submission time column: set the survey wave when importing"]
    if settled:
        return settled, []
    order, mixed = settle_date_order(values)
    if mixed:
        return None, [f"the dates in {values.name!r} mix day-first and month-first: check the column, then "
                      "choose the date order (dmy or mdy)"]
    if order is None and values.notna().any():
        return None, [f"the dates in {values.name!r} could be day-first or month-first (no day is above 12): "
                      "choose the date order (dmy or mdy)"]
    return order, []


# ----------------------------------------------------------------------------------------------------------
# The native templates' tables


def read_table(data: bytes, file_name: str, *, max_unpacked: int = XLSX_MAX_UNPACKED
               ) -> tuple[pd.DataFrame, list[int], str, str, list[str]]:
    """A one-header-row table (the native templates of every kind) with the same decoding and reader as the
    survey exports: the frame, each row's spreadsheet row number, encoding, delimiter and warnings."""
    file_name = printable(file_name)
    grid = read_grid(data, file_name, max_unpacked)
    columns = _single_header(_head(grid), file_name)
    frame, row_numbers, _, body_warnings = _body(grid, columns, file_name)
    return frame, row_numbers, grid.encoding, grid.delimiter, grid.warnings + columns.warnings + body_warnings
