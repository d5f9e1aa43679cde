"""Read ``site.toml`` into a frozen ``Config``.

Unknown keys are errors with a "did you mean", named by their key path, and all
of them are reported at once (exit code 2). Plugin options are checked later by
each plugin's own schema (``plugins.py``), since only the plugin knows them.
"""

from __future__ import annotations

import re
import tomllib
from types import MappingProxyType
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from gazette.diagnostics import Diagnostic, error
from gazette.content.fields import did_you_mean
from gazette.model import Config, PluginSpec, Section, SiteInfo
from gazette.output.urls import SLUG

SITE_KEYS = ("title", "description", "base_url", "language", "timezone", "about", "domain")
SECTION_KEYS = ("id", "title", "description")
TOP_KEYS = ("site", "sections", "plugins")
_TOML_POSITION = re.compile(r"\(at line (\d+), column (\d+)\)")
# A host name such as news.example.org: labels of letters, digits and inner hyphens.
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_DOMAIN = re.compile(rf"(?=.{{1,253}}$)(?:{_LABEL}\.)+{_LABEL}")


def _line_of(text: str, needle: str) -> int:
    """Best-effort line of a key or table header, since tomllib gives no positions."""
    for number, line in enumerate(text.split("\n"), 1):
        if re.match(rf"\s*\[*\s*{re.escape(needle)}\b", line):
            return number
    return 0


def _plugin_spec(text: str, name: str, options: dict) -> PluginSpec:
    header = _line_of(text, f"plugins.{name}")
    lines = text.split("\n")
    option_lines = {}
    for key in options:
        for number in range(header, len(lines)):
            if re.match(rf"\s*{re.escape(key)}\s*=", lines[number]):
                option_lines[key] = number + 1
                break
    return PluginSpec(name, MappingProxyType(dict(options)), header, MappingProxyType(option_lines))


def _unknown(path: str, text: str, where: str, keys: Any, known: tuple[str, ...]) -> list:
    problems = []
    for key in keys:
        if key not in known:
            guess = did_you_mean(key, known)
            fix = f"did you mean '{guess[0]}'?" if guess else f"known keys are {', '.join(known)}"
            name = f"{where}.{key}" if where else key
            problems.append(
                error(path, _line_of(text, key), "config-unknown-key", f"unknown key '{name}'", fix)
            )
    return problems


def parse_config(text: str, path: str = "site.toml") -> tuple[Config | None, list[Diagnostic]]:
    """Parse site.toml text. Returns the config, or None with diagnostics."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        match = _TOML_POSITION.search(str(exc))
        line, col = (int(match.group(1)), int(match.group(2))) if match else (0, 0)
        message = _TOML_POSITION.sub("", str(exc)).strip()
        return None, [
            error(path, line, "config-syntax", f"invalid TOML: {message}", "see toml.io", col=col)
        ]
    problems = _unknown(path, text, "", data, TOP_KEYS)
    site = data.get("site", {})
    problems += _unknown(path, text, "site", site, SITE_KEYS)
    for key in ("title", "base_url"):
        if not isinstance(site.get(key), str) or not site.get(key, "").strip():
            problems.append(
                error(
                    path,
                    _line_of(text, "site"),
                    "config-missing",
                    f"site.{key} is required",
                    f'add {key} = "..." under [site]',
                )
            )
    base_url = site.get("base_url", "")
    if (
        isinstance(base_url, str)
        and base_url
        and urlsplit(base_url).scheme not in ("http", "https")
    ):
        problems.append(
            error(
                path,
                _line_of(text, "base_url"),
                "config-base-url",
                f"site.base_url must start with http:// or https://, not {base_url!r}",
                'e.g. base_url = "https://user.github.io/repo/"',
            )
        )
    timezone = site.get("timezone", "UTC")
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        problems.append(
            error(
                path,
                _line_of(text, "timezone"),
                "config-timezone",
                f"site.timezone {timezone!r} is not a known time zone",
                'use an IANA name such as "Asia/Shanghai" or "UTC"',
            )
        )
    domain = site.get("domain", "")
    if domain != "" and (not isinstance(domain, str) or not _DOMAIN.fullmatch(domain.lower())):
        problems.append(
            error(
                path,
                _line_of(text, "domain"),
                "config-domain",
                f"site.domain must be a host name, not {domain!r}",
                'e.g. domain = "news.example.org", without https:// or a path',
            )
        )
    sections = []
    seen: set[str] = set()
    for number, raw in enumerate(data.get("sections", []), 1):
        where = f"sections[{number}]"
        problems += _unknown(path, text, where, raw, SECTION_KEYS)
        section_id = raw.get("id", "")
        if not isinstance(section_id, str) or not SLUG.fullmatch(section_id):
            problems.append(
                error(
                    path,
                    _line_of(text, "id"),
                    "config-section",
                    f"{where}.id must be lowercase letters, digits and hyphens, not {section_id!r}",
                    'e.g. id = "energy-environment"',
                )
            )
            continue
        if section_id in seen:
            problems.append(
                error(path, 0, "config-section", f"section id {section_id!r} is listed twice")
            )
        seen.add(section_id)
        title = raw.get("title") or section_id
        sections.append(Section(section_id, str(title), str(raw.get("description", ""))))
    if not sections:
        problems.append(
            error(
                path,
                0,
                "config-section",
                "no sections are defined",
                'add [[sections]] tables with id = "..." and title = "..."',
            )
        )
    plugins = data.get("plugins", {})
    specs = tuple(
        _plugin_spec(text, name, options)
        for name, options in plugins.items()
        if isinstance(options, dict)
    )
    if problems:
        return None, problems
    info = SiteInfo(
        title=site["title"],
        base_url=base_url if base_url.endswith("/") else base_url + "/",
        description=str(site.get("description", "")),
        language=str(site.get("language", "en")),
        timezone=timezone,
        about=str(site.get("about", "")).strip(),
        domain=domain.lower(),
    )
    return Config(info, tuple(sections), specs, path), []
