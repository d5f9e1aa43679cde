"""Up-to-date check: a build with nothing changed does nothing, in a fraction of a second.

Like ``make`` or ``ninja``, ``build`` first compares what it would read with
what the last complete build read, before loading anything. The *stamp*
(``.gazette-cache/stamp.json``), written after every build that wrote the
site, holds:

- a digest of the metadata (path, size, modification time in ns, inode) of
  every file under ``content/``, ``theme/`` and ``plugins/`` (the project's
  and Gazette's own), of the project's top-level files (``site.toml``), of
  Gazette's own code, and of the folder that holds the installed packages
  (installing or removing one changes it);
- the build request (every option but the clock, the output folder, the base
  URL) and ``SOURCE_DATE_EPOCH``;
- the same digest of the output folder as the build left it, so that a file
  deleted or edited in ``site/`` brings a real build;
- until when the site stays the same with no edit (``expires``): the next
  publication of a scheduled item, and what each plugin's ``expires`` hook
  reports (the events plugin: the next moment an event starts or ends). A
  project plugin without that hook may read the clock, so it turns the check
  off;
- what the build printed: its counts and warnings, printed again.

A file modified less than two seconds before the build started is *racy*: a
second save within the file system's timestamp granularity could keep its
size and time. A stamp keeps ``RACY`` for the digest of a folder that held a
racy file, so it is never reused: the next build runs in full (and says why)
and leaves a clean stamp. Any doubt costs one build, never
a stale site; a damaged or unreadable stamp is ignored.
"""

from __future__ import annotations

import hashlib
import json
import os
import sysconfig
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1]  # gazette/
REPO = PACKAGE.parent  # the built-in theme/ and plugins/ live beside it
RACY_NS = 2_000_000_000
STAMP = "stamp.json"
RACY = "racy"  # a stamp's digest of a root that the build could not vouch for
VERSION = 1


@dataclass(frozen=True)
class Inputs:
    """The metadata digest of what a build reads, taken before it reads anything."""

    digests: tuple[tuple[str, str], ...]  # (root label, digest)
    racy: tuple[str, ...]  # labels of the roots with a file modified just now

    def vouched(self) -> tuple[tuple[str, str], ...]:
        """The digests a stamp keeps: a racy root's is ``RACY``, which no digest equals."""
        return tuple((label, RACY if label in self.racy else d) for label, d in self.digests)


@dataclass(frozen=True)
class Stamp:
    request: str
    inputs: tuple[tuple[str, str], ...]
    output: str
    built: str  # ISO datetime: the build's clock
    expires: str | None  # ISO datetime, or None for "never"
    items: int
    issues: int
    files: int
    warnings: tuple[str, ...]


def walk(
    folder: str, lines: list[str], skip: frozenset[str] = frozenset(), deep: bool = True
) -> int:
    """Append one line per entry under ``folder`` (sorted, recursively when ``deep``).

    Returns the newest file modification time seen (ns). Plain strings and
    one ``stat`` per file: this walk of ``site/`` (23,000 files at 10,000
    items) took three times as long building a ``Path`` per entry. After a
    build, the site writer's survey (`gazette.output.survey`) gives the same
    lines without walking.
    """
    try:
        with os.scandir(folder) as scan:
            entries = sorted(scan, key=_name)
    except FileNotFoundError:
        lines.append("-")
        return 0
    except NotADirectoryError:
        stat = os.stat(folder)
        lines.append(f"{stat.st_size} {stat.st_mtime_ns} {stat.st_ino}")
        return 0
    newest = 0
    for entry in entries:
        if entry.name == "__pycache__" or (skip and entry.path in skip):
            continue
        if entry.is_dir(follow_symlinks=False):
            if deep:
                lines.append(f"d {entry.name}")
                newest = max(newest, walk(entry.path, lines, skip, deep))
                lines.append("u")
        else:
            stat = entry.stat(follow_symlinks=False)
            newest = max(newest, stat.st_mtime_ns)
            lines.append(file_line(entry.name, stat.st_size, stat.st_mtime_ns, stat.st_ino))
    return newest


def file_line(name: str, size: int, mtime_ns: int, inode: int) -> str:
    """A file's line in `walk`'s listing."""
    return f"f {name} {size} {mtime_ns} {inode}"


