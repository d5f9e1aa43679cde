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
import subprocess
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from .diagnostics import UsageError
from .urls import output_path

WRITE_THREADS = 8


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
    memory whole. Creating thousands of small files is bound by file-system
    latency, not the GIL, so a few threads write several times faster than one.
    Use under ``build_lock``; leaving the block with an exception (including
    Ctrl-C) removes the temporary folder and leaves ``output`` untouched.
    """

    def __init__(self, output: Path, manifest: Path | None = None):
        self.output = output
        self.temp = output.parent / f".{output.name}-tmp-{os.getpid()}"
        self.count = 0
        self.linked = 0
        self._manifest_path = manifest
        self._previous = _read_manifest(manifest, output)
        self._current: dict[str, list] = {}
        self._folders: set[Path] = set()
        self._pool = ThreadPoolExecutor(max(1, WRITE_THREADS))
        self._pending: list[Future] = []

    def __enter__(self) -> SiteWriter:
        for stale in _leftovers(self.output):
            shutil.rmtree(stale, ignore_errors=True)
        self.temp.mkdir(parents=True)
        return self

    def add(self, url: str, data: bytes) -> None:
        relative = output_path(url)
        target = self.temp / relative
        digest = hashlib.blake2b(data, digest_size=16).hexdigest()
        if not WRITE_THREADS:
            self._put(url, relative, target, data, digest)
            self.count += 1
            return
        self._pending.append(self._pool.submit(self._put, url, relative, target, data, digest))
        self.count += 1
        if len(self._pending) > 4 * WRITE_THREADS:
            self._drain(keep=WRITE_THREADS)

    def _put(self, url: str, relative: str, target: Path, data: bytes, digest: str) -> None:
        """Hard-link an unchanged file from the current site, else write it.

        Writing file data is what costs on slow disks; a link is metadata only.
        The manifest's size and mtime prove that the old file is still what the
        last build wrote, so a hand-edited file in site/ is never carried over.
        """
        if target.parent not in self._folders:  # racing threads: exist_ok
            target.parent.mkdir(parents=True, exist_ok=True)
            self._folders.add(target.parent)
        old = self.output / relative
        known = self._previous.get(url)
        if known and known[0] == digest:
            try:
                stat = old.stat()
                if [stat.st_size, stat.st_mtime_ns] == known[1:]:
                    os.link(old, target)
                    self._current[url] = known
                    self.linked += 1
                    return
            except OSError:
                pass  # no old file, or links unsupported: write it instead
        target.write_bytes(data)
        stat = target.stat()
        self._current[url] = [digest, stat.st_size, stat.st_mtime_ns]

    def _drain(self, keep: int = 0) -> None:
        while len(self._pending) > keep:
            self._pending.pop(0).result()  # re-raises a failed write

    def __exit__(self, exc_type: type | None, *rest: object) -> None:
        try:
            if exc_type is None:
                self._drain()
        except BaseException:
            exc_type = BaseException
            raise
        finally:
            self._pool.shutdown(wait=True, cancel_futures=True)
            if exc_type is None:
                self._swap()
            else:
                shutil.rmtree(self.temp, ignore_errors=True)

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
        if self._manifest_path is not None:
            record = {"output": str(self.output), "files": self._current}
            self._manifest_path.parent.mkdir(parents=True, exist_ok=True)
            self._manifest_path.write_text(json.dumps(record, sort_keys=True))


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
