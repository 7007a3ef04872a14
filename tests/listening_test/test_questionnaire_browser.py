"""The questionnaire in a real headless browser (Debian's chromium + chromedriver, Selenium).

On ``short_stimuli`` (1 s synthetic clips, so playback ends fast; Chromium runs with
``--autoplay-policy=no-user-gesture-required`` and ``--mute-audio``): one play control per
clip, laid out apart from the ratings (bounding boxes); ratings locked until the clip has
played to its end; from file:// (no server) play, rate and read the exported CSV; served by
``listening-test serve`` play, rate, submit (with the playback report), export, and run
``stats`` on the export.

Skipped only where chromium itself is absent; chromium without its driver is a failure that
says what to install (``scripts/install-system-deps.sh`` installs both).
"""

from __future__ import annotations

import json
import os
import shutil
import threading
import time
import urllib.request

import pytest

from nlc.cli import main
from nlc.listening_test import store
from nlc.listening_test.manifest import load_manifest
from nlc.listening_test.responses import read_csv, validate, with_systems
from nlc.listening_test.server import make_server

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (Debian: apt-get install chromium "
                                                "chromium-driver, or run scripts/install-system-deps.sh)"),
]
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--no-first-run", "--mute-audio",
                  "--autoplay-policy=no-user-gesture-required", "--allow-file-access-from-files",
                  "--window-size=1280,900")
PLAY_TIMEOUT_S = 8.0
"""Longest wait for a 1 s clip to play to its end."""

# The page's layout as the test sees it: per clip card, the play controls and the rating boxes.
LAYOUT_JS = """
const box = e => { const r = e.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; };
return Array.from(document.querySelectorAll('section.clip')).map(card => {
  const play = card.querySelector('button.play');
  play.scrollIntoView({block: 'center'});  // elementFromPoint sees the viewport only
  const [l, t, r, b] = box(play);
  const hit = document.elementFromPoint((l + r) / 2, (t + b) / 2);
  return {
    clip: card.dataset.clip,
    buttons: Array.from(card.querySelectorAll('button')).map(b => b.textContent),
    audioControls: Array.from(card.querySelectorAll('audio, video')).filter(a => a.controls).length,
    visibleAudio: Array.from(card.querySelectorAll('audio')).filter(a => a.getBoundingClientRect().height > 0).length,
    play: box(play),
    player: box(card.querySelector('.player')),
    ratings: box(card.querySelector('.ratings')),
    rows: Array.from(card.querySelectorAll('fieldset.question')).map(box),
    labels: Array.from(card.querySelectorAll('fieldset.question label')).map(box),
    playOnTop: hit !== null && play.contains(hit),
  };
});
"""


def _overlap(a, b) -> bool:
    """Whether two [left, top, right, bottom] boxes share any area."""
    return min(a[2], b[2]) > max(a[0], b[0]) and min(a[3], b[3]) > max(a[1], b[1])


@pytest.fixture(scope="module")
def driver(tmp_path_factory):
    if CHROMEDRIVER is None:
        pytest.fail("chromium is installed but chromedriver is not: apt-get install chromium-driver "
                    "(scripts/install-system-deps.sh)")
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    options = Options()
    options.binary_location = CHROMIUM
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    scratch = tmp_path_factory.mktemp("chromium")  # profile and singleton socket: never left in /tmp
    options.add_argument(f"--user-data-dir={scratch / 'profile'}")
    service = Service(CHROMEDRIVER, env={**os.environ, "TMPDIR": str(scratch)})
    browser = webdriver.Chrome(options=options, service=service)
    browser.set_page_load_timeout(30)
    yield browser
    browser.quit()


def _inputs_disabled(driver, card: int) -> list[bool]:
    return driver.execute_script(
        "return Array.from(document.querySelectorAll('section.clip')[arguments[0]].querySelectorAll('input'))"
        ".map(i => i.disabled)", card)


def _wait(driver, script: str, *args, timeout: float = PLAY_TIMEOUT_S):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = driver.execute_script(script, *args)
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout} s waiting for: {script}")


def _play_to_end(driver, card: int) -> None:
    """Click the clip's play control and wait for its ``ended`` event."""
    from selenium.webdriver.common.by import By

    driver.find_elements(By.CSS_SELECTOR, "section.clip")[card].find_element(By.CSS_SELECTOR, "button.play").click()
    _wait(driver, "return document.querySelectorAll('section.clip audio')[arguments[0]].ended", card)


