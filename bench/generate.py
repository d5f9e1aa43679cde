"""Deterministic generator of synthetic newsletter archives for benchmarks.

Why it exists: Gazette must stay fast on archives far larger than any real one
we have, and a benchmark is only comparable across runs and machines if the
input is identical. So everything here is driven by one ``random.Random(seed)``
(no wall clock, no network, no hash-order dependence) and the same arguments
always produce byte-identical files.

The same archive model can be written in three layouts, so Gazette can be
compared with other generators on the *same* content:

* ``gazette`` – a complete Gazette project (see "Content format" in README.md);
* ``hugo``    – a minimal Hugo site with its own tiny layouts;
* ``pelican`` – a minimal Pelican site (Markdown with a metadata header).
* ``mkdocs`` – an MkDocs site with Material's blog plugin (posts with front matter).

Usage::

    python bench/generate.py --items 1000 --out /tmp/arch [--seed 1] [--format gazette]
"""

from __future__ import annotations

import argparse
import calendar
import datetime as dt
import json
import math
import random
import re
import shutil
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the sibling module importable
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import wordlist as W
else:  # imported as bench.generate
    from . import wordlist as W

FORMATS = ("gazette", "hugo", "pelican", "mkdocs")
MIN_WORDS, MAX_WORDS = 300, 800
FIRST_YEAR = 2010
MAX_ISSUES = 60  # ten years of bimonthly issues: keeps every date in the past
MIN_ITEMS_PER_ISSUE = 5
WRAP_WIDTH = 78

SECTIONS: tuple[tuple[str, str], ...] = (
    ("horizontal", "Horizontal Issues"),
    ("ict", "ICT"),
    ("energy-environment", "Energy and Environment"),
    ("manufacturing", "Manufacturing and Industry"),
    ("transport", "Transport and Automotive"),
    ("conformity", "Conformity Assessment"),
)

TAG_GROUPS: tuple[tuple[str, str, str], ...] = (
    ("horizontal", "Horizontal", "Standardisation policy, law and institutions across sectors."),
    ("ict", "ICT", "Telecoms, digital technology and cybersecurity."),
    ("energy", "Energy and Environment", "Energy systems, climate and the environment."),
    ("manufacturing", "Manufacturing", "Machinery, products and industrial safety."),
    ("transport", "Transport", "Vehicles, infrastructure and mobility."),
)

# (name, group, aliases). 8 tags per group, 40 in all; some with aliases so the
# engine's alias resolution is exercised by items that use them.
TAGS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("Standardisation", "horizontal", ("Standardization", "Standards")),
    ("Technical Regulation", "horizontal", ()),
    ("Conformity Assessment", "horizontal", ()),
    ("SAC", "horizontal", ()),
    ("SAMR", "horizontal", ()),
    ("Standards Law", "horizontal", ("Standardization Law",)),
    ("Group Standards", "horizontal", ("Association Standards",)),
    ("International Standards", "horizontal", ()),
    ("5G", "ict", ()),
    ("Cybersecurity", "ict", ("Cyber Security",)),
    ("Artificial Intelligence", "ict", ("AI",)),
    ("Internet of Things", "ict", ("IoT",)),
    ("Cloud Computing", "ict", ()),
    ("Data Protection", "ict", ("Personal Information",)),
    ("Semiconductors", "ict", ("Chips",)),
    ("MIIT", "ict", ()),
    ("Energy Efficiency", "energy", ()),
    ("Renewable Energy", "energy", ("Renewables",)),
    ("Hydrogen", "energy", ()),
    ("Batteries", "energy", ("Battery",)),
    ("Carbon Neutrality", "energy", ("Carbon Peaking",)),
    ("Emissions Trading", "energy", ("ETS",)),
    ("Circular Economy", "energy", ("Recycling",)),
    ("Environmental Protection", "energy", ()),
    ("Machinery", "manufacturing", ()),
    ("Robotics", "manufacturing", ("Robots",)),
    ("Smart Manufacturing", "manufacturing", ("Intelligent Manufacturing",)),
    ("Medical Devices", "manufacturing", ()),
    ("Chemicals", "manufacturing", ()),
    ("Food Safety", "manufacturing", ()),
    ("Consumer Products", "manufacturing", ()),
    ("Construction Products", "manufacturing", ()),
    ("Automotive", "transport", ("Cars",)),
    ("New Energy Vehicles", "transport", ("NEV",)),
    ("Autonomous Driving", "transport", ("Intelligent Connected Vehicles",)),
    ("Railways", "transport", ("Rail",)),
    ("Aviation", "transport", ()),
    ("Maritime", "transport", ("Shipping",)),
    ("Charging Infrastructure", "transport", ()),
    ("Logistics", "transport", ()),
)

