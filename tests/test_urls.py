"""Slugs, output paths and the base-path URL helper."""

from __future__ import annotations

import unicodedata

import pytest

from gazette.output.urls import Urls, output_path, slugify


def test_slugify_folds_accents_and_symbols():
    assert slugify("Énergie & 5G: Update #2") == "energie-5g-update-2"


def test_slugify_nfc_and_nfd_agree():
    word = "Café"
    assert slugify(unicodedata.normalize("NFD", word)) == slugify(word) == "cafe"


@pytest.mark.parametrize(
    ("url", "path"),
    [("/", "index.html"), ("/items/a/", "items/a/index.html"), ("/feed.xml", "feed.xml")],
)
def test_output_path(url, path):
    assert output_path(url) == path


@pytest.mark.parametrize(
    "url", ["/../x", "/a/../../x", "items/a/", "/a\\b", "/a\x00", "/%2e%2e/x", "//evil/x", "/./a"]
)
def test_output_path_refuses_escapes(url):
    with pytest.raises(ValueError):
        output_path(url)


def test_base_path_is_applied_to_every_internal_url():
    urls = Urls("https://user.github.io/repo/")
    assert urls.url("/items/a/") == "/repo/items/a/"
    assert urls.url("/") == "/repo/"
    assert urls.absolute("/items/a/") == "https://user.github.io/repo/items/a/"
    assert urls.url("https://other.org/x") == "https://other.org/x"


def test_root_site_has_plain_paths():
    assert Urls("https://example.org/").url("/issues/") == "/issues/"
