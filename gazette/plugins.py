"""The plugin contract: a few typed hooks, run in the order ``site.toml`` lists them.

A plugin is a module, ``plugins/<name>.py`` in the project or in Gazette itself,
enabled by a ``[plugins.<name>]`` table in ``site.toml``. It may define:

``OPTIONS: dict[str, Option]``
    The schema of its options. The core fills defaults and rejects unknown keys
    (``plugins.<name>.<key>``) and wrong types before any hook runs.

``markdown_extensions(*, options, config, **kwargs) -> list[(name, config)]``
    Runs once, while loading, before Markdown renders. Returns Python-Markdown
    extensions as ``("package.module:Class", {options})`` pairs, so that they can
    be rebuilt in worker processes; they are part of the render cache key.

``link(site, *, options, cache, **kwargs) -> object``
    Runs after every file is loaded and rendered, in plugin order. Returns
    derived data (tag indexes, backlinks, ...) as a pure function of the frozen
    site. The core stores it in ``site.data[<name>]`` for later plugins and
    templates. It must not mutate ``site``. ``cache`` is the plugin's
    ``PluginCache`` (or None), as for ``outputs``: a costly derivation may
    keep partial results there, provided the result equals a computation
    from scratch. What it reads out of each document alone can be kept per
    document with ``DocumentMemo(cache, slot, key)``: the cache carries each
    document's digest (``cache.digests``), so only changed documents are read.
    ``building`` is True when the site's pages will be rendered and written
    after it (``build``, and ``serve``'s rebuilds), False when ``serve`` only
    links the site again to preview from it: work started in the background
    for ``outputs`` (a search index) is best started only when True.

``LINK_FIRST = True`` (a module constant, optional)
    Says that the plugin's ``link`` reads nothing from ``site.data``: the core
    runs it before every other plugin's ``link``, whatever the order in
    ``site.toml``, so that work it starts in the background (the search index)
    overlaps theirs. Its result is in ``site.data`` for the others as usual.

``OUTPUTS_LAST = True`` (a module constant, optional)
    Says that the plugin's ``outputs`` had better run after every other
    plugin's: it reads data still being made in the background (the item
    pages read the related lists, ranked meanwhile in a forked copy). Only
    the time of the call moves: its outputs and warnings keep their place
    in plugin order.

``menu(site, *, options, **kwargs) -> list[MenuEntry]``
    Runs after every ``link``. Entries for the site navigation.

``outputs(site, *, options, urls, cache, **kwargs) -> Iterable[Page | StaticFile | Diagnostic]``
    Runs after every ``menu``. Returns the pages and files the plugin adds. It
    writes nothing to disk; the core renders pages, checks that no two outputs
    claim one URL (naming both producers), and writes the site. It may also
    yield warnings (``gazette.diagnostics.warning``), which the build reports
    with its other warnings (errors under ``--strict``). ``cache`` is the
    plugin's ``PluginCache`` (``gazette.plugin_cache``), where costly files can
    be kept between builds under a digest of their inputs, or None when the
    build runs without its cache. A plugin whose files take long to make and
    that no page needs (a search index) may return ``Deferred(resolve)``: it
    starts the work (a thread, a process) and ``resolve()`` returns the
    ``StaticFile`` objects; the core calls it after every page has rendered, so
    the work overlaps rendering on another core. A file kept in ``cache`` from
    an earlier build may be handed over as ``KeptFile(url, digest, load)``: the
    core reads it (``load()``) only if the site does not hold those bytes yet.

``expires(site, *, options, **kwargs) -> datetime | None``
    Runs after ``link``, only for the up-to-date check of ``build``
    (``gazette.output.uptodate``). A plugin whose outputs change with the
    clock alone (``site.options.now``) returns the first moment after ``now``
    at which they would change, or None when that never happens. A plugin of
    Gazette without the hook does not read the clock; a project plugin without
    it may, so the check is off while it is enabled.

Every hook is called with keyword context (``options``, and ``name``, the plugin's
name in ``site.toml``) and must accept ``**kwargs``, so that new arguments do not
break old plugins. A hook may raise ``ContentError`` for
problems in content; any other exception is reported as a plugin failure.
"""

from __future__ import annotations

import hashlib
import importlib.util
import sys
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from types import MappingProxyType, ModuleType
from typing import Any

from gazette.content.fields import did_you_mean
from gazette.content.files import confined
from gazette.diagnostics import ContentError, Diagnostic, UsageError, error
from gazette.model import Config, PluginSpec, Site
from gazette.plugin_cache import PluginCache

HOOKS = ("markdown_extensions", "link", "menu", "outputs", "expires")
BUILTIN_DIR = Path(__file__).resolve().parent.parent / "plugins"


