"""Link checks on what did load, when some files did not (BAD_INPUTS: every error at once).

A front-matter error in one file used to hide every broken wiki link elsewhere
until it was fixed: the build stopped after loading. Now, when loading fails,
the files that did parse are rendered (from the cache when possible) and the
plugins' ``link`` hooks run over them only to collect the content errors they
raise, such as ``crosslinks``' broken-link errors. What a partial site cannot
answer is left out: errors about the files that failed (already reported), a
plugin that trips over the missing files (``plugin-failed``), and a link to an
item whose file failed to load (its slug is taken from the file name).
"""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import Any

from gazette.cache import BuildCache
from gazette.content.load import PartialLoad, select_published, with_rendered
from gazette.diagnostics import ContentError, Diagnostic
from gazette.model import BuildOptions
from gazette.plugins import call
from gazette.render.markdown_stage import render_documents


def link_problems(
    failure: PartialLoad,
    plugins: tuple[Any, ...],
    specs: list[tuple[str, dict]],
    options: BuildOptions,
    cache: BuildCache,
) -> list[Diagnostic]:
    """The content errors the ``link`` hooks find in the files that did load."""
    site, _ = select_published(failure.loaded, options)
    documents = [(d.path, d.body) for d in (*site.items, *site.issues)]
    site = with_rendered(site, render_documents(documents, specs, cache, workers=1))
    missing = {PurePosixPath(path).stem for path in failure.failed}
    found: list[Diagnostic] = []
    for plugin in plugins:
        if not plugin.has("link"):
            continue
        try:
            call(plugin, "link", site, cache=None, building=False)
        except ContentError as exc:
            found += exc.diagnostics
        except Exception:  # a partial site is not what the hook expects: say nothing
            continue
    return [
        d
        for d in found
        if d.code != "plugin-failed"
        and d.path not in failure.failed
        and not any(f"'{slug}'" in d.message for slug in missing)
    ]
