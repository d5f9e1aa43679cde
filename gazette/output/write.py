"""Write the site atomically: into a temporary folder, then swap it in.

A failed, interrupted or killed build leaves the previous ``site/`` untouched;
a temporary folder left behind by a kill is removed by the next build. A lock
(``fcntl.flock``, released by the kernel when a process dies) makes a second
concurrent build fail fast instead of racing the first.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import signal
import subprocess
from collections.abc import Callable, Iterator
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from pathlib import Path

from gazette.diagnostics import UsageError
from gazette.output.urls import output_path
from gazette.parallel import pool_context


def check_output_dir(output: Path, project: Path) -> None:
    """Refuse output folders whose replacement would destroy sources (exit 2)."""
    out = output.resolve()
    content = (project / "content").resolve()
    forbidden = {Path("/"), Path.home().resolve(), project.resolve(), content}
    if (
        out in forbidden
        or out.is_relative_to(content)
        or any(p.is_relative_to(out) for p in (project.resolve(), content))
    ):
        raise UsageError(
            f"{output}: refusing to build into this folder, because replacing it would delete "
            "sources. Fix: choose an output folder of its own, such as site/"
        )


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
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _leftovers(output: Path) -> list[Path]:
    return sorted(output.parent.glob(f".{output.name}-tmp-*")) + sorted(
        output.parent.glob(f".{output.name}-old-*")
    )


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
        self.temp = output.parent / f".{output.name}-tmp-{os.getpid()}"
        self.count = 0
        self.linked = 0
        self._manifest_path = manifest
        self._before_manifest = before_manifest
        self.previous: dict[str, list] = {}
        self.written: list[str] = []  # URLs whose files were written, not linked
        self._current: dict[str, list] = {}
        self._conn: Connection | None = None
        self._child: BaseProcess | None = None

    def __enter__(self) -> SiteWriter:
        for stale in _leftovers(self.output):
            shutil.rmtree(stale, ignore_errors=True)
        self.temp.mkdir(parents=True)
        previous = self.previous = _read_manifest(self._manifest_path, self.output)
        context = pool_context()
        ours, theirs = context.Pipe()
        child = context.Process(
            target=_write_files,
            args=(theirs, self.temp, self.output, previous),
            name="gazette-writer",
            daemon=True,
        )
        child.start()
        theirs.close()  # so that a dead child shows as a broken pipe here
        self._conn, self._child = ours, child
        return self

    def add(self, url: str, data: bytes) -> None:
        self._send(b"W", url, data)

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
        self._send(b"K", url, b"")
        return True

    def _send(self, kind: bytes, url: str, data: bytes) -> None:
        encoded = url.encode()
        try:
            self._conn.send_bytes(kind + len(encoded).to_bytes(4, "little") + encoded + data)
        except OSError:  # the child stopped: it says why
            self._finish()
        self.count += 1

    def _finish(self) -> None:
        """Tell the child that every file is in, and take its report."""
        with contextlib.suppress(OSError):  # it stopped already; its report is in the pipe
            self._conn.send_bytes(b"")
        try:
            report = self._conn.recv()
        except EOFError:
            report = {"error": f"{self.temp}: the writer process stopped without a report"}
        if "error" in report:
            raise UsageError(
                f"{report['error']}. The build could not write its output, so "
                f"{self.output.name}/ was not changed. Fix: free disk space or make the "
                "output folder writable, then build again"
            )
        self._current, self.linked = report["files"], report["linked"]
        self.written = report["written"]

    def __exit__(self, exc_type: type | None, *rest: object) -> None:
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
            else:
                shutil.rmtree(self.temp, ignore_errors=True)

    def _stop_child(self, graceful: bool) -> None:
        if self._child is None:
            return
        if not graceful:
            self._child.kill()
        self._child.join()
        self._conn.close()

    def _swap(self) -> None:
        old = self.output.parent / f".{self.output.name}-old-{os.getpid()}"
        try:
            if self.output.exists():
                self.output.rename(old)
            self.temp.rename(self.output)
        except BaseException:
            if old.exists() and not self.output.exists():
                old.rename(self.output)
            shutil.rmtree(self.temp, ignore_errors=True)
            raise
        if old.exists():
            _remove_later(old)
        if self._before_manifest is not None:
            self._before_manifest(self.output)
        if self._manifest_path is not None:
            record = {"output": str(self.output), "files": self._current}
            self._manifest_path.parent.mkdir(parents=True, exist_ok=True)
            self._manifest_path.write_text(json.dumps(record, sort_keys=True))


def _write_files(conn: Connection, temp: Path, output: Path, previous: dict[str, list]) -> None:
    """The writer process: one message per file, an empty one at the end; one report back.

    Ctrl-C reaches the whole process group; the build process decides what
    happens, so the writer ignores it and is stopped by its parent.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    files: dict[str, list] = {}
    folders: set[str] = set()
    linked = 0
    written: list[str] = []
    try:
        while message := conn.recv_bytes():
            size = int.from_bytes(message[1:5], "little")
            url = message[5 : 5 + size].decode()
            if message[:1] == b"K":
                files[url] = _link(temp, output, url, previous[url], folders)
                linked += 1
                continue
            data = message[5 + size :]
            files[url], was_linked = _put(temp, output, url, data, previous.get(url), folders)
            linked += was_linked
            if not was_linked:
                written.append(url)
    except EOFError:
        return  # the build process died; the next build removes the temporary folder
    except OSError as exc:
        where = exc.filename or temp
        conn.send({"error": f"{where}: {exc.strerror or exc}"})
        return
    conn.send({"files": files, "linked": linked, "written": written})


