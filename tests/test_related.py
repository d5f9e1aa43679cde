"""Related items: the blend, what is left out, ties, options, and the sample archive's bar.

The item whose list a test reads is put in an issue of its own (``ALONE``):
items next to it in its issue are left out (the in-issue pager shows them).
"""

from __future__ import annotations

from types import SimpleNamespace

import html5lib
import numpy as np
import pytest
from test_crosslinks import KEY_POINTS, ROOT, build_sample, doc

from gazette import similarity
from gazette.content.config import parse_config
from gazette.diagnostics import ContentError
from gazette.plugins import load_plugins
from gazette.sparse import Csr
from helpers import SITE_TOML, TAGS_YML, build, item

SITE = SITE_TOML + "[plugins.crosslinks]\n[plugins.related]\n"
TAGS = TAGS_YML + "  Blockchain:\n    group: ict\n"
ALONE = {
    "content/issues/2020-06.md": '---\nid: "2020-06"\nnumber: 2\ntitle: "June 2020"\n'
    "date: 2020-07-31\n---\n\nIntro.\n"
}


def related_plugin():
    config, _ = parse_config(SITE)
    return {p.name: p.module for p in load_plugins(config, ROOT)}["related"]


def slugs(result, slug: str) -> list[str]:
    return [i.slug for i in result.site.data["related"].of(slug)]


def words(text: str, n: int = 1) -> str:
    return " ".join([text] * n) + "\n"


def test_text_similarity_ranks_the_closest_body_first(tmp_path):
    def body(name: str, text: str, tags: str) -> str:
        return doc(text, title=f'"{name}"', tags=tags)

    files = {
        "site.toml": SITE,
        **ALONE,
        "content/items/a.md": doc(
            words("battery recycling lithium cobalt", 3),
            title='"A"',
            tags='["AI"]',
            issue="2020-06",
        ),
        "content/items/b.md": body("B", words("lithium battery recycling plants", 2), '["5G"]'),
        "content/items/c.md": body("C", words("cobalt mining", 1), '["MIIT"]'),
        "content/items/d.md": body("D", words("railway timetable", 3), '["Cybersecurity"]'),
    }
    assert slugs(build(tmp_path, files), "a") == ["b", "c"]


def test_a_shared_rare_tag_counts_more_than_a_shared_common_one(tmp_path):
    files = {
        "site.toml": SITE,
        "content/tags.yml": TAGS,
        **ALONE,
        "content/items/a.md": item(title='"A"', tags='["5G", "Blockchain"]', issue="2020-06"),
        "content/items/rare.md": item(title='"R"', tags='["Blockchain"]'),
        "content/items/common.md": item(title='"C"', tags='["5G"]'),
        **{f"content/items/x{n}.md": item(title=f'"X{n}"', tags='["5G"]') for n in range(4)},
    }
    assert slugs(build(tmp_path, files), "a") == ["rare", "common", "x0", "x1", "x2"]


def test_itself_body_links_thread_members_and_neighbours_in_the_issue_are_left_out(tmp_path):
    """What the item page links already: its body, its story, its in-issue pager."""
    text = words("harbour crane safety standard", 3)
    files = {
        "site.toml": SITE,
        **ALONE,
        "content/items/a.md": doc(text + "See [[linked]].\n", issue="2020-06", order="1"),
        "content/items/neighbour.md": doc(text, issue="2020-06", order="2"),
        "content/items/linked.md": doc(text),
        "content/items/back.md": doc(text + "[a](/items/a/)\n"),
        "content/items/next.md": doc(text, follows="a"),
        "content/items/plain.md": doc(text),
    }
    result = build(tmp_path, files)
    assert slugs(result, "a") == ["plain"]
    for other in ("linked", "back", "next", "neighbour"):
        assert "a" not in slugs(result, other)


def test_equal_scores_are_ordered_by_slug_and_count_is_respected(tmp_path):
    files = {"site.toml": SITE + "count = 3\n", **ALONE}
    files.update({f"content/items/{name}.md": item() for name in ("e", "b", "d", "a")})
    files["content/items/c.md"] = item(issue="2020-06")
    result = build(tmp_path, files)
    assert slugs(result, "c") == ["a", "b", "d"]
    page = html5lib.parse(result.files["/items/c/"].decode(), namespaceHTMLElements=False)
    section = page.find(".//section[@aria-labelledby='related-heading']")
    assert [a.get("href") for a in section.iter("a")] == ["/items/a/", "/items/b/", "/items/d/"]


