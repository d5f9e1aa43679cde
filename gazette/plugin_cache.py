"""Files a plugin keeps from one build to the next, under ``.gazette-cache/plugins/``.

A plugin whose output is costly and depends only on some of the site (the
search index depends on the records, not on the templates) stores it under a
key: a digest of everything it depends on. The next build that computes the
same key gets the files back instead of redoing the work. Each slot keeps only
its latest key, so the cache never grows with the number of builds.

The cache can never change the output: a missing, damaged or unreadable entry
is simply rebuilt. The files are kept as one uncompressed zip per slot
(``zipfile``), so ten thousand small files cost one file on disk.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any


def cache_key(*parts: Any) -> str:
    """A digest of JSON-serialisable parts (versions, options, records)."""
    digest = hashlib.blake2b(digest_size=16)
    for part in parts:
        digest.update(json.dumps(part, sort_keys=True, ensure_ascii=False).encode())
        digest.update(b"\0")
    return digest.hexdigest()


@dataclass(frozen=True)
class PluginCache:
    """One plugin's cache folder; hooks get it as ``cache`` (None when caching is off)."""

    folder: Path

    def _path(self, slot: str) -> Path:
        return self.folder / f"{slot}.zip"

    def load(self, slot: str, key: str) -> dict[str, bytes] | None:
        """The files stored in ``slot`` under ``key``, or None."""
        try:
            with zipfile.ZipFile(self._path(slot)) as archive:
                if archive.comment.decode() != key:
                    return None
                return {name: archive.read(name) for name in archive.namelist()}
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
