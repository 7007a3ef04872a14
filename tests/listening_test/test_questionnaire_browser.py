"""The questionnaire in a real headless browser (Debian's chromium + chromedriver, Selenium).

From file:// (no server): play, rate, read the exported CSV. Served by
``listening-test serve``: play, rate, submit, export, and run ``stats`` on the export.
"""

from __future__ import annotations

import shutil
import threading
import time
import urllib.request

import pytest

from nlc.cli import main
from nlc.listening_test.manifest import load_manifest
from nlc.listening_test.responses import read_csv, validate, with_systems
from nlc.listening_test.server import make_server

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(CHROMIUM is None or CHROMEDRIVER is None,
                       reason="needs Debian's chromium and chromium-driver (apt-get install chromium chromium-driver)"),
]
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--no-first-run", "--mute-audio",
                  "--autoplay-policy=no-user-gesture-required", "--allow-file-access-from-files")


@pytest.fixture(scope="module")
def driver():
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    options = Options()
    options.binary_location = CHROMIUM
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    browser = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    browser.set_page_load_timeout(30)
    yield browser
    browser.quit()


def _take_test(driver, ratings_of):
    """Play every clip, then rate clip k on question q with ratings_of(k, q)."""
    from selenium.webdriver.common.by import By

    cards = driver.find_elements(By.CSS_SELECTOR, "section.clip")
    assert cards and all(i.get_attribute("disabled") for i in cards[0].find_elements(By.TAG_NAME, "input"))
    assert driver.find_element(By.ID, "download").get_attribute("disabled")
    for button in driver.find_elements(By.CSS_SELECTOR, "button.play"):
        button.click()
    deadline = time.time() + 10
    while time.time() < deadline and driver.execute_script(
            "return Array.from(document.querySelectorAll('audio')).some(a => a.currentTime === 0)"):
        time.sleep(0.1)
    assert driver.execute_script("return Array.from(document.querySelectorAll('audio')).every(a => a.currentTime > 0)")
    for k, card in enumerate(cards):
        for q, row in enumerate(card.find_elements(By.CSS_SELECTOR, "fieldset.question")):
            row.find_elements(By.TAG_NAME, "input")[ratings_of(k, q) - 1].click()
    assert "All answered" in driver.find_element(By.ID, "status").text
    return [card.get_attribute("data-clip") for card in cards]


def test_offline_page_exports_the_csv_stats_reads(driver, listening_stimuli):
    from selenium.webdriver.common.by import By

    manifest = load_manifest(listening_stimuli)
    page = (listening_stimuli / "questionnaire" / "index.html").as_uri()
    orders = set()
    for i in range(6):  # clip order is random per participant
        driver.get(f"{page}?group=g01&participant=order{i}")
        orders.add(tuple(c.get_attribute("data-clip") for c in driver.find_elements(By.CSS_SELECTOR, "section.clip")))
    assert len(orders) > 1
    driver.get(f"{page}?group=g01&participant=offline")
    order = _take_test(driver, lambda k, q: 1 + (k + q) % 5)
    assert driver.find_element(By.ID, "submit").get_attribute("disabled")  # no server behind file://
    # blind: what the page knows and exports names clips, never a system
    known = driver.execute_script("return JSON.stringify(window.NLC_STIMULI) + document.documentElement.outerHTML")
    text = driver.execute_script("return document.getElementById('csv').value")
    assert not any(system in known or system in text for system in manifest.systems)
    assert text.splitlines()[0] == "participant,group,source_type,clip,question,rating"
    path = listening_stimuli.parent / "offline.csv"
    path.write_text(text)
    responses = validate(with_systems(read_csv(path), manifest, source=str(path)), source=str(path),
                         systems=manifest.systems)
    assert len(responses.data) == 3 * 6 and responses.incomplete == {}
    systems = {c.clip: c.system for c in manifest.groups[0].clips}
    first = responses.data[responses.data["system"] == systems[order[0]]]
    assert first["rating"].tolist() == [1 + q % 5 for q in range(6)]


def test_served_page_submits_and_stats_reads_the_export(driver, listening_stimuli, tmp_path, capsys):
    from selenium.webdriver.common.by import By

    server = make_server(listening_stimuli, tmp_path / "db.sqlite", port=0, quiet=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        for participant, offset in (("web1", 0), ("web2", 2), ("web3", 1)):
            driver.get(f"{url}/questionnaire/index.html?group=g01&participant={participant}")
            _take_test(driver, lambda k, q, o=offset: 1 + (k * 2 + q + o) % 5)
            driver.find_element(By.ID, "submit").click()
            deadline = time.time() + 10
            while time.time() < deadline and "stored" not in driver.find_element(By.ID, "status").text:
                time.sleep(0.1)
            assert "Your answers are stored (18 ratings)" in driver.find_element(By.ID, "status").text
        exported = urllib.request.urlopen(url + "/api/export.csv").read().decode()
    finally:
        server.shutdown()
        server.server_close()
    csv_path = tmp_path / "export.csv"
    csv_path.write_text(exported)
    assert read_csv(csv_path)["participant"].nunique() == 3
    assert main(["stats", str(csv_path), "--manifest", str(listening_stimuli), "--json", str(tmp_path / "r.json")]) == 0
    out = capsys.readouterr().out
    assert "3 participant(s), 1 group(s), 54 answers" in out
