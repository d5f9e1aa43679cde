"""The plugin contract: order, outputs, collisions, failures and options."""

from __future__ import annotations

import pytest

from gazette.diagnostics import ContentError
from helpers import SITE_TOML, build, item

RECORDER = """
from gazette.plugins import MenuEntry, Option, Page, StaticFile

OPTIONS = {"label": Option(str, "default", "a label")}


def link(site, *, options, **kwargs):
    earlier = sorted(site.data)
    return {"label": options["label"], "seen_before_me": earlier}


def menu(site, *, options, **kwargs):
    return [MenuEntry(options["label"], "/" + options["label"] + ".txt", weight=50)]


def outputs(site, *, options, urls, name, **kwargs):
    mine = site.data[name]
    text = f"{mine['label']} saw {mine['seen_before_me']} base={urls.url('/')}"
    yield StaticFile("/" + options["label"] + ".txt", text.encode())
"""


def with_plugins(extra_toml: str) -> str:
    return SITE_TOML + extra_toml


def test_hooks_run_in_site_toml_order_and_see_earlier_results(tmp_path):
    files = {
        "plugins/alpha.py": RECORDER,
        "plugins/beta.py": RECORDER,
        "site.toml": with_plugins('[plugins.beta]\nlabel = "b"\n[plugins.alpha]\nlabel = "a"\n'),
    }
    result = build(tmp_path, files, base_url="https://x.org/sub/")
    assert result.files["/b.txt"] == b"b saw [] base=/sub/"
    assert result.files["/a.txt"] == b"a saw ['beta'] base=/sub/"
    assert result.site.data["alpha"] == {"label": "a", "seen_before_me": ["beta"]}
    home = result.files["/"].decode()
    assert home.index('href="/sub/a.txt"') > home.index('href="/sub/issues/"')


def test_link_first_runs_before_plugins_listed_earlier(tmp_path):
    files = {
        "plugins/alpha.py": RECORDER,
        "plugins/early.py": "LINK_FIRST = True\n" + RECORDER,
        "site.toml": with_plugins('[plugins.alpha]\nlabel = "a"\n[plugins.early]\nlabel = "e"\n'),
    }
    result = build(tmp_path, files)
    assert result.site.data["early"]["seen_before_me"] == []
    assert result.site.data["alpha"]["seen_before_me"] == ["early"]
    # menus and outputs keep site.toml's order
    home = result.files["/"].decode()
    assert home.index('href="/a.txt"') < home.index('href="/e.txt"')


CALLED = """
from gazette.diagnostics import warning
from gazette.plugins import StaticFile

CALLS = []  # the order the core called ``outputs`` in


def outputs(site, *, name, **kwargs):
    CALLS.append(name)
    yield warning("site.toml", 0, "test", f"from {name}")
    yield StaticFile(f"/{name}.txt", name.encode())
"""


def test_outputs_last_is_called_after_the_others_and_keeps_its_place(tmp_path):
    files = {
        "plugins/_calls.py": CALLED,
        "plugins/alpha.py": "from _calls import outputs\n",
        "plugins/late.py": "OUTPUTS_LAST = True\nfrom _calls import outputs\n",
        "plugins/omega.py": "from _calls import outputs\n",
        "site.toml": with_plugins("[plugins.alpha]\n[plugins.late]\n[plugins.omega]\n"),
    }
    import sys

    sys.path.insert(0, str(tmp_path / "plugins"))
    try:
        result = build(tmp_path, files)
        calls = sys.modules["_calls"].CALLS
    finally:
        sys.path.remove(str(tmp_path / "plugins"))
        sys.modules.pop("_calls", None)
    assert calls == ["alpha", "omega", "late"]
    mine = [w.message for w in result.warnings if w.code == "test"]
    assert mine == ["from alpha", "from late", "from omega"]  # plugin order
    assert result.files["/late.txt"] == b"late"


def test_url_collision_names_both_producers(tmp_path):
    clash = (
        "from gazette.plugins import Page\n\ndef outputs(site, **kw):\n"
        "    yield Page('/issues/', 'issues.html', {'issues': (), 'counts': {}})\n"
    )
    files = {"plugins/clash.py": clash, "site.toml": with_plugins("[plugins.clash]\n")}
    with pytest.raises(ContentError) as caught:
        build(tmp_path, files)
    assert [d.format() for d in caught.value.diagnostics] == [
        "site.toml: error[url-collision]: the URL /issues/ is produced twice: by plugin "
        "'issues' and by plugin 'clash'. Fix: change a slug, or disable one of the plugins"
    ]


def test_item_url_collision_names_the_item_file(tmp_path):
    clash = (
        "from gazette.plugins import StaticFile\n\ndef outputs(site, **kw):\n"
        "    yield StaticFile('/items/a/', b'x')\n"
    )
    files = {
        "plugins/clash.py": clash,
        "site.toml": with_plugins("[plugins.clash]\n"),
        "content/items/a.md": item(),
    }
    with pytest.raises(ContentError) as caught:
        build(tmp_path, files)
    assert caught.value.diagnostics[0].format() == (
        "content/items/a.md: error[url-collision]: the URL /items/a/ is produced twice: by "
        "plugin 'items' from content/items/a.md and by plugin 'clash'. Fix: change a slug, or "
        "disable one of the plugins"
    )


