"""Moving an archive in from another generator: the posts, read by ``pelican`` or
``mkdocs``, become Gazette files.

What maps to what:

- a **post** is an item in ``content/items/<YYYY-MM>/<slug>.md`` (its slug kept
  when it is a valid one), with its title, date, ``updated``, summary, tags,
  ``draft: true`` for a draft, and ``follows:`` for the previous post of its
  series;
- **issues**: posts have none, so each month with posts becomes an issue
  (``2024-03``), unless the archive already has that issue;
- a **category** is a section (added to ``site.toml`` when missing);
- **tags** go through ``tags.yml``: a new tag is added with the other case
  and spacing variants the posts use as its aliases (``grid`` and ``Grid`` are
  one tag);
- every published post's **old URL** goes into ``content/redirects.yml``, and
  the ``redirects`` plugin writes a page there that sends readers on;
- **static files** the posts use are copied under ``theme/static/imported/``;
- **ordinary pages** (not posts) are kept as Markdown in ``imported-pages/``
  (outside ``content/``, so the build ignores them) for the editor to place:
  Gazette has no free-standing pages; the home or about page's first
  paragraph becomes ``about`` in a new ``site.toml``.

A project folder without ``site.toml`` gets one from the old site's name, URL,
time zone and language. Writes are all-or-none and never overwrite (unless
``--force``); the archive is then checked as ``build --strict`` would.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from gazette.content.load import read_yaml
from gazette.content.scaffold import front_matter
from gazette.content.vocab import normalise_tag, parse_vocabulary
from gazette.diagnostics import UsageError
from gazette.importer.dates import MONTHS
from gazette.output.urls import SLUG, slugify

REDIRECTS = "content/redirects.yml"
PAGES = "imported-pages"
STATIC = "theme/static/imported"


@dataclass(frozen=True)
class Post:
    source: str  # the file in the old site, for reports
    title: str
    date: date
    category: str
    tags: tuple[str, ...]
    slug: str
    body: str  # Markdown
    summary: str = ""
    draft: bool = False
    updated: date | None = None
    old_url: str = ""  # the path the old site served it at
    series: str = ""
    notes: tuple[str, ...] = ()  # what could not be converted


@dataclass(frozen=True)
class NewTag:
    """A tag an import adds to ``tags.yml``."""

    name: str
    group: str = ""  # required when the vocabulary has groups
    aliases: tuple[str, ...] = ()
    description: str = ""
    comment: str = ""


def with_new_tags(current: str, entries: list[NewTag]) -> str:
    """``tags.yml`` text with ``entries`` added under ``tags:`` (created, or made a block
    mapping when it is the empty ``tags: {}`` that ``init`` writes)."""
    text = current.rstrip("\n")
    if re.search(r"^tags:\s*\{\}\s*$", text, re.M):
        text = re.sub(r"^tags:\s*\{\}\s*$", "tags:", text, count=1, flags=re.M)
    elif not re.search(r"^tags:\s*$", text, re.M):
        text = (text + "\n" if text else "") + "tags:"
    lines = [text, "  # Added by `import`; check them."]
    for entry in entries:
        lines.append(f"  {json.dumps(entry.name, ensure_ascii=False)}:")
        if entry.group:
            lines.append(f"    group: {entry.group}")
        if entry.aliases:
            lines.append(f"    aliases: {json.dumps(list(entry.aliases), ensure_ascii=False)}")
        if entry.description:
            lines.append(f"    description: {json.dumps(entry.description, ensure_ascii=False)}")
        if entry.comment:
            lines.append(f"    # {entry.comment}")
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class OldSite:
    title: str
    url: str
    timezone: str = "UTC"
    language: str = "en"
    statics: tuple[tuple[Path, str], ...] = ()  # (file, path under theme/static/imported)
    # Ordinary pages (not posts): (name, Markdown). Gazette has no free-standing
    # pages, so their text is kept in PAGES for the editor to place.
    pages: tuple[tuple[str, str], ...] = ()
    about: str = ""  # the home or about page's first paragraph, for site.about


@dataclass
class Migration:
    files: dict[str, str] = field(default_factory=dict)  # project path -> text
    copies: list[tuple[Path, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    redirects: dict[str, str] = field(default_factory=dict)


def _month_name(day: date) -> str:
    names = {n: m.title() for m, n in MONTHS.items()}
    return f"{names[day.month]} {day.year}"


SITE_TOML = """\
[site]
title = {title}
description = {description}
base_url = {url}
language = {language}
timezone = {timezone}
about = {about}

