"""The collecting server and its SQLite store, over real HTTP on 127.0.0.1."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from contextlib import contextmanager

import pytest

from nlc.cli import main
from nlc.errors import InputError
from nlc.listening_test import store
from nlc.listening_test.manifest import load_manifest
from nlc.listening_test.responses import read_csv, validate
from nlc.listening_test.schema import QUESTIONS
from nlc.listening_test.server import make_server


@contextmanager
def running(stimuli, db):
    server = make_server(stimuli, db, port=0, quiet=True)
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
        assert err.value.code == 403
        assert json.loads(urllib.request.urlopen(url + "/api/health").read()) == {"ok": True, "submissions": 1}
    # the server is gone; a new one on the same database still has the answer
    with running(listening_stimuli, db) as url:
        assert _post(url, _submission(manifest, "cy", group_index=len(manifest.groups) - 1, rating=2))[0] == 201
        exported = urllib.request.urlopen(url + "/api/export.csv").read().decode()
    assert main(["listening-test", "export", "--db", str(db), "--out", str(tmp_path / "r.csv")]) == 0
    assert (tmp_path / "r.csv").read_text() == exported
    responses = validate(read_csv(tmp_path / "r.csv"), source="r.csv", systems=manifest.systems)
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