def test_plugin_that_raises_is_named(tmp_path):
    broken = "def link(site, **kw):\n    raise KeyError('missing')\n"
    files = {"plugins/broken.py": broken, "site.toml": with_plugins("[plugins.broken]\n")}
    with pytest.raises(ContentError) as caught:
        build(tmp_path, files)
    assert caught.value.diagnostics[0].format() == (
        "plugins/broken.py: error[plugin-failed]: plugin 'broken' raised KeyError in link: "
        "'missing'. Fix: fix the plugin, or remove it from site.toml"
    )


def test_plugin_returning_the_wrong_type_is_named(tmp_path):
    wrong = "def outputs(site, **kw):\n    return ['not a page']\n"
    files = {"plugins/wrong.py": wrong, "site.toml": with_plugins("[plugins.wrong]\n")}
    with pytest.raises(ContentError) as caught:
        build(tmp_path, files)
    assert caught.value.diagnostics[0].format() == (
        "plugins/wrong.py: error[plugin-bad-return]: plugin 'wrong' returned a str from "
        "outputs. Fix: return Page, StaticFile, KeptFile, Deferred or MenuEntry objects from "
        "gazette.plugins"
    )


def test_plugin_output_url_that_escapes_is_refused(tmp_path):
    evil = (
        "from gazette.plugins import StaticFile\n\ndef outputs(site, **kw):\n"
        "    yield StaticFile('/../../etc/evil', b'x')\n"
    )
    files = {"plugins/evil.py": evil, "site.toml": with_plugins("[plugins.evil]\n")}
    with pytest.raises(ContentError) as caught:
        build(tmp_path, files)
    assert caught.value.diagnostics[0].code == "unsafe-url"


def test_hooks_accept_new_keyword_arguments(tmp_path):
    files = {"plugins/alpha.py": RECORDER, "site.toml": with_plugins("[plugins.alpha]\n")}
    assert build(tmp_path, files).files["/default.txt"].startswith(b"default saw")


def test_markdown_extensions_hook_changes_rendering_and_the_cache_key(tmp_path):
    ext = (
        "def markdown_extensions(*, options, config, **kwargs):\n"
        "    return [('markdown.extensions.nl2br', {})]\n"
    )
    body = item().replace("Body text.", "line one\nline two")
    plain = build(tmp_path / "a", {"content/items/a.md": body}).files["/items/a/"].decode()
    files = {
        "content/items/a.md": body,
        "plugins/breaks.py": ext,
        "site.toml": with_plugins("[plugins.breaks]\n"),
    }
    with_ext = build(tmp_path / "b", files).files["/items/a/"].decode()
    assert "line one<br" not in plain
    assert "line one<br" in with_ext


KEEPER = """
from pathlib import Path

from gazette.plugin_cache import file_digest
from gazette.plugins import KeptFile

LOADS = Path(__file__).parent.parent / "loads.txt"


def outputs(site, **kwargs):
    data = (Path(__file__).parent.parent / "kept.txt").read_bytes()

    def load():
        with LOADS.open("a") as log:
            log.write("load\\n")
        return data

    yield KeptFile("/kept.txt", file_digest(data), load)
"""


def test_a_kept_file_is_read_only_when_the_site_lacks_its_bytes(tmp_path):
    """``KeptFile``: the core calls ``load()`` only when the site does not hold the
    bytes of its digest yet (first build, other bytes, a file changed in site/)."""
    import os
    import time

    from gazette.model import BuildOptions
    from gazette.pipeline import BuildRequest, build_site
    from helpers import NOW, make_project

    files = {
        "plugins/keeper.py": KEEPER,
        "site.toml": with_plugins("[plugins.keeper]\n"),
        "content/items/one.md": item(),
    }
    project = make_project(tmp_path / "project", files)
    kept, loads = project / "kept.txt", project / "loads.txt"
    site = project / "site"

    def rebuild() -> int:
        """Build after a change the up-to-date check sees; how many loads it made."""
        before = loads.read_text().count("load") if loads.exists() else 0
        touched = project / "content" / "items" / "one.md"
        touched.write_text(touched.read_text() + "\nMore words.\n")
        stamp = time.time() - 10  # not racy: the next build may trust it
        os.utime(touched, (stamp, stamp))
        build_site(BuildRequest(project, BuildOptions(now=NOW)))
        return loads.read_text().count("load") - before

    kept.write_bytes(b"first")
    assert rebuild() == 1 and (site / "kept.txt").read_bytes() == b"first"
    assert rebuild() == 0 and (site / "kept.txt").read_bytes() == b"first"  # kept, unread
    kept.write_bytes(b"second")  # other bytes, another digest
    assert rebuild() == 1 and (site / "kept.txt").read_bytes() == b"second"
    assert rebuild() == 0
    (site / "kept.txt").write_bytes(b"changed by hand")  # the site no longer holds them
    assert rebuild() == 1 and (site / "kept.txt").read_bytes() == b"second"
    assert rebuild() == 0 and (site / "kept.txt").read_bytes() == b"second"


def test_a_site_with_other_data_keeps_what_was_derived_from_its_items(tmp_path):
    from types import MappingProxyType

    site = build(tmp_path, {"content/items/a.md": item()}).site
    derived = (site.public_items, site.item_by_slug, site.items_by_issue, site._previews)
    other = site.with_data(MappingProxyType({"x": 1}))
    assert other.data == {"x": 1} and other.items is site.items
    assert (other.public_items, other.item_by_slug, other.items_by_issue, other._previews) == (
        derived
    )
    assert other.__dict__["public_items"] is site.__dict__["public_items"]  # not made again
    fresh = build(tmp_path / "b", {"content/items/a.md": item()}).site
    fresh.__dict__.pop("public_items", None)
    assert "public_items" not in fresh.with_data(MappingProxyType({})).__dict__
