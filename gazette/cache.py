"""The render cache: rendered Markdown keyed by a hash of everything that shapes it.

SQLite (standard library) rather than one file per entry: a warm rebuild of
10,000 items reads one file, and a write is atomic. A corrupt or incompatible
cache is discarded with a warning and rebuilt; it can never change the output,
because the key covers the source text, the renderer version and the Markdown
extensions with their options.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterable
from pathlib import Path

from .diagnostics import Diagnostic, warning

# Bump when rendering changes in a way the key does not capture.
SCHEMA = "gazette-render-3"


def render_key(body: str, fingerprint: str) -> str:
    digest = hashlib.blake2b(digest_size=20)
    digest.update(SCHEMA.encode())
    digest.update(fingerprint.encode())
    digest.update(b"\x00")
    digest.update(body.encode())
    return digest.hexdigest()


class RenderCache:
    """Maps keys to JSON-able render results. Use as a context manager."""

    def __init__(self, path: Path | None):
        self.path = path
        self.problems: list[Diagnostic] = []
        self._db: sqlite3.Connection | None = None
        self._new: dict[str, str] = {}

    def __enter__(self) -> RenderCache:
        if self.path is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = self._open()
        return self

    def _open(self) -> sqlite3.Connection | None:
        assert self.path is not None
        try:
            db = sqlite3.connect(self.path)
            db.execute("CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v TEXT)")
            db.execute("CREATE TABLE IF NOT EXISTS render (k TEXT PRIMARY KEY, v TEXT)")
            row = db.execute("SELECT v FROM meta WHERE k = 'schema'").fetchone()
            if row is None:
                db.execute("INSERT INTO meta VALUES ('schema', ?)", (SCHEMA,))
                db.commit()
            elif row[0] != SCHEMA:
                raise sqlite3.DatabaseError(f"cache schema {row[0]}, expected {SCHEMA}")
            return db
        except sqlite3.DatabaseError as exc:
            self.problems.append(
                warning(
                    str(self.path),
                    0,
                    "cache-discarded",
                    f"the render cache was unreadable ({exc}) and is rebuilt",
                    "nothing to do; this warning shows once",
                )
            )
            self.path.unlink(missing_ok=True)
            db = sqlite3.connect(self.path)
            db.execute("CREATE TABLE meta (k TEXT PRIMARY KEY, v TEXT)")
            db.execute("CREATE TABLE render (k TEXT PRIMARY KEY, v TEXT)")
            db.execute("INSERT INTO meta VALUES ('schema', ?)", (SCHEMA,))
            db.commit()
            return db

    def get_many(self, keys: Iterable[str]) -> dict[str, object]:
        if self._db is None:
            return {}
        wanted = list(dict.fromkeys(keys))
        found: dict[str, object] = {}
        for start in range(0, len(wanted), 900):  # SQLite's variable limit
            chunk = wanted[start : start + 900]
            marks = ",".join("?" * len(chunk))
            for key, value in self._db.execute(
                f"SELECT k, v FROM render WHERE k IN ({marks})", chunk
            ):
                found[key] = json.loads(value)
        return found

    def put(self, key: str, value: object) -> None:
        self._new[key] = json.dumps(value, ensure_ascii=False, separators=(",", ":"))

    def __exit__(self, *exc_info: object) -> None:
        if self._db is None:
            return
        if self._new and exc_info[0] is None:
            self._db.executemany("INSERT OR REPLACE INTO render VALUES (?, ?)", self._new.items())
            self._db.commit()
        self._db.close()
