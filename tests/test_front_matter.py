"""One test per error class of BAD_INPUTS.md cases 1–27, asserting the exact text.

Items are parsed from strings with ``parse_item``; no files are involved.
"""

from __future__ import annotations

import pytest

from gazette.content.parse import parse_issue, parse_item
from gazette.diagnostics import Diagnostic
from helpers import config, item, vocabulary

PATH = "content/items/x.md"


def parse(text: str | bytes) -> tuple[object, list[str]]:
    parsed, problems = parse_item(PATH, text, config(), vocabulary())
    return parsed, [p.format() for p in problems]


def only_error(text: str | bytes) -> str:
    parsed, problems = parse(text)
    assert parsed is None
    assert len(problems) == 1, problems
    return problems[0]


def test_valid_item_parses_with_canonical_tags_and_no_diagnostics():
    parsed, problems = parse(item(tags='["5G", "MIIT"]', summary='"Short."'))
    assert problems == []
    assert parsed.title == "A title"
    assert parsed.tags == ("5G", "MIIT")
    assert parsed.slug == "x"
    assert parsed.date.isoformat() == "2020-08-01"


def test_not_utf8_names_line_column_and_byte():
    data = item().encode().replace(b"Body", b"B\xe9dy")
    assert only_error(data) == (
        f"{PATH}:9:2: error[not-utf8]: the file is not valid UTF-8: byte 0xE9 cannot be "
        "decoded. Fix: save the file as UTF-8 in your editor"
    )


def test_bom_before_front_matter_is_parsed_normally():
    parsed, problems = parse("\ufeff" + item())
    assert problems == [] and parsed.title == "A title"


def test_bom_in_bytes_is_parsed_normally():
    parsed, problems = parse(b"\xef\xbb\xbf" + item().encode())
    assert problems == [] and parsed.title == "A title"


@pytest.mark.parametrize("newline", ["\r\n", "\r"])
def test_crlf_and_lone_cr_keep_line_numbers_right(newline):
    text = item(date="2024-02-30").replace("\n", newline)
    assert only_error(text).startswith(f"{PATH}:3:7: error[bad-date]")


def test_mixed_newlines_keep_line_numbers_right():
    text = "---\r\ntitle: x\ndate: 2024-13-01\r\n---\n"
    _, problems = parse(text)
    assert any(p.startswith(f"{PATH}:3:7: error[bad-date]") for p in problems)


def test_unclosed_front_matter_is_an_error():
    assert only_error("---\ntitle: x\ndate: 2020-01-01\n") == (
        f"{PATH}:1: error[unclosed-front-matter]: front matter is not closed: the opening "
        "'---' has no closing '---'. Fix: add a line '---' after the last front matter key"
    )


def test_missing_front_matter_lists_required_keys():
    assert only_error("Just a body.\n") == (
        f"{PATH}:1: error[no-front-matter]: the file does not start with front matter. Fix: "
        "add a '---' line, then title, date, issue, section, tags as 'key: value' lines, "
        "then a closing '---' line"
    )


def test_empty_file_lists_required_keys():
    assert only_error("") == (
        f"{PATH}:1: error[empty-file]: the file is empty. Fix: start it with front matter "
        "between two '---' lines holding title, date, issue, section, tags"
    )


def test_horizontal_rule_in_body_stays_in_body():
    parsed, problems = parse(item() + "\n---\n\nMore text: with colon.\n")
    assert problems == []
    assert "---" in parsed.body and "More text" in parsed.body


def test_control_character_names_position():
    assert only_error(item().replace("Body", "Bo\x00dy")) == (
        f"{PATH}:9:3: error[control-character]: the file contains the control character "
        "U+0000. Fix: delete it; it is invisible in most editors, so retype the line"
    )


def test_unquoted_colon_says_quote_the_value():
    assert only_error(item(title="5G: the future")) == (
        f"{PATH}:2:10: error[yaml-syntax]: invalid YAML: a colon followed by a space inside "
        'an unquoted value. Fix: quote the value, e.g. title: "5G: the next step"'
    )


def test_tab_indentation_is_named():
    assert only_error(item(title='"x"\n\tsection: ict')) == (
        f"{PATH}:3:1: error[yaml-syntax]: invalid YAML: a tab is used for indentation. "
        "Fix: indent with spaces, never tabs"
    )


@pytest.mark.parametrize("value", ['["5G"', '"unterminated'])
def test_unterminated_bracket_or_quote_gives_position(value):
    message = only_error(item(tags=value))
    assert message.startswith(f"{PATH}:") and "error[yaml-syntax]: invalid YAML" in message


