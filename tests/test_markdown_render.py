"""Tests for gazette.render.markdown_render and .sanitize (BAD_INPUTS 35, S1, S2, S7)."""

from __future__ import annotations

import html
import re
import time
import xml.etree.ElementTree as etree
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from html.parser import HTMLParser
from urllib.parse import unquote

import pytest
from markdown.extensions import Extension
from markdown.inlinepatterns import InlineProcessor

from gazette.render import markdown_render
from gazette.render.markdown_render import Heading, Rendered, plain_text, render_markdown
from gazette.render.sanitize import escape_incomplete_tags, is_safe_url, sanitize_html

# --- helpers -----------------------------------------------------------------


class _Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, {k: v or "" for k, v in attrs}))


def elements(markup: str) -> list[tuple[str, dict[str, str]]]:
    parser = _Elements()
    parser.feed(markup)
    parser.close()
    return parser.elements


def tags(markup: str) -> list[str]:
    return [tag for tag, _ in elements(markup)]


_DANGEROUS_SCHEME = re.compile(r"^(javascript|vbscript|data|file):")


def _fully_decoded(url: str) -> str:
    for _ in range(5):
        url = unquote(html.unescape(url))
    return re.sub(r"[\x00-\x20\x7f]", "", url).lower()


def assert_no_executable_markup(markup: str) -> None:
    """Independent of the sanitiser: inspect every element and attribute."""
    for tag, attrs in elements(markup):
        assert tag not in {"script", "style", "iframe", "svg", "base", "form", "meta", "object"}
        for name, value in attrs.items():
            assert not name.startswith("on"), (tag, name, value)
            assert name != "style", (tag, name, value)
            if name in {"href", "src", "action", "formaction", "xlink:href"}:
                assert not _DANGEROUS_SCHEME.match(_fully_decoded(value)), (tag, name, value)


# --- S1: raw HTML ------------------------------------------------------------


def test_script_tag_is_removed_with_its_text() -> None:
    r = render_markdown(
        "Before\n\n<script>alert('owned')</script>\n\nAfter <script>steal()</script>"
    )
    assert "script" not in tags(r.html)
    assert "alert" not in r.html and "steal" not in r.html
    assert "alert" not in r.text and "steal" not in r.text
    assert "Before" in r.text and "After" in r.text


def test_img_onerror_is_stripped() -> None:
    r = render_markdown('Look: <img src="/pic.png" alt="pic" onerror="alert(1)">')
    imgs = [attrs for tag, attrs in elements(r.html) if tag == "img"]
    assert imgs == [{"src": "/pic.png", "alt": "pic"}]
    assert_no_executable_markup(r.html)


def test_svg_onload_removed() -> None:
    r = render_markdown(
        '<svg onload="alert(1)"><circle r="4"/></svg>\n\nText <svg/onload=alert(2)>'
    )
    assert "svg" not in tags(r.html) and "circle" not in tags(r.html)
    assert "onload" not in r.html
    assert_no_executable_markup(r.html)


def test_iframe_style_base_form_meta_removed() -> None:
    source = "\n\n".join(
        [
            '<iframe src="https://evil.example/">inside frame</iframe>',
            "<style>body { display: none }</style>",
            '<base href="https://evil.example/">',
            '<form action="https://evil.example/"><input name="q"><button>Go</button></form>',
            '<meta http-equiv="refresh" content="0; url=https://evil.example/">',
            '<p style="position:fixed" class="x">styled</p>',
            "<object data='x.swf'></object><embed src='x.swf'>",
        ]
    )
    r = render_markdown(source)
    found = set(tags(r.html))
    assert not found & {"iframe", "style", "base", "form", "input", "button", "meta", "object"}
    assert "display: none" not in r.html and "inside frame" not in r.html
    assert "styled" in r.text
    assert_no_executable_markup(r.html)


def test_comments_are_stripped() -> None:
    r = render_markdown("a <!-- secret --> b\n\n<!-- block secret -->")
    assert "secret" not in r.html


def test_unclosed_raw_html_is_closed_and_does_not_swallow_the_page() -> None:
    r = render_markdown("<div><em>open\n\nlater paragraph")
    assert r.html.count("<div>") == r.html.count("</div>")
    assert r.html.count("<em>") == r.html.count("</em>")
    assert "later paragraph" in r.text


