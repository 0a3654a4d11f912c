"""Configuration for people (issue 11, item 5): indexers, path mappings, media extensions, score weights
and filter aliases edited as rows (order kept), errors next to the field, the environment variable as a
small help text, a warning before leaving with unsaved changes; at 1,400 and 390 px."""

from __future__ import annotations

import pytest

from tests.browser import BrowserSession

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("width", [1400, 390])
def test_structured_editors_save_rows_in_order(browser: BrowserSession, width: int) -> None:
    mms = browser.app.extensions["mms"]
    mms.settings.save({"torznab_indexers": [{"name": "Ygg", "url": "https://ygg.example", "api_key": "secret-1"}]})
    browser.login()
    page = browser.page
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(browser.url + "/configuration")
    assert page.locator("#s-torznab_indexers").is_hidden()  # no raw JSON
    editor = page.locator("[data-editor-for='s-torznab_indexers']")
    assert editor.locator("input[data-col='name']").input_value() == "Ygg"
    assert editor.locator("input[data-col='api_key']").input_value() == "••••••••"  # masked
    editor.get_by_role("button", name="Ajouter une ligne").click()
    editor.locator("tbody tr").nth(1).locator("input[data-col='name']").fill("Sharewood")
    editor.locator("tbody tr").nth(1).locator("input[data-col='url']").fill("https://sharewood.example")
    editor.locator("tbody tr").nth(1).locator("input[data-col='api_key']").fill("secret-2")
    mappings = page.locator("[data-editor-for='s-health_path_mappings']")
    mappings.get_by_role("button", name="Ajouter une ligne").click()
    mappings.locator("input[data-col='local']").fill("/data/media/Movies")
    mappings.locator("input[data-col='arr']").fill("/movies")
    weights = page.locator("[data-editor-for='s-score_weights']")
    names = weights.locator("input[data-col='name']").evaluate_all("inputs => inputs.map((i) => i.value)")
    weights.locator("input[data-col='points']").nth(names.index("MULTI")).fill("45")
    assert "Variable d'environnement" in page.locator("#group-search").inner_text()
    page.click("#settings-save")
    page.locator(".toast[data-kind='success']").wait_for()
    settings = mms.settings.load()
    assert [(i.name, i.api_key) for i in settings.torznab_indexers] == [("Ygg", "secret-1"), ("Sharewood", "secret-2")]
    assert [(m.local, m.arr) for m in settings.health_path_mappings] == [("/data/media/Movies", "/movies")]
    assert settings.score_weights["audio"]["MULTI"] == 45
    # a bad row: the message sits next to its field
    editor.locator("tbody tr").nth(1).locator("input[data-col='url']").fill("ftp://nope")
    editor.locator("tbody tr").nth(1).locator("input[data-col='api_key']").fill("secret-2")
    page.click("#settings-save")
    error = page.locator("[data-error-for='torznab_indexers']")
    error.wait_for(state="visible")
    assert "http" in error.inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    browser.screenshot(f"configuration-editors-{width}")
    # unsaved changes: leaving asks first (the browser's own "leave the page?" question)
    with page.expect_event("dialog") as asked:
        page.evaluate("setTimeout(() => { window.location.href = '/'; }, 0)")  # returns before the question
    assert asked.value.type == "beforeunload"
    asked.value.dismiss()
    assert page.url.endswith("/configuration")
    browser.assert_clean(allowed_statuses={422})
