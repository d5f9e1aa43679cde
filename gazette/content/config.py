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

from gazette.content.fields import did_you_mean
from gazette.diagnostics import Diagnostic, error
from gazette.model import Config, PluginSpec, Section, SiteInfo
from gazette.output.urls import SLUG
from gazette.render.xmlchars import NOT_IN_XML

SITE_KEYS = ("title", "description", "base_url", "language", "timezone", "about", "domain")
SECTION_KEYS = ("id", "title", "description")
TOP_KEYS = ("site", "sections", "plugins", "check")
CHECK_KEYS = ("vague_sources",)  # [check]: content checks a project may turn off
_TOML_POSITION = re.compile(r"\(at line (\d+), column (\d+)\)")
# A host name such as news.example.org: labels of letters, digits and inner hyphens.
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_DOMAIN = re.compile(rf"(?=.{{1,253}}$)(?:{_LABEL}\.)+{_LABEL}")
# A well-formed BCP 47 language tag (RFC 5646, without extensions): language,
# optional script, region and variants, e.g. "en", "zh-Hans-CN", "de-CH-1996".
# It ends up in HTML, feeds and the search tool's file names, so nothing else passes.
BCP47 = re.compile(
    r"[A-Za-z]{2,3}(?:-[A-Za-z]{3}){0,3}(?:-[A-Za-z]{4})?(?:-(?:[A-Za-z]{2}|[0-9]{3}))?"
    r"(?:-(?:[A-Za-z0-9]{5,8}|[0-9][A-Za-z0-9]{3}))*"
)


def _typed(path: str, text: str, where: str, value: Any, kind: type, example: str) -> list:
    """An error when ``value`` (at key path ``where``) is not a ``kind``."""
    if isinstance(value, kind):
        return []
    names = {dict: "a table", list: "an array", str: "a string", bool: "true or false"}
    return [
        error(
            path,
            _line_of(text, where.rsplit(".", 1)[-1].split("[")[0]),
            "config-type",
            f"{where} must be {names.get(kind, kind.__name__)}, not {type(value).__name__} "
            f"{value!r}"[:200],
            f"e.g. {example}",
        )
    ]


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


def _table(
    path: str, text: str, data: dict, name: str, keys: tuple[str, ...], kind: type, example: str
) -> tuple[dict, list]:
    """The table ``[name]`` (empty when it is missing or not a table), with errors for
    its unknown keys and for values that are not a ``kind``."""
    table = data.get(name, {})
    problems = _typed(path, text, name, table, dict, example)
    table = table if isinstance(table, dict) else {}
    problems += _unknown(path, text, name, table, keys)
    value = '"..."' if kind is str else "false"
    for key in keys:
        if key in table:
            problems += _typed(path, text, f"{name}.{key}", table[key], kind, f"{key} = {value}")
    return table, problems


def _forbidden_characters(path: str, text: str, where: str, value: Any) -> list:
    """Errors for strings (keys and values, at any depth) holding characters that XML
    forbids: TOML escapes such as "\\b" or "\\uFFFE" make them, and feeds would break."""
    if isinstance(value, dict):
        found = []
        for key, inner in value.items():
            name = f"{where}.{key}" if where else str(key)
            found += _forbidden_characters(path, text, name, key)
            found += _forbidden_characters(path, text, name, inner)
        return found
    if isinstance(value, list):
        return [
            p
            for n, inner in enumerate(value)
            for p in _forbidden_characters(path, text, f"{where}[{n}]", inner)
        ]
    if isinstance(value, str) and (bad := NOT_IN_XML.search(value)):
        return [
            error(
                path,
                _line_of(text, where.rsplit(".", 1)[-1].split("[")[0]),
                "config-character",
                f"{where} holds the character U+{ord(bad.group()):04X}, which feeds and web "
                "pages cannot carry",
                "remove the escape (such as \\b or \\uFFFE) or the character",
            )
        ]
    return []


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
    problems += _forbidden_characters(path, text, "", data)
    if problems:
        return None, problems
    site, found = _table(path, text, data, "site", SITE_KEYS, str, '[site] with title = "..."')
    problems += found
    wrong = {k for k, v in site.items() if not isinstance(v, str)}  # reported above
    site = {k: v for k, v in site.items() if k not in wrong}
    language = site.get("language", "en")
    if not BCP47.fullmatch(language):
        problems.append(
            error(
                path,
                _line_of(text, "language"),
                "config-language",
                f"site.language {language!r} is not a BCP 47 language tag",
                'e.g. language = "en", "en-GB" or "zh-Hans"',
            )
        )
    for key in ("title", "base_url"):
        if key not in wrong and not site.get(key, "").strip():
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
    raw_sections = data.get("sections", [])
    problems += _typed(path, text, "sections", raw_sections, list, '[[sections]] with id = "..."')
    for number, raw in enumerate(raw_sections if isinstance(raw_sections, list) else [], 1):
        where = f"sections[{number}]"
        problems += _typed(path, text, where, raw, dict, '[[sections]] with id = "..."')
        if not isinstance(raw, dict):
            continue
        for key in ("title", "description"):
            if key in raw:
                problems += _typed(path, text, f"{where}.{key}", raw[key], str, f'{key} = "..."')
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
    problems += _typed(path, text, "plugins", plugins, dict, "[plugins.tags]")
    plugins = plugins if isinstance(plugins, dict) else {}
    for name, options in plugins.items():
        problems += _typed(path, text, f"plugins.{name}", options, dict, f"[plugins.{name}]")
    example = "[check] with vague_sources = false"
    checks, found = _table(path, text, data, "check", CHECK_KEYS, bool, example)
    problems += found
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
    vague = checks.get("vague_sources", True)
    return Config(info, tuple(sections), specs, path, vague_sources=vague), []