# Which tag groups an item in a given section draws its first tag from.
SECTION_GROUPS: dict[str, tuple[str, ...]] = {
    "horizontal": ("horizontal",),
    "ict": ("ict",),
    "energy-environment": ("energy",),
    "manufacturing": ("manufacturing",),
    "transport": ("transport",),
    "conformity": ("horizontal", "manufacturing"),
}

GLOSSARY: tuple[tuple[str, str], ...] = (
    ("SAC", "Standardization Administration of China"),
    ("SAMR", "State Administration for Market Regulation"),
    ("MIIT", "Ministry of Industry and Information Technology"),
    ("NDRC", "National Development and Reform Commission"),
    ("CCSA", "China Communications Standards Association"),
    ("CNCA", "Certification and Accreditation Administration"),
    ("CNIS", "China National Institute of Standardization"),
    ("CCC", "China Compulsory Certification"),
    ("ISO", "International Organization for Standardization"),
    ("IEC", "International Electrotechnical Commission"),
    ("ITU", "International Telecommunication Union"),
    ("NEV", "New Energy Vehicle"),
    ("ICV", "Intelligent Connected Vehicle"),
    ("TBT", "Technical Barriers to Trade"),
    ("NHC", "National Health Commission"),
)

IRREGULAR_PLURALS = {
    "analysis": "analyses",
    "criterion": "criteria",
    "bacterium": "bacteria",
    "data": "data",
    "software": "software",
    "hardware": "hardware",
    "firmware": "firmware",
    "equipment": "equipment",
    "machinery": "machinery",
    "research": "research",
    "knowledge": "knowledge",
    "guidance": "guidance",
    "freight": "freight",
    "cargo": "cargoes",
    "logistics": "logistics",
    "aircraft": "aircraft",
    "series": "series",
    "chassis": "chassis",
}
IRREGULAR_PAST = {
    "cut": "cut",
    "split": "split",
    "lead": "led",
    "seek": "sought",
    "ship": "shipped",
    "plan": "planned",
    "cap": "capped",
    "submit": "submitted",
    "permit": "permitted",
    "control": "controlled",
    "label": "labelled",
    "cancel": "cancelled",
    "show": "showed",
}
VOWELS = "aeiou"


# --------------------------------------------------------------------------- model


@dataclass(frozen=True)
class Issue:
    """One bimonthly issue: ``id`` is the first month of its two-month window."""

    id: str
    number: int
    first_day: dt.date
    last_day: dt.date
    title: str
    period: str
    body: str


@dataclass(frozen=True)
class Item:
    """One item; ``tags`` may contain aliases, ``canonical_tags`` never does."""

    slug: str
    title: str
    date: dt.date
    issue: str
    section: str
    tags: tuple[str, ...]
    canonical_tags: tuple[str, ...]
    summary: str
    sources: tuple[str, ...]
    body: str
    follows: str | None = None


@dataclass
class Archive:
    """Everything one generator run produces, independent of the output layout."""

    items_requested: int
    seed: int
    issues: list[Issue] = field(default_factory=list)
    items: list[Item] = field(default_factory=list)


# --------------------------------------------------------------------------- words


def plural(noun: str) -> str:
    """English plural by the regular rules, with a few irregulars that matter here."""
    if noun in IRREGULAR_PLURALS:
        return IRREGULAR_PLURALS[noun]
    if noun.endswith("sis"):
        return noun[:-2] + "es"
    if noun.endswith(("s", "x", "z", "ch", "sh")):
        return noun + "es"
    if noun.endswith("y") and noun[-2:-1] not in VOWELS:
        return noun[:-1] + "ies"
    return noun + "s"


def past(verb: str) -> str:
    """Simple past of a (mostly regular) verb."""
    if verb in IRREGULAR_PAST:
        return IRREGULAR_PAST[verb]
    if verb.endswith("e"):
        return verb + "d"
    if verb.endswith("y") and verb[-2:-1] not in VOWELS:
        return verb[:-1] + "ied"
    return verb + "ed"


def third_person(verb: str) -> str:
    """Third person singular present ("publishes", "applies")."""
    if verb.endswith(("s", "x", "z", "ch", "sh", "o")):
        return verb + "es"
    if verb.endswith("y") and verb[-2:-1] not in VOWELS:
        return verb[:-1] + "ies"
    return verb + "s"


