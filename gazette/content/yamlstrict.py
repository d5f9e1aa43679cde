"""Strict YAML: a node tree with positions, and no guessing of types.

PyYAML's safe loader turns ``NO`` into False, ``010`` into 8, ``2024-02-30`` into
a bare ValueError and silently keeps the last of two duplicate keys. Here
libyaml only *composes* the document, with no implicit type resolvers, so every
plain scalar stays the text the editor wrote. Each field is then typed by the
schema that owns it (see ``fields.py``), which can name the line and column of
anything wrong. Anchors, aliases and explicit tags (``!!python/object``) are
refused, which also rules out alias bombs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml
from yaml import MappingNode, Node, ScalarNode, SequenceNode

from gazette.diagnostics import Diagnostic, error
from gazette.render.xmlchars import NOT_IN_XML

try:
    from yaml._yaml import CParser as _Parser  # libyaml: ~10x faster than pure Python
except ImportError:  # pragma: no cover - PyYAML wheels ship libyaml
    from yaml.composer import Composer as _Composer
    from yaml.parser import Parser as _PyParser
    from yaml.reader import Reader as _Reader
    from yaml.scanner import Scanner as _Scanner

    class _Parser(_Reader, _Scanner, _PyParser, _Composer):  # type: ignore[no-redef]
        def __init__(self, stream: str):
            _Reader.__init__(self, stream)
            _Scanner.__init__(self)
            _PyParser.__init__(self)
            _Composer.__init__(self)


class _LiteralResolver(yaml.resolver.BaseResolver):
    """Resolves every plain scalar to a string: no YAML 1.1 type guessing."""

    yaml_implicit_resolvers: dict = {}  # noqa: RUF012 - PyYAML reads this class attribute


class _Loader(_Parser, _LiteralResolver):
    def __init__(self, stream: str):
        _Parser.__init__(self, stream)
        _LiteralResolver.__init__(self)


_STR = "tag:yaml.org,2002:str"
_SEQ = "tag:yaml.org,2002:seq"
_MAP = "tag:yaml.org,2002:map"
_NULLS = frozenset({"", "~", "null", "Null", "NULL"})


@dataclass(frozen=True)
class Field:
    """One top-level key of a front matter mapping, with its place in the file."""

    key: str
    node: Node
    line: int  # 1-based line in the file
    col: int  # 1-based column of the value
    key_line: int


def is_null(node: Node) -> bool:
    return isinstance(node, ScalarNode) and not node.style and node.value in _NULLS


def _position(mark: Any, line_offset: int) -> tuple[int, int]:
    return line_offset + mark.line + 1, mark.column + 1


def _syntax_error(path: str, exc: yaml.MarkedYAMLError, line_offset: int, raw: str) -> Diagnostic:
    mark = exc.problem_mark or exc.context_mark
    line, col = _position(mark, line_offset) if mark else (line_offset + 1, 0)
    problem = (exc.problem or exc.context or "invalid YAML").strip()
    lines = raw.split("\n")
    at = mark.line if mark else 0
    # libyaml often reports a problem on the line after its cause (a comment ate the rest).
    candidates = [n for n in (at, at - 1) if 0 <= n < len(lines)]
    raw_line = lines[candidates[0]] if candidates else ""
    for n in candidates:
        squeezed = lines[n].replace(" ", "")
        if "[#" in squeezed or ",#" in squeezed:
            raw_line, line, col = lines[n], line_offset + n + 1, lines[n].index("#") + 1
            break
    fix = "check the indentation, brackets and quotes on this line"
    if (
        "found character '\\t'" in problem
        or "\t" in raw_line[: len(raw_line) - len(raw_line.lstrip())]
    ):
        problem = "a tab is used for indentation"
        fix = "indent with spaces, never tabs"
    elif "mapping values are not allowed" in problem:
        problem = "a colon followed by a space inside an unquoted value"
        fix = 'quote the value, e.g. title: "5G: the next step"'
    elif "document" in problem or "another document" in str(exc):
        problem = "a second YAML document ('---' or '...') inside front matter"
        fix = "keep one block of 'key: value' lines between the two '---' lines"
    elif "[#" in raw_line.replace(" ", "") or ",#" in raw_line.replace(" ", ""):
        problem = "a '#' inside an unquoted list starts a YAML comment"
        fix = 'quote each tag, e.g. tags: ["5G", "AI"]'
    return error(path, line, "yaml-syntax", f"invalid YAML: {problem}", fix, col=col)


def _check_node(
    path: str,
    node: Node,
    line_offset: int,
    seen: set[int],
    out: list[Diagnostic],
    where: Node | None = None,
) -> None:
    """Refuse aliases (a node reached twice) and explicit tags, without recursing forever."""
    if id(node) in seen:
        if any(d.code == "yaml-alias" for d in out):
            return  # one report is enough; an alias bomb would repeat it endlessly
        line, col = _position((where or node).start_mark, line_offset)
        out.append(
            error(
                path,
                line,
                "yaml-alias",
                "YAML anchors and aliases (&name, *name) are not allowed in front matter",
                "write the value out in full",
                col=col,
            )
        )
        return
    seen.add(id(node))
    if isinstance(node, ScalarNode) and (bad := NOT_IN_XML.search(node.value)):
        line, col = _position(node.start_mark, line_offset)
        out.append(
            error(
                path,
                line,
                "forbidden-character",
                f"the value holds the character U+{ord(bad.group()):04X}, which feeds and web "
                "pages cannot carry (a YAML escape such as \\e, \\a or \\uFFFE makes it)",
                "remove the escape or the character from the value",
                col=col,
            )
        )
        return
    expected = {ScalarNode: _STR, SequenceNode: _SEQ, MappingNode: _MAP}[type(node)]
    if node.tag != expected:
        line, col = _position(node.start_mark, line_offset)
        out.append(
            error(
                path,
                line,
                "yaml-tag",
                f"the YAML tag {node.tag.replace('tag:yaml.org,2002:', '!!')} is not allowed",
                "remove the tag; only plain values, lists and mappings are read",
                col=col,
            )
        )
        return
    if isinstance(node, SequenceNode):
        for child in node.value:
            _check_node(path, child, line_offset, seen, out)
    elif isinstance(node, MappingNode):
        for key, value in node.value:
            _check_node(path, key, line_offset, seen, out)
            _check_node(path, value, line_offset, seen, out, where=key)


def load_mapping(
    path: str, text: str, line_offset: int
) -> tuple[dict[str, Field], list[Diagnostic]]:
    """Parse front matter text into top-level fields, or diagnostics.

    ``line_offset`` is added to YAML's line numbers so that they are file lines.
    """
    try:
        root = _Loader(text).get_single_node()
    except yaml.MarkedYAMLError as exc:
        return {}, [_syntax_error(path, exc, line_offset, text)]
    except yaml.YAMLError as exc:  # pragma: no cover - libyaml reader errors
        return {}, [error(path, line_offset + 1, "yaml-syntax", f"invalid YAML: {exc}")]
    if root is None or (isinstance(root, ScalarNode) and is_null(root)):
        return {}, []
    problems: list[Diagnostic] = []
    _check_node(path, root, line_offset, set(), problems)
    if problems:
        return {}, problems
    if not isinstance(root, MappingNode):
        line, col = _position(root.start_mark, line_offset)
        kind = "a list" if isinstance(root, SequenceNode) else "a single value"
        return {}, [
            error(
                path,
                line,
                "front-matter-not-mapping",
                f"front matter is {kind}; expected key: value pairs",
                "write one 'key: value' per line, e.g. title: My item",
                col=col,
            )
        ]
    fields: dict[str, Field] = {}
    for key_node, value_node in root.value:
        key_line, key_col = _position(key_node.start_mark, line_offset)
        if not isinstance(key_node, ScalarNode):
            problems.append(
                error(path, key_line, "yaml-key", "a key must be a plain name", col=key_col)
            )
            continue
        key = key_node.value
        if key in fields:
            first = fields[key].key_line
            problems.append(
                error(
                    path,
                    key_line,
                    "duplicate-key",
                    f"the key '{key}' appears twice, on lines {first} and {key_line}",
                    "keep one of them",
                    col=key_col,
                )
            )
            continue
        line, col = _position(value_node.start_mark, line_offset)
        fields[key] = Field(key, value_node, line, col, key_line)
    return fields, problems


def to_plain(node: Node) -> Any:
    """Convert a checked node to plain str/list/dict/None for the ``extra`` mapping."""
    if isinstance(node, ScalarNode):
        return None if is_null(node) else node.value
    if isinstance(node, SequenceNode):
        return [to_plain(child) for child in node.value]
    return {key.value: to_plain(value) for key, value in node.value}
