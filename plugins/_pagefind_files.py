"""Pagefind's files made deterministic, and checked whole.

Package-private helper of ``plugins/_search_index.py`` (loaded by path, as the
plugin's other helpers are). Pagefind writes some files in an order that
changes from run to run; Gazette promises the same bytes for the same input,
so ``canonical`` puts them in order. ``complete`` tells whether a bundle read
back is whole, collecting each page's date on the way.
"""

from __future__ import annotations

import gzip
import hashlib
import json
from collections.abc import Mapping, Sequence

# Pagefind writes each filter chunk (``filter/*.pf_filter``) and the list of
# filters in the metadata (``pagefind.<lang>_<hash>.pf_meta``) in the order of a
# Rust HashMap, which is seeded at random in every process: two runs over the
# same records give different bytes and file names. Gazette promises identical
# output for identical input (and a cached shard must equal a rebuilt one), so
# those files are put in a canonical order here and renamed after their
# content. Both are gzipped CBOR after an 12-byte signature; only the array
# structure is walked, every other item is kept byte for byte.

SIGNATURE = b"pagefind_dcd"


def _cbor_head(data: bytes, at: int) -> tuple[int, int, int]:
    """(major type, argument, offset after the head) of the CBOR item at ``at``."""
    first = data[at]
    major, info = first >> 5, first & 31
    if info < 24:
        return major, info, at + 1
    size = {24: 1, 25: 2, 26: 4, 27: 8}[info]
    return major, int.from_bytes(data[at + 1 : at + 1 + size], "big"), at + 1 + size


def _cbor_end(data: bytes, at: int) -> int:
    """The offset just after the CBOR item at ``at`` (definite lengths only, as Pagefind writes)."""
    major, argument, at = _cbor_head(data, at)
    if major in (2, 3):
        return at + argument
    if major in (4, 5):
        for _ in range(argument * (2 if major == 5 else 1)):
            at = _cbor_end(data, at)
    return at


def _cbor_items(data: bytes, at: int) -> tuple[list[bytes], int]:
    """The raw items of the CBOR array at ``at``, and the offset after it."""
    major, count, at = _cbor_head(data, at)
    if major != 4:
        raise ValueError("not a CBOR array")
    items = []
    for _ in range(count):
        end = _cbor_end(data, at)
        items.append(data[at:end])
        at = end
    return items, at


def _cbor_start(major: int, argument: int) -> bytes:
    """The shortest CBOR head, as Pagefind writes it."""
    if argument < 24:
        return bytes([major << 5 | argument])
    for info, size in ((24, 1), (25, 2), (26, 4), (27, 8)):
        if argument < 1 << (8 * size):
            return bytes([major << 5 | info]) + argument.to_bytes(size, "big")
    raise ValueError("CBOR argument too large")


def _cbor_array(items: Sequence[bytes]) -> bytes:
    return _cbor_start(4, len(items)) + b"".join(items)


def _cbor_text(text: str) -> bytes:
    data = text.encode()
    return _cbor_start(3, len(data)) + data


def _cbor_text_value(item: bytes) -> str:
    major, size, at = _cbor_head(item, 0)
    if major != 3:
        raise ValueError("not a CBOR text")
    return item[at : at + size].decode()


def _renamed(old: str, content: bytes) -> str:
    """``<lang>_<hex>`` with the same length as ``old``, the hex from ``content``."""
    language, _, digits = old.rpartition("_")
    return f"{language}_{hashlib.blake2b(content, digest_size=16).hexdigest()[: len(digits)]}"


def _gzip(data: bytes) -> bytes:
    return gzip.compress(data, compresslevel=9, mtime=0)


def canonical(files: dict[str, bytes]) -> dict[str, bytes]:
    """A Pagefind bundle with its filter chunks and metadata in a canonical order."""
    out = dict(files)
    renames: dict[str, str] = {}
    for path in [p for p in files if p.startswith("filter/") and p.endswith(".pf_filter")]:
        data = gzip.decompress(files[path])
        if not data.startswith(SIGNATURE):
            raise ValueError(f"{path}: not a Pagefind file")
        # [filter name, [[value, [page, ...]], ...]]: sort the values.
        top, _ = _cbor_items(data, len(SIGNATURE))
        values, _ = _cbor_items(top[1], 0)
        body = SIGNATURE + _cbor_array([top[0], _cbor_array(sorted(values)), *top[2:]])
        old = path[len("filter/") : -len(".pf_filter")]
        renames[old] = _renamed(old, body)
        del out[path]
        out[f"filter/{renames[old]}.pf_filter"] = _gzip(body)
    for path in [p for p in files if p.endswith(".pf_meta") and "/" not in p]:
        data = gzip.decompress(files[path])
        if not data.startswith(SIGNATURE):
            raise ValueError(f"{path}: not a Pagefind file")
        # [version, pages, index chunks, [[filter, chunk], ...], sorts, meta fields]
        top, _ = _cbor_items(data, len(SIGNATURE))
        filters = []
        for entry in _cbor_items(top[3], 0)[0]:
            name, chunk = (_cbor_text_value(part) for part in _cbor_items(entry, 0)[0])
            filters.append((name, renames.get(chunk, chunk)))
        top[3] = _cbor_array(
            [_cbor_array([_cbor_text(n), _cbor_text(c)]) for n, c in sorted(filters)]
        )
        body = SIGNATURE + _cbor_array(top)
        old = path[len("pagefind.") : -len(".pf_meta")]
        new = _renamed(old, body)
        del out[path]
        out[f"pagefind.{new}.pf_meta"] = _gzip(body)
        entry = out["pagefind-entry.json"]
        out["pagefind-entry.json"] = entry.replace(f'"{old}"'.encode(), f'"{new}"'.encode())
    return dict(sorted(out.items()))


def _date_of(plain: bytes) -> str:
    """The ``date`` meta of an unzipped Pagefind fragment."""
    text = plain.decode()
    return json.loads(text[text.index("{") :])["meta"]["date"]


# Pagefind's gzipped files: a gzip stream ends with its length and CRC, so a
# file still being written fails to unzip. Its JavaScript cannot check itself.
_ZIPPED = (".pf_meta", ".pf_index", ".pf_fragment", ".pf_filter", ".pagefind")


def complete(files: Mapping[str, bytes], dates: dict[str, str] | None = None) -> bool:
    """Whether a bundle read from disk is whole: its entry parses, every chunk
    and WebAssembly file unzips, and no file is empty.

    With ``dates``, also fills it with each fragment's page id (the file's stem)
    and date, read from the fragments it unzips anyway.
    """
    try:
        if not all(files.values()):
            return False
        entry = json.loads(files["pagefind-entry.json"])
        for language in entry["languages"].values():
            if f"pagefind.{language['hash']}.pf_meta" not in files:
                return False
        for path, data in files.items():
            if path.endswith(_ZIPPED):
                plain = gzip.decompress(data)
                if dates is not None and path.startswith("fragment/"):
                    dates[path[len("fragment/") : -len(".pf_fragment")]] = _date_of(plain)
    except (KeyError, ValueError, TypeError, EOFError, OSError):
        return False
    return True
