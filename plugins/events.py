"""Event pages and iCalendar files for items with ``kind: event``.

Pages and files:

- ``/events/``: the events split into "Upcoming" (soonest first) and "Past" (most
  recent first) relative to the build time (``site.options.now``, set by
  ``--now``). An event is upcoming while its end, or its start when it has no
  end, is at or after the build time; an all-day event stays upcoming until its
  last day is over in its time zone. Each entry shows the title, the start and
  end with their time zone, the place (a location, online, or both), the
  registration link (upcoming events only: registration is over for a past
  one, here and on its item page) and the event's ``.ics`` file. A group with
  no event is left out; the line under the heading says once that there is no
  upcoming event. The page links to the feed.
- ``/events/<slug>.ics``: one calendar file per event, to add it to a calendar.
- ``/events.ics``: a calendar feed of every listed event, to subscribe to.

Drafts and scheduled items are never listed on ``/events/`` or in
``/events.ics``, even when ``--drafts`` or ``--future`` let their pages be
built; those still get their own ``.ics`` so that the link on their page works.

The ``.ics`` files are written with the icalendar library and depend only on the
content and the build options: ``DTSTAMP`` comes from the item's ``updated`` or
``date``, never from the clock, and time zones are written in a fixed order.

Time zones: a time written with a numeric offset (``09:30:00+01:00``) is given
the first named zone of the ``timezones`` option, then the site's time zone,
whose offset at that moment is the same; otherwise it keeps a fixed offset,
written as a ``VTIMEZONE`` named like ``UTC+0100``. A time written without an
offset is in the site's time zone. Times in UTC are written with ``Z``.

A ``start`` written as a date (``2020-11-12``), with an ``end`` that is a date
or absent, is an all-day event; ``end`` is then the last day, inclusive. (The
core reads a date as midnight in the site's time zone, so a midnight start
written without an offset is taken as a date too.)

``link`` returns an ``EventIndex``: templates call ``view(item)`` for the
details of one event (``_event_details.html`` on the item page).
"""

from __future__ import annotations

import hashlib
import zoneinfo
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from gazette.diagnostics import ContentError, error
from gazette.model import Item, Site
from gazette.output.urls import Urls
from gazette.plugin_cache import PluginCache, code_digest
from gazette.plugins import MenuEntry, Option, Page, StaticFile, spec_origin

if TYPE_CHECKING:
    from icalendar import Event as VEvent
    from icalendar import Timezone

OPTIONS = {
    "timezones": Option(
        list,
        (),
        'named time zones for event times written with an offset, e.g. ["Europe/Brussels"]',
    ),
}

INDEX_URL = "/events/"
FEED_URL = "/events.ics"
PRODID = "-//Gazette//Gazette events//{lang}"
CALENDARS_SLOT = "calendars"  # the .ics files of the last build (`calendars`)


@dataclass(frozen=True)
class EventView:
    """One event, with its times in the zone it is shown and written in."""

    item: Item
    start: datetime  # in ``zone``; midnight of the first day for an all-day event
    end: datetime | None  # in ``zone``; midnight of the last day for an all-day event
    zone: tzinfo
    all_day: bool
    listed: bool  # on /events/ and in /events.ics (not a draft or scheduled item)
    # Over at the build time (no longer upcoming): its page shows no registration
    # link. A field rather than a method of the time, so that an item page, which
    # records this view as it reads it, renders again exactly when the event ends.
    past: bool = False

    @property
    def slug(self) -> str:
        return self.item.slug

    @property
    def ics(self) -> str:
        return f"/events/{self.item.slug}.ics"

    @property
    def tzid(self) -> str:
        """The zone's name: ``Europe/Brussels``, ``UTC+0100`` or ``UTC``."""
        return zone_name(self.zone)

    @property
    def location(self) -> str:
        return self.item.event.location if self.item.event else ""

    @property
    def online(self) -> bool:
        return bool(self.item.event and self.item.event.online)

    @property
    def registration(self) -> str:
        return self.item.event.registration if self.item.event else ""

    @property
    def place(self) -> str:
        """LOCATION for calendars: the location, or "Online"."""
        return self.location or "Online"

    @property
    def first_day(self) -> date:
        return self.start.date()

    @property
    def last_day(self) -> date:
        return (self.end or self.start).date()

    def upcoming(self, now: datetime) -> bool:
        if self.all_day:
            return self.last_day >= now.astimezone(self.zone).date()
        return (self.end or self.start) >= now

    def in_progress(self, now: datetime) -> bool:
        return self.start <= now and self.upcoming(now)

    # What templates show: ISO values for <time datetime>, and readable text.

    @property
    def start_iso(self) -> str:
        return self.first_day.isoformat() if self.all_day else self.start.isoformat()

    @property
    def end_iso(self) -> str:
        if self.end is None:
            return ""
        return self.last_day.isoformat() if self.all_day else self.end.isoformat()

    @property
    def start_text(self) -> str:
        if self.all_day:
            return long_date(self.first_day)
        return f"{long_date(self.first_day)}, {self.start:%H:%M}"

    @property
    def end_text(self) -> str:
        """The end, without its date when the event ends on the day it starts."""
        if self.end is None or (self.all_day and self.last_day == self.first_day):
            return ""
        if self.all_day:
            return long_date(self.last_day)
        if self.end.date() == self.start.date():
            return f"{self.end:%H:%M}"
        return f"{long_date(self.end.date())}, {self.end:%H:%M}"

    @property
    def zone_text(self) -> str:
        """``Europe/Brussels (UTC+01:00)``, ``UTC+01:00``, ``UTC``; all day: empty."""
        if self.all_day:
            return ""
        name = zone_name(self.zone)
        offset = offset_text(self.start.utcoffset())
        same = self.end is None or self.end.utcoffset() == self.start.utcoffset()
        if isinstance(self.zone, ZoneInfo) and name != "UTC":
            return f"{name} ({offset})" if same else name
        return offset if name != "UTC" else "UTC"


