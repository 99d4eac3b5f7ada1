"""The transparency register's facts kept in a file beside an on-disk store (``{data}.register``), so that a
start reads them in a fraction of a second instead of every agreement, organisation and derived dataset from
the catalogue index (and the retention periods from the store). Written by `registry load` (projections/bulk.py),
after each build from the index, and when the register closes; read when it opens. One file: a header line
(JSON: format, the store's identity, the base IRI the facts' IRIs are made of, the audit position they hold,
the size and digest of the rest), then the facts as one JSON document, in the layout of projections/
kept_file.py (readable by its owner only: it holds the agreements' retention periods, a restricted condition);
a file of another format, store or base IRI, a digest that does not match or a short read is not used (the
facts are read again from the index). The follower checks that the audit log continues from the position."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from registry.projections import kept_file
from registry.projections.base import Head
from registry.store.base import Store

log = logging.getLogger("registry")

MAGIC = b"registry-register\n"
#: bumped when the layout or what the facts hold changes (`register.FIELDS`, `register.Forms`): a file of
#: another format is not used (2: the parts' sizes as a list, kept_file's layout)
FORMAT = 2

#: the facts as plain lists (JSON): what `register.rows_of` writes and `register.facts_of` reads
Rows = list[list[Any]]


@dataclass(frozen=True)
class Saved:
    rows: Rows
    position: Head


def register_path(store: Store) -> Path | None:
    """``{data}.register`` beside an on-disk Oxigraph store opened for writing (`kept_file.beside`)."""
    return kept_file.beside(store, ".register")


def save(path: Path, rows: Rows, position: Head, source: str, base: str) -> None:
    """Write the facts and the position they hold, for the store named `source` and IRIs made from `base`."""
    body = json.dumps(rows, separators=(",", ":")).encode("ascii")  # ASCII: any text, lone surrogates too
    kept_file.write(path, MAGIC, {"format": FORMAT, "source": source, "base": base, "seq": position.seq,
                                  "hash": position.hash}, [body])


def _accepts(source: str, base: str) -> Callable[[kept_file.Header], bool]:
    return lambda h: h.get("format") == FORMAT and h.get("source") == source and h.get("base") == base


def position(path: Path, source: str, base: str) -> Head | None:
    """The position of the facts kept in `path` for the store named `source` and IRIs made from `base` (its
    header only: `load` checks the rest), or None when there are none to trust."""
    header = kept_file.header(path, MAGIC, _accepts(source, base), "register")
    try:
        return None if header is None else Head(int(header["seq"]), str(header["hash"]))
    except (KeyError, ValueError, TypeError) as e:
        log.warning("the register file %s cannot be read, not used: %s", path, e)
        return None


def load(path: Path, source: str, base: str) -> Saved | None:
    """The facts kept in `path` for the store named `source` and IRIs made from `base`, or None when there are
    none to trust."""
    found = kept_file.read(path, MAGIC, _accepts(source, base), "register")
    if found is None:
        return None
    header, (body,) = found
    try:
        rows = json.loads(body)
        if not isinstance(rows, list) or not all(isinstance(x, list) for x in rows):
            raise ValueError("not lists of facts")
        return Saved(rows, Head(int(header["seq"]), str(header["hash"])))
    except (ValueError, KeyError, TypeError) as e:
        log.warning("the register file %s cannot be read, not used: %s", path, e)
        return None


forget = kept_file.forget
