"""French everywhere (issue 11, item 4): every string of the code has its French translation, and every
page, walked in Chromium in French, shows none of a list of English words."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from app.utils.stores.mapping_manager import Mapping
from tests.browser import BrowserSession

ROOT = Path(__file__).resolve().parent.parent
CATALOG = ROOT / "app" / "translations" / "fr" / "LC_MESSAGES" / "messages.po"
#: Whole words that must not appear on a page shown in French (names of services and codes are fine).
ENGLISH = ("every", "never", "Loading", "Settings", "Save", "Delete", "Cancel", "Retry", "Forget", "Search",
           "Dashboard", "failed", "completed", "downloading", "transfer_failed", "import_failed", "broken_link",
           "too_small", "daily", "weekly", "hourly", "disabled", "partial", "Error", "not configured", "reachable",
           "unreachable", "Jobs", "Health", "Backups", "Run now", "Restore", "Download", "Test", "Scan", "Folders",
           "Problem", "Path", "Detail", "Progress", "State", "History", "Speed")  # "release" is French usage too


def _catalog():
    with open(CATALOG, "rb") as handle:
        return read_po(handle, locale="fr")


def test_every_catalog_entry_has_a_french_translation() -> None:
    catalog = _catalog()
    missing = [m.id for m in catalog if m.id and (not m.string or m.fuzzy)]
    assert missing == [], missing
    for message in catalog:
        if message.id and message.python_format:
            wanted = sorted(re.findall(r"%\((\w+)\)", message.id if isinstance(message.id, str) else message.id[0]))
            found = sorted(re.findall(r"%\((\w+)\)", message.string if isinstance(message.string, str)
                                      else message.string[0]))
            assert wanted == found, (message.id, message.string)


def test_every_string_of_the_code_is_in_the_catalog(tmp_path: Path) -> None:
    pot = tmp_path / "messages.pot"
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "app/translations/babel.cfg",
                    "-k", "N_", "-o", str(pot), "."], cwd=ROOT, check=True, capture_output=True, timeout=120)
    with open(pot, "rb") as handle:
        extracted = {m.id for m in read_po(handle) if m.id}
    translated = {m.id for m in _catalog() if m.id}
    assert sorted(str(i) for i in extracted - translated) == []


@pytest.mark.browser
def test_every_page_in_french_shows_no_english_word(browser: BrowserSession) -> None:
    mms = browser.app.extensions["mms"]
    mms.mapping.add("AA" * 20, "Film.2020.MULTi.1080p", Mapping("movie", "Film", 2020, tmdb_id=1))
    mms.mapping.transition("AA" * 20, "transfer_failed", "connexion coupée", seedbox_path="/downloads/Film")
    mms.job_runs.finish("backup", mms.job_runs.start("backup", "manual"), status="ok", duration_s=0.1, result="x")
    browser.login()
    page = browser.page
    skipped = ("/healthz", "/plex/image", "/login", "/setup")
    prefixes = ("/api", "/static", "/bootstrap")
    pages = sorted({r.rule for r in browser.app.url_map.iter_rules()
                    if "GET" in r.methods and not r.arguments and not r.rule.startswith(prefixes)
                    and r.rule not in skipped} | {"/no-such-page"})
    found: dict[str, list[str]] = {}
    for path in pages:
        page.goto(browser.url + path)
        page.wait_for_load_state("networkidle")
        text = page.evaluate("document.body.innerText")
        hits = sorted({word for word in ENGLISH if re.search(rf"(?<![\w_]){re.escape(word)}(?![\w_])", text)})
        if hits:
            found[path] = hits
    assert found == {}
