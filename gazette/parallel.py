"""Process pools for the two costly stages (parsing files, rendering Markdown), a
forked helper for pure work over values already in memory (``in_halves``), and
what every helper process Gazette forks does first.

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
from typing import TypeVar

# File descriptors of the locks the build process holds; helpers close them.
HELD_LOCKS: set[int] = set()
PR_SET_PDEATHSIG = 1
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
    them. The copy sends its results back pickled through a pipe. When there
    are fewer than ``least`` items, one core, or no ``fork``, or the copy fails
    or does not answer in time, this process does the work itself: the result
    is the same, only later.
    """
    if len(items) < least or (os.cpu_count() or 1) < 2 or not sys.platform.startswith("linux"):
        return work(items)
    if not room_for_a_copy():
        return work(items)
    half = len(items) // 2
    parent, (read, write) = os.getpid(), os.pipe()
    try:
        pid = os.fork()
    except OSError:
        os.close(read), os.close(write)
        return work(items)
    if pid == 0:  # the copy: compute, send, and leave without running any clean-up
        status = 1
        try:
            # No collections in the short-lived copy: one would touch every
            # object, and so copy every memory page it shares with the build.
            gc.disable()
            os.close(read)
            child_setup(parent, tuple(HELD_LOCKS))
            data = pickle.dumps(work(items[half:]), protocol=pickle.HIGHEST_PROTOCOL)
            with os.fdopen(write, "wb") as pipe:
                pipe.write(data)
            status = 0
        finally:
            os._exit(status)
    os.close(write)
    theirs: list[R] | None = None
    try:
        started = time.perf_counter()
        mine = work(items[:half])
        data = _read_all(
            read, deadline=time.perf_counter() + max(10.0, 2 * (time.perf_counter() - started))
        )
        with contextlib.suppress(Exception):
            theirs = pickle.loads(data) if data else None
    finally:
        os.close(read)
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)  # gone already, unless it hangs or is late
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, 0)
    if not isinstance(theirs, list) or len(theirs) != len(items) - half:
        theirs = work(items[half:])
    return mine + theirs


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
