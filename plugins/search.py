"""Full-text search of the archive, in the browser, with no server.

Pages:

- ``/search/``: the search page (``search.html``); ``search.js`` adds a search
  box to the header of every page and runs queries against one of two engines.

Engines (option ``engine``):

- ``pagefind`` (default): the `pagefind` Python package drives its binary
  (``pagefind_bin``, from PyPI) and writes a chunked index under ``/pagefind/``.
  The browser fetches only the chunks a query needs (about 300 KB at 10,000
  items), so it suits archives of any size. Records are added as custom records,
  not by re-parsing the built HTML, with filters (tag, section, issue, year), a
  ``date`` sort and display metadata.
- ``lunr``: `lunr` (lunr.py) prebuilds a lunr.js index with field boosts, written
  to ``/search/lunr-index.json`` with ``/search/lunr-docs.json`` (what results
  show) and ``lunr.min.js`` from the npm ``lunr`` package (pinned in
  ``theme/vendor/package.json``, installed by ``python3 dev.py``). The browser
  downloads all of it before the first result, so a warning recommends
  ``pagefind`` once the gzipped files pass ``lunr_warn_bytes``.

``link`` returns ``SearchData``: one ``Record`` per public item (never a draft
or a scheduled item), a pure function of the site and its glossary. Each record
carries the canonical tags and their aliases (so ``Standardization`` finds items
tagged ``Standardisation``) and glossary synonyms (so ``MIIT`` and ``Ministry of
Industry and Information Technology`` find each other).
"""

from __future__ import annotations

import asyncio
import base64
import gzip
import importlib.metadata
import json
import re
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gazette.diagnostics import ContentError, Diagnostic, error, warning
from gazette.model import GlossaryEntry, Item, Site
from gazette.plugin_cache import PluginCache, cache_key
from gazette.plugins import Option, Page, StaticFile

ENGINES = ("pagefind", "lunr")
OPTIONS = {
    "engine": Option(
        str,
        "pagefind",
        "pagefind (chunked index, any archive size) or lunr (one index, small archives)",
        ENGINES,
    ),
    "lunr_warn_bytes": Option(
        int, 1_000_000, "warn when the gzipped lunr files pass this many bytes"
    ),
}
VENDOR = Path(__file__).resolve().parent.parent / "theme" / "vendor"
LUNR_JS = VENDOR / "node_modules" / "lunr" / "lunr.min.js"
SETUP_COMMAND = "python3 dev.py build (it runs: npm ci --prefix theme/vendor)"
# The Pagefind bundle minus its own UIs: search.js is our UI.
PAGEFIND_SKIP = re.compile(r"pagefind-(component-ui|modular-ui|ui|highlight)\.")
# Field weights: title and tags over summary over body (lunr boosts; Pagefind weights).
LUNR_FIELDS = (("title", 10), ("tags", 10), ("summary", 3), ("synonyms", 1), ("body", 1))
PAGEFIND_WEIGHTS = (("title", 7), ("tags", 7), ("summary", 3))


@dataclass(frozen=True)
class Record:
    """What search knows of one item: display fields and the text it matches."""

    url: str  # site-relative: /items/<slug>/
    title: str
    date: str  # ISO 8601
    issue: str  # the issue's title
    section: str  # the section's title
    tags: tuple[str, ...]  # canonical names
    aliases: tuple[str, ...]  # every alias of those tags
    summary: str
    body: str  # plain text of the rendered body, whitespace collapsed
    synonyms: tuple[str, ...]  # glossary expansions or abbreviations the item lacks

    @property
    def year(self) -> str:
        return self.date[:4]


@dataclass(frozen=True)
class SearchData:
    """``site.data["search"]``: the engine (templates read it) and the records."""

    engine: str
    records: tuple[Record, ...]


# --------------------------------------------------------------------------- records


@dataclass(frozen=True)
class Phrase:
    """An abbreviation (kept as written) or an expansion (casefolded) of the glossary."""

    entry: GlossaryEntry
    text: str  # whitespace collapsed


@dataclass(frozen=True)
class Thesaurus:
    """The glossary: abbreviations match with their case, expansions in any case."""

    abbreviations: tuple[Phrase, ...]
    expansions: tuple[Phrase, ...]