# --- S2: URL schemes ---------------------------------------------------------

DANGEROUS_URLS = [
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "java\tscript:alert(1)",
    "java&#09;script:alert(1)",
    "&#106;avascript:alert(1)",
    "&#x6A;avascript:alert(1)",
    "%6Aavascript:alert(1)",
    "javascript&colon;alert(1)",
    " javascript:alert(1)",
    "\x01javascript:alert(1)",
    "javascript://%0Aalert(1)",
    "vbscript:msgbox(1)",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "data:image/png;base64,iVBORw0KGgo=",
    "file:///etc/passwd",
]

LINK_FORMS = {
    "inline link": "[click]({url})",
    "reference definition": "[click][ref]\n\n[ref]: {url}",
    "autolink": "click <{url}>",
    "image": "click ![alt]({url})",
    "raw html link": '<a href="{url}">click</a>',
}


@pytest.mark.parametrize("form", LINK_FORMS)
@pytest.mark.parametrize("url", DANGEROUS_URLS)
def test_javascript_href_in_any_spelling_is_removed(url: str, form: str) -> None:
    r = render_markdown(LINK_FORMS[form].format(url=url))
    assert_no_executable_markup(r.html)
    for _, attrs in elements(r.html):
        for name in ("href", "src"):
            if name in attrs:
                assert is_safe_url(attrs[name])
    assert "click" in r.text  # the link text survives


@pytest.mark.parametrize("url", DANGEROUS_URLS)
def test_is_safe_url_refuses_dangerous_spellings(url: str) -> None:
    assert not is_safe_url(url)
    if "&colon;" not in url:  # entity names are case-sensitive: &COLON; is just text
        assert not is_safe_url(url.upper())


@pytest.mark.parametrize(
    "url",
    [
        "https://example.org/a?b=c#d",
        "HTTP://EXAMPLE.ORG",
        "http://example.org/wiki/Foo_(bar)",
        "mailto:editor@example.org",
        "//cdn.example.org/x.png",
        "/items/2020/miit",
        "../up/one",
        "relative/path",
        "#fn:1",
        "?q=5G",
        "",
        "/search?q=a:b",
        "/wiki/Talk:Page",
    ],
)
def test_is_safe_url_accepts_http_https_mailto_and_relative(url: str) -> None:
    assert is_safe_url(url)


@pytest.mark.parametrize("url", ["path:with-colon", "ftp://example.org/", "tel:+123", "ws://x"])
def test_is_safe_url_refuses_other_schemes(url: str) -> None:
    assert not is_safe_url(url)


def test_safe_links_survive() -> None:
    r = render_markdown(
        "[a](https://example.org/x?y=1&z=2) [b](/local) [c](#notes) "
        "[d](mailto:ed@example.org) ![e](/img/e.png)"
    )
    hrefs = [attrs.get("href") for tag, attrs in elements(r.html) if tag == "a"]
    assert hrefs == ["https://example.org/x?y=1&z=2", "/local", "#notes", "mailto:ed@example.org"]
    assert [attrs.get("src") for tag, attrs in elements(r.html) if tag == "img"] == ["/img/e.png"]


def test_post_check_removes_a_url_that_nh3_lets_through() -> None:
    # nh3 treats a percent-encoded scheme as a relative URL; the post-check does not.
    assert sanitize_html('<a href="%6Aavascript:alert(1)" title="t">x</a>') == '<a title="t">x</a>'
    assert sanitize_html('<img src="javascript%3Aalert(1)" alt="a">') == '<img alt="a">'


# --- attr_list, code fences, titles (S7) -------------------------------------


def test_attr_list_cannot_add_event_handler() -> None:
    source = (
        '# Heading {: onclick="alert(1)" #h }\n\n'
        'Paragraph\n{: onclick="alert(2)" onmouseover=\'x\' style="color:red" }\n\n'
        '[link](https://example.org){: onclick="alert(3)" href="javascript:alert(4)" }\n'
    )
    r = render_markdown(source)
    assert_no_executable_markup(r.html)
    assert "alert" not in r.html
    assert ("h1", {"id": "h"}) in elements(r.html)


