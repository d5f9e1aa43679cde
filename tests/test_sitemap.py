"""The sitemap plugin: sitemap.xml, robots.txt and the 404 page."""

from __future__ import annotations

import os
import xml.etree.ElementTree as ET
from datetime import date

import html5lib
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_publish import build_sample

from gazette.output.urls import Urls
from helpers import SITE_TOML, build, item
from plugins import sitemap as sitemap_plugin

BASE = "https://example.org/repo/"
NS = "{http://www.sitemaps.org/schemas/sitemap/0.9}"

# The sitemaps.org 0.9 schema for <urlset>, as published with the protocol
# (https://www.sitemaps.org/schemas/sitemap/0.9/sitemap.xsd), written out here so
# that the test needs no network.
SITEMAP_XSD = """\
<?xml version="1.0" encoding="UTF-8"?>
<xsd:schema xmlns:xsd="http://www.w3.org/2001/XMLSchema"
            targetNamespace="http://www.sitemaps.org/schemas/sitemap/0.9"
            xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
            elementFormDefault="qualified">
  <xsd:element name="urlset">
    <xsd:complexType>
      <xsd:sequence>
        <xsd:element ref="url" maxOccurs="unbounded"/>
      </xsd:sequence>
    </xsd:complexType>
  </xsd:element>
  <xsd:element name="url">
    <xsd:complexType>
      <xsd:sequence>
        <xsd:element name="loc" type="tLoc"/>
        <xsd:element name="lastmod" type="tLastmod" minOccurs="0"/>
        <xsd:element name="changefreq" type="tChangeFreq" minOccurs="0"/>
        <xsd:element name="priority" type="tPriority" minOccurs="0"/>
      </xsd:sequence>
    </xsd:complexType>
  </xsd:element>
  <xsd:simpleType name="tLoc">
    <xsd:restriction base="xsd:anyURI">
      <xsd:minLength value="12"/>
      <xsd:maxLength value="2048"/>
    </xsd:restriction>
  </xsd:simpleType>
  <xsd:simpleType name="tLastmod">
    <xsd:union>
      <xsd:simpleType><xsd:restriction base="xsd:date"/></xsd:simpleType>
      <xsd:simpleType><xsd:restriction base="xsd:dateTime"/></xsd:simpleType>
    </xsd:union>
  </xsd:simpleType>
  <xsd:simpleType name="tChangeFreq">
    <xsd:restriction base="xsd:string">
      <xsd:enumeration value="always"/>
      <xsd:enumeration value="hourly"/>
      <xsd:enumeration value="daily"/>
      <xsd:enumeration value="weekly"/>
      <xsd:enumeration value="monthly"/>
      <xsd:enumeration value="yearly"/>
      <xsd:enumeration value="never"/>
    </xsd:restriction>
  </xsd:simpleType>
  <xsd:simpleType name="tPriority">
    <xsd:restriction base="xsd:decimal">
      <xsd:minInclusive value="0.0"/>
      <xsd:maxInclusive value="1.0"/>
    </xsd:restriction>
  </xsd:simpleType>
</xsd:schema>
"""


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    return build_sample(tmp_path_factory.mktemp("sitemap"), BASE).files


def entries(data: bytes) -> dict[str, str | None]:
    """``{loc: lastmod}`` of a sitemap, parsed by a real XML parser."""
    root = ET.fromstring(data)
    assert root.tag == f"{NS}urlset"
    found = {}
    for url in root.findall(f"{NS}url"):
        lastmod = url.find(f"{NS}lastmod")
        found[url.find(f"{NS}loc").text] = lastmod.text if lastmod is not None else None
    return found


def html_pages(files) -> set[str]:
    """URLs of the pages a reader may land on: not a redirect, the 404 or the search page."""
    return {
        url
        for url, data in files.items()
        if url.endswith("/") and b'http-equiv="refresh"' not in data and url != "/search/"
    }


def test_the_sitemap_is_valid_against_the_sitemaps_schema(sample):
    try:
        import xmlschema
    except ImportError:
        if os.environ.get("CI"):
            raise
        pytest.skip("xmlschema is not installed (it comes with the dev dependencies)")
    xmlschema.XMLSchema(SITEMAP_XSD).validate(sample["/sitemap.xml"].decode())


def test_the_sitemap_lists_exactly_the_published_html_pages(sample):
    listed = entries(sample["/sitemap.xml"])
    assert all(loc.startswith(BASE) for loc in listed)
    assert {"/" + loc[len(BASE) :] for loc in listed} == html_pages(sample)
    assert BASE + "404.html" not in listed
    assert BASE + "tags/standardization/" not in listed  # an alias redirect
    assert list(listed) == sorted(listed)


def test_every_entry_has_a_lastmod_from_the_content(sample):
    listed = entries(sample["/sitemap.xml"])
    assert all(date.fromisoformat(lastmod) for lastmod in listed.values())
    item_page = BASE + "items/miit-standardisation-key-points-2020/"
    assert listed[item_page] == "2020-05-12"
    newest_item = max(v for k, v in listed.items() if "/items/" in k)
    assert listed[BASE + "tags/5g/"] == "2021-03-16"  # its newest item
    assert listed[BASE + "sections/"] == newest_item
    assert listed[BASE] >= newest_item  # the home page counts the latest issue too


