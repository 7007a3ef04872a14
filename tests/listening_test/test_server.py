"""The collecting server and its SQLite store, over real HTTP on 127.0.0.1."""

from __future__ import annotations

import json
import socket
import threading
import time
import urllib.error
import urllib.request
from contextlib import contextmanager

import pytest

from nlc.cli import main
from nlc.errors import InputError
from nlc.listening_test import store
from nlc.listening_test.manifest import load_manifest
from nlc.listening_test.responses import read_csv, validate, with_systems
from nlc.listening_test.schema import QUESTIONS
from nlc.listening_test.server import make_server


@contextmanager
def running(stimuli, db, *, quiet=True, **kwargs):
    server = make_server(stimuli, db, port=0, quiet=quiet, **kwargs)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def _post(url, body):
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    request = urllib.request.Request(url + "/api/responses", data=data, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


def _submission(manifest, participant, group_index=0, rating=4):
    group = manifest.groups[group_index]
    return {"participant": participant, "group": group.group,
            "answers": [{"clip": c.clip, "question": q, "rating": rating} for c in group.clips for q in QUESTIONS]}


def test_submit_refuse_export_and_survive_restart(listening_stimuli, tmp_path, capsys):
    manifest = load_manifest(listening_stimuli)
    db = tmp_path / "answers.sqlite"
    with running(listening_stimuli, db) as url:
        assert urllib.request.urlopen(url + "/").url.endswith("/questionnaire/index.html")
        assert _post(url, _submission(manifest, "ann")) == (201, {"stored": 18})
        status, reply = _post(url, _submission(manifest, "ann", rating=1))
        assert status == 409 and "already submitted group g01" in reply["error"]
        bad = _submission(manifest, "bob")
        bad["answers"][3]["rating"] = 6
        assert _post(url, bad)[0] == 400
        bad["answers"] = bad["answers"][:-1]
        bad["answers"][3]["rating"] = 2
        status, reply = _post(url, bad)
        assert status == 400 and "1 answer(s) missing" in reply["error"]
        assert _post(url, b"{not json")[0] == 400
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(url + "/manifest.json")
        assert err.value.code == 404
        assert json.loads(urllib.request.urlopen(url + "/api/health").read()) == {"ok": True, "submissions": 1}
    # the server is gone; a new one on the same database still has the answer
    with running(listening_stimuli, db) as url:
        assert _post(url, _submission(manifest, "cy", group_index=len(manifest.groups) - 1, rating=2))[0] == 201
        exported = urllib.request.urlopen(url + "/api/export.csv").read().decode()
    assert main(["listening-test", "export", "--db", str(db), "--out", str(tmp_path / "r.csv")]) == 0
    assert (tmp_path / "r.csv").read_text() == exported
    # the export is public: clip ids, never a system name (manifest.json maps them)
    assert exported.splitlines()[0] == "participant,group,source_type,clip,question,rating"
    assert not any(system in exported for system in manifest.systems)
    frame = with_systems(read_csv(tmp_path / "r.csv"), manifest, source="r.csv")
    responses = validate(frame, source="r.csv", systems=manifest.systems)
    assert len(responses.data) == 36 and responses.incomplete == {}
    ann = responses.data[responses.data["participant"] == "ann"]
    assert set(ann["system"]) == set(manifest.systems) and set(ann["rating"]) == {4}


def test_store_checks_against_the_manifest(listening_stimuli, tmp_path):
    manifest = load_manifest(listening_stimuli)
    conn = store.connect(tmp_path / "db.sqlite")
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    sub = _submission(manifest, "dee")
    sub["answers"][0]["clip"] = "g99_c1"
    with pytest.raises(InputError, match="clip 'g99_c1' is not in group g01"):
        store.store_submission(conn, sub, manifest)
    sub = _submission(manifest, "dee")
    sub["answers"][1] = dict(sub["answers"][0])
    with pytest.raises(InputError, match="duplicate answer for clip"):
        store.store_submission(conn, sub, manifest)
    with pytest.raises(InputError, match="unknown group 'g77'"):
        store.store_submission(conn, {**_submission(manifest, "dee"), "group": "g77"}, manifest)
    assert conn.execute("SELECT COUNT(*) FROM answers").fetchone()[0] == 0  # nothing half-stored


# --- hostile clients: each of these broke the server before it was hardened ---------------------------------------

ANSWER_KEY_MARKER = b'"target_id"'  # a key only manifest.json has


def _raw(port, data, *, timeout=5.0, half_close=False):
    """Send raw bytes to 127.0.0.1:port, read the reply to EOF; ``(status or None, headers, body)``."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(data)
        if half_close:
            sock.shutdown(socket.SHUT_WR)
        reply, deadline = b"", time.monotonic() + timeout
        try:
            while time.monotonic() < deadline:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                reply += chunk
        except (ConnectionError, TimeoutError):
            pass
    head, _, body = reply.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1]) if lines[0].startswith("HTTP/") else None
    headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    return status, headers, body


def _get(port, target, method="GET"):
    return _raw(port, f"{method} {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode("latin-1"))


def _port(url):
    return int(url.rsplit(":", 1)[1])


def test_only_the_page_and_the_clips_are_served(listening_stimuli, tmp_path):
    manifest = load_manifest(listening_stimuli)
    with running(listening_stimuli, tmp_path / "db.sqlite") as url:
        port = _port(url)
        refused = ["/manifest.json", "/manifest%2ejson", "/%6danifest.json", "/manifest.jso%6e", "/manifest.json#frag",
                   "/manifest.json?x=1", "/MANIFEST.JSON", "/manifest.json/", "/./manifest.json", "//manifest.json",
                   "/manifest%2Ejson%00", "/questionnaire/../manifest.json", "/questionnaire/%2e%2e/manifest.json",
                   "/questionnaire/%2E%2E%2Fmanifest.json", "/../manifest.json", "/%2e%2e/manifest.json",
                   "http://127.0.0.1/manifest.json", "/g01/../manifest.json", "/../../../../../../etc/passwd",
                   "/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd", "/..%2f..%2f..%2f..%2fetc/passwd",
                   "/g01/", "/g01", "/webmushra/g01.yaml", "/questionnaire/stimuli.js.bak", "/api/", "/nope"]
        for target in refused:
            status, _, body = _get(port, target)
            assert status == 404, (target, status)
            assert ANSWER_KEY_MARKER not in body and b"root:" not in body, target
        # what the questionnaire needs loads, also under spellings a browser might use
        pages = {f"/questionnaire/{name}": listening_stimuli / "questionnaire" / name
                 for name in ("index.html", "app.js", "style.css", "stimuli.js")}
        clips = {f"/{c.file}": listening_stimuli / c.file for g in manifest.groups for c in g.clips}
        for target, file in {**pages, **clips}.items():
            status, headers, body = _get(port, target)
            assert (status, body) == (200, file.read_bytes()), target
            assert headers["content-length"] == str(file.stat().st_size)
        first = next(iter(clips))
        assert _get(port, first)[1]["content-type"] == "audio/wav"
        assert _get(port, "/questionnaire/index.html")[1]["content-type"].startswith("text/html")
        status, headers, body = _get(port, first, method="HEAD")
        assert (status, body) == (200, b"") and headers["content-length"] == str(clips[first].stat().st_size)
        for spelling in ("/questionnaire/./index.html", "/g01/../questionnaire/index.html", "/questionnaire/%69ndex.html",
                         "/questionnaire/index.html?v=2"):
            assert _get(port, spelling)[::2] == (200, pages["/questionnaire/index.html"].read_bytes()), spelling
        for target in ("/", "/questionnaire", "/questionnaire/"):
            status, headers, _ = _get(port, target)
            assert status == 302 and headers["location"] == "/questionnaire/index.html", target


def test_hundred_concurrent_clients_are_all_answered_and_stored(listening_stimuli, tmp_path):
    manifest = load_manifest(listening_stimuli)
    clip = f"/{manifest.groups[0].clips[0].file}"
    n_clients = 100
    outcomes: dict[int, tuple] = {}
    start = threading.Barrier(n_clients)

    def client(i, url):
        try:
            start.wait(timeout=10)
            sub = _submission(manifest, f"p{i:03d}", group_index=i % len(manifest.groups))
            request = urllib.request.Request(url + "/api/responses", data=json.dumps(sub).encode(),
                                             headers={"Content-Type": "application/json"})
            with urllib.request.urlopen(request, timeout=10) as response:
                posted = response.status
            with urllib.request.urlopen(url + clip, timeout=10) as response:
                got = response.status, len(response.read())
            outcomes[i] = (posted, got)
        except Exception as exc:  # noqa: BLE001 (recorded and reported by the assertion)
            outcomes[i] = (repr(exc),)

    db = tmp_path / "db.sqlite"
    with running(listening_stimuli, db) as url:
        threads = [threading.Thread(target=client, args=(i, url), daemon=True) for i in range(n_clients)]
        t0 = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=max(0.1, 30 - (time.monotonic() - t0)))
        assert not any(thread.is_alive() for thread in threads)
        size = (listening_stimuli / clip.lstrip("/")).stat().st_size
        failed = {i: o for i, o in outcomes.items() if o != (201, (200, size))}
        assert len(outcomes) == n_clients and not failed, f"{len(failed)} of {n_clients} failed: {list(failed.values())[:3]}"
    conn = store.connect(db)  # every acknowledged POST is stored
    stored = {p for (p,) in conn.execute("SELECT participant FROM submissions")}
    conn.close()
    assert stored == {f"p{i:03d}" for i in range(n_clients)}


def _closed_within(sock, seconds):
    """Read until the server closes ``sock``; the bytes read, or None if it stays open ``seconds``."""
    reply, deadline = b"", time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        sock.settimeout(left)
        try:
            chunk = sock.recv(65536)
        except TimeoutError:
            return None
        except ConnectionError:
            return reply
        if not chunk:
            return reply
        reply += chunk
    return None


def test_stalled_clients_are_dropped_and_others_still_served(listening_stimuli, tmp_path):
    manifest = load_manifest(listening_stimuli)
    timeout = 1.0
    with running(listening_stimuli, tmp_path / "db.sqlite", timeout=timeout) as url:
        port = _port(url)
        stalled = []
        for i in range(20):  # headers sent, the body never comes
            sock = socket.create_connection(("127.0.0.1", port), timeout=5)
            sock.sendall(b"POST /api/responses HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 500\r\n\r\n{\"partic")
            stalled.append(sock)
        half_line = socket.create_connection(("127.0.0.1", port), timeout=5)
        half_line.sendall(b"GET /questionnaire/ind")  # the request line never ends
        t0 = time.monotonic()
        # meanwhile an honest participant is served at once
        assert _post(url, _submission(manifest, "ann")) == (201, {"stored": 18})
        assert json.loads(urllib.request.urlopen(url + "/api/health", timeout=5).read())["submissions"] == 1
        assert time.monotonic() - t0 < timeout
        for sock in stalled:
            reply = _closed_within(sock, timeout + 3 - (time.monotonic() - t0))
            assert reply is not None, "a stalled POST was kept open"
            assert reply.startswith(b"HTTP/1.0 408 ")
            sock.close()
        assert _closed_within(half_line, timeout + 3 - (time.monotonic() - t0)) is not None
        half_line.close()
        assert time.monotonic() - t0 < timeout + 3


def test_a_trickling_client_is_dropped_at_the_deadline(listening_stimuli, tmp_path):
    """One byte every 0.1 s never trips a per-read timeout; the request as a whole has a deadline."""
    timeout = 1.0
    with running(listening_stimuli, tmp_path / "db.sqlite", timeout=timeout) as url:
        sock = socket.create_connection(("127.0.0.1", _port(url)), timeout=5)
        sock.sendall(b"POST /api/responses HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
        t0, closed = time.monotonic(), None
        while time.monotonic() - t0 < timeout + 3:
            try:
                sock.sendall(b"a")
            except OSError:  # the server closed the connection
                closed = time.monotonic() - t0
                break
            if _closed_within(sock, 0.1) is not None:
                closed = time.monotonic() - t0
                break
        sock.close()
        assert closed is not None and closed < timeout + 1.5


def _post_raw(port, head, body=b"", **kwargs):
    return _raw(port, b"POST /api/responses HTTP/1.1\r\nHost: 127.0.0.1\r\n" + head + b"\r\n" + body, **kwargs)


def _with_length(body):
    return b"Content-Type: application/json\r\nContent-Length: %d\r\n" % len(body), body


def test_malformed_posts_get_a_one_line_json_error_and_no_traceback(listening_stimuli, tmp_path, capsys):
    manifest = load_manifest(listening_stimuli)
    good = _submission(manifest, "ann")
    answers = json.dumps(good["answers"])
    group = good["group"]
    db = tmp_path / "db.sqlite"
    cases = {
        "non-numeric length": (400, b"Content-Length: abc\r\n", b"{}"),
        "negative length": (400, b"Content-Length: -5\r\n", b"{}"),
        "float length": (400, b"Content-Length: 1e3\r\n", b"{}"),
        "signed length": (400, b"Content-Length: +2\r\n", b"{}"),
        "two lengths": (400, b"Content-Length: 2\r\nContent-Length: 3\r\n", b"{}"),
        "no length": (411, b"", b""),
        "chunked": (411, b"Transfer-Encoding: chunked\r\n", b""),
        "too long": (413, b"Content-Length: 1000000000\r\n", b""),
        "empty": (400, b"Content-Length: 0\r\n", b""),
        "lone surrogate participant": (400, *_with_length(
            f'{{"participant": "\\ud800", "group": "{group}", "answers": {answers}}}'.encode())),
        "lone surrogate group": (400, *_with_length(
            f'{{"participant": "eve", "group": "\\udfff", "answers": {answers}}}'.encode())),
        "control character": (400, *_with_length(
            f'{{"participant": "e\\u0000ve", "group": "{group}", "answers": {answers}}}'.encode())),
        "participant not a string": (400, *_with_length(
            f'{{"participant": {"[" * 50 + "]" * 50}, "group": "{group}", "answers": {answers}}}'.encode())),
        "nested 200,000 deep": (400, *_with_length(b"[" * 200_000 + b"]" * 200_000)),
        "nested 150,000 deep object": (400, *_with_length(b'{"a":' * 150_000 + b"1" + b"}" * 150_000)),
        "invalid UTF-8": (400, *_with_length(b'{"participant": "\xff\xfe"}')),
        "5,000-digit number": (400, *_with_length(b'{"participant": ' + b"9" * 5000 + b"}")),
        "not JSON": (400, *_with_length(b"{not json")),
    }
    with running(listening_stimuli, db, quiet=False) as url:
        port = _port(url)
        for name, (expected, head, body) in cases.items():
            status, headers, reply = _post_raw(port, head, body)
            assert status == expected, (name, status, reply[:200])
            assert headers["content-type"] == "application/json", name
            assert b"\n" not in reply and isinstance(json.loads(reply)["error"], str), name
        # a body shorter than its Content-Length (the client then stops sending)
        status, _, reply = _post_raw(port, b"Content-Length: 100\r\n", b'{"a"', half_close=True)
        assert status == 400 and "shorter" in json.loads(reply)["error"]
        assert json.loads(urllib.request.urlopen(url + "/api/health", timeout=5).read())["submissions"] == 0
        # still serving, and what it acknowledges is stored
        assert _post(url, good) == (201, {"stored": 18})
    err = capsys.readouterr().err
    assert "Traceback" not in err and "Exception" not in err, err[-2000:]
    conn = store.connect(db)
    assert conn.execute("SELECT participant FROM submissions").fetchall() == [("ann",)]
    conn.close()


def test_store_refuses_names_sqlite_cannot_hold(listening_stimuli, tmp_path):
    manifest = load_manifest(listening_stimuli)
    conn = store.connect(tmp_path / "db.sqlite")
    for participant in ("\ud800", "a\x00b", 7, ["x"]):
        with pytest.raises(InputError, match="participant"):
            store.store_submission(conn, _submission(manifest, participant), manifest)
    deep: list = []
    for _ in range(5000):
        deep = [deep]
    with pytest.raises(InputError):
        store.store_submission(conn, {**_submission(manifest, "dee"), "extra": deep}, manifest)
    assert conn.execute("SELECT COUNT(*) FROM answers").fetchone()[0] == 0
    conn.close()


def test_a_clip_reported_as_not_played_to_its_end_is_refused(short_stimuli, tmp_path):
    manifest = load_manifest(short_stimuli)
    clips = [c.clip for c in manifest.groups[0].clips]
    with running(short_stimuli, tmp_path / "db.sqlite") as url:
        sub = {**_submission(manifest, "eve"), "played_to_end": {c: c != clips[1] for c in clips}}
        status, reply = _post(url, sub)
        assert status == 400 and reply["error"] == (
            f"submission: clip {clips[1]} is rated but did not play to its end (played_to_end: reported false); "
            "listen to it to the end, then rate it")
        del sub["played_to_end"][clips[0]]
        sub["played_to_end"][clips[1]] = True
        status, reply = _post(url, sub)
        assert status == 400 and f"clip {clips[0]} is rated but did not play" in reply["error"]
        assert "missing from the report" in reply["error"]
        for report, message in (([True], "must be an object"), ({clips[0]: 1}, "must be true or false"),
                                ({"g02_c1": True}, "names clip 'g02_c1', which is not in group g01")):
            status, reply = _post(url, {**sub, "played_to_end": report})
            assert status == 400 and message in reply["error"], report
        assert json.loads(urllib.request.urlopen(url + "/api/health").read())["submissions"] == 0  # nothing stored
        # every clip played to its end: stored; a client that reports no playback is checked as before
        assert _post(url, {**sub, "played_to_end": dict.fromkeys(clips, True)}) == (201, {"stored": 12})
        assert _post(url, _submission(manifest, "fay")) == (201, {"stored": 12})
    conn = store.connect(tmp_path / "db.sqlite")
    try:
        payload = json.loads(conn.execute("SELECT payload FROM submissions WHERE participant = 'eve'").fetchone()[0])
    finally:
        conn.close()
    assert payload["played_to_end"] == dict.fromkeys(clips, True)  # the report is kept with the answers
