"""Sign-in and roles on the page side: who is here, what their role lets them open, and the pages that say no.

Sign-in is configured when the secrets have an [auth] section (what st.login reads); then a user signs in through
OpenID Connect and the roles file (metrics.roles) gives their address a role. Without it the app has one local
user with every role, and says so on every page."""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass
from typing import Callable, Mapping, TypeVar

import streamlit as st

from metrics import roles, sign_in, sign_outs

T = TypeVar("T")

LOCAL_NOTICE = "Single local user: sign-in is not configured"
NO_ROLE = "You have no role here. Ask an admin to add your address to the roles file."

_log = logging.getLogger(__name__)
_logged: set[str] = set()  # problems already written to the log (once per server, not once per page view)


@dataclass(frozen=True)
class Access:
    """Who is using this session and what they may do."""

    local: bool                 # sign-in is not configured: the single local user, who may do everything
    user: str | None            # the signed-in address, or the local user's name; None before sign-in
    role: str | None            # viewer, leader, analyst, admin, or None (not signed in, not in the roles file)
    signed_in: bool = False
    problem: str | None = None  # why nobody can have a role now (secrets, guards or roles file unusable)
    ended: str | None = None    # sign_in.EXPIRED or sign_in.SIGNED_OUT: this sign-in no longer counts
    side: str | None = None     # a leader's side of the review (marketing or it)

    def allows(self, capability: str) -> bool:
        return self.local or roles.allows(self.role, capability)

    def may_write_note(self, side: str) -> bool:
        """Whether this user may write the month's note of `side`: a leader their own side's, the local user
        both."""
        return self.local or (self.allows(roles.REVIEW) and self.side == side)


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


def local_mode() -> bool:
    """The single local user: no [auth] section (and no secrets file that cannot be read)."""
    try:
        return not sign_in_configured()
    except SignInMisconfigured:
        return False


def redirect_is_https() -> bool:
    """Whether sign-in is served over HTTPS (its redirect URI says so): then every cookie is marked Secure."""
    try:
        section = _auth_section() or {}
    except SignInMisconfigured:
        return False
    uris = [section.get("redirect_uri")] + [value.get("redirect_uri") for value in section.values()
                                           if hasattr(value, "keys")]
    return any(isinstance(uri, str) and uri.lower().startswith("https://") for uri in uris)


def _provider() -> str | None:
    """The provider st.login should use: the [auth] section's own (None) or, without one, its only [auth.NAME]."""
    section = _auth_section() or {}
    if "client_id" in section:
        return None
    named = [name for name, value in section.items() if hasattr(value, "keys")]
    return named[0] if len(named) == 1 else None


def _log_once(message: str) -> None:
    if message not in _logged:
        _logged.add(message)
        _log.error("%s", message)


def _server_problem(section: Mapping) -> str | None:
    """Why sign-in cannot be trusted on this server at all, in words for the page; the log gets the same."""
    problem = sign_in.cookie_secret_problem(section.get("cookie_secret"))
    if problem:
        _log_once(f"Sign-in is switched off: the [auth] cookie_secret in the secrets file is unusable: {problem}")
        problem = problem.replace(sign_in.MAKE_SECRET, f"`{sign_in.MAKE_SECRET}`")
        return (f"Sign-in is switched off on this server: the cookie secret in its secrets file (`[auth]` "
                f"`cookie_secret`) is not safe to use. {problem}")
    from ui import server

    if server.serving() and not server.installed():
        _log_once("Sign-in is switched off: the server was started without the dashboard's guards "
                  "(ui.server.Guard). Start it with `streamlit run dashboard.py` (make run).")
        return ("Sign-in is switched off on this server: it was started without the dashboard's own guards on "
                "uploads, downloads and caches. An admin starts it with `streamlit run dashboard.py` (or `make run`).")
    return None


def access_for(claims: Mapping | Callable[[], Mapping | None] | None) -> Access:
    """The access of a session opened with `claims` (what st.user holds, or a function returning it; None or {}
    for nobody signed in), decided now: the secrets, the roles file as it is now, the user's last sign-out and the
    sign-in's age all count."""
    try:
        section = _auth_section()
    except SignInMisconfigured as exc:
        _log_once(str(exc))
        return Access(local=False, user=None, role=None,
                      problem="The secrets file cannot be read, so sign-in cannot start. The server log says why.")
    if section is None:
        from metrics.ingest import current_user

        return Access(local=True, user=current_user(), role=roles.ADMIN)
    problem = _server_problem(section)
    if problem:
        return Access(local=False, user=None, role=None, problem=problem)
    if callable(claims):
        claims = claims()
    if not claims or claims.get("is_logged_in") is not True:
        return Access(local=False, user=None, role=None)
    try:
        loaded = roles.load_roles()
    except roles.RolesFileError as exc:
        _log_once(str(exc))
        email = sign_in.identity_email(claims)
        return Access(local=False, user=email, role=None, signed_in=True,
                      problem=f"The roles file cannot be used ({len(exc.problems)} problem"
                              f"{'s' if len(exc.problems) != 1 else ''}). The server log lists them, and "
                              "`python -m metrics.sign_in` checks the file.")
    email = sign_in.identity_email(claims, loaded.trust_missing_email_verified)
    verdict = sign_in.judge(claims, loaded, time.time(), _signed_out_at(email))
    if verdict.refusal in (sign_in.EXPIRED, sign_in.SIGNED_OUT):
        return Access(local=False, user=verdict.email, role=None, signed_in=True, ended=verdict.refusal)
    return Access(local=False, user=verdict.email, role=verdict.role, signed_in=True,
                  side=loaded.side_of(verdict.email) if verdict.role == roles.LEADER else None)


