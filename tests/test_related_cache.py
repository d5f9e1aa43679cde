"""Related items from the plugin cache: always the lists of a computation from scratch."""

from __future__ import annotations

import os
import random
import subprocess
import sys
import zipfile
from collections import Counter
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
from test_related import SITE, related_plugin

from gazette import similarity
from gazette.plugin_cache import PluginCache
from helpers import NOW, build, item

related = related_plugin()

VOCABULARY = tuple(
    [
        "harbour",
        "crane",
        "safety",
        "standard",
        "lithium",
        "battery",
        "recycling",
        "cobalt",
        "mining",
        "railway",
        "timetable",
        "spectrum",
        "auction",
        "satellite",
        "launch",
        "broadband",
        "rural",
        "fibre",
        "privacy",
        "data",
        "cloud",
        "chip",
        "foundry",
        "export",
        "licence",
        "quantum",
        "sensor",
        "grid",
        "solar",
        "wind",
        "hydrogen",
        "vehicle",
        "charging",
        "platform",
        "payment",
        "wallet",
        "identity",
        "blockchain",
        "ledger",
        "token",
    ]
)
TAGS = ("AI", "5G", "MIIT", "Cybersecurity", "Blockchain", "Cloud")


@dataclass(frozen=True)
class Doc:
    slug: str
    title: str
    summary: str
    text: str
    tags: tuple[str, ...]


@dataclass
class Corpus:
    """Documents, body links between them and ``follows`` relations, edited at random."""

    rng: random.Random
    docs: dict[str, Doc]
    links: set[frozenset[str]]
    follows: dict[str, str]
    made: int = 0

    def phrase(self, words: int) -> str:
        return " ".join(self.rng.choice(VOCABULARY) for _ in range(words))

    def new_doc(self) -> Doc:
        self.made += 1
        slug = f"item-{self.rng.randrange(1000):03d}-{self.made}"
        tags = tuple(sorted(self.rng.sample(TAGS, self.rng.randint(0, 3))))
        return Doc(slug, self.phrase(3), self.phrase(6), self.phrase(self.rng.randint(5, 60)), tags)

    def inputs(self) -> tuple[list[Doc], list[set[int]], list[str | None]]:
        """What the plugin gives `rank`: documents by slug, left-out items, threads."""
        docs = [self.docs[slug] for slug in sorted(self.docs)]
        position = {doc.slug: n for n, doc in enumerate(docs)}
        excluded: list[set[int]] = [set() for _ in docs]
        for a, b in (tuple(pair) for pair in self.links):
            if a in position and b in position:
                excluded[position[a]].add(position[b])
                excluded[position[b]].add(position[a])
        parent = {slug: slug for slug in position}

        def root(slug: str) -> str:
            while parent[slug] != slug:
                slug = parent[slug]
            return slug

        for a, b in self.follows.items():
            if a in parent and b in parent:
                parent[root(a)] = root(b)
        members = Counter(root(slug) for slug in position)
        first: dict[str, str] = {}
        for slug in sorted(position):
            first.setdefault(root(slug), slug)
        threads = [first[root(d.slug)] if members[root(d.slug)] > 1 else None for d in docs]
        return docs, excluded, threads

    def edit(self) -> str:
        """One random change; returns what it was."""
        rng, slugs = self.rng, sorted(self.docs)
        action = rng.choice(
            ["word", "append", "text", "title", "tags", "add", "delete", "follows", "link", "none"]
        )
        slug = rng.choice(slugs)
        doc = self.docs[slug]
        if action == "word":
            words = doc.text.split()
            words[rng.randrange(len(words))] = rng.choice(VOCABULARY)
            self.docs[slug] = replace(doc, text=" ".join(words))
        elif action == "append":
            self.docs[slug] = replace(doc, text=doc.text + " " + self.phrase(rng.randint(1, 8)))
        elif action == "text":
            self.docs[slug] = replace(doc, text=self.phrase(rng.randint(1, 60)))
        elif action == "title":
            self.docs[slug] = replace(doc, title=self.phrase(2), summary=self.phrase(4))
        elif action == "tags":
            tags = rng.sample(TAGS, rng.randint(0, 3))
            self.docs[slug] = replace(doc, tags=tuple(sorted(tags)))
        elif action == "add":
            for _ in range(rng.randint(1, 3)):
                added = self.new_doc()
                self.docs[added.slug] = added
        elif action == "delete" and len(slugs) > 3:
            del self.docs[slug]
        elif action == "follows":
            self.follows[slug] = rng.choice(slugs)
            if rng.random() < 0.3:
                self.follows.pop(rng.choice(list(self.follows)), None)
        elif action == "link":
            pair = frozenset(rng.sample(slugs, 2))
            self.links ^= {pair}
        return action