def article(word: str) -> str:
    """'a' or 'an' for the following word, good enough for this vocabulary."""
    lower = word.lower()
    if lower.startswith(("eu", "uni", "use", "usu", "uti")):
        return "a"
    return "an" if lower[:1] in VOWELS else "a"


def slugify(text: str, max_words: int = 8) -> str:
    """Lowercase ASCII slug of the first ``max_words`` words of ``text``."""
    words = re.findall(r"[a-z0-9]+", text.lower())
    return "-".join(words[:max_words]) or "item"


def title_case(words: Sequence[str]) -> str:
    """Headline capitalisation that keeps short function words lower case."""
    out = []
    for i, word in enumerate(words):
        if i > 0 and word in W.SMALL_TITLE_WORDS:
            out.append(word)
        else:
            out.append(word[:1].upper() + word[1:])
    return " ".join(out)


def count_words(markdown: str) -> int:
    """Words in a generated body: whitespace tokens that contain a letter or digit.

    Markup tokens (``##``, ``-``) carry no letters and a link's ``](url)`` is glued
    to the word before it, so this is exactly the number of prose words the
    generator emitted.
    """
    return sum(1 for token in markdown.split() if any(c.isalnum() for c in token))


def wrap(tokens: Sequence[str], width: int = WRAP_WIDTH) -> str:
    """Greedy line wrap that never starts a line with a token Markdown reads as markup.

    A line starting with "2015." or "-" would turn prose into a list, which would
    make the three generators render different documents.
    """
    lines: list[list[str]] = [[]]
    length = 0
    for token in tokens:
        fits = length + len(token) + (1 if lines[-1] else 0) <= width
        if lines[-1] and not fits and not _starts_block(token):
            lines.append([token])
            length = len(token)
        else:
            length += len(token) + (1 if lines[-1] else 0)
            lines[-1].append(token)
    return "\n".join(" ".join(line) for line in lines)


def _starts_block(token: str) -> bool:
    """True if a line starting with ``token`` could become a list, heading or quote."""
    return bool(re.match(r"^(\d+[.)]|[-+*#>=]+)$", token)) or token.startswith(("#", ">"))


# --------------------------------------------------------------------------- prose


