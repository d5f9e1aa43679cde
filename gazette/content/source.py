"""Turn the bytes of a content file into front matter text and body text.

python-frontmatter silently returns empty metadata for a leading BOM, a missing
closing ``---`` or non-mapping front matter (see BAD_INPUTS.md), so the checks
that it skips happen here first. The split itself goes through
python-frontmatter's ``YAMLHandler``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import frontmatter

from gazette.diagnostics import Diagnostic, error

# Documented limits (README, "Limits"): beyond these a file is rejected, not
# parsed, so a hostile file cannot exhaust memory or time.
MAX_FILE_BYTES = 2 * 1024 * 1024
MAX_LINE_CHARS = 100_000
MAX_FRONT_MATTER_CHARS = 64 * 1024

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_BOUNDARY = frontmatter.YAMLHandler.FM_BOUNDARY
_HANDLER = frontmatter.YAMLHandler()


@dataclass(frozen=True)
class Source:
    """A decoded content file split into front matter and body.

    Line numbers in the file are ``fm_line_offset + n`` for line ``n`` (1-based)
    of ``front_matter`` and ``body_line_offset + n`` for line ``n`` of ``body``.
    """

    path: str
    front_matter: str
    body: str
    fm_line_offset: int
    body_line_offset: int


def _line_col(text: str, index: int) -> tuple[int, int]:
    line = text.count("\n", 0, index) + 1
    col = index - (text.rfind("\n", 0, index) + 1) + 1
    return line, col


def decode(path: str, data: bytes) -> str | Diagnostic:
    """Decode UTF-8, drop a BOM and normalise CRLF and lone CR to LF."""
    if len(data) > MAX_FILE_BYTES:
        return error(
            path,
            0,
            "file-too-large",
            f"the file is over the size limit of {MAX_FILE_BYTES:,} bytes",
            "split it into several items or move attachments out of content/",
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = data[: exc.start]
        line = before.count(b"\n") + 1
        col = exc.start - (before.rfind(b"\n") + 1) + 1
        return error(
            path,
            line,
            "not-utf8",
            f"the file is not valid UTF-8: byte 0x{data[exc.start]:02X} cannot be decoded",
            "save the file as UTF-8 in your editor",
            col=col,
        )
    return clean_text(path, text)


def clean_text(path: str, text: str) -> str | Diagnostic:
    """Drop a BOM, normalise newlines, and refuse control characters and huge lines."""
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    bad = _CONTROL.search(text)
    if bad:
        line, col = _line_col(text, bad.start())
        return error(
            path,
            line,
            "control-character",
            f"the file contains the control character U+{ord(bad.group()):04X}",
            "delete it; it is invisible in most editors, so retype the line",
            col=col,
        )
    # Only a file longer than the limit can hold a line longer than it.
    lines = text.split("\n") if len(text) > MAX_LINE_CHARS else ()
    for number, line_text in enumerate(lines, 1):
        if len(line_text) > MAX_LINE_CHARS:
            return error(
                path,
                number,
                "line-too-long",
                f"the line has {len(line_text):,} characters, over the limit of {MAX_LINE_CHARS:,}",
                "break the line into paragraphs",
            )
    return text


def split(path: str, text: str, required: tuple[str, ...]) -> Source | Diagnostic:
    """Split ``---`` delimited front matter from the body, with line numbers."""
    keys = ", ".join(required)
    if not text.strip():
        return error(
            path,
            1,
            "empty-file",
            "the file is empty",
            f"start it with front matter between two '---' lines holding {keys}",
        )
    first_line = text.split("\n", 1)[0]
    if not _BOUNDARY.fullmatch(first_line):
        return error(
            path,
            1,
            "no-front-matter",
            "the file does not start with front matter",
            f"add a '---' line, then {keys} as 'key: value' lines, then a closing '---' line",
        )
    boundaries = _BOUNDARY.finditer(text)
    opening = next(boundaries)
    closing = next(boundaries, None)
    if closing is None:
        return error(
            path,
            1,
            "unclosed-front-matter",
            "front matter is not closed: the opening '---' has no closing '---'",
            "add a line '---' after the last front matter key",
        )
    fm_text, body = _HANDLER.split(text)
    if len(fm_text) > MAX_FRONT_MATTER_CHARS:
        return error(
            path,
            2,
            "front-matter-too-large",
            f"front matter has {len(fm_text):,} characters, over the limit of "
            f"{MAX_FRONT_MATTER_CHARS:,}",
            "move long text into the body",
        )
    return Source(
        path,
        fm_text,
        body,
        text.count("\n", 0, opening.end()),
        text.count("\n", 0, closing.end()),
    )
