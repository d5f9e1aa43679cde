"""What the writer process knows of the folder it fills: every file's size, time and inode.

The up-to-date stamp (`gazette.output.uptodate`) holds a digest of the site
folder's metadata, and the writer decides whether a spare's file is already in
place by its size and time. Both used to stat every file: one walk of the
spare's 23,000 files at 10,000 items as each page was kept, and another of
the new site after the build, while the build process waited.

A ``Survey`` walks the spare once, when the writer starts: the build process
is still loading the content then, so the walk costs nothing on the way to
the finished site. The writer updates it as it places each file. At the end
it removes what the new site lacks and gives the stamp's lines without
walking again. The spare is the build's own folder (the build lock keeps
other builds out), so nothing else changes it in between; a file edited by
hand before the build is seen by the walk and replaced, as before.
"""

from __future__ import annotations

import contextlib
import os

from gazette.output.uptodate import file_line

Stat = tuple[int, int, int]  # size, mtime_ns, inode


class Survey:
    """The files (and folders) under one folder, by path relative to it."""

    def __init__(self, folder: str):
        self.folder = folder
        self.files: dict[str, Stat] = {}
        self.folders: set[str] = set()

    def scan(self) -> None:
        """Walk the folder (the spare): every file's metadata, every folder."""
        self._scan(self.folder, "")

    def _scan(self, folder: str, prefix: str) -> None:
        with os.scandir(folder) as entries:
            for entry in entries:
                relative = prefix + entry.name
                if entry.is_dir(follow_symlinks=False):
                    self.folders.add(relative)
                    self._scan(entry.path, relative + "/")
                else:
                    stat = entry.stat(follow_symlinks=False)
                    self.files[relative] = (stat.st_size, stat.st_mtime_ns, stat.st_ino)

    def placed(self, relative: str, stat: os.stat_result) -> None:
        """The writer has put a file at ``relative``."""
        self.files[relative] = (stat.st_size, stat.st_mtime_ns, stat.st_ino)

    def prune(self, wanted: set[str]) -> None:
        """Remove the files not ``wanted`` and the folders left without any file."""
        for relative in [r for r in self.files if r not in wanted]:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(os.path.join(self.folder, relative))
            del self.files[relative]
        needed = {parent for relative in self.files for parent in _parents(relative)}
        for relative in sorted(self.folders - needed, key=len, reverse=True):
            with contextlib.suppress(FileNotFoundError):
                os.rmdir(os.path.join(self.folder, relative))
        self.folders &= needed

    def lines(self) -> list[str]:
        """What `gazette.output.uptodate.walk` would list for the folder now."""
        tree: dict = {}
        for relative, stat in self.files.items():
            *parents, name = relative.split("/")
            node = tree
            for parent in parents:
                node = node.setdefault(parent, {})
            node[name] = stat
        for relative in self.folders:  # a folder with no file in it is listed too
            node = tree
            for part in relative.split("/"):
                node = node.setdefault(part, {})
        lines: list[str] = []
        _emit(tree, lines)
        return lines


def _parents(relative: str) -> list[str]:
    parts = relative.split("/")[:-1]
    return ["/".join(parts[: n + 1]) for n in range(len(parts))]


def _emit(node: dict, lines: list[str]) -> None:
    for name in sorted(node):
        if name == "__pycache__":
            continue
        value = node[name]
        if isinstance(value, dict):
            lines.append(f"d {name}")
            _emit(value, lines)
            lines.append("u")
        else:
            lines.append(file_line(name, *value))
