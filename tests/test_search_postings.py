"""Gazette's own search index (engine "gazette", plugins/_search_postings.py).

Its terms must be search.js's ``words`` exactly (a word the two fold apart is
never found), so the Python tokeniser is compared with search.js's in
Chromium. Incremental builds must write the files of a build from scratch, and
an edit must change only the files it touches. The relevance set and the UI
run on this engine in test_search_relevance.py and test_search_browser.py.
"""

from __future__ import annotations

import json
import marshal
import shutil
import zipfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gazette.model import BuildOptions
from gazette.pipeline import BuildRequest, BuildResult, build_site
from gazette.plugin_cache import PluginCache
from helpers import CHROMIUM, NO_CHROMIUM, NOW, SITE_TOML, build, item, served
from plugins import search

postings = search.postings
ROOT = Path(__file__).resolve().parent.parent
ITEMS = ROOT / "content" / "items"
TRICKY = [
    "GB/T 35273-2020 and ISO/IEC 30145-3, SAC/TC28 SC42, TC260",
    "Standardisation, standardization; licences, licenses, analyses, catalogue",
    "centres Centre programme labelled travelling colour cities bus status analysis",
    "Zürich, São Paulo, naïve café; ﬁnance; Ⅻ; ½; x²",
    "标准化 标准 国家标准化管理委员会 5G技术",
    "ΣΟΦΟΣ σοφός; İstanbul; straße; ǅemal",
    "e-commerce, cyber-security, A.I., Y.4464, 2020-08-21",
    "𠀀𠀁abc, emoji 🙂 and a tab\tand\nnewlines ¶ blocks",
]


def sample(folder: Path) -> Path:
    """A copy of the sample archive with search on the gazette engine."""
    shutil.copytree(ROOT / "content", folder / "content")
    config = (ROOT / "site.toml").read_text(encoding="utf-8")
    table = "[plugins.search]"
    assert table in config
    config = config.replace(table, f'{table}\nengine = "gazette"\n', 1)
    (folder / "site.toml").write_text(config, encoding="utf-8")
    return folder


def run(folder: Path, use_cache: bool = True) -> BuildResult:
    options = BuildOptions(now=NOW)
    return build_site(BuildRequest(folder, options, write=False, use_cache=use_cache, workers=1))


def index_of(result: BuildResult) -> dict[str, bytes]:
    return {url: data for url, data in result.files.items() if url.startswith(postings.ROOT)}


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, (path, old)
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


# --------------------------------------------------------------------------- words


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Standardisation standardizations", ["standardization", "standardization"]),
        ("licences analyses centres", ["license", "analyze", "center"]),
        ("cities status bus", ["city", "status", "bus"]),
        ("TC260 GB/T 35273-2020", ["tc", "260", "gb", "t", "35273", "2020"]),
        ("Zürich café", ["zurich", "cafe"]),
        ("5G技术", ["5g技术"]),
    ],
)
def test_words_fold_case_accents_plurals_and_spellings(text, expected):
    assert postings.words(text) == expected


@pytest.mark.skipif(CHROMIUM is None, reason=NO_CHROMIUM)
def test_the_index_and_search_js_split_and_fold_every_text_alike(browser, tmp_path):
    folder = sample(tmp_path / "site")
    result = run(folder, use_cache=False)
    records = search.records(result.site, result.site.glossary)
    texts = TRICKY + [
        " ".join((r.title, r.summary, " ".join(r.tags), *r.aliases, *r.synonyms, r.body))
        for r in records
    ]
    output = tmp_path / "out"
    build_site(BuildRequest(folder, BuildOptions(now=NOW), output, "http://127.0.0.1/"))
    page = browser.new_page()
    try:
        page.add_init_script("window.GAZETTE_SEARCH = {};")
        with served(output) as url:
            page.goto(url + "search/")
            page.wait_for_function("() => window.GAZETTE_SEARCH.words")
            in_js = page.evaluate("texts => texts.map(t => window.GAZETTE_SEARCH.words(t))", texts)
    finally:
        page.close()
    for text, found in zip(texts, in_js, strict=True):
        assert postings.words(text) == found, text[:80]


# --------------------------------------------------------------------------- chunks


