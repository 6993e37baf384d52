"""Who may do what: the roles file (e-mail address -> viewer, leader, analyst or admin, a leader with a side), its
checks, the canonical form of an address, and what each role allows. What a sign-in is worth, and the command that checks this file, is metrics.sign_in."""

from __future__ import annotations

import hashlib
import math
import os
import re
import string
import threading
import tomllib
import unicodedata
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Mapping

from metrics.vocabulary import SIDES

VIEWER, LEADER, ANALYST, ADMIN = "viewer", "leader", "analyst", "admin"
ROLES = (VIEWER, LEADER, ANALYST, ADMIN)

# What each role is for, as the no-role page and the README say it.
ROLE_LABELS = {
    VIEWER: "the analysis pages, the board pack and the definitions",
    LEADER: "a viewer's pages, plus writing the monthly review: their side's note, decisions, actions and the "
            "decision-rights register",
    ANALYST: "a viewer's pages, plus the Data page: uploads and exports",
    ADMIN: "an analyst's pages, plus undoing imports and the settings",
}

# A leader writes for one side of the review (metrics.vocabulary.SIDES): the CMO's (marketing) or the CIO's (it).
SIDE_LABELS = {"marketing": "marketing (the CMO's note)", "it": "IT (the CIO's note)"}

# Which roles have each capability. Not a ladder: a leader writes the review but has no Data page, an analyst
# imports the review's kinds but does not write in the Review page.
PAGES, REVIEW, DATA, UNDO, SETTINGS = "pages", "review", "data", "undo", "settings"
CAPABILITIES: Mapping[str, frozenset[str]] = MappingProxyType({
    PAGES: frozenset(ROLES),
    REVIEW: frozenset({LEADER}),
    DATA: frozenset({ANALYST, ADMIN}),
    UNDO: frozenset({ADMIN}),
    SETTINGS: frozenset({ADMIN}),
})

ROLES_ENV = "COLLAB_ROLES"
DEFAULT_ROLES_FILE = Path(".streamlit") / "roles.toml"
DEFAULT_SECRETS_FILE = Path(".streamlit") / "secrets.toml"
EXAMPLE_SECRETS_FILE = Path(__file__).resolve().parent.parent / ".streamlit" / "secrets.example.toml"

# An address as identity providers hand them out: something@domain.tld, no spaces. Not RFC 5322, on purpose:
# an entry that does not look like this is far more likely a typo than a real address.
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")

# Characters no address is typed with: controls, invisible format characters (zero-width spaces, direction marks),
# surrogates, private-use and unassigned code points, and every kind of space.
_REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zs", "Zl", "Zp"})
_ASCII_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)

# The optional [sign_in] table of the roles file, and its defaults.
SIGN_IN = "sign_in"
MAX_SESSION_HOURS_LIMIT = 720.0  # 30 days: Streamlit's sign-in cookie lasts no longer, so a longer limit means nothing



class RolesFileError(ValueError):
    """The roles file is missing, not TOML, or says something that is not a role assignment; every problem listed."""

    def __init__(self, path: str | os.PathLike, problems: list[str]):
        self.path = str(path)
        self.problems = problems
        super().__init__(f"The roles file {self.path} cannot be used:\n" + "\n".join(f"- {p}" for p in problems))


