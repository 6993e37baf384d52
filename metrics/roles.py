"""Who may do what: the roles file (e-mail address -> viewer, leader, analyst or admin), its checks, and what each role
allows;
and, free of Streamlit, what a sign-in's identity claims are worth: the address they vouch for, how long the sign-in
lasts, whether a later sign-out ended it, and whether the server's cookie secret can be trusted to sign it."""

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
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Mapping

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

# A leader writes for one side of the review: the CMO's (marketing) or the CIO's (it).
SIDES = ("marketing", "it")
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

# Why a sign-in opens nothing (Verdict.refusal).
UNVERIFIED = "unverified"  # the claims vouch for no usable, verified e-mail address
SIGNED_OUT = "signed_out"  # the sign-in is from before the user's last sign-out
EXPIRED = "expired"        # the sign-in is older than its token or max_session_hours allow, or gives no time at all

MAKE_SECRET = 'python -c "import secrets; print(secrets.token_hex(32))"'
_MIN_SECRET_LENGTH = 32
_MIN_SECRET_DISTINCT = 10
_PLACEHOLDER_MARKERS = ("REPLACE", "CHANGE", "EXAMPLE", "SECRET-HERE", "XXXXX")  # long enough not to occur by chance


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


def _verified(value: object) -> bool:
    """Whether an email_verified claim says yes: JSON true, or the string "true" (AWS Cognito sends strings).
    Anything else, 1 and "yes" included, does not: `1 == True` in Python, hence `is True`."""
    if value is True:
        return True
    return isinstance(value, str) and value.strip().isascii() and value.strip().lower() == "true"


def identity_email(claims: Mapping[str, object], trust_missing_verified: bool = False) -> str | None:
    """The canonical address a signed-in user's identity claims vouch for, or None: none given, not a usable
    address (canonical_email), or not verified. Only email_verified true (or "true") verifies; a missing
    email_verified verifies only when `trust_missing_verified` (the roles file's [sign_in]
    trust_missing_email_verified) says the provider is trusted to send only addresses it has checked."""
    if not isinstance(claims, Mapping):
        return None
    email = canonical_email(claims.get("email"))
    if email is None:
        return None
    if "email_verified" not in claims:
        return email if trust_missing_verified is True else None
    return email if _verified(claims["email_verified"]) else None


def _seconds(value: object) -> float | None:
    """A numeric time claim (seconds since the epoch), or None: a bool, a non-finite number or anything but a
    number or a string of digits is not a time."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, str) and re.fullmatch(r"[0-9]{1,15}", value.strip()):
        return float(int(value.strip()))
    return None


def session_ends_at(claims: Mapping[str, object], max_session_hours: float) -> float | None:
    """When (epoch seconds) a signed-in session must end: the earlier of the ID token's expiry (exp) and its time of
    issue (iat) plus `max_session_hours`, from whichever of the two the claims give as numbers; None when they give
    neither, and the caller then refuses, since a sign-in that cannot be dated cannot be kept to any limit."""
    if (isinstance(max_session_hours, bool) or not isinstance(max_session_hours, (int, float))
            or not math.isfinite(max_session_hours) or max_session_hours <= 0):
        raise ValueError(f"max_session_hours must be a finite number of hours above 0, not {max_session_hours!r}")
    if not isinstance(claims, Mapping):
        return None
    ends = []
    expires = _seconds(claims.get("exp"))
    if expires is not None:
        ends.append(expires)
    issued = _seconds(claims.get("iat"))
    if issued is not None:
        ends.append(issued + max_session_hours * 3600)
    return min(ends) if ends else None


@dataclass(frozen=True)
class Verdict:
    """What a sign-in is worth now: its canonical address (None when unverified), its role (None for none) and,
    when it opens nothing, why (UNVERIFIED, SIGNED_OUT or EXPIRED; None when it counts)."""

    email: str | None
    role: str | None
    refusal: str | None


CLOCK_SKEW_S = 300  # how far ahead of this server's clock a provider's time of issue may be


def judge(claims: Mapping | None, roles: Roles, now: float, signed_out_at: float | None) -> Verdict:
    """The verdict on a sign-in with identity `claims` at time `now` (epoch seconds), given when its address last
    signed out (None if never). In this order: no usable verified address is UNVERIFIED; when there was a sign-out,
    a sign-in issued (iat) at or before it, or with no time of issue, is SIGNED_OUT; one at or past session_ends_at,
    or with neither exp nor iat, is EXPIRED. Otherwise the role is the roles file's for the address (None: no role)."""
    email = identity_email(claims, roles.trust_missing_email_verified) if claims else None
    if email is None:
        return Verdict(None, None, UNVERIFIED)
    issued = _seconds(claims.get("iat"))
    if issued is not None and issued > now + CLOCK_SKEW_S:
        # Issued in the future: a provider whose clock runs ahead, or a forgery. It would outlast a sign-out.
        return Verdict(email, None, EXPIRED)
    if signed_out_at is not None:
        if issued is None or issued <= signed_out_at:
            return Verdict(email, None, SIGNED_OUT)
    ends = session_ends_at(claims, roles.max_session_hours)
    if ends is None or now >= ends:
        return Verdict(email, None, EXPIRED)
    return Verdict(email, roles.role_of(email), None)