{sections}
[plugins.items]
[plugins.issues]
[plugins.home]
[plugins.tags]
[plugins.crosslinks]
[plugins.search]
[plugins.sections]
[plugins.archive]
[plugins.feeds]
[plugins.sitemap]
[plugins.redirects]
"""


def _section_block(sections: dict[str, str]) -> str:
    return "".join(
        f"[[sections]]\nid = {json.dumps(sid)}\ntitle = {json.dumps(title)}\n\n"
        for sid, title in sections.items()
    )


def _tag_names(
    posts: list[Post], lookup: dict[str, str]
) -> tuple[dict[str, str], dict[str, list[str]]]:
    """Each spelling -> its tag name; and the new tags with their aliases."""
    spellings: dict[str, Counter] = {}
    for post in posts:
        for tag in post.tags:
            spellings.setdefault(normalise_tag(tag), Counter())[tag.strip()] += 1
    names: dict[str, str] = {}
    new: dict[str, list[str]] = {}
    for key, counts in spellings.items():
        if key in lookup:
            for spelling in counts:
                names[spelling] = lookup[key]
            continue
        # The commonest spelling names the tag; a capitalised one wins a tie.
        name = sorted(counts, key=lambda s: (-counts[s], not s[:1].isupper(), s))[0]
        for spelling in counts:
            names[spelling] = name
        new[name] = sorted(s for s in counts if s != name)
    return names, new


def missing_tools(what: str) -> UsageError:
    """The error when the old generator's readers are not installed."""
    return UsageError(
        f"importing {what} needs gazette[migrate] (pelican, mkdocs, markdownify). Fix: pip "
        "install 'gazette[migrate]', or run it as python3 dev.py import ..., which installs it"
    )


def item_slug(slug: str, title: str) -> str:
    return slug if SLUG.fullmatch(slug or "") else (slugify(slug or title) or "post")