@dataclass(frozen=True)
class Option:
    """One option of a plugin: its type, default and a line of documentation."""

    type: type | tuple[type, ...]
    default: Any
    doc: str = ""
    choices: tuple = ()
    minimum: float | None = None  # for numbers: the smallest value allowed
    maximum: float | None = None


@dataclass(frozen=True)
class Page:
    """An HTML page rendered by the core from ``template`` with ``context``."""

    url: str
    template: str
    context: Mapping[str, Any] = field(default_factory=dict)
    producer: str = ""
    source: str = ""  # the content file it comes from, for error messages


@dataclass(frozen=True)
class StaticFile:
    url: str
    data: bytes
    producer: str = ""
    source: str = ""


@dataclass(frozen=True)
class KeptFile:
    """A static file a plugin keeps in its cache, known by its ``digest`` (`file_digest`).

    The core carries the current site's file over when the last build wrote
    these bytes there (the writer's manifest says so), and calls ``load()`` for
    the bytes only when it did not: a search index of ten thousand files whose
    shards did not change costs a digest per file, not a read and a copy.
    """

    url: str
    digest: str
    load: Callable[[], bytes] = field(compare=False)
    producer: str = ""
    source: str = ""


@dataclass(frozen=True)
class Deferred:
    """Static files still being made: ``resolve()`` waits for them and returns them
    (``StaticFile`` or ``KeptFile`` objects)."""

    resolve: Callable[[], Iterable[StaticFile | KeptFile]] = field(compare=False)
    producer: str = ""
    source: str = ""


@dataclass(frozen=True)
class MenuEntry:
    title: str
    url: str
    weight: int = 0


Output = Page | StaticFile | KeptFile | Deferred


@dataclass(frozen=True)
class Plugin:
    name: str
    module: ModuleType = field(compare=False)
    options: Mapping[str, Any]

    def has(self, hook: str) -> bool:
        return callable(getattr(self.module, hook, None))


def _find(name: str, project: Path) -> Path | None:
    """The plugin's file: the project's ``plugins/`` first, then Gazette's own.

    Raises ContentError when the project's file leads outside ``plugins/``.
    """
    for folder in (project / "plugins", BUILTIN_DIR):
        candidate = folder / f"{name}.py"
        if candidate.is_file():
            if folder != BUILTIN_DIR:
                outside = confined(project, candidate, "plugins")
                if outside is not None:
                    raise ContentError([outside])
            return candidate
    return None


