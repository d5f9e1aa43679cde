"""Stable digests of the values a page is made from.

A page may be reused from the last build only when everything it was made
from is equal, so the incremental build needs a digest of values: the context
a plugin gives a page (items, issues, sections, strings, numbers, dates) and
each value a template reads from the site while it renders. The digest is
the same across processes and runs (no ``id``, no ``hash``), and it covers
every field of a dataclass, so two values with one digest render alike.

``Fingerprinter`` remembers the digest of each dataclass, tuple and mapping by
identity for one build, keeping a reference so that an identity is never
reused: an item listed on fifty pages is digested once. A value of a kind it
does not know (a function, an open file, an arbitrary object) raises
``Unfingerprintable``; the page that holds it is then rendered on every build,
which costs time but can never be wrong.
"""

from __future__ import annotations

import copyreg
import dataclasses
import hashlib
import io
import operator
import pickle
from collections.abc import Callable, Mapping, Set
from datetime import date, datetime, time, timedelta, tzinfo
from enum import Enum
from types import MappingProxyType
from typing import Any

from markupsafe import Markup

from gazette.model import Issue, Item


class Unfingerprintable(TypeError):
    """A value whose content cannot be digested (a page holding it is never reused)."""


_SCALARS = (str, int, float, bool, type(None), date, datetime, time, timedelta)
_PICKLED = (Item, Issue)


class Fingerprinter:
    """Digests values; one instance per build (it remembers digests by identity)."""

    def __init__(self) -> None:
        self._memo: dict[int, tuple[object, bytes]] = {}
        self._strings: dict[str, bytes] = {}  # short strings recur: titles, URLs, labels
        self._shared: dict[int, tuple[object, bytes]] = {}  # see ``share``

    def __call__(self, value: Any) -> bytes:
        return self.digest(value)

    def seed(self, value: Any, digest: bytes) -> None:
        """Give ``value`` (this very object) a digest known from elsewhere.

        The build seeds the items and issues it loaded with a digest of their
        cache keys (the file's path, size and mtime, ``site.toml`` and
        ``tags.yml``, and the rendered body's key), which say everything they
        are made of, instead of digesting each one's fields. A copy a plugin
        makes is another object, and is digested by its content.
        """
        self._memo[id(value)] = (value, digest)

    def share(self, value: Any) -> None:
        """Let ``value`` (this very object, a dataclass found on many pages, such
        as the site's settings or a section) stand for its digest in contexts.

        Each page's context then pickles a few bytes for it instead of all its
        fields. Only values shared before any context is digested, so a page's
        digest never depends on the order pages are digested in.
        """
        self._shared[id(value)] = (value, self.digest(value))

    def context(self, context: Mapping[str, Any]) -> bytes:
        """The digest of a page's context: equal for equal contexts, like ``digest``.

        Pickled in C (``_ContextPickler``) rather than walked in Python, which
        halves the cost at 12,000 pages. Items and issues stand for their seeded
        digests, values passed to ``share`` for theirs; mappings and sets stand
        for their ``digest`` (so their order does not count); anything the digest
        would refuse, pickle refuses too. A context the pickler cannot take is
        digested by ``digest`` instead.
        """
        buffer = io.BytesIO()
        names = sorted(context)
        try:
            # The names as one string: one object to pickle, not one per name.
            flat = ("\0".join(names), *[context[name] for name in names])
            _ContextPickler(buffer, self).dump(flat)
        except (pickle.PicklingError, TypeError, ValueError, AttributeError, RecursionError):
            return b"d" + self.digest(dict(context))
        return b"p" + hashlib.blake2b(buffer.getvalue(), digest_size=16).digest()

    def known(self, value: Any) -> bytes | None:
        """The digest remembered (or seeded) for this very object, if any."""
        found = self._memo.get(id(value))
        return found[1] if found is not None and found[0] is value else None

    def digest(self, value: Any) -> bytes:
        kind = type(value)
        if kind is str and len(value) < 256:
            known = self._strings.get(value)
            if known is None:
                known = self._strings[value] = _scalar(value)
            return known
        if kind in _SCALARS or isinstance(value, Enum | tzinfo):
            return _scalar(value)
        known = self.known(value)
        if known is not None:
            return known
        result = self._compound(value)
        self._memo[id(value)] = (value, result)
        return result

    def _compound(self, value: Any) -> bytes:
        hasher = hashlib.blake2b(digest_size=16)
        if type(value) in _PICKLED:
            # Items and issues are the bulk of a site: pickle (in C) is ten times
            # faster than walking their fields. They hold no sets and no cached
            # properties, so equal values built alike pickle to equal bytes.
            hasher.update(b"P" + pickle.dumps(value, protocol=5))
        elif isinstance(value, Markup):
            hasher.update(b"M" + str(value).encode("utf-8", "surrogatepass"))
        elif isinstance(value, str):
            hasher.update(b"S" + value.encode("utf-8", "surrogatepass"))
        elif isinstance(value, tuple | list):
            hasher.update(b"T" if isinstance(value, tuple) else b"L")
            for part in value:
                hasher.update(self.digest(part))
        elif isinstance(value, Mapping):
            hasher.update(b"D")
            for pair in sorted(self.digest(k) + self.digest(v) for k, v in value.items()):
                hasher.update(pair)
        elif isinstance(value, Set):
            hasher.update(b"E")
            for part in sorted(self.digest(v) for v in value):
                hasher.update(part)
        elif dataclasses.is_dataclass(value) and not isinstance(value, type):
            kind = type(value)
            hasher.update(f"C{kind.__module__}.{kind.__qualname__}".encode())
            for field in dataclasses.fields(value):
                hasher.update(self.digest(getattr(value, field.name)))
        else:
            raise Unfingerprintable(f"cannot digest a {type(value).__name__}")
        return hasher.digest()


