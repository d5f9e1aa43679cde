"""An item's body lines, as a PDF-to-text tool gives them, made into Markdown.

- **Paragraphs are re-flowed**: the PDF's line breaks go. A paragraph ends
  where a line ends a sentence and is clearly shorter than the column (the
  body's usual line length), or where a bullet or a sub-heading starts.
- **Bullets** (``⚫ • ▪ ◼ ➢ `` and a leading ``-``) become Markdown list items.
- **URLs broken over lines are rejoined** (a line that ends in a URL, then a
  line that is one token and reads as its continuation), linked as
  ``<https://...>``, with trailing punctuation left outside.
- **Hyphenation at a line end** is repaired (``stan-`` + ``dards``) only when
  the joined word occurs elsewhere in the document; otherwise the hyphen stays
  (``E-`` + ``commerce`` gives ``E-commerce``).
- **Runs of bare URLs** (two or more lines of nothing but a URL, one after the
  other: the PDF's link annotations dumped into the text) are dropped; the
  links they repeat are in the text.
- A short line on its own, between sentences, that reads as a label
  (``Background``) becomes a ``###`` heading.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

BULLET = re.compile(r"^\s*(?:[⚫•▪◼➢●○◆■□\uf06c\uf0a7\uf0d8]|-(?=\s))\s*")
_URL = re.compile(r"https?://[^\s<>\"“”]+")
_URL_ONLY = re.compile(r"^\s*https?://\S+\s*$")
_LONE = re.compile(r"^\s*(?:\d{1,3}\.?|[⚫•▪◼➢●\uf06c\uf0a7]\s*)\s*$")
_SENTENCE_END = re.compile(r"[.!?:;。”\"’)]\s*$")
_WORD = re.compile(r"[A-Za-z]+")
_CONTINUATION = re.compile(r"^[A-Za-z0-9/_.%?=&#~+-]+$")


def document_words(text: str) -> set[str]:
    """Every word of the document, lowercased: the test for a hyphenation repair."""
    return {word.lower() for word in _WORD.findall(text)}


def _is_url_continuation(previous: str, line: str) -> bool:
    """Whether ``line`` starts with the rest of a URL that ``previous`` ends with."""
    tokens = previous.split()
    words = line.strip().split()
    if not tokens or not words or not _URL.match(tokens[-1]):
        return False
    piece = words[0]
    if tokens[-1].rstrip(".,;:").endswith((".pdf", ".html", ".htm", ".aspx")) or len(piece) < 4:
        return False  # a complete address, or a list number after it
    return bool(_CONTINUATION.match(piece.rstrip(".,;:)"))) and (
        any(c.isdigit() for c in piece) or any(c in piece for c in "/_.=%?&")
    )


def _join(previous: str, line: str, words: set[str]) -> str:
    """``previous`` and ``line`` as one line of text."""
    line = line.strip()
    if _is_url_continuation(previous, line):
        return previous + line
    match = re.search(r"([A-Za-z]+)-$", previous)
    if match and line[:1].isalpha():
        head = match.group(1)
        tail = _WORD.match(line)
        joined = (head + tail.group()).lower() if tail else ""
        if line[:1].islower() and joined in words:
            return previous[:-1] + line
        return previous + line  # a real hyphen: E-commerce, Service-Oriented
    return f"{previous} {line}"


def _link(text: str) -> str:
    def one(match: re.Match[str]) -> str:
        url = match.group()
        trail = ""
        while url and url[-1] in ".,;:)”’'\"":
            trail = url[-1] + trail
            url = url[:-1]
        return f"<{url}>{trail}"

    return _URL.sub(one, text)


def urls_in(text: str) -> list[str]:
    """The URLs of ``text`` in order, each once, without trailing punctuation."""
    found = []
    for match in _URL.finditer(text):
        url = match.group().rstrip(".,;:)”’'\"")
        if url not in found:
            found.append(url)
    return found


def _drop_annotation_runs(lines: Sequence[str]) -> list[str]:
    kept: list[str] = []
    run: list[str] = []
    for line in [*lines, ""]:
        if _URL_ONLY.match(line):
            run.append(line)
            continue
        if run:
            if len(run) == 1:
                kept.extend(run)
            run = []
        kept.append(line)
    return kept[:-1]


_OPEN_ENDS = frozenset(
    [
        "a",
        "an",
        "and",
        "as",
        "at",
        "by",
        "for",
        "from",
        "in",
        "into",
        "of",
        "on",
        "or",
        "the",
        "to",
        "via",
        "with",
        "is",
        "are",
        "was",
        "were",
    ]
)


def _is_label(line: str, following: str = "") -> bool:
    """A short line that reads as a heading: few words, no end punctuation, not ending
    in a word that wants more (``available at``), and followed by a capital or a bullet."""
    words = line.split()
    return (
        0 < len(words) <= 5
        and len(line) <= 40
        and line[:1].isupper()
        and not _SENTENCE_END.search(line)
        and not _URL.search(line)
        and words[-1].lower() not in _OPEN_ENDS
        and (not following or following[:1].isupper() or bool(BULLET.match(following)))
    )


def to_markdown(lines: Iterable[str], words: set[str]) -> str:
    """The Markdown of an item's body lines (see the module docstring)."""
    raw = [line.rstrip() for line in _drop_annotation_runs(list(lines))]
    text_lines = [line for line in raw if line.strip() and not _LONE.match(line)]
    if not text_lines:
        return ""
    lengths = sorted(len(line.strip()) for line in text_lines)
    width = lengths[int(0.9 * (len(lengths) - 1))] if len(lengths) > 3 else max(lengths)
    blocks: list[list[str]] = []  # [kind, text]: kind is "p", "li" or "h"
    previous_ended = True
    previous_short = True
    for index, line in enumerate(text_lines):
        stripped = line.strip()
        following = text_lines[index + 1].strip() if index + 1 < len(text_lines) else ""
        label = _is_label(stripped, following)
        bullet = BULLET.match(line)
        starts_block = (
            bullet is not None
            or not blocks
            or (previous_ended and previous_short and not stripped[:1].islower())
            or (previous_ended and label)
        )
        if bullet is not None:
            blocks.append(["li", stripped[bullet.end() - (len(line) - len(line.lstrip())) :]])
        elif starts_block and label and previous_ended:
            blocks.append(["h", stripped])
        elif starts_block or blocks[-1][0] == "h":
            blocks.append(["p", stripped])
        else:
            blocks[-1][1] = _join(blocks[-1][1], stripped, words)
        previous_ended = bool(_SENTENCE_END.search(stripped)) or blocks[-1][0] == "h"
        previous_short = len(stripped) < 0.8 * width or blocks[-1][0] == "h"
    while blocks and blocks[-1][0] == "h":  # a label after the last text: page furniture
        blocks.pop()
    out: list[str] = []
    for kind, text in blocks:
        text = _link(re.sub(r"\s+", " ", text).strip())
        if not text:
            continue
        if kind == "li":
            if out and not out[-1].startswith("- "):
                out.append("")
            out.append(f"- {text}")
        elif kind == "h":
            out += ["", f"### {text}", ""]
        else:
            out += ["", text, ""]
    markdown = "\n".join(out)
    return re.sub(r"\n{3,}", "\n\n", markdown).strip() + "\n"
