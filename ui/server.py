"""The server's own guards: what Streamlit serves outside a page run, and so outside every page's role check.

A page checks the role each time it runs (ui.auth.require). These happen without a page running, and are
guarded here instead:

- **Uploads.** A browser sends a file's bytes with `PUT /_stcore/upload_file/<session>/<file>`; any session,
  the sign-in page's included, can ask for such URLs. `Guard` (ASGI middleware) answers 403 before the body is
  read unless the session's user may upload now (the analyst and admin roles) and the request carries that
  user's sign-in cookie, so the server holds no bytes from anyone else.
- **Built downloads.** Once built, a download is kept under /media/<content hash>, which Streamlit serves to any
  request. Guard serves it only to a signed-in user with a role, and a guarded download's file only to the user
  of the session it was made for while they still have its capability.
- **Messages over the websocket.** A `clear_cache` message would empty every server-wide cache (the shared store
  connection included) for every user: only an admin's session may send one. A deferred download (a
  `st.download_button` whose data is built when clicked) is run only for the session that was given it; its data
  function checks the role again when it runs (ui.auth.guarded).
- **Cookies.** Streamlit does not mark its cookies Secure. When the sign-in redirect URI is https, every cookie
  the server sets is marked Secure here.

It also ends a user's other sessions when they sign out (`end_sessions_of`). Streamlit gives no public interface
for the session table, so this module reads the runtime's (pinned in requirements.txt; tests/browser/
test_sign_in_attacks.py fails loudly if an upgrade moves it)."""

from __future__ import annotations

import json
import logging
import re
import threading
from collections import OrderedDict
from typing import Any, Callable

_log = logging.getLogger(__name__)

UPLOAD_PATH = re.compile(r"/_stcore/upload_file/(?P<session>[^/]+)(?:/|$)")
MEDIA_PATH = re.compile(r"/media/(?P<file>[^/.]+)(?:\.[^/]*)?$")
_SERVED_KEPT = 2048  # built downloads remembered for their /media/ check; Streamlit forgets them much sooner

# Set when the guards are in place in this process: a server started in a way that skips them (not through
# dashboard.py's app) serves no signed-in page (ui.auth says why).
_installed = threading.Event()
_runtime_lock = threading.Lock()


def installed() -> bool:
    return _installed.is_set()


# What a session may do, asked from outside its page runs -------------------------------------------------------

def _runtime():
    """The server's runtime, or None where there is no server (AppTest runs scripts under a mock runtime)."""
    from streamlit import runtime

    if not runtime.exists():
        return None
    instance = runtime.get_instance()
    return instance if type(instance) is runtime.Runtime else None


def serving() -> bool:
    """Whether this process is a Streamlit server (rather than a test running scripts without one)."""
    return _runtime() is not None


def _active(session_id: str):
    rt = _runtime()
    return rt._session_mgr.get_active_session_info(session_id) if rt is not None else None


def session_claims(session_id: str | None) -> dict | None:
    """The identity a live session was opened with (what st.user reads), or None for no such session."""
    info = _active(session_id) if session_id else None
    if info is None:
        return None
    session = info.session
    with session._user_info_lock:
        return dict(session._user_info)


def session_allows(session_id: str | None, capability: str) -> bool:
    from ui import auth

    claims = session_claims(session_id)
    if claims is None:
        return auth.local_mode()  # no such session: only the single local user has nothing to check
    return auth.access_for(claims).allows(capability)


def request_claims(scope: dict) -> dict | None:
    """The identity an HTTP request's sign-in cookie carries (checked against the cookie secret, as Streamlit
    checks it for a websocket), or None: no cookie, or one that does not verify."""
    from starlette.requests import HTTPConnection
    from streamlit.web.server.starlette.starlette_server_config import USER_COOKIE_NAME
    from streamlit.web.server.starlette.starlette_websocket import _get_signed_cookie_with_chunks

    try:
        raw = _get_signed_cookie_with_chunks(dict(HTTPConnection(scope).cookies), USER_COOKIE_NAME)
        claims = json.loads(raw) if raw else None
    except Exception:  # a cookie that is not Streamlit's, or not signed with this secret: nobody
        return None
    return claims if isinstance(claims, dict) else None


def _same_user(one: dict | None, other: dict | None) -> bool:
    from metrics import roles

    first = roles.canonical_email((one or {}).get("email"))
    return first is not None and first == roles.canonical_email((other or {}).get("email"))


def end_sessions_of(email: str, keep: str | None = None) -> int:
    """Every other live session signed in as `email` loses its identity and runs again, so it shows the sign-in
    page at once rather than at its next click; returns how many."""
    from metrics import roles

    rt = _runtime()
    if rt is None:
        return 0
    ended = 0
    for info in rt._session_mgr.list_active_sessions():
        session = info.session
        if session.id == keep:
            continue
        with session._user_info_lock:
            claims = dict(session._user_info)
        if claims.get("is_logged_in") and roles.canonical_email(claims.get("email")) == email:
            rt.clear_user_info_for_session(session.id)
            try:
                session.request_rerun(None)
            except Exception:  # a session closing meanwhile has nothing left to show
                _log.debug("session %s could not be rerun after sign-out", session.id, exc_info=True)
            ended += 1
    if ended:
        _log.info("sign-out of %s ended %d other session(s)", email, ended)
    return ended


# The websocket's messages --------------------------------------------------------------------------------------