def _folder_of(temp: Path, url: str, folders: set[str]) -> tuple[str, str]:
    relative = output_path(url)
    target = os.path.join(temp, relative)
    folder = os.path.dirname(target)
    if folder not in folders:
        os.makedirs(folder, exist_ok=True)
        folders.add(folder)
    return relative, target


def _link(temp: Path, output: Path, url: str, known: list, folders: set[str]) -> list:
    """Link a page the build reused; the build checked the file's size and mtime just before."""
    relative, target = _folder_of(temp, url, folders)
    source = os.path.join(output, relative)
    try:
        os.link(source, target)
        return known
    except OSError:  # no hard links here: copy (the manifest takes the copy's stat)
        shutil.copyfile(source, target)
        stat = os.stat(target)
        return [known[0], stat.st_size, stat.st_mtime_ns]


def _put(
    temp: Path, output: Path, url: str, data: bytes, known: list | None, folders: set[str]
) -> tuple[list, bool]:
    """Hard-link an unchanged file from the current site, else write it.

    Writing file data is what costs on slow disks; a link is metadata only.
    The manifest's size and mtime prove that the old file is still what the
    last build wrote, so a hand-edited file in site/ is never carried over.
    Returns the file's manifest entry and whether it was linked.
    """
    relative, target = _folder_of(temp, url, folders)
    digest = hashlib.blake2b(data, digest_size=16).hexdigest()
    if known and known[0] == digest:
        old = os.path.join(output, relative)
        try:
            stat = os.stat(old)
            if [stat.st_size, stat.st_mtime_ns] == known[1:]:
                os.link(old, target)
                return known, True
        except OSError:
            pass  # no old file, or links unsupported: write it instead
    _write_file(target, data)
    stat = os.stat(target)
    return [digest, stat.st_size, stat.st_mtime_ns], False


def _write_file(path: str, data: bytes) -> None:
    with open(path, "wb") as handle:
        handle.write(data)


def _read_manifest(path: Path | None, output: Path) -> dict[str, list]:
    """What the last build wrote into ``output``: ``{url: [hash, size, mtime_ns]}``."""
    if path is None or not output.is_dir():
        return {}
    try:
        record = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    if not isinstance(record, dict) or record.get("output") != str(output):
        return {}
    files = record.get("files")
    return files if isinstance(files, dict) else {}
