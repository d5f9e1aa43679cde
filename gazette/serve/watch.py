"""Watching the project for ``serve``: what to watch, what to ignore, and calling back.

Files are watched with ``watchfiles`` (Rust ``notify`` underneath: inotify on
Linux), which debounces bursts of events such as an editor's save-by-rename.
"""

from __future__ import annotations

import fnmatch
import os
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import watchfiles

from gazette.serve.server import (
    Broadcaster,
    GazetteServer,
    _is_within,
    make_server,
    notify_reload,
)

# Editor and OS droppings that must never trigger a rebuild. "4913" is the file
# Vim creates to test whether a directory is writable.
IGNORED_NAMES = ("*.swp", "*.swo", "*.swx", "*~", ".#*", "#*#", ".DS_Store", "4913")
IGNORED_DIRS = frozenset(
    {"__pycache__", ".gazette-cache", ".git", ".hg", ".svn", ".venv", "node_modules"}
)


def make_watch_filter(root: Path) -> Callable[[watchfiles.Change, str], bool]:
    """A watchfiles filter that drops editor junk, caches and the build output.

    Build output is ``root`` itself and its temporary siblings (``.site-*`` when the
    root is ``site/``), so a build never triggers another build.
    """
    root_abs = os.path.abspath(root)
    root_real = os.path.realpath(root)
    parent = os.path.dirname(root_abs)
    temp_pattern = f".{os.path.basename(root_abs)}-*"

    def is_build_output(path: str) -> bool:
        if _is_within(path, root_abs) or _is_within(os.path.realpath(path), root_real):
            return True
        if not _is_within(path, parent) or path == parent:
            return False
        first = os.path.relpath(path, parent).split(os.sep, 1)[0]
        return fnmatch.fnmatchcase(first, temp_pattern)

    def watch_filter(change: watchfiles.Change, path: str) -> bool:
        path = os.path.abspath(path)
        parts = path.split(os.sep)
        if IGNORED_DIRS.intersection(parts):
            return False
        if any(fnmatch.fnmatchcase(parts[-1], pattern) for pattern in IGNORED_NAMES):
            return False
        return not is_build_output(path)

    return watch_filter


def run_rebuild(
    rebuild: Callable[[frozenset[Path]], bool | None], changed: frozenset[Path]
) -> bool:
    """Call ``rebuild`` and report one line; exceptions are printed, never raised.

    A ``rebuild`` that returns None reports and reloads by itself (``Preview``).
    """
    started = time.perf_counter()
    try:
        outcome = rebuild(changed)
        if outcome is None:
            return False
        reload = bool(outcome)
    except Exception:
        elapsed = (time.perf_counter() - started) * 1000
        print(f"rebuild failed after {elapsed:.0f} ms:", file=sys.stderr)
        traceback.print_exc()
        return False
    elapsed = (time.perf_counter() - started) * 1000
    count = len(changed)
    noun = "file" if count == 1 else "files"
    outcome = "reloading" if reload else "no reload needed"
    print(f"rebuilt in {elapsed:.0f} ms ({count} {noun} changed, {outcome})", flush=True)
    return reload


@dataclass(frozen=True)
class WatchPlan:
    """What to hand to watchfiles for the paths ``serve`` was asked to watch.

    Directories are watched recursively. A single file such as ``site.toml`` is
    watched through its parent directory (non-recursively, filtered down to that
    file): a watch on the file itself dies the first time an editor saves by
    writing a temporary file and renaming it over the original.
    """

    directories: tuple[Path, ...]
    files: frozenset[str]

    @property
    def file_parents(self) -> tuple[Path, ...]:
        return tuple(sorted({Path(os.path.dirname(path)) for path in self.files}))


def plan_watch(watch: Sequence[Path]) -> WatchPlan:
    """Split ``watch`` into directories and files, skipping paths that do not exist."""
    directories = tuple(Path(path).absolute() for path in watch if Path(path).is_dir())
    files = frozenset(
        os.path.abspath(path) for path in watch if Path(path).exists() and not Path(path).is_dir()
    )
    return WatchPlan(directories, files)


def only_files(
    files: frozenset[str], base: Callable[[watchfiles.Change, str], bool]
) -> Callable[[watchfiles.Change, str], bool]:
    """A filter that passes ``base`` and is one of ``files``."""

    def watch_filter(change: watchfiles.Change, path: str) -> bool:
        return os.path.abspath(path) in files and base(change, path)

    return watch_filter


