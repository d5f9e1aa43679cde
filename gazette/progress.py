"""A progress bar (rich) that appears only once a build has run for a second.

Short builds stay quiet; long builds and imports show which stage is running
and how far it is. Nothing is drawn when stderr is not a terminal (CI logs).
"""

from __future__ import annotations

import sys
import time

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from gazette.pipeline import Progress as SilentProgress

DELAY_SECONDS = 1.0


class RichProgress(SilentProgress):
    def __init__(self, *, force: bool = False, console: Console | None = None):
        self._console = console or Console(stderr=True)
        self._enabled = force or sys.stderr.isatty()
        self._started_at = time.perf_counter()
        self._bar: Progress | None = None
        self._task = None
        self._stage = ("Starting", 0)

    def __enter__(self) -> RichProgress:
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._bar is not None:
            self._bar.stop()

    def _show(self) -> None:
        if self._bar is None and self._enabled:
            if time.perf_counter() - self._started_at < DELAY_SECONDS:
                return
            self._bar = Progress(
                TextColumn("{task.description:<20}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=self._console,
                transient=True,
            )
            self._bar.start()
            name, total = self._stage
            self._task = self._bar.add_task(name, total=total or None)

    def stage(self, name: str, total: int = 0) -> None:
        self._stage = (name, total)
        self._show()
        if self._bar is not None and self._task is not None:
            self._bar.update(self._task, description=name, total=total or None, completed=0)

    def advance(self, count: int = 1) -> None:
        self._show()
        if self._bar is not None and self._task is not None:
            self._bar.advance(self._task, count)