class Prose:
    """Pseudo-English built from the fixed word list, with exact word counts.

    Exact counts matter because the benchmark promises items of 300–800 words
    drawn uniformly; every builder here returns precisely the number of words
    it was asked for.
    """

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.proper = W.PROPER_NOUNS + tuple(abbr for abbr, _ in GLOSSARY)

    def noun(self, plural_ok: bool = True) -> tuple[str, bool]:
        """A common noun and whether it is plural."""
        word = self.rng.choice(W.NOUNS)
        if plural_ok and self.rng.random() < 0.4:
            return plural(word), True
        return word, False

    def noun_phrase(self, k: int) -> tuple[list[str], bool]:
        """A noun phrase of exactly ``k`` words and whether its head is plural."""
        rng = self.rng
        if k <= 1:
            if rng.random() < 0.15:
                return [rng.choice(self.proper)], False
            word, is_plural = self.noun()
            return [word], is_plural
        if k >= 5:
            left = rng.randint(2, min(3, k - 2))
            head, is_plural = self.noun_phrase(left)
            link = rng.choice(("of", "of", "for", "on"))
            tail, _ = self.noun_phrase(k - 1 - left)
            return [*head, link, *tail], is_plural
        head, is_plural = self.noun()
        modifiers_needed = k - 1
        with_det = rng.random() < 0.7
        words: list[str] = []
        if with_det:
            modifiers_needed -= 1
        for _ in range(modifiers_needed):
            if rng.random() < 0.6:
                words.append(rng.choice(W.ADJECTIVES))
            else:
                words.append(rng.choice(W.NOUNS))  # noun-noun compound
        words.append(head)
        if with_det:
            words.insert(0, self.determiner(words[0], is_plural))
        return words, is_plural

    def determiner(self, next_word: str, is_plural: bool) -> str:
        """A determiner agreeing in number with the head noun."""
        roll = self.rng.random()
        if roll < 0.6:
            return "the"
        if is_plural:
            return self.rng.choice(("these", "several", "many", "some", "all", "new"))
        if roll < 0.85:
            return article(next_word)
        return self.rng.choice(("this", "each", "every", "its"))

    def verb_phrase(self, subject_plural: bool, budget: int) -> list[str]:
        """A finite verb (1–3 words, never more than ``budget``) agreeing with the subject."""
        rng = self.rng
        verb = rng.choice(W.VERBS)
        roll = rng.random()
        if roll < 0.12 and budget >= 2:
            words = ["will", verb]
        elif roll < 0.55:
            words = [past(verb)]
        else:
            words = [verb if subject_plural else third_person(verb)]
        if len(words) < budget and rng.random() < 0.12:
            words.insert(0, rng.choice(W.ADVERBS))
        return words

    def sentence(self, length: int, period: bool = True) -> list[str]:
        """A capitalised sentence of exactly ``length`` (>= 1) words."""
        rng = self.rng
        if length <= 1:
            words = [self.noun_phrase(1)[0][0]]
        else:
            subj_len = rng.randint(1, min(3, length - 1))
            subject, is_plural = self.noun_phrase(subj_len)
            words = subject + self.verb_phrase(is_plural, length - subj_len)
            self._complete(words, length - len(words))
        words[0] = words[0][:1].upper() + words[0][1:]
        if period:
            words[-1] += "."
        return words

    def _complete(self, words: list[str], remaining: int) -> None:
        """Append an object and trailing phrases totalling exactly ``remaining`` words."""
        rng = self.rng
        if remaining <= 0:
            return
        obj = rng.randint(1, min(4, remaining))
        if remaining - obj == 1:
            obj += 1  # never leave a single word: no 1-word phrase reads well
        words += self.noun_phrase(obj)[0]
        remaining -= obj
        while remaining > 0:
            k = remaining if remaining <= 6 else rng.randint(2, min(6, remaining - 2))
            words += self._tail_chunk(words, k)
            remaining -= k

    def _tail_chunk(self, words: list[str], k: int) -> list[str]:
        """A prepositional phrase, relative clause or coordination of exactly ``k`` words."""
        rng = self.rng
        roll = rng.random()
        if k >= 3 and roll < 0.12:
            words[-1] += ","
            verb = rng.choice(W.VERBS)
            return ["which", third_person(verb), *self.noun_phrase(k - 2)[0]]
        if k >= 3 and roll < 0.22:
            return ["and", *self.noun_phrase(k - 1)[0]]
        if k == 2 and roll < 0.4:
            return [rng.choice(("in", "by", "since", "until")), str(rng.randint(2005, 2030))]
        return [rng.choice(W.PREPOSITIONS), *self.noun_phrase(k - 1)[0]]

    def paragraph_tokens(self, n_words: int) -> list[str]:
        """Sentences of 7–24 words adding up to exactly ``n_words``."""
        tokens: list[str] = []
        remaining = n_words
        while remaining > 0:
            length = self.rng.randint(7, 24)
            if remaining - length < 7:
                length = remaining
            tokens += self.sentence(length)
            remaining -= length
        return tokens

    def title(self) -> list[str]:
        """Headline words: subject, present-tense verb, object (5–10 words)."""
        subject, is_plural = self.noun_phrase(self.rng.randint(2, 3))
        verb = self.rng.choice(W.VERBS)
        verb = verb if is_plural else third_person(verb)
        obj, _ = self.noun_phrase(self.rng.randint(2, 6))
        return [*subject, verb, *obj]


# --------------------------------------------------------------------------- archive


def issue_count(n_items: int) -> int:
    """Bimonthly issues needed for ``n_items``: up to 60, at least 5 items each."""
    return max(1, min(MAX_ISSUES, math.ceil(n_items / MIN_ITEMS_PER_ISSUE)))


def make_issue(index: int, prose: Prose) -> Issue:
    """Issue ``index`` (0-based) covers two months starting 2010-01 + 2*index months."""
    months = index * 2
    year, month = FIRST_YEAR + months // 12, months % 12 + 1
    end_month = month + 1
    first = dt.date(year, month, 1)
    last = dt.date(year, end_month, calendar.monthrange(year, end_month)[1])
    period = f"{calendar.month_name[month]}–{calendar.month_name[end_month]} {year}"
    intro = wrap(prose.paragraph_tokens(prose.rng.randint(40, 80)))
    takeaways = "\n".join(
        "- " + " ".join(prose.sentence(prose.rng.randint(6, 14))) for _ in range(3)
    )
    body = f"{intro}\n\n## Takeaways\n\n{takeaways}\n"
    return Issue(
        id=f"{year:04d}-{month:02d}",
        number=index + 1,
        first_day=first,
        last_day=last,
        title=f"Gazette Benchmark Newsletter, {period}",
        period=period,
        body=body,
    )


