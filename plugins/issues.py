"""Issue pages at ``/issues/<id>/`` and the list of issues at ``/issues/``.

An issue page shows its number, date or period and a link to the original PDF
(``pdf:``), the intro and takeaways (the issue file's body), a table of
contents by section, then its items grouped by section in the order that
``site.toml`` lists sections, and within a section in the editor's ``order``
(items without one follow, by date, then file name), and links to the previous
and next issue. ``/issues/`` lists every issue grouped by year, newest first,
with item counts.
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import groupby
from typing import Any

from gazette.model import Issue, Site
from gazette.plugins import MenuEntry, Page

OPTIONS: dict = {}


def menu(site: Site, **kwargs: Any) -> list[MenuEntry]:
    """Runs after link: the "Issues" entry of the site navigation."""
    return [MenuEntry("Issues", "/issues/", weight=10)]


def by_year(issues: tuple[Issue, ...]) -> tuple[tuple[int, tuple[Issue, ...]], ...]:
    """Issues (newest first) grouped by the year of their date, newest year first."""
    return tuple((year, tuple(group)) for year, group in groupby(issues, key=lambda i: i.date.year))


def outputs(site: Site, **kwargs: Any) -> Iterator[Page]:
    """Runs in the render stage: one page per issue, and the issue list."""
    issues = site.issues
    counts = {issue.id: len(site.items_by_issue.get(issue.id, ())) for issue in issues}
    for index, issue in enumerate(issues):
        yield Page(
            url=issue.url,
            template="issue.html",
            context={
                "issue": issue,
                "sections": site.issue_sections(issue.id),
                "newer": issues[index - 1] if index > 0 else None,
                "older": issues[index + 1] if index + 1 < len(issues) else None,
                "title": issue.title,
                "description": f"{issue.period or issue.date}: {counts[issue.id]} items",
            },
            source=issue.path,
        )
    yield Page(
        url="/issues/",
        template="issues.html",
        context={
            "issues": issues,
            "years": by_year(issues),
            "counts": counts,
            "title": "All issues",
            "description": f"Every issue of {site.config.site.title}",
        },
    )
