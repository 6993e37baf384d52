"""Sign-in and roles on the page side: who is here, what their role lets them open, and the pages that say no.

Sign-in is configured when the secrets have an [auth] section (what st.login reads); then a user signs in through
OpenID Connect and the roles file (metrics.roles) gives their address a role. Without it the app has one local
user with every role, and says so on every page."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass

import streamlit as st

from metrics import roles

LOCAL_NOTICE = "Single local user: sign-in is not configured"
NO_ROLE = "You have no role here. Ask an admin to add your address to the roles file."

_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Access:
    """Who is using this session and what they may do."""

    local: bool                 # sign-in is not configured: the single local user, with every role
    user: str | None            # the signed-in address, or the local user's name; None before sign-in
    role: str | None            # viewer, analyst, admin, or None (not signed in, not in the roles file)
    signed_in: bool = False
    problem: str | None = None  # why nobody can have a role now (secrets or roles file unusable); no details

    def allows(self, capability: str) -> bool:
        return roles.allows(self.role, capability)


class SignInMisconfigured(RuntimeError):
    """A secrets file exists but cannot be read: sign-in may be meant, so nobody gets in rather than everybody."""


def _auth_section() -> dict | None:
    """The secrets' [auth] section, None when there is none or no secrets file at all."""
    try:
        section = st.secrets.get("auth")
    except FileNotFoundError as exc:  # Streamlit's "no secrets" and "cannot parse the secrets" alike
        if any(os.path.exists(path) for path in st.get_option("secrets.files")):
            raise SignInMisconfigured(str(exc)) from None
        return None
    return section if hasattr(section, "keys") else None


def sign_in_configured() -> bool:
    return _auth_section() is not None


def _provider() -> str | None:
    """The provider st.login should use: the [auth] section's own (None) or, without one, its only [auth.NAME]."""
    section = _auth_section() or {}
    if "client_id" in section:
        return None
    named = [name for name, value in section.items() if hasattr(value, "keys")]
    return named[0] if len(named) == 1 else None


def access() -> Access:
    """The session's access, worked out afresh on every run (the roles file is re-read when it changes)."""
    try:
        configured = sign_in_configured()
    except SignInMisconfigured as exc:
        _log.error("%s", exc)
        return Access(local=False, user=None, role=None,
                      problem="The secrets file cannot be read, so sign-in cannot start. The server log says why.")
    if not configured:
        from metrics.ingest import current_user

        return Access(local=True, user=current_user(), role=roles.ADMIN)
    if not st.user.is_logged_in:
        return Access(local=False, user=None, role=None)
    email = roles.identity_email(st.user.to_dict())
    try:
        role = roles.load_roles().role_of(email)
    except roles.RolesFileError as exc:
        _log.error("%s", exc)
        return Access(local=False, user=email, role=None, signed_in=True,
                      problem=f"The roles file {exc.path} cannot be used ({len(exc.problems)} problem"
                              f"{'s' if len(exc.problems) != 1 else ''}). The server log lists them, and "
                              "`python -m metrics.roles` checks the file.")
    return Access(local=False, user=email, role=role, signed_in=True)


def _sign_in() -> None:
    provider = _provider()
    st.login(provider) if provider else st.login()


def show_gate(current: Access) -> None:
    """For a session that may see no page at all: the sign-in page, the no-role page or the roles file's
    problem, and nothing else (no data, no navigation); stops the run."""
    st.title("Collaboration Health")
    if current.problem:
        st.error("Nobody can be given a role until an admin fixes this.\n\n" + current.problem)
        if current.signed_in:
            _sign_out_button(st)
    elif not current.signed_in:
        st.write("How well marketing and IT work together, month by month. Sign in with your company account "
                 "to continue.")
        st.button("Sign in", type="primary", icon=":material/login:", on_click=_sign_in, key="sign_in")
    else:
        who = current.user or "an account that gave no verified e-mail address"
        st.warning(f"You are signed in as {who}. {NO_ROLE}", icon=":material/block:")
        _sign_out_button(st)
    st.stop()


ROUTED = "_auth_routed"  # session state: this session has run through dashboard.py


def mark_routed() -> None:
    """Called by dashboard.py on every run."""
    st.session_state[ROUTED] = True


def _leave_pages_folder_mode() -> None:
    """Until some run calls st.navigation, Streamlit serves pages/ as an old-style multipage app: the page a URL
    names runs without dashboard.py (so without its gate and its menu). A session that has never been through
    dashboard.py and finds itself run that way turns the mode off for the server and runs again, through
    dashboard.py. (AppTest turns the mode back on before every run; its sessions start in dashboard.py, so they
    are never rerun here, which would drop a click.)"""
    if st.session_state.get(ROUTED):
        return
    try:
        from streamlit.runtime.pages_manager import PagesManager
    except ImportError:  # a Streamlit without the old mode
        return
    if getattr(PagesManager, "uses_pages_directory", False):
        PagesManager.uses_pages_directory = False  # what st.navigation itself does
        st.rerun()


def require(capability: str, page: str) -> Access:
    """A page's own check, whoever reached it and however (a link, or its URL typed in): shows the gate or a
    refusal and stops the run unless the session may use `capability`; returns the session's access."""
    _leave_pages_folder_mode()
    current = access()
    if not current.allows(roles.PAGES):
        show_gate(current)
    if not current.allows(capability):
        needed = roles.CAPABILITIES[capability]
        st.title(page)
        st.error(f"The {page} page is for the {needed} role and above. You are signed in as {current.user}, "
                 f"a {current.role}. Ask an admin if you need it.", icon=":material/block:")
        st.stop()
    return current


def _sign_out_button(where) -> None:
    where.button("Sign out", icon=":material/logout:", on_click=st.logout, key="sign_out")


def sidebar_account(current: Access) -> None:
    """On every page: who is using the app, or that it runs as a single local user; a sign-out button."""
    if current.local:
        st.sidebar.caption(f":material/person: {LOCAL_NOTICE}.",
                           help="Add an [auth] section to .streamlit/secrets.toml to have users sign in; see the "
                                "README's 'Sign-in and roles'.")
        return
    st.sidebar.caption(f":material/account_circle: Signed in as **{current.user}** ({current.role})")
    _sign_out_button(st.sidebar)
