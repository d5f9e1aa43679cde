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

On the next build, ``Replayer`` evaluates each recorded path on the new site
and compares digests. If the context, the templates and every recorded read
are equal, the template runs exactly as before and produces the same bytes,
so the page is reused without rendering. This is the "verifying trace" of
build systems such as Shake and Salsa; a plugin declares nothing by hand.

Arguments of recorded calls must be values that can be found again on the
next build: plain values, items and issues (by slug and id), and values read
through other tracked paths. Anything else makes the read ``Untrackable``; the
page is then rendered without tracking and on every build (slower, never
stale).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
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
    """The reads of the page being rendered (a stack, for cached macro calls)."""

    def __init__(self, fingerprint: Fingerprinter):
        self.fingerprint = fingerprint
        self._stack: list[dict[Path, bytes]] = []

    @property
    def active(self) -> bool:
        return bool(self._stack)

    def start(self) -> None:
        self._stack.append({})

    def stop(self) -> dict[Path, bytes]:
        return self._stack.pop()

    def add(self, path: Path, digest: bytes) -> None:
        if self._stack:
            self._stack[-1][path] = digest

    def extend(self, reads: dict[Path, bytes]) -> None:
        if self._stack:
            self._stack[-1].update(reads)


def _is_plain(value: Any) -> bool:
    """Values recorded by digest rather than wrapped: model values, not site-wide indexes."""
    if type(value) in _VALUE_TYPES or isinstance(value, Markup):
        return True
    module = type(value).__module__
    if module == "gazette.model" and not isinstance(value, Site):
        return True
    if isinstance(value, tuple | list) and len(value) <= 2000:
        return all(_is_plain(part) for part in value)
    if hasattr(value, "__dataclass_fields__") and not isinstance(value, type):
        return all(_is_plain(getattr(value, name)) for name in value.__dataclass_fields__)
    return module in ("datetime",)


def encode_argument(value: Any) -> Any:
    """An argument as something the next build can turn back into a value."""
    if isinstance(value, Tracked):
        return ("§path", value._path)
    if type(value) in _VALUE_TYPES:
        return value
    if isinstance(value, Item):
        return ("§item", value.slug)
    if isinstance(value, Issue):
        return ("§issue", value.id)
    if isinstance(value, tuple) and all(type(v) in _VALUE_TYPES for v in value):
        return ("§tuple", value)
    raise Untrackable(f"cannot record an argument of type {type(value).__name__}")


class Tracked:
    """A site value seen through a recorder; ``TrackingEnvironment`` routes reads here."""

    __slots__ = ("_env", "_path", "_recorder", "_value")

    def __init__(self, value: Any, path: Path, recorder: Recorder, env: jinja2.Environment):
        self._value = value
        self._path = path
        self._recorder = recorder
        self._env = env

    def _result(self, step: tuple, value: Any) -> Any:
        path = (*self._path, step)
        recorder = self._recorder
        if isinstance(value, jinja2.Undefined):
            recorder.add(path, MISSING)
            return value
        if _is_plain(value):
            try:
                recorder.add(path, recorder.fingerprint(value))
                return value
            except Unfingerprintable:
                pass
        recorder.add(path, WRAPPED + type(value).__qualname__.encode())
        return Tracked(value, path, recorder, self._env)

    def _fact(self, step: tuple, value: Any) -> Any:
        self._recorder.add((*self._path, step), self._recorder.fingerprint(value))
        return value

    def attr(self, name: str) -> Any:
        return self._result(("a", name), plain_getattr(self._env, self._value, name))

    def item(self, key: Any) -> Any:
        step = ("i", encode_argument(key))
        return self._result(step, plain_getitem(self._env, self._value, unwrap(key)))

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        step = (
            "c",
            tuple(encode_argument(a) for a in args),
            tuple(sorted((k, encode_argument(v)) for k, v in kwargs.items())),
        )
        value = self._value(*(unwrap(a) for a in args), **{k: unwrap(v) for k, v in kwargs.items()})
        return self._result(step, value)

    def __contains__(self, key: Any) -> bool:
        return self._fact(("in", encode_argument(key)), unwrap(key) in self._value)

    def __bool__(self) -> bool:
        return self._fact(("bool",), bool(self._value))

    def __len__(self) -> int:
        return self._fact(("len",), len(self._value))

    def __iter__(self) -> Iterator[Any]:
        values = list(self._value)
        self._fact(("len",), len(values))
        for index, value in enumerate(values):
            yield self._result(("ix", index), value)

    def __eq__(self, other: Any) -> bool:
        return self._fact(("eq", encode_argument(other)), self._value == unwrap(other))

    def __ne__(self, other: Any) -> bool:
        return not self.__eq__(other)

    __hash__ = None  # type: ignore[assignment]

    def __str__(self) -> str:
        return self._fact(("str",), str(self._value))

    def __html__(self) -> str:
        return self._fact(("html",), Markup(self._value.__html__()))


def unwrap(value: Any) -> Any:
    return value._value if isinstance(value, Tracked) else value


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

    def _load_template(self, name: str, globals: Any) -> jinja2.Template:
        if self.recorder is not None:
            self.recorder.add(("§template", name), self.template_digests.get(name, MISSING))
        return super()._load_template(name, globals)

    def getattr(self, obj: Any, attribute: str) -> Any:
        if type(obj) is Tracked:
            return obj.attr(attribute)
        return super().getattr(obj, attribute)

    def getitem(self, obj: Any, argument: Any) -> Any:
        if type(obj) is Tracked:
            return obj.item(argument)
        return super().getitem(obj, argument)


class Replayer:
    """Evaluates recorded paths on a new site, each path once per build."""

    def __init__(self, env: jinja2.Environment, roots: dict[str, Any], fingerprint: Fingerprinter):
        self._env = env
        self._roots = roots
        self._fingerprint = fingerprint
        self._values: dict[Path, Any] = {}
        self._digests: dict[Path, bytes | None] = {}

    def changed(self, reads: Trace) -> Path | None:
        """The first read whose value digest differs from the recorded one, or None."""
        digests = self._digests
        for path, expected in reads:
            found = digests.get(path, b"")
            if found == b"":
                found = digests[path] = self._digest(path)
            if found != expected:
                return path
        return None

    def _digest(self, path: Path) -> bytes | None:
        try:
            value = self._value(path)
        except Exception:  # the read fails now: the page must render (and say why)
            return None
        if isinstance(value, jinja2.Undefined):
            return MISSING
        if path[0] == "§template":
            return value
        last = path[-1][0]
        if last in ("in", "bool", "len", "eq", "str", "html"):
            return self._fingerprint(value)
        if _is_plain(value):
            try:
                return self._fingerprint(value)
            except Unfingerprintable:
                pass
        return WRAPPED + type(value).__qualname__.encode()

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
    raise ValueError(f"unknown step {kind!r}")