def _take_test(driver, ratings_of):
    """Play every clip to its end, then rate clip k on question q with ratings_of(k, q)."""
    from selenium.webdriver.common.by import By

    cards = driver.find_elements(By.CSS_SELECTOR, "section.clip")
    assert cards and all(all(_inputs_disabled(driver, k)) for k in range(len(cards)))
    assert driver.find_element(By.ID, "download").get_attribute("disabled")
    for k in range(len(cards)):
        _play_to_end(driver, k)
    # one call, not 18 WebDriver clicks: HTMLElement.click() checks the radio and fires its change event
    n_questions = len(cards[0].find_elements(By.CSS_SELECTOR, "fieldset.question"))
    ratings = [[ratings_of(k, q) for q in range(n_questions)] for k in range(len(cards))]
    for k in range(len(cards)):
        assert not any(_inputs_disabled(driver, k))
    driver.execute_script("""
        document.querySelectorAll('section.clip').forEach((card, k) =>
          card.querySelectorAll('fieldset.question').forEach((row, q) =>
            row.querySelectorAll('input')[arguments[0][k][q] - 1].click()));""", ratings)
    assert "All answered" in driver.find_element(By.ID, "status").text
    return [card.get_attribute("data-clip") for card in cards]


@pytest.mark.parametrize("width", [1280, 360], ids=["desktop", "phone"])
def test_one_play_control_per_clip_and_nothing_overlaps(driver, short_stimuli, width):
    driver.set_window_size(width, 900)
    try:
        driver.get((short_stimuli / "questionnaire" / "index.html").as_uri() + "?group=g01&participant=layout")
        cards = driver.execute_script(LAYOUT_JS)
    finally:
        driver.set_window_size(1280, 900)
    assert len(cards) == 2
    for card in cards:
        # exactly one play control: our button; the <audio> has no native controls and takes no space
        assert len(card["buttons"]) == 1 and card["buttons"][0].startswith("▶ Play clip"), card["buttons"]
        assert card["audioControls"] == 0 and card["visibleAudio"] == 0
        assert card["playOnTop"], f"{card['clip']}: something is drawn over the play button"
        assert not _overlap(card["player"], card["ratings"]), card
        assert card["player"][3] <= card["ratings"][1]  # the player row sits above the rating table
        for box in card["rows"] + card["labels"]:
            assert not _overlap(card["play"], box), (card["clip"], card["play"], box)
        assert all(r[0] >= 0 and r[2] <= width for r in card["labels"])  # no rating off screen


def test_ratings_unlock_only_when_the_clip_has_played_to_its_end(driver, short_stimuli):
    from selenium.webdriver.common.by import By

    driver.get((short_stimuli / "questionnaire" / "index.html").as_uri() + "?group=g01&participant=unlock")
    # record the state of clip 1's ratings at every playback step before its end
    driver.execute_script("""
        window.__early = []; window.__ticks = 0;
        const card = document.querySelectorAll('section.clip')[0], audio = card.querySelector('audio');
        audio.addEventListener('timeupdate', () => {
          if (audio.ended) return;
          window.__ticks += 1;
          if (Array.from(card.querySelectorAll('input')).some(i => !i.disabled)) window.__early.push(audio.currentTime);
        });""")
    assert all(_inputs_disabled(driver, 0)) and all(_inputs_disabled(driver, 1))
    play = driver.find_elements(By.CSS_SELECTOR, "section.clip")[0].find_element(By.CSS_SELECTOR, "button.play")
    play.click()
    _wait(driver, "return document.querySelectorAll('section.clip audio')[0].currentTime > 0")
    assert all(_inputs_disabled(driver, 0)), "ratings unlocked when playback started"
    play.click()  # the same control pauses
    _wait(driver, "return document.querySelectorAll('section.clip audio')[0].paused")
    assert all(_inputs_disabled(driver, 0)) and play.text.startswith("▶ Play clip 1")
    play.click()  # and resumes, to the end
    _wait(driver, "return document.querySelectorAll('section.clip audio')[0].ended")
    assert not any(_inputs_disabled(driver, 0)), "ratings still locked after the clip ended"
    assert driver.execute_script("return window.__ticks") > 0 and driver.execute_script("return window.__early") == []
    assert all(_inputs_disabled(driver, 1))  # the other clip: still locked
    assert play.text == "▶ Play clip 1 again"
    assert "1 clip(s) still to play to the end" in driver.find_element(By.ID, "status").text
    # one clip at a time: starting clip 2 pauses clip 1 (played again)
    play.click()
    _wait(driver, "return document.querySelectorAll('section.clip audio')[0].currentTime > 0")
    driver.find_elements(By.CSS_SELECTOR, "section.clip")[1].find_element(By.CSS_SELECTOR, "button.play").click()
    _wait(driver, "return document.querySelectorAll('section.clip audio')[1].currentTime > 0")
    assert driver.execute_script("return document.querySelectorAll('section.clip audio')[0].paused")
    assert all(_inputs_disabled(driver, 1)) and not any(_inputs_disabled(driver, 0))  # once ended, stays unlocked