class Rebuilder:
    """Runs ``rebuild`` for a batch of changes, one at a time, and broadcasts reloads."""

    def __init__(
        self, rebuild: Callable[[frozenset[Path]], bool | None], broadcaster: Broadcaster
    ) -> None:
        self._rebuild = rebuild
        self._broadcaster = broadcaster
        self._lock = threading.Lock()

    def __call__(self, changes: Iterable[tuple[watchfiles.Change, str]]) -> None:
        changed = frozenset(Path(path) for _, path in changes)
        with self._lock:
            if run_rebuild(self._rebuild, changed):
                notify_reload(self._broadcaster)


def watch_and_rebuild(
    paths: Sequence[Path],
    on_changes: Callable[[set[tuple[watchfiles.Change, str]]], None],
    stop: threading.Event,
    watch_filter: Callable[[watchfiles.Change, str], bool],
    *,
    recursive: bool = True,
) -> None:
    """Call ``on_changes`` for every batch of changes until ``stop`` is set (a thread)."""
    try:
        for changes in watchfiles.watch(
            *paths,
            watch_filter=watch_filter,
            stop_event=stop,
            debounce=50,
            step=20,
            recursive=recursive,
            raise_interrupt=False,
        ):
            on_changes(changes)
    except Exception:
        print("gazette serve: file watching stopped:", file=sys.stderr)
        traceback.print_exc()


def start_watchers(
    watch: Sequence[Path],
    root: Path,
    rebuild: Callable[[frozenset[Path]], bool | None],
    broadcaster: Broadcaster,
    stop: threading.Event,
) -> list[threading.Thread]:
    plan = plan_watch(watch)
    base_filter = make_watch_filter(root)
    on_changes = Rebuilder(rebuild, broadcaster)
    jobs: list[tuple[Sequence[Path], Callable[[watchfiles.Change, str], bool], bool]] = []
    if plan.directories:
        jobs.append((plan.directories, base_filter, True))
    if plan.files:
        jobs.append((plan.file_parents, only_files(plan.files, base_filter), False))
    if not jobs:
        print("gazette serve: nothing to watch; live rebuild is off", file=sys.stderr)
    threads = [
        threading.Thread(
            target=watch_and_rebuild,
            args=(paths, on_changes, stop, watch_filter),
            kwargs={"recursive": recursive},
            name="gazette-watch",
            daemon=True,
        )
        for paths, watch_filter, recursive in jobs
    ]
    for thread in threads:
        thread.start()
    return threads


# --------------------------------------------------------------------------- serve


def serve(
    *,
    root: Path,
    rebuild: Callable[[frozenset[Path]], bool | None],
    watch: Sequence[Path],
    host: str = "127.0.0.1",
    port: int = 8000,
    base_path: str = "/",
    stop: threading.Event | None = None,
    on_ready: Callable[[str], None] | None = None,
    server: GazetteServer | None = None,
    background: Callable[[threading.Event], None] | None = None,
) -> None:
    """Serve ``root`` under ``base_path`` and rebuild when a watched path changes.

    Blocks until ``stop`` is set or Ctrl-C; shuts down without a traceback. The
    caller builds the site once before calling this, and may pass the bound
    ``server`` and a ``background`` loop (a thread, given the stop event).
    """
    stop = stop if stop is not None else threading.Event()
    if server is None:
        server, _ = make_server(root, base_path, host, port)
    broadcaster = server.broadcaster
    server_thread = threading.Thread(
        target=server.serve_forever,
        kwargs={"poll_interval": 0.1},
        name="gazette-http",
        daemon=True,
    )
    server_thread.start()
    watchers = start_watchers(watch, root, rebuild, broadcaster, stop)
    if background is not None:
        worker = threading.Thread(
            target=background, args=(stop,), name="gazette-build", daemon=True
        )
        worker.start()
        watchers.append(worker)
    try:
        _announce(server.url, on_ready)
        while not stop.wait(0.2):
            pass
    except KeyboardInterrupt:
        print("\nstopping the preview server", flush=True)
    finally:
        stop.set()
        broadcaster.close()
        server.shutdown()
        server.server_close()
        server_thread.join()
        for watcher in watchers:
            watcher.join(timeout=2)


def _announce(url: str, on_ready: Callable[[str], None] | None) -> None:
    if on_ready is not None:
        on_ready(url)
    else:
        print(f"Serving {url} (Ctrl-C to stop)", flush=True)
