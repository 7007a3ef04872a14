"""``nlc-bench listening-test serve``: host the questionnaire and collect its answers.

Standard library only (``http.server``). Only what the questionnaire needs is served, from an
allow-list built at start-up: ``/questionnaire/{index.html, app.js, style.css, stimuli.js}``
and the clips the manifest names (``/g01/g01_c1.wav`` ...); ``/`` and ``/questionnaire/``
redirect to the page. Three endpoints are added:

* ``POST /api/responses`` — one participant's answers as JSON
  (``{"participant", "group", "answers": [{"clip", "question", "rating"}], "played_to_end":
  {"<clip>": true|false}}``); 201 once committed to SQLite (see
  :mod:`nlc.listening_test.store`), 400 if malformed or if it rates a clip that the page
  reports as not played to its end (:func:`check_playback`), 409 if this participant already
  submitted this group.
* ``GET /api/export.csv`` — every stored answer as the CSV ``nlc-bench stats`` reads.
* ``GET /api/health`` — ``{"ok": true, "submissions": N}``.

Everything else is 404, whatever its spelling: the request target is split from its query
and fragment, percent-decoded and normalised (``.``, ``..``, repeated slashes) before it is
looked up, so ``manifest.json`` (the answer key: which clip is which system), the webMUSHRA
configs and directory listings are never served.

Hostile or broken clients get an HTTP answer or a closed connection, never a traceback: a
POST needs a decimal ``Content-Length`` of 1 byte to :data:`MAX_BODY_BYTES` (else 411, 413
or 400), a body that is not JSON or not a valid submission (bad UTF-8, lone surrogates,
nesting too deep for the parser) is a 400 with a one-line JSON error, and a client must send
its whole request within :data:`REQUEST_TIMEOUT_S` (a stalled body gets 408, a stalled
header is dropped). Each connection has its own daemon thread, and the listen backlog is
:data:`LISTEN_BACKLOG`, so a burst of participants is queued rather than reset.

The server binds to 127.0.0.1 by default; put it behind a TLS reverse proxy to collect over
the internet.
"""

from __future__ import annotations

import json
import os
import posixpath
import re
import shutil
import socket
import sys
import threading
import time
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from nlc.errors import InputError
from nlc.listening_test import store
from nlc.listening_test.manifest import MANIFEST_NAME, Manifest, load_manifest
from nlc.listening_test.stimuli import QUESTIONNAIRE_FILES

MAX_BODY_BYTES: int = 1 << 20
"""Largest accepted POST body (1 MiB; a submission is a few kB)."""

REQUEST_TIMEOUT_S: float = 20.0
"""Seconds a client has to send its whole request (line, headers, body) after connecting; also
the longest a single write of the reply may wait for a client that stopped reading."""

LISTEN_BACKLOG: int = 512
"""Connections the kernel queues while every thread is busy (capped by ``net.core.somaxconn``)."""

PAGE = "/questionnaire/index.html"
CONTENT_TYPES: dict[str, str] = {".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8",
                                 ".css": "text/css; charset=utf-8", ".wav": "audio/wav"}
_LENGTH = re.compile(r"[0-9]{1,19}")


PLAYBACK_KEY: str = "played_to_end"
"""Key of a submission under which the page reports, per clip, whether it played to its end."""


