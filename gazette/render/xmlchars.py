"""Characters that XML 1.0 forbids or that HTML treats as errors, in one pattern.

Feeds, the sitemap and the OPML file are XML: one such character anywhere makes
the whole file ill-formed for every reader. They can reach Gazette's output
even though content files are checked for raw control characters: through
YAML escapes in front matter (``"\\e"``, ``"\\a"``, ``"\\uFFFE"``) and
through numeric character references in Markdown (``&#27;``).

- In YAML values (front matter, ``tags.yml``, ``glossary.yml``) they are an
  error with file:line (``gazette.content.yamlstrict``).
- In rendered bodies they are replaced by U+FFFD, the replacement character
  (``replace_not_in_xml``), as HTML parsers do with most of them.

The set: C0 controls but tab, newline and carriage return; DEL and the C1
controls (U+007F to U+009F); lone surrogates; and the noncharacters U+FDD0 to
U+FDEF and the last two code points of every plane (U+FFFE, U+FFFF,
U+1FFFE, ...).
"""

from __future__ import annotations

import re

NOT_IN_XML = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufdd0-\ufdef\ufffe\uffff"
    + "".join(
        chr(plane * 0x10000 + 0xFFFE) + chr(plane * 0x10000 + 0xFFFF) for plane in range(1, 17)
    )
    + "]"
)
REPLACEMENT = "\ufffd"


def replace_not_in_xml(text: str) -> str:
    """``text`` with each character of ``NOT_IN_XML`` replaced by U+FFFD."""
    return NOT_IN_XML.sub(REPLACEMENT, text)