def make_body(prose: Prose, n_words: int, slug: str) -> str:
    """Markdown body of exactly ``n_words`` words: 3–8 paragraphs, maybe a heading,
    a bullet list and a link, like a real newsletter item."""
    rng = prose.rng
    n_paras = rng.randint(3, 8)
    heading = prose.noun_phrase(rng.randint(2, 4))[0] if rng.random() < 0.4 else None
    heading_at = rng.randint(1, n_paras - 1)
    bullets = (
        [prose.sentence(rng.randint(4, 9), period=False) for _ in range(rng.randint(3, 5))]
        if rng.random() < 0.35
        else []
    )
    bullets_after = rng.randint(0, n_paras - 2)
    link_in = rng.randint(0, n_paras - 1) if rng.random() < 0.5 else -1

    prose_words = n_words - (len(heading) if heading else 0) - sum(map(len, bullets))
    blocks: list[str] = []
    for i, size in enumerate(split_evenly(rng, prose_words, n_paras)):
        if heading and i == heading_at:
            blocks.append("## " + title_case(heading))
        tokens = prose.paragraph_tokens(size)
        if i == link_in:
            add_link(rng, tokens, f"https://example.org/ref/{slug}")
        blocks.append(wrap(tokens))
        if bullets and i == bullets_after:
            blocks.append("\n".join("- " + " ".join(b) for b in bullets))
    return "\n\n".join(blocks) + "\n"


def split_evenly(rng: random.Random, total: int, parts: int) -> list[int]:
    """Split ``total`` into ``parts`` roughly equal, randomly jittered positive sizes."""
    weights = [rng.uniform(0.6, 1.4) for _ in range(parts)]
    scale = total / sum(weights)
    sizes = [max(7, int(w * scale)) for w in weights]
    sizes[-1] += total - sum(sizes)
    return sizes


def add_link(rng: random.Random, tokens: list[str], url: str) -> None:
    """Turn two or three adjacent plain words into a Markdown link, in place."""
    plain = [i for i in range(1, len(tokens) - 3) if all(t.isalpha() for t in tokens[i : i + 3])]
    if not plain:
        return
    start = rng.choice(plain)
    end = start + rng.randint(1, 2)
    tokens[start] = "[" + tokens[start]
    tokens[end] = tokens[end] + f"]({url})"


def pick_tags(rng: random.Random, section: str, by_group: dict[str, list[str]]) -> list[str]:
    """1–3 distinct canonical tags, the first from the section's own group(s)."""
    wanted = rng.randint(1, 3)
    first = rng.choice([t for g in SECTION_GROUPS[section] for t in by_group[g]])
    tags = [first]
    while len(tags) < wanted:
        group = (
            rng.choice(SECTION_GROUPS[section])
            if rng.random() < 0.7
            else rng.choice(list(by_group))
        )
        candidate = rng.choice(by_group[group])
        if candidate not in tags:
            tags.append(candidate)
    return tags


def maybe_alias(rng: random.Random, tag: str, aliases: dict[str, tuple[str, ...]]) -> str:
    """Now and then write a tag by one of its aliases, as real editors do."""
    if aliases[tag] and rng.random() < 0.05:
        return rng.choice(aliases[tag])
    return tag