def _phrase(entry: GlossaryEntry, text: str) -> Phrase:
    text = " ".join(text.split())
    return Phrase(entry, text)


def thesaurus(glossary: Sequence[GlossaryEntry]) -> Thesaurus:
    return Thesaurus(
        tuple(_phrase(entry, entry.abbr) for entry in glossary),
        tuple(_phrase(entry, entry.expansion.casefold()) for entry in glossary),
    )


def _joined(neighbours: str) -> bool:
    """Whether a phrase continues into ``neighbours`` (nearest character first).

    A letter, digit or underscore continues it, and so does "/" or "&" before
    one: "GB" inside "GB/T" is another term.
    """
    if not neighbours:
        return False
    first = neighbours[0]
    if first.isalnum() or first == "_":
        return True
    return (
        first in "/&" and len(neighbours) > 1 and (neighbours[1].isalnum() or neighbours[1] == "_")
    )


def occurs(phrase: str, text: str) -> bool:
    """Whether ``phrase`` occurs in ``text`` as whole words."""
    start = text.find(phrase)
    while start != -1:
        end = start + len(phrase)
        if not _joined(text[max(0, start - 2) : start][::-1]) and not _joined(text[end : end + 2]):
            return True
        start = text.find(phrase, start + 1)
    return False


def synonyms(text: str, words: Thesaurus) -> tuple[str, ...]:
    """Expansions of the abbreviations ``text`` uses, and abbreviations of its expansions.

    Only the side that is missing is added: an item that writes both needs neither.
    Abbreviations match with their case (MOST is not "most"), expansions in any case.
    """
    text = " ".join(text.split())
    folded = text.casefold()
    # ``occurs`` starts with str.find, a C scan per phrase: cheaper than first
    # splitting a 500-word body into a set of words (all records at 10,000
    # items with 15 glossary entries: 4.0 s -> 2.4 s under cProfile).
    abbreviations = {p.entry for p in words.abbreviations if occurs(p.text, text)}
    expansions = {p.entry for p in words.expansions if occurs(p.text, folded)}
    found = [e.expansion for e in abbreviations - expansions]
    found += [e.abbr for e in expansions - abbreviations]
    return tuple(sorted(found))


def record(item: Item, site: Site, words: Thesaurus) -> Record:
    issue = site.issue_by_id.get(item.issue)
    section = site.config.section_by_id.get(item.section)
    tags = site.vocabulary.by_name
    aliases = tuple(alias for name in item.tags if name in tags for alias in tags[name].aliases)
    body = " ".join(item.text.split())
    used = "\n".join((item.title, item.summary, body, " ".join(item.tags)))
    return Record(
        url=item.url,
        title=item.title,
        date=item.date.isoformat(),
        issue=issue.title if issue else item.issue,
        section=section.title if section else item.section,
        tags=item.tags,
        aliases=aliases,
        summary=item.summary,
        body=body,
        synonyms=synonyms(used, words),
    )


def records(site: Site, glossary: Sequence[GlossaryEntry]) -> tuple[Record, ...]:
    """One record per public item, newest first: drafts and scheduled items never appear."""
    words = thesaurus(glossary)
    return tuple(record(item, site, words) for item in site.public_items)


# --------------------------------------------------------------------------- pagefind

_MARKER = re.compile(r"___(END_)?PAGEFIND_\w*")


def _weighted(text: str, weight: int) -> str:
    # Pagefind's digest format: its HTML parser writes these markers around
    # weighted elements, and custom records go through the same digest parser.
    # The markers are stripped from the stored content.
    return f" ___PAGEFIND_WEIGHT___{weight} {text} ___END_PAGEFIND_WEIGHT___ " if text else ""


