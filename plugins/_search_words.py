"""The words of Gazette's own search index (``engine = "gazette"``): search.js's
``words`` and ``fold``, reimplemented, and what one record contributes.

A word the two sides fold apart is never found, so tests compare these words
with search.js's in Chromium, on every record of the sample and on texts
chosen to differ (other numbers, accents, scripts, characters beyond the Basic
Multilingual Plane). ``_search_postings.py`` builds the index from them.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable
from functools import lru_cache
from typing import Any

FREQUENT = (3, 8)  # how often a record holds a term for each "frequent" list

# ----------------------------------------------------------------- words (search.js)

# search.js: text.replace(/(\p{L})(\p{N})/gu, "$1 $2").toLowerCase()
#                .split(/[^\p{L}\p{N}]+/u).filter(Boolean).map(fold)
_WORD = re.compile(r"[^\W_]+")
_ACCENTS = re.compile("[\u0300-\u036f]")
_VARIANTS = (
    (re.compile("isation"), "ization"),
    (re.compile("ise(d?)$"), r"ize\1"),
    (re.compile("ising$"), "izing"),
    (re.compile("yse(d?)$"), r"yze\1"),
    (re.compile("our$"), "or"),
    (re.compile("tre$"), "ter"),
    (re.compile("ogue$"), "og"),
    (re.compile("ence$"), "ense"),
    (re.compile("programme"), "program"),
    (re.compile("lled$"), "led"),
    (re.compile("lling$"), "ling"),
)


def _js_length(text: str) -> int:
    """``text.length`` in JavaScript: UTF-16 code units."""
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


@lru_cache(maxsize=200_000)
def fold(word: str) -> str:
    """search.js's ``fold``: one spelling for case, accents, plurals and variants."""
    w = _ACCENTS.sub("", unicodedata.normalize("NFKD", word.lower()))
    if _js_length(w) > 3 and w.endswith("ies"):
        w = w[:-3] + "y"
    elif _js_length(w) > 3 and re.search("[^s]s$", w) and not w.endswith(("us", "is")):
        w = w[:-1]
    if _js_length(w) > 4 and "a" <= w[-1] <= "z":
        for pattern, replacement in _VARIANTS:
            w = pattern.sub(replacement, w, count=1)
    return w


# A letter, then a decimal digit: what JavaScript's ``(\\p{L})(\\p{N})`` matches in
# a text without other numbers.
_GLUED = re.compile(r"(?<=[^\W\d_])(?=\d)")


def _other_numbers(first: int, last: int) -> str:
    """The numbers that are not decimal digits (Nl, No) from ``first`` to ``last``, escaped."""
    return "".join(
        re.escape(chr(c))
        for c in range(first, last)
        if unicodedata.category(chr(c)) in ("Nl", "No")
    )


@lru_cache(maxsize=1)
def _unusual() -> re.Pattern[str]:
    """Finds a text that may hold numbers other than decimal digits: one of the
    Basic Multilingual Plane's (listed once per process, 6 ms), or any
    character beyond it."""
    return re.compile(f"[{_other_numbers(0x80, 0x10000)}\U00010000-\U0010ffff]")


@lru_cache(maxsize=1)
def _glued_everywhere() -> re.Pattern[str]:
    """JavaScript's ``(\\p{L})(\\p{N})`` for any text: Python's ``\\d`` is decimal
    digits only, and its letters include the other numbers ("²", "Ⅻ"). Slower
    to build (0.1 s) and to run, so only for texts `_unusual` finds."""
    other = _other_numbers(0x80, 0x110000)
    return re.compile(f"(?<=[^\\W\\d_{other}])(?=[\\d{other}])")


def _split_glued(text: str) -> str:
    if text.isascii() or not _unusual().search(text):
        return _GLUED.sub(" ", text)
    return _glued_everywhere().sub(" ", text)


def words(text: str) -> list[str]:
    """search.js's ``words``: the folded words of ``text``, in order."""
    return [fold(w) for w in _WORD.findall(_split_glued(text).lower())]


# ----------------------------------------------------------------- one record


Expand = Callable[[str], Iterable[str]]
Terms = tuple[str, ...]  # the lists of `record_terms`


def none(text: str) -> tuple[str, ...]:
    return ()


def record_terms(rec: Any, expand: Expand = none) -> Terms:
    """The terms of one record, space-separated: all, in the title, in tags or
    summary, and for each count in ``FREQUENT`` those it holds that often or more.

    The text is search.js's ``searchable`` (title, summary, tags, aliases,
    synonyms, identifiers, body), so the index finds what the check accepts.
    ``expand(text)`` gives the glossary's other side of the abbreviations and
    expansions in ``text``: a title that says "NDRC" also ranks as a title for
    "National Development and Reform Commission".
    """

    def weighted(text: str) -> list[str]:
        return words(" ".join((text, *expand(text))))

    title = weighted(rec.title)
    meta = weighted(" ".join(rec.tags) + " " + rec.summary)
    rest = words(" ".join((*rec.aliases, *rec.synonyms, *rec.standards, rec.body)))
    counts = Counter(title)
    counts.update(meta)
    counts.update(rest)
    return (
        " ".join(sorted(counts)),
        " ".join(sorted(set(title))),
        " ".join(sorted(set(meta))),
        *(" ".join(sorted(t for t, n in counts.items() if n >= at)) for at in FREQUENT),
    )


def display(rec: Any) -> dict[str, Any]:
    """What a result shows, for the gazette and lunr engines (search.js's
    ``fromLunr`` reads these fields)."""
    return {
        "url": rec.url,
        "title": rec.title,
        "date": rec.date,
        "issue": rec.issue,
        "section": rec.section,
        "tags": list(rec.tags),
        "standards": list(rec.standards),
        "extra": " ".join((*rec.aliases, *rec.synonyms, *rec.standards)),
        "summary": rec.summary,
        "text": rec.body,
    }