def build_archive(n_items: int, seed: int = 1, n_issues: int | None = None) -> Archive:
    """The whole archive model: issues first, then items spread evenly across them."""
    rng = random.Random(seed)
    prose = Prose(rng)
    archive = Archive(items_requested=n_items, seed=seed)
    total_issues = n_issues or issue_count(n_items)
    archive.issues = [make_issue(i, prose) for i in range(total_issues)]
    by_group: dict[str, list[str]] = {}
    for name, group, _ in TAGS:
        by_group.setdefault(group, []).append(name)
    aliases = {name: al for name, _, al in TAGS}
    seen_slugs: dict[str, int] = {}
    for i in range(n_items):
        issue = archive.issues[i * total_issues // n_items]
        archive.items.append(make_item(prose, issue, by_group, aliases, seen_slugs, archive.items))
    return archive


def make_item(
    prose: Prose,
    issue: Issue,
    by_group: dict[str, list[str]],
    aliases: dict[str, tuple[str, ...]],
    seen_slugs: dict[str, int],
    earlier: list[Item],
) -> Item:
    """One item inside ``issue``'s two-month window, with a globally unique slug."""
    rng = prose.rng
    title_words = prose.title()
    base = slugify(" ".join(title_words))
    seen_slugs[base] = seen_slugs.get(base, 0) + 1
    slug = base if seen_slugs[base] == 1 else f"{base}-{seen_slugs[base]}"
    span = (issue.last_day - issue.first_day).days
    date = issue.first_day + dt.timedelta(days=rng.randint(0, span))
    section = rng.choice(SECTIONS)[0]
    canonical = pick_tags(rng, section, by_group)
    follows = None
    if earlier and rng.random() < 0.04:
        follows = rng.choice(earlier[-50:]).slug
    return Item(
        slug=slug,
        title=title_case(title_words),
        date=date,
        issue=issue.id,
        section=section,
        tags=tuple(maybe_alias(rng, t, aliases) for t in canonical),
        canonical_tags=tuple(canonical),
        summary=" ".join(prose.sentence(rng.randint(14, 26))),
        sources=tuple(
            f"https://example.org/source/{slug}/{n}" for n in range(1, rng.randint(1, 2) + 1)
        ),
        body=make_body(prose, rng.randint(MIN_WORDS, MAX_WORDS), slug),
        follows=follows,
    )


# --------------------------------------------------------------------------- writers


def q(text: str) -> str:
    """A double-quoted string valid in YAML and TOML alike (JSON escaping)."""
    return json.dumps(text, ensure_ascii=False)


def yaml_key(name: str) -> str:
    """A mapping key, quoted unless it is obviously a plain YAML string."""
    return name if re.fullmatch(r"[A-Za-z][A-Za-z0-9 ]*", name) else q(name)


def write(path: Path, text: str) -> None:
    """Write UTF-8 with LF newlines whatever the platform, so output is byte-stable."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="\n") as fh:
        fh.write(text)


def write_gazette(archive: Archive, out: Path, plugins: str = "minimal") -> None:
    """A complete Gazette project as described in README.md ("Content format")."""
    write(out / "site.toml", site_toml(archive, plugins))
    write(out / "content" / "tags.yml", tags_yml())
    write(out / "content" / "glossary.yml", "".join(f"{k}: {v}\n" for k, v in GLOSSARY))
    for issue in archive.issues:
        write(out / "content" / "issues" / f"{issue.id}.md", issue_md(issue))
    for item in archive.items:
        write(out / "content" / "items" / item.issue / f"{item.slug}.md", item_md(item))


# Every plugin of the sample archive's site.toml, in its order (``--plugins sample``).
SAMPLE_PLUGINS = """
[plugins.tags]
page_size = 20

[plugins.crosslinks]

[plugins.related]
count = 5

[plugins.glossary]
items_shown = 50

[plugins.search]

[plugins.sections]
page_size = 20

[plugins.archive]
page_size = 50

[plugins.events]
timezones = ["Europe/Brussels"]

[plugins.feeds]
limit = 20
content = "summary"

[plugins.sitemap]
robots = true
"""


def site_toml(archive: Archive, plugins: str = "minimal") -> str:
    """site.toml in the style of the repository's own, with six sections.

    ``plugins="minimal"`` enables items, issues and home; ``"sample"`` every
    plugin the sample archive enables (search on the default engine, Gazette's
    own index); ``"sample-pagefind"`` the same with search on Pagefind.
    """
    lines = [
        "[site]",
        'title = "Gazette Benchmark Archive"',
        f"description = {q(synthetic_note(archive))}",
        'base_url = "http://localhost:8000/"',
        'language = "en"',
        'timezone = "Asia/Shanghai"',
        'about = """',
        "A synthetic bimonthly digest used to benchmark Gazette. Every word is generated",
        "from a fixed vocabulary; the structure mirrors a real standards newsletter.",
        '"""',
        "",
    ]
    for sid, title in SECTIONS:
        lines += ["[[sections]]", f'id = "{sid}"', f"title = {q(title)}", ""]
    lines += ["[plugins.items]", "", "[plugins.issues]", "", "[plugins.home]", "recent = 10", ""]
    extra = {
        "sample": SAMPLE_PLUGINS,
        "sample-pagefind": SAMPLE_PLUGINS.replace(
            "[plugins.search]\n", '[plugins.search]\nengine = "pagefind"\n'
        ),
    }
    return "\n".join(lines) + extra.get(plugins, "")


def synthetic_note(archive: Archive) -> str:
    """One line saying what generated this archive, for humans reading the output."""
    return (
        f"Synthetic archive of {len(archive.items)} items generated by bench/generate.py "
        f"(seed {archive.seed})."
    )


def tags_yml() -> str:
    """The tag vocabulary: 5 groups, 40 tags, some with aliases."""
    lines = ["groups:"]
    for gid, name, description in TAG_GROUPS:
        lines += [f"  {gid}:", f"    name: {q(name)}", f"    description: {q(description)}"]
    lines.append("tags:")
    for name, group, aliases in TAGS:
        lines += [
            f"  {yaml_key(name)}:",
            f"    group: {group}",
            f"    description: {q(f'News and analysis about {name}.')}",
            f"    aliases: [{', '.join(q(a) for a in aliases)}]",
        ]
    return "\n".join(lines) + "\n"