@pytest.mark.parametrize(
    "fence",
    [
        '```"><script>alert(1)</script>',
        '```python" onclick="alert(1)',
        '```{.python onclick="alert(1)"}',
        "~~~ <img src=x onerror=alert(1)>",
    ],
)
def test_code_fence_info_string_is_escaped(fence: str) -> None:
    r = render_markdown(f"{fence}\nprint('hi')\n{fence[:3]}\n")
    assert_no_executable_markup(r.html)
    assert "script" not in tags(r.html)
    for _, attrs in elements(r.html):
        assert all('"' not in v and "<" not in v for v in attrs.values())


@pytest.mark.parametrize(
    "source",
    [
        '[a](https://example.org "\\"><script>alert(1)</script>")',
        "[a](https://example.org 'x\" onmouseover=\"alert(1)')",
        '![i](/a.png "x\\" onerror=\\"alert(1)")',
        '[a][r]\n\n[r]: https://example.org "\\"><img src=x onerror=alert(1)>"',
    ],
)
def test_link_title_with_quotes_is_escaped(source: str) -> None:
    r = render_markdown(source)
    assert_no_executable_markup(r.html)
    assert tags(r.html).count("script") == 0
    assert [t for t in tags(r.html) if t == "img"] == (["img"] if source.startswith("!") else [])


# --- structure ---------------------------------------------------------------


def test_heading_ids_are_stable_and_unique() -> None:
    source = (
        "# Intro\n\n## Intro\n\n### Intro\n\n## Intro 1\n\n# Café & Co\n\n"
        "## 标准化\n\n## 标准化\n\n## Custom {#mine}\n\n## Mine\n\n## Notes[^1]\n\n[^1]: n\n"
    )
    first = render_markdown(source)
    assert [h.id for h in first.headings] == [
        "intro",
        "intro-1",
        "intro-2",
        "intro-1-1",
        "cafe-co",
        "section",
        "section-1",
        "mine",
        "mine-1",
        "notes",
    ]
    assert first.headings[4] == Heading(level=1, id="cafe-co", text="Café & Co")
    assert first.headings[-1].text == "Notes"  # the footnote marker is not part of it
    ids = [attrs["id"] for _, attrs in elements(first.html) if "id" in attrs]
    assert len(ids) == len(set(ids))
    assert all(h.id.isascii() for h in first.headings)
    html_headings = [(t, a.get("id")) for t, a in elements(first.html) if re.fullmatch("h[1-6]", t)]
    assert html_headings == [(f"h{h.level}", h.id) for h in first.headings]
    assert render_markdown(source) == first


def test_heading_text_is_what_the_reader_sees() -> None:
    r = render_markdown("## Hello *world* <script>steal()</script> &amp; more\n")
    assert r.headings == (Heading(level=2, id="hello-world-more", text="Hello world & more"),)


def test_headings_flatten_nested_toc_in_document_order() -> None:
    r = render_markdown("# A\n\n## B\n\n### C\n\n## D\n\n# E\n")
    assert [(h.level, h.text) for h in r.headings] == [
        (1, "A"),
        (2, "B"),
        (3, "C"),
        (2, "D"),
        (1, "E"),
    ]


def test_footnote_ids_do_not_leak_between_documents() -> None:
    doc_a = "# Notes\n\nA[^x] b[^y] c[^z].\n\n*[SAC]: Standardization Administration\n\n" + "".join(
        f"[^{k}]: note {k}\n" for k in "xyz"
    )
    # doc_b cites [^y], which only doc_a defines: it must stay literal text.
    doc_b = "# Notes\n\nOnly one[^only] about SAC, not [^y].\n\n[^only]: the note\n"
    render_markdown(doc_a)
    after_a = render_markdown(doc_b)
    markdown_render._local.cache = {}  # force a brand-new Markdown instance
    fresh = render_markdown(doc_b)
    assert after_a == fresh
    ids = {attrs["id"] for _, attrs in elements(after_a.html) if "id" in attrs}
    assert ids == {"notes", "fnref:only", "fn:only"}
    assert "[^y]" in after_a.text
    assert "abbr" not in tags(after_a.html)  # SAC was only defined in doc_a


def test_a_footnote_cited_twice_gets_two_back_references() -> None:
    r = render_markdown("One[^n] and two[^n].\n\n[^n]: The note.\n")
    found = elements(r.html)
    assert ("sup", {"id": "fnref:n"}) in found and ("sup", {"id": "fnref2:n"}) in found
    backrefs = [a["href"] for t, a in found if a.get("class") == "footnote-backref"]
    assert backrefs == ["#fnref:n", "#fnref2:n"]


