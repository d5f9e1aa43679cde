"""The progress bar appears only after a second, and never when stderr is not a terminal."""

from __future__ import annotations

import io

from rich.console import Console

import gazette.progress as progress_module
from gazette.progress import RichProgress


def console() -> tuple[Console, io.StringIO]:
    out = io.StringIO()
    return Console(file=out, force_terminal=True, width=80), out


def test_short_builds_show_nothing():
    term, out = console()
    with RichProgress(force=True, console=term) as bar:
        bar.stage("Rendering Markdown", 10)
        bar.advance(10)
    assert out.getvalue() == ""


def test_long_builds_show_stage_and_count(monkeypatch):
    monkeypatch.setattr(progress_module, "DELAY_SECONDS", 0.0)
    term, out = console()
    with RichProgress(force=True, console=term) as bar:
        bar.stage("Rendering Markdown", 10)
        bar.advance(4)
        bar._bar.refresh()
        shown = out.getvalue()
    assert "Rendering Markdown" in shown and "4/10" in shown


def test_not_a_terminal_shows_nothing(monkeypatch):
    monkeypatch.setattr(progress_module, "DELAY_SECONDS", 0.0)
    term, out = console()
    with RichProgress(console=term) as bar:  # pytest's stderr is not a TTY
        bar.stage("Loading")
        bar.advance(1)
    assert out.getvalue() == ""