@lru_cache(maxsize=1)
def _example_placeholders() -> frozenset[str]:
    """Every string value in .streamlit/secrets.example.toml (all placeholders), or none if it cannot be read."""
    try:
        document = tomllib.loads(EXAMPLE_SECRETS_FILE.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return frozenset()
    found: set[str] = set()

    def walk(value: object) -> None:
        if isinstance(value, str):
            found.add(value.strip().lower())
        elif isinstance(value, dict):
            for inner in value.values():
                walk(inner)
        elif isinstance(value, list):
            for inner in value:
                walk(inner)

    walk(document)
    return frozenset(found)


def cookie_secret_problem(secret: object) -> str | None:
    """None for a cookie secret fit to sign the sign-in cookie, else a sentence saying what is wrong with it and
    what to do (never the secret itself). Whoever knows the secret can forge a cookie for any address, so a
    missing, placeholder, short or repetitive one is refused rather than used."""
    fix = f" Put a long random string made with {MAKE_SECRET} in cookie_secret and restart the server."
    if secret is None or (isinstance(secret, str) and not secret.strip()):
        return "It is missing or empty." + fix
    if not isinstance(secret, str):
        kind = ("true or false" if isinstance(secret, bool) else "a number" if isinstance(secret, (int, float))
                else _given(secret) if isinstance(secret, (dict, list)) else f"a {type(secret).__name__}")
        return f"It is {kind}, not a string in quotes." + fix
    upper = secret.upper()
    marker = next((m for m in _PLACEHOLDER_MARKERS if m in upper), None)
    if marker is not None or secret.strip().lower() in _example_placeholders():
        what = f"it contains {marker!r}" if marker is not None else "it is one in secrets.example.toml"
        return f"It is a placeholder ({what}), not a secret." + fix
    if len(secret) < _MIN_SECRET_LENGTH:
        return f"It is {len(secret)} characters long; it needs at least {_MIN_SECRET_LENGTH}." + fix
    distinct = len(set(secret))
    if distinct < _MIN_SECRET_DISTINCT:
        return (f"It has only {distinct} distinct character{'s' if distinct != 1 else ''}; a random string has "
                f"at least {_MIN_SECRET_DISTINCT}." + fix)
    guessable = _guessable(secret)
    if guessable:
        return f"It is guessable: {guessable}." + fix
    bits = _entropy_bits(secret)
    if bits < _MIN_SECRET_BITS:
        return (f"It looks too little random (about {bits:.0f} bits by its letters; a random one has at least "
                f"{_MIN_SECRET_BITS})." + fix)
    return None


# Words that people write where a secret should go, and runs anyone tries first.
# (Five letters or more: a shorter word turns up by chance in a random string far too often.)
_SECRET_WORDS = ("secret", "password", "passwd", "cookie", "random", "string", "change", "replace", "example",
                 "insert", "streamlit", "default", "sample", "dummy", "production", "please")
_KEYBOARD_ROWS = ("1234567890", "qwertyuiop", "asdfghjkl", "zxcvbnm")
_RUN = 7  # this many characters in a row in order (abcdefg, 0123456, qwertyu) is a pattern, not chance
_MIN_SECRET_BITS = 80


def _guessable(secret: str) -> str | None:
    """What makes `secret` a pattern rather than random: a repeated block, a run of the alphabet, digits or a
    keyboard row, or a word people put there; None when none is found."""
    lower = secret.lower()
    repeated = re.fullmatch(r"(.+?)\1+", secret)
    if repeated:
        return f"it is one block of {len(repeated.group(1))} characters repeated"
    codes = [ord(c) for c in lower]
    for step in (1, -1):
        length = 1
        for before, after in zip(codes, codes[1:]):
            length = length + 1 if after - before == step else 1
            if length >= _RUN:
                return f"it has {_RUN} or more characters in alphabetical or numerical order"
    for row in _KEYBOARD_ROWS:
        for start in range(len(row) - _RUN + 1):
            if row[start:start + _RUN] in lower or row[start:start + _RUN][::-1] in lower:
                return "it has a run of keys along a keyboard row"
    word = next((w for w in _SECRET_WORDS if w in lower), None)
    if word:
        return f"it contains the word {word!r}"
    return None


def _entropy_bits(secret: str) -> float:
    """Shannon entropy of the secret's characters times its length: a rough upper bound of how random it is
    (64 hex characters from secrets.token_hex(32) give about 240)."""
    from collections import Counter
    from math import log2

    counts = Counter(secret)
    return -sum(n * log2(n / len(secret)) for n in counts.values())


def _check_secrets(path: Path, named: bool) -> tuple[list[str], list[str]]:
    """What the secrets file says about sign-in: (lines to print, problems). Never the secret's value."""
    if not path.exists():
        if named:
            return [], [f"secrets file {path}: there is no such file"]
        return [f"sign-in: not configured (no secrets file {path})"], []
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        return [], [f"secrets file {path}: it is not UTF-8 text"]
    except OSError as exc:
        return [], [f"secrets file {path}: it cannot be read: {exc.strerror or exc}"]
    except tomllib.TOMLDecodeError as exc:  # says where, not what: no secret in it
        return [], [f"secrets file {path}: not valid TOML: {exc}"]
    if "auth" not in document:
        return [f"sign-in: not configured (no [auth] section in {path})"], []
    auth = document["auth"]
    if not isinstance(auth, dict):
        return [], [f"secrets file {path}: auth must be a table, an [auth] section"]
    problem = cookie_secret_problem(auth.get("cookie_secret"))
    if problem:
        return [], [f"cookie_secret: {problem}"]
    return ["cookie_secret: usable"], []


def main(argv: list[str] | None = None) -> int:
    """`python -m metrics.roles [PATH] [--secrets FILE]`: check the roles file and say who has which role and what
    its [sign_in] settings mean; check the secrets file's [auth] cookie_secret (default .streamlit/secrets.toml, if
    there is one) without printing it. Exit 1 on any problem."""
    import argparse
    import sys

    parser = argparse.ArgumentParser(prog="python -m metrics.roles",
                                     description="Check the roles file and the sign-in cookie secret.")
    parser.add_argument("path", nargs="?", type=Path, help=f"the roles file (default: ${ROLES_ENV}, else "
                                                           f"{DEFAULT_ROLES_FILE})")
    parser.add_argument("--secrets", type=Path, metavar="FILE",
                        help=f"the secrets file (default: {DEFAULT_SECRETS_FILE}, if it exists)")
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    path = args.path if args.path is not None else roles_path()
    failed = False
    try:
        loaded = load_roles(path)
    except RolesFileError as exc:
        print(exc, file=sys.stderr)
        failed = True
    else:
        print(f"{path}: {len(loaded.by_email)} addresses")
        for role in ROLES:
            members = sorted(email for email, given in loaded.by_email.items() if given == role)
            if role == LEADER:
                members = [f"{email} ({loaded.side_of(email)})" for email in members]
            print(f"{role} ({ROLE_LABELS[role]}): {', '.join(members) or 'nobody'}")
        trusted = "is trusted" if loaded.trust_missing_email_verified else "is not trusted"
        print(f"sign-in: a missing email_verified {trusted}; sessions last at most "
              f"{loaded.max_session_hours:g} hours")
    secrets = args.secrets if args.secrets is not None else DEFAULT_SECRETS_FILE
    lines, problems = _check_secrets(secrets, named=args.secrets is not None)
    for line in lines:
        print(line)
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if failed or problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