def test_reused_instances_render_like_fresh_ones() -> None:
    docs = [
        "# T\n\nx[^1] y[^1]\n\n[^1]: one\n",
        "*[EU]: European Union\n\nEU and [ref]\n\n[ref]: /r\n",
        "```py\nprint(1)\n```\n\n# T\n",
        "[ref] and EU\n\n## T\n\n- a\n- b\n",
    ]
    sequential = [render_markdown(d) for d in docs * 2]
    markdown_render._local.cache = {}
    fresh = []
    for d in docs * 2:
        markdown_render._local.cache = {}
        fresh.append(render_markdown(d))
    assert sequential == fresh


def test_tables_footnotes_abbr_render() -> None:
    source = (
        "| Body | Role |\n|:-----|-----:|\n| SAC | standards |\n\n"
        "Claim[^src].\n\n[^src]: Source text.\n\n"
        "The SAC decides.\n\n*[SAC]: Standardization Administration of China\n\n"
        "Term\n: Definition\n\n~~gone~~ and H~2~O\n\n"
        "```python\nx = 1 < 2\n```\n"
    )
    r = render_markdown(source)
    found = elements(r.html)
    assert ("th", {"align": "left"}) in found and ("td", {"align": "right"}) in found
    assert ("sup", {"id": "fnref:src"}) in found or ("sup", {"id": "fnref:1"}) in found
    assert any(t == "a" and a.get("class") == "footnote-ref" for t, a in found)
    assert any(t == "a" and a.get("class") == "footnote-backref" for t, a in found)
    assert ("abbr", {"title": "Standardization Administration of China"}) in found
    assert {"dl", "dt", "dd", "del", "sub", "table"} <= set(tags(r.html))
    assert ("code", {"class": "language-python"}) in found
    assert "x = 1 &lt; 2" in r.html


def test_less_than_in_code_and_text_is_shown_verbatim() -> None:
    r = render_markdown(
        "Text a<b, code `i<n; j` and\n\n    for (i=0;i<n;i++)\n\n```c\nif (a<b) {}\n```\n"
    )
    assert "&amp;lt;" not in r.html and "\ufdd0" not in r.html
    assert "a&lt;b" in r.html and "i&lt;n; j" in r.html and "if (a&lt;b) {}" in r.html
    assert "a<b" in r.text and "if (a<b) {}" in r.text


def test_a_block_of_many_headings_renders_each_heading() -> None:
    r = render_markdown("Title\n===\n" * 60 + "# Last\ntext\n")
    assert tags(r.html) == ["h1"] * 61 + ["p"]
    assert [h.id for h in r.headings][:3] == ["title", "title-1", "title-2"]


def test_headings_and_rules_inside_a_paragraph_split_it_as_upstream() -> None:
    r = render_markdown("Title\n===\nmore\n# Next\ntext\n***\nend\n*[EU]: European Union\nEU")
    assert [t for t in tags(r.html) if t != "abbr"] == ["h1", "p", "h1", "p", "hr", "p", "p"]
    assert ("abbr", {"title": "European Union"}) in elements(r.html)


def test_code_blocks_keep_lines_that_look_like_headings_or_rules() -> None:
    source = (
        "```sh\n# comment\necho\n---\n===\n```\n\n- item\n\n    ```\n    # c\n    ***\n    ```\n"
    )
    r = render_markdown(source)
    assert "# comment\necho\n---\n===</code>" in r.html
    assert "# c\n***</code>" in r.html


def test_tables_keep_upstream_rules() -> None:
    assert "table" in tags(render_markdown("a | b\n--|--\n1 | 2\n3 | 4").html)
    assert "table" in tags(render_markdown("|a|\n|-|\n|b|\n|c|").html)
    # A one-column table needs a pipe on every row, as upstream.
    assert "table" not in tags(render_markdown("|a|\n|-|\n|b|\nplain").html)


def test_blockquote_depth_is_capped_at_50() -> None:
    r = render_markdown(">" * 60 + " deep")
    assert tags(r.html).count("blockquote") == markdown_render.MAX_QUOTE_DEPTH
    assert "&gt;" * 10 + " deep" in r.html


