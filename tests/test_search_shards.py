"""Pagefind in shards: the shard rule, incremental builds against builds from
scratch, and the ranking of merged shards against one index.

The builds run the real Pagefind binary; the ranking test runs Pagefind's own
JavaScript in Debian's Chromium. The sample archive (63 items) is split into
shards of at most eight records (``shard_records = 8``), so that it has many.
"""

from __future__ import annotations

import gzip
import importlib.util
import json
import os
import random
import shutil
import zipfile
from pathlib import Path

import pytest

from gazette.diagnostics import ContentError
from gazette.model import BuildOptions
from gazette.pipeline import BuildRequest, BuildResult, build_site
from helpers import CHROMIUM, NO_CHROMIUM, NOW, served
from plugins import search

ROOT = Path(__file__).resolve().parent.parent
index = search.index
SMALL = 8
NEEDS_PAGEFIND = pytest.mark.skipif(
    importlib.util.find_spec("pagefind") is None and not os.environ.get("CI"),
    reason="not installed: pagefind",
)


# --------------------------------------------------------------------------- the rule


def urls(count: int, seed: int = 1) -> list[str]:
    words = random.Random(seed)
    return [f"/items/{words.getrandbits(48):x}-{n}/" for n in range(count)]


def by_url(found: dict[str, list[int]], names: list[str]) -> dict[str, set[str]]:
    return {shard: {names[n] for n in members} for shard, members in found.items()}


def test_shards_hold_at_most_the_limit_and_every_url_once():
    names = urls(10_000)
    found = index.shards(names, 1_000)
    sizes = [len(members) for members in found.values()]
    assert sum(sizes) == 10_000 and max(sizes) <= 1_000
    assert sorted(n for members in found.values() for n in members) == list(range(10_000))
    # Random halves of 1,250: every shard at depth four, about 625 records each.
    assert len(found) == 16 and min(sizes) > 500
    assert index.shards([], 1_000) == {"": []}
    assert index.shards(names[:1_000], 1_000) == {"": list(range(1_000))}


def test_the_shards_depend_on_the_set_of_urls_only():
    names = urls(3_000)
    shuffled = names[::-1]
    assert by_url(index.shards(names, 500), names) == by_url(index.shards(shuffled, 500), shuffled)


@pytest.mark.parametrize("change", ["add", "delete"])
def test_adding_or_deleting_one_item_changes_one_shard_or_splits_or_merges_it(change):
    names = urls(5_000)
    before = by_url(index.shards(names, 400), names)
    changed_shards = set()
    for step in range(200):
        if change == "add":
            after_names = [*names, f"/items/new-{step}/"]
        else:
            after_names = [name for n, name in enumerate(names) if n != step * 7]
        after = by_url(index.shards(after_names, 400), after_names)
        old = {k for k in before if before[k] != after.get(k)}
        new = {k for k in after if after[k] != before.get(k)}
        # One shard changes; or one splits in two (a prefix and its two children);
        # or two siblings merge into their parent. Nothing else moves.
        assert len(old) <= 2 and len(new) <= 2, (old, new)
        if len(old) + len(new) > 2:
            parent = min(old | new, key=len)
            assert all(name.startswith(parent) for name in old | new)
        changed_shards.add(len(old | new))
    assert changed_shards  # the loop ran


# --------------------------------------------------------------------------- builds


def sample(folder: Path, shard_records: int = SMALL) -> Path:
    """A copy of the sample archive with search on Pagefind in shards of ``shard_records``."""
    shutil.copytree(ROOT / "content", folder / "content")
    config = (ROOT / "site.toml").read_text(encoding="utf-8")
    table = "[plugins.search]"
    assert table in config
    line = f'{table}\nengine = "pagefind"\nshard_records = {shard_records}\n'
    (folder / "site.toml").write_text(config.replace(table, line, 1), encoding="utf-8")
    return folder


def run(folder: Path, use_cache: bool = True) -> BuildResult:
    options = BuildOptions(now=NOW)
    return build_site(BuildRequest(folder, options, write=False, use_cache=use_cache, workers=1))


def pagefind_output(result: BuildResult) -> dict[str, bytes]:
    return {url: data for url, data in result.files.items() if url.startswith("/pagefind/")}


def shard_files(files: dict[str, bytes]) -> dict[str, dict[str, bytes]]:
    """{shard folder ("" for the primary): {path: bytes}}."""
    found: dict[str, dict[str, bytes]] = {}
    for url, data in files.items():
        path = url.removeprefix("/pagefind/")
        folder = path.split("/", 1)[0] if path.startswith("shard-") else ""
        found.setdefault(folder, {})[path] = data
    return found


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, (path, old)
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


