"""Page metadata and a safe head: lang, canonical, description, OpenGraph, Twitter, JSON-LD, CSP.

Every page of the sample archive is parsed with html5lib; a real Chromium checks
that JSON-LD does not trip the Content-Security-Policy and that a hostile title
cannot break out of its script element.
"""

from __future__ import annotations

import json
import re
import threading
from urllib.parse import urlsplit

import html5lib
import pytest
from test_publish import build_sample, sample_project

from gazette.model import BuildOptions
from gazette.pipeline import BuildRequest, build_site
from gazette.serve.server import make_server
from helpers import CHROMIUM, NO_CHROMIUM, NOW, SITE_TOML, build, item, make_project

BASE = "https://example.org/repo/"
ITEM = "/items/miit-standardisation-key-points-2020/"
EVIL = "</script><script>alert(1)</script> <!-- & \u2028 'quoted' \"double\""
ASSET_LINKS = {"stylesheet", "icon", "preload", "modulepreload", "manifest", "prefetch"}


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    return build_sample(tmp_path_factory.mktemp("metadata"), BASE).files


@pytest.fixture(scope="module")
def pages(sample):
    """Every HTML page of the sample, parsed once."""
    return html_pages(sample)


def tree(data: bytes | str):
    return html5lib.parse(data, namespaceHTMLElements=False)


def html_pages(files) -> dict[str, object]:
    return {url: tree(data) for url, data in files.items() if url.endswith(("/", ".html"))}


def is_redirect(page) -> bool:
    return page.find(".//meta[@http-equiv='refresh']") is not None


def meta(page, key: str) -> str | None:
    for element in page.findall(".//head/meta"):
        if key in (element.get("property"), element.get("name")):
            return element.get("content")
    return None


def json_ld(page) -> dict:
    (script,) = page.findall(".//script[@type='application/ld+json']")
    return json.loads(script.text)


def test_every_page_has_lang_canonical_and_description(pages):
    for url, page in pages.items():
        assert page.get("lang") == "en", url
        assert meta(page, "description"), url
        canonical = page.findall(".//head/link[@rel='canonical']")
        if url == "/404.html":
            assert canonical == []
        else:
            assert len(canonical) == 1 and canonical[0].get("href").startswith(BASE), url


def test_every_page_has_opengraph_and_twitter_tags_matching_its_head(pages):
    for url, page in pages.items():
        if is_redirect(page) or url == "/404.html":
            assert meta(page, "og:title") is None, url
            continue
        canonical = page.find(".//head/link[@rel='canonical']").get("href")
        assert meta(page, "og:url") == canonical, url
        assert meta(page, "og:site_name") == "China Standards Watch"
        assert meta(page, "og:description") == meta(page, "description"), url
        assert meta(page, "twitter:card") == "summary"
        assert meta(page, "twitter:title") == meta(page, "og:title") and meta(page, "og:title")
        kind = "article" if url.startswith("/items/") else "website"
        assert meta(page, "og:type") == kind, url


def test_items_are_news_articles_and_listings_are_collection_pages(pages):
    for url, page in pages.items():
        if is_redirect(page) or url == "/404.html":
            assert page.find(".//script[@type='application/ld+json']") is None, url
            continue
        data = json_ld(page)
        assert data["@context"] == "https://schema.org"
        assert data["url"] == BASE + url.lstrip("/")
        if url.startswith("/items/"):
            assert data["@type"] == "NewsArticle", url
        else:
            assert data["@type"] == "CollectionPage", url
    article = json_ld(pages[ITEM])
    assert article["headline"] == "MIIT publishes its 2020 standardisation key points"
    assert article["datePublished"] == "2020-05-12T00:00:00+08:00"
    assert article["articleSection"] == "Horizontal Issues"
    assert "Standardisation" in article["keywords"]
    assert article["isPartOf"]["@type"] == "PublicationIssue"
    assert article["isPartOf"]["url"] == BASE + "issues/2020-06/"
    assert article["publisher"]["name"] == "China Standards Watch"
    assert meta(pages[ITEM], "article:published_time") == article["datePublished"]
    assert meta(pages[ITEM], "article:section") == "Horizontal Issues"


def test_the_csp_meta_is_the_first_element_of_head_and_allows_no_inline_script(pages):
    for url, page in pages.items():
        first = page.find("head")[0]
        assert first.tag == "meta" and first.get("http-equiv") == "Content-Security-Policy", url
        policy = first.get("content")
        directives = {
            name: value.strip()
            for name, _, value in (part.strip().partition(" ") for part in policy.split(";"))
        }
        script = directives["script-src"].split()
        assert "'unsafe-inline'" not in script and "'unsafe-eval'" not in script, url
        assert directives["default-src"] == "'self'"


