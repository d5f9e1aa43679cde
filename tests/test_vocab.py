"""Tag vocabulary and glossary parsing."""

from __future__ import annotations

from gazette.content.vocab import normalise_tag, parse_glossary, parse_vocabulary, resolve_tag
from helpers import vocabulary


def formatted(problems):
    return [p.format() for p in problems]


def test_canonical_names_keep_their_case():
    vocab = vocabulary()
    assert [t.name for t in vocab.tags][:3] == ["Standardisation", "5G", "MIIT"]
    assert vocab.by_name["5G"].slug == "5g"


def test_aliases_case_and_hash_resolve_to_canonical():
    vocab = vocabulary()
    for spelling in ("Standardization", "standards", " #Standard ", "STANDARDISATION"):
        assert resolve_tag(vocab, spelling) == ("Standardisation", [])


def test_unknown_tag_suggests_nearest_names_and_aliases():
    assert resolve_tag(vocabulary(), "Standardizaton") == (
        None,
        ["Standardization", "Standardisation", "Standard"],
    )
    assert resolve_tag(vocabulary(), "Cybersecurty") == (None, ["Cybersecurity"])


def test_normalise_collapses_spaces():
    assert normalise_tag("  #Artificial   Intelligence ") == "artificial intelligence"


def test_two_tags_with_one_slug_is_an_error_naming_both():
    text = "tags:\n  Smart City:\n    group: g\n  smart-city:\n    group: g\n"
    _, problems = parse_vocabulary("content/tags.yml", text)
    assert formatted(problems)[0] == (
        "content/tags.yml:4: error[tag-slug-collision]: tags 'Smart City' (line 2) and "
        "'smart-city' share the slug 'smart-city'. Fix: merge them, or make one an alias of "
        "the other"
    )


def test_alias_claimed_by_two_tags_is_an_error_naming_both():
    text = "tags:\n  AI:\n    aliases: [Intelligence]\n  ML:\n    aliases: [intelligence]\n"
    _, problems = parse_vocabulary("content/tags.yml", text)
    assert formatted(problems) == [
        "content/tags.yml:4: error[tag-alias-collision]: 'intelligence' is claimed by both "
        "'AI' (line 2) and 'ML'. Fix: keep it on one tag only"
    ]


def test_tag_that_slugifies_to_nothing_is_an_error():
    _, problems = parse_vocabulary("content/tags.yml", 'tags:\n  "!!!":\n    group: g\n')
    assert formatted(problems) == [
        "content/tags.yml:2: error[tag-slug]: tag '!!!' gives the empty or unsafe slug ''. "
        "Fix: add slug: with lowercase letters, digits and hyphens"
    ]


def test_plural_near_duplicates_warn():
    text = "tags:\n  Smart City:\n    aliases: []\n  Smart Cities:\n    aliases: []\n"
    _, problems = parse_vocabulary("content/tags.yml", text)
    assert formatted(problems) == [
        "content/tags.yml:4: warning[tag-near-duplicate]: tags 'Smart City' (line 2) and "
        "'Smart Cities' differ only by a plural. Fix: merge them and keep one as an alias"
    ]


def test_distinct_tags_are_not_near_duplicates():
    text = "tags:\n  IoT:\n  IPR:\n  Standard Setting:\n    aliases: []\n"
    _, problems = parse_vocabulary("content/tags.yml", text)
    assert problems == []


def test_unknown_group_is_an_error():
    text = "groups:\n  ict:\n    name: ICT\ntags:\n  5G:\n    group: itc\n"
    _, problems = parse_vocabulary("content/tags.yml", text)
    assert formatted(problems) == [
        "content/tags.yml:5: error[vocab-unknown-group]: tag '5G' has the unknown group 'itc'. "
        "Fix: use one of ict"
    ]


def test_glossary_sorted_and_empty_expansion_is_an_error():
    entries, problems = parse_glossary(
        "content/glossary.yml", "SAC: Standards body\nMIIT: x\nCNCA:\n"
    )
    assert [e.abbr for e in entries] == ["MIIT", "SAC"]
    assert formatted(problems) == [
        "content/glossary.yml:3: error[glossary-entry]: 'CNCA' has no expansion. Fix: write "
        "CNCA: Full name of CNCA"
    ]