def issue_md(issue: Issue) -> str:
    """An issue file with its front matter and Markdown intro."""
    return (
        "---\n"
        f"id: {q(issue.id)}\n"
        f"number: {issue.number}\n"
        f"title: {q(issue.title)}\n"
        f"date: {issue.last_day.isoformat()}\n"
        f"period: {q(issue.period)}\n"
        "---\n\n"
        f"{issue.body}"
    )


def item_md(item: Item) -> str:
    """An item file with YAML front matter (tags as a quoted list, as README.md asks)."""
    lines = [
        "---",
        f"title: {q(item.title)}",
        f"date: {item.date.isoformat()}",
        f"issue: {q(item.issue)}",
        f"section: {item.section}",
        f"tags: [{', '.join(q(t) for t in item.tags)}]",
        f"summary: {q(item.summary)}",
        "sources:",
        *(f"  - {url}" for url in item.sources),
    ]
    if item.follows:
        lines.append(f"follows: {item.follows}")
    lines += ["---", "", item.body]
    return "\n".join(lines)


HUGO_HEAD = """<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>{{ .Title }} | {{ .Site.Title }}</title></head>
<body>
"""
HUGO_TAIL = "</body>\n</html>\n"
HUGO_LAYOUTS = {
    "_default/single.html": HUGO_HEAD
    + """<main>
<h1>{{ .Title }}</h1>
<p><time datetime="{{ .Date.Format "2006-01-02" }}">{{ .Date.Format "2 January 2006" }}</time></p>
<ul class="tags">{{ range .GetTerms "tags" }}
<li><a href="{{ .RelPermalink }}">{{ .LinkTitle }}</a></li>{{ end }}
</ul>
{{ .Content }}
</main>
"""
    + HUGO_TAIL,
    "_default/list.html": HUGO_HEAD
    + """<main>
<h1>{{ .Title }}</h1>
<ul>{{ range .Pages }}
<li><a href="{{ .RelPermalink }}">{{ .Title }}</a>
<time>{{ .Date.Format "2006-01-02" }}</time></li>{{ end }}
</ul>
</main>
"""
    + HUGO_TAIL,
    "index.html": HUGO_HEAD
    + """<main>
<h1>{{ .Site.Title }}</h1>
<ul>{{ range first 10 (where .Site.RegularPages "Section" "items") }}
<li><a href="{{ .RelPermalink }}">{{ .Title }}</a> <time>{{ .Date.Format "2006-01-02" }}</time>
<p>{{ .Params.summary }}</p></li>{{ end }}
</ul>
</main>
"""
    + HUGO_TAIL,
}


def write_hugo(archive: Archive, out: Path) -> None:
    """The same items as a minimal Hugo site with its own three layouts."""
    write(
        out / "config.toml",
        "\n".join(
            [
                'baseURL = "http://localhost:8000/"',
                'languageCode = "en"',
                'title = "Gazette Benchmark Archive"',
                'disableKinds = ["RSS", "sitemap", "robotsTXT", "404"]',
                "",
                "[taxonomies]",
                'tag = "tags"',
                "",
                "[permalinks]",
                'items = "/items/:slug/"',
                "",
            ]
        ),
    )
    for name, text in HUGO_LAYOUTS.items():
        write(out / "layouts" / name, text)
    sections = dict(SECTIONS)
    for item in archive.items:
        front = [
            "+++",
            f"title = {q(item.title)}",
            f"date = {item.date.isoformat()}",
            f"slug = {q(item.slug)}",
            f"tags = [{', '.join(q(t) for t in item.canonical_tags)}]",
            f"summary = {q(item.summary)}",
            f"issue = {q(item.issue)}",
            f"section_title = {q(sections[item.section])}",
            "+++",
            "",
        ]
        write(out / "content" / "items" / f"{item.slug}.md", "\n".join(front) + "\n" + item.body)


PELICAN_CONF = '''"""Minimal Pelican settings for the Gazette benchmark (generated)."""

AUTHOR = "Gazette Benchmark"
SITENAME = "Gazette Benchmark Archive"
SITEURL = ""
PATH = "content"
TIMEZONE = "UTC"
DEFAULT_LANG = "en"
RELATIVE_URLS = True
DEFAULT_PAGINATION = False

FEED_ALL_ATOM = None
FEED_ALL_RSS = None
CATEGORY_FEED_ATOM = None
TRANSLATION_FEED_ATOM = None
AUTHOR_FEED_ATOM = None
AUTHOR_FEED_RSS = None

ARTICLE_URL = "items/{slug}/"
ARTICLE_SAVE_AS = "items/{slug}/index.html"

# Pelican's own incremental-build support, so "warm" means the same for every tool.
CACHE_CONTENT = True
LOAD_CONTENT_CACHE = True
'''


