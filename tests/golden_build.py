"""Build the golden fixture archive with a pinned clock, base URL and one worker."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from gazette.model import BuildOptions
from gazette.pipeline import BuildRequest, build_site

FIXTURE = Path(__file__).parent / "fixtures" / "golden"
THEME_STATIC = Path(__file__).parent.parent / "theme" / "static"
GOLDEN = Path(__file__).parent / "golden"
NOW = datetime(2021, 1, 1, tzinfo=UTC)


def build_golden() -> tuple[dict[str, bytes], dict[str, bytes]]:
    """The fixture's built site as ``{relative path: bytes}``, without touching disk.

    Split in two: the rendered files, compared with the committed tree, and the
    theme's static assets, which are copied verbatim and so are compared with
    ``theme/static`` itself rather than with a second committed copy.
    """
    from gazette.output.urls import output_path

    request = BuildRequest(FIXTURE, BuildOptions(now=NOW), write=False, use_cache=False, workers=1)
    result = build_site(request)
    files = {output_path(url): data for url, data in sorted(result.files.items())}
    static = {path: data for path, data in files.items() if path.startswith("static/")}
    return {p: d for p, d in files.items() if p not in static}, static
