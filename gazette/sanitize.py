"""Allowlist HTML sanitising for rendered content (BAD_INPUTS S1, S2, S7).

Content arrives by pull request, so every rendered body is treated as hostile.
`sanitize_html` runs nh3 (ammonia) with an explicit allowlist that covers what
the Markdown pipeline in `gazette.markdown_render` emits, and nothing more.
Then, as a second and independent line of defence, every `href`/`src` that
survives is re-checked with `is_safe_url` using the standard library's parser;
an unsafe one is dropped from its tag (the link text stays).
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser
from urllib.parse import unquote

import nh3

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


def sanitize_html(markup: str) -> str:
    """Reduce `markup` to the allowlisted tags, attributes and URL schemes."""
    cleaned = nh3.clean(
        markup,
        tags=set(ALLOWED_TAGS),
        clean_content_tags=set(_DROP_WITH_CONTENT),
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=set(SAFE_SCHEMES),
        # No `target` is ever allowed, so there is no tab-nabbing to guard
        # against; a rel on every footnote link would only be noise.
        link_rel=None,
        strip_comments=True,
    )
    return _drop_unsafe_urls(cleaned)
