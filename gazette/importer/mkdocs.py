"""Read an MkDocs site with Material's blog plugin (``gazette[migrate]``).

``mkdocs.yml`` is read with MkDocs' own YAML loader (``mkdocs.utils.yaml``: it
knows ``!ENV`` and ``INHERIT``); the blog plugin's settings come from its
``plugins`` entry (``blog_dir``, ``post_dir``, ``post_url_format``,
``post_url_date_format``, ``draft``), with Material's defaults. Every post under
the posts folder gives a post: ``date`` (a date, or a map with ``created`` and
``updated``), ``categories`` (the first is the section; the others become
tags), ``tags``, ``draft``, ``slug``, the title (``title:`` or the first ``#``
heading) and the excerpt before ``<!-- more -->`` as the summary.

Material syntax: an admonition (``!!! note "Title"``, ``??? tip``) becomes a
quote with its title in bold; content tabs (``=== "Label"``) become a bold
label and their text; icons (``:material-...:``) are dropped. Each is reported
per file. Ordinary pages (not posts) are kept as Markdown for the editor
(``migrate.PAGES``).
"""

from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path

import frontmatter

from gazette.diagnostics import UsageError
from gazette.importer.migrate import OldSite, Post, missing_tools
from gazette.output.urls import slugify

_ADMONITION = re.compile(r'^(\s*)(!!!|\?\?\?\+?)\s+(\w+)(?:\s+"([^"]*)")?\s*$')
_TAB = re.compile(r'^(\s*)===\+?\s+"([^"]*)"\s*$')
_ICON = re.compile(r":(?:material|octicons|fontawesome|simple)-[a-z0-9-]+:")
_MORE = re.compile(r"<!--\s*more\s*-->")


def _day(value: object) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value.strip()).date()
        except ValueError:
            return None
    return None


def _blog_settings(config: dict) -> dict:
    for entry in config.get("plugins", []) or []:
        name, options = (entry, {}) if isinstance(entry, str) else next(iter(entry.items()))
        if name in ("blog", "material/blog"):
            return options or {}
    return {}


def _date_format(pattern: str) -> str:
    """Material's (Babel's) date pattern as strftime: yyyy/MM/dd -> %Y/%m/%d."""
    for babel, strf in (("yyyy", "%Y"), ("MM", "%m"), ("dd", "%d")):
        pattern = pattern.replace(babel, strf)
    return pattern


def convert_material(markdown: str) -> tuple[str, list[str]]:
    """Material and pymdown syntax Gazette does not render, made into plain Markdown."""
    notes: list[str] = []
    out: list[str] = []
    lines = markdown.split("\n")
    index = 0
    while index < len(lines):
        line = lines[index]
        admonition = _ADMONITION.match(line)
        tab = _TAB.match(line)
        if admonition or tab:
            indent = len((admonition or tab).group(1))
            body: list[str] = []
            index += 1
            while index < len(lines) and (
                not lines[index].strip() or len(lines[index]) - len(lines[index].lstrip()) > indent
            ):
                body.append(lines[index][indent + 4 :] if lines[index].strip() else "")
                index += 1
            while body and not body[-1]:
                body.pop()
            if admonition:
                title = admonition.group(4) or admonition.group(3).title()
                out += [f"> **{title}**", ">"] + [f"> {b}".rstrip() for b in body] + [""]
                notes.append(f"admonition '{admonition.group(3)}' became a quote")
            else:
                out += [f"**{tab.group(2)}**", "", *body, ""]
                notes.append(f"content tab '{tab.group(2)}' became a bold label")
            continue
        out.append(line)
        index += 1
    text = "\n".join(out)
    if _ICON.search(text):
        notes.append("icons dropped")
        text = _ICON.sub("", text)
    return re.sub(r"\n{3,}", "\n\n", text), sorted(set(notes))


