"""``nlc-bench listening-test serve``: host the questionnaire and collect its answers.

Standard library only (``http.server``): the stimulus folder written by
``listening-test make`` is served as static files (the page is at
``/questionnaire/index.html``), and three endpoints are added:

* ``POST /api/responses`` — one participant's answers as JSON
  (``{"participant", "group", "answers": [{"clip", "question", "rating"}]}``); 201 once
  committed to SQLite (see :mod:`nlc.listening_test.store`), 400 if malformed, 409 if
  this participant already submitted this group.
* ``GET /api/export.csv`` — every stored answer as the CSV ``nlc-bench stats`` reads.
* ``GET /api/health`` — ``{"ok": true, "submissions": N}``.

``manifest.json`` itself is never served (it maps clips to systems). The server binds
to 127.0.0.1 by default; put it behind a TLS reverse proxy to collect over the internet.
"""

from __future__ import annotations

import json
import os
import threading
from functools import partial
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from nlc.errors import InputError
from nlc.listening_test import store
from nlc.listening_test.manifest import MANIFEST_NAME, Manifest, load_manifest

MAX_BODY_BYTES: int = 1 << 20
"""Largest accepted POST body (1 MiB; a submission is a few kB)."""


class _Handler(SimpleHTTPRequestHandler):
    manifest: Manifest
    db_path: Path
    lock: threading.Lock
    quiet: bool = False

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 (stdlib signature)
        if not self.quiet:
            super().log_message(format, *args)

    def _json(self, status: int, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:  # noqa: N802 (stdlib naming)
        path = self.path.split("?", 1)[0]
        if path.rstrip("/").endswith(MANIFEST_NAME):
            self._json(HTTPStatus.FORBIDDEN, {"error": "the manifest is private"})
        elif path == "/api/health":
            with self.lock, store.connect(self.db_path) as conn:
                n = conn.execute("SELECT COUNT(*) FROM submissions").fetchone()[0]
            self._json(HTTPStatus.OK, {"ok": True, "submissions": n})
        elif path == "/api/export.csv":
            with self.lock, store.connect(self.db_path) as conn:
                data = store.export_csv(conn).encode()
            self.send_response(HTTPStatus.OK)
            self.send_header("Content-Type", "text/csv; charset=utf-8")
            self.send_header("Content-Disposition", 'attachment; filename="responses.csv"')
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        elif path in ("/", ""):
            self.send_response(HTTPStatus.FOUND)
            self.send_header("Location", "/questionnaire/index.html")
            self.end_headers()
        else:
            super().do_GET()

    def do_POST(self) -> None:  # noqa: N802
        if self.path.split("?", 1)[0] != "/api/responses":
            self._json(HTTPStatus.NOT_FOUND, {"error": "unknown endpoint"})
            return
        length = int(self.headers.get("Content-Length") or 0)
        if not 0 < length <= MAX_BODY_BYTES:
            self._json(HTTPStatus.BAD_REQUEST, {"error": f"body must be 1 to {MAX_BODY_BYTES} bytes"})
            return
        try:
            payload = json.loads(self.rfile.read(length))
            with self.lock:
                conn = store.connect(self.db_path)
                try:
                    stored = store.store_submission(conn, payload, self.manifest)
                finally:
                    conn.close()
        except store.DuplicateSubmission as exc:
            self._json(HTTPStatus.CONFLICT, {"error": str(exc)})
        except (InputError, json.JSONDecodeError, UnicodeDecodeError) as exc:
            self._json(HTTPStatus.BAD_REQUEST, {"error": str(exc)})
        else:
            self._json(HTTPStatus.CREATED, {"stored": stored})


def make_server(stimuli: str | os.PathLike[str], db: str | os.PathLike[str], *, host: str = "127.0.0.1",
                port: int = 8000, quiet: bool = False) -> ThreadingHTTPServer:
    """Build (not start) the server; ``port=0`` picks a free port (see ``server.server_address``)."""
    stimuli = Path(stimuli)
    manifest = load_manifest(stimuli)
    if not (stimuli / "questionnaire" / "index.html").is_file():
        raise InputError(f"{stimuli}: no questionnaire/index.html (run listening-test make first)")
    store.connect(db).close()  # create the schema now, fail early on a bad path
    attrs = {"manifest": manifest, "db_path": Path(db), "lock": threading.Lock(), "quiet": quiet}
    handler = type("ListeningTestHandler", (_Handler,), attrs)
    return ThreadingHTTPServer((host, port), partial(handler, directory=str(stimuli)))
