"""``serve``'s build process: full rebuilds run here, not in the server's process.

A rebuild of a large archive is seconds of Python. Run in a thread of the
server's process it held the interpreter lock against the quick preview and
the HTTP requests of the browser that reloads, and a save then took up to
0.8 s to show at 10,000 items. In a process of its own (started with
``spawn``, so that it holds no copy of the server's site) it takes the other
core, and the preview answers at once.

The worker is started once and kept for the session: it reads one
``BuildRequest`` at a time from a pipe, runs ``build_site`` and sends back an
``Outcome``. It runs at a lower priority (``nice`` 10), so that on a busy
machine the preview is scheduled first. It ignores SIGINT (Ctrl-C in the
terminal stops the server, which stops the worker), it ends by itself when
the pipe closes, and Linux kills it when the server dies (``child_setup``:
``PR_SET_PDEATHSIG``), even in the middle of a build, so a killed server never
leaves it running.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import threading
from dataclasses import dataclass, field, replace
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess

from gazette.diagnostics import ContentError, Diagnostic, UsageError
from gazette.parallel import child_setup
from gazette.pipeline import BuildRequest, build_site

STOP = None  # sent instead of a request: the worker exits
NICE = 10  # the worker's (and its writer's and Pagefind's) scheduling priority, lowered


@dataclass(frozen=True)
class Outcome:
    """What a build in the worker came to: written pages and warnings, or its errors."""

    ok: bool
    warnings: tuple[Diagnostic, ...] = ()
    errors: tuple[Diagnostic, ...] = ()
    usage: str = ""  # a UsageError's message
    written: frozenset[str] = field(default_factory=frozenset)


def run_build(request: BuildRequest) -> Outcome:
    """``build_site``, with its failures as values (they cross a pipe)."""
    try:
        result = build_site(replace(request, keep_state=False))
    except ContentError as exc:
        return Outcome(False, errors=tuple(exc.diagnostics))
    except UsageError as exc:
        return Outcome(False, errors=tuple(exc.diagnostics), usage=str(exc))
    return Outcome(True, warnings=result.warnings, written=result.written)


def _exit(signum: int, frame: object) -> None:
    raise SystemExit(1)  # unwinds the build: its writer is stopped, its lock let go


def _serve_requests(conn: Connection, parent: int = 0) -> None:
    if parent:
        child_setup(parent)  # dies with the server, even in the middle of a build
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _exit)
    with contextlib.suppress(OSError):
        os.nice(NICE)  # the preview and the browser's requests come first
    while True:
        try:
            request = conn.recv()
        except (EOFError, OSError):
            return
        if request is STOP:
            return
        try:
            outcome = run_build(request)
        except Exception as exc:  # a bug: say so, keep the worker
            outcome = Outcome(False, usage=f"internal error: {type(exc).__name__}: {exc}")
        try:
            conn.send(outcome)
        except (BrokenPipeError, OSError):
            return


class BuildWorker:
    """The kept build process; ``build`` runs one build in it and waits for the outcome."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._process: BaseProcess | None = None
        self._conn: Connection | None = None

    def start(self) -> None:
        """Start the process now (its imports take a moment), so the first save does not wait."""
        with self._lock:
            self._ensure()

    def _ensure(self) -> Connection:
        if self._process is None or not self._process.is_alive():
            context = multiprocessing.get_context("spawn")
            ours, theirs = context.Pipe()
            process = context.Process(
                target=_serve_requests, args=(theirs, os.getpid()), name="gazette-serve-build"
            )
            process.start()
            theirs.close()
            self._process, self._conn = process, ours
        assert self._conn is not None
        return self._conn

    def build(self, request: BuildRequest) -> Outcome:
        with self._lock:
            conn = self._ensure()
            try:
                conn.send(request)
                return conn.recv()
            except (EOFError, OSError):  # the worker died (killed, or out of memory)
                self._process = None
                return Outcome(
                    False,
                    usage="the build process ended unexpectedly. Fix: save again to retry; "
                    "if it keeps happening, run `build` to see its error",
                )

    def close(self) -> None:
        """End the worker: at once when idle, or by a signal when it is building."""
        process, conn = self._process, self._conn
        self._process = self._conn = None
        if process is None or conn is None:
            return
        with contextlib.suppress(OSError):
            conn.send(STOP)
        process.join(2.0)
        if process.is_alive():
            process.terminate()
            process.join(5.0)
        if process.is_alive():
            process.kill()
            process.join()
        conn.close()
