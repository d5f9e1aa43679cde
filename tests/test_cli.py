"""The command line: exit codes, check without writing, and the `new` scaffold."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from gazette.cli import main, parse_args
from helpers import NOW, item, make_project

ROOT = Path(__file__).resolve().parent.parent


def run(project: Path, *args: str, capsys) -> tuple[int, str]:
    code = main([*args, "--project", str(project)])
    return code, capsys.readouterr().err


def test_build_is_the_default_command():
    assert parse_args(["--strict"]).command == "build"
    assert parse_args([]).command == "build"


@pytest.mark.parametrize("command", ["build", "check", "serve", "new"])
def test_help_works_for_every_command(command):
    done = subprocess.run(
        [sys.executable, "build.py", command, "--help"], cwd=ROOT, capture_output=True, text=True
    )
    assert done.returncode == 0
    assert "--project" in done.stdout


def test_build_writes_site_and_exits_0(tmp_path, capsys):
    project = make_project(tmp_path, {"content/items/a.md": item()})
    code, err = run(project, "build", "--now", "2024-01-01", capsys=capsys)
    assert code == 0, err
    assert (project / "site/items/a/index.html").is_file()
    assert "Built 1 items, 1 issues" in err


def test_timings_account_for_every_stage_plugin_and_file(tmp_path, capsys):
    from gazette.model import BuildOptions
    from gazette.pipeline import BuildRequest, build_site
    from gazette.render.templates import find_theme

    project = make_project(tmp_path, {"content/items/a.md": item(), "content/items/b.md": item()})
    code, err = run(project, "build", "--timings", capsys=capsys)
    assert code == 0, err
    table = err[err.index("stage ") :].splitlines()
    stages = [line.split()[0] for line in table[1 : table.index("")]]
    assert stages == ["load", "markdown", "link", "render+write"]
    plugin_table = table[table.index("") + 2 :]
    plugin_table = plugin_table[: plugin_table.index("")] if "" in plugin_table else plugin_table
    rows = {line.split()[0]: line.split()[1:] for line in plugin_table}
    result = build_site(BuildRequest(project, BuildOptions(now=NOW)))
    assert list(rows) == [timing.name for timing in result.plugins]
    assert rows["items"][1] == "2"
    assert rows["items"][4:6] == ["0", "2"]  # a first build renders both: none reused
    assert "items: 2 new page" in err
    assert all(float(row[0]) >= 0 and float(row[2]) >= 0 for row in rows.values())
    # Every file comes from a plugin, except the theme's assets and .nojekyll.
    theme_files = len(find_theme(project).assets) + 1
    assert sum(int(row[1]) for row in rows.values()) + theme_files == result.file_count
    # The next build reuses both item pages, and after an edit renders one, saying why.
    assert [(t.reused, t.rendered) for t in result.plugins if t.name == "items"] == [(2, 0)]
    (project / "content/items/a.md").write_text(item(title='"A new title"'))
    code, err = run(project, "build", "--timings", capsys=capsys)
    assert "items: 2 context changed" in err  # b shows a as its neighbour


def test_check_reports_and_exits_1_without_touching_site(tmp_path, capsys):
    project = make_project(tmp_path, {"content/items/a.md": item()})
    assert run(project, "build", capsys=capsys)[0] == 0
    before = (project / "site/items/a/index.html").read_bytes()
    (project / "content/items/b.md").write_text(item(tags='["Cybersecurty"]'))
    code, err = run(project, "check", capsys=capsys)
    assert code == 1
    assert err.splitlines()[0] == (
        "content/items/b.md:6: error[unknown-tag]: unknown tag 'Cybersecurty'. "
        "Fix: did you mean 'Cybersecurity'?"
    )
    assert (project / "site/items/a/index.html").read_bytes() == before
    assert not (project / "site/items/b").exists()


def test_check_writes_nothing(tmp_path, capsys):
    project = make_project(tmp_path, {"content/items/a.md": item()})
    assert run(project, "check", capsys=capsys)[0] == 0
    assert not (project / "site").exists()


def test_strict_makes_warnings_fail(tmp_path, capsys):
    project = make_project(tmp_path, {"content/items/a.md": item(titel='"x"')})
    assert run(project, "check", capsys=capsys)[0] == 0
    code, err = run(project, "check", "--strict", capsys=capsys)
    assert code == 1
    assert "content/items/a.md:7: error[unknown-key]" in err


def test_config_error_exits_2(tmp_path, capsys):
    project = make_project(tmp_path, {})
    (project / "site.toml").write_text((project / "site.toml").read_text() + "\n[bogus]\n")
    code, err = run(project, "check", capsys=capsys)
    assert code == 2
    assert "error[config-unknown-key]: unknown key 'bogus'" in err


def test_missing_project_exits_2(tmp_path, capsys):
    code, err = run(tmp_path / "nowhere", "check", capsys=capsys)
    assert code == 2 and "no site.toml here" in err


def test_internal_error_exits_3_and_asks_for_a_report(tmp_path, capsys, monkeypatch):
    project = make_project(tmp_path, {})
    monkeypatch.setattr("gazette.cli.build_site", lambda *a, **k: 1 / 0)
    code, err = run(project, "build", capsys=capsys)
    assert code == 3
    assert "ZeroDivisionError" in err and "Please report it" in err


def test_new_scaffolds_a_valid_item(tmp_path, capsys):
    project = make_project(tmp_path, {})
    code = main(
        [
            "new",
            "--project",
            str(project),
            "--title",
            'Update #2: "5G" & more',
            "--issue",
            "2020-08",
            "--section",
            "ict",
            "--tags",
            "5g, Standards",
            "--date",
            "2020-08-02",
        ]
    )
    assert code == 0, capsys.readouterr().err
    path = project / "content/items/2020-08/update-2-5g-more.md"
    text = path.read_text()
    assert 'title: "Update #2: \\"5G\\" & more"' in text
    assert 'tags: ["5G", "Standardisation"]' in text
    assert run(project, "check", "--strict", capsys=capsys)[0] == 0


def test_new_rejects_unknown_tag_section_and_issue(tmp_path, capsys):
    project = make_project(tmp_path, {})
    code = main(
        [
            "new",
            "--project",
            str(project),
            "--title",
            "X",
            "--issue",
            "2020-09",
            "--section",
            "itc",
            "--tags",
            "Cybersecurty",
        ]
    )
    err = capsys.readouterr().err
    assert code == 1
    assert (
        "command line: error[unknown-tag]: unknown tag 'Cybersecurty'. Fix: did you mean "
        "'Cybersecurity'?" in err
    )
    assert "error[unknown-section]: unknown section 'itc'" in err
    assert (
        "error[unknown-issue]: no issue has the id '2020-09'. Fix: did you mean '2020-08'?" in err
    )
    assert not (project / "content/items/2020-09").exists()


def test_new_refuses_to_overwrite(tmp_path, capsys):
    project = make_project(tmp_path, {"content/items/2020-08/x.md": item()})
    code = main(
        ["new", "--project", str(project), "--title", "X", "--issue", "2020-08", "--section", "ict"]
    )
    assert code == 1
    assert "already exists" in capsys.readouterr().err


def test_bad_now_is_a_usage_error(tmp_path, capsys):
    project = make_project(tmp_path, {})
    with pytest.raises(SystemExit) as caught:
        main(["build", "--project", str(project), "--now", "yesterday"])
    assert caught.value.code == 2
    assert "'yesterday' is not an ISO date or datetime" in capsys.readouterr().err


def test_now_decides_what_is_future(tmp_path, capsys):
    project = make_project(tmp_path, {"content/items/a.md": item(date="2023-06-01")})
    assert main(["build", "--project", str(project), "--now", "2023-01-01"]) == 0
    assert not (project / "site/items/a").exists()
    assert main(["build", "--project", str(project), "--now", "2023-06-02T00:00Z"]) == 0
    assert (project / "site/items/a/index.html").is_file()


def test_serve_previews_drafts_and_scheduled_items_unless_published_only():
    from gazette.cli import _request

    preview = _request(parse_args(["serve", "--now", "2024-01-01"])).options
    assert preview.drafts and preview.future
    published = _request(parse_args(["serve", "--published-only"])).options
    assert not published.drafts and not published.future
    build = _request(parse_args(["build"])).options
    assert not build.drafts and not build.future
