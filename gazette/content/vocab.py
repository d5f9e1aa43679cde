"""The tag vocabulary (``tags.yml``) and the glossary (``glossary.yml``).

Tags are resolved by a normalised spelling: case-folded, with stray spaces and a
leading ``#`` removed, so ``5g``, ``#5G`` and ``5G `` are one tag, and aliases
(``Standardization``) map to their canonical tag (``Standardisation``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from types import MappingProxyType

from yaml import MappingNode, Node, ScalarNode, SequenceNode

from gazette.content.fields import did_you_mean
from gazette.content.yamlstrict import is_null, load_mapping
from gazette.diagnostics import Diagnostic, error, warning
from gazette.model import GlossaryEntry, Tag, TagGroup, Vocabulary
from gazette.output.urls import SLUG, slugify

TAG_KEYS = ("group", "description", "aliases", "slug")
GROUP_KEYS = ("name", "description")
_SPACES = re.compile(r"\s+")


def normalise_tag(spelling: str) -> str:
    return _SPACES.sub(" ", spelling.strip().lstrip("#").strip()).casefold()


def _line(node: Node) -> int:
    return node.start_mark.line + 1


def _scalar(node: Node) -> str:
    return "" if not isinstance(node, ScalarNode) or is_null(node) else node.value.strip()


def _mapping(path: str, node: Node, what: str, out: list[Diagnostic]) -> list[tuple[Node, Node]]:
    if isinstance(node, MappingNode):
        return node.value
    out.append(error(path, _line(node), "vocab-shape", f"{what} must be a mapping of name: fields"))
    return []


def _parse_groups(path: str, node: Node | None, out: list[Diagnostic]) -> tuple[TagGroup, ...]:
    groups = []
    for key, value in _mapping(path, node, "groups", out) if node is not None else []:
        fields = dict((k.value, v) for k, v in _mapping(path, value, f"group {key.value}", out))
        for name in fields:
            if name not in GROUP_KEYS:
                out.append(error(path, _line(key), "vocab-unknown-key", f"unknown key '{name}'"))
        if not SLUG.fullmatch(key.value):  # it becomes /tags/group/<id>/
            out.append(
                error(
                    path,
                    _line(key),
                    "vocab-group-id",
                    f"the group id '{key.value}' is not lowercase letters, digits and hyphens",
                    "rename it, e.g. ict or energy-environment (the name: key is what readers see)",
                )
            )
            continue
        groups.append(
            TagGroup(
                key.value,
                _scalar(fields.get("name", key)) or key.value,
                _scalar(fields["description"]) if "description" in fields else "",
            )
        )
    return tuple(groups)


def _aliases(path: str, node: Node | None, out: list[Diagnostic]) -> tuple[str, ...]:
    if node is None or is_null(node):
        return ()
    if not isinstance(node, SequenceNode):
        out.append(error(path, _line(node), "vocab-shape", "aliases must be a list"))
        return ()
    return tuple(_scalar(child) for child in node.value if _scalar(child))


def parse_vocabulary(path: str, text: str) -> tuple[Vocabulary, list[Diagnostic]]:
    """Parse tags.yml; report slug collisions, shared aliases and near-duplicates."""
    top, out = load_mapping(path, text, 0)
    for key in top:
        if key not in ("groups", "tags"):
            out.append(error(path, top[key].key_line, "vocab-unknown-key", f"unknown key '{key}'"))
    groups = _parse_groups(path, top["groups"].node if "groups" in top else None, out)
    group_ids = [g.id for g in groups]
    tags: list[Tag] = []
    tag_nodes = top["tags"].node if "tags" in top else MappingNode("tag:yaml.org,2002:map", [])
    for key, value in _mapping(path, tag_nodes, "tags", out):
        name, line = key.value.strip(), _line(key)
        fields = (
            {}
            if is_null(value)
            else {k.value: v for k, v in _mapping(path, value, f"tag {name}", out)}
        )
        for field_name in fields:
            if field_name not in TAG_KEYS:
                guess = did_you_mean(field_name, TAG_KEYS)
                out.append(
                    error(
                        path,
                        line,
                        "vocab-unknown-key",
                        f"tag '{name}' has an unknown key '{field_name}'",
                        f"did you mean '{guess[0]}'?" if guess else f"use {', '.join(TAG_KEYS)}",
                    )
                )
        group = _scalar(fields["group"]) if "group" in fields else ""
        if groups and group not in group_ids:
            out.append(
                error(
                    path,
                    line,
                    "vocab-unknown-group",
                    f"tag '{name}' has the unknown group '{group}'",
                    f"use one of {', '.join(group_ids)}",
                )
            )
        slug = _scalar(fields["slug"]) if "slug" in fields else slugify(name)
        if not SLUG.fullmatch(slug):
            out.append(
                error(
                    path,
                    line,
                    "tag-slug",
                    f"tag '{name}' gives the empty or unsafe slug '{slug}'",
                    "add slug: with lowercase letters, digits and hyphens",
                )
            )
        tags.append(
            Tag(
                name=name,
                slug=slug,
                group=group,
                description=_scalar(fields["description"]) if "description" in fields else "",
                aliases=_aliases(path, fields.get("aliases"), out),
                line=line,
            )
        )
    return _index(path, groups, tags, out)


def _index(
    path: str, groups: tuple[TagGroup, ...], tags: list[Tag], out: list[Diagnostic]
) -> tuple[Vocabulary, list[Diagnostic]]:
    lookup: dict[str, str] = {}
    owner_line: dict[str, int] = {}
    slugs: dict[str, Tag] = {}
    for tag in tags:
        if tag.slug in slugs and tag.slug:
            other = slugs[tag.slug]
            out.append(
                error(
                    path,
                    tag.line,
                    "tag-slug-collision",
                    f"tags '{other.name}' (line {other.line}) and '{tag.name}' share the slug "
                    f"'{tag.slug}'",
                    "merge them, or make one an alias of the other",
                )
            )
        slugs[tag.slug] = tag
        for spelling in (tag.name, *tag.aliases, tag.slug):
            key = normalise_tag(spelling)
            if key in lookup and lookup[key] != tag.name:
                out.append(
                    error(
                        path,
                        tag.line,
                        "tag-alias-collision",
                        f"'{spelling}' is claimed by both '{lookup[key]}' (line "
                        f"{owner_line[key]}) and '{tag.name}'",
                        "keep it on one tag only",
                    )
                )
                continue
            lookup[key] = tag.name
            owner_line[key] = tag.line
    for first, second in near_duplicates(tags):
        out.append(
            warning(
                path,
                second.line,
                "tag-near-duplicate",
                f"tags '{first.name}' (line {first.line}) and '{second.name}' differ only by "
                "a plural",
                "merge them and keep one as an alias",
            )
        )
    vocabulary = Vocabulary(groups, tuple(tags), MappingProxyType(lookup))
    return vocabulary, out


def singular_forms(spelling: str) -> set[str]:
    """The spelling and what it would be without an English plural ending."""
    word = normalise_tag(spelling)
    forms = {word}
    if word.endswith("ies"):
        forms.add(word[:-3] + "y")
    if word.endswith("es"):
        forms.add(word[:-2])
    if word.endswith("s"):
        forms.add(word[:-1])
    return forms


def near_duplicates(tags: list[Tag]) -> list[tuple[Tag, Tag]]:
    """Pairs of tags that differ only by a plural (Smart City, Smart Cities)."""
    pairs = []
    for index, tag in enumerate(tags):
        forms = singular_forms(tag.name)
        for other in tags[index + 1 :]:
            if forms & singular_forms(other.name):
                pairs.append((tag, other))
    return pairs


def resolve_tag(vocabulary: Vocabulary, spelling: str) -> tuple[str | None, list[str]]:
    """Return the canonical name, or None with suggestions of the nearest spellings."""
    key = normalise_tag(spelling)
    if key in vocabulary.lookup:
        return vocabulary.lookup[key], []
    spellings = {}
    for tag in vocabulary.tags:
        for known in (tag.name, *tag.aliases):
            spellings[normalise_tag(known)] = known
    close = did_you_mean(key, list(spellings), n=3)
    return None, [spellings[c] for c in close]


def canonical_tags(
    vocabulary: Vocabulary, spellings: Iterable[tuple[str, int]], path: str
) -> tuple[tuple[str, ...], list[Diagnostic]]:
    """Resolve ``(spelling, line)`` pairs to canonical names, once each, in order."""
    names: list[str] = []
    problems = []
    for spelling, line in spellings:
        name, suggestions = resolve_tag(vocabulary, spelling)
        if name is None:
            hint = (
                f"did you mean {' or '.join(repr(s) for s in suggestions)}?"
                if suggestions
                else "add it to content/tags.yml, or use a tag listed there"
            )
            problems.append(error(path, line, "unknown-tag", f"unknown tag '{spelling}'", hint))
        elif name not in names:
            names.append(name)
    return tuple(names), problems


def parse_glossary(path: str, text: str) -> tuple[tuple[GlossaryEntry, ...], list[Diagnostic]]:
    top, out = load_mapping(path, text, 0)
    entries = []
    for abbr, field in top.items():
        expansion = _scalar(field.node)
        if not expansion:
            out.append(
                error(
                    path,
                    field.key_line,
                    "glossary-entry",
                    f"'{abbr}' has no expansion",
                    f"write {abbr}: Full name of {abbr}",
                )
            )
            continue
        entries.append(GlossaryEntry(abbr.strip(), expansion, field.key_line))
    return tuple(sorted(entries, key=lambda e: e.abbr.casefold())), out
