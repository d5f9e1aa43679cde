"""The text of a newsletter PDF, in reading order, without page furniture.

pdfminer.six (``gazette[import]``) gives every text line with its position.
On each page:

- **Running headers and footers** go: a line in the top or bottom tenth of the
  page whose text (digits ignored) recurs on at least half of the pages, and
  any page number alone in those margins.
- **Columns**: lines that cross the page's middle are full-width and cut the
  page into bands; within a band, the left column is read before the right.
- **Paragraphs**: a blank line goes wherever the distance from one line's top
  to the next is clearly larger than the page's usual line pitch, and where a
  column starts again at the top.

The result has the shape of the extracted text that ``layout`` reads
(``../shared/seeds/003_*.txt``). Hyphenation is left to ``prose``, which
repairs a break only where the joined word occurs elsewhere in the document.
"""

from __future__ import annotations

import itertools
import re
import statistics
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from gazette.diagnostics import UsageError

MARGIN = 0.1  # the share of the page height, top and bottom, where furniture lives


@dataclass(frozen=True)
class Line:
    x0: float
    x1: float
    top: float  # distance from the top of the page
    bottom: float
    text: str


def _pages(
    path: Path, advance: Callable[[int], None] = lambda n: None
) -> list[tuple[float, float, list[Line]]]:
    try:
        from pdfminer.high_level import extract_pages
        from pdfminer.layout import LAParams, LTTextContainer, LTTextLine
    except ImportError:
        raise UsageError(
            "reading PDFs needs pdfminer.six. Fix: pip install 'gazette[import]' "
            "(python3 dev.py installs it), or import the extracted .txt"
        ) from None
    pages = []
    try:
        for page in extract_pages(str(path), laparams=LAParams(line_margin=0.3)):
            height, width = page.height, page.width
            lines: list[Line] = []
            for element in page:
                if not isinstance(element, LTTextContainer):
                    continue
                for line in element:
                    if isinstance(line, LTTextLine) and line.get_text().strip():
                        text = line.get_text().rstrip("\n")
                        lines.append(
                            Line(line.x0, line.x1, height - line.y1, height - line.y0, text)
                        )
            pages.append((width, height, lines))
            advance(1)
    except Exception as exc:  # pdfminer raises many kinds on a damaged file
        raise UsageError(f"{path}: not a readable PDF ({type(exc).__name__}: {exc})") from None
    return pages


def page_count(path: Path) -> int:
    """The number of pages (0 when pdfminer.six is missing or the file is damaged)."""
    try:
        from pdfminer.pdfpage import PDFPage

        with path.open("rb") as handle:
            return sum(1 for _ in PDFPage.get_pages(handle))
    except Exception:  # reading it for real reports the problem
        return 0


def _furniture(pages: list[tuple[float, float, list[Line]]]) -> set[str]:
    """Texts (digits blanked) of lines in the margins that recur on half the pages."""
    seen: Counter = Counter()
    for _, height, lines in pages:
        keys = {
            re.sub(r"\d+", "#", line.text.strip())
            for line in lines
            if line.top < MARGIN * height or line.bottom > (1 - MARGIN) * height
        }
        seen.update(keys)
    return {key for key, count in seen.items() if count >= max(2, len(pages) / 2)}


def _in_reading_order(width: float, lines: list[Line]) -> list[Line]:
    middle = width / 2
    full = [line for line in lines if line.x0 < middle - 10 and line.x1 > middle + 10]
    cuts = sorted({line.top for line in full})
    bands: dict[int, list[Line]] = {}
    for line in lines:
        band = sum(1 for cut in cuts if cut <= line.top)
        bands.setdefault(band, []).append(line)
    ordered: list[Line] = []
    for band in sorted(bands):
        members = bands[band]
        spanning = [line for line in members if line in full]
        left = [line for line in members if line not in full and line.x0 < middle]
        right = [line for line in members if line not in full and line.x0 >= middle]
        for group in (spanning, left, right):
            ordered += sorted(group, key=lambda line: (line.top, line.x0))
    return ordered


def pdf_text(path: Path, advance: Callable[[int], None] = lambda n: None) -> str:
    """The PDF's text as lines, in reading order, blank lines between paragraphs."""
    pages = _pages(path, advance)
    furniture = _furniture(pages)
    out: list[str] = []
    for width, height, lines in pages:
        kept = [
            line
            for line in lines
            if not (
                (line.top < MARGIN * height or line.bottom > (1 - MARGIN) * height)
                and (
                    re.sub(r"\d+", "#", line.text.strip()) in furniture
                    or re.fullmatch(r"\s*\d{1,4}\s*", line.text)
                )
            )
        ]
        ordered = _in_reading_order(width, kept)
        pitches = [b.top - a.top for a, b in itertools.pairwise(ordered)]
        usual = statistics.median([p for p in pitches if p > 0] or [0.0])
        previous: Line | None = None
        for line in ordered:
            if previous is not None:
                pitch = line.top - previous.top
                if pitch > 1.4 * usual or pitch < 0:  # a paragraph, or a new column
                    out.append("")
            out.append(line.text)
            previous = line
        out.append("")
    return "\n".join(out)