def read_mkdocs(folder: Path) -> tuple[OldSite, list[Post]]:
    try:
        from mkdocs.utils.yaml import yaml_load
    except ImportError:
        raise missing_tools("an MkDocs site") from None
    config_path = folder / "mkdocs.yml"
    if not config_path.is_file():
        raise UsageError(f"{folder}: no mkdocs.yml. Fix: give the folder of the MkDocs site")
    with config_path.open(encoding="utf-8") as handle:
        config = yaml_load(handle) or {}
    docs = folder / str(config.get("docs_dir", "docs"))
    blog = _blog_settings(config)
    blog_dir = str(blog.get("blog_dir", "blog")).strip("/")
    post_dir = str(blog.get("post_dir", "{blog}/posts")).replace("{blog}", blog_dir)
    url_format = str(blog.get("post_url_format", "{date}/{slug}"))
    date_format = _date_format(str(blog.get("post_url_date_format", "yyyy/MM/dd")))
    drafts_are_drafts = blog.get("draft", False) is not True
    posts_folder = docs / post_dir
    posts: list[Post] = []
    for path in sorted(posts_folder.rglob("*.md")) if posts_folder.is_dir() else []:
        relative = path.relative_to(folder).as_posix()
        document = frontmatter.loads(path.read_text("utf-8"))
        meta = document.metadata
        body = document.content
        raw_date = meta.get("date")
        created = _day(raw_date.get("created")) if isinstance(raw_date, dict) else _day(raw_date)
        updated = _day(raw_date.get("updated")) if isinstance(raw_date, dict) else None
        heading = re.search(r"^#\s+(.+)$", body, re.M)
        title = str(meta.get("title") or (heading.group(1).strip() if heading else path.stem))
        if heading and not meta.get("title"):
            body = body[: heading.start()] + body[heading.end() :]
        parts = _MORE.split(body, maxsplit=1)
        summary = (
            re.sub(r"[#*_`>\[\]]", "", " ".join(parts[0].split())).strip()[:300]
            if len(parts) > 1
            else ""
        )
        body = re.sub(r"\n{3,}", "\n\n", _MORE.sub("", body))
        body, notes = convert_material(body)
        categories = [str(c) for c in meta.get("categories", []) or []]
        slug = str(meta.get("slug") or slugify(title))
        day = created or date.today()
        old_url = url_format.format(
            date=day.strftime(date_format),
            slug=slug,
            categories="/".join(slugify(c) for c in categories),
            file=path.stem,
        )
        if meta.get("authors"):
            notes.append("authors not kept (Gazette items have none)")
        posts.append(
            Post(
                source=relative,
                title=title,
                date=day,
                category=categories[0] if categories else "",
                tags=(*[str(t) for t in meta.get("tags", []) or []], *categories[1:]),
                slug=slug,
                body=body.strip(),
                summary=summary,
                draft=bool(meta.get("draft")) and drafts_are_drafts,
                updated=updated,
                old_url=f"{blog_dir}/{old_url.strip('/')}/",
                notes=tuple(notes),
            )
        )
    pages = []
    about = ""
    for page in sorted(docs.rglob("*.md")):
        if page.is_relative_to(posts_folder) or page.is_relative_to(docs / blog_dir):
            continue
        markdown, _ = convert_material(frontmatter.loads(page.read_text("utf-8")).content)
        name = page.relative_to(docs).as_posix()
        pages.append((name, markdown))
        if name in ("index.md", "about.md") and not about:
            paragraphs = [p for p in markdown.split("\n\n") if p.strip() and not p.startswith("#")]
            about = " ".join(paragraphs[0].split()) if paragraphs else ""
    theme = config.get("theme") if isinstance(config.get("theme"), dict) else {}
    site = OldSite(
        title=str(config.get("site_name", "")),
        url=str(config.get("site_url", "") or ""),
        language=str(theme.get("language", "en") if theme else "en"),
        pages=tuple(pages),
        about=about,
    )
    return site, posts
