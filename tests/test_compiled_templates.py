"""Templates compiled by one build are reused by the next (``compiled_templates``):
never stale, never a failure, and only the current key's folder is kept."""

from __future__ import annotations

import jinja2
from test_incremental import Project

from gazette.model import BuildOptions
from gazette.pipeline import BuildRequest, build_site
from helpers import NOW, tree

ITEM_TEMPLATE = '{% extends "base.html" %}{% block main %}<p id="probe">{word}</p>{% endblock %}'


def _compiles(monkeypatch) -> list[str]:
    """The names of the templates compiled from source from now on."""
    names: list[str] = []
    real = jinja2.Environment.compile

    def counted(self, source, name=None, filename=None, raw=False, defer_init=False):
        names.append(name)
        return real(self, source, name, filename, raw, defer_init)

    monkeypatch.setattr(jinja2.Environment, "compile", counted)
    return names


def _folder(project: Project):
    (folder,) = (project.root / ".gazette-cache" / "templates").iterdir()
    return folder


def test_a_build_reuses_the_templates_the_last_one_compiled(tmp_path, monkeypatch):
    project = Project(tmp_path / "p")
    request = BuildRequest(project.root, BuildOptions(now=NOW))
    build_site(request)
    assert list(_folder(project).glob("__jinja2_*.cache"))
    compiled = _compiles(monkeypatch)
    project.edit_item(3, lambda text: text + "\nOne more sentence.\n")
    result = build_site(request)
    assert sum(t.rendered for t in result.plugins) > 0  # pages were rendered ...
    assert compiled == []  # ... from templates compiled by the first build


def test_a_changed_template_is_compiled_again(tmp_path, monkeypatch):
    project = Project(tmp_path / "p")
    project.write("theme/templates/home.html", ITEM_TEMPLATE.replace("{word}", "first"))
    request = BuildRequest(project.root, BuildOptions(now=NOW))
    build_site(request)
    compiled = _compiles(monkeypatch)
    project.write("theme/templates/home.html", ITEM_TEMPLATE.replace("{word}", "second"))
    build_site(request)
    assert '<p id="probe">second</p>' in (project.root / "site/index.html").read_text()
    assert compiled == ["home.html"]


def test_damaged_compiled_templates_are_compiled_again(tmp_path):
    project = Project(tmp_path / "p")
    request = BuildRequest(project.root, BuildOptions(now=NOW))
    build_site(request)
    expected = tree(project.root / "site")
    for n, path in enumerate(sorted(_folder(project).iterdir())):
        data = bytearray(path.read_bytes())
        data[-1] ^= 0x5A  # in the compiled code, past every header Jinja2 checks
        path.write_bytes([b"", b"not a compiled template", bytes(data)][n % 3])
    project.edit_item(0, lambda text: text + "\nA change.\n")
    project.edit_item(0, lambda text: text.replace("\nA change.\n", ""))
    build_site(request)
    assert tree(project.root / "site") == expected


def test_folders_of_other_code_are_removed(tmp_path):
    project = Project(tmp_path / "p")
    request = BuildRequest(project.root, BuildOptions(now=NOW))
    stale = project.root / ".gazette-cache" / "templates" / "0123456789abcdef"
    stale.mkdir(parents=True)
    (stale / "__jinja2_x.cache").write_bytes(b"old")
    build_site(request)
    assert not stale.exists()
    assert _folder(project).name != stale.name


def test_a_build_without_its_cache_writes_no_compiled_templates(tmp_path):
    project = Project(tmp_path / "p")
    build_site(BuildRequest(project.root, BuildOptions(now=NOW), use_cache=False))
    assert not (project.root / ".gazette-cache" / "templates").exists()