def _signed_out_at(email: str | None) -> float | None:
    if not email:
        return None
    from ui import shared

    return sign_outs.last(shared.connection(), email)


def access() -> Access:
    """This session's access, worked out afresh on every run."""
    return access_for(lambda: st.user.to_dict() if st.user.is_logged_in else None)


def guarded(capability: str, build: Callable[[], T], what: str) -> Callable[[], T]:
    """`build` for a deferred download (st.download_button's data as a function), run only if this session's user
    may still use `capability` when it runs: that is later, without the page running again, so the roles file,
    a sign-out or an expired sign-in may have changed everything. (ui.server also sees that only this session can
    run it.) A refusal is logged and the browser shows Streamlit's "Failed to generate file"."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    session_id = ctx.session_id if ctx is not None else None

    def run() -> T:
        from ui import server

        if not server.session_allows(session_id, capability):
            _log.warning("refused %s to session %s: its user may no longer use %s", what, session_id, capability)
            raise PermissionError(f"{what} is no longer allowed for this session")
        return build()

    # What the file, once built, asks of whoever fetches it by its URL (ui.server guards /media/).
    run.collab_capability = capability
    run.collab_session = session_id
    return run


def _sign_in() -> None:
    provider = _provider()
    st.login(provider) if provider else st.login()


def _sign_out() -> None:
    """Sign-out ends this user's access everywhere: their sign-out time is kept (so a sign-in from before it,
    a copied cookie included, opens nothing), their other sessions lose their identity now, and this one goes
    through Streamlit's own sign-out (the cookie, the provider's session)."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    from ui import server, shared

    current = access()
    email = current.user if current.signed_in else None
    if email:
        try:
            sign_outs.record(shared.connection(), email)
        except Exception:  # the sign-out itself must still happen
            _log.exception("the sign-out of %s could not be kept in the store", email)
        ctx = get_script_run_ctx()
        server.end_sessions_of(email, keep=ctx.session_id if ctx is not None else None)
    st.logout()


ENDED = {
    sign_in.EXPIRED: "Your sign-in has ended: a sign-in lasts as long as your identity provider's token and at most "
                   "{hours} hours. Sign in again to continue.",
    sign_in.SIGNED_OUT: "You signed out of Collaboration Health, in this browser or another. Sign in again to "
                      "continue.",
}


def show_gate(current: Access) -> None:
    """For a session that may see no page at all: the sign-in page, the no-role page or the roles file's
    problem, and nothing else (no data, no navigation); stops the run."""
    st.title("Collaboration Health")
    if current.problem:
        st.error("Nobody can be given a role until an admin fixes this.\n\n" + current.problem)
        if current.signed_in:
            _sign_out_button(st)
    elif current.ended:
        hours = _max_session_hours()
        st.info(ENDED[current.ended].format(hours=f"{hours:g}"), icon=":material/schedule:")
        st.button("Sign in again", type="primary", icon=":material/login:", on_click=_sign_in, key="sign_in")
    elif not current.signed_in:
        st.write("How well marketing and IT work together, month by month. Sign in with your company account "
                 "to continue.")
        st.button("Sign in", type="primary", icon=":material/login:", on_click=_sign_in, key="sign_in")
    else:
        who = current.user or "an account that gave no verified e-mail address"
        st.warning(f"You are signed in as {who}. {NO_ROLE}", icon=":material/block:")
        _sign_out_button(st)
    st.stop()


def _max_session_hours() -> float:
    try:
        return roles.load_roles().max_session_hours
    except roles.RolesFileError:
        return roles.Roles({}).max_session_hours


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
        st.title(page)
        st.error(f"The {page} page is for {roles.roles_with(capability)}. You are signed in as {current.user}, "
                 f"a {current.role}. Ask an admin if you need it.", icon=":material/block:")
        st.stop()
    return current


def _sign_out_button(where) -> None:
    where.button("Sign out", icon=":material/logout:", on_click=_sign_out, key="sign_out")


def sidebar_account(current: Access) -> None:
    """On every page: who is using the app, or that it runs as a single local user; a sign-out button."""
    if current.local:
        st.sidebar.caption(f":material/person: {LOCAL_NOTICE}.",
                           help="Add an [auth] section to .streamlit/secrets.toml to have users sign in; see the "
                                "README's 'Sign-in and roles'.")
        return
    role = current.role if current.side is None else f"{current.role}, {roles.SIDE_LABELS[current.side]}"
    st.sidebar.caption(f":material/account_circle: Signed in as **{current.user}** ({role})")
    _sign_out_button(st.sidebar)
