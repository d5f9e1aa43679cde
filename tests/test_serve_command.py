"""`python build.py serve` wiring: build first, serve site/ under the base path, rebuild."""

from __future__ import annotations

from pathlib import Path

from gazette.cli import main
from helpers import item, make_project


def test_serve_builds_then_serves_site_and_rebuilds_on_change(tmp_path, monkeypatch, capsys):
    project = make_project(tmp_path, {"content/items/a.md": item(title='"First"')})
    seen = {}

    def fake_serve(*, root, rebuild, watch, host, port, base_path, on_ready):
        seen.update(root=root, watch=watch, base_path=base_path)
        assert (root / "items/a/index.html").is_file()
        (project / "content/items/a.md").write_text(item(title='"Second"'))
        seen["rebuilt"] = rebuild(frozenset({project / "content/items/a.md"}))
        (project / "content/items/b.md").write_text(item(date="2020-02-30"))
        seen["broken"] = rebuild(frozenset({project / "content/items/b.md"}))

    monkeypatch.setattr("gazette.serve.serve_command.serve", fake_serve)
    code = main(["serve", "--project", str(project), "--base-url", "https://u.github.io/repo/"])
    assert code == 0
    assert seen["root"] == (project / "site").resolve()
    assert seen["base_path"] == "/repo/"
    assert Path(project / "site.toml") in seen["watch"]
    assert seen["rebuilt"] is True
    assert "Second" in (project / "site/items/a/index.html").read_text()
    assert seen["broken"] is False
    err = capsys.readouterr().err
    assert "content/items/b.md:3:7: error[bad-date]" in err
    assert "still serving the last good site" in err
    assert "Second" in (project / "site/items/a/index.html").read_text()