def canonical_email(raw: object) -> str | None:
    """The form an address is compared in, or None for something that must not be compared at all.

    Surrounding ASCII spaces go and the text is put in Unicode NFC, so the same accented address typed as one character or
    as a letter plus an accent compares equal. An address with a compatibility look-alike (KELVIN SIGN for K,
    fullwidth letters, ligatures: what NFKC would change) is refused rather than folded: folding would let an
    account at a provider that allows such addresses sign in as the plain address's owner. So is one with a control,
    invisible, private-use, unassigned or space character. Only ASCII A-Z is lower-cased: Unicode case mapping merges
    distinct characters (KELVIN SIGN lower-cases to k), so other letters stay as they are, and a Cyrillic 'а' stays
    distinct from a Latin 'a'. What is left must look like an address (_EMAIL)."""
    if not isinstance(raw, str):
        return None
    # Only ASCII spaces and tabs are taken off the ends: str.strip() would also remove a no-break space, an
    # ideographic space or a control character, silently turning a different string into a listed address.
    stripped = raw.strip(" \t")
    # Character by character before NFC as well: NFC itself turns KELVIN SIGN into K (and OHM SIGN into omega,
    # ANGSTROM SIGN into A with ring), which would fold the look-alike into the plain address unnoticed.
    if _lookalikes(stripped):
        return None
    text = unicodedata.normalize("NFC", stripped)
    if _unusable(text):
        return None
    # NFC again: lower-casing can make a letter and a following accent composable (W + ring above has no capital
    # precomposed form; w + ring above is U+1E98), and the two spellings must still compare equal.
    text = unicodedata.normalize("NFC", text.translate(_ASCII_LOWER))
    if _unusable(text) or not _EMAIL.fullmatch(text):
        return None
    return text


def _lookalikes(text: str) -> list[str]:
    """The characters of `text` that NFKC would change on their own: compatibility look-alikes, once each."""
    return [char for char in dict.fromkeys(text) if unicodedata.normalize("NFKC", char) != char]


def _unusable(text: str) -> bool:
    return unicodedata.normalize("NFKC", text) != text or any(
        unicodedata.category(char) in _REFUSED_CATEGORIES for char in text)


def _char_name(char: str) -> str:
    return f"U+{ord(char):04X} {unicodedata.name(char, 'with no name')}"


def _why_not_an_address(entry: str) -> str:
    """Why canonical_email refuses a roles-file entry, in words for the admin who typed it."""
    lookalikes = _lookalikes(entry.strip())
    text = unicodedata.normalize("NFC", entry.strip())
    if lookalikes or unicodedata.normalize("NFKC", text) != text:
        named = ", ".join(f"{_char_name(char)} (standing in for {unicodedata.normalize('NFKC', char)!r})"
                          for char in lookalikes) or "one"
        plural = "s" if len(lookalikes) > 1 else ""
        return (f"{entry!r} contains the look-alike character{plural} {named}; type the address plainly, in "
                f"ordinary letters")
    odd = [char for char in dict.fromkeys(text) if unicodedata.category(char) in _REFUSED_CATEGORIES]
    if odd:
        return (f"{entry!r} is not an e-mail address: it contains {', '.join(_char_name(char) for char in odd)}, "
                f"which no address has; type the address again")
    return f"{entry!r} is not an e-mail address"


@dataclass(frozen=True)
class Roles:
    """Canonical e-mail address (canonical_email) -> role, a leader's side (marketing or it), and the roles file's
    [sign_in] settings.

    trust_missing_email_verified: whether an identity token without an email_verified claim counts as verified.
    Off by default: a provider that says nothing may not have checked the address at all. Some (Microsoft Entra ID)
    never send the claim, so a deployment on one turns this on knowingly.
    max_session_hours: the longest a sign-in lasts from the token's time of issue, however long the token says."""

    by_email: Mapping[str, str]
    trust_missing_email_verified: bool = False
    max_session_hours: float = 12.0
    side_by_email: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # A read-only copy: a loaded Roles is cached and shared by every session, so nothing may edit it in place.
        object.__setattr__(self, "by_email", MappingProxyType(dict(self.by_email)))
        object.__setattr__(self, "side_by_email", MappingProxyType(dict(self.side_by_email)))

    def role_of(self, email: str | None) -> str | None:
        """The role of an address, matched in canonical form (case of A-Z and surrounding spaces do not matter);
        None when it has none or is not a usable address."""
        canonical = canonical_email(email)
        return self.by_email.get(canonical) if canonical is not None else None

    def side_of(self, email: str | None) -> str | None:
        """A leader's side (marketing or it); None for every other role and for no role."""
        canonical = canonical_email(email)
        return self.side_by_email.get(canonical) if canonical is not None else None


