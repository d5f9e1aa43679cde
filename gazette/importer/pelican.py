"""Read a Pelican site with Pelican's own machinery (``gazette[migrate]``).

``pelicanconf.py`` is read by ``pelican.settings.read_settings``; every article
under ``PATH`` (Markdown or reStructuredText, metadata in either syntax) by
``pelican.readers.Readers``, which gives its metadata, its URL as the site's
``ARTICLE_URL`` made it (``DRAFT_URL`` for drafts) and its body as HTML. The
body becomes Markdown through markdownify; ``{filename}`` links become links
to the imported items, ``{static}`` and ``{attach}`` links to the copied files.
What markdownify cannot keep (admonitions, raw embeds, scripts) is reported
per file.
"""

from __future__ import annotations

import html
import re
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path

from gazette.diagnostics import UsageError
from gazette.importer.migrate import OldSite, Post, item_slug, missing_tools

_LINK = re.compile(r"\{(filename|static|attach)\}/?([^\"')\s>]+)")
_UNKEPT = {
    "admonition": re.compile(r'class="[^"]*admonition'),
    "embedded frame": re.compile(r"<iframe", re.I),
    "script": re.compile(r"<script", re.I),
    "math": re.compile(r'class="[^"]*math'),
    "raw video": re.compile(r"<video", re.I),
}


def _text(value: object) -> str:
    return str(value) if value is not None else ""


def _plain(markup: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", markup)).strip()


def _day(value: object) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return None


def read_pelican(folder: Path) -> tuple[OldSite, list[Post]]:
    try:
        from markdownify import markdownify
        from pelican.contents import Article, Page
        from pelican.readers import Readers
        from pelican.settings import read_settings
    except ImportError:
        raise missing_tools("a Pelican site") from None
    config = folder / "pelicanconf.py"
    if not config.is_file():
        raise UsageError(f"{folder}: no pelicanconf.py. Fix: give the folder of the Pelican site")
    settings = read_settings(str(config))
    content = Path(settings["PATH"])
    if not content.is_absolute():
        content = (folder / content).resolve()
    readers = Readers(settings)
    extensions = tuple(f".{ext}" for ext in readers.extensions)
    static_dirs = [content / p for p in settings.get("STATIC_PATHS", [])]
    pages_dirs = [content / p for p in settings.get("PAGE_PATHS", ["pages"])]
    articles = []
    for path in sorted(content.rglob("*")):
        if not path.is_file() or path.suffix not in extensions:
            continue
        if any(path.is_relative_to(d) for d in (*static_dirs, *pages_dirs)):
            continue
        relative = path.relative_to(content).as_posix()
        article = readers.read_file(
            base_path=str(content), path=relative, content_class=Article, context={}
        )
        articles.append((relative, article))
    slugs = {
        relative: item_slug(_text(a.metadata.get("slug")), a.title) for relative, a in articles
    }
    statics: dict[str, str] = {}
    posts = []
    for relative, article in articles:
        meta = article.metadata
        body_html = article._content or ""
        notes = [
            f"{what} kept as text or dropped"
            for what, found in _UNKEPT.items()
            if found.search(body_html)
        ]

        def link(match: re.Match[str]) -> str:
            kind, target = match.group(1), match.group(2).split("#")[0]
            anchor = "#" + match.group(2).split("#", 1)[1] if "#" in match.group(2) else ""
            if kind == "filename" and target in slugs:
                return f"../../items/{slugs[target]}/{anchor}"
            statics[target] = target
            return f"../../static/imported/{target}"

        body_html = _LINK.sub(link, body_html)
        markdown = markdownify(body_html, heading_style="ATX", bullets="-", strip=["div"]).strip()
        markdown = re.sub(r"\n{3,}", "\n\n", markdown)
        tags = tuple(_text(t) for t in meta.get("tags", []) or [])
        day = _day(meta.get("date")) or date.today()
        posts.append(
            Post(
                source=relative,
                title=_text(meta.get("title")) or Path(relative).stem,
                date=day,
                category=_text(meta.get("category")),
                tags=tags,
                slug=slugs[relative],
                body=markdown,
                summary=_plain(_text(meta.get("summary")))[:300],
                draft=_text(meta.get("status")).lower() == "draft",
                updated=_day(meta.get("modified")),
                old_url=_text(getattr(article, "url", "")),
                series=_text(meta.get("series")),
                notes=tuple(notes),
            )
        )
    copies = tuple(
        (content / target, target) for target in sorted(statics) if (content / target).is_file()
    )
    missing = sorted(t for t in statics if not (content / t).is_file())
    if missing:
        posts = [
            replace(
                p,
                notes=(
                    *p.notes,
                    *(f"links to {m}, which is not in the site" for m in missing if m in p.body),
                ),
            )
            for p in posts
        ]
    pages = []
    about = ""
    for folder_ in pages_dirs:
        for path in sorted(folder_.rglob("*")) if folder_.is_dir() else []:
            if not path.is_file() or path.suffix not in extensions:
                continue
            relative = path.relative_to(content).as_posix()
            page = readers.read_file(
                base_path=str(content), path=relative, content_class=Page, context={}
            )
            markdown = markdownify(page._content or "", heading_style="ATX", bullets="-").strip()
            slug = item_slug(_text(page.metadata.get("slug")), page.title)
            pages.append((f"{slug}.md", f"# {page.title}\n\n{markdown}"))
            if slug == "about" and not about:
                about = " ".join(markdown.split("\n\n")[0].split())
    site = OldSite(
        title=_text(settings.get("SITENAME")),
        url=_text(settings.get("SITEURL")),
        timezone=_text(settings.get("TIMEZONE")) or "UTC",
        language=_text(settings.get("DEFAULT_LANG")) or "en",
        statics=copies,
        pages=tuple(pages),
        about=about,
    )
    return site, posts