ITEMS = ROOT / "content" / "items"
NEW_ITEM = """\
---
title: "MIIT opens a consultation on carbon labels for data centres"
date: 2021-04-02
issue: "2021-04"
section: energy-environment
tags: ["MIIT", "Green Data Centres"]
summary: "A draft on carbon labels, open for comment."
---

The Ministry of Industry and Information Technology asked for comments on carbon
labels for data centres, with a standardisation roadmap to follow.
"""


@NEEDS_PAGEFIND
def test_incremental_builds_write_the_files_of_a_build_from_scratch(tmp_path):
    folder = sample(tmp_path / "site")
    items = folder / "content" / "items"
    some = sorted(items.rglob("*.md"))

    def step(change) -> tuple[int, dict[str, bytes]]:
        change()
        runs = len(index.RUNS)
        incremental = pagefind_output(run(folder))
        indexed = len(index.RUNS) - runs
        scratch = pagefind_output(run(folder, use_cache=False))
        assert incremental.keys() == scratch.keys()
        differ = [url for url in incremental if incremental[url] != scratch[url]]
        assert not differ, differ[:5]
        return indexed, incremental

    first = pagefind_output(run(folder))
    assert len(shard_files(first)) > 5
    changes = {
        "edit a body": lambda: edit(some[10], "\n\n", "\n\nA new sentence about carbon.\n\n"),
        "add an item": lambda: (items / "2021-04" / "miit-carbon-labels.md").write_text(NEW_ITEM),
        "delete an item": lambda: some[20].unlink(),
        "change tags": lambda: edit(some[30], "tags: [", 'tags: ["Cybersecurity", '),
    }
    previous = first
    for name, change in changes.items():
        indexed, files = step(change)
        # One shard re-indexed (two when a shard splits or merges); the others kept byte for byte.
        assert 1 <= indexed <= 2, (name, indexed)
        before, after = shard_files(previous), shard_files(files)
        same = [f for f in after if f and before.get(f) == after[f]]
        assert len(same) >= len(after) - 1 - indexed, name
        previous = files


