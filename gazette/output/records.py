"""What each page of the last build was made from: the dependency records.

For every rendered page the build keeps a ``PageRecord``: a key (a digest of
the page's URL, template name and context) and the reads its templates made
from the site and the theme (``gazette.render.tracking``). Records live in
``.gazette-cache/pages.pickle`` with the build-wide ``salt`` (code, config,
menu, theme assets) and the output folder they describe.

They are written after the new site has been swapped in and before the writer's
manifest, each by a rename, so a build killed at any moment leaves either the
old records or the new: a page is reused only when its record matches *and*
the file in ``site/`` still has the size and modification time that the
manifest says the last build gave it, so a stale record can only cost a render.
A damaged or foreign file is ignored (the build renders everything).
"""

from __future__ import annotations

import contextlib
import os
import pickle
from dataclasses import dataclass
from pathlib import Path
from typing import Any

VERSION = "gazette-pages-2"


@dataclass(frozen=True)
class PageRecord:
    """A page's key, and its reads: indices into ``Records.paths`` with their digests."""

    key: bytes
    reads: tuple[int, ...]
    digests: tuple[bytes, ...]


@dataclass(frozen=True)
class Records:
    salt: bytes
    pages: dict[str, PageRecord]
    paths: tuple[tuple, ...] = ()  # every recorded read once; pages refer to them by index


EMPTY = Records(b"", {})


def compact(records: Records) -> Records:
    """Drop paths no page refers to any more, renumbering the pages' reads."""
    used = sorted({index for page in records.pages.values() for index in page.reads})
    if len(used) == len(records.paths):
        return records
    renumber = {old: new for new, old in enumerate(used)}
    pages = {
        url: PageRecord(page.key, tuple(renumber[i] for i in page.reads), page.digests)
        for url, page in records.pages.items()
    }
    return Records(records.salt, pages, tuple(records.paths[i] for i in used))


def load_records(path: Path | None, output: Path) -> Records:
    """The records of the last build into ``output``, or empty ones."""
    if path is None:
        return EMPTY
    try:
        with path.open("rb") as handle:
            data: Any = pickle.load(handle)
        if not (isinstance(data, dict) and data.get("version") == VERSION):
            return EMPTY
        if data.get("output") != str(output):
            return EMPTY
        salt, pages, paths = data["salt"], data["pages"], data["paths"]
        if not (isinstance(salt, bytes) and isinstance(pages, dict) and isinstance(paths, tuple)):
            return EMPTY
        count = len(paths)
        for page in pages.values():  # a damaged record must cost a render, not a crash
            if not isinstance(page, PageRecord) or len(page.reads) != len(page.digests):
                return EMPTY
            if page.reads and not (min(page.reads) >= 0 and max(page.reads) < count):
                return EMPTY
        return Records(salt, pages, paths)
    except Exception:
        return EMPTY


def save_records(path: Path | None, output: Path, records: Records) -> None:
    """Write the records atomically (temporary file, then rename)."""
    if path is None:
        return
    records = compact(records)
    data = {
        "version": VERSION,
        "output": str(output),
        "salt": records.salt,
        "pages": records.pages,
        "paths": records.paths,
    }
    temporary = path.with_name(f".{path.name}.{os.getpid()}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with temporary.open("wb") as handle:
            pickle.dump(data, handle, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(temporary, path)
    except OSError:
        with contextlib.suppress(OSError):
            temporary.unlink()
        with contextlib.suppress(OSError):
            path.unlink()


def describe(path: tuple, generic: bool = False) -> str:
    """A recorded read as template-like text: ``gazette.data.get('tags').url_of('5G')``.

    ``generic`` leaves out the arguments of calls and keys (``url_of(…)``), so
    that reasons can be counted: "40 read changed: ...of_page(…)".
    """
    if path and path[0] == "§template":
        return f"template {path[1]}"
    text = str(path[0]) if path else ""
    for step in path[1:]:
        kind = step[0]
        if kind == "a":
            text += f".{step[1]}"
        elif kind == "i":
            text += "[…]" if generic else f"[{_argument(step[1])}]"
        elif kind == "c":
            args = [_argument(a) for a in step[1]] + [f"{k}={_argument(v)}" for k, v in step[2]]
            text += "(…)" if generic and args else f"({', '.join(args)})"
        elif kind == "in":
            text = f"{_argument(step[1])} in {text}"
        elif kind == "ix":
            text += f"[{step[1]}]"
        else:
            text = f"{kind}({text})"
    return text


def _argument(encoded: Any) -> str:
    if isinstance(encoded, tuple) and encoded and encoded[0] == "§path":
        return describe(encoded[1])
    if isinstance(encoded, tuple) and encoded and str(encoded[0]).startswith("§"):
        return f"{str(encoded[0])[1:]} {encoded[1]!r}"
    return repr(encoded)