def corpus(seed: int, size: int) -> Corpus:
    made = Corpus(random.Random(seed), {}, set(), {})
    for _ in range(size):
        doc = made.new_doc()
        made.docs[doc.slug] = doc
    slugs = sorted(made.docs)
    made.links = {frozenset(made.rng.sample(slugs, 2)) for _ in range(size // 5)}
    made.follows = {made.rng.choice(slugs): made.rng.choice(slugs) for _ in range(size // 6)}
    return made


OPTIONS = [
    {"count": 3, "tag_weight": 0.3, "thread_weight": 0.2},
    {"count": 2, "tag_weight": 0.5, "thread_weight": 0.0},
    {"count": 4, "tag_weight": 0.0, "thread_weight": 0.0},
    {"count": 3, "tag_weight": 0.6, "thread_weight": 0.4},  # no text at all
]


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("share", [0.2, 1.0])
def test_random_edits_give_the_lists_of_a_computation_from_scratch(
    tmp_path, monkeypatch, seed, share
):
    """Each step edits the corpus, then ranks it with the cache of the previous
    step and from scratch: the lists are equal, items, order and float32 scores."""
    monkeypatch.setattr(related, "CHANGED_SHARE", share)
    monkeypatch.setattr(similarity, "BLOCK_CELLS", 64 * 3)  # several blocks of rows
    options = OPTIONS[seed % len(OPTIONS)]
    made = corpus(seed, size=random.Random(seed).randint(15, 40))
    cache = PluginCache(tmp_path / "related")
    paths = Counter()
    for step in range(40):
        action = made.edit() if step else "first"
        docs, excluded, threads = made.inputs()
        expected = related.rank(docs, excluded, threads, **options)
        ranking = related.Ranking(docs, excluded, threads, **options)
        assert ranking.lists(cache) == expected, (step, action)
        paths[ranking.stats["path"]] += 1
        if action == "none":
            assert ranking.stats["path"] == "unchanged"
    assert paths["full"] >= 1
    if share == 1.0 and options["tag_weight"] + options["thread_weight"] < 1:
        assert paths["changed rows"] >= 5, paths


def test_unchanged_inputs_reuse_the_lists_without_tokenising(tmp_path, monkeypatch):
    made = corpus(1, 30)
    docs, excluded, threads = made.inputs()
    cache = PluginCache(tmp_path)
    first = related.Ranking(docs, excluded, threads).lists(cache)
    calls = Counter()
    real = similarity.hashed_words

    def counted(texts):  # type: ignore[no-untyped-def]
        calls["texts"] += len(texts)
        return real(texts)

    monkeypatch.setattr(similarity, "hashed_words", counted)
    again = related.Ranking(docs, excluded, threads)
    assert again.lists(cache) == first
    assert again.stats == {"path": "unchanged", "tokenised": 0, "computed_rows": 0}
    assert calls["texts"] == 0
    # One edited text: only it is tokenised (and the stopwords, for the IDF).
    made.docs[docs[4].slug] = replace(docs[4], text=docs[4].text + " harbour crane")
    docs, excluded, threads = made.inputs()
    edited = related.Ranking(docs, excluded, threads)
    lists = edited.lists(cache)
    assert edited.stats["tokenised"] == 1
    assert calls["texts"] == 2
    assert lists == related.rank(docs, excluded, threads)


def _damage(path, how: str) -> None:
    if how == "truncated":
        path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    elif how == "garbage":
        path.write_bytes(b"not a zip at all")
    elif how == "flipped":
        data = bytearray(path.read_bytes())
        data[len(data) // 2] ^= 0xFF
        path.write_bytes(bytes(data))
    else:  # a well-formed entry under the right key whose arrays do not fit
        with zipfile.ZipFile(path) as archive:
            key, files = archive.comment, {n: archive.read(n) for n in archive.namelist()}
        name = sorted(n for n in files if n.endswith(".npy"))[0]
        files[name] = related._npy(related.np.arange(7, dtype=related.np.int64))
        with zipfile.ZipFile(path, "w") as archive:
            archive.comment = key
            for name, data in files.items():
                archive.writestr(name, data)


@pytest.mark.parametrize("how", ["truncated", "garbage", "flipped", "inconsistent"])
@pytest.mark.parametrize(("slot", "tokenised"), [("state", 1), ("counts", 59), ("recent", 2)])
def test_a_damaged_cache_is_ignored_and_rebuilt(tmp_path, slot, tokenised, how):
    """Two edits: the first one's text goes to ``recent``, then a slot is damaged."""
    made = corpus(3, 60)
    cache = PluginCache(tmp_path)
    for step in range(3):
        if step:
            doc = made.inputs()[0][step]
            made.docs[doc.slug] = replace(doc, text=doc.text + " solar grid")
        if step == 2:
            _damage(tmp_path / f"{slot}.zip", how)
        docs, excluded, threads = made.inputs()
        ranking = related.Ranking(docs, excluded, threads)
        assert ranking.lists(cache) == related.rank(docs, excluded, threads)
    assert ranking.stats["tokenised"] == tokenised
    assert ranking.stats["path"] == ("full" if slot == "state" else "changed rows")
    again = related.Ranking(docs, excluded, threads)  # rebuilt: the next build reuses it
    assert again.lists(cache) == related.rank(docs, excluded, threads)
    assert again.stats["path"] == "unchanged"


def test_the_hook_uses_its_cache_across_builds(tmp_path):
    files = {
        "site.toml": SITE,
        **{
            f"content/items/{name}.md": item(title=f'"{name} harbour crane"')
            for name in ("a", "b", "c")
        },
    }
    first = build(tmp_path, files)
    zips = sorted(p.name for p in (tmp_path / ".gazette-cache" / "plugins" / "related").iterdir())
    assert zips == ["counts.zip", "recent.zip", "state.zip"]
    second = build(tmp_path, files)
    for slug in "abc":
        assert first.site.data["related"].of(slug) == second.site.data["related"].of(slug)


def worded_items(seed: int, count: int) -> dict[str, str]:
    """A project of ``count`` items with random titles and bodies from ``VOCABULARY``."""
    words = random.Random(seed)
    return {
        "site.toml": SITE,
        **{
            f"content/items/i{n}.md": item(
                title=f'"{" ".join(words.sample(VOCABULARY, 3))}"'
            ).replace("Body text.", " ".join(words.choices(VOCABULARY, k=40)))
            for n in range(count)
        },
    }


def test_the_hook_ranks_in_a_forked_copy_and_gives_the_same_lists(tmp_path, monkeypatch):
    """At 2,000 items or more, cold or warm, the ranking runs in a forked copy
    while the other hooks run (`gazette.parallel.in_background`); the lists are
    the same."""
    from gazette import parallel

    files = worded_items(seed=7, count=12)
    here = build(tmp_path / "here", files).site.data["related"]
    ranked_by = tmp_path / "ranked-by"
    real = related.Ranking.matches

    def matches(self, cache):
        ranked_by.write_text(str(os.getpid()))
        return real(self, cache)

    monkeypatch.setattr(related.Ranking, "matches", matches)
    monkeypatch.setattr(parallel, "BACKGROUND_ITEMS", 0)
    for run in ("cold", "warm"):  # both fork
        forked = build(tmp_path / "forked", files).site.data["related"]
        assert isinstance(forked.candidates, related.Later), run
        assert dict(forked.candidates) == dict(here.candidates), run
        assert len(forked.candidates) == 12 and all(forked.candidates.values())
        assert dict(forked.scores) == dict(here.scores), run
        assert int(ranked_by.read_text()) != os.getpid(), run
        assert all(forked.of(f"i{n}") == here.of(f"i{n}") for n in range(12))


FORKED = """
import sys
from datetime import datetime
from pathlib import Path
from gazette import parallel
from gazette.model import BuildOptions
from gazette.pipeline import BuildRequest, build_site
parallel.BACKGROUND_ITEMS = 0
now = datetime.fromisoformat(sys.argv[2])
request = BuildRequest(Path(sys.argv[1]), BuildOptions(now=now), write=False, workers=1)
found = build_site(request).site.data["related"]
lists = {slug: [other.slug for other in pool] for slug, pool in found.candidates.items()}
loaded = any(name in sys.modules for name in ("numpy._core", "numpy.core"))
print(loaded, sorted(lists.items()))
"""


def test_a_build_that_ranks_in_a_copy_does_not_load_numpy(tmp_path):
    """numpy is imported when first used (`gazette.plugins.import_later`): a
    build whose ranking runs in a forked copy gets plain arrays back, and never
    pays numpy's import itself."""
    files = worded_items(seed=11, count=8)
    here = build(tmp_path, files).site.data["related"]  # cold: ranks in the build
    expected = sorted((slug, [o.slug for o in pool]) for slug, pool in here.candidates.items())
    run = subprocess.run(
        [sys.executable, "-c", FORKED, str(tmp_path), NOW.isoformat()],
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)},
        capture_output=True,
        check=True,
        text=True,
    )
    assert run.stdout.strip() == f"False {expected}"


@pytest.mark.parametrize(("count", "groups"), [(1, 11), (3, 11), (5, 11), (10, 11), (12, 2)])
def test_best_cells_are_the_best_scores_of_each_row_ties_to_the_lower_column(count, groups):
    """More groups of columns than ``count`` (the bound prunes cells) or fewer, many ties."""
    rng = random.Random(count)
    height, width = 40, groups * similarity.GROUP
    levels = [0.0, 0.0, 0.0, 0.1, 0.2, 0.25, 0.5, 0.7, 0.9]
    scores = similarity.np.array(
        [
            [rng.choice(levels) * rng.choice([1, 1, 0.5]) for _ in range(width)]
            for _ in range(height)
        ],
        dtype=similarity.np.float32,
    )
    scores[3] = 0  # a row without matches
    scores[5, : width - 7] = 0  # a row with fewer matches than count, in one group
    scores[7, similarity.GROUP :] = 0  # a row whose matches are all in its first group
    rows, columns, values = similarity.best_cells(scores, count)
    for row in range(height):
        positive = [(-float(scores[row, col]), col) for col in range(width) if scores[row, col] > 0]
        found = zip(values[rows == row].tolist(), columns[rows == row].tolist(), strict=True)
        assert [(-value, col) for value, col in found] == sorted(positive)[:count]
