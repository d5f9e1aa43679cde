"""Related items: up to ``count`` per item, by shared tags, story threads and text.

The score of two items is a weighted sum of three similarities (``gazette.similarity``
computes them as one sparse matrix product, a block of rows at a time):

- *tags* (``tag_weight``, 0.3): cosine of the tag vectors, each tag weighted by its
  inverse document frequency, so a shared rare tag (``#Blockchain``) counts for
  more than a shared common one (``#Standardisation``);
- *thread* (``thread_weight``, 0.2): 1 when both items are in the same story thread
  (``follows``/``supersedes``, from the crosslinks plugin);
- *text* (the rest, 0.5): TF-IDF cosine of the title (counted twice), summary and
  body text, each item reduced to its ``TERMS`` (30) heaviest words.

Left out: the item itself and the items that its body links to or that link to
it in their body (wiki or Markdown links): the reader has those links already.
Story-thread members are not left out but favoured: an editor who wrote
``follows:`` said that the items belong together, the thread timeline shows
them in date order, and "related" shows them with the closest other items. On
the sample archive this makes the MIIT key points of 2018, 2020 and 2021 list
each other; on text and tags alone the 2018 item ranks them 6th and 9th,
mostly behind the 2018 items that detail it.

The result is deterministic: items are numbered in slug order and equal scores
go to the lower slug. List this plugin after ``crosslinks`` in ``site.toml``;
without it there are no threads and only the item itself is left out.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Protocol

import numpy as np
import scipy.sparse as sp

from gazette import similarity
from gazette.diagnostics import ContentError, Diagnostic, error
from gazette.model import Item, Site
from gazette.plugins import Option

OPTIONS = {
    "count": Option(int, 5, "related items per item, at most (0 shows none)"),
    "tag_weight": Option((int, float), 0.3, "weight of shared tags in the score (0 to 1)"),
    "thread_weight": Option((int, float), 0.2, "weight of being in the same story thread (0 to 1)"),
}

TERMS = 30  # keywords kept per item


class Document(Protocol):
    """What related items need of an item."""

    slug: str
    title: str
    summary: str
    text: str
    tags: tuple[str, ...]


@dataclass(frozen=True)
class Texts(Sequence[str]):
    """Title (twice), summary and body text of each document, made when asked for.

    ``gazette.similarity`` reads them a chunk at a time, so 40 MB of joined
    text at 10,000 items never exists at once.
    """

    documents: Sequence[Document]

    def __len__(self) -> int:
        return len(self.documents)

    def __getitem__(self, index):  # type: ignore[no-untyped-def, override]
        if isinstance(index, slice):
            return [self._text(d) for d in self.documents[index]]
        return self._text(self.documents[index])

    @staticmethod
    def _text(document: Document) -> str:
        return f"{document.title}\n{document.title}\n{document.summary}\n{document.text}"


@dataclass(frozen=True)
class Related:
    items: Mapping[str, tuple[Item, ...]]  # by slug, best first
    scores: Mapping[str, tuple[float, ...]]  # the matching scores, for tests and tuning

    def of(self, slug: str) -> tuple[Item, ...]:
        return self.items.get(slug, ())


# --- ranking -------------------------------------------------------------------


def rank(
    documents: Sequence[Document],
    excluded: Sequence[Iterable[int]],
    threads: Sequence[str | None] = (),
    *,
    count: int = 5,
    tag_weight: float = 0.3,
    thread_weight: float = 0.2,
    terms: int = TERMS,
) -> list[list[tuple[int, float]]]:
    """For each document, ``(index, score)`` of its best matches, best first.

    ``excluded[i]`` are indices never to propose for document ``i`` (it is
    always left out itself); ``threads[i]`` names the story thread of document
    ``i`` (or is None). Text similarity weighs ``1 - tag_weight - thread_weight``.
    Indices are positions in ``documents``; ties go to the lower index, so sort
    the documents for a stable order.
    """
    n = len(documents)
    if n == 0 or count <= 0:
        return [[] for _ in documents]
    text_weight = max(0.0, 1.0 - tag_weight - thread_weight)
    texts = Texts(documents)
    thread_labels = [[thread] if thread else [] for thread in threads] if threads else [[]] * n
    parts = [
        (similarity.label_vectors([d.tags for d in documents]), tag_weight),
        (similarity.label_vectors(thread_labels, idf=False), thread_weight),
        (similarity.keyword_vectors(texts, terms), text_weight),
    ]
    # Scaling each block by the square root of its weight makes the product
    # of two rows the weighted sum of the three similarities.
    features = sp.hstack(
        [matrix * np.float32(np.sqrt(weight)) for matrix, weight in parts if weight > 0],
        format="csr",
        dtype=np.float32,
    )
    return similarity.top_matches(features, excluded, count)


# --- the hook ------------------------------------------------------------------------


def related_items(
    site: Site, count: int, tag_weight: float = 0.3, thread_weight: float = 0.2
) -> Related:
    """Related items of every item, leaving out the items a body links to."""
    items = sorted(site.items, key=lambda item: item.slug)
    position = {item.slug: n for n, item in enumerate(items)}
    crosslinks = site.data.get("crosslinks")
    linked: list[set[int]] = [set() for _ in items]
    threads: list[str | None] = [None] * len(items)
    if crosslinks is not None:
        for slug, targets in crosslinks.body_links.items():
            for target in targets:
                if slug in position and target in position:
                    linked[position[slug]].add(position[target])
                    linked[position[target]].add(position[slug])
        for n, item in enumerate(items):
            thread = crosslinks.of(item.slug).thread
            threads[n] = thread[0].slug if thread else None
    ranked = rank(
        items,
        linked,
        threads,
        count=count,
        tag_weight=tag_weight,
        thread_weight=thread_weight,
    )
    return Related(
        items=MappingProxyType(
            {
                item.slug: tuple(items[j] for j, _ in best)
                for item, best in zip(items, ranked, strict=True)
            }
        ),
        scores=MappingProxyType(
            {
                item.slug: tuple(score for _, score in best)
                for item, best in zip(items, ranked, strict=True)
            }
        ),
    )


def check_weights(options: Mapping[str, Any], name: str) -> list[Diagnostic]:
    problems = []
    for key in ("tag_weight", "thread_weight"):
        if not 0 <= options[key] <= 1:
            problems.append(
                error(
                    "site.toml",
                    0,
                    "plugin-option",
                    f"plugins.{name}.{key} is {options[key]!r}, expected a number from 0 to 1",
                    f"set {key} between 0 and 1",
                )
            )
    total = options["tag_weight"] + options["thread_weight"]
    if not problems and total > 1:
        problems.append(
            error(
                "site.toml",
                0,
                "plugin-option",
                f"plugins.{name}.tag_weight + thread_weight is {total:g}, over 1",
                "lower them; text similarity weighs what they leave of 1",
            )
        )
    return problems


def link(site: Site, *, options: Mapping[str, Any], name: str, **kwargs: Any) -> Related:
    """Runs after rendering (after crosslinks): the related items of every item."""
    problems = check_weights(options, name)
    if problems:
        raise ContentError(problems)
    return related_items(site, options["count"], options["tag_weight"], options["thread_weight"])
