"""Process pools for the two costly stages (parsing files, rendering Markdown),
forked helpers for pure work over values already in memory (``in_background``,
``in_halves``), and what every helper process Gazette forks does first.

A helper must never outlive the build that forked it, nor keep its lock: a
forked process holds copies of the parent's descriptors, so a pool worker left
waiting on its queue after a ``kill -9`` of the build kept the build lock (and
the writer's pipe) open for ever, and every later build said another one was
running. ``child_setup`` closes the lock descriptors the build holds
(``HELD_LOCKS``) and asks Linux to kill the helper when the build dies
(``prctl(PR_SET_PDEATHSIG)``, through ``ctypes``: no library offers it for
forked processes).
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import multiprocessing
import os
import pickle
import select
import signal
import sys
import time
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

# File descriptors of the locks the build process holds; helpers close them.
HELD_LOCKS: set[int] = set()
PR_SET_PDEATHSIG = 1
# Archives of this many items or more rank related items in a forked copy while
# the other hooks run (plugins/related.py); smaller ones are done before it pays.
BACKGROUND_ITEMS = 2000
T = TypeVar("T")
R = TypeVar("R")


def pool_context() -> multiprocessing.context.BaseContext:
    """fork starts workers in milliseconds; elsewhere the platform default is safe."""
    if sys.platform.startswith("linux"):
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context()


def child_setup(parent: int, locks: tuple[int, ...] = ()) -> None:
    """In a forked helper, first thing: let go of the build's locks, die with the build.

    ``parent`` is the build's pid and ``locks`` the descriptors of its locks
    (``HELD_LOCKS`` when the helper was forked).
    """
    for descriptor in locks:
        with contextlib.suppress(OSError):
            os.close(descriptor)
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:  # the build died before the request took effect
        os._exit(1)


def pool_options() -> dict:
    """Keyword arguments for a ``ProcessPoolExecutor`` whose workers follow ``child_setup``."""
    return {
        "mp_context": pool_context(),
        "initializer": child_setup,
        "initargs": (os.getpid(), tuple(HELD_LOCKS)),
    }


def in_halves(work: Callable[[Sequence[T]], list[R]], items: Sequence[T], least: int) -> list[R]:
    """``work(items)``, its second half done at the same time by a forked copy of this process.

    For pure work over values this process already holds (the page checks of
    an incremental build: 12,000 context digests and replays at 10,000 items),
    where a pool would first have to send the values over: a forked copy has
    them (`in_background`). When there are fewer than ``least`` items, or the
    copy cannot be made, fails or does not answer in time, this process does
    the work itself: the result is the same, only later.
    """
    if len(items) < least:
        return work(items)
    half = len(items) // 2
    theirs = in_background(
        lambda: work(items[half:]),
        valid=lambda found: isinstance(found, list) and len(found) == len(items) - half,
    )
    started = time.perf_counter()
    mine = work(items[:half])
    return mine + theirs.result(wait=max(10.0, 2 * (time.perf_counter() - started)))


class Pending(Generic[R]):
    """What ``in_background`` started: ``result`` collects it (once)."""

    def __init__(self, work: Callable[[], R], valid: Callable[[object], bool]) -> None:
        self._work, self._valid = work, valid
        self._pid: int | None = None
        self._read = -1
        self._owner = os.getpid()
        self._started = time.perf_counter()
        self._done = False
        self._value: R | None = None

    def result(self, wait: float | None = None) -> R:
        """The work's result: the copy's, or this process's if the copy failed.

        Waits for the copy up to ``wait`` seconds (by default as long again as
        it has run already, and at least 30 s), then does the work here.
        """
        if self._done:
            return self._value  # type: ignore[return-value]
        found: object = _NOTHING
        if self._pid is not None and os.getpid() == self._owner:
            now = time.perf_counter()
            limit = wait if wait is not None else max(30.0, now - self._started)
            try:
                data = _read_all(self._read, deadline=now + limit)
                with contextlib.suppress(Exception):
                    found = pickle.loads(data) if data else _NOTHING
            finally:
                self._stop()
        if found is _NOTHING or not self._valid(found):
            found = self._work()
        self._value, self._done = found, True  # type: ignore[assignment]
        return self._value  # type: ignore[return-value]

    def _stop(self) -> None:
        """Close the pipe, and stop and reap the copy (gone already, unless it hangs or is late)."""
        pid, self._pid = self._pid, None
        if pid is None or os.getpid() != self._owner:
            return
        with contextlib.suppress(OSError):
            os.close(self._read)
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, 0)

    def __del__(self) -> None:
        # A build that fails before reading the result must not leave the copy
        # blocked on a full pipe (``serve`` lives on after a failed build).
        self._stop()


_NOTHING = object()


def in_background(
    work: Callable[[], R], valid: Callable[[object], bool] = lambda found: True
) -> Pending[R]:
    """Start ``work()`` in a forked copy of this process; ``.result()`` collects it.

    The copy has every value this process holds, and sends its result back
    pickled through a pipe; ``valid`` checks what arrives. Meanwhile this
    process goes on. With one core, no ``fork`` (not Linux), too little free
    memory (`room_for_a_copy`), or a copy that fails or does not answer in
    time, ``result`` does the work here: the same result, only later. So
    ``work`` must be pure, apart from files it writes atomically.
    """
    pending = Pending(work, valid)
    if (os.cpu_count() or 1) < 2 or not sys.platform.startswith("linux"):
        return pending
    if not room_for_a_copy():
        return pending
    parent, (read, write) = os.getpid(), os.pipe()
    try:
        pid = os.fork()
    except OSError:
        os.close(read), os.close(write)
        return pending
    if pid == 0:  # the copy: compute, send, and leave without running any clean-up
        status = 1
        try:
            # No collections in the short-lived copy: one would touch every
            # object, and so copy every memory page it shares with the build.
            gc.disable()
            os.close(read)
            child_setup(parent, tuple(HELD_LOCKS))
            data = pickle.dumps(work(), protocol=pickle.HIGHEST_PROTOCOL)
            with os.fdopen(write, "wb") as pipe:
                pipe.write(data)
            status = 0
        finally:
            os._exit(status)
    os.close(write)
    pending._pid, pending._read = pid, read
    return pending


def room_for_a_copy() -> bool:
    """Whether the machine's available memory could hold a whole copy of this process.

    A forked copy shares this process's memory until it writes to it; the
    page checks touch most of the site (1,699 MB for the tree at 30,000 items
    against 1,368 MB without the copy), so the worst case is counted: the copy
    is made only when ``MemAvailable`` exceeds this process's resident size.
    """
    try:
        with open("/proc/self/statm", encoding="ascii") as statm:
            resident = int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        with open("/proc/meminfo", encoding="ascii") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024 > resident
    except (OSError, ValueError, IndexError):
        pass
    return False  # unknown: do the work here, which is never wrong


def _read_all(descriptor: int, deadline: float) -> bytes:
    """Everything until the writer closes the pipe; ``b""`` if that takes past ``deadline``."""
    parts = []
    while True:
        left = deadline - time.perf_counter()
        if left <= 0 or not select.select([descriptor], [], [], left)[0]:
            return b""
        part = os.read(descriptor, 1 << 20)
        if not part:
            return b"".join(parts)
        parts.append(part)
