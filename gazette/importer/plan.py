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

import json
import re
from calendar import monthrange
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from difflib import SequenceMatcher
from zoneinfo import ZoneInfo

from gazette.content.fields import did_you_mean
from gazette.content.vocab import normalise_tag
from gazette.importer.layout import Layout, RawEvent, RawItem
from gazette.importer.prose import to_markdown, urls_in
from gazette.model import Config, Item, Vocabulary
from gazette.output.urls import slugify

MONTHS = {
    m.lower(): n
    for n, m in enumerate(
        [
            "January",
            "February",
            "March",
            "April",
            "May",
            "June",
            "July",
            "August",
            "September",
            "October",
            "November",
            "December",
        ],
        1,
    )
}
_MONTH = "|".join(m.title() for m in MONTHS)
_DATE = re.compile(rf"\b(\d{{1,2}})\s+({_MONTH}),?\s+(\d{{4}})\b")
_US_DATE = re.compile(rf"\b({_MONTH})\s+(\d{{1,2}}),\s+(\d{{4}})\b")
ZONES = {
    "brussels": "Europe/Brussels",
    "paris": "Europe/Paris",
    "berlin": "Europe/Berlin",
    "cet": "Europe/Brussels",
    "cest": "Europe/Brussels",
    "beijing": "Asia/Shanghai",
    "china": "Asia/Shanghai",
    "shanghai": "Asia/Shanghai",
    "london": "Europe/London",
    "gmt": "Etc/UTC",
    "utc": "Etc/UTC",
    "geneva": "Europe/Zurich",
}


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


def dates_in(text: str) -> list[date]:
    """Full dates written out (``30 July 2020``, ``December 6, 2021``), in text order."""
    found = []
    matches = [(m.start(), m.group(1), m.group(2), m.group(3)) for m in _DATE.finditer(text)]
    matches += [(m.start(), m.group(2), m.group(1), m.group(3)) for m in _US_DATE.finditer(text)]
    for _, day, month, year in sorted(matches):
        try:
            found.append(date(int(year), MONTHS[month.lower()], int(day)))
        except ValueError:
            continue
    return found


def first_date(text: str, around: date | None) -> date | None:
    """The first date of ``text`` within four months of ``around`` (any, when None)."""
    for found in dates_in(text):
        if around is None or abs((found - around).days) <= 122:
            return found
    return None


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


def _front(fields: dict) -> str:
    """Front matter in the archive's own style: quoted strings, tags as a flow list,
    sources as a block list (JSON strings are YAML double-quoted strings)."""
    lines = ["---"]
    for key, value in fields.items():
        if isinstance(value, bool):
            lines.append(f"{key}: {'true' if value else 'false'}")
        elif isinstance(value, date):
            lines.append(f"{key}: {value.isoformat()}")
        elif isinstance(value, int):
            lines.append(f"{key}: {value}")
        elif isinstance(value, list) and key == "tags":
            lines.append(f"{key}: [{', '.join(json.dumps(v, ensure_ascii=False) for v in value)}]")
        elif isinstance(value, list):
            lines.append(f"{key}:")
            lines += [f"  - {v}" for v in value]
        else:
            lines.append(f"{key}: {json.dumps(str(value), ensure_ascii=False)}")
    return "\n".join(lines) + "\n---\n"


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


def mentioned_tags(text: str, vocabulary: Vocabulary, most: int = 3) -> list[str]:
    """Known tags whose name or alias the text uses as a word (an event has no hashtags)."""
    found: list[str] = []
    for tag in vocabulary.tags:
        for spelling in (tag.name, *tag.aliases):
            flags = 0 if len(spelling) <= 4 else re.IGNORECASE
            if re.search(rf"(?<![\w-]){re.escape(spelling)}(?![\w-])", text, flags):
                found.append(tag.name)
                break
    return found[:most]


def event_times(raw: RawEvent, default_zone: str) -> tuple[str, str]:
    """ISO start and end of an event from text such as
    ``9:30- 10:30 am Brussels time, Tuesday, 1 December 2020``."""
    day = first_date(raw.when, date.today()) or next(
        (date(int(y), MONTHS[m.lower()], int(d)) for d, m, y in _DATE.findall(raw.when)),
        None,
    )
    if day is None:
        return "", ""
    zone_name = next(
        (ZONES[w] for w in re.findall(r"[A-Za-z]+", raw.when.lower()) if w in ZONES),
        default_zone,
    )
    times = re.findall(r"(\d{1,2})(?::(\d{2}))?\s*(am|pm)?", raw.when.split(",")[0], re.I)
    times = [t for t in times if t[0]]
    if not times:
        return day.isoformat(), ""
    meridiem = next((t[2].lower() for t in reversed(times) if t[2]), "")
    zone = ZoneInfo(zone_name)

    def moment(hour: str, minute: str) -> datetime:
        value = int(hour) % 12 + (12 if meridiem == "pm" else 0) if meridiem else int(hour)
        return datetime(day.year, day.month, day.day, value, int(minute or 0), tzinfo=zone)

    start = moment(*times[0][:2])
    end = moment(*times[1][:2]) if len(times) > 1 else None
    if end is not None and end <= start:
        end += timedelta(hours=12)
    return start.isoformat(), end.isoformat() if end else ""


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
                _front(fields) + "\n" + body,
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
                _front(fields) + "\n" + body,
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
            _front(issue_fields) + intro + "\n",
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
