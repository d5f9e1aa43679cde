"""Write the site atomically: into a folder beside ``site/``, then swap it in.

A failed, interrupted or killed build leaves the previous ``site/`` untouched;
a folder left behind by a kill is removed (or, if ``site/`` itself is missing,
put back) by the next build. A lock (``fcntl.flock``, released by the kernel
when a process dies) makes a second concurrent build fail fast instead of
racing the first.

Double buffering: the site that a swap replaces is kept as ``.site-spare``
beside ``site/``, with its manifest in the cache. The next build updates the
spare in place to the new site (only the files that differ) and swaps again,
so a warm build touches a handful of files instead of linking thousands into
a fresh folder. The spare's manifest is deleted before the spare is changed
and written only after a successful swap: a spare whose manifest is missing
is discarded, and the build writes a fresh folder as the first one did.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import pickle
import shutil
import subprocess
import uuid
from collections.abc import Callable, Iterator
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from pathlib import Path

from gazette.diagnostics import UsageError
from gazette.output.urls import output_path
from gazette.output.writer_process import write_files
from gazette.parallel import HELD_LOCKS, pool_context
from gazette.plugin_cache import file_digest

# What a project holds besides its output: never written into, never replaced.
SOURCES = ("site.toml", "content", "theme", "plugins", ".git", ".gazette-cache")


def check_output_dir(output: Path, project: Path) -> None:
    """Refuse an output folder that is, holds or lies inside a source (exit 2).

    The sources are the project folder itself and its ``SOURCES`` (whether they
    exist yet or not), and the home and root folders; symlinks are resolved
    first, so a link to a source is refused too.
    """
    out = output.resolve()
    root = project.resolve()
    sources = [root / name for name in SOURCES]
    why = ""
    if out in (Path("/"), Path.home().resolve()) or out == root:
        why = "it is the project, the home or the root folder"
    elif root.is_relative_to(out):
        why = "it holds the project"
    else:
        for source in sources:
            if out == source or out.is_relative_to(source) or source.is_relative_to(out):
                why = f"it is, holds or lies inside the project's {source.name}"
                break
    if not why and (out.exists() or out.is_symlink()):
        if not out.is_dir():
            why = "a file is in the way"
        elif not _looks_built(out):
            why = "it holds files and is not a site Gazette built"
    if why:
        raise UsageError(
            f"{output}: refusing to build into this folder, because {why}, and a build "
            "replaces its output folder. Fix: choose an output folder of its own, such as "
            "site/ in the project"
        )


def _looks_built(folder: Path) -> bool:
    """Empty, or holding what every build writes (``.nojekyll`` and ``index.html``)."""
    try:
        names = set(os.listdir(folder))
    except OSError:
        return False
    return not names or {".nojekyll", "index.html"} <= names


KEEP_BATCH = 512  # reused pages per message to the writer process


@contextlib.contextmanager
def build_lock(lock_path: Path) -> Iterator[None]:
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with lock_path.open("w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise UsageError(
                f"{lock_path}: another Gazette build of this project is running. "
                "Fix: wait for it to finish"
            ) from None
        HELD_LOCKS.add(handle.fileno())
        try:
            yield
        finally:
            HELD_LOCKS.discard(handle.fileno())
            fcntl.flock(handle, fcntl.LOCK_UN)


def _leftovers(output: Path) -> list[Path]:
    return [
        path
        for kind in ("tmp", "old", "trash")
        for path in sorted(output.parent.glob(f".{output.name}-{kind}-*"))
    ]


def _discard(folder: Path) -> None:
    """Rename ``folder`` out of the way at once, then delete it in the background."""
    trash = folder.parent / f".{folder.name.lstrip('.').split('-')[0]}-trash-{uuid.uuid4().hex}"
    try:
        folder.rename(trash)
    except OSError:
        trash = folder
    _remove_later(trash)


def recover(output: Path) -> None:
    """Undo what a killed build left: put ``site/`` back if a kill fell inside a swap."""
    olds = sorted(output.parent.glob(f".{output.name}-old-*"), key=lambda p: p.stat().st_mtime)
    if not output.exists() and olds:
        olds[-1].rename(output)
    for stale in _leftovers(output):
        if "-trash-" in stale.name:
            _remove_later(stale)
        else:
            _discard(stale)


def spare_of(output: Path) -> Path:
    return output.parent / f".{output.name}-spare"


def _remove_later(folder: Path) -> None:
    """Delete the replaced site in a detached process, off the build's critical path.

    Removing 10,000 files takes seconds on some file systems. If the process is
    killed, the folder is a leftover that the next build removes.
    """
    try:
        subprocess.Popen(
            ["rm", "-rf", "--", str(folder)],
            start_new_session=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    except OSError:
        shutil.rmtree(folder, ignore_errors=True)


class SiteWriter:
    """Streams files into a temporary folder beside ``output``; swaps it in on success.

    Pages are written as they are rendered, so a large site is never held in
    memory whole. The file system work (hashing, folders, links, writes) runs
    in a child process fed through a pipe, so it overlaps rendering on another
    core: threads in this process spent more time waiting for the GIL than
    writing, about 0.3 ms per file even on tmpfs. Use under ``build_lock``;
    leaving the block with an exception (including Ctrl-C) stops the child,
    removes the temporary folder and leaves ``output`` untouched.
    """

    def __init__(
        self,
        output: Path,
        manifest: Path | None = None,
        before_manifest: Callable[[Path], None] | None = None,
    ):
        self.output = output
        self.spare = spare_of(output)
        self.temp = output.parent / f".{output.name}-tmp-{os.getpid()}"
        self.folder = self.temp  # where the new site is put together
        self.count = 0
        self.linked = 0
        self._manifest_path = manifest
        self._spare_manifest = manifest.with_name("spare.pickle") if manifest else None
        self.before_manifest = before_manifest
        self.previous: dict[str, list] = {}
        self.written: list[str] = []  # URLs whose files were written, not linked
        self._kept: list[str] = []  # reused pages not yet sent to the writer
        self._touched = False  # whether a file was sent yet (the spare is still intact)
        self._done = False
        self._current: dict[str, list] = {}
        # The stamp's lines for the new site (`uptodate.walk`), from the writer.
        self.entries: list[str] | None = None
        self._conn: Connection | None = None
        self._child: BaseProcess | None = None

    def __enter__(self) -> SiteWriter:
        recover(self.output)
        previous = self.previous = _read_manifest(self._manifest_path, self.output)
        spare = _read_manifest(self._spare_manifest, self.spare) if previous else {}
        if spare:
            self.folder = self.spare
        else:
            if self.spare.exists():
                _discard(self.spare)
            self.temp.mkdir(parents=True)
        context = pool_context()
        ours, theirs = context.Pipe()
        child = context.Process(
            target=write_files,
            args=(
                theirs,
                self.folder,
                self.output,
                previous,
                spare or None,
                (ours, *HELD_LOCKS),
                os.getpid(),
            ),
            name="gazette-writer",
            daemon=True,
        )
        child.start()
        theirs.close()  # so that a dead child shows as a broken pipe here
        self._conn, self._child = ours, child
        return self

    def add(self, url: str, data: bytes) -> None:
        """Hand over a file; one whose bytes equal the current site's is linked, not sent.

        Comparing a digest here costs less than sending the bytes to the writer
        process (a search index is ten thousand files).
        """
        if not self.keep_same(url, file_digest(data)):
            self._send(b"W", url, data)

    def keep_same(self, url: str, digest: str) -> bool:
        """``keep(url)`` if the current site's file has ``digest`` (`file_digest`)."""
        known = self.previous.get(url)
        return bool(known) and known[0] == digest and self.keep(url)

    def keep(self, url: str) -> bool:
        """Carry the current site's file for ``url`` over unchanged, if it is still intact.

        True when the file has the size and modification time the manifest gives
        it (the writer links it); False when it must be rendered and ``add``-ed.
        """
        known = self.previous.get(url)
        if not known or len(known) != 3:
            return False
        try:
            stat = os.stat(os.path.join(self.output, output_path(url)))
        except OSError:
            return False
        if [stat.st_size, stat.st_mtime_ns] != known[1:]:
            return False
        self._kept.append(url)  # sent in batches: one message per file cost more than the file
        self.count += 1
        if len(self._kept) >= KEEP_BATCH:
            self._send_kept()
        return True

    def _send_kept(self) -> None:
        if self._kept:
            urls, self._kept = self._kept, []
            self._send(b"K", "\n".join(urls), b"", count=0)

    def _send(self, kind: bytes, url: str, data: bytes, count: int = 1) -> None:
        if not self._touched:  # the spare changes from here on: its manifest goes first
            self._touched = True
            if self._spare_manifest is not None and self.folder == self.spare:
                self._spare_manifest.unlink(missing_ok=True)
        encoded = url.encode()
        try:
            self._conn.send_bytes(kind + len(encoded).to_bytes(4, "little") + encoded + data)
        except OSError:  # the child stopped: it says why
            self._finish()
        self.count += count

    def _finish(self) -> None:
        """Tell the child that every file is in, and take its report."""
        with contextlib.suppress(OSError):  # the child stopped: its report says why
            self._send_kept()
        with contextlib.suppress(OSError):  # it stopped already; its report is in the pipe
            self._conn.send_bytes(b"")
        try:
            report = self._conn.recv()
        except EOFError:
            report = {"error": f"{self.folder}: the writer process stopped without a report"}
        if "error" in report:
            raise UsageError(
                f"{report['error']}. The build could not write its output, so "
                f"{self.output.name}/ was not changed. Fix: free disk space or make the "
                "output folder writable, then build again"
            )
        self._current, self.linked = report["files"], report["linked"]
        self.written = report["written"]
        self.entries = report["entries"]

    def commit(self) -> None:
        """Every file is in: wait for the writer, then swap the new site in."""
        self._close(None)

    def __exit__(self, exc_type: type | None, *rest: object) -> None:
        self._close(exc_type)

    def _close(self, exc_type: type | None) -> None:
        if self._done:
            return
        self._done = True
        try:
            if exc_type is None:
                self._finish()
        except BaseException:
            exc_type = BaseException
            raise
        finally:
            self._stop_child(graceful=exc_type is None)
            if exc_type is None:
                self._swap()
            elif self.folder == self.temp:
                shutil.rmtree(self.temp, ignore_errors=True)
            # A spare the writer began to change has lost its manifest: the next
            # build discards it. One it never touched keeps it, and stays usable.

    def _stop_child(self, graceful: bool) -> None:
        if self._child is None:
            return
        if not graceful:
            self._child.kill()
        self._child.join()
        self._conn.close()

    def _swap(self) -> None:
        """``site/`` becomes the spare, the new folder becomes ``site/``; then the records."""
        old = self.output.parent / f".{self.output.name}-old-{os.getpid()}"
        try:
            if self.output.exists():
                self.output.rename(old)
            self.folder.rename(self.output)
        except BaseException:
            if old.exists() and not self.output.exists():
                old.rename(self.output)
            if self.folder == self.temp:
                shutil.rmtree(self.temp, ignore_errors=True)
            raise
        keep_spare = bool(self.previous) and self._spare_manifest is not None
        if old.exists():
            if keep_spare:
                old.rename(self.spare)
            else:
                _discard(old)
        if self.before_manifest is not None:
            self.before_manifest(self.output)
        if self._manifest_path is not None:
            _write_manifest(self._manifest_path, self.output, self._current)
        if keep_spare and self.spare.exists():
            _write_manifest(self._spare_manifest, self.spare, self.previous)


