"""Search in a real headless Chromium (Debian's package, driven by Playwright), both engines.

Each engine gets a copy of the sample archive with ``[plugins.search]`` and one
extra item whose title, summary and body carry XSS payloads, built under the base
path ``/repo/`` and served by Gazette's own server (which gzips like GitHub Pages).
Pagefind runs twice: with the sample in one index bundle, and split into shards of
at most eight records (``pagefind-shards``), which search.js merges with
``mergeIndex``. Every test fails on a Content Security Policy violation in the
console.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from gazette.model import BuildOptions
from gazette.pipeline import BuildRequest, build_site
from gazette.serve.server import make_server
from helpers import CHROMIUM, NO_CHROMIUM, NOW

ROOT = Path(__file__).resolve().parent.parent
ENGINES = ("pagefind", "lunr", "gazette")
# What a site_url build runs: an engine, and Pagefind split into shards of 8 records.
VARIANTS = {
    "pagefind": "pagefind",
    "pagefind-shards": "pagefind",
    "lunr": "lunr",
    "gazette": "gazette",
}
SMALL_SHARDS = 8
LUNR_JS = ROOT / "theme" / "vendor" / "node_modules" / "lunr" / "lunr.min.js"
MISSING = [name for name in ("pagefind", "lunr") if importlib.util.find_spec(name) is None]
MISSING += [] if LUNR_JS.is_file() else ["lunr.js (python3 dev.py installs it)"]

pytestmark = [
    pytest.mark.skipif(CHROMIUM is None, reason=NO_CHROMIUM),
    pytest.mark.skipif(
        bool(MISSING) and not os.environ.get("CI"), reason=f"not installed: {', '.join(MISSING)}"
    ),
]

XSS_ITEM = """\
---
title: '<img src=x onerror="window.__xss=1">Xylophone payload'
date: 2020-08-21
issue: "2020-08"
section: ict
tags: ["5G"]
summary: '<script>window.__xss=2</script> Xylophone summary'
---