def test_offline_page_exports_the_csv_stats_reads(driver, short_stimuli):
    from selenium.webdriver.common.by import By

    manifest = load_manifest(short_stimuli)
    page = (short_stimuli / "questionnaire" / "index.html").as_uri()
    orders = set()
    for i in range(24):  # clip order is random per participant (Math.random): two clips, so 24 loads
        driver.get(f"{page}?group=g01&participant=order{i}")  # all in one order has probability 2**-23
        orders.add(tuple(c.get_attribute("data-clip") for c in driver.find_elements(By.CSS_SELECTOR, "section.clip")))
        if len(orders) > 1:
            break
    assert len(orders) > 1
    driver.get(f"{page}?group=g01&participant=offline")
    order = _take_test(driver, lambda k, q: 1 + (k + q) % 5)
    assert driver.find_element(By.ID, "submit").get_attribute("disabled")  # no server behind file://
    # blind: what the page knows and exports names clips, never a system
    known = driver.execute_script("return JSON.stringify(window.NLC_STIMULI) + document.documentElement.outerHTML")
    text = driver.execute_script("return document.getElementById('csv').value")
    assert not any(system in known or system in text for system in manifest.systems)
    assert text.splitlines()[0] == "participant,group,source_type,clip,question,rating"
    path = short_stimuli.parent / "offline.csv"
    path.write_text(text)
    responses = validate(with_systems(read_csv(path), manifest, source=str(path)), source=str(path),
                         systems=manifest.systems)
    assert len(responses.data) == 2 * 6 and responses.incomplete == {}
    systems = {c.clip: c.system for c in manifest.groups[0].clips}
    first = responses.data[responses.data["system"] == systems[order[0]]]
    assert first["rating"].tolist() == [1 + q % 5 for q in range(6)]


def test_served_page_submits_and_stats_reads_the_export(driver, short_stimuli, tmp_path, capsys):
    from selenium.webdriver.common.by import By

    db = tmp_path / "db.sqlite"
    server = make_server(short_stimuli, db, port=0, quiet=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        for participant, offset in (("web1", 0), ("web2", 2)):
            driver.get(f"{url}/questionnaire/index.html?group=g01&participant={participant}")
            _take_test(driver, lambda k, q, o=offset: 1 + (k * 2 + q + o) % 5)
            driver.find_element(By.ID, "submit").click()
            _wait(driver, "return document.getElementById('status').textContent.includes('stored')", timeout=10)
            assert "Your answers are stored (12 ratings)" in driver.find_element(By.ID, "status").text
        exported = urllib.request.urlopen(url + "/api/export.csv").read().decode()
    finally:
        server.shutdown()
        server.server_close()
    conn = store.connect(db)
    try:
        payloads = [json.loads(p) for (p,) in conn.execute("SELECT payload FROM submissions")]
    finally:
        conn.close()
    clips = {c.clip for c in load_manifest(short_stimuli).groups[0].clips}
    assert [p["played_to_end"] for p in payloads] == [dict.fromkeys(sorted(clips), True)] * 2
    csv_path = tmp_path / "export.csv"
    csv_path.write_text(exported)
    assert read_csv(csv_path)["participant"].nunique() == 2
    assert main(["stats", str(csv_path), "--manifest", str(short_stimuli), "--json", str(tmp_path / "r.json")]) == 0
    out = capsys.readouterr().out
    assert "2 participant(s), 1 group(s), 24 answers" in out