def test_second_yaml_document_is_an_error():
    message = only_error("---\ntitle: x\n...\nfoo: 1\n---\nbody\n")
    assert message == (
        f"{PATH}:4:1: error[yaml-syntax]: invalid YAML: a second YAML document ('---' or "
        "'...') inside front matter. Fix: keep one block of 'key: value' lines between the "
        "two '---' lines"
    )


def test_duplicate_key_names_both_lines():
    text = item().replace("section: ict", "section: ict\nsection: horizontal")
    assert only_error(text) == (
        f"{PATH}:6:1: error[duplicate-key]: the key 'section' appears twice, on lines 5 "
        "and 6. Fix: keep one of them"
    )


def test_python_object_tag_is_refused():
    assert only_error(item(title="!!python/object:os.system x")) == (
        f"{PATH}:2:8: error[yaml-tag]: the YAML tag !!python/object:os.system is not "
        "allowed. Fix: remove the tag; only plain values, lists and mappings are read"
    )


def test_alias_bomb_is_refused_before_expansion():
    lines = ['a0: &a0 ["x", "x", "x", "x", "x", "x", "x", "x", "x"]']
    lines += [f"a{n}: &a{n} [*a{n - 1}, *a{n - 1}, *a{n - 1}, *a{n - 1}]" for n in range(1, 30)]
    message = only_error("---\n" + "\n".join(lines) + "\n---\nbody\n")
    assert "error[yaml-alias]: YAML anchors and aliases (&name, *name) are not allowed" in message


def test_front_matter_over_size_limit_is_refused():
    text = "---\ntitle: x\nsummary: " + "a" * 70_000 + "\n---\nbody\n"
    assert "error[front-matter-too-large]" in only_error(text)


@pytest.mark.parametrize(
    ("front", "kind"), [("- a\n- b", "a list"), ("just a string", "a single value")]
)
def test_non_mapping_front_matter_says_expected_key_value_pairs(front, kind):
    assert only_error(f"---\n{front}\n---\nbody\n") == (
        f"{PATH}:2:1: error[front-matter-not-mapping]: front matter is {kind}; expected "
        "key: value pairs. Fix: write one 'key: value' per line, e.g. title: My item"
    )


def test_tags_lost_to_comment_explains_the_hash():
    assert only_error(item(tags="#5G #AI")) == (
        f"{PATH}:6:6: error[tags-comment]: 'tags' is empty or cut short. Fix: '#' starts a "
        'YAML comment, so \'tags: #5G #AI\' is read as nothing; write tags: ["5G", "AI"]'
    )


def test_hash_in_flow_list_explains_the_hash():
    assert only_error(item(tags="[#5G]")) == (
        f"{PATH}:6:8: error[yaml-syntax]: invalid YAML: a '#' inside an unquoted list "
        'starts a YAML comment. Fix: quote each tag, e.g. tags: ["5G", "AI"]'
    )


def test_title_cut_by_comment_is_a_warning():
    parsed, problems = parse(item(title="Update #2 (draft)"))
    assert parsed.title == "Update"
    assert problems == [
        f"{PATH}:2: warning[value-cut-by-comment]: 'title' was cut short at ' #', which "
        'starts a YAML comment. Fix: quote the whole value, e.g. title: "Update #2"'
    ]


def test_hash_inside_a_word_is_not_a_comment():
    parsed, problems = parse(item(title="Learning C# fast"))
    assert problems == [] and parsed.title == "Learning C# fast"


def test_tags_as_a_string_is_an_error():
    assert only_error(item(tags='"5G, AI"')) == (
        f"{PATH}:6:7: error[not-a-list]: 'tags' must be a list, not a single value. Fix: "
        'write tags: ["5G", "AI"], or tags: [] for none'
    )


def test_missing_keys_are_listed_at_once():
    assert only_error("---\ntitle: x\n---\nbody\n") == (
        f"{PATH}:1: error[missing-keys]: front matter lacks the required keys date, issue, "
        "section, tags. Fix: add date, issue, section, tags between the '---' lines"
    )


@pytest.mark.parametrize(
    ("value", "what"),
    [('""', "empty"), ("", "empty"), ("~", "empty"), ("[a, b]", "not a single value")],
)
def test_empty_null_or_list_title_is_an_error(value, what):
    assert only_error(item(title=value)) == (
        f"{PATH}:2:{8 if value else 7}: error[bad-value]: 'title' is {what}. "
        "Fix: give 'title' a text value"
    )


