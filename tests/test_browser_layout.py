"""Layout (issue 11, item 7): the navigation fits in one bar at 1,400 px and folds into a menu at 390 px;
no page is wider than the screen at 390 px (tables scroll inside themselves)."""

from __future__ import annotations

import pytest

from tests.browser import BrowserSession

pytestmark = pytest.mark.browser


def test_navigation_fits_and_no_page_is_wider_than_the_screen(browser: BrowserSession) -> None:
    browser.login()
    page = browser.page
    page.set_viewport_size({"width": 1400, "height": 900})
    page.goto(browser.url + "/")
    bar = page.locator("nav.mms-navbar")
    assert bar.bounding_box()["height"] < 80  # one line
    page.click("a[data-nav-group='system']")
    page.click("a[data-nav='core.health']")
    page.wait_for_url("**/health")
    assert page.locator("a[data-nav-group='system'].active").count() == 1
    browser.screenshot("layout-nav-1400")
    page.set_viewport_size({"width": 390, "height": 900})
    skipped = ("/healthz", "/plex/image", "/img/remote", "/login", "/setup")
    pages = sorted({r.rule for r in browser.app.url_map.iter_rules()
                    if "GET" in r.methods and not r.arguments and not r.rule.startswith(("/api", "/static"))
                    and not r.rule.startswith("/bootstrap") and r.rule not in skipped})
    too_wide = {}
    for path in pages:
        page.goto(browser.url + path)
        page.wait_for_load_state("networkidle")
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > 390:
            too_wide[path] = width
    assert too_wide == {}
    page.goto(browser.url + "/")
    assert page.locator("a[data-nav='search.index']").is_visible() is False  # folded
    page.click("button.navbar-toggler")
    page.locator("a[data-nav='search.index']").wait_for(state="visible")
    browser.screenshot("layout-nav-390")
    browser.assert_clean(allowed_statuses={502})
