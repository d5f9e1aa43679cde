"""A made-up newsletter issue in the layout of the real one, as text and as a PDF.

Written for the tests in our own words. ``issue_blocks`` is the issue as
paragraphs; ``issue_text`` lays them out as a PDF-to-text tool does (title,
hashtag line, body; takeaway blocks separated by lines holding a space);
``write_issue_pdf`` sets them with fpdf2 in two columns over several pages,
with a running header and a numbered footer on every page.
"""

from __future__ import annotations

from pathlib import Path

SENTENCES = [
    "The notice sets out the scope of the work and the bodies that take part in it.",
    "Comments are invited from companies, research institutes and industry associations.",
    "The drafting group will publish a second version after the consultation closes.",
    "Several provinces have already run pilot projects under the earlier rules.",
    "The ministry expects the first standards of the series to appear next year.",
    "Foreign-invested enterprises may join the technical committees as members.",
]

ITEMS = [
    ("Water Efficiency Labels Extended to Dishwashers", ["Energy", "Standards"], []),
    ("Draft Rules on Charging Points for Electric Buses", ["New Energy Vehicle"], []),
    (
        "Technical Committee for Quantum Communication Set Up in Hefei",
        ["Standardisation"],
        ["https://www.example.org/quantum/committee-2024-notice.html"],
    ),
    ("Revised Catalogue of Products Under Compulsory Certification", ["CCC", "CNCA"], []),
    ("Guidelines on Data Labelling for Machine Learning Published", ["AI", "Data Security"], []),
    ("Pilot Zones for Smart Ports Announced by the Ministry", ["Smart City"], []),
]


def _body(n: int, urls: list[str]) -> list[str]:
    paragraphs = []
    for p in range(3):
        words = [SENTENCES[(n + p + k) % len(SENTENCES)] for k in range(5)]
        paragraphs.append(f"On {3 + n} March 2024, " + " ".join(words).lower())
    for url in urls:
        paragraphs.append(f"The notice is available at {url} for download.")
    return paragraphs


def issue_blocks() -> list[tuple[str, str]]:
    """(kind, text) paragraphs: takeaway-title, takeaway, label, title, tags, p, event lines."""
    blocks: list[tuple[str, str]] = []
    for title, _, _ in ITEMS[:3]:
        blocks += [("takeaway-title", title), ("takeaway", f"{SENTENCES[0]} {SENTENCES[1]}")]
    blocks.append(("label", "Takeaways"))
    for n, (title, tags, urls) in enumerate(ITEMS):
        blocks += [("title", title), ("tags", " ".join(f"#{t}" for t in tags))]
        blocks += [("p", text) for text in _body(n, urls)]
    blocks += [
        ("label", "Annex-Upcoming Online Events"),
        ("p", "Online Event 12: Certification of Radio Equipment"),
        ("p", "A webinar on the certification of radio equipment for the Chinese market."),
        ("p", "Detailed information is as follows:"),
        ("p", "Topic: Certification of Radio Equipment"),
        ("p", "Time and Date: 10:00- 11:00 am Brussels time, Thursday, 18 April 2024"),
        ("p", "Please register via the following link:"),
        ("p", "https://events.example.org/register?event=12"),
        ("label", "Abbreviations"),
        ("p", "CNCA  Certification and Accreditation Administration"),
        ("p", "QKD  Quantum Key Distribution"),
        ("p", "SRRC  State Radio Regulation of China"),
    ]
    return blocks


def issue_text() -> str:
    """The blocks as a PDF-to-text tool lays them out."""
    out: list[str] = []
    for kind, text in issue_blocks():
        if kind == "takeaway-title":
            out += [f" {text}"]
        elif kind == "takeaway":
            out += [text, "", " ", ""]
        elif kind == "title":
            out += ["", f" {text}"]
        else:
            out += [text, ""]
    return "\n".join(out) + "\n"


# How the sample archive's tags.yml names the hashtags that are aliases there.
CANONICAL = {"Standards": "Standardisation"}


def truth() -> dict:
    """What an import of the issue must find (tags by the sample archive's names)."""
    return {
        "items": [
            {
                "title": title,
                "tags": [CANONICAL.get(t, t) for t in tags],
                "urls": urls,
                "section": "",
                "first_words": "",
                "last_words": "",
            }
            for title, tags, urls in ITEMS
        ],
        "events": [
            {
                "title": "Certification of Radio Equipment",
                "start": "2024-04-18T10:00:00+02:00",
                "registration": "https://events.example.org/register?event=12",
            }
        ],
    }


def write_issue_pdf(path: Path) -> None:
    from fpdf import FPDF

    class IssuePDF(FPDF):
        def header(self) -> None:
            self.set_font("Helvetica", size=8)
            self.cell(0, 6, "Standards Watch - Bimonthly Test Issue", align="C")
            self.ln(10)

        def footer(self) -> None:
            self.set_y(-14)
            self.set_font("Helvetica", size=8)
            self.cell(0, 6, f"{self.page_no()}", align="C")

    pdf = IssuePDF(format="A4")
    pdf.set_auto_page_break(True, margin=20)
    pdf.add_page()
    styles = {"title": ("B", 11), "takeaway-title": ("B", 10), "label": ("B", 12)}
    with pdf.text_columns(ncols=2, gutter=10) as columns:
        for kind, text in issue_blocks():
            style, size = styles.get(kind, ("", 10))
            pdf.set_font("Helvetica", style=style, size=size)
            gap = 6 if kind in ("title", "label", "takeaway-title") else 3
            with columns.paragraph(top_margin=gap, bottom_margin=1) as paragraph:
                paragraph.write(text)
    pdf.output(str(path))