def allows(role: str | None, capability: str) -> bool:
    """Whether `role` may use `capability` (pages, review, data, undo, settings). No role allows nothing."""
    if capability not in CAPABILITIES:
        raise ValueError(f"unknown capability {capability!r}; the capabilities are {', '.join(CAPABILITIES)}")
    return role in CAPABILITIES[capability]


def roles_with(capability: str) -> str:
    """The roles that have `capability`, in words: "the analyst and admin roles"."""
    names = [role for role in ROLES if role in CAPABILITIES[capability]]
    return (f"the {names[0]} role" if len(names) == 1
            else f"the {', '.join(names[:-1])} and {names[-1]} roles")


def roles_path(environ: Mapping[str, str] | None = None) -> Path:
    """$COLLAB_ROLES, else .streamlit/roles.toml (relative to the working directory, as the database is)."""
    environ = os.environ if environ is None else environ
    return Path(environ.get(ROLES_ENV) or DEFAULT_ROLES_FILE)


def _given(value: object) -> str:
    """A TOML value as it would be written in the file, for a problem's message."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "a list"
    return str(value)


def _sign_in_settings(table: object, problems: list[str]) -> dict[str, object]:
    """The [sign_in] table's settings, each problem appended to `problems`."""
    if not isinstance(table, dict):
        problems.append(f"{SIGN_IN} must be a table: a line [{SIGN_IN}] after the role lists, followed by its "
                        f"settings (trust_missing_email_verified, max_session_hours); it is {_given(table)}")
        return {}
    settings: dict[str, object] = {}
    for key, value in table.items():
        if key == "trust_missing_email_verified":
            if isinstance(value, bool):
                settings[key] = value
            else:
                problems.append(f"[{SIGN_IN}] trust_missing_email_verified must be true or false (without quotes), "
                                f"not {_given(value)}")
        elif key == "max_session_hours":
            if (isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
                    and 0 < value <= MAX_SESSION_HOURS_LIMIT):
                settings[key] = float(value)
            else:
                problems.append(f"[{SIGN_IN}] max_session_hours must be a number of hours above 0 and at most "
                                f"{MAX_SESSION_HOURS_LIMIT:g} (30 days, as long as Streamlit's sign-in cookie lasts), "
                                f"not {_given(value)}")
        else:
            hint = (f" (role lists go above the [{SIGN_IN}] line: everything below it belongs to the table)"
                    if key in ROLES else "")
            problems.append(f"[{SIGN_IN}] has no setting {key!r}{hint}; its settings are "
                            f"trust_missing_email_verified and max_session_hours")
    return settings