def plan_migration(posts: list[Post], old: OldSite, project: Path) -> Migration:
    """The files that bring ``posts`` into the archive at ``project``."""
    plan = Migration()
    site_toml = project / "site.toml"
    has_site = site_toml.is_file()
    existing_sections: dict[str, str] = {}
    if has_site:
        from gazette.content.load import load_config

        config = load_config(project)
        existing_sections = {s.title.casefold(): s.id for s in config.sections}
        existing_sections.update({s.id: s.id for s in config.sections})
    sections: dict[str, str] = {}  # category -> section id
    new_sections: dict[str, str] = {}
    for post in posts:
        category = post.category or "Posts"
        if category in sections:
            continue
        sid = existing_sections.get(category.casefold()) or existing_sections.get(slugify(category))
        if not sid:
            sid = slugify(category) or "posts"
            new_sections[sid] = category
        sections[category] = sid
    if not has_site:
        plan.files["site.toml"] = SITE_TOML.format(
            title=json.dumps(old.title or "Imported archive"),
            description=json.dumps(f"The archive of {old.title or 'the site'}."),
            url=json.dumps(
                old.url if old.url.startswith(("http://", "https://")) else "https://example.org/"
            ),
            language=json.dumps(old.language or "en"),
            timezone=json.dumps(old.timezone or "UTC"),
            about=json.dumps(old.about),
            sections=_section_block(new_sections),
        )
    elif new_sections:
        plan.files["site.toml"] = (
            site_toml.read_text("utf-8").rstrip("\n") + "\n\n" + _section_block(new_sections)
        )
        if "[plugins.redirects]" not in plan.files["site.toml"]:
            plan.notes.append("site.toml: add [plugins.redirects] so that the old URLs redirect")
    elif "[plugins.redirects]" not in site_toml.read_text("utf-8"):
        plan.notes.append("site.toml: add [plugins.redirects] so that the old URLs redirect")
    vocabulary, _ = read_yaml(project, "tags.yml", parse_vocabulary) if has_site else (None, [])
    lookup = dict(vocabulary.lookup) if vocabulary is not None else {}
    names, new_tags = _tag_names(posts, lookup)
    tags_yml = project / "content" / "tags.yml"
    current_tags = tags_yml.read_text("utf-8") if tags_yml.is_file() else ""
    if new_tags:
        group = vocabulary.groups[0].id if vocabulary is not None and vocabulary.groups else ""
        entries = [NewTag(name, group, tuple(aliases)) for name, aliases in new_tags.items()]
        plan.files["content/tags.yml"] = with_new_tags(current_tags, entries)
    existing_issues = {p.stem for p in (project / "content" / "issues").glob("*.md")}
    months = sorted({(p.date.year, p.date.month) for p in posts})
    number = len(existing_issues)
    for year, month in months:
        issue_id = f"{year}-{month:02d}"
        if issue_id in existing_issues:
            continue
        number += 1
        last = max(p.date for p in posts if (p.date.year, p.date.month) == (year, month))
        plan.files[f"content/issues/{issue_id}.md"] = (
            front_matter(
                {
                    "id": issue_id,
                    "number": number,
                    "title": f"{old.title or 'Archive'}, {_month_name(last)}",
                    "date": last,
                    "period": _month_name(last),
                }
            )
            + f"\nThe posts of {_month_name(last)}, moved in from the old site.\n"
        )
    previous_in_series: dict[str, str] = {}
    slugs: dict[str, str] = {}
    for post in sorted(posts, key=lambda p: (p.date, p.source)):
        slug = item_slug(post.slug, post.title)
        while slug in slugs.values():
            slug += "-2"
        slugs[post.source] = slug
        fields: dict = {
            "title": post.title,
            "date": post.date,
            "issue": f"{post.date.year}-{post.date.month:02d}",
            "section": sections[post.category or "Posts"],
            "tags": list(dict.fromkeys(names[t.strip()] for t in post.tags if t.strip())),
        }
        if post.summary:
            fields["summary"] = post.summary
        if post.updated and post.updated > post.date:
            fields["updated"] = post.updated
        if post.draft:
            fields["draft"] = True
        if post.series and post.series in previous_in_series:
            fields["follows"] = previous_in_series[post.series]
        if post.series:
            previous_in_series[post.series] = slug
        plan.files[f"content/items/{fields['issue']}/{slug}.md"] = (
            front_matter(fields) + "\n" + post.body.strip() + "\n"
        )
        new_url = f"/items/{slug}/"
        old_path = post.old_url.strip("/")
        if (
            old_path
            and not post.draft
            and old_path not in (new_url.strip("/"), f"{new_url.strip('/')}/index.html")
        ):
            plan.redirects[post.old_url.lstrip("/")] = new_url  # the same URL needs none
        plan.notes += [f"{post.source}: {note}" for note in post.notes]
    if plan.redirects:
        current = project / REDIRECTS
        text = (
            current.read_text("utf-8").rstrip("\n") + "\n"
            if current.is_file()
            else ("# Old URLs of the site this archive came from -> their pages here.\n")
        )
        text += "".join(f"{json.dumps(o)}: {json.dumps(n)}\n" for o, n in plan.redirects.items())
        plan.files[REDIRECTS] = text
    if not (project / "content" / "glossary.yml").is_file():
        plan.files["content/glossary.yml"] = "# Abbreviations: ABBR: what it stands for\n{}\n"
    plan.copies = [(source, f"{STATIC}/{target}") for source, target in old.statics]
    for name, markdown in old.pages:
        plan.files[f"{PAGES}/{name}"] = markdown.strip() + "\n"
    if old.pages:
        plan.notes.append(
            f"{len(old.pages)} ordinary page(s) kept in {PAGES}/ (Gazette has issues and items, "
            "no free-standing pages): place their text, e.g. in site.toml's about"
        )
    return plan
