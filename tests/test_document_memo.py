"""Link data kept per document: a build reads again only the documents that changed.

``DocumentMemo`` keeps what a plugin derives from one document by the
document's digest; crosslinks (the links in each body) and glossary (the
abbreviations each item mentions) use it. The results must equal a build
without a cache, and a link that a kept document holds must still be checked
against the site as it is now.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from test_crosslinks import doc

from gazette.diagnostics import ContentError
from gazette.model import BuildOptions
from gazette.pipeline import BuildRequest, BuildResult, build_site
from gazette.plugin_cache import DocumentMemo, PluginCache
from helpers import NOW, SITE_TOML, build

SITE = SITE_TOML + "[plugins.crosslinks]\n[plugins.glossary]\n"
GLOSSARY = "MIIT: Ministry of Industry and Information Technology\nSAC: Standards body\n"


@dataclass(frozen=True)
class Doc:
    path: str
    text: str


def test_a_value_is_derived_once_per_digest_and_kept_for_the_next_build(tmp_path):
    calls: list[str] = []

    def derive(document: Doc) -> str:
        calls.append(document.path)
        return document.text.upper()

    digests = {"a.md": b"A1", "b.md": b"B1"}
    memo = DocumentMemo(PluginCache(tmp_path, digests), "slot", "key")
    assert [memo.get(d, derive) for d in (Doc("a.md", "a"), Doc("b.md", "b"))] == ["A", "B"]
    memo.save()
    assert calls == ["a.md", "b.md"] and memo.derived == 2

    calls.clear()
    digests = {"a.md": b"A1", "b.md": b"B2"}  # b changed
    memo = DocumentMemo(PluginCache(tmp_path, digests), "slot", "key")
    assert [memo.get(d, derive) for d in (Doc("a.md", "a"), Doc("b.md", "b2"))] == ["A", "B2"]
    assert calls == ["b.md"] and memo.derived == 1
    memo.save()

    calls.clear()
    memo = DocumentMemo(PluginCache(tmp_path, digests), "slot", "other key")
    assert memo.get(Doc("a.md", "a"), derive) == "A"
    assert calls == ["a.md"]  # another key: nothing kept applies


def test_without_a_cache_or_a_digest_every_value_is_derived(tmp_path):
    calls: list[str] = []

    def derive(document: Doc) -> str:
        calls.append(document.path)
        return document.text

    memo: DocumentMemo[str] = DocumentMemo(None, "slot", "key")
    memo.get(Doc("a.md", "a"), derive)
    memo.save()  # nothing to keep
    memo = DocumentMemo(PluginCache(tmp_path, {}), "slot", "key")
    memo.get(Doc("a.md", "a"), derive)
    memo.save()
    memo = DocumentMemo(PluginCache(tmp_path, {}), "slot", "key")
    memo.get(Doc("a.md", "a"), derive)
    assert calls == ["a.md"] * 3
    assert not (tmp_path / "slot.zip").exists()


def test_a_damaged_memo_is_only_a_miss(tmp_path):
    cache = PluginCache(tmp_path, {"a.md": b"A"})
    cache.store("slot", "key", {"memo": b"not a pickle"})
    memo = DocumentMemo(cache, "slot", "key")
    assert memo.get(Doc("a.md", "a"), lambda d: d.text) == "a"
    assert memo.derived == 1


def test_an_unchanged_memo_is_not_written_again(tmp_path):
    cache = PluginCache(tmp_path, {"a.md": b"A"})
    memo = DocumentMemo(cache, "slot", "key")
    memo.get(Doc("a.md", "a"), lambda d: d.text)
    memo.save()
    written = (tmp_path / "slot.zip").stat().st_mtime_ns
    os.utime(tmp_path / "slot.zip", ns=(written - 10**9, written - 10**9))
    memo = DocumentMemo(cache, "slot", "key")
    memo.get(Doc("a.md", "a"), lambda d: d.text)
    memo.save()
    assert (tmp_path / "slot.zip").stat().st_mtime_ns == written - 10**9


# --- in a build ---------------------------------------------------------------------


@pytest.fixture
def derived(monkeypatch) -> dict[str, list[int]]:
    """How many values each memo slot derived, per build (``DocumentMemo.save``)."""
    counts: dict[str, list[int]] = {}
    save = DocumentMemo.save

    def counting(self: DocumentMemo) -> None:
        counts.setdefault(self._slot, []).append(self.derived)
        save(self)

    monkeypatch.setattr(DocumentMemo, "save", counting)
    return counts


def _files(**bodies: str) -> dict[str, str]:
    files = {"site.toml": SITE, "content/glossary.yml": GLOSSARY}
    for slug, body in bodies.items():
        files[f"content/items/{slug}.md"] = doc(body, title=f'"Item {slug}"')
    return files


def _edit(root: Path, slug: str, body: str) -> None:
    path = root / "content" / "items" / f"{slug}.md"
    path.write_text(doc(body, title=f'"Item {slug}"'), encoding="utf-8")
    stamp = path.stat().st_mtime_ns + 2 * 10**9  # a different mtime, whatever the clock
    os.utime(path, ns=(stamp, stamp))


def _slugs(value: object) -> object:
    """ItemLinks with each item as its slug."""
    if isinstance(value, tuple):
        return [_slugs(v) for v in value]
    return getattr(value, "slug", getattr(value, "id", value))


def rebuild(root: Path, use_cache: bool = True) -> BuildResult:
    """The project as it is on disk (``build`` would write the default files again)."""
    options = BuildOptions(now=NOW)
    return build_site(BuildRequest(root, options, write=False, use_cache=use_cache, workers=1))


def _links(result) -> dict[str, object]:
    crosslinks = result.site.data["crosslinks"]
    glossary = result.site.data["glossary"]
    return {
        "links": {
            slug: {name: _slugs(v) for name, v in vars(links).items()}
            for slug, links in crosslinks.links.items()
        },
        "body": dict(crosslinks.body_links),
        "html": dict(crosslinks.html),
        "mentions": {abbr: [i.slug for i in items] for abbr, items in glossary.mentions.items()},
    }


BODIES = {
    "a": "See [[b#plan]] and [[c]]; the MIIT said so.\n",
    "b": "## Plan\n\nThe SAC plan, and [back](/items/a/).\n",
    "c": "Nothing here.\n",
}


def test_an_edit_reads_only_the_edited_body_and_equals_a_build_without_cache(tmp_path, derived):
    root = tmp_path / "p"
    build(root, _files(**BODIES))
    assert derived["links"] == [3 + 1] and derived["mentions"] == [3]  # the issue too
    _edit(root, "c", "Now c links to [[a]] and names the MIIT.\n")
    result = rebuild(root)
    assert derived["links"][-1] == 1 and derived["mentions"][-1] == 1
    fresh = rebuild(root, use_cache=False)
    assert _links(result) == _links(fresh)
    assert _links(result)["body"]["c"] == frozenset({"a"})
    assert sorted(_links(result)["mentions"]["MIIT"]) == ["a", "c"]


def test_a_kept_body_is_checked_against_the_site_as_it_is_now(tmp_path, derived):
    root = tmp_path / "p"
    build(root, _files(**BODIES))
    _edit(root, "b", "No heading now.\n")  # a links to [[b#plan]]; a is not read again
    with pytest.raises(ContentError) as caught:
        rebuild(root)
    assert derived["links"][-1] == 1
    [problem] = [d for d in caught.value.diagnostics if d.code == "wiki-link"]
    assert problem.path.endswith("items/a.md")
    assert problem.line > 1 and problem.col is not None  # where [[b#plan]] is written
    assert "no heading with the id 'plan'" in problem.message


def test_the_readme_example_plugin_works_and_reads_only_changed_items(tmp_path, derived):
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    example = r"```python\n(from gazette\.plugin_cache import DocumentMemo.*?)```"
    code = re.search(example, readme, re.S)
    assert code, "README's DocumentMemo example is missing"
    root = tmp_path / "p"
    files = _files(a="One two three.\n", b="Four five.\n")
    files["site.toml"] += "[plugins.words]\n"
    build(root, {**files, "plugins/words.py": code.group(1)})
    assert rebuild(root).site.data["words"] == {"a": 3, "b": 2}
    assert derived["words"] == [2, 0]
    _edit(root, "b", "Four five six seven.\n")
    assert rebuild(root).site.data["words"] == {"a": 3, "b": 4}
    assert derived["words"][-1] == 1
