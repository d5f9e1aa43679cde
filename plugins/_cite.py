"""How to cite an item: a plain-text citation, a BibTeX entry and a CSL-JSON item.

The item plugin (``items.py``) shows the citation in the page's "Cite this
item" block, with the two entries as ``data:`` links that the browser saves
under the item's slug (``download="<slug>.bib"``). They are not files beside
the page: at 10,000 items two files per item were 20,000 more files to write
and deploy (42,873 instead of 22,873) and 25 MB more at the build's peak, for
a few hundred bytes each that the page can carry (about 0.4 KB gzipped). All
three are pure functions of the item, its issue, the site's settings and the
item's absolute URL.

- BibTeX: one ``@online`` entry (biblatex's type for web pages; classic BibTeX
  styles read an unknown type as ``@misc``) with ``title``, ``organization``
  (the site), ``date``, ``year``, ``month``, ``url`` and the issue in
  ``note``. No ``urldate``: a build must not depend on the day it runs. The
  characters BibTeX and LaTeX treat specially are escaped in text fields (and
  TeX's ligatures such as "--" kept apart), the title is braced so that styles
  keep its capitals, and the file is UTF-8.
- CSL-JSON (the input format of citeproc, Zotero, Pandoc): an array holding one
  ``article-newspaper`` item, written with the standard library's ``json``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import quote

from gazette.model import Issue, Item, SiteInfo

CSL_TYPE = "article-newspaper"
MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
# Each character that BibTeX or LaTeX reads as markup, and how to write it as text.
_SPECIAL = {
    "\\": r"\textbackslash{}",
    "{": r"\{",
    "}": r"\}",
    "$": r"\$",
    "&": r"\&",
    "%": r"\%",
    "#": r"\#",
    "_": r"\_",
    "^": r"\textasciicircum{}",
    "~": r"\textasciitilde{}",
}
_SPECIAL_RE = re.compile("|".join(re.escape(c) for c in _SPECIAL))
# TeX joins "--" into a dash, "``" and "''" into quotes, "!`" and "?`" into ¡ and ¿:
# "{}" between the two characters keeps them as written.
_LIGATURE = re.compile(r"([-`'])(?=\1)|([!?])(?=`)")
_SPACES = re.compile(r"\s+")


def _words(text: str) -> str:
    """Text on one line: BibTeX reads a blank line inside a field as a paragraph."""
    return _SPACES.sub(" ", text).strip()


def bibtex_text(text: str) -> str:
    """``text`` as the value of a BibTeX text field, every special character escaped."""
    escaped = _SPECIAL_RE.sub(lambda m: _SPECIAL[m.group()], _words(text))
    return _LIGATURE.sub(lambda m: m.group() + "{}", escaped)


def bibtex_url(url: str) -> str:
    """A URL as a BibTeX ``url`` field, which is read verbatim: only the characters
    that would end the field or break LaTeX's ``\\url`` are percent-encoded."""
    return quote(url, safe="".join(chr(c) for c in range(33, 127) if chr(c) not in '{}\\"'))


def long_date(day: date) -> str:
    return f"{day.day} {day:%B} {day.year}"


def issue_label(issue: Issue) -> str:
    return f"{issue.title} (no. {issue.number})"


def citation(item: Item, issue: Issue, site: SiteInfo, url: str) -> str:
    """The plain-text citation: site, “title”, issue and number, date, URL."""
    title = _words(item.title)
    stop = "" if title.endswith((".", "?", "!")) else "."
    return f"{site.title}. “{title}{stop}” {issue_label(issue)}, {long_date(item.date)}. {url}"


def bibtex(item: Item, issue: Issue, site: SiteInfo, url: str) -> str:
    """One ``@online`` entry keyed by the item's slug (letters, digits and hyphens)."""
    fields = (
        ("title", "{" + bibtex_text(item.title) + "}"),
        ("organization", bibtex_text(site.title)),
        ("date", item.date.isoformat()),
        ("year", str(item.date.year)),
        ("month", MONTHS[item.date.month - 1]),
        ("url", bibtex_url(url)),
        ("note", bibtex_text(issue_label(issue))),
    )
    width = max(len(name) for name, _ in fields)
    lines = [
        f"  {name.ljust(width)} = {value if name == 'month' else '{' + value + '}'},"
        for name, value in fields
    ]
    return "\n".join([f"@online{{{item.slug},", *lines, "}"]) + "\n"


def csl_json(item: Item, issue: Issue, site: SiteInfo, url: str) -> str:
    """A CSL-JSON array with the item, keys in a fixed order."""
    entry: dict[str, Any] = {
        "id": item.slug,
        "type": CSL_TYPE,
        "title": _words(item.title),
        "container-title": site.title,
        "publisher": site.title,
        "issue": str(issue.number),
        "issued": {"date-parts": [[item.date.year, item.date.month, item.date.day]]},
        "URL": url,
        "language": site.language,
    }
    if item.summary:
        entry["abstract"] = _words(item.summary)
    return json.dumps([entry], ensure_ascii=False, indent=2) + "\n"


BIBTEX_TYPE = "application/x-bibtex"
CSL_JSON_TYPE = "application/vnd.citationstyles.csl+json"


def data_url(text: str, media_type: str) -> str:
    """``text`` as a ``data:`` URL (UTF-8, percent-encoded: no space or quote is
    left for an HTML attribute or a URL checker to trip on)."""
    return f"data:{media_type};charset=utf-8,{quote(text, safe='')}"


@dataclass(frozen=True)
class Citation:
    """What "Cite this item" shows, made when the page renders.

    The page's context holds this (references to the item, its issue and the
    site's settings, which the build digests anyway), not the texts: at 10,000
    items the two percent-encoded entries were 27 MB of strings held by every
    page's context until it rendered. Each text is a pure function of the fields,
    so equal fields mean an equal page.
    """

    item: Item
    issue: Issue
    site: SiteInfo
    url: str  # the item's absolute URL

    @property
    def text(self) -> str:
        return citation(self.item, self.issue, self.site, self.url)

    @property
    def bibtex_href(self) -> str:
        return data_url(bibtex(self.item, self.issue, self.site, self.url), BIBTEX_TYPE)

    @property
    def csl_json_href(self) -> str:
        text = csl_json(self.item, self.issue, self.site, self.url)
        return data_url(text, CSL_JSON_TYPE)
