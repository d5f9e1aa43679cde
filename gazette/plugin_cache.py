"""Files a plugin keeps from one build to the next, under ``.gazette-cache/plugins/``.

A plugin whose output is costly and depends only on some of the site (the
search index depends on the records, not on the templates) stores it under a
key: a digest of everything it depends on. The next build that computes the
same key gets the files back instead of redoing the work. Each slot keeps only
its latest key, so the cache never grows with the number of builds.

The cache can never change the output: a missing, damaged or unreadable entry
is simply rebuilt. The files are kept as one uncompressed zip per slot
(``zipfile``), so ten thousand small files cost one file on disk.

``DocumentMemo`` keeps what a plugin derives from one document alone (the
links read from its body, the abbreviations it mentions) by the document's
digest, so that a build derives it again only for the documents that changed.
The digest is the one the page fingerprints trust (``pipeline.source_digests``:
the file's cache key, ``site.toml``, ``tags.yml`` and the rendered body's key).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import pickle
import zipfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Generic, TypeVar

T = TypeVar("T")


def cache_key(*parts: Any) -> str:
    """A digest of JSON-serialisable parts (versions, options, records)."""
    digest = hashlib.blake2b(digest_size=16)
    for part in parts:
        digest.update(json.dumps(part, sort_keys=True, ensure_ascii=False).encode())
        digest.update(b"\0")
    return digest.hexdigest()


def file_digest(data: bytes) -> str:
    """The digest by which the writer knows a file of the site (hex blake2b-128):
    ``KeptFile.digest`` is this of the file's bytes."""
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def code_digest(*files: str | Path) -> str:
    """A digest of source files: part of a key for what code derived from them."""
    digest = hashlib.blake2b(digest_size=16)
    for file in files:
        digest.update(Path(file).read_bytes())
    return digest.hexdigest()


@dataclass(frozen=True)
class PluginCache:
    """One plugin's cache folder; hooks get it as ``cache`` (None when caching is off)."""

    folder: Path
    # Each loaded document's digest, by source path (empty where the build has none).
    digests: Mapping[str, bytes] = field(default_factory=lambda: MappingProxyType({}))

    def _path(self, slot: str) -> Path:
        return self.folder / f"{slot}.zip"

    def load(
        self, slot: str, key: str, names: Iterable[str] | None = None
    ) -> dict[str, bytes] | None:
        """The files stored in ``slot`` under ``key``, or None.

        With ``names``, only those files (None if one is missing): a slot of ten
        thousand files can be read a few at a time.
        """
        try:
            with zipfile.ZipFile(self._path(slot)) as archive:
                if archive.comment.decode() != key:
                    return None
                wanted = archive.namelist() if names is None else names
                return {name: archive.read(name) for name in wanted}
        except (OSError, zipfile.BadZipFile, UnicodeDecodeError, KeyError):
            return None

    def holds(self, slot: str, key: str) -> bool:
        """Whether ``slot`` holds files under ``key``, without reading them.

        ``load`` may still answer None (the entry was damaged or replaced since).
        """
        try:
            with zipfile.ZipFile(self._path(slot)) as archive:
                return archive.comment.decode() == key
        except (OSError, zipfile.BadZipFile, UnicodeDecodeError):
            return False

    def store(self, slot: str, key: str, files: Mapping[str, bytes]) -> None:
        """Keep ``files`` in ``slot`` under ``key``, replacing what the slot held.

        Written to a temporary name and renamed, so a killed build never leaves
        a half-written entry. A failure to write only costs the next build time.
        """
        target = self._path(slot)
        temporary = target.with_name(f".{target.name}.{os.getpid()}")
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            with zipfile.ZipFile(temporary, "w", zipfile.ZIP_STORED) as archive:
                archive.comment = key.encode()
                for name in sorted(files):
                    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
                    archive.writestr(info, files[name])
            os.replace(temporary, target)
        except OSError:
            with contextlib.suppress(OSError):
                temporary.unlink()


class DocumentMemo(Generic[T]):
    """Values derived from one document each, kept between builds by its digest.

    ``key`` must name everything besides the document that ``derive`` reads
    (the plugin's code, the options and site settings it uses): a different
    key starts an empty memo. Without a cache, or for a document the build has
    no digest of (a copy a plugin made), ``get`` derives afresh.
    """

    def __init__(self, cache: PluginCache | None, slot: str, key: str) -> None:
        self._cache, self._slot, self._key = cache, slot, key
        self._digests = cache.digests if cache is not None else {}
        stored = cache.load(slot, key) if cache is not None else None
        try:
            kept = pickle.loads(stored["memo"]) if stored else {}
        except Exception:  # whatever is wrong with an entry, it is only a miss
            kept = {}
        self._kept: dict[bytes, T] = kept if isinstance(kept, dict) else {}
        self._used: dict[bytes, T] = {}
        self.derived = 0  # how many values this build derived (the rest were kept)

    def get(self, document: Any, derive: Callable[[Any], T]) -> T:
        digest = self._digests.get(getattr(document, "path", None))
        if digest is None:
            self.derived += 1
            return derive(document)
        if digest in self._used:
            return self._used[digest]
        if digest in self._kept:
            value = self._kept[digest]
        else:
            value = derive(document)
            self.derived += 1
        self._used[digest] = value
        return value

    def save(self) -> None:
        """Keep this build's values (only those it asked for), if they differ.

        A value derived now has a digest the kept ones lack, so equal key sets
        mean nothing new.
        """
        if self._cache is None or self._used.keys() == self._kept.keys():
            return
        data = pickle.dumps(self._used, protocol=pickle.HIGHEST_PROTOCOL)
        self._cache.store(self._slot, self._key, {"memo": data})
