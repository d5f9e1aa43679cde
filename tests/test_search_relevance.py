"""The relevance set (tests/search_relevance/queries.json) on every engine, in Chromium.

Each query lists the items that must be among its first exact results (the first
five, or ``top``), the items that must not be among its exact results at all,
``none`` when no item holds every word (then no exact result may show), and
``suggest`` when "did you mean" must offer a correction. Filters combine with
the query as on the search page. Precision at 5 and recall are printed per
engine (``pytest -s``) and reported in bench/README.md.
"""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlencode

import pytest
from test_search_browser import build_archive, pytestmark, serve  # noqa: F401 (skips)

QUERIES = json.loads((Path(__file__).parent / "search_relevance" / "queries.json").read_text())
SCORES: dict[str, list[tuple[float, float]]] = {}


@pytest.fixture(scope="module", params=["pagefind", "lunr", "gazette"])
def engine_url(request, tmp_path_factory):
    folder = tmp_path_factory.mktemp(f"relevance-{request.param}")
    output = build_archive(folder, request.param, "/repo/")
    with serve(output, "/repo/") as url:
        yield request.param, url


def exact_and_partial(page, site_url: str, entry: dict) -> tuple[list[str], list[str], str]:
    params = [("q", entry["q"])]
    for key, values in entry.get("filters", {}).items():
        params += [(key, value) for value in values]
    page.goto(site_url + "search/?" + urlencode(params))
    page.wait_for_function(
        "() => { const s = document.querySelector('[data-search-status]');"
        " return s && / for /.test(s.textContent) &&"
        " document.querySelector('[data-search-results]').getAttribute('aria-busy') === 'false'; }"
    )
    if entry.get("suggest"):  # offered once the index's words are in
        page.wait_for_selector(".search-suggestion")
    while page.locator("[data-search-more]:not([hidden])").count():
        page.click("[data-search-more]")
    rows = page.eval_on_selector_all(
        "[data-search-results] > li",
        "rows => rows.map(r => r.classList.contains('search-separator') ? '|' :"
        " (r.querySelector('a.search-link') || {}).pathname || '')",
    )
    cut = rows.index("|") if "|" in rows else len(rows)
    slug = lambda path: path.rstrip("/").rsplit("/", 1)[-1]  # noqa: E731
    status = page.inner_text("[data-search-status]")
    return [slug(p) for p in rows[:cut]], [slug(p) for p in rows[cut + 1 :]], status


IDS = [json.dumps(e.get("filters", {})) + e["q"] for e in QUERIES]


@pytest.mark.parametrize("entry", QUERIES, ids=IDS)
def test_relevance(browser, engine_url, entry):
    engine, url = engine_url
    page = browser.new_page()
    try:
        exact, partial, status = exact_and_partial(page, url, entry)
    finally:
        page.close()
    if entry.get("none"):
        assert exact == [], (engine, entry["q"], exact)
        assert status.startswith("No exact results"), status
        if entry.get("suggest"):
            assert "Did you mean" in status, status
        if entry.get("partial"):  # shown after the separator, and said so
            assert partial and "partial match" in status, (engine, status)
        SCORES.setdefault(engine, []).append((1.0, 1.0))
        return
    top = exact[: entry.get("top", 5)]
    missing = [slug for slug in entry["must"] if slug not in top]
    wrong = [slug for slug in entry["must_not"] if slug in exact]
    assert len(exact) >= entry.get("min", 1), (engine, entry["q"], exact)
    assert not missing and not wrong, (engine, entry["q"], missing, wrong, exact[:10])
    first = exact[:5]
    precision = 1 - len([s for s in first if s in entry["must_not"]]) / max(1, len(first))
    recall = 1 - len(missing) / max(1, len(entry["must"]))
    SCORES.setdefault(engine, []).append((precision, recall))


def test_report_scores():
    for engine, scores in sorted(SCORES.items()):
        precision = sum(p for p, _ in scores) / len(scores)
        recall = sum(r for _, r in scores) / len(scores)
        print(
            f"\n{engine}: {len(scores)} queries, precision@5 {precision:.2f}, recall {recall:.2f}"
        )