def check_playback(payload: Any, manifest: Manifest) -> None:
    """Refuse a submission that rates a clip its page reports as not played to its end.

    The page unlocks a clip's ratings only on the audio ``ended`` event (webMUSHRA's
    ``mustPlayback: ended``) and sends ``played_to_end: {clip: true|false}`` for every clip of
    its group; the server checks it too, so that a modified page or a stale copy in a browser
    cache cannot store ratings of clips the participant did not hear in full. A submission
    without the key (a client that does not report playback, e.g. a script re-posting CSV
    answers) is checked as before; once the key is present it must be an object of booleans
    over the group's clips, and every rated clip must be ``true`` in it.

    Parameters
    ----------
    payload : Any
        The decoded JSON body; anything but an object is left to
        :func:`~nlc.listening_test.store.check_submission` to refuse.
    manifest : Manifest
        The test's manifest (which clips the group has).

    Raises
    ------
    InputError
        One line naming the first clip rated without having played to its end, or what is
        wrong with the report.
    """
    if not isinstance(payload, dict) or PLAYBACK_KEY not in payload:
        return
    report = payload[PLAYBACK_KEY]
    if not isinstance(report, dict):
        raise InputError(f"submission: {PLAYBACK_KEY!r} must be an object {{clip: true|false}}")
    group_id = payload.get("group")
    group = next((g for g in manifest.groups if g.group == group_id), None)
    if group is None:
        return  # check_submission names the unknown group
    clips = [c.clip for c in group.clips]
    for clip, value in report.items():
        if clip not in clips:
            raise InputError(f"submission: {PLAYBACK_KEY} names clip {clip!r}, which is not in group {group_id}")
        if not isinstance(value, bool):
            raise InputError(f"submission: {PLAYBACK_KEY}[{clip!r}] must be true or false, not {value!r}")
    answers = payload.get("answers")
    rated = {a.get("clip") for a in answers if isinstance(a, dict)} if isinstance(answers, list) else set()
    for clip in clips:
        if clip in rated and report.get(clip) is not True:
            why = "reported false" if clip in report else "missing from the report"
            raise InputError(f"submission: clip {clip} is rated but did not play to its end ({PLAYBACK_KEY}: {why}); "
                             "listen to it to the end, then rate it")


def request_path(target: str) -> str | None:
    """The path of a request target, decoded and normalised; None if it cannot name a file.

    ``/questionnaire/%2e%2e/manifest%2ejson?x#y`` -> ``/manifest.json``: query and fragment
    are split off first, then ``%XX`` is decoded (UTF-8), then ``.``/``..``/``//`` collapse
    (never above ``/``).
    """
    try:
        path = unquote(urlsplit(target).path, errors="strict")
    except (ValueError, UnicodeError):
        return None
    if not path.startswith("/") or "\x00" in path or "\\" in path:
        return None
    return posixpath.normpath("/" + path.lstrip("/"))


def public_files(stimuli: Path, manifest: Manifest) -> dict[str, Path]:
    """URL path -> file: the questionnaire page and the clips; nothing else is ever served."""
    files = {f"/questionnaire/{name}": stimuli / "questionnaire" / name for name in (*QUESTIONNAIRE_FILES, "stimuli.js")}
    for group in manifest.groups:
        for clip in group.clips:
            rel = posixpath.normpath(clip.file)
            if rel.startswith(("/", "../")) or rel == ".." or posixpath.basename(rel).lower() == MANIFEST_NAME:
                raise InputError(f"manifest: clip {clip.clip} has a file outside the stimulus folder ({clip.file!r})")
            files["/" + rel] = stimuli / rel
    return files


def _one_line(exc: BaseException, limit: int = 300) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= limit else text[: limit - 1] + "…"


class _RequestReader:
    """The handler's ``rfile``: reads the request off the socket, all of it before one deadline.

    A per-read socket timeout alone lets a client that drips a byte at a time hold a thread
    for ever; here every ``recv`` waits at most until the deadline set when the connection
    was accepted, then :class:`TimeoutError`.
    """

    def __init__(self, sock: socket.socket, seconds: float) -> None:
        self._sock = sock
        self._seconds = seconds
        self._deadline = time.monotonic() + seconds
        self._buffer = bytearray()

    def _fill(self) -> bool:
        left = self._deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("request not received in time")
        self._sock.settimeout(left)
        try:
            chunk = self._sock.recv(65536)
        finally:
            self._sock.settimeout(self._seconds)  # what writes of the reply get
        self._buffer += chunk
        return bool(chunk)

    def _take(self, n: int) -> bytes:
        data = bytes(self._buffer[:n])
        del self._buffer[:n]
        return data

    def readline(self, limit: int = -1) -> bytes:
        while True:
            end = self._buffer.find(b"\n")
            if end >= 0:
                n = end + 1
                break
            if 0 <= limit <= len(self._buffer) or not self._fill():
                n = len(self._buffer)
                break
        return self._take(n if limit < 0 else min(n, limit))

    def read(self, size: int) -> bytes:
        while len(self._buffer) < size and self._fill():
            pass
        return self._take(size)

    def close(self) -> None:
        self._buffer.clear()


