"""Checks of the benchmark archive generator (bench/generate.py).

Benchmarks are only comparable if their input is identical from run to run and
valid for every tool, so these tests pin determinism and the invariants the
benchmark promises: 300–800 words per item, 1–3 known tags, known issues.
"""

from __future__ import annotations

import importlib.util
import sys
import tomllib
from pathlib import Path
from types import ModuleType

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
N_ITEMS = 30


def load_generator() -> ModuleType:
    """Import bench/generate.py by path: bench/ is a folder of scripts, not a package."""
    bench = str(REPO / "bench")
    if bench not in sys.path:
        sys.path.insert(0, bench)
    spec = importlib.util.spec_from_file_location("bench_generate", REPO / "bench" / "generate.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while being defined
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def gen() -> ModuleType:
    return load_generator()


@pytest.fixture(scope="module")
def project(gen: ModuleType, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("gazette") / "project"
    assert gen.main(["--items", str(N_ITEMS), "--out", str(out), "--seed", "7"]) == 0
    return out


def tree(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` by relative path, with its exact bytes."""
    files = sorted(p for p in root.rglob("*") if p.is_file())
    return {str(p.relative_to(root)): p.read_bytes() for p in files}


def split_front_matter(text: str) -> tuple[dict, str]:
    """YAML front matter and body of a Gazette Markdown file."""
    assert text.startswith("---\n")
    head, body = text[4:].split("\n---\n", 1)
    return yaml.safe_load(head), body.removeprefix("\n")


def items(project: Path) -> list[tuple[Path, dict, str]]:
    return [
        (p, *split_front_matter(p.read_text(encoding="utf-8")))
        for p in sorted((project / "content" / "items").rglob("*.md"))
    ]


@pytest.mark.parametrize("fmt", ["gazette", "hugo", "pelican"])
def test_same_arguments_give_byte_identical_output(
    gen: ModuleType, tmp_path: Path, fmt: str
) -> None:
    for name in ("a", "b"):
        args = ["--items", str(N_ITEMS), "--out", str(tmp_path / name), "--format", fmt]
        assert gen.main(args) == 0
    first, second = tree(tmp_path / "a"), tree(tmp_path / "b")
    assert first, "nothing was written"
    assert first == second


def test_another_seed_gives_other_content(gen: ModuleType) -> None:
    one = gen.build_archive(N_ITEMS, seed=1)
    two = gen.build_archive(N_ITEMS, seed=2)
    assert [i.body for i in one.items] != [i.body for i in two.items]


def test_project_layout_and_item_count(project: Path) -> None:
    assert (project / "site.toml").is_file()
    assert (project / "content" / "tags.yml").is_file()
    assert (project / "content" / "glossary.yml").is_file()
    assert len(items(project)) == N_ITEMS


def test_word_counts_are_within_bounds(gen: ModuleType, project: Path) -> None:
    for path, _, body in items(project):
        plain_words = len([t for t in body.split() if any(c.isalnum() for c in t)])
        assert plain_words == gen.count_words(body)
        assert 300 <= plain_words <= 800, path


def test_tags_are_one_to_three_and_all_known(project: Path) -> None:
    vocabulary = yaml.safe_load((project / "content" / "tags.yml").read_text(encoding="utf-8"))
    known = set(vocabulary["tags"])
    for spec in vocabulary["tags"].values():
        known.update(spec["aliases"])
        assert spec["group"] in vocabulary["groups"]
    assert 35 <= len(vocabulary["tags"]) <= 45
    assert len(vocabulary["groups"]) == 5
    for path, meta, _ in items(project):
        assert 1 <= len(meta["tags"]) <= 3, path
        assert set(meta["tags"]) <= known, path


def test_every_item_points_to_an_existing_issue_and_section(project: Path) -> None:
    sections = {s["id"] for s in tomllib.loads((project / "site.toml").read_text())["sections"]}
    assert len(sections) == 6
    issues = {}
    for path in (project / "content" / "issues").glob("*.md"):
        meta, _ = split_front_matter(path.read_text(encoding="utf-8"))
        assert path.stem == meta["id"]
        issues[meta["id"]] = meta
    assert sorted(m["number"] for m in issues.values()) == list(range(1, len(issues) + 1))
    for path, meta, _ in items(project):
        assert meta["issue"] in issues, path
        assert meta["section"] in sections, path
        assert path.parent.name == meta["issue"]
        issue_date = issues[meta["issue"]]["date"]
        assert meta["date"] <= issue_date, path
        assert meta["date"].strftime("%Y-%m") >= meta["issue"], path


def test_peer_formats_hold_the_same_items(gen: ModuleType, tmp_path: Path) -> None:
    gen.main(["--items", "12", "--out", str(tmp_path / "g")])
    gen.main(["--items", "12", "--out", str(tmp_path / "p"), "--format", "pelican"])
    gen.main(["--items", "12", "--out", str(tmp_path / "h"), "--format", "hugo"])
    gazette = {p.stem: body for p, _, body in items(tmp_path / "g")}
    pelican = sorted((tmp_path / "p" / "content").glob("*.md"))
    hugo = sorted((tmp_path / "h" / "content" / "items").glob("*.md"))
    assert {p.stem for p in pelican} == set(gazette) == {p.stem for p in hugo}
    for path in pelican:
        assert path.read_text(encoding="utf-8").split("\n\n", 1)[1] == gazette[path.stem]
    for path in hugo:
        assert path.read_text(encoding="utf-8").split("+++\n\n", 1)[1] == gazette[path.stem]
