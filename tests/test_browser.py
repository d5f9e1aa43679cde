"""The theme in a real headless Chromium (Debian's package, driven by Playwright).

Checks what a reader sees: the colour scheme follows the system, narrow phones
get no horizontal scrolling, the stylesheet loads under the strict CSP, and the
skip link is the first thing the keyboard reaches.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers import CHROMIUM, NO_CHROMIUM

ROOT = Path(__file__).resolve().parent.parent
PAGES = ("", "issues/2020-08/", "items/miit-standardisation-key-points-2020/")

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason=NO_CHROMIUM)


@pytest.fixture(scope="module")
def site_url(sample_site_url):
    return sample_site_url


def luminance(css_rgb: str) -> float:
    red, green, blue = (int(part) for part in css_rgb[css_rgb.index("(") + 1 : -1].split(",")[:3])
    return (0.2126 * red + 0.7152 * green + 0.0722 * blue) / 255


@pytest.mark.parametrize(("scheme", "dark"), [("dark", True), ("light", False)])
def test_colour_scheme_follows_the_system(browser, site_url, scheme, dark):
    page = browser.new_page(color_scheme=scheme)
    page.goto(site_url + PAGES[2])
    background = luminance(page.evaluate("getComputedStyle(document.body).backgroundColor"))
    text = luminance(page.evaluate("getComputedStyle(document.body).color"))
    assert (background < 0.2) is dark and (text > 0.8) is dark
    assert abs(background - text) > 0.6  # readable contrast either way
    page.close()


@pytest.mark.parametrize("path", PAGES)
def test_phone_width_has_no_horizontal_scroll(browser, site_url, path):
    page = browser.new_page(viewport={"width": 360, "height": 740})
    page.goto(site_url + path)
    width, viewport = page.evaluate("[document.documentElement.scrollWidth, innerWidth]")
    assert width <= viewport
    page.close()


def test_stylesheet_loads_under_the_csp_without_violations(browser, site_url):
    page = browser.new_page()
    messages = []
    page.on("console", lambda message: messages.append(message.text))
    page.goto(site_url + PAGES[0])
    rules = page.evaluate("[...document.styleSheets].reduce((n, s) => n + s.cssRules.length, 0)")
    assert rules > 50
    assert not [m for m in messages if "Content Security Policy" in m]
    page.close()


def test_tab_reaches_the_skip_link_first_and_it_targets_main(browser, site_url):
    page = browser.new_page()
    page.goto(site_url + PAGES[2])
    page.keyboard.press("Tab")
    focused = page.evaluate("[document.activeElement.className, document.activeElement.hash]")
    assert focused == ["skip-link", "#main"]
    assert page.evaluate("document.getElementById('main').tagName") == "MAIN"
    page.close()


def test_tag_index_sorts_by_count_and_back_without_leaving_the_page(browser, site_url):
    page = browser.new_page()
    page.goto(site_url + "tags/")
    first_list = "document.querySelector('[data-sortable]')"
    names = f"[...{first_list}.children].map(li => li.dataset.name)"
    counts = f"[...{first_list}.children].map(li => Number(li.dataset.count))"
    by_name = page.evaluate(names)
    assert by_name == sorted(by_name)
    page.click("button[data-sort=count]")
    assert page.evaluate(counts) == sorted(page.evaluate(counts), reverse=True)
    assert page.get_attribute("button[data-sort=count]", "aria-pressed") == "true"
    page.click("button[data-sort=name]")
    assert page.evaluate(names) == by_name
    assert page.url == site_url + "tags/"
    page.close()


def test_tag_index_without_javascript_is_sorted_by_name_and_hides_the_buttons(browser, site_url):
    page = browser.new_page(java_script_enabled=False)
    page.goto(site_url + "tags/")
    assert not page.is_visible(".sort-controls")
    lists = page.eval_on_selector_all(
        "[data-sortable]", "lists => lists.map(l => [...l.children].map(r => r.dataset.name))"
    )
    page.close()
    assert len(lists) >= 5
    assert all(names == sorted(names) for names in lists)