@settings(max_examples=60, deadline=None)
@given(
    st.dictionaries(
        st.text(alphabet="abcé标0", min_size=1, max_size=6),
        st.integers(min_value=1, max_value=400),
        min_size=1,
        max_size=80,
    ),
    st.integers(min_value=50, max_value=2_000),
)
def test_every_term_is_in_the_chunk_of_its_longest_key_prefix(sizes, limit):
    chunks = postings.chunk_keys(sizes, limit)
    placed = [term for members in chunks.values() for term in members]
    assert sorted(placed) == sorted(sizes)
    for key, members in chunks.items():
        for term in members:
            assert term.startswith(key)
            # search.js's keyOf: the longest key that begins the term
            longest = max((k for k in chunks if term.startswith(k)), key=len)
            assert longest == key, (term, key, longest)
        if len(members) > 1 and any(t != key for t in members):
            assert sum(sizes[t] for t in members) <= limit or key == ""


def test_chunks_fit_the_limit_unless_one_term_is_larger():
    sizes = {f"t{n:03}": 100 for n in range(300)} | {"big": 5_000}
    chunks = postings.chunk_keys(sizes, 1_000)
    for key, members in chunks.items():
        assert sum(sizes[t] for t in members) <= 1_000 or members == ["big"], key


def test_long_words_sharing_long_prefixes_split_without_recursion():
    # Hostile text: words of thousands of letters that share all but the last.
    chain = {"x" * n: 100 for n in range(1, 3_000)}
    chunks = postings.chunk_keys(chain, 1_000)
    assert sorted(t for members in chunks.values() for t in members) == sorted(chain)
    twins = {"y" * 4_990 + str(n): 6_000 for n in range(10)}
    chunks = postings.chunk_keys(twins, 24_000)
    assert len(chunks) == 10
    assert all(members == [key] or key == "y" * 4_990 for key, members in chunks.items())


# --------------------------------------------------------------------------- builds


def test_the_files_are_named_by_their_content_except_the_manifest(tmp_path):
    files = index_of(run(sample(tmp_path / "site"), use_cache=False))
    manifest = json.loads(files[postings.MANIFEST])
    assert manifest["count"] == 63
    named = {url for url in files if url != postings.MANIFEST}
    for url in named:
        if "/d/" in url:
            continue
        name = url.rsplit("/", 1)[1].removesuffix(".json")
        assert name == postings._name(files[url]), url
    listed = {f"{postings.ROOT}t/{h}.json" for h in manifest["chunks"].values()}
    listed |= {f"{postings.ROOT}f/{h}.json" for h in manifest["facets"].values()}
    listed.add(f"{postings.ROOT}w/{manifest['words']}.json")
    records = {url for url in named if "/d/" in url}
    assert named == listed | records
    assert len(records) == 63
    # every term of every record is in the chunk its key names, with that record
    chunks = {
        k: json.loads(files[f"{postings.ROOT}t/{h}.json"]) for k, h in manifest["chunks"].items()
    }
    for url in records:
        number = int(url.rsplit("/", 1)[1].removesuffix(".json"))
        shown = json.loads(files[url])
        text = " ".join(
            (
                shown["title"],
                shown["summary"],
                " ".join(shown["tags"]),
                shown["extra"],
                shown["text"],
            )
        )
        for term in set(postings.words(text)):
            key = max((k for k in chunks if term.startswith(k)), key=len)
            ids, at = [], 0
            for delta in chunks[key][term][0]:
                at += delta
                ids.append(at)
            assert number in ids, (term, url)


def test_facets_list_the_records_that_carry_each_value(tmp_path):
    files = index_of(run(sample(tmp_path / "site"), use_cache=False))
    manifest = json.loads(files[postings.MANIFEST])
    shown = {
        int(url.rsplit("/", 1)[1].removesuffix(".json")): json.loads(data)
        for url, data in files.items()
        if "/d/" in url
    }
    for name, digest in manifest["facets"].items():
        values = json.loads(files[f"{postings.ROOT}f/{digest}.json"])
        for value, deltas in values.items():
            ids = [sum(deltas[: n + 1]) for n in range(len(deltas))]
            field = {"tag": "tags", "standard": "standards"}.get(name)
            for number, rec in shown.items():
                has = (
                    value in rec[field]
                    if field
                    else (rec["date"][:4] if name == "year" else rec[name]) == value
                )
                assert has == (number in ids), (name, value, number)


