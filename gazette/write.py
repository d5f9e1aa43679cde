"""Write the site atomically: into a temporary folder, then swap it in.

A failed, interrupted or killed build leaves the previous ``site/`` untouched;
a temporary folder left behind by a kill is removed by the next build. A lock
(``fcntl.flock``, released by the kernel when a process dies) makes a second
concurrent build fail fast instead of racing the first.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import subprocess
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
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


def _write_all(files: Mapping[str, bytes], root: Path) -> None:
    # Creating thousands of small files is bound by file-system latency, not the
    # GIL, so a few threads write several times faster than one.
    targets = {url: root / output_path(url) for url in sorted(files)}
    for folder in sorted({target.parent for target in targets.values()}):
        folder.mkdir(parents=True, exist_ok=True)
    batches = [list(targets.items())[i::WRITE_THREADS] for i in range(WRITE_THREADS)]

    def write(batch: list[tuple[str, Path]]) -> None:
        for url, target in batch:
            target.write_bytes(files[url])

    with ThreadPoolExecutor(WRITE_THREADS) as pool:
        list(pool.map(write, batches))


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


def write_site(files: Mapping[str, bytes], output: Path) -> None:
    """Write ``{url: bytes}`` into ``output`` atomically. Call under ``build_lock``."""
    for stale in _leftovers(output):
        shutil.rmtree(stale, ignore_errors=True)
    temp = output.parent / f".{output.name}-tmp-{os.getpid()}"
    old = output.parent / f".{output.name}-old-{os.getpid()}"
    try:
        temp.mkdir(parents=True)
        _write_all(files, temp)
        if output.exists():
            output.rename(old)
        temp.rename(output)
    except BaseException:
        # Includes KeyboardInterrupt: put the old site back if it was moved.
        if old.exists() and not output.exists():
            old.rename(output)
        shutil.rmtree(temp, ignore_errors=True)
        raise
    if old.exists():
        _remove_later(old)