@pytest.mark.parametrize(
    ("value", "detail"),
    [
        ("2024-02-30", "is not a real date: 2024-02-30 (day is out of range for month)"),
        ("05/01/2024", "is not a date in the form YYYY-MM-DD: 05/01/2024"),
        ("tuesday", "is not a date in the form YYYY-MM-DD: tuesday"),
        ("2024-1-5", "is not a date in the form YYYY-MM-DD: 2024-1-5"),
    ],
)
def test_bad_dates_say_use_yyyy_mm_dd(value, detail):
    assert only_error(item(date=value)) == (
        f"{PATH}:3:7: error[bad-date]: 'date' {detail}. Fix: use YYYY-MM-DD, e.g. 2020-05-12"
    )


def test_very_old_date_is_a_warning():
    parsed, problems = parse(item(date="1985-01-01"))
    assert parsed is not None
    assert problems == [
        f"{PATH}:3: warning[very-old-date]: the date 1985-01-01 is before 1990-01-01. "
        "Fix: check the year"
    ]


def test_datetime_with_zone_and_plain_date_compare():
    aware, _ = parse(item(date="2020-08-01T23:30:00+08:00"))
    plain, _ = parse(item(date="2020-08-01"))
    assert sorted([aware.published, plain.published])  # never raises
    assert aware.date.isoformat() == "2020-08-01"


def test_section_no_stays_a_string_and_is_unknown():
    assert only_error(item(section="NO")) == (
        f"{PATH}:5:10: error[unknown-section]: unknown section 'NO'. "
        "Fix: allowed sections: horizontal, ict"
    )


def test_unknown_section_suggests_nearest():
    assert only_error(item(section="itc")).endswith(
        "Fix: did you mean 'ict'? allowed sections: horizontal, ict"
    )


def test_draft_yes_is_not_a_boolean():
    assert only_error(item(draft="yes")) == (
        f"{PATH}:7:8: error[bad-boolean]: 'draft' must be true or false, not 'yes'. Fix: write "
        "draft: true or draft: false (yes/no/on/off are not read as booleans)"
    )


def test_octal_looking_issue_stays_text():
    parsed, problems = parse(item(issue="010"))
    assert parsed.issue == "010" and problems == []


def test_unknown_key_suggests_the_known_one():
    parsed, problems = parse(item(titel='"x"'))
    assert parsed.extra == {"titel": "x"}
    assert problems == [
        f"{PATH}:7: warning[unknown-key]: unknown key 'titel'. Fix: did you mean 'title'?"
    ]


def test_unknown_tag_suggests_nearest_tag():
    assert only_error(item(tags='["Cybersecurty"]')) == (
        f"{PATH}:6: error[unknown-tag]: unknown tag 'Cybersecurty'. Fix: did you mean "
        "'Cybersecurity'?"
    )


def test_tag_case_spacing_hash_and_alias_variants_resolve_to_one_tag():
    parsed, problems = parse(item(tags='["standardization", " 5g ", "#MIIT", "Standards", "5G"]'))
    assert problems == []
    assert parsed.tags == ("Standardisation", "5G", "MIIT")


@pytest.mark.parametrize("slug", ['"../../x"', "/etc/x", '"..\\\\x"', "'%2e%2e/x'", "Upper"])
def test_escaping_slug_is_refused(slug):
    assert "error[unsafe-slug]" in only_error(item(slug=slug))


def test_file_name_that_slugifies_to_nothing_is_an_error():
    parsed, problems = parse_item("content/items/标准.md", item(), config(), vocabulary())
    assert parsed is None
    assert problems[0].format() == (
        "content/items/标准.md:1: error[empty-slug]: the file name '标准' gives an empty URL "
        "slug. Fix: rename the file with Latin letters or digits, or add slug: my-item"
    )


def test_file_name_with_spaces_and_symbols_gets_a_safe_slug():
    parsed, _ = parse_item("content/items/5G Update #2 (100%)?.md", item(), config(), vocabulary())
    assert parsed.slug == "5g-update-2-100"


def test_every_error_of_a_file_is_reported_at_once():
    _, problems = parse(item(date="2024-02-30", section="nope", tags='["Nope"]', draft="maybe"))
    codes = [p.split("error[")[1].split("]")[0] for p in problems]
    assert codes == ["bad-date", "unknown-section", "unknown-tag", "bad-boolean"]


def test_issue_requires_its_keys():
    issue, problems = parse_issue("content/issues/a.md", "---\nid: a\n---\n", config())
    assert issue is None
    assert [p.format() for p in problems] == [
        "content/issues/a.md:1: error[missing-keys]: front matter lacks the required keys "
        "number, title, date. Fix: add number, title, date between the '---' lines"
    ]


def test_diagnostic_format_without_line():
    assert Diagnostic("a.md", 0, 0, "x", "what", "how").format() == "a.md: error[x]: what. Fix: how"