def pagefind_record(rec: Record, language: str) -> dict[str, Any]:
    """The arguments of ``PagefindIndex.add_custom_record`` for one record.

    The body comes first so that ``meta.words`` (its word count) tells the UI
    where the text for excerpts ends; title, tags and summary follow, weighted.
    """
    body = _MARKER.sub("", rec.body)
    fields = {
        "title": rec.title,
        "tags": " ".join((*rec.tags, *rec.aliases)),
        "summary": rec.summary,
    }
    content = body + "".join(_weighted(_MARKER.sub("", fields[f]), w) for f, w in PAGEFIND_WEIGHTS)
    content += " " + " ".join(rec.synonyms)
    return {
        "url": rec.url,
        "content": content.strip(),
        "language": language,
        "meta": {
            "title": rec.title,
            "date": rec.date,
            "issue": rec.issue,
            "section": rec.section,
            "summary": rec.summary,
            "words": str(len(body.split())),
        },
        "filters": {
            "tag": list(rec.tags),
            "section": [rec.section],
            "issue": [rec.issue],
            "year": [rec.year],
        },
        "sort": {"date": rec.date},
    }


def _service_class() -> type:
    from pagefind.service import PagefindService

    class PromptService(PagefindService):
        """``PagefindService`` whose reader does not sleep 0.1 s before each response.

        The stock reader takes one response per 0.1 s, so 10,000 records would
        take 17 minutes to add; this one reads them as they come (same protocol:
        base64 JSON messages, each followed by a comma).
        """

        async def _wait_for_responses(self) -> None:
            stdout = self._backend.stdout
            while True:
                chunk = await stdout.readuntil(b",")
                try:
                    response = json.loads(base64.b64decode(chunk[:-1]))
                except ValueError:
                    continue  # a log line from the binary, not a message
                future = self._responses.get((response or {}).get("message_id"))
                if future is None or future.done():
                    continue
                payload = response["payload"]
                if payload.get("type") == "Error":
                    future.set_exception(RuntimeError(payload.get("message", "pagefind failed")))
                else:
                    future.set_result(payload)

    return PromptService


async def _pagefind_bundle(entries: list[dict[str, Any]], language: str) -> dict[str, bytes]:
    from pagefind.index import IndexConfig

    service = await _service_class()().launch()
    try:
        index = await service.create_index(IndexConfig(force_language=language))
        await asyncio.gather(*(index.add_custom_record(**entry) for entry in entries))
        with tempfile.TemporaryDirectory(prefix="gazette-pagefind-") as folder:
            # write_files, not get_files: one huge response can stall the pipe.
            await index.write_files(output_path=folder)
            root = Path(folder)
            return {
                path.relative_to(root).as_posix(): path.read_bytes()
                for path in sorted(root.rglob("*"))
                if path.is_file() and not PAGEFIND_SKIP.match(path.name)
            }
    finally:
        await service.close()


def _version(distribution: str) -> str:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return ""


def reuse(
    cache: PluginCache | None, slot: str, key_parts: tuple, build: Callable[[], dict[str, bytes]]
) -> dict[str, bytes]:
    """``build()``'s files, or the same files from the last build when nothing they
    depend on (``key_parts``) has changed.

    Indexing 10,000 items takes Pagefind about a minute and cannot be done in
    part, so a rebuild that changes no record (a template edit, a warm build)
    reuses the last index instead of building it again.
    """
    if cache is None:
        return build()
    key = cache_key(*key_parts)
    files = cache.load(slot, key)
    if files is None:
        files = build()
        cache.store(slot, key, files)
    return files


def pagefind_files(
    recs: Sequence[Record], language: str, cache: PluginCache | None = None
) -> dict[str, bytes]:
    """The Pagefind bundle for ``recs``: {path under /pagefind/: bytes}."""
    try:
        import pagefind.index  # noqa: F401
        from pagefind.service import get_executable
    except ImportError as exc:
        raise _setup_error(
            "the pagefind package is not installed", "pip install 'pagefind[bin]'"
        ) from exc
    if get_executable() is None:
        raise _setup_error("the pagefind binary is missing", "pip install 'pagefind[bin]'")
    entries = [pagefind_record(rec, language) for rec in recs]

    def build() -> dict[str, bytes]:
        # A thread of its own, so that its event loop never meets the caller's
        # (Playwright's sync API, for one, keeps a loop running in its thread).
        with ThreadPoolExecutor(1) as pool:
            return pool.submit(asyncio.run, _pagefind_bundle(entries, language)).result()

    versions = (_version("pagefind"), _version("pagefind_bin"))
    return reuse(cache, "pagefind", (versions, language, entries), build)


# --------------------------------------------------------------------------- lunr


