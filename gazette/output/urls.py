"""Slugs and URLs: the one place that knows the base path.

Every internal link is built with ``Urls.url`` so that a project page under
``/<repo>/`` works as well as a site at a domain root.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cached_property
from urllib.parse import quote, urlsplit

_NOT_SLUG = re.compile(r"[^a-z0-9]+")
SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_DOT_SEGMENTS = frozenset(("", ".", ".."))  # segments that could leave the output folder


def slugify(text: str) -> str:
    """NFC-normalise, fold accents to ASCII, and keep ``[a-z0-9-]``."""
    text = unicodedata.normalize("NFC", text)
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return _NOT_SLUG.sub("-", ascii_text.lower()).strip("-")


def output_path(url: str) -> str:
    """The file, relative to the output root, that serves a site-relative URL.

    Raises ValueError for anything that could escape the output directory.
    """
    if not url.startswith("/") or "\\" in url or "\x00" in url or "%" in url or "//" in url:
        raise ValueError(f"unsafe URL {url!r}")
    path = url.strip("/")
    if path and _DOT_SEGMENTS.intersection(path.split("/")):
        raise ValueError(f"unsafe URL {url!r}")
    if url.endswith("/"):
        return f"{path}/index.html" if path else "index.html"
    return path


@dataclass(frozen=True)
class Urls:
    """Builds links from site-relative URLs (``/items/x/``) and the base URL."""

    base_url: str

    @cached_property
    def base_path(self) -> str:
        path = urlsplit(self.base_url).path or "/"
        return path if path.endswith("/") else path + "/"

    def url(self, path: str) -> str:
        """A root-relative link carrying the base path: ``/repo/items/x/``."""
        if "://" in path or path.startswith(("mailto:", "#")):
            return path
        return self.base_path + quote(path.lstrip("/"), safe="/#?=&.-_~")

    def absolute(self, path: str) -> str:
        """An absolute URL for feeds, sitemaps and canonical links."""
        root = self.base_url if self.base_url.endswith("/") else self.base_url + "/"
        return root + quote(path.lstrip("/"), safe="/#?=&.-_~")
