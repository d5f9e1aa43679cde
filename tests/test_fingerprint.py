"""gazette.render.fingerprint: a page context's digest says whether it can be reused.

``Fingerprinter.context`` (a pickler in C) must agree with ``Fingerprinter.digest``
(the reference walk in Python): equal digests for equal values, whatever objects
they share or the order of their mappings and sets, and different digests for
different values. A wrong "equal" would reuse a stale page.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import os
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from enum import Enum
from pathlib import Path
from types import MappingProxyType

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markupsafe import Markup

from gazette.render.fingerprint import Fingerprinter, Unfingerprintable

REPO = Path(__file__).resolve().parent.parent


class Colour(Enum):
    RED = 1
    BLUE = 2


@dataclasses.dataclass(frozen=True)
class Box:
    label: str
    content: object = None


@dataclasses.dataclass(frozen=True)
class OtherBox:
    label: str
    content: object = None


class Plain:
    """Not a dataclass: neither digest nor pickler may guess what it holds."""

    def __init__(self, value: object):
        self.value = value


scalars = st.one_of(
    st.text(max_size=8),
    st.integers(-3, 3),
    st.floats(allow_nan=False, width=16),
    st.booleans(),
    st.none(),
    st.text(max_size=4).map(Markup),
    st.dates(min_value=date(2020, 1, 1), max_value=date(2020, 1, 5)),
    st.sampled_from(Colour),
    st.integers(0, 3).map(lambda n: datetime(2024, 1, 1, n, tzinfo=UTC)),
    st.integers(0, 2).map(lambda n: timedelta(days=n)),
)


def _compound(children: st.SearchStrategy) -> st.SearchStrategy:
    keys = st.text(max_size=3)
    return st.one_of(
        st.lists(children, max_size=3),
        st.lists(children, max_size=3).map(tuple),
        st.dictionaries(keys, children, max_size=3),
        st.dictionaries(keys, children, max_size=3).map(MappingProxyType),
        st.frozensets(st.text(max_size=3), max_size=3),
        st.sets(st.integers(0, 5), max_size=3),
        st.builds(Box, st.text(max_size=3), children),
        st.builds(OtherBox, st.text(max_size=3), children),
    )


values = st.recursive(scalars, _compound, max_leaves=12)


def _context(value: object) -> dict:
    return {"title": "A page", "value": value}


@settings(max_examples=300, deadline=None)
@given(values, values)
def test_the_context_digest_agrees_with_the_reference_digest(a, b):
    fingerprint = Fingerprinter()
    same_reference = fingerprint(_context(a)) == fingerprint(_context(b))
    same_context = fingerprint.context(_context(a)) == fingerprint.context(_context(b))
    assert same_context == same_reference


@settings(max_examples=200, deadline=None)
@given(values)
def test_a_copy_has_the_same_context_digest(value):
    fingerprint = Fingerprinter()
    shared = _context((value, value))  # one object twice ...
    copied = _context((value, copy.deepcopy(value)))  # ... or two equal objects
    assert fingerprint.context(shared) == fingerprint.context(copied)
    assert Fingerprinter().context(shared) == fingerprint.context(shared)


def test_the_order_of_mappings_and_sets_does_not_count():
    fingerprint = Fingerprinter()
    one = {"a": 1, "b": {"x": 1, "y": 2}, "c": {"p", "q", "r"}}
    other = {"c": {"r", "q", "p"}, "b": {"y": 2, "x": 1}, "a": 1}
    assert fingerprint.context(one) == fingerprint.context(other)
    assert fingerprint.context(one) != fingerprint.context({**one, "a": 2})


def test_a_seeded_object_stands_for_its_seed_and_a_copy_for_its_content(sample_item):
    fingerprint = Fingerprinter()
    fingerprint.seed(sample_item, b"seed-1")
    seeded = fingerprint.context({"item": sample_item})
    copied = dataclasses.replace(sample_item)  # equal content, another object: not seeded
    assert fingerprint.context({"item": copied}) != seeded
    assert fingerprint.context({"item": copied}) == Fingerprinter().context({"item": copied})
    reseeded = Fingerprinter()
    reseeded.seed(copied, b"seed-1")
    assert reseeded.context({"item": copied}) == seeded
    changed = Fingerprinter()
    changed.seed(sample_item, b"seed-2")
    assert changed.context({"item": sample_item}) != seeded


def test_a_shared_value_stands_for_its_digest_whatever_the_order_of_pages():
    settings_ = Box("site", ("Gazette", "https://example.org/", "en"))
    pages = [{"n": n, "site": settings_, "cite": Box("cite", (n, settings_))} for n in range(6)]

    def digests(order: list[int], share: object = settings_) -> dict[int, bytes]:
        fingerprint = Fingerprinter()
        fingerprint.share(share)
        return {n: fingerprint.context(pages[n]) for n in order}

    first = digests([0, 1, 2, 3, 4, 5])
    assert digests([5, 3, 1, 0, 2, 4]) == first  # another order, or another process's half
    assert len(set(first.values())) == 6
    # A shared copy with other content gives other digests; an equal one, the same.
    assert digests([0], Box("site", ("Gazette", "https://example.org/", "fr")))[0] != first[0]
    assert digests([0], copy.deepcopy(settings_))[0] != first[0]  # not this object: inline
    equal = Box("site", ("Gazette", "https://example.org/", "en"))
    pages_again = [
        {**page, "site": equal, "cite": Box("cite", (n, equal))} for n, page in enumerate(pages)
    ]
    fingerprint = Fingerprinter()
    fingerprint.share(equal)
    assert [fingerprint.context(page) for page in pages_again] == list(first.values())


@pytest.mark.parametrize(
    "value",
    [lambda: 1, len, Plain(1), (1, Plain(2)), Box("x", open)],
    ids=["lambda", "builtin", "object", "object in a tuple", "function in a dataclass"],
)
def test_what_cannot_be_digested_is_refused_never_guessed(value):
    with pytest.raises(Unfingerprintable):
        Fingerprinter().context({"value": value})


def test_a_cycle_is_refused():
    loop: list = []
    loop.append(loop)
    with pytest.raises((Unfingerprintable, RecursionError)):
        Fingerprinter().context({"value": loop})


def test_the_digest_is_the_same_in_another_process_with_another_hash_seed():
    # Sets of strings iterate in a per-process order: the digest must not see it.
    script = (
        "import json, sys\n"
        "from gazette.render.fingerprint import Fingerprinter\n"
        "context = {'tags': frozenset(f'tag{n}' for n in range(40)),\n"
        "           'counts': {f'k{n}': n for n in range(40)}, 'set': {('a', 1), ('b', 2)}}\n"
        "print(Fingerprinter().context(context).hex())\n"
    )
    seen = set()
    for seed in ("1", "2", "3"):
        env = {**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": str(REPO)}
        done = subprocess.run(
            [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True
        )
        seen.add(done.stdout.strip())
    assert len(seen) == 1, json.dumps(sorted(seen))


@pytest.fixture
def sample_item():
    from gazette.model import Item

    return Item(
        path="content/items/a.md",
        slug="a",
        title="A",
        date=date(2024, 1, 1),
        published=datetime(2024, 1, 1, tzinfo=UTC),
        issue="2024-01",
        section="news",
        tags=("AI",),
    )