def _guard_messages(runtime) -> None:
    """Wrap the runtime's handle_backmsg once: refuse clear_cache but from an admin's session, and a deferred
    download to any session but the one it was made for."""
    from metrics import roles

    with _runtime_lock:
        if getattr(runtime.handle_backmsg, "_collab_guarded", False):
            return
        original = runtime.handle_backmsg

        def handle_backmsg(session_id: str, msg, *, client=None) -> None:
            kind = msg.WhichOneof("type")
            if kind == "clear_cache" and not session_allows(session_id, roles.SETTINGS):
                _log.warning("refused a clear_cache message from session %s: only an admin's session may clear "
                             "the server's caches", session_id)
                return
            if kind == "backend_operation_request":
                request = msg.backend_operation_request
                if request.WhichOneof("payload") == "deferred_file":
                    owner = _deferred_owner(runtime, request.deferred_file.file_id)
                    if owner != session_id:
                        _log.warning("refused deferred download %s to session %s: it was made for another session",
                                     request.deferred_file.file_id, session_id)
                        return
            return original(session_id, msg, client=client)

        handle_backmsg._collab_guarded = True
        runtime.handle_backmsg = handle_backmsg
        _remember_built_downloads(runtime.media_file_mgr)


# What a built download asks of whoever fetches its URL ---------------------------------------------------------
# A deferred download, once built, is stored under a URL (/media/<content hash>.<ext>) that Streamlit serves to any
# request. Each URL a guarded download produced is remembered with the capability it needs and the session it was
# made for; a fetch must come from that session's user, who must still have the capability.

_served: OrderedDict[str, tuple[str, str | None]] = OrderedDict()
_served_lock = threading.Lock()


def _remember_built_downloads(manager) -> None:
    if getattr(manager.execute_deferred, "_collab_guarded", False):
        return
    original = manager.execute_deferred

    def execute_deferred(file_id: str) -> str:
        with manager._lock:
            entry = manager._deferred_callables.get(file_id)
        url = original(file_id)
        build = entry["callable"] if entry else None
        from metrics import roles

        needs = (getattr(build, "collab_capability", roles.PAGES), getattr(build, "collab_session", None))
        served = MEDIA_PATH.search(url)
        if served:
            with _served_lock:
                _served[served["file"]] = needs
                _served.move_to_end(served["file"])
                while len(_served) > _SERVED_KEPT:
                    _served.popitem(last=False)
        return url

    execute_deferred._collab_guarded = True
    manager.execute_deferred = execute_deferred


def media_allowed(file_id: str, claims: dict | None) -> bool:
    """Whether a request carrying `claims` may fetch /media/<file_id>: in sign-in mode, only a signed-in user with
    a role (and, for a built download, the capability it needed, as the user of the session it was made for)."""
    from metrics import roles
    from ui import auth

    if auth.local_mode():
        return True
    with _served_lock:
        capability, session_id = _served.get(file_id, (roles.PAGES, None))
    if session_id is not None and not _same_user(claims, session_claims(session_id)):
        return False
    return auth.access_for(claims).allows(capability)


def _deferred_owner(runtime, file_id: str) -> str | None:
    manager = runtime.media_file_mgr
    with manager._lock:
        entry = manager._deferred_callables.get(file_id)
    return entry["session_id"] if entry else None


# HTTP -----------------------------------------------------------------------------------------------------------

def _secure_cookies() -> bool:
    from ui import auth

    return auth.redirect_is_https()


class Guard:
    """ASGI middleware in front of Streamlit's own: the upload check, the websocket's message guard (installed on
    the first connection, when the runtime exists) and Secure cookies."""

    def __init__(self, app: Callable) -> None:
        self.app = app
        _installed.set()

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] == "websocket":
            runtime = _runtime()
            if runtime is not None:
                _guard_messages(runtime)
        elif scope["type"] == "http":
            path = scope.get("path", "")
            upload = UPLOAD_PATH.search(path)
            if upload and scope.get("method") not in ("OPTIONS", "GET", "HEAD"):
                from metrics import roles
                from ui import auth

                session = upload["session"]
                # The session's user must be allowed to upload, and the request must come from that user: a session
                # id is no credential.
                if not session_allows(session, roles.DATA) or not (
                        auth.local_mode() or _same_user(request_claims(scope), session_claims(session))):
                    _log.warning("refused an upload to session %s: its user may not upload, or the request is not "
                                 "that user's", session)
                    await _forbidden(send, "Uploads are for the analyst and admin roles.")
                    return
            media = MEDIA_PATH.search(path)
            if media and not media_allowed(media["file"], request_claims(scope)):
                _log.warning("refused %s to a request without the right to it", path)
                await _forbidden(send, "This file is for signed-in users with the right to it.")
                return
            if _secure_cookies():
                send = _with_secure_cookies(send)
        await self.app(scope, receive, send)


async def _forbidden(send: Callable, text: str) -> None:
    body = text.encode()
    await send({"type": "http.response.start", "status": 403,
                "headers": [(b"content-type", b"text/plain; charset=utf-8"),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


def _with_secure_cookies(send: Callable) -> Callable:
    async def sending(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            headers = []
            for name, value in message.get("headers", []):
                if name.lower() == b"set-cookie" and not re.search(rb";\s*secure\s*(;|$)", value, re.IGNORECASE):
                    value = value + b"; Secure"
                headers.append((name, value))
            message = {**message, "headers": headers}
        await send(message)

    return sending
