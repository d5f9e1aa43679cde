"""Typed reading of front matter fields, with diagnostics that name the line.

A ``Reader`` wraps the fields of one file and collects every problem instead of
stopping at the first, so an editor sees all of them in one run.
"""

from __future__ import annotations

import difflib
import re
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from yaml import ScalarNode, SequenceNode

from gazette.content.yamlstrict import Field, is_null
from gazette.diagnostics import Diagnostic, error, warning

DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?")
_URL = re.compile(r"(https?|mailto):\S+|/\S*")
TRUE_FALSE = {"true": True, "false": False}
DATE_FIX = "use YYYY-MM-DD, e.g. 2020-05-12"


def did_you_mean(word: str, choices: list[str] | tuple[str, ...], n: int = 1) -> list[str]:
    return difflib.get_close_matches(word, list(choices), n=n, cutoff=0.6)


class Reader:
    """Reads typed values out of one file's fields, collecting diagnostics."""

    def __init__(self, path: str, fields: dict[str, Field], raw_lines: list[str], fm_offset: int):
        self.path = path
        self.fields = fields
        self.problems: list[Diagnostic] = []
        self._raw_lines = raw_lines
        self._fm_offset = fm_offset

    def raw_line(self, line: int) -> str:
        index = line - self._fm_offset - 1
        return self._raw_lines[index] if 0 <= index < len(self._raw_lines) else ""

    def fail(self, f: Field, code: str, message: str, fix: str = "") -> None:
        self.problems.append(error(self.path, f.line, code, message, fix, col=f.col))

    def require(self, keys: tuple[str, ...]) -> bool:
        missing = [k for k in keys if k not in self.fields]
        if missing:
            names = ", ".join(missing)
            word = "key" if len(missing) == 1 else "keys"
            self.problems.append(
                error(
                    self.path,
                    1,
                    "missing-keys",
                    f"front matter lacks the required {word} {names}",
                    f"add {names} between the '---' lines",
                )
            )
        return not missing

    def warn_unknown(self, known: tuple[str, ...]) -> None:
        for key, f in self.fields.items():
            if key in known:
                continue
            guess = did_you_mean(key, known)
            fix = f"did you mean '{guess[0]}'?" if guess else f"known keys are {', '.join(known)}"
            self.problems.append(
                warning(self.path, f.key_line, "unknown-key", f"unknown key '{key}'", fix)
            )

    def text(self, key: str, *, required: bool = False, default: str = "") -> str:
        f = self.fields.get(key)
        if f is None:
            return default
        if not isinstance(f.node, ScalarNode) or is_null(f.node) or not f.node.value.strip():
            what = "empty" if isinstance(f.node, ScalarNode) else "not a single value"
            if required or not isinstance(f.node, ScalarNode):
                self.fail(f, "bad-value", f"'{key}' is {what}", f"give '{key}' a text value")
            return default
        value = f.node.value.strip()
        rest = self.raw_line(f.line)[f.node.end_mark.column :]
        if not f.node.style and f.node.end_mark.line == f.node.start_mark.line and "#" in rest:
            self.problems.append(
                warning(
                    self.path,
                    f.line,
                    "value-cut-by-comment",
                    f"'{key}' was cut short at ' #', which starts a YAML comment",
                    f'quote the whole value, e.g. {key}: "Update #2"',
                )
            )
        return value

    def flag(self, key: str, default: bool = False) -> bool:
        f = self.fields.get(key)
        if f is None:
            return default
        if isinstance(f.node, ScalarNode) and not f.node.style and f.node.value in TRUE_FALSE:
            return TRUE_FALSE[f.node.value]
        shown = f.node.value if isinstance(f.node, ScalarNode) else "a list"
        self.fail(
            f,
            "bad-boolean",
            f"'{key}' must be true or false, not '{shown}'",
            f"write {key}: true or {key}: false (yes/no/on/off are not read as booleans)",
        )
        return default

    def integer(self, key: str) -> int | None:
        f = self.fields.get(key)
        if f is None:
            return None
        if isinstance(f.node, ScalarNode) and re.fullmatch(r"-?\d{1,9}", f.node.value):
            return int(f.node.value)
        self.fail(f, "bad-integer", f"'{key}' must be a whole number", f"e.g. {key}: 3")
        return None

    def day(self, key: str, tz: ZoneInfo, *, required: bool = False) -> datetime | None:
        """A date or a datetime; returned as an aware datetime in the site's time zone."""
        f = self.fields.get(key)
        if f is None:
            return None
        raw = f.node.value.strip() if isinstance(f.node, ScalarNode) else ""
        try:
            if DATE.fullmatch(raw):
                return datetime.combine(date.fromisoformat(raw), time(), tz)
            if _DATETIME.fullmatch(raw):
                moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
                return moment.replace(tzinfo=tz) if moment.tzinfo is None else moment
        except ValueError as exc:
            self.fail(f, "bad-date", f"'{key}' is not a real date: {raw} ({exc})", DATE_FIX)
            return None
        shown = raw or "empty"
        self.fail(f, "bad-date", f"'{key}' is not a date in the form YYYY-MM-DD: {shown}", DATE_FIX)
        return None

    def is_list(self, key: str) -> bool:
        return key in self.fields and isinstance(self.fields[key].node, SequenceNode)

    def text_list(self, key: str) -> tuple[tuple[str, int], ...]:
        """A list of strings, each with its line; a bare string is an error."""
        f = self.fields.get(key)
        if f is None:
            return ()
        if isinstance(f.node, SequenceNode):
            values = []
            for child in f.node.value:
                if not isinstance(child, ScalarNode) or is_null(child):
                    line = f.line + (child.start_mark.line - f.node.start_mark.line)
                    self.problems.append(
                        error(
                            self.path, line, "bad-value", f"'{key}' holds an empty or nested entry"
                        )
                    )
                    continue
                values.append(
                    (child.value.strip(), f.line + child.start_mark.line - f.node.start_mark.line)
                )
            return tuple(values)
        self.fail(
            f,
            "not-a-list",
            f"'{key}' must be a list",
            f'write {key}: ["first", "second"] or one "- value" line per entry',
        )
        return ()

    def url(self, key: str) -> str:
        value = self.text(key)
        if value and not _URL.fullmatch(value):
            self.fail(
                self.fields[key],
                "bad-url",
                f"'{key}' is not an http(s) URL: {value}",
                "use a full address starting with https://",
            )
            return ""
        return value
