"""What an import writes: one file per item and event, the issue, glossary entries.

Front matter follows the project, not the newsletter's spelling:

- **Tags** go through ``tags.yml`` (names, aliases, case, spaces and ``#``
  normalised). A hashtag that names a section (``#Horizontal``) sets the
  section instead. Unknown hashtags are kept on the item (the build then says
  which file to fix) and reported with a proposed entry: the nearest known tag
  as a possible alias.
- **Section**: a hashtag naming a section; else the section the archive
  already uses most for the item's tags; else the heading in force in the
  text; else the first section of ``site.toml``.
- **Date**: the first full date in the body (``On 30 July 2020``) when it falls
  within four months of the issue's date; else the issue's date.
- **Summary**: the takeaway whose title matches the item's, else the body's
  first sentence.
"""

from __future__ import annotations

import re
from calendar import monthrange
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from difflib import SequenceMatcher

from gazette.content.fields import did_you_mean
from gazette.content.scaffold import front_matter
from gazette.content.vocab import normalise_tag
from gazette.importer.dates import first_date
from gazette.importer.events import event_times, mentioned_tags
from gazette.importer.layout import Layout, RawItem
from gazette.importer.prose import to_markdown, urls_in
from gazette.model import Config, Item, Vocabulary
from gazette.output.urls import slugify


@dataclass(frozen=True)
class PlannedFile:
    path: str  # relative to the project
    text: str
    title: str
    section: str
    tags: tuple[str, ...]
    words: int
    kind: str = "item"  # item, event or issue
    urls: tuple[str, ...] = ()
    first_words: str = ""
    last_words: str = ""
    start: str = ""
    registration: str = ""


@dataclass(frozen=True)
class Plan:
    issue: str
    files: tuple[PlannedFile, ...]
    unknown_tags: dict[str, list[str]] = field(default_factory=dict)  # tag -> item titles
    proposals: dict[str, str] = field(default_factory=dict)  # tag -> nearest known tag
    abbreviations: tuple[tuple[str, str], ...] = ()


def issue_dates(issue_id: str) -> tuple[date, str]:
    """The last day and the period of a bimonthly issue named ``YYYY-MM``."""
    year, month = (int(part) for part in issue_id.split("-")[:2])
    end_year, end_month = (year, month + 1) if month < 12 else (year + 1, 1)
    last = date(end_year, end_month, monthrange(end_year, end_month)[1])
    first_name = date(year, month, 1).strftime("%B")
    period = (
        f"{first_name}–{last:%B} {last.year}"
        if year == end_year
        else (f"{first_name} {year}–{last:%B} {last.year}")
    )
    return last, period


def _section_votes(items: tuple[Item, ...]) -> dict[str, Counter]:
    votes: dict[str, Counter] = {}
    for item in items:
        for tag in item.tags:
            votes.setdefault(tag, Counter())[item.section] += 1
    return votes


def _resolve(
    raw: RawItem, config: Config, vocabulary: Vocabulary, votes: dict[str, Counter]
) -> tuple[str, list[str], list[str]]:
    """(section id, known tags, unknown hashtags) of an item."""
    by_name = {normalise_tag(s.title): s.id for s in config.sections}
    by_name.update({normalise_tag(s.id): s.id for s in config.sections})
    by_name.update({normalise_tag(s.title.split()[0]): s.id for s in config.sections})
    section = ""
    known: list[str] = []
    unknown: list[str] = []
    for tag in raw.hashtags:
        key = normalise_tag(tag)
        canonical = vocabulary.lookup.get(key)
        if key in by_name:
            section = section or by_name[key]
        if canonical:
            if canonical not in known:
                known.append(canonical)
        elif key not in by_name and tag not in unknown:
            unknown.append(tag)
    if not section:
        tally: Counter = Counter()
        for tag in known:
            tally.update(votes.get(tag, Counter()))
        if tally:
            section = tally.most_common(1)[0][0]
    if not section and raw.section:
        section = by_name.get(normalise_tag(raw.section), "")
    events = [s.id for s in config.sections if s.id == "events"]
    regular = [s.id for s in config.sections if s.id not in events]
    return section or (regular[0] if regular else config.sections[0].id), known, unknown


def _summary(raw: RawItem, body: str, takeaways: dict[str, str]) -> str:
    best, score = "", 0.0
    for title, summary in takeaways.items():
        ratio = SequenceMatcher(None, title.lower(), raw.title.lower()).ratio()
        if ratio > score:
            best, score = summary, ratio
    if score >= 0.8:
        return best
    text = re.sub(r"<(https?://[^>]+)>", r"\1", body.split("\n\n")[0])
    sentence = re.split(r"(?<=[.!?])\s+(?=[A-Z“\"])", text.strip())[0]
    return sentence[:297] + "..." if len(sentence) > 300 else sentence