def parse_roles(text: str, path: str | os.PathLike = "roles.toml") -> Roles:
    """The roles a file's text assigns: top-level keys are role names, each a list of e-mail addresses; a [leader]
    table giving each leader's side; and an optional [sign_in] table (tables come after the role lists: TOML puts
    every line after a table's header in that table).

        viewer  = ["board@example.com"]
        analyst = ["analyst@example.com"]
        admin   = ["it-ops@example.com"]

        [leader]                                 # who writes the monthly review, and for which side
        marketing = ["cmo@example.com"]          # the CMO's note
        it = ["cio@example.com"]                 # the CIO's note

        [sign_in]
        trust_missing_email_verified = false   # default
        max_session_hours = 12                 # default; above 0, at most 720

    Raises RolesFileError naming every problem: not TOML, an unknown role name, a value that is not a list of
    addresses, a leader given as a plain list (without a side) or under a side that is not marketing or it, an
    entry that is not an address (or has a look-alike character), one address given two different roles or sides
    (judged in canonical form), a [sign_in] setting that is unknown, of the wrong type or out of range."""
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RolesFileError(path, [f"not valid TOML: {exc}"]) from None
    problems: list[str] = []
    by_email: dict[str, str] = {}
    side_by_email: dict[str, str] = {}
    settings: dict[str, object] = {}

    def assign(key: str, value: object, side: str | None = None) -> None:
        where = key if side is None else f"{key}.{side}"
        if not isinstance(value, list) or not all(isinstance(entry, str) for entry in value):
            example = f'{side} = ["someone@example.com"] under [{key}]' if side else f'{key} = ["someone@example.com"]'
            problems.append(f"{where} must be a list of e-mail addresses in quotes, e.g. {example}")
            return
        for entry in value:
            email = canonical_email(entry)
            if email is None:
                problems.append(f"{where}: {_why_not_an_address(entry)}")
            elif by_email.get(email, key) != key:
                problems.append(f"{email} is given two roles, {by_email[email]} and {key}; give each address one role")
            elif side is not None and side_by_email.get(email, side) != side:
                problems.append(f"{email} is a leader for both sides, {side_by_email[email]} and {side}; a leader "
                                f"writes one side's note, so give the address one side")
            else:
                by_email[email] = key
                if side is not None:
                    side_by_email[email] = side

    for key, value in document.items():
        if key == SIGN_IN:
            settings = _sign_in_settings(value, problems)
            continue
        if key not in ROLES:
            hint = " (role names are singular)" if key.rstrip("s") in ROLES else ""
            problems.append(f"unknown role {key!r}{hint}; the roles are {', '.join(ROLES)}")
            continue
        if key == LEADER:
            if not isinstance(value, dict):
                problems.append(f"{LEADER} must say each leader's side: a [{LEADER}] table below the role lists, "
                                f'with marketing = ["cmo@example.com"] (the CMO\'s note) and it = ["cio@example.com"] '
                                f"(the CIO's note); it is {_given(value)}")
                continue
            for side, addresses in value.items():
                if side not in SIDES:
                    problems.append(f"[{LEADER}] has no side {side!r}; the sides are {' and '.join(SIDES)}")
                else:
                    assign(key, addresses, side)
            continue
        assign(key, value)
    if problems:
        raise RolesFileError(path, problems)
    return Roles(by_email, side_by_email=side_by_email, **settings)


_parsed: OrderedDict[tuple[str, str], Roles] = OrderedDict()  # (path, sha256 of its bytes) -> what they say
_parsed_lock = threading.Lock()
_PARSED_KEPT = 8


def load_roles(path: str | os.PathLike | None = None) -> Roles:
    """The roles file at `path` (default: roles_path()), as it is now, so an admin's edit takes effect on the next
    page view without a restart. The file is small, so it is read on every call and a change is noticed by its
    content (a SHA-256 of its bytes), not by its modification time and size: an edit that keeps the size within
    the clock's resolution, or a copy that keeps the old time, must not leave the old roles in force."""
    path = Path(path) if path is not None else roles_path()
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise RolesFileError(path, [f"there is no such file; create it, or point ${ROLES_ENV} at it"]) from None
    except OSError as exc:
        raise RolesFileError(path, [f"it cannot be read: {exc.strerror or exc}"]) from None
    key = (str(path), hashlib.sha256(data).hexdigest())
    with _parsed_lock:
        if key in _parsed:
            _parsed.move_to_end(key)
            return _parsed[key]
    try:
        text = data.decode("utf-8-sig")  # a byte-order mark (Windows editors) is not part of the TOML
    except UnicodeDecodeError:
        raise RolesFileError(path, ["it is not UTF-8 text"]) from None
    loaded = parse_roles(text, path)
    with _parsed_lock:
        _parsed[key] = loaded
        while len(_parsed) > _PARSED_KEPT:
            _parsed.popitem(last=False)
    return loaded
