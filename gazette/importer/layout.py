"""Read the text of a newsletter issue into its parts.

The layout, as a PDF-to-text tool gives it (``../shared/seeds/003_*.txt``):

- first, the takeaways: blocks separated by lines holding only a space, each a
  title (one or two lines) and a short summary; then a ``Takeaways`` label;
- then the items: each is a title of one to three lines, then a line of
  hashtags (``#Standard #IPR``, ``# Standardisation``), then its body. The
  hashtag line is the anchor: there is exactly one per item;
- section headings (``Horizontal Issues``) on lines of their own, where the PDF
  kept them as text;
- an events annex (``Annex-SESEC Upcoming Online Events``) with one block per
  event (``Topic:``, ``Time and Date:``, a registration link);
- a trailer: the project's presentation and an ``Abbreviations`` table.

Page furniture (lone page or list numbers, repeated running headers) is left
out here; ``prose`` makes the body lines into Markdown.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

_JUNK = re.compile(r"^\s*(?:\d{1,3}\.?|[-–—•·⚫▪◼➢]\s*)?\s*$")
_HASHTAG_LINE = re.compile(r"^\s*#\s?\S")
_URL = re.compile(r"https?://\S+")
ANNEX = re.compile(r"^\s*annex\b.*\bevents?\b", re.IGNORECASE)
TRAILER = re.compile(
    r"^\s*(abbreviations|introduction of sesec project|in this (bi)?monthly newsletter)\s*$",
    re.IGNORECASE,
)
TAKEAWAYS = re.compile(r"^\s*takeaways\s*$", re.IGNORECASE)
_ENDS_SENTENCE = re.compile(r"[.;:!?。][\"”’)]?\s*$")


@dataclass(frozen=True)
class RawItem:
    """An item as found: its title, hashtags, body lines and the line it starts on."""

    title: str
    hashtags: tuple[str, ...]
    body: tuple[str, ...]
    line: int  # 1-based line of the hashtag line
    section: str = ""  # the section heading in force, as written


@dataclass(frozen=True)
class RawEvent:
    title: str
    when: str  # the "Time and Date:" text
    registration: str
    body: tuple[str, ...]
    line: int
    location: str = ""  # a "Venue:" or "Location:" line, when the event has a place
    online: bool = True


@dataclass(frozen=True)
class Takeaway:
    title: str
    summary: str


@dataclass(frozen=True)
class Layout:
    takeaways: tuple[Takeaway, ...]
    items: tuple[RawItem, ...]
    events: tuple[RawEvent, ...]
    abbreviations: tuple[tuple[str, str], ...] = ()


def is_hashtag_line(line: str) -> bool:
    """A line of hashtags only: ``#Standard #IPR``, ``# Standardisation``."""
    if not _HASHTAG_LINE.match(line) or len(line.strip()) > 120:
        return False
    parts = [p.strip() for p in line.strip().split("#") if p.strip()]
    return bool(parts) and all(len(p) <= 40 and not p.endswith((".", ",")) for p in parts)


def hashtags(line: str) -> tuple[str, ...]:
    return tuple(p.strip() for p in line.strip().split("#") if p.strip())


def _blank(line: str) -> bool:
    return not line.strip()


def running_lines(lines: list[str], pages_hint: int = 3) -> set[str]:
    """Running headers and footers: short lines standing alone (blank lines around
    them) that recur at least ``pages_hint`` times. Wrapped lines of repeated
    prose are not alone, so they stay."""
    alone = Counter(
        lines[i].strip()
        for i in range(len(lines))
        if 0 < len(lines[i].strip()) <= 80
        and (i == 0 or _blank(lines[i - 1]))
        and (i + 1 == len(lines) or _blank(lines[i + 1]))
    )
    return {
        text
        for text, count in alone.items()
        if count >= pages_hint
        and not _URL.fullmatch(text)
        and not is_hashtag_line(text)
        and not re.match(r"^\s*(topic|time|date|presenters?|language)\b", text, re.I)
    }