def _fields(kind: type, values: tuple) -> None:
    """Stands for a dataclass in a context's pickle (never called: pickles are only digested)."""


# Objects pickle passes through unchanged; pickle's own helpers it may name.
_AS_IS = frozenset((str, int, float, bool, type(None), bytes, tuple, list))
_HELPERS = (copyreg._reconstructor, copyreg.__newobj__, copyreg.__newobj_ex__, _fields)
_HELPER_IDS = frozenset(id(helper) for helper in _HELPERS)  # module functions: never freed
_BY_DIGEST = frozenset((dict, set, frozenset, MappingProxyType))
_BY_PICKLE = (Enum, date, time, timedelta, tzinfo, Markup)
_SHAPES: dict[type, Callable[[Any], tuple]] = {}  # a dataclass's fields, by class


class _ContextPickler(pickle.Pickler):
    """Pickles a page context for its digest, with the ``Fingerprinter``'s rules."""

    def __init__(self, file: io.BytesIO, fingerprinter: Fingerprinter):
        super().__init__(file, protocol=5)
        # No memo: a value pickles alike whichever objects it happens to share.
        self.fast = True
        self._fingerprinter = fingerprinter
        self._memo = fingerprinter._memo
        self._shared = fingerprinter._shared

    def persistent_id(self, obj: Any) -> Any:
        kind = type(obj)
        if kind in _AS_IS:
            return None
        if kind in _BY_DIGEST:
            return self._fingerprinter.digest(obj)
        if kind in _PICKLED:  # as ``known``, inlined: pages hold many items
            found = self._memo.get(id(obj))
            return found[1] if found is not None and found[0] is obj else None  # a copy: None
        shared = self._shared.get(id(obj))
        return shared[1] if shared is not None and shared[0] is obj else None

    def reducer_override(self, obj: Any) -> Any:
        kind = type(obj)
        fields = _SHAPES.get(kind)  # the common case first: a dataclass seen before
        if fields is not None:
            return _fields, (kind, fields(obj))
        if isinstance(obj, type) or id(obj) in _HELPER_IDS:
            return NotImplemented  # by name
        if dataclasses.is_dataclass(kind):
            names = tuple(f.name for f in dataclasses.fields(kind))
            fields = _SHAPES[kind] = _getter(names)
            return _fields, (kind, fields(obj))
        if isinstance(obj, _BY_PICKLE):
            return NotImplemented
        raise Unfingerprintable(f"cannot digest a {kind.__name__}")


def _getter(names: tuple[str, ...]) -> Callable[[Any], tuple]:
    """A dataclass's fields as a tuple, read in C (``attrgetter``)."""
    if len(names) == 1:  # attrgetter of one name gives the value, not a 1-tuple
        one = operator.attrgetter(names[0])
        return lambda obj: (one(obj),)
    return operator.attrgetter(*names) if names else lambda obj: ()


def _scalar(value: Any) -> bytes:
    kind = type(value)
    if kind is str:
        data = b"s" + value.encode("utf-8", "surrogatepass")
    elif isinstance(value, datetime):
        data = f"t{value.isoformat()}|{value.tzinfo}".encode()
    elif isinstance(value, tzinfo):
        data = f"z{type(value).__qualname__}:{value}".encode()
    elif isinstance(value, Enum):
        data = f"e{type(value).__qualname__}.{value.name}".encode()
    else:
        data = f"{kind.__name__}:{value!r}".encode()
    return hashlib.blake2b(data, digest_size=16).digest()
