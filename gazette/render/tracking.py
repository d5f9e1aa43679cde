"""Record what a template reads from the site, so a page can be reused when none of it changed.

Templates see the whole site as the global ``gazette``: ``gazette.data.tags``,
``gazette.issue_by_id[...]``, ``crosslinks.html_of(item)``. A page's context
alone therefore does not say what the page was made from. While a page
renders, ``gazette`` is a ``Tracked`` proxy: every attribute, key, call,
membership test, truth test, length or iteration a template makes through it
is recorded as a *path* from the root (``("gazette", ("a", "data"), ("c",
("get",), ...))``) together with a digest of the value it gave. Containers and
plugin objects stay wrapped, so a page that reads one tag's URL depends on
that URL, not on the whole tag index.

On the next build, ``Replayer`` (``gazette.render.replay``) evaluates each
recorded path on the new site and compares digests. If the context, the
templates and every recorded read are equal, the template runs exactly as
before and produces the same bytes, so the page is reused without rendering.
This is the "verifying trace" of build systems such as Shake and Salsa; a
plugin declares nothing by hand.

Arguments of recorded calls must be values that can be found again on the
next build: plain values, items and issues (by slug and id), and values read
through other tracked paths. Anything else makes the read ``Untrackable``; the
page is then rendered without tracking and on every build (slower, never
stale).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import date
from typing import Any

import jinja2
from markupsafe import Markup

from gazette.model import Issue, Item, Site
from gazette.render.fingerprint import Fingerprinter, Unfingerprintable

Path = tuple  # ("gazette", step, step, ...)
Trace = tuple[tuple[Path, bytes], ...]

WRAPPED = b"wrapped:"
MISSING = b"undefined"
_VALUE_TYPES = (str, int, float, bool, type(None))


class Untrackable(Exception):
    """A read whose inputs cannot be found again on the next build."""


class Recorder:
    """The reads of the page being rendered (a stack, for cached macro calls).

    The site does not change while a build renders, so the value a path
    gives is the same on every page: ``seen`` keeps each path's digest and
    result for the build, and a read made by a thousand pages is computed once.
    """

    def __init__(
        self,
        fingerprint: Fingerprinter,
        site: Site | None = None,
        paths: Sequence[Path] = (),
    ):
        self.fingerprint = fingerprint
        self.site = site
        # The path table: every path read so far (the last build's first, so
        # that their numbers stay valid), and each path's number.
        self.paths: list[Path] = list(paths)
        self.ids: dict[Path, int] = {path: n for n, path in enumerate(self.paths)}
        self.seen: dict[Path, tuple[int, bytes, Any]] = {}
        self._plain: dict[int, tuple[Any, bool]] = {}
        self._stack: list[dict[int, bytes]] = []

    @property
    def active(self) -> bool:
        return bool(self._stack)

    def start(self) -> None:
        self._stack.append({})

    def stop(self) -> dict[int, bytes]:
        """The reads since ``start``: path numbers and the digests read."""
        return self._stack.pop()

    def number(self, path: Path) -> int:
        number = self.ids.get(path)
        if number is None:
            number = self.ids[path] = len(self.paths)
            self.paths.append(path)
        return number

    def add(self, path: Path, digest: bytes) -> None:
        if self._stack:
            self._stack[-1][self.number(path)] = digest

    def extend(self, reads: dict[int, bytes]) -> None:
        if self._stack:
            self._stack[-1].update(reads)

    def is_plain(self, value: Any) -> bool:
        """``_is_plain``, remembered by identity for the build."""
        if type(value) in _VALUE_TYPES:
            return True
        known = self._plain.get(id(value))
        if known is not None and known[0] is value:
            return known[1]
        plain = _is_plain(value)
        self._plain[id(value)] = (value, plain)
        return plain

    def encode(self, value: Any) -> Any:
        """An argument as something the next build can turn back into a value.

        Items and issues are found again by slug and id, so only the site's own
        objects qualify: a changed copy made by a plugin would be found as the
        original. Anything else makes the read ``Untrackable``.
        """
        if type(value) in _VALUE_TYPES:
            return value
        if isinstance(value, Tracked):
            return ("§path", value._path)
        site = self.site
        if isinstance(value, Item) and site and site.item_by_slug.get(value.slug) is value:
            return ("§item", value.slug)
        if isinstance(value, Issue) and site and site.issue_by_id.get(value.id) is value:
            return ("§issue", value.id)
        if isinstance(value, tuple) and all(type(v) in _VALUE_TYPES for v in value):
            return ("§tuple", value)
        raise Untrackable(f"cannot record an argument of type {type(value).__name__}")


def _is_scalar(value: Any) -> bool:
    if type(value) in _VALUE_TYPES or isinstance(value, Markup | date):
        return True
    return isinstance(value, tuple | list) and all(_is_scalar(part) for part in value)


PLAIN_WEIGHT = 64  # values (model values count one) a plugin record may hold and be plain


def _weight(value: Any, budget: int = PLAIN_WEIGHT) -> int | None:
    """How many values ``value`` holds (a model value counts one), or None when it
    holds more than ``budget`` or anything but scalars, model values, sequences
    and dataclasses."""
    if type(value) in _VALUE_TYPES or isinstance(value, Markup | date):
        return 1
    kind = type(value)
    if kind.__module__ == "gazette.model":
        return None if kind is Site else 1
    if hasattr(value, "__dataclass_fields__") and not isinstance(value, type):
        parts: Any = [getattr(value, name) for name in value.__dataclass_fields__]
    elif isinstance(value, tuple | list):
        parts = value
    else:
        return None
    if len(parts) >= budget:
        return None
    total = 1
    for part in parts:
        weight = _weight(part, budget - total)
        if weight is None:
            return None
        total += weight
        if total > budget:
            return None
    return total


def _is_plain(value: Any) -> bool:
    """Values recorded by digest rather than wrapped.

    Plain are scalars, model values (items, issues, sections, tags) and
    sequences of them, and small plugin records (at most ``PLAIN_WEIGHT`` values
    and no mappings: an item's links, a feed's title and URLs). A plugin object
    that holds more (the search records, an index) stays wrapped, so a page
    depends only on the parts of it that its templates read.
    """
    if _is_scalar(value):
        return True
    kind = type(value)
    if kind.__module__ == "gazette.model":
        return kind is not Site
    if isinstance(value, tuple | list) and not hasattr(value, "__dataclass_fields__"):
        return len(value) <= 2000 and all(_is_plain(part) for part in value)
    return _weight(value) is not None


class Tracked:
    """A site value seen through a recorder; ``TrackingEnvironment`` routes reads here."""

    __slots__ = ("_env", "_path", "_recorder", "_value")

    def __init__(self, value: Any, path: Path, recorder: Recorder, env: jinja2.Environment):
        self._value = value
        self._path = path
        self._recorder = recorder
        self._env = env

    def _read(self, step: tuple, compute: Callable[[], Any], fact: bool = False) -> Any:
        """Record the read ``step`` of this value (computed once per build) and return it."""
        path = (*self._path, step)
        recorder = self._recorder
        known = recorder.seen.get(path)
        if known is None:
            known = recorder.seen[path] = self._first(path, compute(), fact)
        if recorder._stack:
            recorder._stack[-1][known[0]] = known[1]
        return known[2]

    def _first(self, path: Path, value: Any, fact: bool) -> tuple[int, bytes, Any]:
        recorder = self._recorder
        number = recorder.number(path)
        if fact:
            return number, recorder.fingerprint(value), value
        if isinstance(value, jinja2.Undefined):
            return number, MISSING, value
        if recorder.is_plain(value):
            try:
                return number, recorder.fingerprint(value), value
            except Unfingerprintable:
                pass
        wrapped = Tracked(value, path, recorder, self._env)
        return number, WRAPPED + type(value).__qualname__.encode(), wrapped

    def attr(self, name: str) -> Any:
        path = (*self._path, ("a", name))
        recorder = self._recorder
        known = recorder.seen.get(path)
        if known is None:
            value = plain_getattr(self._env, self._value, name)
            known = recorder.seen[path] = self._first(path, value, False)
        if recorder._stack:
            recorder._stack[-1][known[0]] = known[1]
        return known[2]

    def item(self, key: Any) -> Any:
        step = ("i", self._recorder.encode(key))
        return self._read(step, lambda: plain_getitem(self._env, self._value, unwrap(key)))

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        encode = self._recorder.encode
        named = tuple(sorted((k, encode(v)) for k, v in kwargs.items())) if kwargs else ()
        step = ("c", tuple([encode(a) for a in args]), named)
        path = (*self._path, step)
        recorder = self._recorder
        known = recorder.seen.get(path)
        if known is None:
            value = self._value(
                *[unwrap(a) for a in args], **{k: unwrap(v) for k, v in kwargs.items()}
            )
            known = recorder.seen[path] = self._first(path, value, False)
        if recorder._stack:
            recorder._stack[-1][known[0]] = known[1]
        return known[2]

    def __contains__(self, key: Any) -> bool:
        step = ("in", self._recorder.encode(key))
        return self._read(step, lambda: unwrap(key) in self._value, fact=True)

    def __bool__(self) -> bool:
        return self._read(("bool",), lambda: bool(self._value), fact=True)

    def __len__(self) -> int:
        return self._read(("len",), lambda: len(self._value), fact=True)

    def __iter__(self) -> Iterator[Any]:
        values = list(self._value)
        self._read(("len",), lambda: len(values), fact=True)
        for index, value in enumerate(values):
            yield self._read(("ix", index), lambda value=value: value)

    def __eq__(self, other: Any) -> bool:
        step = ("eq", self._recorder.encode(other))
        return self._read(step, lambda: self._value == unwrap(other), fact=True)

    def __ne__(self, other: Any) -> bool:
        return not self.__eq__(other)

    __hash__ = None  # type: ignore[assignment]

    def __str__(self) -> str:
        return self._read(("str",), lambda: str(self._value), fact=True)

    def __html__(self) -> str:
        return self._read(("html",), lambda: Markup(self._value.__html__()), fact=True)

    def __repr__(self) -> str:
        return self._read(("repr",), lambda: repr(self._value), fact=True)

    def __getitem__(self, key: Any) -> Any:  # Python code (a filter) indexing a wrapped value
        return self.item(key)

    def test(self, name: str, test: Callable[..., bool], *args: Any) -> bool:
        """A Jinja test (``is mapping``, ``is sequence`` ...) of the wrapped value, recorded."""
        encoded = tuple(self._recorder.encode(a) for a in args)
        return self._read(("test", name, encoded), lambda: test(self._value, *args), fact=True)


def _tracked_test(name: str, test: Callable[..., bool]) -> Callable[..., bool]:
    """A Jinja test that sees through ``Tracked`` (``is mapping`` must not see a proxy)."""

    def run(value: Any, *args: Any) -> bool:
        if type(value) is Tracked:
            return value.test(name, test, *args)
        return test(value, *args)

    return run


def unwrap(value: Any) -> Any:
    return value._value if isinstance(value, Tracked) else value


_GETITEM = jinja2.Environment.getitem


def plain_getattr(env: jinja2.Environment, obj: Any, name: str) -> Any:
    return jinja2.Environment.getattr(env, obj, name)


def plain_getitem(env: jinja2.Environment, obj: Any, key: Any) -> Any:
    return jinja2.Environment.getitem(env, obj, key)


class TrackingEnvironment(jinja2.Environment):
    """A Jinja2 environment whose attribute and item reads go through ``Tracked`` values.

    Every template it loads (the page's own, ``extends``, ``include``,
    ``import`` and macros reached through ``cached``) is recorded as a read of
    ``("§template", name)`` with a digest of the file's text, set by the caller
    in ``template_digests``.
    """

    recorder: Recorder | None = None
    template_digests: dict[str, bytes] = {}  # noqa: RUF012 - replaced per instance

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.tests = {name: _tracked_test(name, test) for name, test in self.tests.items()}

    def _load_template(self, name: str, globals: Any) -> jinja2.Template:
        if self.recorder is not None:
            self.recorder.add(("§template", name), self.template_digests.get(name, MISSING))
        return super()._load_template(name, globals)

    def getattr(self, obj: Any, attribute: str) -> Any:
        if type(obj) is Tracked:
            return obj.attr(attribute)
        try:  # jinja2.Environment.getattr, inlined: this runs for every attribute
            return getattr(obj, attribute)
        except AttributeError:
            pass
        try:
            return obj[attribute]
        except (TypeError, LookupError, AttributeError):
            return self.undefined(obj=obj, name=attribute)

    def getitem(self, obj: Any, argument: Any) -> Any:
        if type(obj) is Tracked:
            return obj.item(argument)
        return _GETITEM(self, obj, argument)