def test_robots_txt_points_to_the_sitemap(sample):
    lines = sample["/robots.txt"].decode().splitlines()
    assert lines[0] == "User-agent: *"
    assert "Disallow:" in lines
    assert f"Sitemap: {BASE}sitemap.xml" in lines


def test_the_404_page_links_with_the_base_path_and_is_not_indexed(sample):
    page = html5lib.parse(sample["/404.html"], namespaceHTMLElements=False)
    assert page.find(".//h1").text == "Page not found"
    assert page.find(".//meta[@name='robots']").get("content") == "noindex"
    assert page.find(".//link[@rel='canonical']") is None
    links = [e.get("href") or e.get("src") for e in page.iter() if e.get("href") or e.get("src")]
    assert all(link.startswith(("/repo/", "#")) for link in links), links


# Inline projects

SITEMAP = SITE_TOML + "[plugins.tags]\npage_size = 1\n[plugins.sections]\n[plugins.sitemap]\n"


def sitemap_build(tmp_path, items: dict[str, str], toml: str = SITEMAP, **options):
    files = {"site.toml": toml, **{f"content/items/{k}.md": v for k, v in items.items()}}
    return build(tmp_path, files, base_url=BASE, **options).files


def test_paginated_listings_are_listed_page_by_page(tmp_path):
    files = sitemap_build(
        tmp_path,
        {
            "a": item(title='"A"', date="2020-08-01"),
            "b": item(title='"B"', date="2020-08-03", updated="2020-09-10"),
        },
    )
    listed = entries(files["/sitemap.xml"])
    assert {"/" + loc[len(BASE) :] for loc in listed} == html_pages(files)
    assert listed[BASE + "tags/5g/"] == "2020-09-10"  # page 1 shows B, updated later
    assert listed[BASE + "tags/5g/page/2/"] == "2020-08-01"
    assert listed[BASE + "items/b/"] == "2020-09-10"


def test_empty_listings_fall_back_to_the_newest_date_of_the_archive(tmp_path):
    files = sitemap_build(tmp_path, {"a": item(title='"A"', date="2020-08-01")})
    listed = entries(files["/sitemap.xml"])
    assert listed[BASE + "tags/ai/"] == "2020-09-30"  # no item: the date
    assert listed[BASE + "sections/horizontal/"] == "2020-09-30"


def test_drafts_and_scheduled_items_are_never_listed_nor_counted(tmp_path):
    files = sitemap_build(
        tmp_path,
        {
            "public": item(title='"Public"', date="2020-08-01"),
            "draft": item(title='"Draft"', date="2020-08-20", draft="true"),
            "future": item(title='"Future"', date="2030-01-01"),
        },
        drafts=True,
        future=True,
    )
    listed = entries(files["/sitemap.xml"])
    assert "/items/draft/" in files and "/items/future/" in files  # built as previews
    assert BASE + "items/draft/" not in listed and BASE + "items/future/" not in listed
    assert all(lastmod < "2030" for lastmod in listed.values())
    assert listed[BASE + "items/public/"] == "2020-08-01"


def test_robots_can_be_turned_off(tmp_path):
    files = sitemap_build(tmp_path, {}, SITEMAP + "robots = false\n")
    assert "/robots.txt" not in files and "/sitemap.xml" in files


def test_past_fifty_thousand_urls_the_sitemap_becomes_an_index():
    found = [sitemap_plugin.Entry(f"/p{n}/", date(2020, 1, n % 28 + 1)) for n in range(5)]
    files = sitemap_plugin.sitemap_files(found, Urls(BASE), limit=2)
    assert [f.url for f in files] == [
        "/sitemap.xml",
        "/sitemap-1.xml",
        "/sitemap-2.xml",
        "/sitemap-3.xml",
    ]
    index = ET.fromstring(files[0].data)
    assert index.tag == f"{NS}sitemapindex"
    assert [s.find(f"{NS}loc").text for s in index] == [f"{BASE}sitemap-{n}.xml" for n in (1, 2, 3)]
    assert sum(len(entries(f.data)) for f in files[1:]) == 5


def _element_tree(root: str, node: str, rows: list[tuple[str, date | None]]) -> bytes:
    """What ``_xml`` writes, as ``xml.etree.ElementTree`` writes it (the reference)."""
    top = ET.Element(root, xmlns=sitemap_plugin.SITEMAP_NS)
    for loc, lastmod in rows:
        element = ET.SubElement(top, node)
        ET.SubElement(element, "loc").text = loc
        if lastmod:
            ET.SubElement(element, "lastmod").text = lastmod.isoformat()
    ET.indent(top)
    return sitemap_plugin.XML_DECLARATION + ET.tostring(top, encoding="unicode").encode() + b"\n"


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from([("urlset", "url"), ("sitemapindex", "sitemap")]),
    st.lists(
        st.tuples(
            st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=12),
            st.one_of(st.none(), st.dates()),
        ),
        max_size=4,
    ),
)
def test_the_sitemap_text_is_what_element_tree_writes(names, rows):
    assert sitemap_plugin._xml(*names, rows) == _element_tree(*names, rows)
