"""Every page type in a real headless Chromium, checked by axe-core, at desktop and phone widths.

axe-core (pinned in theme/vendor/package.json as a dev dependency; ``python3
dev.py test`` installs it with npm) runs inside the page with its default rules
plus ``target-size`` (WCAG 2.2: touch targets of at least 24 × 24 px), at
1280 × 800 and 390 × 844, in the light and the dark colour scheme. The pages'
Content-Security-Policy forbids inline scripts, so the browser context bypasses
it to inject axe (``bypass_csp``); the pages themselves are unchanged.

The layout checks at 390 × 844 assert positions, not pixels: an item's body and
the first search result start above y = 500 (issue 17), and nothing scrolls
sideways. The print check emulates print media in the dark colour scheme and
measures the contrast of the body text against the paper.
"""

from __future__ import annotations

import json
from contextlib import contextmanager
from pathlib import Path

import pytest

from helpers import CHROMIUM, NO_CHROMIUM

ROOT = Path(__file__).resolve().parent.parent
AXE = ROOT / "theme" / "vendor" / "node_modules" / "axe-core" / "axe.min.js"
NO_AXE = "axe-core is not installed (python3 dev.py test installs it with npm)"

ITEM = "items/miit-standardisation-key-points-2020/"
# One page of each type the sample archive makes (path under the base URL).
PAGE_TYPES = {
    "home": "",
    "issues": "issues/",
    "issue": "issues/2020-08/",
    "item": ITEM,
    "tags": "tags/",
    "tag": "tags/5g/",
    "tag group": "tags/group/conformity/",
    "sections": "sections/",
    "section": "sections/ict/",
    "archive": "archive/",
    "archive year": "archive/2020/",
    "archive month": "archive/2020/08/",
    "events": "events/",
    "glossary": "glossary/",
    "search": "search/",
    "search results": "search/?q=standard",
    "standards": "standards/",
    "standard": "standards/gb-t-35273/",
    "committees": "committees/",
    "committee": "committees/sac-tc28-sc42/",
    "not found": "404.html",
}
WIDTHS = {"desktop": (1280, 800), "phone": (390, 844)}

pytestmark = [
    pytest.mark.skipif(CHROMIUM is None, reason=NO_CHROMIUM),
    pytest.mark.skipif(not AXE.is_file(), reason=NO_AXE),
]


@pytest.fixture(scope="module")
def site_url(sample_site_url):
    return sample_site_url


@contextmanager
def open_page(browser, url: str, width: str, scheme: str):
    """A page at ``url`` in a context of its own (viewport, colour scheme), closed after."""
    viewport = dict(zip(("width", "height"), WIDTHS[width], strict=True))
    context = browser.new_context(viewport=viewport, color_scheme=scheme, bypass_csp=True)
    try:
        page = context.new_page()
        page.goto(url)
        page.wait_for_load_state("load")
        yield page
    finally:
        context.close()


def wait_for_results(page) -> None:
    page.locator("#search-results li, .search-results li").first.wait_for(timeout=30_000)


def axe_violations(page) -> list[dict]:
    page.add_script_tag(content=AXE.read_text(encoding="utf-8"))
    result = page.evaluate(
        """async () => {
          const result = await axe.run(document, {rules: {"target-size": {enabled: true}}});
          return result.violations.map(v => ({
            id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.slice(0, 5).map(n => n.target.join(" ") + " :: " + n.failureSummary),
          }));
        }"""
    )
    return result


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width", list(WIDTHS))
@pytest.mark.parametrize("kind", list(PAGE_TYPES))
def test_axe_finds_no_violation(browser, site_url, kind, width, scheme):
    with open_page(browser, site_url + PAGE_TYPES[kind], width, scheme) as page:
        if kind == "search results":
            wait_for_results(page)
        violations = axe_violations(page)
        assert not violations, json.dumps(violations, indent=1)


# --------------------------------------------------------------------------- phones


def top_of(page, selector: str) -> float:
    script = f"document.querySelector({json.dumps(selector)}).getBoundingClientRect().top"
    return page.evaluate(script)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_on_a_phone_an_items_body_starts_high(browser, site_url, scheme):
    with open_page(browser, site_url + ITEM, "phone", scheme) as page:
        assert top_of(page, "article .prose") < 500
        assert top_of(page, ".site-nav") < 60  # the header is two short lines
        nav = page.evaluate("document.querySelector('.site-nav ul').getBoundingClientRect().height")
        assert nav < 50  # one line of navigation, which scrolls sideways
        assert page.locator(".site-search").is_hidden()  # the box gives way to a link
        icon = page.locator(".search-icon")
        assert icon.is_visible() and icon.get_attribute("href").endswith("/search/")
        box = icon.bounding_box()
        assert box["width"] >= 24 and box["height"] >= 24


def test_on_a_phone_the_first_search_result_starts_high_and_filters_fold(browser, site_url):
    with open_page(browser, site_url + "search/?q=standard", "phone", "light") as page:
        wait_for_results(page)
        assert top_of(page, "#search-results li") < 500
        toggle = page.locator("[data-search-filter-toggle]")
        toggle.wait_for()
        facets = page.locator("[data-search-facets]")
        assert facets.is_hidden() and toggle.get_attribute("aria-expanded") == "false"
        toggle.click()
        assert facets.is_visible() and toggle.get_attribute("aria-expanded") == "true"
        facets.locator("button[data-facet]").first.click()
        page.locator("[data-search-filter-toggle]:has-text('1 chosen')").wait_for()