def test_nothing_in_common_means_no_related_section(tmp_path):
    files = {
        "site.toml": SITE,
        "content/items/a.md": doc("alpha beta gamma\n", title='"A"', tags='["AI"]'),
        "content/items/b.md": doc("delta epsilon zeta\n", title='"B"', tags='["5G"]'),
    }
    result = build(tmp_path, files)
    assert slugs(result, "a") == []
    assert "related-heading" not in result.files["/items/a/"].decode()


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (
            "tag_weight = 1.5\n",
            "site.toml: error[plugin-option]: plugins.related.tag_weight is 1.5, expected a "
            "number from 0 to 1. Fix: set tag_weight between 0 and 1",
        ),
        (
            "tag_weight = 0.7\nthread_weight = 0.6\n",
            "site.toml: error[plugin-option]: plugins.related.tag_weight + thread_weight is "
            "1.3, over 1. Fix: lower them; text similarity weighs what they leave of 1",
        ),
    ],
)
def test_weights_are_checked(tmp_path, options, message):
    with pytest.raises(ContentError) as caught:
        build(tmp_path, {"site.toml": SITE + options, "content/items/a.md": item()})
    assert [d.format() for d in caught.value.diagnostics] == [message]


def test_words_split_on_punctuation_and_keep_accents():
    texts = ["Data’s “rules” — café…naïve", "x"]
    rows, columns = similarity.hashed_words(texts)
    expected = similarity.hashed_words(["data s rules café naïve"])[1]
    assert rows.tolist() == [0] * 4  # "s" and "x" are one letter: dropped
    assert columns.tolist() == expected.tolist()


def test_words_are_told_apart_by_their_first_16_bytes():
    columns = similarity.hashed_words(["internationalisation internationalisations nation"])[1]
    assert columns[0] == columns[1] != columns[2]


def test_top_matches_blocks_agree_with_a_dense_computation(monkeypatch):
    rng = np.random.default_rng(7)
    dense = (rng.random((23, 9)) * (rng.random((23, 9)) < 0.4)).astype(np.float32)
    features = similarity.unit_rows(Csr.from_dense(dense))
    excluded = [{(row + 1) % 23} for row in range(23)]
    monkeypatch.setattr(similarity, "BLOCK_CELLS", 50)  # two rows per block
    found = similarity.top_matches(features, excluded, 4)
    scores = features.toarray() @ features.toarray().T
    for row in range(23):
        candidates = [
            (-scores[row, col], col)
            for col in range(23)
            if col != row and col not in excluded[row] and scores[row, col] > 0
        ]
        assert [col for col, _ in found[row]] == [col for _, col in sorted(candidates)[:4]]


def test_rank_is_a_pure_function_of_its_inputs():
    docs = [
        SimpleNamespace(slug=f"s{n}", title=f"T{n}", summary="", text=t, tags=tags)
        for n, (t, tags) in enumerate(
            [("solar panel grid", ("AI",)), ("solar grid", ("AI",)), ("grid", ())]
        )
    ]
    rank = related_plugin().rank
    first = rank(docs, [set(), set(), set()])
    assert first == rank(docs, [set(), set(), set()])
    assert [j for j, _ in first[0]] == [1, 2]


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    return build_sample(tmp_path_factory.mktemp("sample"))


def test_sample_archive_miit_key_points_show_five_related_items_outside_their_story(sample):
    """The key points of 2018, 2020 and 2021 are one story: the timeline links them,
    so "Related" shows five other items, from more than one issue."""
    related = sample.site.data["related"]
    for slug in KEY_POINTS:
        shown = related.of(slug)
        assert len(shown) == 5
        assert not {i.slug for i in shown} & set(KEY_POINTS), slug
        assert len({i.issue for i in shown}) >= 2, slug


def test_sample_archive_every_item_shows_five_related_items(sample):
    related = sample.site.data["related"]
    assert all(len(related.of(item.slug)) == 5 for item in sample.site.items)
    assert all(len(related.pool(item.slug)) == 10 for item in sample.site.items)
