"""A build hides the loaded site from the cyclic garbage collector, and only while it runs."""

from __future__ import annotations

import gc

import pytest

from gazette import collector, pipeline
from gazette.collector import collecting_less, settle
from gazette.diagnostics import ContentError
from helpers import build, item


def test_a_build_hides_its_site_while_it_runs_and_not_after(tmp_path, monkeypatch):
    frozen: list[int] = []

    def recording() -> None:
        collector.settle()
        frozen.append(gc.get_freeze_count())

    monkeypatch.setattr(pipeline, "settle", recording)
    assert gc.get_freeze_count() == 0
    build(tmp_path, {"content/items/a.md": item()})
    # Loaded, rendered to HTML, linked: each step hides what is alive then.
    assert len(frozen) == 3 and min(frozen) > 0
    assert gc.get_freeze_count() == 0


def test_a_failed_build_unfreezes_too(tmp_path):
    with pytest.raises(ContentError):
        build(tmp_path, {"content/items/a.md": item(date='"not a date"')})
    assert gc.get_freeze_count() == 0


def test_settle_hides_what_is_alive_until_the_block_ends():
    with collecting_less():
        alive = [object() for _ in range(10)]
        settle()
        assert gc.get_freeze_count() >= len(alive)
    assert gc.get_freeze_count() == 0