def _title_block(
    lines: list[str], at: int, floor: int, headings: set[str]
) -> tuple[int, list[str]]:
    """The title lines above the hashtag line at ``at``: (first index, lines).

    The block is the run of non-blank lines above it (blank lines between are
    skipped), at most four. A title's first line is indented by a space in
    this layout, where the body's lines are not: when a line of the block is,
    the title starts there, and what is above it belongs to the previous item
    or to the page (a side label such as "Regulation and Rules").
    """
    index = at - 1
    while index > floor and _blank(lines[index]):
        index -= 1
    block: list[int] = []
    while index > floor and not _blank(lines[index]) and len(block) < 4:
        block.insert(0, index)
        index -= 1
    indented = [i for i in block if re.match(r"^\s+\S", lines[i])]
    if indented:
        block = [i for i in block if i >= indented[0]]
    found: list[str] = []
    kept: list[int] = []
    for i in block:
        text = lines[i].strip()
        if _JUNK.match(text) or text.lower() in headings or TAKEAWAYS.match(text):
            found, kept = [], []  # a label above the title: the title starts after it
            continue
        found.append(text)
        kept.append(i)
    if not indented:  # the title is the lines after the last one that ends a sentence
        ends = [
            n for n, text in enumerate(found) if _ENDS_SENTENCE.search(text) or _URL.search(text)
        ]
        if ends and ends[-1] < len(found) - 1:
            found, kept = found[ends[-1] + 1 :], kept[ends[-1] + 1 :]
        if len(found) > 3:
            found, kept = found[-3:], kept[-3:]
    return (kept[0] if kept else at), found


def _section_of(lines: list[str], start: int, stop: int, headings: set[str]) -> str:
    for line in reversed(lines[start:stop]):
        if line.strip().lower() in headings:
            return line.strip()
    return ""


def read_takeaways(lines: list[str]) -> tuple[Takeaway, ...]:
    """The blocks before the ``Takeaways`` label (or before the first item).

    In extracted text the blocks are separated by lines holding only a space;
    without such lines (a PDF read by ``pdf``), by blank lines, each title
    paragraph (no full stop at its end) followed by its summary paragraph.
    """
    if not any(line and not line.strip() for line in lines):
        return _paired_takeaways(lines)
    blocks: list[list[str]] = [[]]
    for line in lines:
        if line and not line.strip():  # a line holding only spaces separates blocks
            blocks.append([])
        else:
            blocks[-1].append(line)
    found = []
    for block in blocks:
        text = [line.strip() for line in block]
        while text and not text[0]:
            text.pop(0)
        if len(text) < 2:
            continue
        title = [text[0]]
        if "" in text[1:4] and any(text[text.index("", 1) :]):
            title = text[: text.index("", 1)]  # a title wrapped over lines, then a blank
        rest = " ".join(line for line in text[len(title) :] if line)
        if rest:
            found.append(Takeaway(" ".join(title), re.sub(r"\s+", " ", rest)))
    return tuple(found)


def _paragraphs(lines: list[str]) -> list[str]:
    paragraphs: list[list[str]] = [[]]
    for line in lines:
        if line.strip():
            paragraphs[-1].append(line.strip())
        elif paragraphs[-1]:
            paragraphs.append([])
    return [" ".join(p) for p in paragraphs if p]


def _paired_takeaways(lines: list[str]) -> tuple[Takeaway, ...]:
    paragraphs = _paragraphs(lines)
    found = []
    index = 0
    while index + 1 < len(paragraphs):
        title, summary = paragraphs[index], paragraphs[index + 1]
        if len(title) <= 160 and not title.endswith((".", ";", ":")) and summary.endswith("."):
            found.append(Takeaway(title, summary))
            index += 2
        else:
            index += 1
    return tuple(found)


EVENT_HEAD = re.compile(r"\bonline event\s+\d+\s*[:：]\s*\S", re.IGNORECASE)
_TOPIC = re.compile(r"^\s*topic\s*[:：]\s*", re.IGNORECASE)
_WHEN = re.compile(r"^\s*(?:time(?: and date)?|date(?: and time)?)\s*[:：]\s*", re.IGNORECASE)
_PLACE = re.compile(r"^\s*(?:venue|location|place)\s*[:：]\s*", re.IGNORECASE)
_DETAILS = re.compile(r"^\s*detailed information", re.IGNORECASE)


