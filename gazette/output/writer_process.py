"""The writer process: puts every file of the new site in place, off the build process.

``SiteWriter`` (``gazette.output.write``) starts ``write_files`` in a child
process and sends it one message per file it writes, ``W`` with the file's
bytes, and ``K`` messages with batches of URLs of files the build reused,
whose files in the live site are known to be intact. The child works in one of two folders:

- **a fresh folder** (the first build, or when no spare is usable): an unchanged
  file is hard-linked from the live site, any other is written;
- **the spare** (``.site-spare`` beside ``site/``, the site of the build before
  last, with its manifest): a file that is already there with the right
  content is left alone, any other replaced by a rename (never written into, as
  its inode may be shared with the live site), and files the new site does
  not have are removed. A warm build with few changes so touches few files,
  where linking ten thousand files into a fresh folder took seconds here.

Either way the result is exactly the new site, and ``SiteWriter`` swaps it in.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
from multiprocessing.connection import Connection
from pathlib import Path

from gazette.output.survey import Survey
from gazette.output.urls import output_path
from gazette.parallel import child_setup
from gazette.plugin_cache import file_digest

Entry = list  # [blake2b hex digest, size, mtime_ns]


def write_files(
    conn: Connection,
    folder: Path,
    live: Path,
    previous: dict[str, Entry],
    spare: dict[str, Entry] | None,
    inherited: tuple = (),
    parent: int = 0,
) -> None:
    """One message per file, an empty one at the end; one report back.

    ``spare`` is the manifest of ``folder`` when it is the spare, None when
    ``folder`` is fresh. Ctrl-C reaches the whole process group; the build
    process decides what happens, so the writer ignores it.

    ``inherited`` are what the fork copied that only the build process may
    hold: its end of the pipe (so that its death shows here as the end of the
    pipe, and this process ends) and the build lock's descriptors (so that a
    killed build never leaves its lock held by this process).
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for held in inherited:
        with contextlib.suppress(OSError):
            held.close() if hasattr(held, "close") else os.close(held)
    if parent:
        child_setup(parent)  # dies with the build, even if a pipe copy lingers somewhere
    try:
        place = Placer(folder, live, previous, spare)
        while message := conn.recv_bytes():
            size = int.from_bytes(message[1:5], "little")
            url = message[5 : 5 + size].decode()
            if message[:1] == b"K":  # reused pages, a batch of URLs
                for one in url.split("\n"):
                    place.keep(one)
            else:
                place.put(url, message[5 + size :])
        if spare is not None:  # a fresh folder holds only what was placed
            place.survey.prune(place.wanted())
        entries = place.survey.lines()  # the stamp's, without a walk of the new site
    except EOFError:
        return  # the build process died; the next build cleans up
    except OSError as exc:
        conn.send({"error": f"{exc.filename or folder}: {exc.strerror or exc}"})
        return
    report = {"files": place.files, "linked": place.linked, "written": place.written}
    conn.send({**report, "entries": entries})


class Placer:
    """Puts files into ``folder`` (fresh or the spare), reusing what it can."""

    def __init__(
        self, folder: Path, live: Path, previous: dict[str, Entry], spare: dict[str, Entry] | None
    ):
        self.folder = str(folder)
        self.live = str(live)
        self.previous = previous
        self.spare = spare
        self.files: dict[str, Entry] = {}
        self.linked = 0
        self.written: list[str] = []
        self._folders: set[str] = set()
        # What the folder holds: the spare is walked once now, before the first
        # file arrives (the build is still loading), and kept up to date after.
        self.survey = Survey(self.folder)
        if spare is not None:
            self.survey.scan()

    def _target(self, url: str) -> tuple[str, str]:
        relative = output_path(url)
        target = os.path.join(self.folder, relative)
        parent = os.path.dirname(target)
        if parent not in self._folders:
            os.makedirs(parent, exist_ok=True)
            self._folders.add(parent)
        return relative, target

    def _in_place(self, url: str, digest: str) -> Entry | None:
        """The spare's entry when it already holds this content for ``url``, untouched.

        The common case of a warm build: nothing to do, not even a folder to check.
        """
        entry = self.spare.get(url) if self.spare is not None else None
        if not entry or entry[0] != digest:
            return None
        found = self.survey.files.get(output_path(url))
        return entry if found is not None and [found[0], found[1]] == entry[1:] else None

    def keep(self, url: str) -> None:
        """A reused page: its live file is intact (the build checked size and mtime)."""
        known = self.previous[url]
        self.linked += 1
        entry = self._in_place(url, known[0])
        if entry is None:
            relative, target = self._target(url)
            entry = self._link(os.path.join(self.live, relative), target, known)
            self.survey.placed(relative, os.stat(target))
        self.files[url] = entry

    def put(self, url: str, data: bytes) -> None:
        digest = file_digest(data)
        entry = self._in_place(url, digest)
        if entry is not None:
            self.files[url] = entry
            self.linked += 1
            return
        relative, target = self._target(url)
        known = self.previous.get(url)
        source = os.path.join(self.live, relative)
        if known and known[0] == digest and _stat_matches(source, known):
            try:
                self.files[url] = self._link(source, target, known)
                self.survey.placed(relative, os.stat(target))
                self.linked += 1
                return
            except OSError:
                pass  # write it instead
        temporary = self._temporary(target)
        _write_file(temporary, data)
        if temporary != target:
            os.replace(temporary, target)
        stat = os.stat(target)
        self.survey.placed(relative, stat)
        self.files[url] = [digest, stat.st_size, stat.st_mtime_ns]
        self.written.append(url)

    def _temporary(self, target: str) -> str:
        if self.spare is None:
            return target  # a fresh folder: nothing to replace
        return os.path.join(os.path.dirname(target), f".gazette-new-{os.path.basename(target)}")

    def _link(self, source: str, target: str, known: Entry) -> Entry:
        temporary = self._temporary(target)
        try:
            if temporary != target and os.path.lexists(temporary):
                os.unlink(temporary)
            os.link(source, temporary)
            os.replace(temporary, target)
            return known
        except OSError:  # no hard links here: copy (the manifest takes the copy's stat)
            shutil.copyfile(source, temporary)
            os.replace(temporary, target)
            stat = os.stat(target)
            return [known[0], stat.st_size, stat.st_mtime_ns]

    def wanted(self) -> set[str]:
        """The new site's files, relative to its folder: the spare's others are removed."""
        return {output_path(url) for url in self.files}


def _write_file(path: str, data: bytes) -> None:
    with open(path, "wb") as handle:
        handle.write(data)


def _stat_matches(path: str, entry: Entry) -> bool:
    try:
        stat = os.stat(path, follow_symlinks=False)
    except OSError:
        return False
    return [stat.st_size, stat.st_mtime_ns] == entry[1:]