def _name(entry: os.DirEntry) -> str:
    return entry.name


def _digest(lines: list[str]) -> str:
    text = "\n".join(lines) + "\n" if lines else ""
    return hashlib.blake2b(text.encode("utf-8", "surrogateescape"), digest_size=16).hexdigest()


def _roots(project: Path) -> list[tuple[str, Path, bool]]:
    roots = [("site.toml and top-level files", project, False)]
    for name in ("content", "theme", "plugins"):
        roots.append((f"{name}/", project / name, True))
    roots += [
        ("Gazette's code", PACKAGE, True),
        ("built-in theme", REPO / "theme", True),
        ("built-in plugins", REPO / "plugins", True),
    ]
    seen: set[tuple[Path, bool]] = set()
    unique = []
    for label, path, deep in roots:
        key = path.resolve()
        if (key, deep) not in seen:
            seen.add((key, deep))
            unique.append((label, path, deep))
    return unique


def take_inputs(project: Path, skip: Iterable[Path]) -> Inputs:
    """The digest of every input's metadata, and whether any was modified just now."""
    skipped = frozenset(str(p.resolve()) for p in skip)
    racy_after = time.time_ns() - RACY_NS
    digests, racy = [], []
    for label, path, deep in _roots(project):
        lines: list[str] = []
        newest = walk(str(path.resolve()), lines, skipped, deep)
        digests.append((label, _digest(lines)))
        if newest >= racy_after:
            racy.append(label)
    packages = Path(sysconfig.get_paths()["purelib"])
    digests.append(("installed packages", _folder_line(packages)))
    return Inputs(tuple(digests), tuple(racy))


def _folder_line(folder: Path) -> str:
    try:
        stat = folder.stat()
    except OSError:
        return "-"
    return f"{stat.st_mtime_ns} {stat.st_ino}"


def output_digest(output: Path, entries: list[str] | None = None) -> str:
    """The metadata digest of the output folder, its own inode included.

    ``entries`` are `walk`'s lines for the folder when the caller has them (the
    site writer walks the new site as it finishes it), so it is not walked again.
    """
    if entries is None:
        entries = []
        walk(str(output), entries)
    return _digest([_folder_line(output), *entries])


def request_key(fields: dict[str, object]) -> str:
    fields = {**fields, "SOURCE_DATE_EPOCH": os.environ.get("SOURCE_DATE_EPOCH")}
    return json.dumps(fields, sort_keys=True, default=str)


def save(path: Path, stamp: Stamp) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps({"version": VERSION, **asdict(stamp)}), encoding="utf-8")
    os.replace(temporary, path)


def forget(path: Path) -> None:
    """Drop the stamp before a build starts changing the site."""
    path.unlink(missing_ok=True)


def load(path: Path) -> Stamp | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data["version"] != VERSION:
            return None
        return Stamp(
            request=str(data["request"]),
            inputs=tuple((str(label), str(value)) for label, value in data["inputs"]),
            output=str(data["output"]),
            built=str(data["built"]),
            expires=None if data["expires"] is None else str(data["expires"]),
            items=int(data["items"]),
            issues=int(data["issues"]),
            files=int(data["files"]),
            warnings=tuple(str(w) for w in data["warnings"]),
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None


def stale_reasons(
    stamp: Stamp | None, request: str, inputs: Inputs, output: Path, now: datetime
) -> list[str]:
    """Why the last build's site cannot stand as this build's (empty: it can)."""
    if stamp is None:
        return ["no record of a complete build"]
    reasons = []
    if stamp.request != request:
        reasons.append("the build options changed")
    old = dict(stamp.inputs)
    for label, value in inputs.digests:
        if old.get(label) == RACY:
            reasons.append(f"{label} had a file saved as the last build started")
        elif old.get(label) != value:
            reasons.append(f"{label} changed")
    if now < datetime.fromisoformat(stamp.built):
        reasons.append(f"the clock is earlier than the last build's ({stamp.built})")
    if stamp.expires is not None and now >= datetime.fromisoformat(stamp.expires):
        reasons.append(f"the site changes with time at {stamp.expires} (events, scheduled items)")
    if not reasons and stamp.output != output_digest(output):
        reasons.append("the output folder was changed")
    return reasons
