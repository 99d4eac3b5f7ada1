"""What a projection keeps in a file beside an on-disk store (``{data}.lineage``, ``{data}.register``), so a
start reads it instead of building it again. One layout for all: a line naming what the file holds, a header
line (JSON: what its owner checks, such as its format, the store's identity and the audit position it holds,
then the sizes of the parts and a SHA-256 of them), then the parts. Written whole to a temporary file made
anew (readable by its owner only: what a projection keeps may be restricted), synced and renamed over the old
one; a file of another kind, one its owner does not accept, a digest that does not match or a short read is
not used."""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, BinaryIO

from registry.store.base import Store
from registry.store.oxigraph import OxigraphStore

log = logging.getLogger("registry")

Header = dict[str, Any]
#: a part of a file: its bytes, or its bytes in chunks (written one after the other: never joined in memory)
Part = bytes | Sequence[bytes]


def beside(store: Store, suffix: str) -> Path | None:
    """``{data}{suffix}`` beside an on-disk Oxigraph store opened for writing; None otherwise (in memory, a
    remote store, or a store another process holds, whose files that process keeps)."""
    path = getattr(store, "path", None)
    if not isinstance(store, OxigraphStore) or path is None or store.read_only:
        return None
    return named(Path(path), suffix)


def named(data: Path, suffix: str) -> Path:
    """``{data}{suffix}``: the file of that suffix beside the store in the folder `data`."""
    return data.with_name(data.name + suffix)


def write(path: Path, magic: bytes, header: Header, parts: Sequence[Part]) -> None:
    """Write `parts` under `header` (to which their sizes and digest are added)."""
    chunked = [[p] if isinstance(p, bytes) else p for p in parts]
    digest = hashlib.sha256()
    for chunks in chunked:
        for chunk in chunks:
            digest.update(chunk)
    header = {**header, "sizes": [sum(map(len, chunks)) for chunks in chunked], "digest": digest.hexdigest()}
    tmp = path.with_name(path.name + ".tmp")
    tmp.unlink(missing_ok=True)  # a file left there keeps its own mode through O_TRUNC: made anew, owner-only
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(magic + json.dumps(header).encode("ascii") + b"\n")
        for chunks in chunked:
            f.writelines(chunks)
        f.flush()
        os.fsync(f.fileno())
    tmp.replace(path)


def header(path: Path, magic: bytes, accepts: Callable[[Header], bool], what: str) -> Header | None:
    """The header of the file in `path`, when it is one `accepts` takes (its parts unread: `read` checks
    them), else None."""
    try:
        with path.open("rb") as f:
            return _header(f, path, magic, accepts, what)
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError) as e:
        log.warning("the %s file %s cannot be read, not used: %s", what, path, e)
        return None


def read(path: Path, magic: bytes, accepts: Callable[[Header], bool], what: str) -> tuple[Header, list[bytes]] | None:
    """The header and parts of the file in `path`, when `accepts` takes its header and the parts are whole,
    else None."""
    try:
        with path.open("rb") as f:
            found = _header(f, path, magic, accepts, what)
            if found is None:
                return None
            parts = [f.read(int(n)) for n in found["sizes"]]
            extra = f.read(1)
        digest = hashlib.sha256()
        for part in parts:
            digest.update(part)
        if extra or [len(p) for p in parts] != found["sizes"] or digest.hexdigest() != found["digest"]:
            log.warning("the %s file %s is damaged: not used", what, path)
            return None
        return found, parts
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError) as e:
        log.warning("the %s file %s cannot be read, not used: %s", what, path, e)
        return None


def _header(f: BinaryIO, path: Path, magic: bytes, accepts: Callable[[Header], bool], what: str) -> Header | None:
    if f.readline() != magic:
        return None
    found = json.loads(f.readline())
    if not isinstance(found, dict):
        raise TypeError("a header that is not an object")
    if not accepts(found):
        log.info("the %s file %s was written for another store or format: not used", what, path)
        return None
    return found


def forget(path: Path | None) -> None:
    if path is not None:
        path.unlink(missing_ok=True)