def test_extra_extensions_are_appended_and_still_sanitised() -> None:
    class WikiLink(InlineProcessor):
        def handleMatch(self, m, data):
            el = etree.Element("a", {"href": m.group(1), "onclick": "x()"})
            el.text = m.group(1)
            return el, m.start(0), m.end(0)

    class WikiExtension(Extension):
        def extendMarkdown(self, md):
            md.inlinePatterns.register(WikiLink(r"\[\[([^\]]+)\]\]", md), "wiki", 175)

    ext = WikiExtension()
    r = render_markdown("See [[/items/x]] and [[javascript:alert(1)]] and *em*", extensions=[ext])
    links = [a for t, a in elements(r.html) if t == "a"]
    assert links == [{"href": "/items/x"}, {}]
    assert "em" in tags(r.html)
    assert "a" not in tags(render_markdown("See [[/items/x]]").html)  # not leaked


# --- plain text --------------------------------------------------------------


def test_plain_text_collapses_whitespace() -> None:
    assert plain_text("<p>a\n\n   b\t c</p>\n<p>d</p>") == "a b c d"
    assert plain_text("<p>un<em>believ</em>able</p><ul><li>x</li><li>y</li></ul>") == (
        "unbelievable x y"
    )
    assert plain_text("<p>A &amp; B&nbsp;C</p><script>x()</script>") == "A & B\xa0C".replace(
        "\xa0", " "
    )
    assert plain_text("") == ""


def test_rendered_text_has_one_block_per_line() -> None:
    r = render_markdown("## Mandatory requirements\n\nOn the\nregulatory side.\n\n- a\n- b\n")
    assert r.text == "Mandatory requirements\nOn the regulatory side.\na\nb"


def test_rendered_text_leaves_out_footnote_markers() -> None:
    r = render_markdown("Standards[^1] matter.\n\n[^1]: Says who.\n")
    assert r.text == "Standards matter.\nSays who."  # one block per line


# --- bounded time (case 35) --------------------------------------------------

PATHOLOGICAL = {
    "10,000 nested >": ">" * 10_000 + " deep",
    "100,000 [": "[" * 100_000,
    "100,000 *": "*" * 100_000,
    "text then 100,000 *": "a" + "*" * 100_000,
    "100,000 ` and _": "`_" * 50_000,
    "nested links": "[a" * 20_000 + "](b)" * 20_000,
    "[ in many short paragraphs": ("[" * 15_000 + "\n\n") * 6,
    "unclosed link destinations": "[a](" * 25_000,
    "unfinished tags": "<a " * 30_000,
    "unfinished CDATA": "<![CDATA[" * 10_000,
    "unclosed formatting elements": "".join(f"<b id={i}>x" for i in range(20_000)),
    "30,000 nested divs": "<div>" * 30_000,
    "300 nested lists": "\n".join("  " * i + "- x" for i in range(300)),
    "1,000 unseparated definitions": "a\n: b\n" * 1_000,
    "5,000 identical headings": "# Notes\n\n" * 5_000,
    "backslashes": "\\" * 100_000,
    "10,000 ATX headings in one block": "# h\n" * 10_000,
    "10,000 setext headings in one block": "a\n=\n" * 10_000,
    "12,500 abbreviation definitions": "*[a]: b\n" * 12_500,
    "link definitions between lines of text": "[r]: /u\ntext\n" * 5_000,
    "footnote definitions between lines of text": "a\n[^1]: n\n" * 5_000,
    "a footnote cited 3,000 times": "x[^1]\n\n" * 3_000 + "[^1]: the note\n",
    "20,000 empty code fences": "```\n" * 20_000,
    "[TOC] markers and headings": "[TOC]\n[r]: /u\n[^1]\nterm\n|-|\n# h\n" * 2_000,
    "unclosed inline tags and comments": "<!--x-->-->='\n<b>b<!--" * 4_000,
    "mismatched quotes in tags": "<a b=c'd e='f>x" * 20_000,
    "quoted > in tags": '<abbr title="x > y">t</abbr>' * 10_000,
}


# An ordinary document of about the same size as the inputs above (46 KB).
ORDINARY = (
    "## A heading\n\nSome *plain* text with a [link](https://example.org) and `code`.\n\n"
    "- one\n- two\n\n"
) * 500