def test_on_a_desktop_filters_show_without_a_toggle(browser, site_url):
    with open_page(browser, site_url + "search/?q=standard", "desktop", "light") as page:
        wait_for_results(page)
        page.locator("[data-search-facets] button").first.wait_for()
        assert page.locator("[data-search-filter-toggle]").is_hidden()


def test_on_a_phone_the_archive_is_a_list_of_months(browser, site_url):
    with open_page(browser, site_url + "archive/", "phone", "light") as page:
        assert page.locator(".archive-grid").is_hidden()
        links = page.locator(".archive-compact a")
        table = page.evaluate(
            "[...document.querySelectorAll('.archive-grid a')].map(a => a.href).sort()"
        )
        shown = sorted(links.evaluate_all("links => links.map(a => a.href)"))
        assert shown == table and len(shown) > 10
        width = page.evaluate("[document.documentElement.scrollWidth, innerWidth]")
        assert width[0] <= width[1]


@pytest.mark.parametrize("kind", list(PAGE_TYPES))
def test_no_page_scrolls_sideways_on_a_phone(browser, site_url, kind):
    with open_page(browser, site_url + PAGE_TYPES[kind], "phone", "dark") as page:
        width, viewport = page.evaluate("[document.documentElement.scrollWidth, innerWidth]")
        assert width <= viewport


def test_the_header_box_is_a_combobox(browser, site_url):
    with open_page(browser, site_url + ITEM, "desktop", "light") as page:
        box = page.locator("form.site-search input[name=q]")
        assert box.get_attribute("role") == "combobox"
        assert box.get_attribute("aria-expanded") == "false"
        box.click()
        box.fill("standard")
        page.locator(".search-popup:not([hidden]) .search-result").first.wait_for()
        assert box.get_attribute("aria-expanded") == "true"
        popup = page.locator("#" + box.get_attribute("aria-controls"))
        assert popup.get_attribute("role") == "dialog"
        box.press("Escape")
        assert box.get_attribute("aria-expanded") == "false"
        assert page.locator(".search-popup").is_hidden()


# --------------------------------------------------------------------------- print


def contrast(first: str, second: str) -> float:
    """WCAG 2 contrast ratio of two CSS ``rgb()``/``rgba()`` colours."""

    def luminance(css: str) -> float:
        parts = css[css.index("(") + 1 : -1].replace("/", ",").split(",")
        channels = []
        for part in parts[:3]:
            value = float(part) / 255
            channels.append(value / 12.92 if value <= 0.03928 else ((value + 0.055) / 1.055) ** 2.4)
        red, green, blue = channels
        return 0.2126 * red + 0.7152 * green + 0.0722 * blue

    light, dark = sorted((luminance(first), luminance(second)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


PRINTED = "items/state-council-integrated-circuit-software-policies/"  # it has a source
TEXT_SELECTORS = ("body", "h1", ".prose p", ".meta", ".kicker", ".prose a", ".sources a", ".tag")


@pytest.mark.parametrize("scheme", ["dark", "light"])
def test_a_printed_item_is_dark_on_white_with_its_address(browser, site_url, scheme):
    with open_page(browser, site_url + PRINTED, "desktop", scheme) as page:
        page.emulate_media(media="print", color_scheme=scheme)
        paper = page.evaluate("getComputedStyle(document.body).backgroundColor")
        assert contrast(paper, "rgb(255, 255, 255)") == pytest.approx(1.0)
        for selector in TEXT_SELECTORS:
            if not page.locator(selector).count():
                continue
            colour = page.evaluate(
                f"getComputedStyle(document.querySelector({json.dumps(selector)})).color"
            )
            assert contrast(colour, paper) >= 7, (selector, colour)
        for hidden in (".site-header", ".site-nav", ".site-search", ".skip-link"):
            assert page.locator(hidden).first.is_hidden(), hidden
        footer = page.locator(".site-footer .print-only")
        assert footer.is_visible()
        text = footer.inner_text()
        assert "http://127.0.0.1/repo/" + PRINTED in text  # the page's canonical address
        assert " on " in text  # and the day it was printed (print.js)
        outside = page.locator(".prose a[href^='http'], .sources a[href^='http']")
        assert outside.count(), "the item should link outside (its sources)"
        after = outside.first.evaluate("a => getComputedStyle(a, '::after').content")
        assert outside.first.get_attribute("href") in after
        heading = page.locator("h2").first.evaluate("h => getComputedStyle(h).breakAfter")
        assert heading == "avoid"


def test_tags_in_search_results_do_not_look_like_links(browser, site_url):
    """A result's tags are plain text (the result's title is the link): no chip, no link colour."""
    with open_page(browser, site_url + "search/?q=standard", "desktop", "light") as page:
        wait_for_results(page)
        tag = page.locator("#search-results .tags span.tag").first
        tag.wait_for()
        style = tag.evaluate(
            "t => [getComputedStyle(t).backgroundColor, getComputedStyle(t).color,"
            " getComputedStyle(document.querySelector('#search-results a')).color]"
        )
        background, colour, link = style
        assert background in ("rgba(0, 0, 0, 0)", "transparent")
        assert colour != link
        chip = page.locator("a.tag").count()  # real tag links elsewhere on the page keep the chip
        assert chip == 0 or page.locator("a.tag").first.evaluate(
            "t => getComputedStyle(t).backgroundColor"
        ) not in ("rgba(0, 0, 0, 0)", "transparent")