def write_pelican(archive: Archive, out: Path) -> None:
    """The same items as a minimal Pelican site (Markdown with metadata headers)."""
    write(out / "pelicanconf.py", PELICAN_CONF)
    sections = dict(SECTIONS)
    for item in archive.items:
        header = [
            f"Title: {item.title}",
            f"Date: {item.date.isoformat()}",
            f"Tags: {', '.join(item.canonical_tags)}",
            f"Category: {sections[item.section]}",
            f"Slug: {item.slug}",
            f"Summary: {item.summary}",
            "",
        ]
        write(out / "content" / f"{item.slug}.md", "\n".join(header) + "\n" + item.body)


MKDOCS_YML = """\
site_name: Gazette Benchmark Archive
site_url: http://localhost:8000/
theme:
  name: material
plugins:
  - blog
"""


def write_mkdocs(archive: Archive, out: Path) -> None:
    """The same items as an MkDocs site with Material's blog plugin (posts with YAML
    front matter: date, categories, tags, slug; an excerpt before <!-- more -->)."""
    write(out / "mkdocs.yml", MKDOCS_YML)
    write(out / "docs" / "index.md", "# Gazette Benchmark Archive\n")
    write(out / "docs" / "blog" / "index.md", "# Blog\n")
    sections = dict(SECTIONS)
    for item in archive.items:
        front = [
            "---",
            f"date: {item.date.isoformat()}",
            f"categories: [{q(sections[item.section])}]",
            f"tags: [{', '.join(q(t) for t in item.canonical_tags)}]",
            f"slug: {q(item.slug)}",
            "---",
            "",
            f"# {item.title}",
            "",
            item.summary,
            "",
            "<!-- more -->",
            "",
        ]
        write(out / "docs" / "blog" / "posts" / f"{item.slug}.md", "\n".join(front) + item.body)


WRITERS = {
    "gazette": write_gazette,
    "hugo": write_hugo,
    "pelican": write_pelican,
    "mkdocs": write_mkdocs,
}


def generate(
    n_items: int,
    out: Path,
    seed: int = 1,
    fmt: str = "gazette",
    n_issues: int | None = None,
    plugins: str = "minimal",
) -> Archive:
    """Build the archive model and write it to ``out`` in layout ``fmt``."""
    archive = build_archive(n_items, seed, n_issues)
    if fmt == "gazette":
        write_gazette(archive, out, plugins)
    else:
        WRITERS[fmt](archive, out)
    return archive


# --------------------------------------------------------------------------- CLI


def parse_args(argv: Iterable[str] | None = None) -> argparse.Namespace:
    """Command line of the generator."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, required=True, help="number of items (>= 1)")
    parser.add_argument("--out", type=Path, required=True, help="directory to write")
    parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    parser.add_argument("--format", choices=FORMATS, default="gazette", help="output layout")
    parser.add_argument(
        "--issues", type=int, default=None, help="number of issues (default: up to 60)"
    )
    parser.add_argument(
        "--force", action="store_true", help="delete --out first if it exists and is not empty"
    )
    parser.add_argument(
        "--plugins",
        choices=("minimal", "sample", "sample-pagefind"),
        default="minimal",
        help="Gazette plugins: items, issues, home (minimal) or every sample plugin "
        "(sample: search on Gazette's own index; sample-pagefind: on Pagefind)",
    )
    args = parser.parse_args(None if argv is None else list(argv))
    if args.items < 1:
        parser.error("--items must be at least 1")
    if args.issues is not None and args.issues < 1:
        parser.error("--issues must be at least 1")
    return args


def main(argv: Iterable[str] | None = None) -> int:
    """Entry point: refuse to mix with stale files, since that breaks byte-identity."""
    args = parse_args(argv)
    out: Path = args.out
    if out.exists() and any(out.iterdir()):
        if not args.force:
            print(f"error: {out} is not empty (use --force to replace it)", file=sys.stderr)
            return 2
        shutil.rmtree(out)
    archive = generate(args.items, out, args.seed, args.format, args.issues, args.plugins)
    words = sum(count_words(item.body) for item in archive.items)
    print(
        f"wrote {len(archive.items)} items, {len(archive.issues)} issues, "
        f"{words} words ({args.format}) to {out}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