Xylophone body `<img src=y onerror="window.__xss=3">` and `<script>window.__xss=4</script>`.
"""
XSS_TITLE = '<img src=x onerror="window.__xss=1">Xylophone payload'
ZTE_ITEMS = {
    "ITU-T publishes first IoT blockchain standard, Y.4464",
    "First batch of ITU-T IoT blockchain standards led by China Unicom and ZTE",
}
GREEN_PACKAGING = (
    "Eight departments issue guidance on green packaging standards for express delivery"
)
TC260_ITEMS = {
    "Cybersecurity Standards Forum held during China Cybersecurity Week in Zhengzhou",
}
POPUP_RESULTS = ".search-popup:not([hidden]) .search-result"
PAGE_RESULTS = "[data-search-results] .search-result"


def build_archive(folder: Path, engine: str, base: str, shard_records: int = 0) -> Path:
    shutil.copytree(ROOT / "content", folder / "content")
    (folder / "content" / "items" / "2020-08" / "xss-payload.md").write_text(XSS_ITEM)
    config = (ROOT / "site.toml").read_text(encoding="utf-8")
    table = "[plugins.search]"
    assert table in config, "the sample site.toml enables search"
    engine_line = f'{table}\nengine = "{engine}"\n'
    if shard_records:
        engine_line += f"shard_records = {shard_records}\n"
    (folder / "site.toml").write_text(config.replace(table, engine_line, 1), encoding="utf-8")
    output = folder / "site"
    options = BuildOptions(now=NOW)
    build_site(BuildRequest(folder, options, output, f"http://127.0.0.1{base}", use_cache=False))
    return output


@contextmanager
def serve(output: Path, base: str) -> Iterator[str]:
    server, broadcaster = make_server(output, base, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.url
    broadcaster.close()
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module", params=list(VARIANTS))
def site_url(request, tmp_path_factory):
    shards = SMALL_SHARDS if request.param == "pagefind-shards" else 0
    folder = tmp_path_factory.mktemp(request.param)
    output = build_archive(folder, VARIANTS[request.param], "/repo/", shards)
    if shards:
        assert len(json.loads((output / "pagefind/gazette-shards.json").read_text())["bundles"]) > 4
    with serve(output, "/repo/") as url:
        yield url


@pytest.fixture
def page(browser):
    page = browser.new_page()
    messages: list[str] = []
    page.on("console", lambda message: messages.append(message.text))
    page.on("pageerror", lambda exc: messages.append(f"page error: {exc}"))
    yield page
    page.close()
    assert not [m for m in messages if "Content Security Policy" in m or "page error" in m]


def expect(target):
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(target)


def titles(page, selector: str) -> list[str]:
    return page.eval_on_selector_all(
        f"{selector} .search-result-title", "nodes => nodes.map(n => n.textContent)"
    )


def search_page(page, site_url: str, query: str) -> list[str]:
    page.goto(site_url + "search/?q=" + query)
    page.wait_for_selector(PAGE_RESULTS)
    return titles(page, "[data-search-results]")


def header_search(page, site_url: str, query: str, path: str = "") -> list[str]:
    """Type ``query`` into the header box; the titles the popup shows for all of it.

    Waits for search.js's event for the whole query, not for the first results:
    under load those can be an earlier keystroke's ("blockch").
    """
    page.goto(site_url + path)
    page.evaluate(SEARCHED, [None])  # keep every search shown from here
    page.keyboard.press("/")
    page.keyboard.type(query)
    page.evaluate(SEARCHED, [query])
    page.wait_for_selector(POPUP_RESULTS)
    return titles(page, ".search-popup")


def test_nothing_of_search_loads_until_the_box_is_focused(page, site_url):
    fetched: list[str] = []
    page.on("request", lambda request: fetched.append(request.url))
    page.goto(site_url + "issues/")
    page.wait_for_load_state("networkidle")
    engine_files = re.compile(r"/pagefind/|/search/lunr|/search/gazette/|/search\.js")
    assert not [url for url in fetched if engine_files.search(url)]
    assert [url for url in fetched if "/search-boot." in url]  # a few hundred bytes
    page.keyboard.press("/")
    assert page.evaluate("document.activeElement.name") == "q"
    page.wait_for_load_state("networkidle")
    assert [url for url in fetched if engine_files.search(url)]


@pytest.fixture
def sharded(request) -> bool:
    """Whether this test runs against Pagefind in shards of eight records.

    Each shard ranks by its own word statistics (BM25 per bundle), which eight
    records estimate poorly, so tests of ranking check that the expected items
    are found, not their exact places (test_search_shards.py compares rankings).
    """
    return request.node.callspec.params.get("site_url") == "pagefind-shards"


def test_the_header_box_finds_known_words_as_you_type(page, site_url, sharded):
    found = header_search(page, site_url, "blockchain")
    assert set(found) >= ZTE_ITEMS if sharded else set(found[:2]) == ZTE_ITEMS
    popup = page.locator(".search-popup")
    expect(popup.locator("mark").first).to_have_text(re.compile("blockchain", re.I))
    expect(popup.locator(".tag").first).to_have_text("#IoT")
    expect(popup.locator("time").first).to_have_attribute("datetime", re.compile(r"^20\d\d-"))
    expect(page.locator(".site-search [role=status]")).to_contain_text("results")


def test_an_alias_finds_items_with_the_canonical_tag(page, site_url):
    search_page(page, site_url, "Standardization")
    first = page.locator(PAGE_RESULTS).first
    expect(first.locator(".tag", has_text="#Standardisation")).to_have_count(1)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("Zhongxing", ZTE_ITEMS),  # the items write only "ZTE"
        ("MOHURD", {GREEN_PACKAGING}),  # the item writes the Ministry's name in full
    ],
)
def test_a_glossary_synonym_finds_items_that_use_the_other_form(page, site_url, query, expected):
    assert set(search_page(page, site_url, query)) == expected


def test_a_facet_filters_results_keeps_counts_and_lives_in_the_url(page, site_url):
    search_page(page, site_url, "standards")
    all_count = int(page.inner_text("[data-search-status]").split()[0])
    year = page.locator("button[data-facet=year][data-value='2021']")
    expected = int(year.locator(".count").inner_text())
    assert 0 < expected < all_count
    year.click()
    expect(page.locator("[data-search-status]")).to_have_text(f"{expected} results for standards.")
    expect(year).to_have_attribute("aria-pressed", "true")
    assert "year=2021" in page.url
    dates = page.eval_on_selector_all(f"{PAGE_RESULTS} time", "ts => ts.map(t => t.dateTime)")
    assert dates and all(d.startswith("2021-") for d in dates)
    page.go_back()
    expect(page.locator("[data-search-status]")).to_have_text(f"{all_count} results for standards.")
    assert "year=" not in page.url


def test_standards_are_tokens_and_a_facet(page, site_url):
    # The items write "TC260"; the canonical "SAC/TC 260" finds them too, and the
    # "Standard" facet filters by it.
    written = set(search_page(page, site_url, "TC260"))
    assert written >= TC260_ITEMS
    assert set(search_page(page, site_url, "SAC%2FTC%20260")) >= TC260_ITEMS
    facet = page.locator("button[data-facet=standard][data-value='SAC/TC 260']")
    count = int(facet.locator(".count").inner_text())
    assert count >= len(TC260_ITEMS)
    facet.click()
    expect(facet).to_have_attribute("aria-pressed", "true")
    assert "standard=SAC" in page.url
    expect(page.locator(PAGE_RESULTS)).to_have_count(count)


def test_large_result_sets_are_checked_a_batch_at_a_time(browser, site_url):
    # As on a large archive: candidates are checked ten at a time, the count says
    # "or more" until all are, and "More results" checks on, without repeats.
    full = browser.new_page()
    search_page(full, site_url, "standards")
    expected = int(full.inner_text("[data-search-status]").split()[0])
    full.close()
    page = browser.new_page()
    page.add_init_script("window.GAZETTE_SEARCH = {checkAllUnder: 5};")
    search_page(page, site_url, "standards")
    if page.locator("[data-search-engine]").first.get_attribute("data-search-engine") == "pagefind":
        expect(page.locator("[data-search-status]")).to_contain_text("or more")
    more = page.locator("[data-search-more]")
    for _ in range(20):
        if not more.is_visible():
            break
        before = page.locator(PAGE_RESULTS).count()
        more.click()
        page.wait_for_function(
            "n => document.querySelectorAll('[data-search-results] .search-result').length > n"
            " || document.querySelector('[data-search-more]').hidden",
            arg=before,
        )
    expect(page.locator("[data-search-status]")).not_to_contain_text("or more")
    links = page.eval_on_selector_all(f"{PAGE_RESULTS} a.search-link", "as => as.map(a => a.href)")
    assert len(links) == len(set(links)) >= expected
    expect(page.locator("[data-search-status]")).to_contain_text(f"{expected} results")
    page.close()


def test_pagefind_entry_files_carry_the_index_tag_not_the_clock(page, site_url):
    fetched: list[str] = []
    page.on("request", lambda request: fetched.append(request.url))
    header_search(page, site_url, "blockchain")
    if page.get_attribute("form.site-search", "data-search-engine") != "pagefind":
        pytest.skip("Pagefind only")
    tag = json.loads(
        page.evaluate(
            "u => fetch(u).then(r => r.text())", site_url + "pagefind/gazette-shards.json"
        )
    )["tag"]
    entries = [url for url in fetched if "pagefind-entry.json" in url]
    assert entries and all(url.endswith(f"?ts={tag}") for url in entries)


def test_excerpts_stay_inside_one_block_and_mark_only_matches(page, site_url):
    # The item has a heading "Mandatory requirements" right before a paragraph
    # "On the regulatory side, ...": an excerpt never runs one into the other.
    search_page(page, site_url, "regulatory side wireless charging")
    result = page.locator(PAGE_RESULTS, has_text="5G applications, IoT security").first
    text = result.locator(".search-excerpt").inner_text()
    assert "regulatory side" in text and "requirements On" not in text, text
    assert "¶" not in text
    marks = result.locator(".search-excerpt mark").all_inner_texts()
    assert marks and all(
        word.lower().strip(",.") in {"regulatory", "side", "wireless", "charging"} for word in marks
    ), marks


def test_sorting_by_date_puts_the_newest_first(page, site_url):
    search_page(page, site_url, "standards")
    page.select_option("select[name=sort]", "date")
    expect(page).to_have_url(re.compile(r"sort=date"))
    page.wait_for_selector("[data-search-results][aria-busy=false]")
    dates = page.eval_on_selector_all(f"{PAGE_RESULTS} time", "ts => ts.map(t => t.dateTime)")
    assert dates == sorted(dates, reverse=True)


def test_arrow_keys_enter_and_escape_work_in_the_header_box(page, site_url, sharded):
    found = header_search(page, site_url, "blockchain", "tags/")
    page.keyboard.press("ArrowDown")
    assert page.evaluate("document.activeElement.textContent") == found[0]
    page.keyboard.press("ArrowDown")
    assert page.evaluate("document.activeElement.textContent") == found[1]
    page.keyboard.press("ArrowUp")
    page.keyboard.press("ArrowUp")
    assert page.evaluate("document.activeElement.name") == "q"
    page.keyboard.press("Escape")
    expect(page.locator(".search-popup")).to_be_hidden()
    page.keyboard.press("ArrowDown")  # the popup stays closed: nothing to move to
    assert page.evaluate("document.activeElement.name") == "q"
    page.keyboard.press("Backspace")
    page.wait_for_selector(POPUP_RESULTS)
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/repo/items/"))
    assert page.locator("h1").inner_text() in (set(found) if sharded else ZTE_ITEMS)


def test_enter_in_the_header_box_opens_the_search_page_with_facets(page, site_url):
    header_search(page, site_url, "blockchain")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/repo/search/\?q=blockchain$"))
    page.wait_for_selector(PAGE_RESULTS)
    expect(page.locator("button[data-facet=tag][data-value=IoT]")).to_have_count(1)
    page.keyboard.press("/")
    page.keyboard.press("ArrowDown")
    assert page.evaluate("document.activeElement.className") == "search-link"
    page.keyboard.press("Escape")
    assert page.evaluate("document.activeElement.id") == "search-q"


def test_reloading_a_search_url_restores_the_query_and_filters(page, site_url):
    page.goto(site_url + "search/?q=blockchain&tag=IoT")
    page.wait_for_selector(PAGE_RESULTS)
    before = titles(page, "[data-search-results]")
    page.reload()
    page.wait_for_selector(PAGE_RESULTS)
    assert titles(page, "[data-search-results]") == before
    assert page.input_value("#search-q") == "blockchain"
    expect(page.locator("button[data-value=IoT]")).to_have_attribute("aria-pressed", "true")


def test_results_and_engine_files_stay_under_the_base_path(page, site_url):
    fetched: list[str] = []
    page.on("request", lambda request: fetched.append(request.url))
    search_page(page, site_url, "blockchain")
    links = page.eval_on_selector_all(
        f"{PAGE_RESULTS} a.search-link", "links => links.map(a => a.getAttribute('href'))"
    )
    assert links and all(link.startswith("/repo/items/") for link in links)
    assert all("/repo/" in url for url in fetched)
    page.click(f"{PAGE_RESULTS} a.search-link")
    page.wait_for_url(re.compile(r"/repo/items/"))


def test_xss_payloads_in_titles_bodies_and_queries_show_as_text(page, site_url):
    page.goto(site_url + "search/")
    page.fill("#search-q", '<img src=z onerror="window.__xss=5">xylophone')
    page.wait_for_selector(PAGE_RESULTS)
    assert XSS_TITLE in titles(page, "[data-search-results]")
    expect(page.locator("[data-search-status]")).to_contain_text('<img src=z onerror="window.__xss')
    excerpt = page.locator(".search-excerpt").first.inner_text()
    assert '<img src=y onerror="window.__xss=3">' in excerpt
    assert page.locator("main img, main script").count() == 0
    header_search(page, site_url, "xylophone")
    assert page.locator("header img").count() == 0
    assert page.evaluate("typeof window.__xss") == "undefined"


def test_without_javascript_the_search_page_links_to_the_tag_index(browser, site_url):
    page = browser.new_page(java_script_enabled=False)
    page.goto(site_url + "search/?q=blockchain")
    assert page.is_visible("[data-search-nojs] a[href='/repo/tags/']")
    assert not page.is_visible("[data-search-controls]")
    page.close()


@pytest.mark.parametrize("engine", ENGINES)
def test_search_works_at_the_domain_root(browser, tmp_path, engine):
    output = build_archive(tmp_path, engine, "/")
    with serve(output, "/") as url:
        page = browser.new_page()
        assert set(header_search(page, url, "Zhongxing")) == ZTE_ITEMS
        href = page.get_attribute(f"{POPUP_RESULTS} a", "href")
        assert href is not None and href.startswith("/items/")
        page.close()


def test_a_single_letter_waits_for_a_second_one(page, site_url):
    # One letter matches much of a large index, so the UI does not search for it.
    page.goto(site_url + "search/?q=b")
    expect(page.locator("[data-search-status]")).to_have_text("Type at least two characters.")
    assert page.locator(PAGE_RESULTS).count() == 0


def test_a_search_overtaken_by_a_newer_one_never_shows(page, site_url):
    # The records of a first query are held back, so its search is still checking
    # when the reader types another: the newer results stay, and the overtaken
    # search, once its records come, neither replaces them nor reports a failure.
    header_search(page, site_url, "Xylophone")
    if page.get_attribute("form.site-search", "data-search-engine") == "lunr":
        pytest.skip("Pagefind and gazette only: lunr has every record in hand")
    records = re.compile(r"/fragment/|/search/gazette/d/")  # one file per record
    fetched: list[str] = []
    page.on("request", lambda request: fetched.append(request.url))
    page.reload()
    page.keyboard.press("/")
    page.keyboard.type("Xylophone")
    page.wait_for_selector(POPUP_RESULTS)
    newer = {url for url in fetched if records.search(url)}
    assert newer
    held: list = []
    page.route(
        records,
        lambda route: route.continue_() if route.request.url in newer else held.append(route),
    )
    page.reload()
    with page.expect_request(records):
        page.keyboard.press("/")
        page.keyboard.type("standards")
    page.fill("form.site-search input[name=q]", "Xylophone")
    found = page.locator(f"{POPUP_RESULTS} .search-result-title")
    expect(found).to_have_text([XSS_TITLE])
    assert held
    for route in held:
        route.continue_()
    page.wait_for_load_state("networkidle")
    expect(found).to_have_text([XSS_TITLE])
    expect(page.locator("form.site-search [role=status]")).to_have_text(re.compile(r"^1 result\."))


def test_two_letters_wait_for_a_third_unless_they_are_a_word(page, site_url):
    # "bl" begins too many words to be worth a search while the reader types on; the
    # popup says so and offers the search page. "5G" and "AI" are words of the
    # archive by themselves, so they are searched at once.
    index: list[str] = []
    chunk = re.compile(r"/pagefind/.*index/|/search/gazette/t/")
    page.on("request", lambda r: index.append(r.url) if chunk.search(r.url) else 0)
    page.goto(site_url)
    page.keyboard.press("/")
    page.keyboard.type("bl")
    hint = page.locator(".search-popup:not([hidden]) .search-separator")
    expect(hint).to_have_text("Type a third letter: two begin too many words.")
    expect(page.locator("form.site-search [role=status]")).to_have_text(hint.inner_text())
    assert page.locator(POPUP_RESULTS).count() == 0
    assert page.get_attribute(".search-popup .search-all", "href").endswith("search/?q=bl")
    assert not index, "no index chunk is fetched for two letters that wait"
    page.keyboard.type("o")
    page.wait_for_selector(POPUP_RESULTS)
    assert set(titles(page, ".search-popup")) >= ZTE_ITEMS
    for word in ("5G", "AI"):
        page.fill("form.site-search input[name=q]", "")
        assert header_search(page, site_url, word)


# Resolves once the header box has shown a search for ``wanted`` (search.js's
# gazette-searched event; every one is kept in window.__searched from the start).
SEARCHED = """([wanted]) => new Promise((resolve) => {
  const form = document.querySelector('form.site-search');
  if (!window.__searched) {
    window.__searched = [];
    form.addEventListener('gazette-searched', (e) => window.__searched.push(e.detail.query));
  }
  if (wanted === null) return resolve(window.__searched.length);
  if (window.__searched.includes(wanted)) return resolve(window.__searched.length);
  form.addEventListener('gazette-searched', function seen(e) {
    if (e.detail.query !== wanted) return;
    form.removeEventListener('gazette-searched', seen);
    resolve(window.__searched.length);
  });
})"""


def test_a_two_letter_last_word_that_waits_keeps_the_results_shown(page, site_url):
    page.goto(site_url)
    page.evaluate(SEARCHED, [None])  # start keeping every search shown
    page.keyboard.press("/")
    page.keyboard.type("blockchain")
    shown = page.evaluate(SEARCHED, ["blockchain"])
    found = titles(page, ".search-popup")
    status = page.locator("form.site-search [role=status]")
    said = status.inner_text()
    fetched: list[str] = []
    page.on("request", lambda request: fetched.append(request.url))
    page.keyboard.type(" st")
    # " st" waits for a third letter: the next search shown is "blockchain" again,
    # from the last result, with nothing fetched and nothing changed.
    assert (
        page.evaluate(
            """(count) => new Promise((resolve) => {
          const form = document.querySelector('form.site-search');
          if (window.__searched.length > count) return resolve(window.__searched[count]);
          form.addEventListener('gazette-searched', (e) => resolve(e.detail.query), { once: true });
        })""",
            shown,
        )
        == "blockchain"
    )
    expect(status).to_have_text(said)
    assert titles(page, ".search-popup") == found
    assert not [url for url in fetched if "/pagefind/" in url or "/fragment/" in url]


@pytest.mark.parametrize("word", ["标准", "né", "ÉU"])
def test_two_characters_outside_ascii_never_wait(page, site_url, word):
    # The wait is for the start of an English word or a code: two Chinese
    # characters are a word, and a two-letter word with an accent is no prefix
    # of thousands of words. Each is searched at once, as typed.
    page.goto(site_url)
    page.evaluate(SEARCHED, [None])
    page.keyboard.press("/")
    page.keyboard.type(word)
    page.evaluate(SEARCHED, [word])  # resolves once the box shows a search for it
    hint = page.locator(".search-popup:not([hidden]) .search-separator")
    assert "third letter" not in (hint.all_inner_texts() or [""])[0]
    assert "third letter" not in page.locator("form.site-search [role=status]").inner_text()


def test_on_the_search_page_enter_searches_two_letters_that_wait(page, site_url):
    page.goto(site_url + "search/")
    box = page.locator("form[data-search-page] input[name=q]")
    box.type("bl")
    status = page.locator("[data-search-status]")
    expect(status).to_have_text(re.compile("press Enter to search for “bl”"))
    assert page.locator(PAGE_RESULTS).count() == 0
    box.press("Enter")
    page.wait_for_selector(PAGE_RESULTS)
    assert set(titles(page, "[data-search-results]")) >= ZTE_ITEMS
    assert "q=bl" in page.url
    # A link to two letters is a query the reader chose: searched as it stands.
    assert set(search_page(page, site_url, "bl")) >= ZTE_ITEMS
