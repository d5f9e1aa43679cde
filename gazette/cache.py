"""The build cache: parsed files and rendered Markdown, keyed by what shapes them.

SQLite (standard library) rather than one file per entry: a warm rebuild of
10,000 items reads one file, and a write is atomic. Two tables:

- ``render``: rendered Markdown (pickle; JSON took three to four times as long
  to decode, 0.4-0.6 s of every build at 10,000 items), keyed by a hash of the
  body, the renderer version and the Markdown extensions with their options.
- ``parsed``: parsed items and issues (pickle), keyed by path, size and
  modification time plus a hash of ``site.toml`` and ``tags.yml``, so that an
  unchanged file is not even read. The cache lives in the project folder and is
  trusted like the project's own plugins.

A corrupt or incompatible cache is discarded with a warning and rebuilt; it can
never change the output, because every key covers all of its inputs.
"""

from __future__ import annotations

import hashlib
import pickle
import shutil
import sqlite3
from collections.abc import Iterable
from pathlib import Path

from gazette.diagnostics import Diagnostic, warning

# Bump when parsing or rendering changes in a way the keys do not capture.
SCHEMA = "gazette-cache-7"
TABLES = ("render", "parsed")
FLUSH_ROWS = 500  # rows kept in memory before they go to SQLite


def digest(*parts: str | bytes) -> str:
    hasher = hashlib.blake2b(digest_size=20)
    hasher.update(SCHEMA.encode())
    for part in parts:
        hasher.update(b"\x00")
        hasher.update(part.encode() if isinstance(part, str) else part)
    return hasher.hexdigest()


def render_key(body: str, fingerprint: str) -> str:
    return digest(fingerprint, body)


def _encode(value: object) -> bytes:
    return pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)


def _decode(table: str, value: str | bytes) -> object:
    if not isinstance(value, bytes):  # a row of another kind: a miss, as for damage
        raise ValueError(f"a {table} entry of the wrong type")
    return pickle.loads(value)


class BuildCache:
    """A key-value store per table. Use as a context manager; writes land on exit."""

    def __init__(self, path: Path | None):
        self.path = path
        self.problems: list[Diagnostic] = []
        self._db: sqlite3.Connection | None = None
        self._new: dict[str, dict[str, str | bytes]] = {table: {} for table in TABLES}

    def __enter__(self) -> BuildCache:
        if self.path is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            try:
                self._db = self._connect()
            except sqlite3.DatabaseError as exc:
                self.problems.append(
                    warning(
                        str(self.path),
                        0,
                        "cache-discarded",
                        f"the build cache was unreadable ({exc}) and is rebuilt",
                        "nothing to do; this warning shows once",
                    )
                )
                self.path.unlink(missing_ok=True)
                self._db = self._connect()
        return self

    def _connect(self) -> sqlite3.Connection:
        assert self.path is not None
        db = sqlite3.connect(self.path)
        db.execute("CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v TEXT)")
        row = db.execute("SELECT v FROM meta WHERE k = 'schema'").fetchone()
        if row is not None and row[0] != SCHEMA:
            db.close()
            raise sqlite3.DatabaseError(f"it was written by another version ({row[0]})")
        for table in TABLES:
            db.execute(f"CREATE TABLE IF NOT EXISTS {table} (k TEXT PRIMARY KEY, v BLOB)")
        db.execute("INSERT OR REPLACE INTO meta VALUES ('schema', ?)", (SCHEMA,))
        db.commit()
        return db

    def get_many(self, table: str, keys: Iterable[str]) -> dict[str, object]:
        if self._db is None:
            return {}
        wanted = list(dict.fromkeys(keys))
        found: dict[str, object] = {}
        try:
            for start in range(0, len(wanted), 900):  # SQLite's variable limit
                chunk = wanted[start : start + 900]
                marks = ",".join("?" * len(chunk))
                query = f"SELECT k, v FROM {table} WHERE k IN ({marks})"
                for key, value in self._db.execute(query, chunk):
                    found[key] = _decode(table, value)
        except Exception as exc:  # a damaged entry unpickles into any error: a miss
            self.problems.append(
                warning(
                    str(self.path),
                    0,
                    "cache-discarded",
                    f"the build cache held a damaged entry ({exc}); it is ignored",
                    "nothing to do; delete .gazette-cache/ if this repeats",
                )
            )
            return {}
        return found

    def put(self, table: str, key: str, value: object) -> None:
        if self._db is None:
            return
        rows = self._new[table]
        rows[key] = _encode(value)
        if len(rows) >= FLUSH_ROWS:
            try:
                self._flush()
            except sqlite3.DatabaseError as exc:  # a full disk, a damaged file: build on
                self.problems.append(
                    warning(
                        str(self.path),
                        0,
                        "cache-discarded",
                        f"the build cache could not be written ({exc}); this build is not cached",
                        "nothing to do; delete .gazette-cache/ if this repeats",
                    )
                )
                self._db.close()
                self._db = None

    def _flush(self) -> None:
        """Hand the rows put so far to SQLite (in the open transaction) and forget them.

        A cold build of 10,000 items puts about 100 MB of rows; keeping them all
        until the end raised the build's peak memory by as much.
        """
        assert self._db is not None
        for table, rows in self._new.items():
            if rows:
                self._db.executemany(f"INSERT OR REPLACE INTO {table} VALUES (?, ?)", rows.items())
                rows.clear()

    def __exit__(self, *exc_info: object) -> None:
        if self._db is None:
            return
        try:
            if exc_info[0] is None:
                self._flush()
                self._db.commit()
            else:
                self._db.rollback()
        finally:
            self._db.close()


# What may live in the cache folder as a file (the rest are folders).
_FILE_SUFFIXES = (".sqlite", ".pickle", ".json", ".lock", ".zip", "-wal", "-shm", "-journal")


def repair_cache_dir(folder: Path, where: str = ".gazette-cache") -> list[Diagnostic]:
    """Remove what cannot be a cache entry before anything reads the cache.

    A symlink (it could lead outside the project), a folder where a file
    belongs, or a file where a folder belongs: each is deleted, and one warning
    says so. The entries it stood for are rebuilt, so the output is the same.
    """
    removed: list[str] = []

    def remove(path: Path) -> None:
        removed.append(path.relative_to(folder.parent).as_posix())
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)

    if folder.is_symlink() or (folder.exists() and not folder.is_dir()):
        remove(folder)
    elif folder.is_dir():
        stack = [folder]
        while stack:
            current = stack.pop()
            for entry in sorted(current.iterdir()):
                wants_file = entry.name.endswith(_FILE_SUFFIXES)
                if entry.is_symlink() or (entry.is_dir() and wants_file):
                    remove(entry)
                elif entry.is_dir():
                    stack.append(entry)
                elif (current == folder and entry.name == "plugins") or not (
                    entry.is_file() or entry.is_dir()
                ):
                    remove(entry)
    if not removed:
        return []
    return [
        warning(
            where,
            0,
            "cache-damaged",
            f"the cache held entries that cannot be cache files ({', '.join(removed[:3])}"
            f"{' ...' if len(removed) > 3 else ''}); they were deleted and are rebuilt",
            "nothing to do; do not put links or folders into .gazette-cache/",
        )
    ]
