"""Parse one content file from its text into a model object.

``parse_item`` and ``parse_issue`` are pure: they take the text, never a file,
so tests need no files. Markdown is rendered later, in bulk and in parallel.
"""

from __future__ import annotations

import posixpath
from datetime import date
from types import MappingProxyType
from zoneinfo import ZoneInfo

from gazette.content.fields import Reader, did_you_mean
from gazette.content.source import Source, clean_text, decode, split
from gazette.content.sources import read_sources
from gazette.content.vocab import canonical_tags
from gazette.content.yamlstrict import load_mapping, to_plain
from gazette.diagnostics import Diagnostic, error, warning
from gazette.model import Config, Event, Issue, Item, Vocabulary
from gazette.output.urls import SLUG, slugify

ITEM_REQUIRED = ("title", "date", "issue", "section", "tags")
ITEM_KEYS = (
    *ITEM_REQUIRED,
    *("summary", "sources", "slug", "draft", "kind", "order", "follows", "supersedes"),
    *("updated", "start", "end", "location", "online", "registration"),
)
EVENT_KEYS = ("start", "end", "location", "online", "registration")
ISSUE_REQUIRED = ("id", "number", "title", "date")
ISSUE_KEYS = (*ISSUE_REQUIRED, "period", "pdf")
KINDS = ("news", "event")
OLDEST = date(1990, 1, 1)
TAGS_COMMENT_HINT = (
    "'#' starts a YAML comment, so 'tags: #5G #AI' is read as nothing; write tags: [\"5G\", \"AI\"]"
)


def _open(
    path: str, data: bytes | str, required: tuple[str, ...]
) -> tuple[Source | None, Reader | None, list[Diagnostic]]:
    text = clean_text(path, data) if isinstance(data, str) else decode(path, data)
    if isinstance(text, Diagnostic):
        return None, None, [text]
    source = split(path, text, required)
    if isinstance(source, Diagnostic):
        return None, None, [source]
    fields, problems = load_mapping(path, source.front_matter, source.fm_line_offset)
    if problems:
        return None, None, problems
    reader = Reader(path, fields, source.front_matter.split("\n"), source.fm_line_offset)
    reader.require(required)
    return source, reader, reader.problems


def _tags(reader: Reader, vocabulary: Vocabulary) -> tuple[str, ...]:
    field = reader.fields.get("tags")
    if field is None:
        return ()
    raw = reader.raw_line(field.line)
    if "#" in raw and not reader.is_list("tags"):
        reader.fail(field, "tags-comment", "'tags' is empty or cut short", TAGS_COMMENT_HINT)
        return ()
    if not reader.is_list("tags"):
        reader.fail(
            field,
            "not-a-list",
            "'tags' must be a list, not a single value",
            'write tags: ["5G", "AI"], or tags: [] for none',
        )
        return ()
    names, problems = canonical_tags(vocabulary, reader.text_list("tags"), reader.path)
    reader.problems.extend(problems)
    return names


def _slug(reader: Reader, path: str) -> str:
    explicit = reader.text("slug")
    if explicit:
        if not SLUG.fullmatch(explicit):
            reader.fail(
                reader.fields["slug"],
                "unsafe-slug",
                f"slug '{explicit}' may only hold lowercase letters, digits and single hyphens",
                f"e.g. slug: {slugify(explicit) or 'my-item'}",
            )
            return ""
        return explicit
    stem = posixpath.splitext(posixpath.basename(path))[0]
    slug = slugify(stem)
    if not slug:
        reader.problems.append(
            error(
                path,
                1,
                "empty-slug",
                f"the file name '{stem}' gives an empty URL slug",
                "rename the file with Latin letters or digits, or add slug: my-item",
            )
        )
    return slug


def _event(reader: Reader, kind: str, tz: ZoneInfo) -> Event | None:
    if kind != "event":
        for key in EVENT_KEYS:
            if key in reader.fields:
                reader.fail(
                    reader.fields[key],
                    "event-field",
                    f"'{key}' is an event field but this item is not an event",
                    "add kind: event, or remove the field",
                )
        return None
    if "start" not in reader.fields:
        reader.problems.append(
            error(
                reader.path,
                1,
                "missing-keys",
                "an event lacks the required key start",
                "add start: 2020-09-17T14:00:00+08:00",
            )
        )
        return None
    start = reader.day("start", tz)
    end = reader.day("end", tz)
    location = reader.text("location")
    online = reader.flag("online")
    if start and end and end < start:
        reader.fail(
            reader.fields["end"],
            "event-end",
            "the event ends before it starts",
            "check the end date and time",
        )
    if not location and not online:
        reader.problems.append(
            error(
                reader.path,
                reader.fields["start"].line,
                "event-location",
                "an event needs a location or online: true",
                "add location: City, venue",
            )
        )
    return Event(start, end, location, online, reader.url("registration")) if start else None