def test_records_come_a_shard_at_a_time_with_the_edited_shard_first(tmp_path):
    from dataclasses import replace

    from gazette.plugin_cache import PluginCache

    site = run(sample(tmp_path / "site"), use_cache=False).site
    cache = PluginCache(tmp_path / "cache")
    whole = search.records(site, site.glossary)
    seen: list = []
    kept, _ = search.records_and_digests(
        site, site.glossary, cache, lambda *shard: seen.append(shard), SMALL
    )
    assert kept == whole
    groups = index.shards([rec.url for rec in whole], SMALL)
    assert sorted(name for name, _, _ in seen) == list(groups)
    assert all(recs == tuple(whole[n] for n in groups[name]) for name, recs, _ in seen)
    assert all(list(digests) == [search.digest(rec) for rec in recs] for _, recs, digests in seen)
    # Pagefind starts on the first shard made: after an edit, the edited item's.
    for target in (site.public_items[-1], site.public_items[len(whole) // 2]):
        edited = replace(
            site,
            items=tuple(
                replace(i, summary=i.summary + " Edited.") if i is target else i for i in site.items
            ),
        )
        seen.clear()
        again, _ = search.records_and_digests(
            edited, edited.glossary, cache, lambda *s: seen.append(s), SMALL
        )
        assert target.url in {rec.url for rec in seen[0][1]}
        # Digests from the memo (every shard but the edited one) are the records' own.
        assert all(list(d) == [search.digest(rec) for rec in recs] for _, recs, d in seen)
        assert again == search.records(edited, edited.glossary)


def test_a_feed_closed_on_failure_raises_instead_of_indexing_a_part():
    feed = search.ShardFeed()
    feed.put("0", (), ())
    feed.close(failed=True)
    shards = iter(feed)
    assert next(shards) == index.Shard("0", (), ())
    with pytest.raises(RuntimeError, match="records could not be made"):
        next(shards)


@NEEDS_PAGEFIND
def test_an_unchanged_shard_is_reused_and_only_the_edited_one_reindexed(tmp_path):
    folder = sample(tmp_path / "site")
    run(folder)
    runs = len(index.RUNS)
    run(folder)
    assert len(index.RUNS) == runs  # a warm build indexes nothing
    target = sorted((folder / "content" / "items").rglob("*.md"))[5]
    edit(target, "\n\n", "\n\nOne more sentence.\n\n")
    run(folder)
    [again] = index.RUNS[runs:]
    assert 1 <= again.records <= SMALL


@NEEDS_PAGEFIND
def test_the_primary_bundle_lists_the_others_and_they_carry_index_data_only(tmp_path):
    files = pagefind_output(run(sample(tmp_path / "site")))
    bundles = json.loads(files["/pagefind/gazette-shards.json"])["bundles"]
    assert bundles and all(b.startswith("shard-") and b.endswith("/") for b in bundles)
    for bundle in bundles:
        own = [url for url in files if url.startswith(f"/pagefind/{bundle}")]
        assert f"/pagefind/{bundle}pagefind-entry.json" in own
        assert not [url for url in own if url.endswith((".js", ".pagefind"))]
    assert "/pagefind/pagefind.js" in files and "/pagefind/wasm.en.pagefind" in files
    entries = [json.loads(files[f"/pagefind/{b}pagefind-entry.json"]) for b in ["", *bundles]]
    pages = sum(entry["languages"]["en"]["page_count"] for entry in entries)
    dates = json.loads(files["/pagefind/gazette-dates.json"])
    assert pages == len(dates) == len(run(sample(tmp_path / "again")).site.public_items)
    assert all(len(date) == 10 for date in dates.values())


@NEEDS_PAGEFIND
def test_a_bundle_holds_what_each_record_says_and_pagefind_failing_is_named(monkeypatch):
    """Each record becomes a page that Pagefind's command line reads
    (`pagefind_page`): the bundle holds its text (markup characters and all),
    its weighted parts, metadata and filters, and nothing else. A failed run is
    an error with what Pagefind said."""
    weighted = " ___PAGEFIND_WEIGHT___7 Carbon & labels ___END_PAGEFIND_WEIGHT___"
    entries = [
        {
            "url": f"/items/a{n}/",
            "content": f"R&D <costs> {n}{weighted} tail",
            "language": "en",
            "meta": {"title": f"Carbon & labels, {n}", "date": f"2021-04-0{n + 1}", "words": "3"},
            "filters": {"tag": ["R&D", "5G"], "year": ["2021"]},
            "sort": {"date": f"2021-04-0{n + 1}"},
        }
        for n in range(3)
    ]
    files = index._bundle("", entries, "en")
    assert "wasm.en.pagefind" in files and "pagefind.js" in files
    assert index._complete({p: d for p, d in files.items() if not p.startswith("gazette-")})
    assert sorted(json.loads(files[index.DATES_FILE]).values()) == [
        "2021-04-01",
        "2021-04-02",
        "2021-04-03",
    ]
    found = sorted(
        (
            json.loads(gzip.decompress(data)[len(index.SIGNATURE) :])
            for path, data in files.items()
            if path.startswith("fragment/")
        ),
        key=lambda fragment: fragment["url"],
    )
    assert [f["url"] for f in found] == ["/items/a0/", "/items/a1/", "/items/a2/"]
    assert found[0]["content"] == "R&D <costs> 0 Carbon & labels tail"
    assert found[0]["meta"]["title"] == "Carbon & labels, 0"
    assert found[0]["filters"] == {"tag": ["R&D", "5G"], "year": ["2021"]}

    from pagefind import service

    monkeypatch.setattr(service, "get_executable", lambda: "/bin/false")
    with pytest.raises(RuntimeError, match="pagefind failed"):
        index._bundle("", entries, "en")


# --------------------------------------------------------------------------- ranking

# Queries on the sample archive: acronyms, common and rarer words, two-word queries.
QUERIES = (
    "MIIT",
    "5G",
    "standardisation",
    "carbon",
    "cybersecurity",
    "blockchain",
    "green data",
    "artificial intelligence",
    "Ministry of Industry",
)
SEARCH = """async ([root, base, queries]) => {
  const pagefind = await import(root + "pagefind.js");
  await pagefind.options({ baseUrl: base });
  const manifest = await (await fetch(root + "gazette-shards.json")).json();
  for (const bundle of manifest.bundles) {
    await pagefind.mergeIndex(root + bundle, { baseUrl: base });
  }
  const found = {};
  for (const query of queries) {
    const response = await pagefind.search(query);
    found[query] = await Promise.all(response.results.map(
      async (result) => [(await result.data()).url, result.score]));
  }
  return found;
}"""


def ranked(browser, folder: Path) -> dict[str, list[list]]:
    output = folder / "out"
    build_site(BuildRequest(folder, BuildOptions(now=NOW), output, use_cache=False))
    with served(output) as url:
        page = browser.new_page()
        # A page whose search box has not loaded Pagefind: the script below does it.
        page.goto(url + "issues/")
        found = page.evaluate(SEARCH, [url + "pagefind/", "/", list(QUERIES)])
        page.close()
    return found


@NEEDS_PAGEFIND
@pytest.mark.skipif(CHROMIUM is None, reason=NO_CHROMIUM)
def test_merged_shards_find_what_one_index_finds(browser, tmp_path):
    """What is true of merged shards, against one index of the same records.

    - Every item one index finds, the shards find (nothing is lost).
    - They may find more: when no word of a shard starts with a query word,
      Pagefind falls back, in that shard only, to the longest word of the shard
      that starts the query word ("5" for "5g"), which one index over the whole
      archive would not do. The extra items rank wherever their scores put
      them; bench/README.md measures how often this happens at 10,000 items.
    - The order differs: each shard ranks by its own word statistics (BM25's IDF
      and average length, over eight records here), and Pagefind merges by score.
    """
    one = ranked(browser, sample(tmp_path / "one", shard_records=10_000))
    shards = ranked(browser, sample(tmp_path / "shards", shard_records=SMALL))
    same_set, same_order = [], []
    for query in QUERIES:
        expected = [url for url, _ in one[query]]
        got = [url for url, _ in shards[query]]
        assert expected, query
        assert len(got) == len(set(got)), query  # each item once
        assert set(expected) <= set(got), query  # nothing lost
        same_set.append(set(got) == set(expected))
        same_order.append(got == expected)
    assert any(same_set) and not all(same_order)


def site_pagefind(folder: Path) -> dict[str, bytes]:
    """The files under ``/pagefind/`` of the site a build wrote into ``folder / "site"``."""
    root = folder / "site" / "pagefind"
    return {
        f"/pagefind/{path.relative_to(root).as_posix()}": path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


@NEEDS_PAGEFIND
def test_an_index_made_in_a_forked_copy_writes_the_files_of_a_build_from_scratch(
    tmp_path, monkeypatch
):
    """From ``parallel.BACKGROUND_ITEMS`` items on, an incremental build makes the
    records and the Pagefind bundles in a copy forked by ``link``; the bundles it
    reuses come back unread (``KeptFile``), and the core reads them from the cache
    only where the site lacks their bytes. What it writes equals a build from
    scratch after every kind of change, a file changed by hand in site/ included."""
    from gazette import parallel

    monkeypatch.setattr(parallel, "BACKGROUND_ITEMS", 0)
    folder = sample(tmp_path / "site")
    items = folder / "content" / "items"
    some = sorted(items.rglob("*.md"))

    def written() -> BuildResult:
        request = BuildRequest(folder, BuildOptions(now=NOW), workers=1)
        return build_site(request)

    def hand_edit() -> None:
        fragment = sorted((folder / "site" / "pagefind" / "fragment").iterdir())[0]
        fragment.write_bytes(b"changed by hand")

    cold = written().site.data["search"]
    assert not cold.meanwhile and cold.pending is None  # cold: indexed in the build
    changes = {
        "edit a body": lambda: edit(some[10], "\n\n", "\n\nA new sentence about carbon.\n\n"),
        "add an item": lambda: (items / "2021-04" / "miit-carbon-labels.md").write_text(NEW_ITEM),
        "delete an item": lambda: some[20].unlink(),
        "a Pagefind file changed in site/": hand_edit,
        "change tags": lambda: edit(some[30], "tags: [", 'tags: ["Cybersecurity", '),
    }
    for name, change in changes.items():
        change()
        data = written().site.data["search"]
        assert data.meanwhile and data.pending is not None, name
        assert site_pagefind(folder) == pagefind_output(run(folder, use_cache=False)), name


@NEEDS_PAGEFIND
def test_a_damaged_cached_bundle_is_named_with_its_fix(tmp_path):
    """A reused bundle whose cache entry lost a file the site lacks: the error
    names the cache file and says to delete it (the next build then indexes it)."""
    folder = sample(tmp_path / "site")
    cold = pagefind_output(run(folder))
    slots = sorted((folder / ".gazette-cache" / "plugins" / "search").glob("pagefind-*.zip"))
    assert len(slots) > 1 and cold
    target = slots[-1]
    with zipfile.ZipFile(target) as archive:
        key, kept = archive.comment, {n: archive.read(n) for n in archive.namelist()}
    fragment = next(n for n in kept if n.startswith("fragment/"))
    with zipfile.ZipFile(target, "w") as archive:
        archive.comment = key
        for name, data in kept.items():
            archive.writestr(name, b"damaged" if name == fragment else data)
    with pytest.raises(ContentError) as caught:
        run(folder)  # in memory: every kept file is read
    message = caught.value.diagnostics[0].format()
    assert str(target) in message and "cache-damaged" in message and "delete" in message
    target.unlink()
    assert pagefind_output(run(folder)) == cold


def test_pagefind_works_in_memory_where_there_is_a_tmpfs(monkeypatch):
    """Pages and bundle go to /dev/shm on Linux (a disk cost Pagefind 1.7 s more
    of system time per shard); elsewhere, to the system's temporary folder."""
    import os

    monkeypatch.setattr(os.path, "isdir", lambda path: path == "/dev/shm")
    monkeypatch.setattr(os, "access", lambda path, mode: True)
    assert index._scratch() == "/dev/shm"
    monkeypatch.setattr(os.path, "isdir", lambda path: False)
    assert index._scratch() is None