def _write_manifest(path: Path, folder: Path, files: dict[str, list]) -> None:
    """``{output, files}`` pickled (JSON took 0.2 s per 20,000 files), by a rename,
    so that a kill leaves the old manifest or the new one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}")
    with temporary.open("wb") as handle:
        pickle.dump({"output": str(folder), "files": files}, handle, protocol=5)
    os.replace(temporary, path)


def _read_manifest(path: Path | None, output: Path) -> dict[str, list]:
    """What the last build wrote into ``output``: ``{url: [hash, size, mtime_ns]}``."""
    if path is None or not output.is_dir():
        return {}
    try:
        with path.open("rb") as handle:
            record = pickle.load(handle)
    except Exception:
        return {}
    if not isinstance(record, dict) or record.get("output") != str(output):
        return {}
    files = record.get("files")
    if not isinstance(files, dict):
        return {}
    return {url: entry for url, entry in files.items() if _valid_entry(url, entry)}


def _valid_entry(url: object, entry: object) -> bool:
    """``[hex digest, size, mtime_ns]`` under a string URL; anything else is ignored."""
    return (
        isinstance(url, str)
        and type(entry) is list
        and len(entry) == 3
        and isinstance(entry[0], str)
        and type(entry[1]) is int
        and type(entry[2]) is int
    )
