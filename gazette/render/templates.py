"""Jinja2 environment and theme assets.

Autoescape is always on; content HTML reaches templates already sanitised and
is marked safe explicitly (``|safe`` on ``item.html`` only). A project may
override any template or asset by putting a file of the same name in its own
``theme/``; Gazette's theme is the fallback.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from types import MappingProxyType
from typing import Any

import jinja2
from markupsafe import Markup

from gazette.content.files import confined
from gazette.diagnostics import ContentError, error
from gazette.output.urls import Urls
from gazette.render.tracking import Recorder, TrackingEnvironment

BUILTIN_THEME = Path(__file__).resolve().parents[2] / "theme"


@dataclass(frozen=True)
class Theme:
    template_dirs: tuple[Path, ...]
    assets: Mapping[str, Path]  # "style.css" -> file; served at /static/<name>


def find_theme(project: Path) -> Theme:
    """The project's theme over the built-in one; raises ContentError for files that
    lead outside ``theme/`` through a symlink (``gazette.content.files``)."""
    own = project / "theme"
    roots = [own] if own.is_dir() and own.resolve() != BUILTIN_THEME else []
    roots.append(BUILTIN_THEME)
    assets: dict[str, Path] = {}
    problems = []
    for root in roots:
        for folder in (root / "templates", root / "static"):
            if root is own and folder.exists():
                problems += _outside(project, folder)
    if problems:
        raise ContentError(problems)
    for root in reversed(roots):  # the project's files win
        static = root / "static"
        if static.is_dir():
            for path in sorted(static.rglob("*")):
                if path.is_file() and not path.name.startswith("."):
                    assets[path.relative_to(static).as_posix()] = path
    templates = tuple(r / "templates" for r in roots if (r / "templates").is_dir())
    return Theme(templates, MappingProxyType(dict(sorted(assets.items()))))


def _outside(project: Path, folder: Path) -> list:
    """Every file or folder under ``folder`` whose real path leaves the project's theme/."""
    found = confined(project, folder, "theme")
    if found is not None:
        return [found]
    problems = []
    for path in sorted(folder.rglob("*")):
        if path.is_symlink():
            problem = confined(project, path, "theme")
            if problem is not None:
                problems.append(problem)
    return problems


def template_digests(theme: Theme) -> dict[str, bytes]:
    """A digest of each template's text, by the name Jinja2 loads it under (first folder wins)."""
    found: dict[str, bytes] = {}
    for folder in theme.template_dirs:
        for path in sorted(folder.rglob("*")):
            name = path.relative_to(folder).as_posix()
            if path.is_file() and name not in found:
                found[name] = hashlib.blake2b(path.read_bytes(), digest_size=16).digest()
    return found


def format_date(value: date | datetime, style: str = "long") -> str:
    if style == "iso":
        return value.isoformat()
    if style == "month":
        return f"{value:%B} {value.year}"
    return f"{value.day} {value:%B} {value.year}"


def _is_value(arg: Any) -> bool:
    if isinstance(arg, tuple):
        return all(_is_value(part) for part in arg)
    return isinstance(arg, str | int | bool | None)


class CheckedBytecodeCache(jinja2.FileSystemBytecodeCache):
    """Jinja2's ``FileSystemBytecodeCache`` with a digest of each file's bytes in
    front, checked before the compiled code is used: Jinja2 itself checks only
    the source's checksum, so a damaged file could run damaged code."""

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        try:
            data = Path(self._get_cache_filename(bucket)).read_bytes()
        except OSError:  # missing, a folder, unreadable: compiled again
            return
        body = data[16:]
        if len(data) > 16 and hashlib.blake2b(body, digest_size=16).digest() == data[:16]:
            bucket.bytecode_from_string(body)  # checks Jinja2's magic and the checksum

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        body = bucket.bytecode_to_string()
        name = Path(self._get_cache_filename(bucket))
        temporary = name.with_name(f"{name.name}.{os.getpid()}.tmp")
        try:
            temporary.write_bytes(hashlib.blake2b(body, digest_size=16).digest() + body)
            os.replace(temporary, name)  # a killed build leaves no half file
        except OSError:  # the next build compiles it again
            temporary.unlink(missing_ok=True)


def kept_templates(folder: Path, key: bytes) -> jinja2.BytecodeCache | None:
    """Templates compiled by earlier builds, kept under ``folder/<digest of key>/``
    (`CheckedBytecodeCache`: one file per template, named after it and checked
    against a checksum of its source and a digest of its own bytes).

    ``key`` stands for what the compiled code depends on beyond the source
    (the caller's code, Jinja2's version); folders of other keys are removed.
    Compiling the templates of the pages that a one-item build renders again
    took about 0.3-0.5 s at 10,000 items. None when the folder cannot be made:
    templates are then compiled as before.
    """
    here = folder / hashlib.blake2b(key, digest_size=8).hexdigest()
    try:
        if folder.is_dir():
            for old in folder.iterdir():
                if old.name == here.name:
                    continue
                if old.is_dir() and not old.is_symlink():
                    shutil.rmtree(old)
                else:
                    old.unlink()
        here.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return CheckedBytecodeCache(str(here))


