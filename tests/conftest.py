"""Make the test helpers importable as plain modules (``from helpers import ...``),
share one headless Chromium per test module (the ``browser`` fixture), and one
build of the sample archive served under ``/repo/`` for the whole run
(``sample_site_url``: the theme's browser and accessibility tests read it)."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from helpers import CHROMIUM, CHROMIUM_ARGS


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def sample_site_url(tmp_path_factory):
    """The sample archive, built once without cache under ``/repo/`` and served."""
    from gazette.model import BuildOptions
    from gazette.pipeline import BuildRequest, build_site
    from gazette.serve.server import serving
    from helpers import NOW

    output = tmp_path_factory.mktemp("sample") / "site"
    root = Path(__file__).resolve().parent.parent
    options = BuildOptions(now=NOW)
    build_site(BuildRequest(root, options, output, "http://127.0.0.1/repo/", use_cache=False))
    with serving(output, "/repo/") as url:
        yield url