def test_incremental_builds_write_the_index_of_a_build_from_scratch(tmp_path, monkeypatch):
    folder = sample(tmp_path / "site")
    items = folder / "content" / "items"
    some = sorted(items.rglob("*.md"))
    made: list[str] = []
    real = postings.record_terms
    monkeypatch.setattr(
        postings, "record_terms", lambda rec, *a: made.append(rec.url) or real(rec, *a)
    )
    shown: list[str] = []
    display = postings.display
    monkeypatch.setattr(postings, "display", lambda rec: shown.append(rec.url) or display(rec))
    monkeypatch.setattr(postings, "BLOCK", 8)
    previous = index_of(run(folder))
    assert len(made) == 63 and len(shown) == 63
    changes = {
        "edit a body": lambda: edit(some[10], "\n\n", "\n\nXylography.\n\n"),
        "delete an item": lambda: some[20].unlink(),
        "change tags": lambda: edit(some[30], "tags: [", 'tags: ["Cybersecurity", '),
        "move a date": lambda: edit(some[5], "date: 20", "date: 19"),
    }
    for name, change in changes.items():
        change()
        made.clear()
        shown.clear()
        files = index_of(run(folder))
        assert len(made) <= 1, (name, made)  # only the changed record's terms
        if name in ("edit a body", "change tags"):  # no record moved: one block encoded
            assert 1 <= len(shown) <= 8, (name, shown)
        scratch = index_of(run(folder, use_cache=False))
        assert files == scratch, name
        if name == "edit a body":
            # one new word: its chunk, the record's block, the words and the manifest
            changed = {u for u in files if files[u] != previous.get(u)} - {postings.MANIFEST}
            assert len([u for u in changed if "/t/" in u]) <= 2, changed
            assert len({u.rsplit("/", 2)[1] for u in changed if "/d/" in u}) == 1
        previous = files


def test_an_index_made_in_a_forked_copy_is_the_index_of_a_build_from_scratch(tmp_path, monkeypatch):
    """From ``parallel.BACKGROUND_ITEMS`` items on, an incremental build makes the
    records and index files in a forked copy (`search._kept_index`), started by
    ``link``, and collects them after the last page; a cold build makes them
    itself. The files are
    those of a build from scratch, after every kind of change."""
    from gazette import parallel

    monkeypatch.setattr(parallel, "BACKGROUND_ITEMS", 0)
    monkeypatch.setattr(postings, "BLOCK", 8)
    folder = sample(tmp_path / "site")
    items = folder / "content" / "items"
    some = sorted(items.rglob("*.md"))
    cold = run(folder).site.data["search"]
    assert not cold.meanwhile and len(cold.records) == 63  # cold: made in the build
    changes = {
        "nothing": lambda: None,
        "edit a body": lambda: edit(some[10], "\n\n", "\n\nXylography.\n\n"),
        "delete an item": lambda: some[20].unlink(),
        "change tags": lambda: edit(some[30], "tags: [", 'tags: ["Cybersecurity", '),
        "move a date": lambda: edit(some[5], "date: 20", "date: 19"),
        "glossary": lambda: edit(folder / "content" / "glossary.yml", "\n", "\nXYL: Xylography\n"),
    }
    for name, change in changes.items():
        change()
        result = run(folder)
        data = result.site.data["search"]
        forked = name != "glossary"  # a new glossary: no records kept under its key
        assert (data.meanwhile and data.records == ()) is forked, name
        assert (data.pending is not None) is forked, name
        assert index_of(result) == index_of(run(folder, use_cache=False)), name


def test_serve_linking_for_previews_starts_no_copy(tmp_path, monkeypatch):
    """``serve`` links the site again to preview from it (``load_state``): ``link``
    is told it is not building, so it forks no copy; the index, if asked for,
    is made when collected, and is the build's."""
    from gazette import parallel
    from gazette.pipeline import load_state

    monkeypatch.setattr(parallel, "BACKGROUND_ITEMS", 0)
    folder = sample(tmp_path / "site")
    run(folder)
    state = load_state(BuildRequest(folder, BuildOptions(now=NOW), write=False, workers=1))
    data = state.site.data["search"]
    assert data.meanwhile and data.pending is None
    site = state.site
    cache = PluginCache(folder / ".gazette-cache" / "plugins" / "search", {})
    options = {"engine": "gazette", "shard_records": 1500}
    [_page, deferred] = search.outputs(site, options=options, name="search", cache=cache)
    made = {file.url: file.data for file in deferred.resolve()}
    assert made == index_of(run(folder, use_cache=False))


