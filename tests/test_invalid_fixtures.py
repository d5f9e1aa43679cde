"""One broken fixture per error class: ``check`` prints the exact message and exits 1.

Each ``tests/fixtures/invalid/<name>.md`` is copied into a valid project as
``content/items/<name>.md``; the expected first line of stderr is below.
Warnings-only classes are checked under ``--strict``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from gazette.cli import main
from helpers import item, make_project

FIXTURES = Path(__file__).parent / "fixtures" / "invalid"

EXPECTED = {
    "not-utf8": "9:2: error[not-utf8]: the file is not valid UTF-8: byte 0xE9 cannot be "
    "decoded. Fix: save the file as UTF-8 in your editor",
    "control-character": "9:3: error[control-character]: the file contains the control "
    "character U+0000. Fix: delete it; it is invisible in most editors, so retype the line",
    "unclosed-front-matter": "1: error[unclosed-front-matter]: front matter is not closed: "
    "the opening '---' has no closing '---'. Fix: add a line '---' after the last front "
    "matter key",
    "no-front-matter": "1: error[no-front-matter]: the file does not start with front "
    "matter. Fix: add a '---' line, then title, date, issue, section, tags as 'key: value' "
    "lines, then a closing '---' line",
    "empty-file": "1: error[empty-file]: the file is empty. Fix: start it with front matter "
    "between two '---' lines holding title, date, issue, section, tags",
    "unquoted-colon": "2:10: error[yaml-syntax]: invalid YAML: a colon followed by a space "
    'inside an unquoted value. Fix: quote the value, e.g. title: "5G: the next step"',
    "tab-indentation": "3:1: error[yaml-syntax]: invalid YAML: a tab is used for "
    "indentation. Fix: indent with spaces, never tabs",
    "unterminated-list": "7:1: error[yaml-syntax]: invalid YAML: did not find expected ',' "
    "or ']'. Fix: check the indentation, brackets and quotes on this line",
    "second-document": "4:1: error[yaml-syntax]: invalid YAML: a second YAML document ('---' "
    "or '...') inside front matter. Fix: keep one block of 'key: value' lines between the "
    "two '---' lines",
    "duplicate-key": "6:1: error[duplicate-key]: the key 'section' appears twice, on lines "
    "5 and 6. Fix: keep one of them",
    "python-tag": "2:8: error[yaml-tag]: the YAML tag !!python/object:os.system is not "
    "allowed. Fix: remove the tag; only plain values, lists and mappings are read",
    "alias": "7:1: error[yaml-alias]: YAML anchors and aliases (&name, *name) are not "
    "allowed in front matter. Fix: write the value out in full",
    "list-front-matter": "2:1: error[front-matter-not-mapping]: front matter is a list; "
    "expected key: value pairs. Fix: write one 'key: value' per line, e.g. title: My item",
    "tags-comment": "6:6: error[tags-comment]: 'tags' is empty or cut short. Fix: '#' "
    "starts a YAML comment, so 'tags: #5G #AI' is read as nothing; write "
    'tags: ["5G", "AI"]',
    "tags-hash-in-list": "6:8: error[yaml-syntax]: invalid YAML: a '#' inside an unquoted "
    'list starts a YAML comment. Fix: quote each tag, e.g. tags: ["5G", "AI"]',
    "tags-string": "6:7: error[not-a-list]: 'tags' must be a list, not a single value. "
    'Fix: write tags: ["5G", "AI"], or tags: [] for none',
    "missing-keys": "1: error[missing-keys]: front matter lacks the required keys date, "
    "issue, section, tags. Fix: add date, issue, section, tags between the '---' lines",
    "empty-title": "2:8: error[bad-value]: 'title' is empty. Fix: give 'title' a text value",
    "impossible-date": "3:7: error[bad-date]: 'date' is not a real date: 2024-02-30 (day is "
    "out of range for month). Fix: use YYYY-MM-DD, e.g. 2020-05-12",
    "malformed-date": "3:7: error[bad-date]: 'date' is not a date in the form YYYY-MM-DD: "
    "05/01/2024. Fix: use YYYY-MM-DD, e.g. 2020-05-12",
    "section-no": "5:10: error[unknown-section]: unknown section 'NO'. Fix: allowed "
    "sections: horizontal, ict",
    "draft-yes": "7:8: error[bad-boolean]: 'draft' must be true or false, not 'yes'. Fix: "
    "write draft: true or draft: false (yes/no/on/off are not read as booleans)",
    "unknown-tag": "6: error[unknown-tag]: unknown tag 'Cybersecurty'. Fix: did you mean "
    "'Cybersecurity'?",
    "unknown-issue": "4: error[unknown-issue]: no issue has the id '2020-80'. Fix: did you "
    "mean '2020-08'?",
    "unsafe-slug": "7:7: error[unsafe-slug]: slug '../../x' may only hold lowercase "
    "letters, digits and single hyphens. Fix: e.g. slug: x",
    "relation-to-missing": "7: error[unknown-relation]: 'follows' names 'no-such-item', but "
    "no published item has that slug. Fix: use the slug of an item",
}


def test_every_fixture_has_an_expectation():
    assert sorted(p.stem for p in FIXTURES.glob("*.md")) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_check_prints_the_exact_error_and_leaves_site_alone(name, tmp_path, capsys):
    project = make_project(tmp_path, {"content/items/ok.md": item()})
    assert main(["build", "--project", str(project), "--now", "2024-01-01"]) == 0
    before = (project / "site/items/ok/index.html").read_bytes()
    capsys.readouterr()
    target = project / f"content/items/{name}.md"
    target.write_bytes((FIXTURES / f"{name}.md").read_bytes())
    for command in ("check", "build"):
        code = main([command, "--project", str(project), "--now", "2024-01-01"])
        first = capsys.readouterr().err.splitlines()[0]
        assert code == 1
        assert first == f"content/items/{name}.md:{EXPECTED[name]}"
    assert (project / "site/items/ok/index.html").read_bytes() == before
    assert not any(p.name.startswith(".site-") for p in project.iterdir())
