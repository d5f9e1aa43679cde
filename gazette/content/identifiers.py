"""Standard identifiers and committee designations in prose: what they are, where.

``find(text)`` returns every ``Ref`` in a plain text, leftmost first, never
overlapping. A ``Ref`` is either a **standard** (``GB/T 35273-2020``: the
standard ``GB/T 35273``, edition ``2020``) or a **committee** (``SAC/TC28
SC42``, ``TC28/SC42`` and ``SAC/TC 28/SC 42`` are all ``SAC/TC 28/SC 42``).
Editions collapse into one standard and spelling variants into one key, so a
page per key gathers every mention.

Recognised (one regular expression, alternatives tried at each position):

- Chinese national standards ``GB``, ``GB/T``, ``GB/Z`` and sector standards
  with ``/T`` or ``/Z`` (``YD/T``, ``JB/T``, ``SJ/T`` ... from a fixed list of
  sector codes), with or without a space, a part (``20234.1``) and a year after
  a hyphen or an en dash (``-2020``, ``–2017``, old two-digit ``-80``); the
  informal spelling without the slash (``GBT 4754``, ``YDT 1234``) is the same
  standard;
- international ``ISO``, ``IEC``, ``ISO/IEC`` (also ``ISO/IEC/IEEE``, ``EN
  ISO``), optionally ``TR``/``TS``/``PAS``, with parts (``30145-3``) and a
  year after a colon (``:2020``); ITU recommendations ``ITU-T Y.4464`` (and a
  bare ``Y.4464`` in a text that names ITU-T); European ``EN 301 549``;
- committees: Chinese technical committees and subcommittees (``SAC/TC260``,
  ``TC260``, ``TC28/SC42``, ``SAC/TC28 SC42``: a bare ``TC`` number is SAC's),
  ``ISO/IEC JTC 1`` with its ``SC``/``WG``, ``ISO/TC 215``, ``IEC TC 57``,
  ``CEN/TC 250``, ``CENELEC TC 59X``, ``CEN/CENELEC JTC 21`` and ITU-T study
  groups (``ITU-T SG20``, ``ITU-T Study Group 20``).

Precision matters more than recall, so a candidate is dropped when:

- it is glued to other text (``XGB/T 1``, ``/GB 123``, ``16GB``) or follows a
  number (``16 GB 2020`` is memory and a year);
- its number runs on as a figure or a version (``GB 2,021``, ``GB 1.2.3``) or
  has a part after a hyphen that is not a year (``GB 010-6855``);
- it has no part and no edition and its number is short (``GB 12``, ``EN 50``)
  or looks like a year (``ISO 2030``, ``GB 2019``), or, for ISO, is a film
  speed (``ISO 400``).

Where a hyphen is followed by letters (``ISO 9001-certified``) the standard
is still found: only digits make a part.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

# Sector codes of Chinese industry standards (only with /T or /Z, for precision).
SECTORS = (
    "AQ BB CB CH CJ CY DA DL DZ EJ FZ GA GH GM GY HB HG HJ HS HY JB JC JG JR JT JY LB "
    "LD LS LY MH MT MZ NB NY QB QC QJ SB SC SH SJ SL SN SY TB TD TY WB WH WJ WM WS WW "
    "XB YB YC YD YS YY YZ"
).split()
FILM_SPEEDS = frozenset(
    "50 64 80 100 125 160 200 250 320 400 500 640 800 1000 1250 1600 2000 2500 3200 "
    "4000 5000 6400 12800 25600".split()
)

_DASH = r"\s?[-\u2013]\s?"
_SEP = r"\s?/\s?|\s"  # between a TC and its SC: a slash (spaces allowed) or one space
_PATTERN = rf"""
(?<![\w/.\-])
(?:
  (?<!\d\s)(?P<cn>(?:GB(?:\s?/\s?[TZ]|[TZ])?|(?:{"|".join(SECTORS)})(?:\s?/\s?[TZ]|[TZ])))
    \s?(?P<cn_num>\d{{1,5}}(?:\.\d{{1,3}})?)
    (?:{_DASH}(?P<cn_year>\d+))?
| (?P<iso>EN\sISO/IEC|EN\sISO|EN\sIEC|ISO/IEC/IEEE|ISO/IEC|ISO/IEEE|IEC/IEEE|ISO|IEC)
    (?:\s(?P<iso_type>TR|TS|PAS|Guide))?
    \s(?P<iso_num>\d{{2,5}})(?P<iso_part>(?:-\d{{1,3}}){{0,2}})
    (?::(?P<iso_year>\d{{4}}))?
| (?P<jtc>(?:ISO/IEC\s)?JTC\s?1)(?:(?:{_SEP})(?P<jtc_kind>SC|WG)\s?(?P<jtc_n>\d{{1,3}}))?
| (?P<org>CEN/CENELEC|CEN-CENELEC|CENELEC|CEN|ISO|IEC)\s?/?\s?(?P<org_kind>JTC|TC)
    \s?(?P<org_n>\d{{1,3}}[A-Z]?)(?:(?:{_SEP})SC\s?(?P<org_sc>\d{{1,3}}[A-Z]?))?
| ITU-(?P<itu>[TR])\s(?:(?:Study\sGroup|SG)\s?(?P<itu_sg>\d{{1,2}})
    |(?:Rec(?:ommendation)?\.?\s)?(?P<itu_series>[A-Z]{{1,2}})\.(?P<itu_num>\d{{1,4}}(?:\.\d{{1,2}})?))
| (?:ETSI\s)?EN\s(?P<en_num>\d{{3}}\s\d{{3}}|\d{{3,5}})(?P<en_part>(?:-\d{{1,3}}){{0,2}})
    (?::(?P<en_year>\d{{4}}))?
| (?:SAC\s?/\s?)?TC\s?(?P<tc>\d{{1,3}})(?:(?:{_SEP})SC\s?(?P<sc>\d{{1,3}}))?
| (?P<bare_series>[A-Z])\.(?P<bare_num>\d{{2,4}})
)
(?![\w]|[.,]\d|\.\w)
"""
_RE = re.compile(_PATTERN, re.VERBOSE)
# Every identifier starts with two capitals or a capital, a dot and a digit. Scanning
# for those first and trying the full expression only there is ten times faster
# than letting the full expression scan (most text holds no identifier at all).
_ANCHOR = re.compile(r"[A-Z](?:[A-Z]|\.\d)")
_ITU_CONTEXT = re.compile(r"\bITU-T\b")

STANDARD_FAMILIES = (
    ("cn-national", "Chinese national standards"),
    ("cn-sector", "Chinese sector standards"),
    ("international", "ISO and IEC standards"),
    ("itu", "ITU recommendations"),
    ("european", "European standards"),
)
COMMITTEE_FAMILIES = (
    ("sac", "Chinese technical committees (SAC)"),
    ("international", "ISO and IEC committees"),
    ("european", "European committees (CEN, CENELEC)"),
    ("itu", "ITU study groups"),
)


@dataclass(frozen=True)
class Ref:
    """One mention: what it names (``key``), in which edition, and where it is."""

    kind: str  # "standard" or "committee"
    key: str  # canonical, without edition: "GB/T 35273", "SAC/TC 28/SC 42"
    family: str  # an id of STANDARD_FAMILIES or COMMITTEE_FAMILIES
    edition: str  # "2020", or "" when none is written
    text: str  # as written
    start: int
    end: int

    @property
    def slug(self) -> str:
        return slug_of(self.key, self.kind)

    @property
    def designation(self) -> str:
        """The key with its edition, as a canonical citation: ``GB/T 35273-2020``."""
        if not self.edition:
            return self.key
        joiner = "-" if self.family.startswith("cn") else ":"
        return f"{self.key}{joiner}{self.edition}"


def slug_of(key: str, kind: str) -> str:
    """``GB/T 35273`` → ``gb-t-35273``; ``SAC/TC 28/SC 42`` → ``sac-tc28-sc42``."""
    text = key.lower()
    if kind == "committee":
        text = re.sub(r"\b(tc|sc|wg|jtc|sg)\s(\d)", r"\1\2", text)
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")


def _year(raw: str | None) -> str | None:
    """A 4-digit year 1950–2039, or an old two-digit one (``80`` → ``1980``); else None."""
    if not raw:
        return ""
    if len(raw) == 4 and 1950 <= int(raw) <= 2039:
        return raw
    if len(raw) == 2 and int(raw) >= 50:
        return "19" + raw
    return None


def _year_like(number: str) -> bool:
    return len(number) == 4 and number[:2] in ("19", "20")


def _short_or_year(number: str, minimum: int = 3) -> bool:
    digits = number.split(".")[0]
    return len(digits) < minimum or _year_like(number)


def _chinese(m: re.Match[str]) -> tuple[str, str, str] | None:
    prefix = re.sub(r"\s", "", m["cn"])
    if "/" not in prefix and prefix[-1] in "TZ" and prefix != "GB":  # GBT 4754 is GB/T 4754
        prefix = f"{prefix[:-1]}/{prefix[-1]}"
    number, year = m["cn_num"], _year(m["cn_year"])
    if year is None:
        return None
    if not year and "." not in number and _short_or_year(number):
        return None
    family = "cn-national" if prefix.startswith("GB") else "cn-sector"
    return f"{prefix} {number}", family, year


def _international(m: re.Match[str]) -> tuple[str, str, str] | None:
    org, number, part = m["iso"], m["iso_num"], m["iso_part"]
    year = m["iso_year"] or ""
    if year and _year(year) is None:
        return None
    bare = not part and not year
    if bare and (_short_or_year(number) or (org == "ISO" and number in FILM_SPEEDS)):
        return None
    kind = f" {m['iso_type']}" if m["iso_type"] else ""
    family = "european" if org.startswith("EN") else "international"
    return f"{org}{kind} {number}{part}", family, year


def _european(m: re.Match[str]) -> tuple[str, str, str] | None:
    number, part, year = m["en_num"], m["en_part"], m["en_year"] or ""
    if year and _year(year) is None:
        return None
    if not part and not year and _year_like(number):
        return None
    return f"EN {number}{part}", "european", year


def _committee(m: re.Match[str]) -> tuple[str, str] | None:
    if m["jtc"]:
        kind = m["jtc_kind"]
        return ("ISO/IEC JTC 1" + (f"/{kind} {m['jtc_n']}" if kind else "")), "international"
    if m["org"]:
        org = {"CEN-CENELEC": "CEN/CENELEC"}.get(m["org"], m["org"])
        joiner = " " if "/" in org else "/"  # CEN/CENELEC JTC 21, CEN/TC 250
        key = f"{org}{joiner}{m['org_kind']} {m['org_n']}"
        key += f"/SC {m['org_sc']}" if m["org_sc"] else ""
        return key, "european" if org.startswith("CEN") else "international"
    if m["itu_sg"]:
        return f"ITU-{m['itu']} SG {int(m['itu_sg'])}", "itu"
    key = f"SAC/TC {int(m['tc'])}" + (f"/SC {int(m['sc'])}" if m["sc"] else "")
    return key, "sac"


def _resolve(m: re.Match[str], itu_context: bool) -> tuple[str, str, str, str] | None:
    """(kind, key, family, edition) of a candidate, or None when it is dropped."""
    if m["cn"]:
        found = _chinese(m)
    elif m["iso"]:
        found = _international(m)
    elif m["en_num"]:
        found = _european(m)
    elif m["itu_series"]:
        found = f"ITU-{m['itu']} {m['itu_series']}.{m['itu_num']}", "itu", ""
    elif m["bare_series"]:
        if not itu_context:
            return None
        found = f"ITU-T {m['bare_series']}.{m['bare_num']}", "itu", ""
    else:
        committee = _committee(m)
        return ("committee", *committee, "") if committee else None
    return ("standard", *found) if found else None


def find(text: str) -> list[Ref]:
    """Every standard and committee mentioned in ``text``, in order."""
    if not text:
        return []
    itu_context = bool(_ITU_CONTEXT.search(text))
    return find_in(text, itu_context)


def find_in(text: str, itu_context: bool) -> list[Ref]:
    """``find`` with the ITU context given (for texts cut into pieces, like a body)."""
    refs = []
    done = 0  # matches never overlap: like finditer, go on after the last one
    for anchor in _ANCHOR.finditer(text):
        if anchor.start() < done:
            continue
        m = _RE.match(text, anchor.start())
        if m is None:
            continue
        done = m.end()
        resolved = _resolve(m, itu_context)
        if resolved is not None:
            kind, key, family, edition = resolved
            refs.append(Ref(kind, key, family, edition, m.group(), m.start(), m.end()))
    return refs


@lru_cache(maxsize=4096)
def parse_key(text: str) -> Ref | None:
    """The one identifier that is the whole of ``text`` (a ``standards.yml`` key), or None."""
    refs = find_in(text.strip(), itu_context=True)
    return refs[0] if len(refs) == 1 and refs[0].text == text.strip() else None