def edges(body: str) -> tuple[str, str]:
    """The first and last three words of a body: tokens between spaces, URLs and
    Markdown marks left out, punctuation at either end stripped."""
    text = re.sub(r"<https?://[^>]+>|https?://\S+", " ", body)
    words = [w.strip(".,;:!?()[]*#“”\"'‘’-–—") for w in text.split()]
    words = [w for w in words if w]
    return " ".join(words[:3]), " ".join(words[-3:])


def _slug(title: str, taken: set[str], issue_id: str, existing: dict[str, str]) -> str:
    """A slug of the title, unique in the archive; an item already at the same
    path keeps its slug, so that importing an issue twice is a clash, not a copy."""
    base = slugify(title)[:80].strip("-") or "item"
    slug, n = base, 2
    while slug in taken or (
        slug in existing and existing[slug] != f"content/items/{issue_id}/{slug}.md"
    ):
        slug, n = f"{base}-{n}", n + 1
    taken.add(slug)
    return slug


def make_plan(
    layout: Layout,
    config: Config,
    vocabulary: Vocabulary,
    archive: tuple[Item, ...],
    issue_id: str,
    existing_slugs: dict[str, str],
    words: set[str],
    number: int = 1,
    any_date: bool = False,
) -> Plan:
    """Every file the import writes, and what it could not place."""
    issue_date, period = issue_dates(issue_id)
    votes = _section_votes(archive)
    takeaways = {t.title: t.summary for t in layout.takeaways}
    taken: set[str] = set()
    files: list[PlannedFile] = []
    unknown: dict[str, list[str]] = {}
    for order, raw in enumerate(layout.items, 1):
        body = to_markdown(raw.body, words)
        if not raw.hashtags:  # no hashtag line: the known tags the text names
            raw = RawItem(
                raw.title,
                tuple(mentioned_tags(f"{raw.title}\n{body}", vocabulary)),
                raw.body,
                raw.line,
                raw.section,
            )
        section, known, missing = _resolve(raw, config, vocabulary, votes)
        for tag in missing:
            unknown.setdefault(tag, []).append(raw.title)
        tags = known + missing
        day = first_date(body, None if any_date else issue_date) or issue_date
        urls = urls_in(body)
        fields = {
            "title": raw.title,
            "date": day,
            "issue": issue_id,
            "section": section,
            "tags": tags,
            "summary": _summary(raw, body, takeaways),
        }
        if urls:
            fields["sources"] = urls
        fields["order"] = order * 10
        slug = _slug(raw.title, taken, issue_id, existing_slugs)
        first, last = edges(body)
        files.append(
            PlannedFile(
                f"content/items/{issue_id}/{slug}.md",
                front_matter(fields) + "\n" + body,
                raw.title,
                section,
                tuple(tags),
                len(body.split()),
                urls=tuple(urls),
                first_words=first,
                last_words=last,
            )
        )
    event_section = next(
        (s.id for s in config.sections if s.id == "events"),
        files[0].section if files else config.sections[0].id,
    )
    for raw in layout.events:
        start, end = event_times(raw, config.site.timezone)
        body = to_markdown(raw.body, words) or f"{raw.title}.\n"
        fields = {
            "title": raw.title,
            "date": (datetime.fromisoformat(start).date() if start else issue_date),
            "issue": issue_id,
            "section": event_section,
            "tags": mentioned_tags(f"{raw.title}\n{body}", vocabulary),
            "summary": _summary(RawItem(raw.title, (), raw.body, raw.line), body, {}),
            "kind": "event",
            "start": start,
        }
        if end:
            fields["end"] = end
        if raw.location:
            fields["location"] = raw.location
        if raw.online:
            fields["online"] = True
        if raw.registration:
            fields["registration"] = raw.registration
        slug = _slug(raw.title, taken, issue_id, existing_slugs)
        files.append(
            PlannedFile(
                f"content/items/{issue_id}/{slug}.md",
                front_matter(fields) + "\n" + body,
                raw.title,
                event_section,
                tuple(fields["tags"]),
                len(body.split()),
                kind="event",
                start=start,
                registration=raw.registration,
            )
        )
    intro = (
        "\n".join(
            ["", "## Takeaways", ""] + [f"- **{t.title}**: {t.summary}" for t in layout.takeaways]
        )
        if layout.takeaways
        else ""
    )
    issue_fields = {
        "id": issue_id,
        "number": number,
        "title": f"{config.site.title}, {period}",
        "date": issue_date,
        "period": period,
    }
    files.insert(
        0,
        PlannedFile(
            f"content/issues/{issue_id}.md",
            front_matter(issue_fields) + intro + "\n",
            issue_fields["title"],
            "",
            (),
            len(intro.split()),
            kind="issue",
        ),
    )
    proposals = {
        tag: (did_you_mean(tag, [t.name for t in vocabulary.tags]) or [""])[0] for tag in unknown
    }
    return Plan(issue_id, tuple(files), unknown, proposals, layout.abbreviations)
