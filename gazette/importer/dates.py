"""Dates written out in an issue's text: ``30 July 2020`` and ``December 6, 2021``."""

from __future__ import annotations

import re
from datetime import date

MONTHS = {
    m.lower(): n
    for n, m in enumerate(
        [
            "January",
            "February",
            "March",
            "April",
            "May",
            "June",
            "July",
            "August",
            "September",
            "October",
            "November",
            "December",
        ],
        1,
    )
}
_MONTH = "|".join(m.title() for m in MONTHS)
_DATE = re.compile(rf"\b(\d{{1,2}})\s+({_MONTH}),?\s+(\d{{4}})\b")
_US_DATE = re.compile(rf"\b({_MONTH})\s+(\d{{1,2}}),\s+(\d{{4}})\b")


def dates_in(text: str) -> list[date]:
    """Full dates written out (``30 July 2020``, ``December 6, 2021``), in text order."""
    found = []
    matches = [(m.start(), m.group(1), m.group(2), m.group(3)) for m in _DATE.finditer(text)]
    matches += [(m.start(), m.group(2), m.group(1), m.group(3)) for m in _US_DATE.finditer(text)]
    for _, day, month, year in sorted(matches):
        try:
            found.append(date(int(year), MONTHS[month.lower()], int(day)))
        except ValueError:
            continue
    return found


def first_date(text: str, around: date | None) -> date | None:
    """The first date of ``text`` within four months of ``around`` (any, when None)."""
    for found in dates_in(text):
        if around is None or abs((found - around).days) <= 122:
            return found
    return None