@pytest.fixture(scope="module")
def time_limit() -> float:
    """Seconds a pathological input may take: 20 times an ordinary document's.

    Relative, because these machines vary (a loaded or slow one took 6.6 s for
    5,000 identical headings, 1.8 s when idle), while what the limit guards
    against does not: a blow-up that is quadratic or worse in the input's size
    takes minutes on inputs of 100,000 characters. Never below 5 s.
    """
    ordinary = []
    for _ in range(3):
        start = time.perf_counter()
        render_markdown(ORDINARY)
        ordinary.append(time.perf_counter() - start)
    return max(5.0, 20 * min(ordinary))


@pytest.mark.parametrize("name", PATHOLOGICAL)
def test_pathological_inputs_finish_quickly(name: str, time_limit: float) -> None:
    start = time.perf_counter()
    r = render_markdown(PATHOLOGICAL[name])
    elapsed = time.perf_counter() - start
    assert isinstance(r, Rendered)
    assert elapsed < time_limit, f"{name} took {elapsed:.1f}s (limit {time_limit:.1f}s)"
    assert_no_executable_markup(r.html)


def test_deep_nesting_does_not_raise_recursion_error() -> None:
    # 250 nested lists exhaust the recursion limit inside Python-Markdown.
    source = "\n".join("    " * i + f"- <b>item {i}</b>" for i in range(250))
    r = render_markdown(source)
    assert "ul" not in tags(r.html) and "b" not in tags(r.html)  # escaped text, not markup
    assert "&lt;b&gt;item 0&lt;/b&gt;" in r.html
    assert "item 249" in r.text
    assert render_markdown("# Still fine\n").headings[0].id == "still-fine"


@pytest.mark.parametrize(
    "source",
    [
        "*[a]: " + "x" * 100_000 + "\n\n" + "a " * 2_000,
        '[r]: /u "' + "x" * 100_000 + '"\n\n' + "[r] " * 2_000,
    ],
    ids=["abbreviation title", "link title"],
)
def test_a_title_used_thousands_of_times_does_not_blow_up_the_output(source: str) -> None:
    start = time.perf_counter()
    r = render_markdown(source)
    assert time.perf_counter() - start < 5
    assert len(r.html) < 2 * len(source)  # rendered as escaped text instead
    assert "abbr" not in tags(r.html) and "a" not in tags(r.html)


def test_escape_incomplete_tags() -> None:
    assert escape_incomplete_tags("a <b and <i>x</i>") == "a &lt;b and <i>x</i>"
    assert escape_incomplete_tags("<a href='x>") == "&lt;a href='x>"
    assert escape_incomplete_tags("<!-- c --> <![CDATA[x]]> <!-- open") == (
        "<!-- c --> &lt;![CDATA[x]]> &lt;!-- open"
    )
    assert escape_incomplete_tags("1 < 2 and <https://x.org>") == "1 < 2 and <https://x.org>"
    assert escape_incomplete_tags('<abbr title="a > b">x</abbr>') == '<abbr title="a > b">x</abbr>'


def test_raw_html_with_a_quoted_greater_than_sign_is_kept() -> None:
    r = render_markdown('The <abbr title="more > less">MTL</abbr> rule')
    assert ("abbr", {"title": "more > less"}) in elements(r.html)
    assert r.text == "The MTL rule"


def test_toc_marker_is_not_expanded() -> None:
    r = render_markdown("[TOC]\n\n# Alpha\n\nBody\n" * 3)
    assert "a" not in tags(r.html)
    # "Body" and the next "[TOC]" are one paragraph (a soft line break between)
    assert r.text == "[TOC]\nAlpha\nBody [TOC]\nAlpha\nBody [TOC]\nAlpha\nBody"


# --- concurrency -------------------------------------------------------------

_POOL_DOCS = [f"# Item {i}\n\nText[^{i}] about SAC.\n\n[^{i}]: note {i}\n" for i in range(12)]


def test_results_are_the_same_in_threads_and_processes() -> None:
    expected = [render_markdown(d) for d in _POOL_DOCS]
    with ThreadPoolExecutor(max_workers=4) as pool:
        assert list(pool.map(render_markdown, _POOL_DOCS)) == expected
    with ProcessPoolExecutor(max_workers=2) as pool:
        assert list(pool.map(render_markdown, _POOL_DOCS)) == expected
