"""Process pools for the two costly stages (parsing files, rendering Markdown), and
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
import multiprocessing
import os
import signal
import sys

# File descriptors of the locks the build process holds; helpers close them.
HELD_LOCKS: set[int] = set()
PR_SET_PDEATHSIG = 1


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
