"""Check a page's recorded reads against the new site: the other half of tracking.

``gazette.render.tracking`` records, while a page renders, each read its
templates make from the site as a path (``gazette.data.get('tags').url_of('5G')``)
with a digest of the value. ``Replayer`` evaluates those paths on the next
build's site, each path once per build, and reports the first whose digest
differs; a page none of whose reads changed is reused without rendering.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from operator import itemgetter
from typing import Any

import jinja2
from markupsafe import Markup

from gazette.model import Issue, Item
from gazette.render.fingerprint import Fingerprinter, Unfingerprintable
from gazette.render.tracking import MISSING, WRAPPED, Path, plain_getattr, plain_getitem

_UNKNOWN = object()


def _gather(values: list[Any], indices: Sequence[int]) -> tuple[Any, ...]:
    """``tuple(values[i] for i in indices)``, in C."""
    if len(indices) == 1:
        return (values[indices[0]],)
    return itemgetter(*indices)(values)


class Replayer:
    """Evaluates recorded paths on a new site, each path once per build."""

    def __init__(self, env: jinja2.Environment, roots: dict[str, Any], fingerprint: Fingerprinter):
        self._env = env
        self._roots = roots
        self._fingerprint = fingerprint
        self._values: dict[Path, Any] = {}
        self._current: list[Any] = []  # by path index: the digest now, or _UNKNOWN

    def changed(
        self, reads: Sequence[int], expected: Sequence[bytes], paths: Sequence[Path]
    ) -> Path | None:
        """The first read whose value digest differs from the recorded one, or None.

        ``reads`` are indices into ``paths``; each path is evaluated once per build.
        """
        if len(reads) != len(expected):
            raise ValueError("a page record needs one digest per read")
        if not reads:
            return None
        current = self._current
        if len(current) < len(paths):
            current.extend([_UNKNOWN] * (len(paths) - len(current)))
        # Most pages read only values other pages read before them: gather and
        # compare their digests in C (itemgetter, tuple equality), and walk the
        # reads in Python only for the values not digested yet, or a mismatch.
        found = _gather(current, reads)
        if _UNKNOWN in found:
            for index, digest in zip(reads, expected, strict=True):
                if current[index] is _UNKNOWN:
                    current[index] = self._digest(paths[index], digest.startswith(WRAPPED))
            found = _gather(current, reads)
        if found == tuple(expected):
            return None
        return next(paths[i] for i, d, e in zip(reads, found, expected, strict=True) if d != e)

    def _digest(self, path: Path, was_wrapped: bool) -> bytes | None:
        """The digest of the value at ``path`` now, in the form it was recorded in.

        A value recorded by digest is digested again: equal digests mean equal
        values. A value that was wrapped is compared by type only; the reads
        the template made inside it are recorded (and checked) on their own.
        """
        try:
            value = self._value(path)
        except Exception:  # the read fails now: the page must render (and say why)
            return None
        if isinstance(value, jinja2.Undefined):
            return MISSING
        if path[0] == "§template":
            return value
        if was_wrapped:
            return WRAPPED + type(value).__qualname__.encode()
        try:
            return self._fingerprint(value)
        except Unfingerprintable:
            return None

    def _value(self, path: Path) -> Any:
        if path in self._values:
            return self._values[path]
        if path[0] == "§template":
            return self._roots["§template"].get(path[1], MISSING)
        if len(path) == 1:
            value = self._roots[path[0]]
        else:
            value = _step(self._env, self._value(path[:-1]), path[-1], self._argument)
        self._values[path] = value
        return value

    def _argument(self, encoded: Any) -> Any:
        if isinstance(encoded, tuple) and encoded and encoded[0] in _DECODERS:
            return _DECODERS[encoded[0]](self, encoded[1])
        return encoded


def _from_slug(replayer: Replayer, slug: str) -> Item:
    return replayer._roots["gazette"].item_by_slug[slug]


def _from_id(replayer: Replayer, issue_id: str) -> Issue:
    return replayer._roots["gazette"].issue_by_id[issue_id]


_DECODERS: dict[str, Callable[[Replayer, Any], Any]] = {
    "§path": lambda replayer, path: replayer._value(path),
    "§item": _from_slug,
    "§issue": _from_id,
    "§tuple": lambda replayer, values: values,
}


def _step(env: jinja2.Environment, value: Any, step: tuple, argument: Callable) -> Any:
    kind = step[0]
    if kind == "a":
        return plain_getattr(env, value, step[1])
    if kind == "i":
        return plain_getitem(env, value, argument(step[1]))
    if kind == "c":
        return value(*(argument(a) for a in step[1]), **{k: argument(v) for k, v in step[2]})
    if kind == "in":
        return argument(step[1]) in value
    if kind == "bool":
        return bool(value)
    if kind == "len":
        return len(list(value)) if not hasattr(value, "__len__") else len(value)
    if kind == "ix":
        return list(value)[step[1]]
    if kind == "eq":
        return value == argument(step[1])
    if kind == "str":
        return str(value)
    if kind == "html":
        return Markup(value.__html__())
    if kind == "repr":
        return repr(value)
    if kind == "test":
        return env.tests[step[1]](value, *(argument(a) for a in step[2]))
    raise ValueError(f"unknown step {kind!r}")