def lunr_document(ref: int, rec: Record) -> dict[str, str]:
    return {
        "id": str(ref),
        "title": rec.title,
        "tags": " ".join((*rec.tags, *rec.aliases)),
        "summary": rec.summary,
        "synonyms": " ".join(rec.synonyms),
        "body": rec.body,
    }


def lunr_display(rec: Record) -> dict[str, Any]:
    """What a lunr result shows; the position in the list is the lunr ``ref``."""
    return {
        "url": rec.url,
        "title": rec.title,
        "date": rec.date,
        "issue": rec.issue,
        "section": rec.section,
        "tags": list(rec.tags),
        "summary": rec.summary,
        "text": rec.body,
    }


def _json(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


def lunr_files(recs: Sequence[Record], cache: PluginCache | None = None) -> dict[str, bytes]:
    """The prebuilt lunr.js index and the documents file: {url: bytes}."""
    try:
        from lunr import lunr
    except ImportError as exc:
        raise _setup_error(
            "the lunr package (lunr.py) is not installed", "pip install lunr"
        ) from exc
    documents = [lunr_document(n, rec) for n, rec in enumerate(recs)]
    display = [lunr_display(rec) for rec in recs]

    def build() -> dict[str, bytes]:
        index = lunr(
            ref="id",
            fields=[{"field_name": name, "boost": boost} for name, boost in LUNR_FIELDS],
            documents=documents,
        )
        return {
            "/search/lunr-index.json": _json(index.serialize()),
            "/search/lunr-docs.json": _json(display),
        }

    key = (_version("lunr"), LUNR_FIELDS, documents, display)
    return reuse(cache, "lunr", key, build)


def gzipped_size(files: Iterable[bytes]) -> int:
    """Bytes on the wire when served gzipped (level 6, as GitHub Pages and our server)."""
    return sum(len(gzip.compress(data, compresslevel=6, mtime=0)) for data in files)


def size_warning(size: int, limit: int, path: str, line: int) -> Diagnostic | None:
    """A warning recommending Pagefind when the lunr files weigh more than ``limit``."""
    if size <= limit:
        return None
    return warning(
        path,
        line,
        "search-index-size",
        f"the lunr search index and documents weigh {size / 1e6:.1f} MB gzipped, over "
        f"{limit / 1e6:g} MB: readers download all of it before the first result",
        'set engine = "pagefind" in [plugins.search]; it loads only what a query needs',
    )


def lunr_script() -> bytes:
    if not LUNR_JS.is_file():
        raise _setup_error(
            f"lunr.js is not installed ({LUNR_JS.relative_to(VENDOR.parent.parent)} is missing)",
            f"run {SETUP_COMMAND}",
        )
    return LUNR_JS.read_bytes()


# --------------------------------------------------------------------------- hooks


def _setup_error(message: str, fix: str) -> ContentError:
    return ContentError([error("site.toml", 0, "search-setup", f"search: {message}", fix)])


def link(site: Site, *, options: Mapping[str, Any], **kwargs: Any) -> SearchData:
    """Runs after loading: the records of every public item."""
    return SearchData(options["engine"], records(site, site.glossary))


def outputs(
    site: Site,
    *,
    options: Mapping[str, Any],
    name: str,
    cache: PluginCache | None = None,
    **kwargs: Any,
) -> Iterator[Page | StaticFile | Diagnostic]:
    """Runs in the render stage: the search page, the engine's files and size warnings."""
    data: SearchData = site.data[name]
    yield Page(
        url="/search/",
        template="search.html",
        context={
            "title": "Search",
            "description": f"Search the full text of {site.config.site.title}",
            "engine": data.engine,
        },
    )
    if data.engine == "pagefind":
        bundle = pagefind_files(data.records, site.config.site.language, cache)
        for path, content in bundle.items():
            yield StaticFile(f"/pagefind/{path}", content)
        return
    script = lunr_script()
    files = lunr_files(data.records, cache)
    for url, content in files.items():
        yield StaticFile(url, content)
    yield StaticFile("/search/lunr.min.js", script)
    line = next((spec.line for spec in site.config.plugins if spec.name == name), 0)
    found = size_warning(
        gzipped_size(files.values()), options["lunr_warn_bytes"], site.config.path, line
    )
    if found:
        yield found
