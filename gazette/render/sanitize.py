"""Allowlist HTML sanitising for rendered content (BAD_INPUTS S1, S2, S7, 35).

Content arrives by pull request, so every rendered body is treated as hostile.
`sanitize_html` runs nh3 (ammonia) with an explicit allowlist that covers what
the Markdown pipeline in `gazette.render.markdown_render` emits, and nothing more.
Then, as a second and independent line of defence, every `href`/`src` that
survives is re-checked with `is_safe_url` using the standard library's parser;
an unsafe one is dropped from its tag (the link text stays).

Two cheap passes before nh3 keep its running time linear, because its HTML5
tree builder is quadratic in the number of open elements (30,000 nested
`<div>`s take seconds; 20,000 unclosed `<b id=N>`s take 18 s):

* `escape_incomplete_tags` turns a `<` that does not start a complete tag into
  text (the standard library's `html.parser`, which Python-Markdown also uses,
  rescans to the end of the input for each one).
* `_Balancer` re-serialises the markup well nested, with every element closed,
  at most `MAX_NESTING` deep; deeper tags are dropped and their text kept.
  Its output is canonical, so nh3 sees exactly the structure it describes; it
  is not a security boundary (nh3 is), only a bound on nh3's work.
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser
from urllib.parse import unquote

import nh3

from gazette.render.xmlchars import replace_not_in_xml

SAFE_SCHEMES = frozenset({"http", "https", "mailto"})

ALLOWED_TAGS = frozenset(
    {
        *("p", "h1", "h2", "h3", "h4", "h5", "h6", "a", "em", "strong", "code", "pre"),
        *("blockquote", "ul", "ol", "li", "dl", "dt", "dd", "hr", "br", "img"),
        *("table", "thead", "tbody", "tr", "th", "td"),
        *("abbr", "sup", "sub", "del", "ins", "mark", "div", "span"),
        *("figure", "figcaption", "details", "summary"),
    }
)

# Tags whose *content* is dropped along with the tag: showing the text of a
# script or stylesheet to readers would be as wrong as running it.
_DROP_WITH_CONTENT = frozenset(
    {
        *("script", "style", "template", "noscript", "iframe", "frame", "frameset"),
        *("object", "embed", "applet", "noembed", "noframes", "xmp", "textarea", "title"),
        *("svg", "math"),
    }
)

# `class` is needed by footnotes (footnote-ref/backref), the highlighter
# (language-*) and the [TOC] div; `id` by heading anchors and footnotes.
ALLOWED_ATTRIBUTES: dict[str, set[str]] = {
    "*": {"id"},
    "a": {"href", "title", "class"},
    "img": {"src", "alt", "title", "width", "height"},
    "abbr": {"title", "class"},
    "th": {"align", "colspan", "rowspan"},
    "td": {"align", "colspan", "rowspan"},
    "ol": {"start", "class"},
    **{tag: {"class"} for tag in ("code", "pre", "div", "span", "sup", "li")},
}

# The balancer passes on the tags nh3 drops with their content, so that nh3
# still drops that content.
_BALANCER_TAGS = ALLOWED_TAGS | _DROP_WITH_CONTENT

_URL_ATTRIBUTES = frozenset({"href", "src"})
# Browsers ignore ASCII whitespace and C0 controls inside a scheme
# ("java\tscript:"), so they are removed before the scheme is read.
_INVISIBLE = re.compile(r"[\x00-\x20\x7f]+")
_SCHEME_END = re.compile(r"[/?#]")
_MAX_DECODE_ROUNDS = 5


def is_safe_url(url: str) -> bool:
    """Return True for http, https and mailto URLs and for relative URLs.

    Entities and percent-escapes are decoded repeatedly (so `&amp;#106;` and
    `%256A` cannot hide a scheme), then invisible ASCII is removed. Anything
    with a colon before the first `/`, `?` or `#` is a scheme, and any scheme
    but http, https and mailto is refused; this also refuses a relative path
    such as `a:b`, which is a price worth paying for a simple rule.
    """
    decoded = url
    for _ in range(_MAX_DECODE_ROUNDS):
        step = unquote(html.unescape(decoded))
        if step == decoded:
            break
        decoded = step
    else:
        return False  # still changing: nested encodings this deep are not a real link
    compact = _INVISIBLE.sub("", decoded).lower()
    head = _SCHEME_END.split(compact, maxsplit=1)[0]
    if ":" not in head:
        return True
    return head.split(":", 1)[0] in SAFE_SCHEMES


# --- bounding nh3's work ------------------------------------------------------

MAX_NESTING = 256

_TAG_OPENER = re.compile(r"<(?=[A-Za-z/!?])")
# A tag is complete if it reaches `>` before any other `<`, and every value
# that opens with a quote (`=` then `"` or `'`, as html.parser reads it) is
# closed; a quoted `>` is fine, a quote elsewhere is an ordinary character.
# No part of the pattern crosses a `<`, so the scans from successive `<`s
# never overlap; possessive repeats stop a failed match from backtracking.
_COMPLETE_TAG = re.compile(
    r"""<[A-Za-z/?](?:[^<>=]|=\s*+"[^"<]*+"|=\s*+'[^'<]*+'|=(?!\s*+["']))*+>"""
)


