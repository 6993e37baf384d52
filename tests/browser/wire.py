"""Streamlit's wire protocol spoken directly, as an attacker would, without a browser: a websocket to
/_stcore/stream that sends BackMsg protobufs and reads ForwardMsgs, and the upload endpoint over plain HTTP."""

from __future__ import annotations

import http.client
import time
import urllib.error
import urllib.request
import uuid
from contextlib import contextmanager
from typing import Iterator

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from websockets.sync.client import connect


class Wire:
    """One Streamlit session opened over a raw websocket."""

    def __init__(self, socket) -> None:
        self.socket = socket
        self.session_id: str | None = None
        self.received: list[ForwardMsg] = []

    def send(self, msg: BackMsg) -> None:
        self.socket.send(msg.SerializeToString())

    def read(self, seconds: float, until=None) -> list[ForwardMsg]:
        """ForwardMsgs for up to `seconds`, or until `until(msg)` is true for one."""
        got: list[ForwardMsg] = []
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                data = self.socket.recv(timeout=max(0.05, deadline - time.monotonic()))
            except TimeoutError:
                break
            msg = ForwardMsg()
            msg.ParseFromString(data)
            if msg.WhichOneof("type") == "new_session":
                self.session_id = msg.new_session.initialize.session_id
            got.append(msg)
            if until is not None and until(msg):
                break
        self.received += got
        return got

    def rerun(self) -> list[ForwardMsg]:
        """Run the app's script once (what a browser asks for on arrival) and read until it finishes."""
        msg = BackMsg()
        msg.rerun_script.query_string = ""
        self.send(msg)
        return self.read(60, until=lambda m: m.WhichOneof("type") == "script_finished")

    def clear_cache(self) -> None:
        msg = BackMsg()
        msg.clear_cache = True
        self.send(msg)

    def deferred_file(self, file_id: str, request_id: str = "attack-1") -> list[ForwardMsg]:
        """Ask for a deferred download by its id; the ForwardMsgs that came back within 10 s."""
        msg = BackMsg()
        msg.backend_operation_request.request_id = request_id
        msg.backend_operation_request.deferred_file.file_id = file_id
        self.send(msg)
        return self.read(10, until=lambda m: m.WhichOneof("type") == "backend_operation_response")


@contextmanager
def session(base: str, cookie: str | None = None) -> Iterator[Wire]:
    """A new session on the dashboard at `base` (http://host:port), as a browser without JavaScript would open it."""
    host = base.split("://", 1)[1]
    headers = {"Cookie": cookie} if cookie else None
    # With cookies, the XSRF token goes second in the subprotocols, as Streamlit's frontend sends it: only then
    # does the server read the sign-in cookie.
    xsrf = [part.split("=", 1)[1] for part in (cookie or "").split("; ") if part.startswith("_streamlit_xsrf=")]
    with connect(f"ws://{host}/_stcore/stream", subprotocols=["streamlit", *xsrf[:1]], origin=base,
                 additional_headers=headers, open_timeout=20, max_size=None) as socket:
        wire = Wire(socket)
        wire.rerun()
        assert wire.session_id, "the server sent no new_session message"
        yield wire


def xsrf_cookie(base: str) -> str:
    """The XSRF cookie a first visit is given (any visitor gets one): name=value, for the Cookie header."""
    with urllib.request.urlopen(f"{base}/_stcore/health", timeout=20) as response:  # where Streamlit sets it
        for header in response.headers.get_all("Set-Cookie") or []:
            if header.startswith("_streamlit_xsrf="):
                return header.split(";", 1)[0]
    raise AssertionError("the server set no _streamlit_xsrf cookie")


def put_upload(base: str, session_id: str, size: int, cookie: str | None = None) -> int:
    """PUT `size` bytes to the upload endpoint as session `session_id`'s file, with a valid XSRF token (as the
    browser sends it) and `cookie` (e.g. a sign-in cookie) if given; the HTTP status. A server that answers before reading the body closes the connection on
    the rest of it: the answer is read all the same."""
    xsrf = xsrf_cookie(base)
    cookie = f"{cookie}; {xsrf}" if cookie else xsrf
    boundary = uuid.uuid4().hex
    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.csv\"\r\n"
            "Content-Type: text/csv\r\n\r\n").encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    host = base.split("://", 1)[1]
    connection = http.client.HTTPConnection(host, timeout=60)
    try:
        connection.putrequest("PUT", f"/_stcore/upload_file/{session_id}/{uuid.uuid4()}")
        for name, value in (("Content-Type", f"multipart/form-data; boundary={boundary}"),
                            ("Content-Length", str(len(head) + size + len(tail))), ("Cookie", cookie),
                            ("X-Xsrftoken", xsrf.split("=", 1)[1])):
            connection.putheader(name, value)
        connection.endheaders()
        try:
            connection.send(head)
            chunk = b"x" * (1024 * 1024)
            for start in range(0, size, len(chunk)):
                connection.send(chunk[: min(len(chunk), size - start)])
            connection.send(tail)
        except (BrokenPipeError, ConnectionResetError):
            pass
        return connection.getresponse().status
    finally:
        connection.close()