WORDS = st.lists(st.sampled_from(["ai", "5g", "grid", "gridlock", "data", "标准"]), max_size=5)


def _terms(found: list[str]) -> tuple[str, ...]:
    """Terms of a made-up record: its first word in the title, the rest in the text."""
    unique = sorted(set(found))
    return (" ".join(unique), " ".join(found[:1]), "", " ".join(unique[1:2]), "")


@settings(max_examples=80, deadline=None)
@given(st.lists(WORDS, min_size=1, max_size=8), st.data())
def test_patching_the_postings_of_changed_records_equals_building_them(records, data):
    before = [_terms(found) for found in records]
    after = list(before)
    changed = data.draw(st.sets(st.integers(0, len(records) - 1)))
    for number in changed:
        after[number] = _terms(data.draw(WORDS))
    replaced = {n: (before[n], after[n]) for n in changed}
    patched = postings.patch_postings(postings.build_postings(before), replaced)
    assert patched == postings.build_postings(after)


def test_gazette_is_the_default_engine_and_needs_no_webassembly(tmp_path):
    files = {"site.toml": SITE_TOML + "[plugins.search]\n", "content/items/one.md": item()}
    result = build(tmp_path, files)
    manifest = json.loads(result.files[postings.MANIFEST])
    assert manifest["count"] == 1
    page = result.files["/"].decode()
    assert 'data-search-engine="gazette"' in page
    assert "wasm-unsafe-eval" not in page


def kept_slot(folder: Path, slot: str) -> tuple[PluginCache, str, dict[str, bytes]]:
    """The search plugin's cache, and the key and files ``slot`` holds."""
    cache = PluginCache(folder / ".gazette-cache" / "plugins" / "search")
    with zipfile.ZipFile(cache.folder / f"{slot}.zip") as archive:
        return cache, archive.comment.decode(), {n: archive.read(n) for n in archive.namelist()}


@pytest.mark.parametrize(
    "damage",
    [
        {"digests": "not a list"},
        {"digests": [1, 2, 3]},
        {"entries": {"a": 1}, "counts": {"a": 1}},
        {"counts": {"x": "one"}},
        "terms",
    ],
    ids=["digests", "digest types", "entry types", "count types", "terms"],
)
def test_a_search_cache_damaged_inside_a_sound_file_only_costs_a_rebuild(tmp_path, damage):
    folder = sample(tmp_path / "site")
    scratch = index_of(run(folder, use_cache=False))
    run(folder)
    cache, key, stored = kept_slot(folder, postings.SLOT)
    if damage == "terms":
        terms = marshal.loads(stored[postings.TERMS_FILE])
        stored[postings.TERMS_FILE] = marshal.dumps({d: (1, None) for d in terms})
    else:
        state = marshal.loads(stored[postings.INDEX_FILE])
        stored[postings.INDEX_FILE] = marshal.dumps({**state, **damage})
    cache.store(postings.SLOT, key, stored)
    edit(sorted((folder / "content" / "items").rglob("*.md"))[3], "\n\n", "\n\nQuartz.\n\n")
    assert index_of(run(folder)) == index_of(run(folder, use_cache=False))
    assert scratch != index_of(run(folder))  # the edit is in


@pytest.mark.parametrize(
    "damage", [b"not marshal", marshal.dumps("text"), marshal.dumps([b"{}"]), marshal.dumps([1])]
)
def test_a_damaged_block_of_record_files_only_costs_encoding_it_again(tmp_path, damage):
    folder = sample(tmp_path / "site")
    run(folder)
    cache, key, stored = kept_slot(folder, postings.BLOCKS_SLOT)
    assert stored and all(isinstance(marshal.loads(data), list) for data in stored.values())
    cache.store(postings.BLOCKS_SLOT, key, dict.fromkeys(stored, damage))
    assert index_of(run(folder)) == index_of(run(folder, use_cache=False))
