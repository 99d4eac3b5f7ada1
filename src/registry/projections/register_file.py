"""The transparency register's facts kept in a file beside an on-disk store (``{data}.register``), so that a
start reads them in a fraction of a second instead of every agreement, organisation and derived dataset from
the catalogue index (and the retention periods from the store). Written by `registry load` (projections/bulk.py),
after each build from the index, and when the register closes; read when it opens. One file: a header line
(JSON: format, the store's identity, the base IRI the facts' IRIs are made of, the audit position they hold,
the size and digest of the rest), then the facts as one JSON document. Written whole to a temporary file (readable
by its owner only: it holds the agreements' retention periods, a restricted condition) and renamed over the old
one; a file of another format, store or base IRI, a digest that does not match or a short read is not used (the
facts are read again from the index). The follower checks that the audit log continues from the position."""

from __future__ import annotations

import hashlib
import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from registry.projections.base import Head
from registry.store.base import Store
from registry.store.oxigraph import OxigraphStore

log = logging.getLogger("registry")

MAGIC = b"registry-register\n"
#: bumped when the layout or what the facts hold changes (`register.FIELDS`, `register.Forms`): a file of
#: another format is not used
FORMAT = 1

#: the facts as plain lists (JSON): what `register.rows_of` writes and `register.facts_of` reads
Rows = list[list[Any]]


@dataclass(frozen=True)
class Saved:
    rows: Rows
    position: Head


def register_path(store: Store) -> Path | None:
    """``{data}.register`` beside an on-disk Oxigraph store opened for writing; None otherwise (in memory, a
    remote store, or a store another process holds, whose file that process keeps)."""
    path = getattr(store, "path", None)
    if not isinstance(store, OxigraphStore) or path is None or store.read_only:
        return None
    return Path(path).with_name(Path(path).name + ".register")


def save(path: Path, rows: Rows, position: Head, source: str, base: str) -> None:
    """Write the facts and the position they hold, for the store named `source` and IRIs made from `base`."""
    body = json.dumps(rows, separators=(",", ":")).encode("ascii")  # ASCII: any text, lone surrogates too
    header = {"format": FORMAT, "source": source, "base": base, "seq": position.seq, "hash": position.hash,
              "size": len(body), "digest": hashlib.sha256(body).hexdigest()}
    tmp = path.with_name(path.name + ".tmp")
    tmp.unlink(missing_ok=True)  # a file left there keeps its own mode through O_TRUNC: made anew, owner-only
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(MAGIC + json.dumps(header).encode("ascii") + b"\n")
        f.write(body)
        f.flush()
        os.fsync(f.fileno())
    tmp.replace(path)


def position(path: Path, source: str, base: str) -> Head | None:
    """The position of the facts kept in `path` for the store named `source` and IRIs made from `base` (its
    header only: `load` checks the rest), or None when there are none to trust."""
    try:
        with path.open("rb") as f:
            header = _header(f, path, source, base)
        return None if header is None else Head(int(header["seq"]), str(header["hash"]))
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError) as e:
        log.warning("the register file %s cannot be read, not used: %s", path, e)
        return None


def _header(f: BinaryIO, path: Path, source: str, base: str) -> dict[str, Any] | None:
    if f.readline() != MAGIC:
        return None
    header = json.loads(f.readline())
    if not isinstance(header, dict):
        raise TypeError("a header that is not an object")
    if header.get("format") != FORMAT or header.get("source") != source or header.get("base") != base:
        log.info("the register file %s was written for another store, base IRI or format: not used", path)
        return None
    return header


def load(path: Path, source: str, base: str) -> Saved | None:
    """The facts kept in `path` for the store named `source` and IRIs made from `base`, or None when there are
    none to trust."""
    try:
        with path.open("rb") as f:
            header = _header(f, path, source, base)
            if header is None:
                return None
            size = int(header["size"])
            body = f.read(size)
            extra = f.read(1)
        if extra or len(body) != size or hashlib.sha256(body).hexdigest() != header["digest"]:
            log.warning("the register file %s is damaged: not used", path)
            return None
        rows = json.loads(body)
        if not isinstance(rows, list) or not all(isinstance(x, list) for x in rows):
            raise ValueError("not lists of facts")
        return Saved(rows, Head(int(header["seq"]), str(header["hash"])))
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError) as e:
        log.warning("the register file %s cannot be read, not used: %s", path, e)
        return None


def forget(path: Path | None) -> None:
    if path is not None:
        path.unlink(missing_ok=True)

