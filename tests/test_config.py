"""site.toml parsing and plugin option schemas."""

from __future__ import annotations

from pathlib import Path

import pytest

from gazette.content.config import parse_config
from gazette.diagnostics import UsageError
from gazette.plugins import load_plugins
from helpers import SITE_TOML, config


def messages(text: str) -> list[str]:
    parsed, problems = parse_config(text)
    assert parsed is None
    return [p.format() for p in problems]


def test_sample_config_parses_in_order():
    parsed = config()
    assert [s.id for s in parsed.sections] == ["horizontal", "ict"]
    assert [p.name for p in parsed.plugins] == ["items", "issues", "home"]
    assert parsed.site.base_url == "https://example.org/"


def test_unknown_site_key_suggests_the_known_one():
    assert messages(SITE_TOML.replace("description =", "descripton =")) == [
        "site.toml:3: error[config-unknown-key]: unknown key 'site.descripton'. "
        "Fix: did you mean 'description'?"
    ]


def test_toml_syntax_error_has_line_and_column():
    (message,) = messages('[site]\ntitle = "x\n')
    assert message.startswith("site.toml:2:")
    assert "error[config-syntax]: invalid TOML" in message


def test_bad_base_url_and_timezone_are_reported_together():
    text = SITE_TOML.replace("https://example.org/", "example.org").replace('"UTC"', '"Mars/Base"')
    found = messages(text)
    assert [m.split("error[")[1].split("]")[0] for m in found] == [
        "config-base-url",
        "config-timezone",
    ]


def test_unknown_plugin_option_names_the_key_path():
    parsed, _ = parse_config(SITE_TOML.replace("[plugins.home]", "[plugins.home]\nrecnt = 3"))
    with pytest.raises(UsageError) as caught:
        load_plugins(parsed, Path("/nonexistent"))
    assert [d.format() for d in caught.value.diagnostics] == [
        "site.toml:19: error[plugin-option]: unknown option plugins.home.recnt. "
        "Fix: did you mean 'recent'?"
    ]


def test_wrong_option_type_is_an_error():
    parsed, _ = parse_config(SITE_TOML.replace("[plugins.home]", '[plugins.home]\nrecent = "3"'))
    with pytest.raises(UsageError) as caught:
        load_plugins(parsed, Path("/nonexistent"))
    assert "plugins.home.recent is '3', expected int" in caught.value.diagnostics[0].message


def test_unknown_plugin_is_an_error_listing_available_ones():
    parsed, _ = parse_config(SITE_TOML + "[plugins.nope]\n")
    with pytest.raises(UsageError) as caught:
        load_plugins(parsed, Path("/nonexistent"))
    message = caught.value.diagnostics[0].format()
    assert "error[plugin-unknown]: no plugin named 'nope'" in message
    assert "home, issues, items" in message


def test_plugin_defaults_are_filled():
    plugins = load_plugins(config(), Path("/nonexistent"))
    assert dict(plugins[2].options) == {"recent": 10, "top_tags": 10}