@dataclass(frozen=True)
class EventIndex:
    events: tuple[EventView, ...]  # every event of the build, newest item first
    by_slug: Mapping[str, EventView]

    def view(self, item: Item) -> EventView | None:
        """The event details of an item, or None when it is not an event."""
        return self.by_slug.get(item.slug)

    @property
    def listed(self) -> tuple[EventView, ...]:
        return tuple(event for event in self.events if event.listed)


def long_date(day: date) -> str:
    return f"{day.day} {day:%B} {day.year}"


def offset_text(offset: timedelta | None) -> str:
    """``UTC+01:00``, ``UTC-03:30``, ``UTC``."""
    minutes = int((offset or timedelta()).total_seconds() // 60)
    if minutes == 0:
        return "UTC"
    sign = "+" if minutes > 0 else "-"
    return f"UTC{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def zone_name(zone: tzinfo) -> str:
    if isinstance(zone, ZoneInfo):
        return "UTC" if zone.key in ("UTC", "Etc/UTC", "Etc/Zulu", "Zulu") else zone.key
    return zone.tzname(None) or "UTC"


def fixed_zone(offset: timedelta) -> tzinfo:
    """A fixed-offset zone named without a colon (``UTC+0100``), for a plain TZID."""
    if not offset:
        return UTC
    return timezone(offset, offset_text(offset).replace(":", ""))


def zones(site: Site, names: Iterable[str]) -> tuple[ZoneInfo, ...]:
    """The named zones to try for times written with an offset; bad names exit."""
    found = []
    for name in (*names, site.config.site.timezone):
        try:
            found.append(ZoneInfo(str(name)))
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ContentError(
                [
                    error(
                        site.config.path,
                        0,
                        "plugin-option",
                        f"plugins.events.timezones: unknown time zone {name!r}",
                        'use IANA names such as "Europe/Brussels"',
                    )
                ]
            ) from exc
    return tuple(dict.fromkeys(found))


def pick_zone(start: datetime, end: datetime | None, candidates: Iterable[ZoneInfo]) -> tzinfo:
    """The zone an event is shown and written in."""
    if isinstance(start.tzinfo, ZoneInfo):
        return start.tzinfo
    moments = [m for m in (start, end) if m is not None]
    for zone in candidates:
        if all(m.astimezone(zone).utcoffset() == m.utcoffset() for m in moments):
            return zone
    return fixed_zone(start.utcoffset() or timedelta())


def is_all_day(start: datetime, end: datetime | None) -> bool:
    """A date-only start: midnight in a named zone (how the core reads a date)."""
    return all(
        isinstance(m.tzinfo, ZoneInfo) and m.timetz().replace(tzinfo=None) == time()
        for m in (start, end)
        if m is not None
    )


def make_view(item: Item, candidates: tuple[ZoneInfo, ...], now: datetime) -> EventView | None:
    event = item.event
    if item.kind != "event" or event is None:
        return None
    zone = pick_zone(event.start, event.end, candidates)
    end = event.end.astimezone(zone) if event.end else None
    view = EventView(
        item=item,
        start=event.start.astimezone(zone),
        end=end,
        zone=zone,
        all_day=is_all_day(event.start, event.end),
        listed=not item.draft and item.published <= now,
    )
    return replace(view, past=not view.upcoming(now))


def build_index(site: Site, timezones: Iterable[str] = ()) -> EventIndex:
    candidates = zones(site, timezones)
    now = site.options.now
    views = (make_view(item, candidates, now) for item in site.items)
    events = tuple(view for view in views if view is not None)
    return EventIndex(events, MappingProxyType({view.slug: view for view in events}))


def split(events: Iterable[EventView], now: datetime) -> tuple[list, list]:
    """Upcoming (soonest first) and past (most recent first) events."""
    events = list(events)
    upcoming = sorted(
        (e for e in events if e.upcoming(now)), key=lambda e: (e.start, e.last_day, e.slug)
    )
    past = sorted(
        (e for e in events if not e.upcoming(now)),
        key=lambda e: (e.start, e.last_day, e.slug),
        reverse=True,
    )
    return upcoming, past


# iCalendar


def stamp(item: Item, site_zone: tzinfo) -> datetime:
    """DTSTAMP from the content: the day it was updated, or its publication time."""
    if item.updated:
        return datetime.combine(item.updated, time(), site_zone).astimezone(UTC)
    return item.published.astimezone(UTC)


def vevent(view: EventView, urls: Urls, host: str, site_zone: tzinfo) -> VEvent:
    from icalendar import Event

    item = view.item
    event = Event()
    event.add("uid", f"{item.slug}@{host}")
    event.add("dtstamp", stamp(item, site_zone))
    if view.all_day:
        event.add("dtstart", view.first_day)
        event.add("dtend", view.last_day + timedelta(days=1))  # exclusive in iCalendar
    else:
        event.add("dtstart", view.start)
        if view.end is not None:
            event.add("dtend", view.end)
    event.add("summary", item.title)
    registration = item.event.registration if item.event else ""
    details = [item.summary, f"Registration: {registration}" if registration else ""]
    if any(details):
        event.add("description", "\n\n".join(part for part in details if part))
    event.add("location", view.place)
    event.add("url", urls.absolute(item.url))
    return event


def vtimezone(zone: tzinfo, first: date, last: date) -> Timezone | None:
    """The VTIMEZONE of a zone for the years of the events; None for UTC."""
    from icalendar import Timezone, TimezoneStandard

    name = zone_name(zone)
    if name == "UTC":
        return None
    if isinstance(zone, ZoneInfo):
        return Timezone.from_tzinfo(zone, tzid=name, first_date=first, last_date=last)
    offset = zone.utcoffset(None) or timedelta()
    component = Timezone()
    component.add("tzid", name)
    standard = TimezoneStandard()
    standard.add("dtstart", datetime(1970, 1, 1))
    standard.add("tzoffsetfrom", offset)
    standard.add("tzoffsetto", offset)
    standard.add("tzname", name)
    component.add_component(standard)
    return component


def calendar(
    views: Iterable[EventView], site: Site, urls: Urls, *, name: str | None = None
) -> bytes:
    """An iCalendar file of ``views``: VTIMEZONEs sorted by name, then the events."""
    from icalendar import Calendar

    views = list(views)
    info = site.config.site
    cal = Calendar()
    cal.add("prodid", PRODID.format(lang=(info.language or "en").upper()))
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    if name:
        cal.calendar_name = name
    timed = [view for view in views if not view.all_day]
    if timed:
        years = [m.year for view in timed for m in (view.start, view.end) if m is not None]
        first, last = date(min(years), 1, 1), date(max(years) + 1, 1, 1)
        by_name = {view.tzid: view.zone for view in timed}
        for tzid in sorted(by_name):
            component = vtimezone(by_name[tzid], first, last)
            if component is not None:
                cal.add_component(component)
    host = urlsplit(info.base_url).hostname or "gazette"
    site_zone = ZoneInfo(info.timezone)
    for view in views:
        cal.add_component(vevent(view, urls, host, site_zone))
    missing = cal.get_missing_tzids()
    if missing:
        raise ValueError(f"no VTIMEZONE for {', '.join(sorted(missing))}")
    return cal.to_ical()


def calendars(
    wanted: Mapping[str, tuple[list[EventView], str | None]],
    site: Site,
    urls: Urls,
    cache: PluginCache | None,
) -> dict[str, bytes]:
    """``calendar(views, site, urls, name=name)`` for each ``{url: (views, name)}``.

    Kept in the plugin cache under a digest of everything a calendar is made
    from: the views (each with its whole item), the names, the site's language,
    address and time zone, the absolute URLs, this file, the icalendar release and
    the time-zone data of every zone involved. A build whose calendars are all
    kept does not import icalendar (a tenth of a second or more).
    """

    def make() -> dict[str, bytes]:
        return {url: calendar(vs, site, urls, name=name) for url, (vs, name) in wanted.items()}

    if cache is None:
        return make()
    info = site.config.site
    zones = {info.timezone} | {zone_name(v.zone) for views, _ in wanted.values() for v in views}
    made_of = repr(
        (
            PRODID,
            code_digest(__file__),
            _icalendar_release(),
            (info.language, info.base_url, info.timezone),
            [(zone, _zone_data(zone)) for zone in sorted(zones)],
            [
                (url, name, [(view, urls.absolute(view.item.url)) for view in views])
                for url, (views, name) in wanted.items()
            ],
        )
    )
    key = hashlib.blake2b(made_of.encode(), digest_size=16).hexdigest()
    kept = cache.load(CALENDARS_SLOT, key)
    if kept is not None and kept.keys() == {_file_name(url) for url in wanted}:
        return {url: kept[_file_name(url)] for url in wanted}
    made = make()
    cache.store(CALENDARS_SLOT, key, {_file_name(url): data for url, data in made.items()})
    return made


def _file_name(url: str) -> str:
    return url.lstrip("/")


def _icalendar_release() -> str:
    """icalendar's ``_version.py``, read without importing the library."""
    return _beside("icalendar", "_version.py").read_text() if spec_origin("icalendar") else ""


def _beside(package: str, name: str) -> Path:
    """File ``name`` in ``package``'s folder (`spec_origin`: the package is not imported)."""
    return Path(spec_origin(package)).parent / name


def _zone_data(name: str) -> str:
    """A digest of the TZif data ``zoneinfo`` reads for ``name`` ("" for a fixed offset).

    It looks where ``zoneinfo`` looks: ``zoneinfo.TZPATH``, then the tzdata package.
    """
    candidates = [Path(folder) / name for folder in zoneinfo.TZPATH]
    if spec_origin("tzdata"):
        candidates.append(_beside("tzdata", "zoneinfo") / name)
    for path in candidates:
        try:
            return hashlib.blake2b(path.read_bytes(), digest_size=16).hexdigest()
        except OSError:
            continue
    return ""


# Hooks


def link(site: Site, *, options: Mapping[str, Any], **kwargs: Any) -> EventIndex:
    """Runs after loading: every event with its resolved zone, for templates."""
    return build_index(site, options["timezones"])


def expires(site: Site, *, name: str, **kwargs: Any) -> datetime | None:
    """The next moment an event starts or ends: the events page and badges change then."""
    index: EventIndex = site.data[name]
    now = site.options.now
    moments = [moment for view in index.events for moment in flips(view) if moment > now]
    return min(moments, default=None)


def flips(view: EventView) -> tuple[datetime, ...]:
    """When ``in_progress`` and ``upcoming`` change for ``view`` (see ``EventView``)."""
    if view.all_day:
        after = datetime.combine(view.last_day + timedelta(days=1), time(), view.zone)
        return view.start, after
    return view.start, (view.end or view.start) + timedelta(microseconds=1)


def menu(site: Site, *, name: str, **kwargs: Any) -> list[MenuEntry]:
    """An "Events" entry when there is at least one listed event."""
    index: EventIndex = site.data[name]
    return [MenuEntry("Events", INDEX_URL, weight=50)] if index.listed else []


def outputs(site: Site, *, name: str, urls: Urls, **kwargs: Any) -> Iterator[Page | StaticFile]:
    """Runs in the render stage: /events/, /events.ics and one .ics per event."""
    index: EventIndex = site.data[name]
    now = site.options.now
    upcoming, past = split(index.listed, now)
    title = site.config.site.title
    yield Page(
        url=INDEX_URL,
        template="events.html",
        context={
            "upcoming": upcoming,
            "past": past,
            "now": now,
            "feed": FEED_URL,
            "title": "Events",
            "description": f"Upcoming and past events of {title}",
        },
    )
    chronological = sorted(index.listed, key=lambda e: (e.start, e.slug))
    wanted = {FEED_URL: (chronological, title)}
    wanted.update((view.ics, ([view], None)) for view in index.events)
    made = calendars(wanted, site, urls, kwargs.get("cache"))
    yield StaticFile(FEED_URL, made[FEED_URL])
    for view in index.events:
        yield StaticFile(view.ics, made[view.ics], source=view.item.path)
