"""Who may do what: the roles file (e-mail address -> viewer, analyst or admin), its checks, and what each role allows."""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Mapping

VIEWER, ANALYST, ADMIN = "viewer", "analyst", "admin"
ROLES = (VIEWER, ANALYST, ADMIN)  # each role can do everything the ones before it can

# What each role is for, as the no-role page and the README say it.
ROLE_LABELS = {
    VIEWER: "the analysis pages, the board pack and the definitions",
    ANALYST: "a viewer's pages, plus the Data page: uploads and exports",
    ADMIN: "an analyst's pages, plus undoing imports and the settings",
}

# The least role each capability needs.
PAGES, DATA, UNDO, SETTINGS = "pages", "data", "undo", "settings"
CAPABILITIES = {PAGES: VIEWER, DATA: ANALYST, UNDO: ADMIN, SETTINGS: ADMIN}

ROLES_ENV = "COLLAB_ROLES"
DEFAULT_ROLES_FILE = Path(".streamlit") / "roles.toml"

# An address as identity providers hand them out: something@domain.tld, no spaces. Not RFC 5322, on purpose:
# an entry that does not look like this is far more likely a typo than a real address.
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


class RolesFileError(ValueError):
    """The roles file is missing, not TOML, or says something that is not a role assignment; every problem listed."""

    def __init__(self, path: str | os.PathLike, problems: list[str]):
        self.path = str(path)
        self.problems = problems
        super().__init__(f"The roles file {self.path} cannot be used:\n" + "\n".join(f"- {p}" for p in problems))


@dataclass(frozen=True)
class Roles:
    """E-mail address (lower case) -> role."""

    by_email: Mapping[str, str]

    def role_of(self, email: str | None) -> str | None:
        """The role of an address, matched without regard to case or surrounding spaces; None when it has none."""
        if not email:
            return None
        return self.by_email.get(email.strip().lower())


def allows(role: str | None, capability: str) -> bool:
    """Whether `role` may use `capability` (pages, data, undo, settings). No role allows nothing."""
    if capability not in CAPABILITIES:
        raise ValueError(f"unknown capability {capability!r}; the capabilities are {', '.join(CAPABILITIES)}")
    if role not in ROLES:
        return False
    return ROLES.index(role) >= ROLES.index(CAPABILITIES[capability])


def roles_path(environ: Mapping[str, str] | None = None) -> Path:
    """$COLLAB_ROLES, else .streamlit/roles.toml (relative to the working directory, as the database is)."""
    environ = os.environ if environ is None else environ
    return Path(environ.get(ROLES_ENV) or DEFAULT_ROLES_FILE)


def parse_roles(text: str, path: str | os.PathLike = "roles.toml") -> Roles:
    """The roles a file's text assigns: top-level keys are role names, each a list of e-mail addresses.

        viewer  = ["cmo@example.com", "cio@example.com"]
        analyst = ["analyst@example.com"]
        admin   = ["it-ops@example.com"]

    Raises RolesFileError naming every problem: not TOML, an unknown role name, a value that is not a list of
    addresses, an entry that is not an address, one address given two different roles."""
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RolesFileError(path, [f"not valid TOML: {exc}"]) from None
    problems: list[str] = []
    by_email: dict[str, str] = {}
    for key, value in document.items():
        if key not in ROLES:
            hint = " (role names are singular)" if key.rstrip("s") in ROLES else ""
            problems.append(f"unknown role {key!r}{hint}; the roles are {', '.join(ROLES)}")
            continue
        if not isinstance(value, list) or not all(isinstance(entry, str) for entry in value):
            problems.append(f'{key} must be a list of e-mail addresses in quotes, e.g. {key} = ["someone@example.com"]')
            continue
        for entry in value:
            email = entry.strip().lower()
            if not _EMAIL.fullmatch(email):
                problems.append(f"{key}: {entry!r} is not an e-mail address")
            elif by_email.get(email, key) != key:
                problems.append(f"{email} is given two roles, {by_email[email]} and {key}; give each address one role")
            else:
                by_email[email] = key
    if problems:
        raise RolesFileError(path, problems)
    return Roles(by_email)


def load_roles(path: str | os.PathLike | None = None) -> Roles:
    """The roles file at `path` (default: roles_path()), read again only when the file changes, so an admin's edit
    takes effect on the next page view without a restart."""
    path = Path(path) if path is not None else roles_path()
    try:
        stat = path.stat()
    except FileNotFoundError:
        raise RolesFileError(path, [f"there is no such file; create it, or point ${ROLES_ENV} at it"]) from None
    except OSError as exc:
        raise RolesFileError(path, [f"it cannot be read: {exc.strerror or exc}"]) from None
    return _load(str(path), stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=8)
def _load(path: str, mtime_ns: int, size: int) -> Roles:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise RolesFileError(path, ["it is not UTF-8 text"]) from None
    except OSError as exc:
        raise RolesFileError(path, [f"it cannot be read: {exc.strerror or exc}"]) from None
    return parse_roles(text, path)


def identity_email(claims: Mapping[str, object]) -> str | None:
    """The e-mail address a signed-in user's identity claims vouch for, or None: none given, not an address, or
    one the provider says it has not verified (a provider that says nothing about verification is trusted)."""
    email = claims.get("email")
    if not isinstance(email, str) or not _EMAIL.fullmatch(email.strip()):
        return None
    verified = claims.get("email_verified")
    if verified is False or (isinstance(verified, str) and verified.strip().lower() == "false"):
        return None
    return email.strip()


def main(argv: list[str] | None = None) -> int:
    """`python -m metrics.roles [PATH]`: check the roles file and say who has which role; exit 1 on a problem."""
    import sys

    args = sys.argv[1:] if argv is None else argv
    path = Path(args[0]) if args else roles_path()
    try:
        loaded = load_roles(path)
    except RolesFileError as exc:
        print(exc, file=sys.stderr)
        return 1
    print(f"{path}: {len(loaded.by_email)} addresses")
    for role in ROLES:
        members = sorted(email for email, given in loaded.by_email.items() if given == role)
        print(f"{role} ({ROLE_LABELS[role]}): {', '.join(members) or 'nobody'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