def escape_incomplete_tags(text: str, replacement: str = "&lt;") -> str:
    """Replace each `<` that does not begin a complete tag with `replacement`.

    Complete means a tag that ends at `>` before the next `<`, with its quoted
    attribute values closed, or a comment `<!--` that is closed somewhere later. Other `<!`
    constructs (CDATA, doctypes, conditional comments) are always escaped:
    they mean nothing in a body, and `html.parser` raises on some of them.
    A `<` that is escaped here would, in a browser, either be text already or
    start a broken tag that swallows the text after it.
    """
    last_comment_end = text.rfind("-->")
    parts: list[str] = []
    done = 0
    for m in _TAG_OPENER.finditer(text):
        i = m.start()
        if text.startswith("<!--", i):
            complete = last_comment_end >= i + 4
        elif text.startswith("<!", i):
            complete = False
        else:
            complete = _COMPLETE_TAG.match(text, i) is not None
        if not complete:
            parts += (text[done:i], replacement)
            done = i + 1
    parts.append(text[done:])
    return "".join(parts)


_VOID_TAGS = frozenset({"br", "hr", "img", "embed", "frame"})
_ATTRIBUTE_NAME = re.compile(r"[a-z][a-z0-9_:.-]*")


class _Balancer(HTMLParser):
    """Re-emit markup canonically: known tags only, well nested, bounded depth."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.open: list[str] = []

    def _start(self, tag: str, attrs: list[tuple[str, str | None]]) -> bool:
        if tag not in _BALANCER_TAGS or len(self.open) >= MAX_NESTING:
            return False
        rendered = "".join(
            f' {k}="{html.escape(v or "", quote=True)}"'
            for k, v in attrs
            if _ATTRIBUTE_NAME.fullmatch(k)
        )
        self.out.append(f"<{tag}{rendered}>")
        return tag not in _VOID_TAGS

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self._start(tag, attrs):
            self.open.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self._start(tag, attrs):
            self.out.append(f"</{tag}>")

    def handle_endtag(self, tag: str) -> None:
        if tag not in self.open:  # a stray end tag: ignore it, as browsers do
            return
        while self.open:
            top = self.open.pop()
            self.out.append(f"</{top}>")
            if top == tag:
                break

    def handle_data(self, data: str) -> None:
        self.out.append(html.escape(data, quote=False))

    def close(self) -> None:
        super().close()
        self.out.extend(f"</{tag}>" for tag in reversed(self.open))
        self.open.clear()


def _balance(markup: str) -> str:
    balancer = _Balancer()
    balancer.feed(markup)
    balancer.close()
    return "".join(balancer.out)


# --- the URL post-check ---------------------------------------------------------


class _UnsafeUrlFinder(HTMLParser):
    """Collect start tags whose href/src fails `is_safe_url`, with their positions."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.fixes: list[tuple[tuple[int, int], str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        kept = [(k, v) for k, v in attrs if k not in _URL_ATTRIBUTES or is_safe_url(v or "")]
        if len(kept) == len(attrs):
            return
        raw = self.get_starttag_text() or ""
        rebuilt = "".join(f' {k}="{html.escape(v or "", quote=True)}"' for k, v in kept)
        self.fixes.append((self.getpos(), raw, f"<{tag}{rebuilt}>"))


def _drop_unsafe_urls(markup: str) -> str:
    finder = _UnsafeUrlFinder()
    finder.feed(markup)
    finder.close()
    if not finder.fixes:
        return markup
    line_starts = [0] + [m.end() for m in re.finditer("\n", markup)]
    # Edit from the end so earlier offsets stay valid.
    for (line, col), raw, replacement in reversed(finder.fixes):
        start = line_starts[line - 1] + col
        if not markup.startswith(raw, start):
            # Fail closed and loudly: this is a bug, not something to paper over.
            raise RuntimeError(f"sanitize_html: cannot locate unsafe tag {raw!r}")
        markup = markup[:start] + replacement + markup[start + len(raw) :]
    return markup


_DROPPING_TAG = re.compile(
    r"<(" + "|".join(sorted(_DROP_WITH_CONTENT)) + r")(?=[\s/>])[^<>]*>", re.IGNORECASE
)


def escape_unclosed_dropping_tags(markup: str) -> str:
    """Keep the text after a tag whose element is dropped with its content but never closed.

    Prose that mentions `<script>` or `<style>` (an article about web standards)
    would otherwise open an element that runs to the end of the body, and the
    sanitiser would drop everything after the mention. A bare mention is shown
    as text; one with attributes (`<svg/onload=...>`, hostile rather than
    prose) is removed alone. A closed element (`<script>...</script>`) is still
    dropped with its content.
    """
    lowered = markup.lower()
    parts: list[str] = []
    done = 0
    for match in _DROPPING_TAG.finditer(markup):
        if lowered.find(f"</{match.group(1).lower()}", match.end()) != -1:
            continue
        bare = not match.group(0)[1 + len(match.group(1)) : -1].strip(" \t\n/")
        parts += (markup[done : match.start()], "&lt;" if bare else "")
        done = match.start() + 1 if bare else match.end()
    parts.append(markup[done:])
    return "".join(parts)


def sanitize_html(markup: str) -> str:
    """Reduce `markup` to the allowlisted tags, attributes and URL schemes.

    Characters that XML forbids (`gazette.render.xmlchars`), which numeric
    character references can produce, become U+FFFD.
    """
    cleaned = nh3.clean(
        _balance(escape_unclosed_dropping_tags(escape_incomplete_tags(markup))),
        tags=set(ALLOWED_TAGS),
        clean_content_tags=set(_DROP_WITH_CONTENT),
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=set(SAFE_SCHEMES),
        # No `target` is ever allowed, so there is no tab-nabbing to guard
        # against; a rel on every footnote link would only be noise.
        link_rel=None,
        strip_comments=True,
    )
    return replace_not_in_xml(_drop_unsafe_urls(cleaned))
