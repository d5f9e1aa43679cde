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

VERSION = "gazette-pages-1"


@dataclass(frozen=True)
class PageRecord:
    key: bytes
    reads: tuple[tuple[tuple, bytes], ...]


@dataclass(frozen=True)
class Records:
    salt: bytes
    pages: dict[str, PageRecord]


EMPTY = Records(b"", {})


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
        salt, pages = data["salt"], data["pages"]
        if not isinstance(salt, bytes) or not isinstance(pages, dict):
            return EMPTY
        return Records(salt, pages)
    except Exception:
        return EMPTY


def save_records(path: Path | None, output: Path, records: Records) -> None:
    """Write the records atomically (temporary file, then rename)."""
    if path is None:
        return
    data = {"version": VERSION, "output": str(output), "salt": records.salt, "pages": records.pages}
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


def describe(path: tuple) -> str:
    """A recorded read as template-like text: ``gazette.data.get('tags').url_of('5G')``."""
    if path and path[0] == "§template":
        return f"template {path[1]}"
    text = str(path[0]) if path else ""
    for step in path[1:]:
        kind = step[0]
        if kind == "a":
            text += f".{step[1]}"
        elif kind == "i":
            text += f"[{_argument(step[1])}]"
        elif kind == "c":
            args = [_argument(a) for a in step[1]] + [f"{k}={_argument(v)}" for k, v in step[2]]
            text += f"({', '.join(args)})"
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
