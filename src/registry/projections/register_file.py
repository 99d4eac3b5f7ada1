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
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import islice
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
#: the file's name is the store's folder's and this (`register_path`)
SUFFIX = ".register"

#: the facts as plain lists (JSON): what `register.facts_of` reads
Rows = list[list[Any]]
#: the rows of the facts encoded at a time when they are written (a part of the JSON, not all of it at once)
ROWS_A_CHUNK = 4096
_dumps = json.JSONEncoder(separators=(",", ":")).encode  # ASCII: any text, lone surrogates too


@dataclass(frozen=True)
class Sections:
    """The facts as `register.rows_of` makes them, to be kept as the rows `[shared(), *sections]`: each
    section's rows made as they are read, then what they share (known once they all are read)."""

    sections: Sequence[Iterable[list[Any]]]
    shared: Callable[[], list[Any]]

    def rows(self) -> Rows:
        """All the rows at once (what `load` gives back)."""
        sections = [list(s) for s in self.sections]
        return [self.shared(), *sections]


@dataclass(frozen=True)
class Saved:
    rows: Rows
    position: Head


def register_path(store: Store) -> Path | None:
    """``{data}.register`` beside an on-disk Oxigraph store opened for writing (`kept_file.beside`)."""
    return kept_file.beside(store, SUFFIX)


def save(path: Path, facts: Sections, position: Head, source: str, base: str) -> None:
    """Write the facts and the position they hold, for the store named `source` and IRIs made from `base`."""
    kept_file.write(path, MAGIC, {"format": FORMAT, "source": source, "base": base, "seq": position.seq,
                                  "hash": position.hash}, [encode(facts)])


def encode(facts: Sections) -> list[bytes]:
    """The JSON of `facts.rows()` (compact, ASCII), in chunks of `ROWS_A_CHUNK` rows encoded one after the other:
    neither every row as lists nor the JSON as one text is held (at a million datasets, each several times
    the file's size)."""
    body: list[bytes] = []
    for section in facts.sections:
        body.append(b",")
        body += _array(section)
    return [b"[", *_array(facts.shared()), *body, b"]"]


def _array(items: Iterable[Any]) -> Iterator[bytes]:
    """The JSON of a list of `items`, `ROWS_A_CHUNK` of them encoded at a time."""
    it = iter(items)
    yield b"["
    sep = ""
    while batch := list(islice(it, ROWS_A_CHUNK)):
        yield (sep + _dumps(batch)[1:-1]).encode("ascii")
        sep = ","
    yield b"]"


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