def import_file(name: str, path: Path) -> ModuleType:
    """Import a Python file as a module (plugins, and the helpers beside them).

    Plugins are files, not a package, so a plugin that splits its code in two
    (``search.py`` and ``_search_index.py``) or reuses another's writers loads
    the other file with this.
    """
    # A unique module name per file and content, so a project plugin never
    # shadows another project's in the same process (serve rebuilds, tests),
    # and an edited plugin is imported again rather than taken from
    # ``sys.modules``. The digest is stable across processes (unlike
    # ``hash``), so values of plugin classes have the same fingerprint in
    # every build.
    tag = hashlib.blake2b(str(path).encode() + b"\0" + path.read_bytes(), digest_size=6).hexdigest()
    module_name = f"gazette_plugin_{name}_{tag}"
    if module_name in sys.modules:
        return sys.modules[module_name]
    spec = importlib.util.spec_from_file_location(module_name, path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    return module


def import_later(name: str) -> ModuleType:
    """Module ``name``, whose code runs when one of its attributes is first read.

    For a plugin that needs a costly library (numpy takes 0.15-0.2 s to import)
    only on some builds. Uses the standard library's ``importlib.util.LazyLoader``;
    a module imported already is returned as it is. Read ``spec_origin(name)``,
    not the module's ``__file__``, to name its file without loading it.
    """
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None:
        raise ModuleNotFoundError(f"No module named {name!r}", name=name)
    spec.loader = importlib.util.LazyLoader(spec.loader)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def spec_origin(name: str) -> str:
    """The file of module ``name``, found without importing it ("" if none).

    Also for a module of ``import_later`` not loaded yet: its spec is read past
    the lazy module's attribute hook, which would load it.
    """
    module = sys.modules.get(name)
    if module is not None:
        spec = object.__getattribute__(module, "__spec__")
    else:
        spec = importlib.util.find_spec(name)
    return (spec.origin or "") if spec is not None else ""


def _check_options(spec: PluginSpec, schema: Mapping[str, Option], path: str) -> list[Diagnostic]:
    problems = []
    for key, value in spec.options.items():
        where = f"plugins.{spec.name}.{key}"
        line = spec.option_lines.get(key, spec.line)
        if key not in schema:
            guess = did_you_mean(key, list(schema))
            known = ", ".join(schema) or "none"
            problems.append(
                error(
                    path,
                    line,
                    "plugin-option",
                    f"unknown option {where}",
                    f"did you mean '{guess[0]}'?" if guess else f"its options are: {known}",
                )
            )
            continue
        option = schema[key]
        wrong_type = not isinstance(value, option.type) or (
            isinstance(value, bool) and option.type is int
        )
        out_of_range = (
            not wrong_type
            and isinstance(value, int | float)
            and (
                (option.minimum is not None and value < option.minimum)
                or (option.maximum is not None and value > option.maximum)
            )
        )
        if out_of_range:
            bounds = " and ".join(
                f"{word} {bound:g}"
                for word, bound in (("at least", option.minimum), ("at most", option.maximum))
                if bound is not None
            )
            problems.append(
                error(
                    path,
                    line,
                    "plugin-option",
                    f"{where} is {value!r}, must be {bounds}",
                    option.doc or f"see the docstring of plugins/{spec.name}.py",
                )
            )
            continue
        if wrong_type or (option.choices and value not in option.choices):
            expected = option.choices or getattr(option.type, "__name__", str(option.type))
            problems.append(
                error(
                    path,
                    line,
                    "plugin-option",
                    f"{where} is {value!r}, expected {expected}",
                    option.doc or f"see the docstring of plugins/{spec.name}.py",
                )
            )
    return problems


def load_plugins(config: Config, project: Path) -> tuple[Plugin, ...]:
    """Import the plugins named in site.toml and validate their options (exit 2)."""
    plugins = []
    problems: list[Diagnostic] = []
    for spec in config.plugins:
        path = _find(spec.name, project)
        if path is None:
            available = sorted(p.stem for p in BUILTIN_DIR.glob("*.py") if p.stem != "__init__")
            problems.append(
                error(
                    config.path,
                    spec.line,
                    "plugin-unknown",
                    f"no plugin named '{spec.name}'",
                    f"put plugins/{spec.name}.py in the project, or use one of "
                    f"{', '.join(available)}",
                )
            )
            continue
        module = import_file(spec.name, path)
        schema: Mapping[str, Option] = getattr(module, "OPTIONS", {})
        problems += _check_options(spec, schema, config.path)
        options = {key: option.default for key, option in schema.items()}
        options.update(spec.options)
        plugins.append(Plugin(spec.name, module, MappingProxyType(options)))
    if problems:
        raise UsageError("site.toml: invalid plugin configuration", problems)
    return tuple(plugins)


def call(plugin: Plugin, hook: str, *args: Any, **kwargs: Any) -> Any:
    """Run one hook, turning a crash into a diagnostic that names the plugin."""
    try:
        return getattr(plugin.module, hook)(
            *args, options=plugin.options, name=plugin.name, **kwargs
        )
    except ContentError:
        raise
    except Exception as exc:
        raise ContentError(
            [
                error(
                    f"plugins/{plugin.name}.py",
                    0,
                    "plugin-failed",
                    f"plugin '{plugin.name}' raised {type(exc).__name__} in {hook}: {exc}",
                    "fix the plugin, or remove it from site.toml",
                )
            ]
        ) from exc


def run_markdown_extensions(config: Config, plugins: Iterable[Plugin]) -> list[tuple[str, dict]]:
    specs: list[tuple[str, dict]] = []
    for plugin in plugins:
        if plugin.has("markdown_extensions"):
            specs += [tuple(s) for s in call(plugin, "markdown_extensions", config=config) or ()]
    return specs


def _clocked(seconds: dict[str, float] | None, name: str, started: float) -> None:
    """Add the time since ``started`` to plugin ``name``'s hook seconds (``--timings``)."""
    if seconds is not None:
        seconds[name] = seconds.get(name, 0.0) + time.perf_counter() - started


def _cache(
    root: Path | None, plugin: Plugin, digests: Mapping[str, bytes] | None
) -> PluginCache | None:
    if root is None:
        return None
    return PluginCache(root / plugin.name, MappingProxyType(digests or {}))


def run_link(
    site: Site,
    plugins: Iterable[Plugin],
    seconds: dict[str, float] | None = None,
    cache_root: Path | None = None,
    digests: Mapping[str, bytes] | None = None,
    building: bool = True,
) -> Site:
    """Run every ``link`` hook; ``digests`` (by source path) go to each ``PluginCache``.

    ``building``: whether the pages will be rendered after (the hooks' ``building``).
    """
    data: dict[str, Any] = dict(site.data)
    ordered = sorted(plugins, key=lambda plugin: not getattr(plugin.module, "LINK_FIRST", False))
    for plugin in ordered:
        if plugin.has("link"):
            started = time.perf_counter()
            cache = _cache(cache_root, plugin, digests)
            data[plugin.name] = call(plugin, "link", site, cache=cache, building=building)
            site = site.with_data(MappingProxyType(dict(data)))
            _clocked(seconds, plugin.name, started)
    return site


def run_expires(site: Site, plugins: Iterable[Plugin]) -> tuple[bool, datetime | None]:
    """Whether the plugins' dependence on the clock is known, and until when they hold.

    ``(True, None)``: their outputs do not change with time alone; ``(False, None)``:
    a project plugin without an ``expires`` hook may read the clock.
    """
    moments = []
    for plugin in plugins:
        if plugin.has("expires"):
            moment = call(plugin, "expires", site)
            if moment is not None:
                moments.append(moment)
        elif not Path(plugin.module.__file__ or "").resolve().is_relative_to(BUILTIN_DIR):
            return False, None
    return True, min(moments, default=None)


def run_menu(
    site: Site, plugins: Iterable[Plugin], seconds: dict[str, float] | None = None
) -> tuple[MenuEntry, ...]:
    entries: list[MenuEntry] = []
    for plugin in plugins:
        if plugin.has("menu"):
            started = time.perf_counter()
            entries += _typed(plugin, "menu", call(plugin, "menu", site), MenuEntry)
            _clocked(seconds, plugin.name, started)
    return tuple(sorted(entries, key=lambda e: (e.weight, e.title)))


def _typed(plugin: Plugin, hook: str, values: Any, kinds: Any) -> list:
    values = list(values or ())
    for value in values:
        if not isinstance(value, kinds):
            raise ContentError(
                [
                    error(
                        f"plugins/{plugin.name}.py",
                        0,
                        "plugin-bad-return",
                        f"plugin '{plugin.name}' returned a {type(value).__name__} from {hook}",
                        "return Page, StaticFile, KeptFile, Deferred or MenuEntry objects from "
                        "gazette.plugins",
                    )
                ]
            )
    return values


def run_outputs(site: Site, plugins: Iterable[Plugin], **context: Any) -> list[Output]:
    """Collect every plugin's outputs, stamped with their producer."""
    return collect_outputs(site, plugins, **context)[0]


def collect_outputs(
    site: Site,
    plugins: Iterable[Plugin],
    seconds: dict[str, float] | None = None,
    cache_root: Path | None = None,
    digests: Mapping[str, bytes] | None = None,
    **context: Any,
) -> tuple[list[Output], list[Diagnostic]]:
    """Every plugin's outputs, stamped with their producer, and the warnings they yielded.

    Each plugin also gets ``cache``: its own ``PluginCache`` under ``cache_root``,
    or None when the build runs without its cache. A yielded error diagnostic
    stops the build like a raised ``ContentError``.
    """
    outputs: list[Output] = []
    warnings: list[Diagnostic] = []
    plugins = list(plugins)
    made: dict[int, list] = {}
    last = sorted(range(len(plugins)), key=lambda n: _outputs_last(plugins[n]))
    for n in last:  # ``OUTPUTS_LAST`` plugins are called last ...
        plugin = plugins[n]
        if plugin.has("outputs"):
            started = time.perf_counter()
            cache = _cache(cache_root, plugin, digests)
            produced = call(plugin, "outputs", site, cache=cache, **context)
            made[n] = _typed(plugin, "outputs", produced, Output | Diagnostic)
            _clocked(seconds, plugin.name, started)
    for n, produced in sorted(made.items()):  # ... and listed in plugin order
        name = plugins[n].name
        warnings += [o for o in produced if isinstance(o, Diagnostic)]
        outputs += [replace(o, producer=name) for o in produced if not isinstance(o, Diagnostic)]
    if any(w.is_error for w in warnings):
        raise ContentError(warnings)
    return outputs, warnings


def _outputs_last(plugin: Plugin) -> bool:
    return bool(getattr(plugin.module, "OUTPUTS_LAST", False))


def find_collisions(outputs: Iterable[Output]) -> list[Diagnostic]:
    """Two outputs for one URL is an error naming both producers."""
    owners: dict[str, Output] = {}
    problems = []
    for output in outputs:
        if isinstance(output, Deferred):
            continue  # checked when resolved, after the pages
        if output.url in owners:
            first = owners[output.url]
            problems.append(
                error(
                    output.source or first.source or "site.toml",
                    0,
                    "url-collision",
                    f"the URL {output.url} is produced twice: by plugin '{first.producer}'"
                    f"{f' from {first.source}' if first.source else ''} and by plugin "
                    f"'{output.producer}'{f' from {output.source}' if output.source else ''}",
                    "change a slug, or disable one of the plugins",
                )
            )
        else:
            owners[output.url] = output
    return problems
