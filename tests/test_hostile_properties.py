"""Property tests and a bounded fuzz run for hostile input (issue 14, point 8).

With hypothesis, random Unicode (every control character, noncharacters, lone
surrogates through YAML and TOML escapes, markup, quotes) goes into every
front-matter field and into ``site.toml`` values. Each build must either stop
with diagnostics that name a file (exit 1 or 2 in the CLI), or produce a site
whose every HTML page parses with html5lib, every XML file with an XML parser
and every JSON file with ``json``. Any other exception is exit 3: a bug.

The fuzz target feeds random bytes and text to the front-matter parser and the
Markdown renderer and asserts that they return (never raise) and that what
they render has no executable markup. atheris is not used: it does not install
from a wheel on every machine this runs on, so the fuzz run is hypothesis'
(``FUZZ_EXAMPLES`` inputs, a few seconds in CI).
"""

from __future__ import annotations

import json
import os
import shutil
import xml.etree.ElementTree as ElementTree
from datetime import UTC, datetime
from pathlib import Path

import html5lib
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gazette.diagnostics import ContentError, UsageError
from gazette.model import BuildOptions
from gazette.pipeline import BuildRequest, build_site
from helpers import SITE_TOML, config, item, make_project, vocabulary

NOW = datetime(2026, 1, 1, tzinfo=UTC)
PLUGINS = "[plugins.tags]\n[plugins.feeds]\n[plugins.sitemap]\n[plugins.glossary]\n"
EXAMPLES = int(os.environ.get("GAZETTE_PROPERTY_EXAMPLES", "100"))
FUZZ_EXAMPLES = int(os.environ.get("GAZETTE_FUZZ_EXAMPLES", "300"))

# Every code point class that has bitten a generator: controls, C1, format
# characters, noncharacters, private use, surrogates (escaped only), markup.
_PIECES = (
    [chr(c) for c in range(0, 0x20)]
    + [chr(c) for c in range(0x7F, 0xA0)]
    + ["\u2028", "\u2029", "\ufeff", "\ufdd0", "\ufffe", "\uffff", "\U0010ffff"]
    + ["\ud800", "\udfff", "<", ">", "&", '"', "'", "\\", ":", "#", "[", "]", "{"]
    + ["</script>", "<script>", "]]>", "-->", "javascript:", "../", "%2e%2e/", "a", " "]
)
NASTY = st.one_of(
    st.text(max_size=40),
    st.lists(st.sampled_from(_PIECES), max_size=12).map("".join),
)
# Each example builds a project: no deadline, and the module-scoped folder is reused.
BUILDS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
FIELDS = ("title", "summary", "section", "issue", "date", "slug", "tags", "sources")


def _yaml_value(field: str, value: str) -> str:
    """``value`` as the field's YAML: a double-quoted string (JSON escapes are YAML
    escapes), in a list for the list fields."""
    quoted = json.dumps(value)
    return f"[{quoted}]" if field in ("tags", "sources") else quoted


def _check_site(files: dict[str, bytes]) -> None:
    parser = html5lib.HTMLParser(strict=False)
    for url, data in files.items():
        if url.endswith("/") or url.endswith(".html"):
            parser.parse(data.decode("utf-8"))
        elif url.endswith(".xml"):
            ElementTree.fromstring(data)
        elif url.endswith(".json"):
            json.loads(data)


def _build(project: Path) -> dict[str, bytes] | None:
    """The built site's files, or None when the build stopped with diagnostics."""
    request = BuildRequest(project, BuildOptions(now=NOW), write=False, workers=1)
    try:
        return dict(build_site(request).files)
    except (ContentError, UsageError) as exc:
        assert exc.diagnostics or isinstance(exc, UsageError)
        for diagnostic in exc.diagnostics:
            assert diagnostic.path, diagnostic
        return None


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    return tmp_path_factory.mktemp("hostile")


@BUILDS
@given(field=st.sampled_from(FIELDS), value=NASTY)
def test_property_any_front_matter_value_gives_an_error_or_a_valid_site(workdir, field, value):
    project = workdir / "front-matter"
    shutil.rmtree(project, ignore_errors=True)
    text = item(**{field: _yaml_value(field, value)}) + f"Body {value!r}.\n"
    make_project(project, {"site.toml": SITE_TOML + PLUGINS, "content/items/a.md": text})
    files = _build(project)
    if files is not None:
        _check_site(files)


SITE_FIELDS = ("title", "description", "about", "language", "timezone", "base_url", "domain")


@BUILDS
@given(key=st.sampled_from(SITE_FIELDS), value=NASTY)
def test_property_any_site_toml_value_gives_an_error_or_a_valid_site(workdir, key, value):
    project = workdir / "config"
    shutil.rmtree(project, ignore_errors=True)
    lines = [line for line in SITE_TOML.splitlines() if not line.startswith(f"{key} =")]
    at = lines.index("[site]") + 1
    lines.insert(at, f"{key} = {json.dumps(value)}")  # TOML basic strings take JSON escapes
    make_project(
        project,
        {"site.toml": "\n".join(lines) + "\n" + PLUGINS, "content/items/a.md": item()},
    )
    files = _build(project)
    if files is not None:
        _check_site(files)


# --------------------------------------------------------------------------- fuzz


@settings(max_examples=FUZZ_EXAMPLES, deadline=None)
@given(data=st.one_of(st.binary(max_size=400), NASTY.map(lambda s: s.encode("utf-8", "replace"))))
def test_fuzz_the_front_matter_parser_returns_and_never_raises(data):
    from gazette.content.parse import parse_item

    payload = b"---\ntitle: x\n" + data + b"\n---\n" + data
    for candidate in (data, payload):
        result, problems = parse_item("content/items/f.md", candidate, config(), vocabulary())
        assert result is not None or problems


EXECUTABLE = ("<script", "javascript:", " onerror", " onload", "<iframe", "<object", "<embed")


@settings(max_examples=FUZZ_EXAMPLES, deadline=None)
@given(
    text=st.lists(
        st.one_of(
            NASTY,
            st.sampled_from(
                [
                    "<script>alert(1)</script>",
                    "<img src=x onerror=alert(1)>",
                    "[a](javascript:alert(1))",
                    "<svg/onload=alert(1)>",
                    "<style>",
                    "```\n<script>\n```",
                    "> " * 30,
                    "[" * 50,
                    "<iframe src=//x>",
                    "&#27;&#xFFFE;",
                    "\n\n",
                    "*",
                    "`",
                ]
            ),
        ),
        max_size=12,
    ).map("".join)
)
def test_fuzz_the_markdown_renderer_returns_markup_without_scripts(text):
    from gazette.render.markdown_render import render_markdown
    from gazette.render.xmlchars import NOT_IN_XML

    # Bodies come from UTF-8 files: no lone surrogates (front matter is checked above).
    source = text.encode("utf-8", "replace").decode("utf-8")
    html = render_markdown(source).html
    lowered = html.lower()
    document = html5lib.parse(html, namespaceHTMLElements=False)
    for element in document.iter():
        assert element.tag not in ("script", "iframe", "object", "embed", "style")
        for name, value in element.attrib.items():
            assert not name.lower().startswith("on"), (name, html)
            assert not value.strip().lower().startswith("javascript:"), (value, html)
    assert not NOT_IN_XML.search(html)
    assert "<script" not in lowered