def make_environment(
    theme: Theme,
    urls: Urls,
    globals_: Mapping[str, Any],
    recorder: Recorder | None = None,
    bytecode_cache: jinja2.BytecodeCache | None = None,
) -> jinja2.Environment:
    """The theme's Jinja2 environment.

    ``bytecode_cache`` lets environments made one after the other share
    compiled templates (``serve``'s previews in memory, builds on disk with
    `kept_templates`); a changed template is compiled again.

    With a ``recorder``, the environment is a ``TrackingEnvironment``: reads
    that templates make through tracked globals (the caller wraps ``gazette``
    in ``Tracked``) and the templates they load are recorded for the page being
    rendered, and ``cached`` macro results carry the reads they were made from.
    """
    kind = TrackingEnvironment if recorder is not None else jinja2.Environment
    env = kind(
        loader=jinja2.FileSystemLoader([str(d) for d in theme.template_dirs]),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        # One build never sees a template change; re-checking each template's
        # mtime on every render cost about 1 s per 10,000 pages.
        auto_reload=False,
        bytecode_cache=bytecode_cache,
    )
    if isinstance(env, TrackingEnvironment):
        env.recorder = recorder
        env.template_digests = template_digests(theme)
    fingerprints = {
        name: hashlib.blake2b(path.read_bytes(), digest_size=4).hexdigest()
        for name, path in theme.assets.items()
    }

    def asset(name: str) -> str:
        # A content hash in the query string, so browsers never keep a stale copy.
        return urls.url(f"/static/{name}") + f"?v={fingerprints[name]}"

    memo: dict[tuple, Any] = {}
    reads: dict[tuple, dict] = {}  # memo key -> the reads its value was made from

    def cached(macro: str, *args: Any) -> Any:
        """Call a macro once per arguments for this build.

        ``macro`` names a macro of ``_macros.html``, or of another template as
        ``"template.html:macro"``.

        A listing fragment (an item's summary) appears on many pages: the home
        page, its issue, each of its tags' pages. Rendering it once saves most of
        the cost of listings. Arguments are compared by value when they are
        plain values and by identity otherwise (model objects live all build).
        """
        key = (macro, *(a if _is_value(a) else id(a) for a in args))
        if key not in memo:
            template, _, name = macro.rpartition(":")
            if recorder is None:
                module = env.get_template(template or "_macros.html").module
                memo[key] = getattr(module, name)(*args)
                return memo[key]
            recorder.start()
            try:
                module = env.get_template(template or "_macros.html").module
                memo[key] = getattr(module, name)(*args)
            finally:
                reads[key] = recorder.stop()
        if recorder is not None:
            recorder.extend(reads[key])
        return memo[key]

    def item_summaries(items: Iterable[Any], show_issue: bool = True) -> Markup:
        """Items' summaries for a listing, from three cached macros of ``_macros.html``.

        Only the issue's name differs between listings (an issue page leaves it
        out), so ``summary_head`` and ``summary_tail`` are rendered once per item
        and shared by every listing. One call per listing rather than a macro
        per item: a tag page lists 20 summaries, and each call from a template
        costs Jinja more than the dictionary lookups here.
        """
        parts = []
        fast = recorder is None
        for item in items:
            parts.append(
                (fast and memo.get(("summary_head", id(item)))) or cached("summary_head", item)
            )
            if show_issue:
                parts.append(cached("summary_issue", item.issue))
            parts.append(
                (fast and memo.get(("summary_tail", id(item)))) or cached("summary_tail", item)
            )
        return Markup("".join(parts))

    env.filters["date"] = format_date
    env.globals.update(
        globals_,
        url=urls.url,
        absolute_url=urls.absolute,
        asset=asset,
        cached=cached,
        item_summaries=item_summaries,
    )
    return env


def render_template(
    env: jinja2.Environment, name: str, context: Mapping[str, Any], source: str
) -> str:
    """Render ``name``; a failure is a ContentError at the template's file and line."""
    try:
        return env.get_template(name).render(context)
    except jinja2.TemplateSyntaxError as exc:
        where, note = _template_where(env, exc.filename or name)
        raise ContentError(
            [
                error(
                    where,
                    exc.lineno,
                    "template-syntax",
                    f"{exc.message or exc}{note}",
                    "fix the Jinja2 syntax on that line (every {{ needs }}, every {% block %} "
                    "an {% endblock %})",
                )
            ]
        ) from exc
    except jinja2.TemplateError as exc:
        filename, line = _template_frame(env, exc)
        where, note = _template_where(env, filename or name)
        page = f" for {source}" if source else ""
        raise ContentError(
            [
                error(
                    where,
                    line,
                    "template-error",
                    f"rendering {name}{page} failed: {exc}{note}",
                    "check the variables this line uses: a misspelt name, or a value "
                    "that this page does not have",
                )
            ]
        ) from exc


def _search_paths(env: jinja2.Environment) -> list[Path]:
    loader = env.loader
    return [Path(p) for p in getattr(loader, "searchpath", ())]


def _template_where(env: jinja2.Environment, filename: str) -> tuple[str, str]:
    """A template's path as the editor knows it (``theme/templates/x.html``), and a note
    when it is Gazette's own."""
    path = Path(filename)
    for folder in _search_paths(env):
        if path.is_relative_to(folder):
            relative = f"theme/templates/{path.relative_to(folder).as_posix()}"
            own = folder.is_relative_to(BUILTIN_THEME)
            return relative, " (in Gazette's built-in theme)" if own else ""
    return f"theme/templates/{filename}" if not path.is_absolute() else path.name, ""


def _template_frame(env: jinja2.Environment, exc: BaseException) -> tuple[str, int]:
    """The innermost template file and line in ``exc``'s traceback (Jinja2 maps its
    frames to template lines), or ("", 0)."""
    folders = _search_paths(env)
    found = ("", 0)
    trace = exc.__traceback__
    while trace is not None:
        filename = trace.tb_frame.f_code.co_filename
        if any(Path(filename).is_relative_to(folder) for folder in folders):
            found = (filename, trace.tb_lineno)
        trace = trace.tb_next
    return found