def parse_item(
    path: str, data: bytes | str, config: Config, vocabulary: Vocabulary
) -> tuple[Item | None, list[Diagnostic]]:
    """Parse an item file; return the item (body not yet rendered) or diagnostics."""
    source, reader, problems = _open(path, data, ITEM_REQUIRED)
    if reader is None or source is None:
        return None, problems
    tz = ZoneInfo(config.site.timezone)
    reader.warn_unknown(ITEM_KEYS)
    title = reader.text("title", required=True)
    published = reader.day("date", tz, required=True)
    issue = reader.text("issue", required=True)
    section = reader.text("section", required=True)
    if section and section not in config.section_by_id:
        allowed = ", ".join(config.section_by_id)
        guess = did_you_mean(section, list(config.section_by_id))
        reader.fail(
            reader.fields["section"],
            "unknown-section",
            f"unknown section '{section}'",
            (f"did you mean '{guess[0]}'? " if guess else "") + f"allowed sections: {allowed}",
        )
    tags = _tags(reader, vocabulary)
    kind = reader.text("kind", default="news")
    if kind not in KINDS:
        reader.fail(
            reader.fields["kind"], "bad-kind", f"unknown kind '{kind}'", "use news or event"
        )
    event = _event(reader, kind, tz)
    updated = reader.day("updated", tz)
    item = Item(
        path=path,
        slug=_slug(reader, path),
        title=title,
        date=published.date() if published else date.min,
        published=published,
        issue=issue,
        section=section,
        tags=tags,
        summary=reader.text("summary"),
        sources=read_sources(reader),
        draft=reader.flag("draft"),
        kind=kind,
        order=reader.integer("order"),
        follows=reader.text("follows") or None,
        supersedes=reader.text("supersedes") or None,
        updated=updated.date() if updated else None,
        event=event,
        body=source.body,
        body_line_offset=source.body_line_offset,
        lines=MappingProxyType({k: f.line for k, f in reader.fields.items()}),
        extra=MappingProxyType(
            {k: to_plain(f.node) for k, f in reader.fields.items() if k not in ITEM_KEYS}
        ),
    )
    if published and item.date < OLDEST:
        reader.problems.append(
            warning(
                path,
                reader.fields["date"].line,
                "very-old-date",
                f"the date {item.date} is before {OLDEST}",
                "check the year",
            )
        )
    if any(p.is_error for p in reader.problems):
        return None, reader.problems
    return item, reader.problems


def parse_issue(
    path: str, data: bytes | str, config: Config
) -> tuple[Issue | None, list[Diagnostic]]:
    """Parse an issue file; return the issue (body not yet rendered) or diagnostics."""
    source, reader, problems = _open(path, data, ISSUE_REQUIRED)
    if reader is None or source is None:
        return None, problems
    reader.warn_unknown(ISSUE_KEYS)
    issue_id = reader.text("id", required=True)
    if issue_id and not SLUG.fullmatch(issue_id):
        reader.fail(
            reader.fields["id"],
            "unsafe-slug",
            f"issue id '{issue_id}' may only hold lowercase letters, digits and hyphens",
            'e.g. id: "2020-08"',
        )
    day = reader.day("date", ZoneInfo(config.site.timezone), required=True)
    issue = Issue(
        path=path,
        id=issue_id,
        number=reader.integer("number") or 0,
        title=reader.text("title", required=True),
        date=day.date() if day else date.min,
        period=reader.text("period"),
        pdf=reader.url("pdf"),
        body=source.body,
        body_line_offset=source.body_line_offset,
        lines=MappingProxyType({k: f.line for k, f in reader.fields.items()}),
        extra=MappingProxyType(
            {k: to_plain(f.node) for k, f in reader.fields.items() if k not in ISSUE_KEYS}
        ),
    )
    if any(p.is_error for p in reader.problems):
        return None, reader.problems
    return issue, reader.problems