def test_no_page_loads_anything_from_another_origin_or_inline(pages):
    for url, page in pages.items():
        for element in page.iter():
            if not isinstance(element.tag, str):
                continue
            assert element.get("style") is None, f"{url}: inline style on <{element.tag}>"
            assert not [a for a in element.attrib if a.startswith("on")], url
            assert element.tag != "style", url
            if element.tag == "script":
                inline_data = element.get("type") == "application/ld+json"
                assert element.get("src") or inline_data, f"{url}: inline script"
            rel = set((element.get("rel") or "").split())
            loads = (element.tag == "link" and rel & ASSET_LINKS) or element.tag in (
                "script",
                "img",
                "source",
                "video",
                "audio",
                "iframe",
                "embed",
                "object",
                "track",
            )
            for attribute in ("src", "href", "data", "poster", "srcset"):
                target = element.get(attribute) if loads else None
                if target:
                    parts = urlsplit(target)
                    assert not parts.scheme and not parts.netloc, f"{url} loads {target}"
                    assert target.startswith("/repo/"), f"{url} loads {target}"


# A hostile title

EVIL_ITEM = item(title=json.dumps(EVIL), summary=json.dumps(EVIL))
EVIL_FILES = {"site.toml": SITE_TOML + "[plugins.feeds]\n", "content/items/evil.md": EVIL_ITEM}


def test_json_ld_escapes_a_title_that_tries_to_close_the_script(tmp_path):
    page_bytes = build(tmp_path, EVIL_FILES, base_url=BASE).files["/items/evil/"]
    raw = re.search(rb'<script type="application/ld\+json">(.*?)</script>', page_bytes, re.S)
    text = raw.group(1).decode()
    assert "<" not in text and ">" not in text and "&" not in text
    assert "\\u003c/script\\u003e" in text and "\\u003c!--" in text
    page = tree(page_bytes)
    assert json_ld(page)["headline"] == EVIL
    assert json_ld(page)["description"] == EVIL
    # Nothing broke out: the JSON-LD and the theme's own external scripts only.
    inline = [s for s in page.findall(".//script") if s.get("src") is None]
    assert len(inline) == 1
    assert meta(page, "og:title") == EVIL


def test_an_item_without_summary_is_described_by_its_text(tmp_path):
    files = {"site.toml": SITE_TOML, "content/items/a.md": item(title='"A"')}
    page = tree(build(tmp_path, files, base_url=BASE).files["/items/a/"])
    assert meta(page, "description") == "Body text."
    assert json_ld(page)["description"] == "Body text."


# In a real browser

browser_only = pytest.mark.skipif(CHROMIUM is None, reason=NO_CHROMIUM)


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """The sample archive plus the hostile item, served under /repo/."""
    root = tmp_path_factory.mktemp("metadata-browser")
    output = root / "site"
    server, broadcaster = make_server(output, "/repo/", "127.0.0.1", 0)
    project = sample_project(root / "sample")
    make_project(project, {"content/items/2020-08/evil.md": EVIL_ITEM}, defaults=False)
    options = BuildOptions(now=NOW)
    build_site(BuildRequest(project, options, output=output, base_url=server.url, use_cache=False))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.url
    broadcaster.close()
    server.shutdown()
    server.server_close()


@browser_only
@pytest.mark.parametrize("path", ["", ITEM.lstrip("/"), "tags/", "items/evil/", "nowhere/at/all/"])
def test_pages_with_json_ld_log_no_csp_violation(browser, served, path):
    page = browser.new_page()
    messages, dialogs = [], []
    page.on("console", lambda message: messages.append(message.text))
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(served + path)
    page.wait_for_load_state("load")
    assert not [m for m in messages if "Content Security Policy" in m], messages
    assert dialogs == []
    data = page.evaluate(
        "JSON.parse(document.querySelector('script[type=\"application/ld+json\"]')?.text ?? 'null')"
    )
    if path == "nowhere/at/all/":
        assert data is None and page.title().startswith("Page not found")
        assert page.evaluate("document.styleSheets[0].cssRules.length") > 10
    else:
        assert data["url"] == served + path
        if path == "items/evil/":
            assert data["headline"] == EVIL
    page.close()
