"""What a sign-in is worth, free of Streamlit: the address its identity claims vouch for, how long it lasts,
whether a later sign-out ended it (the verdict), whether the server's cookie secret can be trusted to sign it, and
the command that checks the roles file and the secret (`python -m metrics.sign_in`)."""

from __future__ import annotations

import math
import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Mapping

from metrics.roles import (DEFAULT_ROLES_FILE, DEFAULT_SECRETS_FILE, EXAMPLE_SECRETS_FILE, LEADER, ROLE_LABELS,
                           ROLES, ROLES_ENV, Roles, RolesFileError, _given, canonical_email, load_roles, roles_path)

# Why a sign-in opens nothing (Verdict.refusal).
UNVERIFIED = "unverified"  # the claims vouch for no usable, verified e-mail address
SIGNED_OUT = "signed_out"  # the sign-in is from before the user's last sign-out
EXPIRED = "expired"        # the sign-in is older than its token or max_session_hours allow, or gives no time at all

MAKE_SECRET = 'python -c "import secrets; print(secrets.token_hex(32))"'
_MIN_SECRET_LENGTH = 32
_MIN_SECRET_DISTINCT = 10
_PLACEHOLDER_MARKERS = ("REPLACE", "CHANGE", "EXAMPLE", "SECRET-HERE", "XXXXX")  # long enough not to occur by chance


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
    keyboard row, or a word people put there; None when none is found.

    A run of seven turns up by chance in about one random 64-character hex string in half a million
    (secrets.token_hex(32) once gave ...40987654fd..., a keyboard row backwards), so a run counts only when the
    secret without its runs and words would not be random enough on its own (_MIN_SECRET_BITS)."""
    lower = secret.lower()
    repeated = re.fullmatch(r"(.+?)\1+", secret)
    if repeated:
        return f"it is one block of {len(repeated.group(1))} characters repeated"
    words = [(m.start(), m.end()) for w in _SECRET_WORDS for m in re.finditer(re.escape(w), lower)]
    ordered, keyboard = _ordered_runs(lower), _keyboard_runs(lower)
    if ordered or keyboard:
        covered = {i for start, end in ordered + keyboard + words for i in range(start, end)}
        rest = "".join(c for i, c in enumerate(secret) if i not in covered)
        if not rest or _entropy_bits(rest) < _MIN_SECRET_BITS:
            if ordered:
                return f"it has {_RUN} or more characters in alphabetical or numerical order"
            return "it has a run of keys along a keyboard row"
    word = next((w for w in _SECRET_WORDS if w in lower), None)
    if word:
        return f"it contains the word {word!r}"
    return None


def _ordered_runs(lower: str) -> list[tuple[int, int]]:
    """(start, end) of each run of _RUN or more characters in alphabetical or numerical order, either way."""
    codes = [ord(c) for c in lower]
    runs = []
    for step in (1, -1):
        start = 0
        for i in range(1, len(codes) + 1):
            if i == len(codes) or codes[i] - codes[i - 1] != step:
                if i - start >= _RUN:
                    runs.append((start, i))
                start = i
    return runs


def _keyboard_runs(lower: str) -> list[tuple[int, int]]:
    """(start, end) of each stretch of _RUN keys along a keyboard row, either way."""
    runs = []
    for row in _KEYBOARD_ROWS:
        for start in range(len(row) - _RUN + 1):
            for piece in (row[start:start + _RUN], row[start:start + _RUN][::-1]):
                runs += [(m.start(), m.start() + _RUN) for m in re.finditer(f"(?={re.escape(piece)})", lower)]
    return runs


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
    """`python -m metrics.sign_in [PATH] [--secrets FILE]`: check the roles file and say who has which role and what
    its [sign_in] settings mean; check the secrets file's [auth] cookie_secret (default .streamlit/secrets.toml, if
    there is one) without printing it. Exit 1 on any problem."""
    import argparse
    import sys

    parser = argparse.ArgumentParser(prog="python -m metrics.sign_in",
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
