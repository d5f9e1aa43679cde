"""Events of an imported issue: their times in the zone the text names, and the
known tags their text mentions (an event of the annex has no hashtag line)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from gazette.importer.dates import first_date
from gazette.importer.layout import RawEvent
from gazette.model import Vocabulary

ZONES = {
    "brussels": "Europe/Brussels",
    "paris": "Europe/Paris",
    "berlin": "Europe/Berlin",
    "cet": "Europe/Brussels",
    "cest": "Europe/Brussels",
    "beijing": "Asia/Shanghai",
    "china": "Asia/Shanghai",
    "shanghai": "Asia/Shanghai",
    "london": "Europe/London",
    "gmt": "Etc/UTC",
    "utc": "Etc/UTC",
    "geneva": "Europe/Zurich",
}


def mentioned_tags(text: str, vocabulary: Vocabulary, most: int = 3) -> list[str]:
    """Known tags whose name or alias the text uses as a word (an event has no hashtags)."""
    found: list[str] = []
    for tag in vocabulary.tags:
        for spelling in (tag.name, *tag.aliases):
            flags = 0 if len(spelling) <= 4 else re.IGNORECASE
            if re.search(rf"(?<![\w-]){re.escape(spelling)}(?![\w-])", text, flags):
                found.append(tag.name)
                break
    return found[:most]


def event_times(raw: RawEvent, default_zone: str) -> tuple[str, str]:
    """ISO start and end of an event from text such as
    ``9:30- 10:30 am Brussels time, Tuesday, 1 December 2020``."""
    day = first_date(raw.when, None)
    if day is None:
        return "", ""
    zone_name = next(
        (ZONES[w] for w in re.findall(r"[A-Za-z]+", raw.when.lower()) if w in ZONES),
        default_zone,
    )
    times = re.findall(r"(\d{1,2})(?::(\d{2}))?\s*(am|pm)?", raw.when.split(",")[0], re.I)
    times = [t for t in times if t[0]]
    if not times:
        return day.isoformat(), ""
    meridiem = next((t[2].lower() for t in reversed(times) if t[2]), "")
    zone = ZoneInfo(zone_name)

    def moment(hour: str, minute: str) -> datetime:
        value = int(hour) % 12 + (12 if meridiem == "pm" else 0) if meridiem else int(hour)
        return datetime(day.year, day.month, day.day, value, int(minute or 0), tzinfo=zone)

    start = moment(*times[0][:2])
    end = moment(*times[1][:2]) if len(times) > 1 else None
    if end is not None and end <= start:
        end += timedelta(hours=12)
    return start.isoformat(), end.isoformat() if end else ""
