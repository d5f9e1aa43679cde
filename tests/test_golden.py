"""Golden-site test: the fixture archive builds to exactly the committed tree.

After an intended change: ``.venv/bin/python tests/regenerate_goldens.py`` and
review ``git diff tests/golden``.
"""

from __future__ import annotations

from golden_build import GOLDEN, THEME_STATIC, build_golden

REGENERATE = "run .venv/bin/python tests/regenerate_goldens.py and review git diff tests/golden"


def test_golden_site_matches_committed_tree():
    built, _ = build_golden()
    expected = {
        p.relative_to(GOLDEN).as_posix(): p.read_bytes()
        for p in sorted(GOLDEN.rglob("*"))
        if p.is_file()
    }
    assert sorted(built) == sorted(expected), REGENERATE
    changed = [path for path in built if built[path] != expected[path]]
    assert changed == [], f"{changed} differ: {REGENERATE}"


def test_golden_site_copies_the_theme_assets_verbatim():
    _, static = build_golden()
    theme = {
        f"static/{p.relative_to(THEME_STATIC).as_posix()}": p.read_bytes()
        for p in sorted(THEME_STATIC.rglob("*"))
        if p.is_file()
    }
    assert static == theme
