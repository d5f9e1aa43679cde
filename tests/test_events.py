"""The events plugin: /events/, the per-event .ics files and the /events.ics feed."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import html5lib
import pytest
from icalendar import Calendar

from helpers import SITE_TOML, build, item

ROOT = Path(__file__).resolve().parent.parent
BRUSSELS = ZoneInfo("Europe/Brussels")
BASE = "https://example.org/gazette/"
NOW = datetime(2020, 12, 1, 10, 0, tzinfo=UTC)  # 11:00 in Brussels
SITE = SITE_TOML.replace('timezone = "UTC"', 'timezone = "Europe/Brussels"')
EVENTS = SITE + "[plugins.events]\n"
REGISTER = "https://register.example.com/form"


def tree(html: str | bytes):
    return html5lib.parse(html, namespaceHTMLElements=False)


def event(title: str, start: str, end: str | None = None, **fields: str | None) -> str:
    values: dict[str, str | None] = {
        "title": f'"{title}"',
        "kind": "event",
        "start": start,
        "end": end,
        "online": "true",
        "registration": REGISTER,
        "summary": f'"About {title}."',
    }
    values.update(fields)
    return item(**values)


def files_of(events: dict[str, str], site: str = EVENTS) -> dict[str, str]:
    return {
        "site.toml": site,
        **{f"content/items/{slug}.md": text for slug, text in events.items()},
    }


def build_events(tmp_path: Path, events: dict[str, str], site: str = EVENTS, **options):
    options.setdefault("now", NOW)
    options.setdefault("base_url", BASE)
    return build(tmp_path, files_of(events, site), **options)


def group(page, name: str) -> list[str]:
    """Titles listed under the heading with id ``name``, in page order."""
    section = page.find(f".//section[@aria-labelledby='{name}']")
    return [a.text for a in section.findall(".//li/article/h3/a")]


def details(entry) -> dict[str, object]:
    """The <dl class="event"> of an entry: {dt text: dd element}."""
    dl = entry.find(".//dl[@class='event']")
    terms = [dt.text for dt in dl.findall("dt")]
    return dict(zip(terms, dl.findall("dd"), strict=True))


def entry_of(page, title: str):
    for article in page.findall(".//ol[@class='event-list']/li/article"):
        if article.find("h3/a").text == title:
            return article
    raise AssertionError(f"no entry {title!r}")


def text(element) -> str:
    return " ".join("".join(element.itertext()).split())


def vevents(data: bytes) -> dict[str, object]:
    """The VEVENTs of an .ics file, by SUMMARY."""
    calendar = Calendar.from_ical(data)
    return {str(e.get("summary")): e for e in calendar.walk("VEVENT")}


SPLIT = {
    "past-talk": event("Past talk", "2020-11-12T09:30:00+01:00", "2020-11-12T10:30:00+01:00"),
    "ended": event("Ended a minute ago", "2020-12-01T09:00:00+01:00", "2020-12-01T10:59:00+01:00"),
    "ends-now": event("Ends now", "2020-12-01T10:00:00+01:00", "2020-12-01T11:00:00+01:00"),
    "live": event("Live now", "2020-12-01T10:30:00+01:00", "2020-12-01T12:00:00+01:00"),
    "starts-now": event("Starts now", "2020-12-01T11:00:00+01:00"),
    "started": event("Started without end", "2020-12-01T10:59:00+01:00"),
    "today": event("All day today", "2020-12-01"),
    "yesterday": event("Two days until yesterday", "2020-11-29", "2020-11-30"),
    "spring": event(
        "Spring conference",
        "2021-03-10T09:00:00",
        "2021-03-11T17:00:00",
        online=None,
        location='"Brussels, Square"',
    ),
}


def test_upcoming_and_past_split_around_a_pinned_now(tmp_path):
    result = build_events(tmp_path, SPLIT)
    page = tree(result.files["/events/"])
    assert group(page, "upcoming-events") == [
        "All day today",  # the whole of today, from midnight
        "Ends now",  # end == now counts as upcoming
        "Live now",
        "Starts now",  # no end: its start == now
        "Spring conference",
    ]
    assert group(page, "past-events") == [
        "Started without end",  # no end and its start is a minute ago
        "Ended a minute ago",
        "Two days until yesterday",
        "Past talk",
    ]
    live = entry_of(page, "Live now").find("h3/span[@class='badge']")
    assert live is not None and live.text == "In progress"
    assert entry_of(page, "Spring conference").find("h3/span") is None
    meta = page.find(".//header/p[@class='meta']/time")
    assert meta.get("datetime") == NOW.isoformat()


def test_the_split_follows_now(tmp_path):
    later = NOW + timedelta(hours=1, seconds=1)  # 12:00:01 in Brussels
    page = tree(build_events(tmp_path, SPLIT, now=later).files["/events/"])
    assert group(page, "upcoming-events") == ["All day today", "Spring conference"]
    next_day = datetime(2020, 12, 1, 23, 0, tzinfo=UTC)  # midnight in Brussels
    page = tree(build_events(tmp_path / "b", SPLIT, now=next_day).files["/events/"])
    assert group(page, "upcoming-events") == ["Spring conference"]


def test_entries_show_time_zone_place_registration_and_ics(tmp_path):
    page = tree(build_events(tmp_path, SPLIT).files["/events/"])
    online = details(entry_of(page, "Live now"))
    times = online["When"].findall("time")
    assert [t.get("datetime") for t in times] == [
        "2020-12-01T10:30:00+01:00",
        "2020-12-01T12:00:00+01:00",
    ]
    assert text(online["When"]) == "1 December 2020, 10:30 – 12:00 Europe/Brussels (UTC+01:00)"
    assert text(online["Where"]) == "Online"
    assert online["Registration"].find("a").get("href") == REGISTER
    ics = online["Calendar"].find("a")
    assert ics.get("href") == "/gazette/events/live.ics"
    assert ics.get("type") == "text/calendar"
    assert entry_of(page, "Live now").find("h3/a").get("href") == "/gazette/items/live/"

    venue = details(entry_of(page, "Spring conference"))
    assert text(venue["Where"]) == "Brussels, Square"
    assert text(venue["When"]) == (
        "10 March 2021, 09:00 – 11 March 2021, 17:00 Europe/Brussels (UTC+01:00)"
    )
    all_day = details(entry_of(page, "Two days until yesterday"))
    assert [t.get("datetime") for t in all_day["When"].findall("time")] == [
        "2020-11-29",
        "2020-11-30",
    ]
    assert text(all_day["When"]) == "29 November 2020 – 30 November 2020 (all day)"


def test_location_and_online_together_and_no_registration(tmp_path):
    events = {
        "hybrid": event("Hybrid", "2021-01-05T14:00:00+01:00", location='"Beijing, CNIS"'),
        "open": event("Open", "2021-01-06T14:00:00+01:00", registration=None),
    }
    result = build_events(tmp_path, events)
    page = tree(result.files["/events/"])
    assert text(details(entry_of(page, "Hybrid"))["Where"]) == "Beijing, CNIS, and online"
    assert "Registration" not in details(entry_of(page, "Open"))
    assert str(vevents(result.files["/events.ics"])["Hybrid"]["location"]) == "Beijing, CNIS"


def test_empty_groups_are_left_out_and_the_menu_waits_for_an_event(tmp_path):
    empty = build_events(tmp_path, {})
    page = tree(empty.files["/events/"])
    assert page.findall(".//main//section") == []
    assert text(page.find(".//header/p[@class='meta']")).startswith("No events as of")
    assert "Events" not in [a.text for a in page.findall(".//nav[@aria-label='Site']//a")]
    assert Calendar.from_ical(empty.files["/events.ics"]).walk("VEVENT") == []

    page = tree(build_events(tmp_path / "one", {"past-talk": SPLIT["past-talk"]}).files["/"])
    nav = {a.text: a.get("href") for a in page.findall(".//nav[@aria-label='Site']//a")}
    assert nav["Events"] == "/gazette/events/"


def test_the_page_links_to_the_feed(tmp_path):
    page = tree(build_events(tmp_path, {"live": SPLIT["live"]}).files["/events/"])
    alternate = page.find(".//head/link[@rel='alternate']")
    assert (alternate.get("type"), alternate.get("href")) == (
        "text/calendar",
        "/gazette/events.ics",
    )
    assert page.find(".//header//code").text == BASE + "events.ics"


@pytest.mark.parametrize("slug", sorted(SPLIT))
def test_each_ics_parses_back_with_every_field(tmp_path, slug):
    result = build_events(tmp_path, SPLIT)
    calendar = Calendar.from_ical(result.files[f"/events/{slug}.ics"])
    assert str(calendar["prodid"]).startswith("-//Gazette//")
    assert str(calendar["version"]) == "2.0"
    assert "X-WR-CALNAME" not in calendar  # a single event, not a calendar to subscribe to
    (vevent,) = calendar.walk("VEVENT")
    parsed = result.site.item_by_slug[slug]
    assert str(vevent["uid"]) == f"{slug}@example.org"
    assert str(vevent["summary"]) == parsed.title
    registration = parsed.event.registration
    expected = parsed.summary + (f"\n\nRegistration: {registration}" if registration else "")
    assert str(vevent["description"]) == expected
    assert str(vevent["url"]) == f"{BASE}items/{slug}/"
    assert str(vevent["location"]) == (parsed.event.location or "Online")
    assert vevent.decoded("dtstamp") == datetime(2020, 8, 1, tzinfo=BRUSSELS).astimezone(UTC)
    start = vevent.decoded("dtstart")
    if slug in ("today", "yesterday"):  # all day: dates, DTEND exclusive
        assert start == parsed.event.start.date()
        last = (parsed.event.end or parsed.event.start).date()
        assert vevent.decoded("dtend") == last + timedelta(days=1)
        assert "TZID" not in vevent["dtstart"].params
        return
    assert vevent["dtstart"].params["TZID"] == "Europe/Brussels"
    assert start == parsed.event.start and start.utcoffset() == timedelta(hours=1)
    assert start.tzinfo.tzname(start) == "CET"
    if parsed.event.end:
        assert vevent["dtend"].params["TZID"] == "Europe/Brussels"
        assert vevent.decoded("dtend") == parsed.event.end
    else:
        assert "dtend" not in vevent
    (vtimezone,) = calendar.walk("VTIMEZONE")
    assert str(vtimezone["tzid"]) == "Europe/Brussels"
    assert not calendar.get_missing_tzids()


def test_feed_holds_every_listed_event_in_order(tmp_path):
    result = build_events(tmp_path, SPLIT)
    calendar = Calendar.from_ical(result.files["/events.ics"])
    assert str(calendar["x-wr-calname"]) == "Test Gazette"
    assert str(calendar["method"]) == "PUBLISH"
    events = calendar.walk("VEVENT")
    assert sorted(str(e["uid"]) for e in events) == sorted(f"{s}@example.org" for s in SPLIT)
    starts = [e.decoded("dtstart") for e in events]
    as_datetimes = [
        s if isinstance(s, datetime) else datetime.combine(s, datetime.min.time(), BRUSSELS)
        for s in starts
    ]
    assert as_datetimes == sorted(as_datetimes)
    spring = vevents(result.files["/events.ics"])["Spring conference"]
    assert spring.decoded("dtstart") == datetime(2021, 3, 10, 9, tzinfo=BRUSSELS)
    assert str(spring["url"]) == f"{BASE}items/spring/"
    assert [str(tz["tzid"]) for tz in calendar.walk("VTIMEZONE")] == ["Europe/Brussels"]
    assert not calendar.get_missing_tzids()


def test_offsets_take_a_named_zone_when_one_matches(tmp_path):
    events = {
        "beijing": event("Beijing", "2021-01-05T14:00:00+08:00", "2021-01-05T16:00:00+08:00"),
        "delhi": event("Delhi", "2021-01-06T14:00:00+05:30"),
        "zulu": event("Zulu", "2021-01-07T14:00:00Z"),
        "local": event("Local", "2021-01-08T14:00:00"),
    }
    site = EVENTS + 'timezones = ["Asia/Shanghai"]\n'
    result = build_events(tmp_path, events, site=site)
    feed = vevents(result.files["/events.ics"])
    expected = {
        "Beijing": ("Asia/Shanghai", timedelta(hours=8)),
        "Delhi": ("UTC+0530", timedelta(hours=5, minutes=30)),
        "Local": ("Europe/Brussels", timedelta(hours=1)),
    }
    for title, (tzid, offset) in expected.items():
        start = feed[title]["dtstart"]
        assert start.params["TZID"] == tzid
        assert feed[title].decoded("dtstart").utcoffset() == offset
    assert "TZID" not in feed["Zulu"]["dtstart"].params  # UTC is written with Z
    assert feed["Zulu"].decoded("dtstart") == datetime(2021, 1, 7, 14, tzinfo=UTC)
    calendar = Calendar.from_ical(result.files["/events.ics"])
    tzids = [str(tz["tzid"]) for tz in calendar.walk("VTIMEZONE")]
    assert tzids == ["Asia/Shanghai", "Europe/Brussels", "UTC+0530"]
    assert not calendar.get_missing_tzids()

    page = tree(result.files["/events/"])
    assert text(details(entry_of(page, "Delhi"))["When"]).endswith("UTC+05:30")
    assert text(details(entry_of(page, "Zulu"))["When"]).endswith(" UTC")
    assert text(details(entry_of(page, "Beijing"))["When"]).endswith("Asia/Shanghai (UTC+08:00)")

    without = build_events(tmp_path / "default", events)
    beijing = vevents(without.files["/events.ics"])["Beijing"]
    assert beijing["dtstart"].params["TZID"] == "UTC+0800"
    assert beijing.decoded("dtstart") == datetime(2021, 1, 5, 6, tzinfo=UTC)


def test_an_unknown_time_zone_option_is_reported(tmp_path):
    from gazette.diagnostics import ContentError

    with pytest.raises(ContentError, match="unknown time zone 'Mars/Olympus'"):
        build_events(tmp_path, {}, site=EVENTS + 'timezones = ["Mars/Olympus"]\n')


def test_updated_gives_the_dtstamp(tmp_path):
    events = {"live": event("Live now", "2020-12-01T10:30:00+01:00", updated="2020-09-15")}
    vevent = vevents(build_events(tmp_path, events).files["/events/live.ics"])["Live now"]
    assert vevent.decoded("dtstamp") == datetime(2020, 9, 15, tzinfo=BRUSSELS).astimezone(UTC)


def test_two_builds_give_identical_bytes(tmp_path):
    first = build_events(tmp_path / "a", SPLIT)
    second = build_events(tmp_path / "b", SPLIT)
    ours = [url for url in first.files if url.startswith("/events")]
    assert len(ours) == len(SPLIT) + 2
    assert all(first.files[url] == second.files[url] for url in ours)


SCRIPT = """
import sys
from datetime import datetime
from pathlib import Path
from gazette.model import BuildOptions
from gazette.pipeline import BuildRequest, build_site
now = datetime.fromisoformat(sys.argv[2])
request = BuildRequest(Path(sys.argv[1]), BuildOptions(now=now), write=False, workers=1)
sys.stdout.buffer.write(build_site(request).files["/events.ics"])
"""


def test_the_feed_does_not_depend_on_the_hash_seed(tmp_path):
    events = {
        "beijing": event("Beijing", "2021-01-05T14:00:00+08:00"),
        "delhi": event("Delhi", "2021-01-06T14:00:00+05:30"),
        "local": event("Local", "2021-01-08T14:00:00"),
        "ny": event("New York", "2021-01-09T14:00:00-05:00"),
    }
    site = EVENTS + 'timezones = ["Asia/Shanghai", "America/New_York"]\n'
    build_events(tmp_path, events, site=site)  # writes the project
    outputs = []
    for seed in ("1", "2"):  # two seeds that iterate a set of these zone names differently
        env = {**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": str(ROOT)}
        run = subprocess.run(
            [sys.executable, "-c", SCRIPT, str(tmp_path), NOW.isoformat()],
            env=env,
            capture_output=True,
            check=True,
        )
        outputs.append(run.stdout)
    assert outputs[0] == outputs[1]
    assert outputs[0].count(b"BEGIN:VTIMEZONE") == 4


def test_a_draft_event_appears_nowhere(tmp_path):
    events = {
        "live": SPLIT["live"],
        "secret": event("Secret meeting", "2020-12-02T10:00:00+01:00", draft="true"),
    }
    result = build_events(tmp_path, events)
    assert not [url for url in result.files if "secret" in url]
    for url in ("/events/", "/events.ics", "/"):
        assert b"Secret meeting" not in result.files[url]
        assert b"secret" not in result.files[url]

    # With --drafts its page and its own .ics are built, but it is never listed.
    drafts = build_events(tmp_path / "drafts", events, drafts=True)
    assert "/items/secret/" in drafts.files and "/events/secret.ics" in drafts.files
    assert b"Secret meeting" not in drafts.files["/events/"]
    assert b"Secret meeting" not in drafts.files["/events.ics"]


def test_a_scheduled_event_is_not_listed_even_with_future(tmp_path):
    events = {"later": event("Announced later", "2021-05-01T10:00:00+01:00", date="2021-01-01")}
    normal = build_events(tmp_path, events)
    assert "/events/later.ics" not in normal.files
    future = build_events(tmp_path / "future", events, future=True)
    assert "/events/later.ics" in future.files
    assert b"Announced later" not in future.files["/events/"]
    assert b"Announced later" not in future.files["/events.ics"]


ITEM_OVERRIDE = (
    '{% extends "base.html" %}\n{% block main %}\n<h1>{{ item.title }}</h1>\n'
    '{% include "_event_details.html" %}\n{% endblock %}\n'
)


def test_the_fragment_on_an_item_page(tmp_path):
    events = {"live": SPLIT["live"], "news": item(title='"Plain news"')}
    files = {**files_of(events), "theme/templates/item.html": ITEM_OVERRIDE}
    result = build(tmp_path, files, now=NOW, base_url=BASE)
    page = tree(result.files["/items/live/"])
    found = details(page.find(".//main"))
    assert list(found) == ["When", "Where", "Registration", "Calendar"]
    assert found["When"].find("time").get("datetime") == "2020-12-01T10:30:00+01:00"
    assert found["Calendar"].find("a").get("href") == "/gazette/events/live.ics"
    assert tree(result.files["/items/news/"]).find(".//dl") is None

    # Without the plugin the fragment still shows the details, without the .ics link.
    files["site.toml"] = SITE
    plain = build(tmp_path / "plain", files, now=NOW, base_url=BASE)
    found = details(tree(plain.files["/items/live/"]).find(".//main"))
    assert list(found) == ["When", "Where", "Registration"]
    assert text(found["Where"]) == "Online"
    assert not [url for url in plain.files if url.startswith("/events")]


def test_markup_in_titles_is_escaped(tmp_path):
    events = {"x": event("<b>Bold</b> & co", "2021-01-05T14:00:00+01:00", location='"<i>Hall</i>"')}
    result = build_events(tmp_path, events)
    page = result.files["/events/"].decode()
    assert "<b>Bold" not in page and "<i>Hall" not in page
    assert "&lt;b&gt;Bold&lt;/b&gt; &amp; co" in page
    assert (
        str(vevents(result.files["/events.ics"])["<b>Bold</b> & co"]["location"]) == "<i>Hall</i>"
    )


def test_the_sample_archive(tmp_path):
    shutil.copytree(ROOT / "content", tmp_path / "content")
    shutil.copy(ROOT / "site.toml", tmp_path / "site.toml")  # enables events, Brussels time
    from gazette.model import BuildOptions
    from gazette.pipeline import BuildRequest, build_site

    now = datetime(2020, 11, 20, tzinfo=UTC)
    request = BuildRequest(tmp_path, BuildOptions(now=now), write=False, workers=1)
    result = build_site(request)
    page = tree(result.files["/events/"])
    assert [t.split(":")[0] for t in group(page, "upcoming-events")] == [
        "SESEC IV Online Event 19",
        "SESEC IV Online Event 20",
    ]
    assert [t.split(":")[0] for t in group(page, "past-events")] == ["SESEC IV Online Event 18"]
    feed = Calendar.from_ical(result.files["/events.ics"])
    events = {str(e["uid"]).split("@")[0]: e for e in feed.walk("VEVENT")}
    assert len(events) == 3
    webinar = events["sesec-online-event-19-industrial-internet"]
    assert webinar["dtstart"].params["TZID"] == "Europe/Brussels"
    assert webinar.decoded("dtstart") == datetime(2020, 12, 1, 9, 30, tzinfo=BRUSSELS)
    assert webinar.decoded("dtend") == datetime(2020, 12, 1, 10, 30, tzinfo=BRUSSELS)
    assert str(webinar["location"]) == "Online"
    assert str(webinar["uid"]) == "sesec-online-event-19-industrial-internet@localhost"
    assert str(webinar["url"]) == (
        "http://localhost:8000/items/sesec-online-event-19-industrial-internet/"
    )
    for slug in events:
        single = Calendar.from_ical(result.files[f"/events/{slug}.ics"])
        assert [str(e["uid"]) for e in single.walk("VEVENT")] == [str(events[slug]["uid"])]
    assert (
        date(2020, 12, 8)
        == events["sesec-online-event-20-ccc-introduction"].decoded("dtstart").date()
    )


KEPT = """
import sys
from datetime import datetime
from pathlib import Path
from gazette.model import BuildOptions
from gazette.pipeline import BuildRequest, build_site
request = BuildRequest(
    Path(sys.argv[1]),
    BuildOptions(now=datetime.fromisoformat(sys.argv[2])),
    base_url=sys.argv[3],
    write=False,
    workers=1,
)
files = build_site(request).files
print("icalendar" in sys.modules, len([url for url in files if url.endswith(".ics")]))
"""


def test_kept_calendars_skip_icalendar_and_follow_every_change(tmp_path):
    """The .ics files come from the plugin cache when nothing they are made of changed
    (without importing icalendar, in another process); any change makes them again."""
    events = {
        "live": event("Live now", "2020-12-01T10:30:00+01:00", "2020-12-01T12:00:00+01:00"),
        "beijing": event("Beijing", "2021-01-05T14:00:00+08:00"),
        "today": event("All day today", "2020-12-01"),
    }
    site = EVENTS + 'timezones = ["Asia/Shanghai"]\n'
    project = tmp_path / "kept"
    first = build_events(project, events, site=site)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    run = subprocess.run(
        [sys.executable, "-c", KEPT, str(project), NOW.isoformat(), BASE],
        env=env,
        capture_output=True,
        check=True,
        text=True,
    )
    assert run.stdout.split() == ["False", "4"]  # the feed and three events, all kept

    def ics(result) -> dict[str, bytes]:
        return {url: data for url, data in result.files.items() if url.endswith(".ics")}

    changes = [
        ("beijing", event("Beijing, moved", "2021-01-05T15:00:00+08:00"), site),
        ("today", event("All day today", "2020-12-01", location='"Hall B"'), site),
        ("live", event("Live now", "2020-12-01T10:30:00+01:00", summary='"Other."'), site),
        ("live", event("Live now", "2020-12-01T10:30:00+01:00", summary='"Other."'), EVENTS),
    ]
    before = ics(first)
    for n, (slug, text, site_now) in enumerate(changes):
        events = {**events, slug: text}
        again = ics(build_events(project, events, site=site_now))
        scratch = ics(build_events(tmp_path / f"scratch-{n}", events, site=site_now))
        assert again == scratch, n
        assert again != before, n
        before = again
