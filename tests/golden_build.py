"""Build the golden fixture archive with a pinned clock, base URL and one worker."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from gazette.model import BuildOptions
from gazette.pipeline import BuildRequest, build_site

FIXTURE = Path(__file__).parent / "fixtures" / "golden"
GOLDEN = Path(__file__).parent / "golden"
NOW = datetime(2021, 1, 1, tzinfo=UTC)


def build_golden() -> dict[str, bytes]:
    """``{relative path: bytes}`` of the fixture's built site, without touching disk."""
    from gazette.urls import output_path

    request = BuildRequest(FIXTURE, BuildOptions(now=NOW), write=False, use_cache=False, workers=1)
    result = build_site(request)
    return {output_path(url): data for url, data in sorted(result.files.items())}