def read_events(lines: list[str], offset: int) -> tuple[RawEvent, ...]:
    """The events of the annex: one block per event heading (``... Online Event 19: Title``),
    or per ``Topic:`` line where there are no headings.

    Each gives its title (the ``Topic:`` text, else the heading's), its time
    (``Time and Date:``), the first link after the line that asks to register,
    and its description (the text between the heading and "Detailed information").
    """
    heads = [i for i, line in enumerate(lines) if EVENT_HEAD.search(line)]
    if not heads:
        heads = [i for i, line in enumerate(lines) if _TOPIC.match(line)]
    events = []
    for n, at in enumerate(heads):
        stop = heads[n + 1] if n + 1 < len(heads) else len(lines)
        block = lines[at:stop]
        topic = next((line for line in block if _TOPIC.match(line)), "")
        heading = re.split(r"[:：]", block[0], maxsplit=1)[-1]
        title = (_TOPIC.sub("", topic) if topic else heading).strip().strip('“”"').strip()
        at_when = next((i for i, line in enumerate(block) if _WHEN.match(line)), None)
        when = ""
        if at_when is not None:  # "Time and Date:" may wrap: read on to the year
            parts = [_WHEN.sub("", block[at_when]).strip()]
            for line in block[at_when + 1 : at_when + 4]:
                if re.search(r"\b\d{4}\b", " ".join(parts)):
                    break
                if line.strip():
                    parts.append(line.strip())
            when = " ".join(parts)
        register = next(
            (i for i, line in enumerate(block) if re.search(r"regist", line, re.I)), None
        )
        links = [
            m.group().rstrip(".,;")
            for line in (block[register:] if register is not None else block)
            for m in _URL.finditer(line)
        ]
        details = next(
            (i for i, line in enumerate(block) if _DETAILS.match(line) or _TOPIC.match(line)),
            len(block),
        )
        body = tuple(
            line
            for line in block[1:details]
            if line.strip() and not _URL.fullmatch(line.strip()) and not ANNEX.match(line)
        )
        place = next((_PLACE.sub("", line).strip() for line in block if _PLACE.match(line)), "")
        online = bool(re.search(r"online|webinar|webex|zoom|teams", " ".join(block[1:]), re.I))
        if topic or when:
            events.append(
                RawEvent(
                    title,
                    when,
                    links[0] if links else "",
                    body,
                    offset + at + 1,
                    place,
                    online or not place,
                )
            )
    return tuple(events)


_ABBREVIATION = re.compile(
    r"^\s*([A-Z][A-Za-z0-9&/+-]{1,15})\s*(?:[:：=–—-]\s*|\s{2,}|\t+|\s)(\S.{2,150})$"
)


def read_abbreviations(lines: list[str]) -> tuple[tuple[str, str], ...]:
    """``ABBR  Expansion`` lines after the ``Abbreviations`` label (a colon, a dash, a
    tab or spaces between), until a line that is not one."""
    start = next(
        (i for i, line in enumerate(lines) if re.match(r"^\s*abbreviations\s*$", line, re.I)), None
    )
    if start is None:
        return ()
    found = []
    for line in lines[start + 1 :]:
        if not line.strip():
            continue
        match = _ABBREVIATION.match(line)
        if not match or not any(c.isupper() for c in match.group(1)[1:] + match.group(1)[0]):
            break
        abbr, expansion = match.group(1), match.group(2).strip()
        if abbr.isupper() or sum(c.isupper() for c in abbr) >= 2:
            found.append((abbr, expansion))
    return tuple(found)


def read_layout(text: str, section_titles: list[str]) -> Layout:
    """The parts of one issue's text; ``section_titles`` are the project's sections."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    headings = {title.lower() for title in section_titles}
    running = running_lines(lines)
    trailer = next((i for i, line in enumerate(lines) if TRAILER.match(line)), len(lines))
    annex = next((i for i, line in enumerate(lines) if ANNEX.match(line)), None)
    anchors = [i for i, line in enumerate(lines[:trailer]) if is_hashtag_line(line)]
    if annex is not None:
        anchors = [i for i in anchors if i < annex]
    # Events may begin before the annex's label (the PDF's reading order).
    heads = [i for i, line in enumerate(lines[:trailer]) if EVENT_HEAD.search(line)]
    after = [i for i in heads if not anchors or i > anchors[-1]]
    if after and (annex is None or after[0] < annex):
        annex = after[0]
    items: list[RawItem] = []
    starts = []
    floor = 0
    for at in anchors:
        first, title = _title_block(lines, at, floor, headings)
        starts.append((first, at, title))
        floor = at
    label = next((i for i, line in enumerate(lines) if TAKEAWAYS.match(line)), None)
    first_item = starts[0][0] if starts else trailer
    takeaways = read_takeaways(lines[: label if label is not None else first_item])
    end_of_items = min(x for x in (annex, trailer) if x is not None)
    events_stop = trailer if annex is not None and annex < trailer else len(lines)
    section = ""
    for n, (first, at, title) in enumerate(starts):
        stop = starts[n + 1][0] if n + 1 < len(starts) else end_of_items
        previous_stop = starts[n - 1][1] if n else 0
        section = _section_of(lines, previous_stop, first, headings) or section
        body = tuple(
            line
            for line in lines[at + 1 : stop]
            if line.strip() not in running and line.strip().lower() not in headings
        )
        items.append(RawItem(" ".join(title), hashtags(lines[at]), body, at + 1, section))
    events = read_events(lines[annex:events_stop], annex) if annex is not None else ()
    seen = set()
    unique = []
    for event in events:
        if event.title not in seen:
            seen.add(event.title)
            unique.append(event)
    return Layout(
        takeaways,
        tuple(items),
        tuple(unique),
        abbreviations=read_abbreviations(lines),
    )