class _Server(ThreadingHTTPServer):
    request_queue_size = LISTEN_BACKLOG
    daemon_threads = True

    def __init__(self, address: tuple[str, int], *, stimuli: Path, manifest: Manifest, db_path: Path,
                 quiet: bool, timeout: float) -> None:
        self.manifest = manifest
        self.files = public_files(stimuli, manifest)
        self.db_path = db_path
        self.lock = threading.Lock()
        self.quiet = quiet
        self.request_timeout = timeout
        super().__init__(address, _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """One line, not socketserver's traceback (a client that vanished mid-reply lands here)."""
        if not self.quiet:
            exc = sys.exc_info()[1] or Exception("unknown error")
            print(f"{client_address[0]} - connection dropped: {type(exc).__name__}: {_one_line(exc)}", file=sys.stderr)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    def version_string(self) -> str:
        return "nlc-bench"

    def setup(self) -> None:
        super().setup()  # makes rfile/wfile
        self.connection.settimeout(self.server.request_timeout)
        self.rfile.close()
        self.rfile = _RequestReader(self.connection, self.server.request_timeout)  # type: ignore[assignment]
        self._head = False

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 (stdlib signature)
        if not self.server.quiet:
            super().log_message(format, *args)

    def _json(self, status: int, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        if not self._head:
            self.wfile.write(data)

    def _error(self, status: int, message: str) -> None:
        self.close_connection = True
        self._json(status, {"error": message})

    def _file(self, path: Path) -> None:
        try:
            f = open(path, "rb")  # noqa: SIM115 (closed below)
        except OSError:
            self._error(HTTPStatus.NOT_FOUND, "not found")
            return
        with f:
            self.send_response(HTTPStatus.OK)
            self.send_header("Content-Type", CONTENT_TYPES.get(path.suffix.lower(), "application/octet-stream"))
            self.send_header("Content-Length", str(os.fstat(f.fileno()).st_size))
            self.send_header("Cache-Control", "no-cache")
            self.send_header("X-Content-Type-Options", "nosniff")
            self.end_headers()
            if not self._head:
                shutil.copyfileobj(f, self.wfile)

    def do_HEAD(self) -> None:  # noqa: N802 (stdlib naming)
        self._head = True
        self.do_GET()

    def do_GET(self) -> None:  # noqa: N802
        path = request_path(self.path)
        try:
            if path == "/api/health":
                with self.server.lock, store.connect(self.server.db_path) as conn:
                    n = conn.execute("SELECT COUNT(*) FROM submissions").fetchone()[0]
                self._json(HTTPStatus.OK, {"ok": True, "submissions": n})
            elif path == "/api/export.csv":
                with self.server.lock, store.connect(self.server.db_path) as conn:
                    data = store.export_csv(conn).encode()
                self.send_response(HTTPStatus.OK)
                self.send_header("Content-Type", "text/csv; charset=utf-8")
                self.send_header("Content-Disposition", 'attachment; filename="responses.csv"')
                self.send_header("Content-Length", str(len(data)))
                self.send_header("Cache-Control", "no-store")
                self.end_headers()
                if not self._head:
                    self.wfile.write(data)
            elif path in ("/", "/questionnaire"):
                self.send_response(HTTPStatus.FOUND)
                self.send_header("Location", PAGE)
                self.send_header("Content-Length", "0")
                self.end_headers()
            elif path in self.server.files:
                self._file(self.server.files[path])
            else:
                self._error(HTTPStatus.NOT_FOUND, "not found")
        except (ConnectionError, TimeoutError):
            self.close_connection = True  # the client stopped reading; nothing to answer
        except Exception as exc:  # noqa: BLE001 (a database error: answer, log one line)
            self.log_error("GET %s failed: %s: %s", path, type(exc).__name__, _one_line(exc))
            self._error(HTTPStatus.INTERNAL_SERVER_ERROR, "server error")

    def _content_length(self) -> int | tuple[int, str]:
        """The body length, or ``(status, message)`` refusing the request."""
        if self.headers.get("Transfer-Encoding") is not None:
            return HTTPStatus.LENGTH_REQUIRED, "send the body with a Content-Length, not a Transfer-Encoding"
        values = {v.strip() for v in self.headers.get_all("Content-Length", [])}
        if not values:
            return HTTPStatus.LENGTH_REQUIRED, "Content-Length required"
        if len(values) > 1 or not _LENGTH.fullmatch(next(iter(values))):
            return HTTPStatus.BAD_REQUEST, "Content-Length must be one decimal integer"
        length = int(next(iter(values)))
        if length > MAX_BODY_BYTES:
            return HTTPStatus.REQUEST_ENTITY_TOO_LARGE, f"body over {MAX_BODY_BYTES} bytes"
        if length == 0:
            return HTTPStatus.BAD_REQUEST, "empty body"
        return length

    def do_POST(self) -> None:  # noqa: N802
        if request_path(self.path) != "/api/responses":
            self._error(HTTPStatus.NOT_FOUND, "unknown endpoint")
            return
        length = self._content_length()
        if isinstance(length, tuple):
            self._error(*length)
            return
        try:
            body = self.rfile.read(length)
        except TimeoutError:
            self._error(HTTPStatus.REQUEST_TIMEOUT, f"body not received within {self.server.request_timeout:g} s")
            return
        except ConnectionError:
            self.close_connection = True
            return
        if len(body) < length:
            self._error(HTTPStatus.BAD_REQUEST, f"body shorter than its Content-Length ({len(body)} < {length} bytes)")
            return
        try:
            payload = json.loads(body)
        except RecursionError:
            self._error(HTTPStatus.BAD_REQUEST, "body is not JSON: nested too deeply")
            return
        except ValueError as exc:  # JSONDecodeError, UnicodeDecodeError, an over-long integer
            self._error(HTTPStatus.BAD_REQUEST, f"body is not JSON: {_one_line(exc)}")
            return
        try:
            check_playback(payload, self.server.manifest)
            with self.server.lock:
                conn = store.connect(self.server.db_path)
                try:
                    stored = store.store_submission(conn, payload, self.server.manifest)
                finally:
                    conn.close()
        except store.DuplicateSubmission as exc:
            self._error(HTTPStatus.CONFLICT, _one_line(exc))
        except InputError as exc:
            self._error(HTTPStatus.BAD_REQUEST, _one_line(exc))
        except (RecursionError, ValueError) as exc:  # UnicodeError too: bad input that got past the checks
            self._error(HTTPStatus.BAD_REQUEST, f"submission refused: {_one_line(exc)}")
        except Exception as exc:  # noqa: BLE001 (database trouble: not stored, and the client is told so)
            self.log_error("POST not stored: %s: %s", type(exc).__name__, _one_line(exc))
            self._error(HTTPStatus.INTERNAL_SERVER_ERROR, "not stored: server error")
        else:
            self._json(HTTPStatus.CREATED, {"stored": stored})


def make_server(stimuli: str | os.PathLike[str], db: str | os.PathLike[str], *, host: str = "127.0.0.1",
                port: int = 8000, quiet: bool = False, timeout: float = REQUEST_TIMEOUT_S) -> ThreadingHTTPServer:
    """Build (not start) the server; ``port=0`` picks a free port (see ``server.server_address``).

    ``timeout``: seconds a client has to send its request (see :data:`REQUEST_TIMEOUT_S`).
    """
    stimuli = Path(stimuli)
    manifest = load_manifest(stimuli)
    if not (stimuli / "questionnaire" / "index.html").is_file():
        raise InputError(f"{stimuli}: no questionnaire/index.html (run listening-test make first)")
    if not timeout > 0:
        raise InputError(f"timeout must be positive, not {timeout}")
    store.connect(db).close()  # create the schema now, fail early on a bad path
    return _Server((host, port), stimuli=stimuli, manifest=manifest, db_path=Path(db), quiet=quiet, timeout=timeout)
