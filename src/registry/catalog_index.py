"""The catalogue index: SQLite (FTS5) beside the store, for lists, text search and counts at scale.

It holds the public fields of every record (never restricted ones, so a search can reveal nothing an
anonymous caller may not see): one row per record, its facets (publisher, access, keywords,
agreement parties, ...) and a full-text index of titles, descriptions, names and keywords. Counts
per facet value are kept up to date on every write, in the same SQLite transaction, never scanned.

It follows the store through the audit log: it remembers the last audit sequence number it has
applied, and before answering it applies any newer entries (written by this process, another
replica, or before a crash). A bulk load, which writes no audit entries, rebuilds it.
"""

from __future__ import annotations

import sqlite3
import threading
from collections import Counter
from pathlib import Path
from typing import Any

from rdflib import URIRef

from registry.audit import AuditLog
from registry.model import KINDS, RecordKind
from registry.namespaces import RDF, REG

#: filter name -> field of the record's JSON, where they differ
FIELD_OF = {"keyword": "keywords", "dataset": "datasets", "purpose": "purposes"}
TEXT_FIELDS = ("title", "name", "description", "keywords")

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS records (
  rowid INTEGER PRIMARY KEY,
  kind TEXT NOT NULL, id TEXT NOT NULL, retired INTEGER NOT NULL DEFAULT 0,
  UNIQUE (kind, id));
CREATE TABLE IF NOT EXISTS facets (
  kind TEXT NOT NULL, facet TEXT NOT NULL, value TEXT NOT NULL, rid INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS facets_lookup ON facets (kind, facet, value, rid);
CREATE INDEX IF NOT EXISTS facets_record ON facets (rid);
CREATE TABLE IF NOT EXISTS counts (
  kind TEXT NOT NULL, facet TEXT NOT NULL, value TEXT NOT NULL, n INTEGER NOT NULL,
  PRIMARY KEY (kind, facet, value));
CREATE VIRTUAL TABLE IF NOT EXISTS text USING fts5(body, tokenize = 'unicode61 remove_diacritics 2');
"""


def _fts_query(q: str) -> str:
    """A user's words as an FTS5 query: every word must match (as a prefix), no operators."""
    words = ["".join(ch for ch in w if ch.isalnum()) for w in q.split()]
    return " ".join(f'"{w}"*' for w in words if w)


def _facet_values(kind: RecordKind, record: dict[str, Any]) -> list[tuple[str, str]]:
    out = []
    for name in kind.filters:
        value = record.get(FIELD_OF.get(name, name))
        for v in value if isinstance(value, list) else [value]:
            if v is not None:
                out.append((name, str(v)))
    return out


def _text(record: dict[str, Any]) -> str:
    parts = []
    for f in TEXT_FIELDS:
        v = record.get(f)
        parts += [str(x) for x in v] if isinstance(v, list) else [str(v)] if v else []
    return "\n".join(parts)


def _read_predicates(kind: RecordKind) -> set[URIRef]:
    """The predicates of a record the index reads: its type, and those of its facets, its text and
    its retirement."""
    wanted = set(TEXT_FIELDS) | {FIELD_OF.get(name, name) for name in kind.filters}
    return ({p for p, f in kind.fields.items() if f in wanted} | {p for p, _ns in kind.filters.values()}
            | {REG.retired, RDF.type})


class CatalogIndex:
    def __init__(self, path: Path | None, records: Any, audit: AuditLog) -> None:
        self.path = path
        self.records = records
        self.audit = audit
        self._lock = threading.RLock()
        self.db = sqlite3.connect(str(path) if path else ":memory:", check_same_thread=False, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.executescript(SCHEMA)

    # ---------------------------------------------------------------- state
    def applied(self) -> int:
        row = self.db.execute("SELECT value FROM meta WHERE key = 'seq'").fetchone()
        return int(row[0]) if row else -1

    def _set_applied(self, seq: int) -> None:
        self.db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('seq', ?)", (str(seq),))

    # ------------------------------------------------------------- writing
    def _remove(self, kind: str, rid: str) -> None:
        row = self.db.execute("SELECT rowid, retired FROM records WHERE kind = ? AND id = ?", (kind, rid)).fetchone()
        if row is None:
            return
        rowid, retired = row
        if not retired:
            for facet, value in self.db.execute("SELECT facet, value FROM facets WHERE rid = ?", (rowid,)).fetchall():
                self.db.execute("UPDATE counts SET n = n - 1 WHERE kind = ? AND facet = ? AND value = ?",
                                (kind, facet, value))
            self.db.execute("UPDATE counts SET n = n - 1 WHERE kind = ? AND facet = '' AND value = ''", (kind,))
        self.db.execute("DELETE FROM facets WHERE rid = ?", (rowid,))
        self.db.execute("DELETE FROM text WHERE rowid = ?", (rowid,))
        self.db.execute("DELETE FROM records WHERE rowid = ?", (rowid,))

    def _put(self, kind: RecordKind, record: dict[str, Any]) -> None:
        self._remove(kind.name, record["id"])
        rowid = self.db.execute("SELECT COALESCE(MAX(rowid), 0) + 1 FROM records").fetchone()[0]
        counts: Counter[tuple[str, str, str]] = Counter()
        self._insert(kind, [(rowid, record)], counts)
        self._add_counts(counts)

    def _add_counts(self, counts: Counter[tuple[str, str, str]]) -> None:
        self.db.executemany("INSERT INTO counts (kind, facet, value, n) VALUES (?, ?, ?, ?) "
                            "ON CONFLICT (kind, facet, value) DO UPDATE SET n = n + excluded.n",
                            [(*key, n) for key, n in counts.items()])

    def upsert(self, kind: RecordKind, rid: str, seq: int | None = None) -> None:
        """Index the record as the store holds it now (public fields only)."""
        with self._lock:
            self.db.execute("BEGIN")
            try:
                if self.records.exists(kind, rid):
                    self._put(kind, self.records.get(kind, rid, full=False))
                else:
                    self._remove(kind.name, rid)
                if seq is not None and self.applied() == seq - 1:  # otherwise sync() catches up
                    self._set_applied(seq)
                self.db.execute("COMMIT")
            except BaseException:
                self.db.execute("ROLLBACK")
                raise

    def invalidate(self) -> None:
        """Forget what was applied: the next read rebuilds (after a bulk load, which logs nothing)."""
        with self._lock:
            self.db.execute("DELETE FROM meta WHERE key = 'seq'")

    def rebuild(self) -> None:
        """Index every record of the store from scratch, in one transaction: rows in batches, counts
        summed here and written once (a million datasets in one pass, not a million upserts)."""
        with self._lock:
            self.db.execute("BEGIN")
            try:
                for table in ("records", "facets", "counts", "text"):
                    self.db.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed table names
                seq = self.audit.head().seq
                counts: Counter[tuple[str, str, str]] = Counter()
                rowid = 0
                for kind in KINDS.values():
                    batch: list[tuple[int, dict[str, Any]]] = []
                    for record in self.records.public_records(kind, _read_predicates(kind)):
                        rowid += 1
                        batch.append((rowid, record))
                        if len(batch) >= 5000:
                            self._insert(kind, batch, counts)
                            batch = []
                    self._insert(kind, batch, counts)
                self._add_counts(counts)
                self._set_applied(seq)
                self.db.execute("COMMIT")
            except BaseException:
                self.db.execute("ROLLBACK")
                raise

    def _insert(self, kind: RecordKind, batch: list[tuple[int, dict[str, Any]]],
                counts: Counter[tuple[str, str, str]]) -> None:
        """New rows for records not in the index (at the rowids given), adding their facets to `counts`."""
        records, facets, texts = [], [], []
        for rowid, record in batch:
            retired = 1 if record.get("retired") else 0
            records.append((rowid, kind.name, record["id"], retired))
            values = _facet_values(kind, record)
            facets += [(kind.name, f, v, rowid) for f, v in values]
            texts.append((rowid, _text(record)))
            if not retired:
                counts.update((kind.name, f, v) for f, v in [*values, ("", "")])
        self.db.executemany("INSERT INTO records (rowid, kind, id, retired) VALUES (?, ?, ?, ?)", records)
        self.db.executemany("INSERT INTO facets (kind, facet, value, rid) VALUES (?, ?, ?, ?)", facets)
        self.db.executemany("INSERT INTO text (rowid, body) VALUES (?, ?)", texts)

    def sync(self) -> None:
        """Apply the audit entries newer than the last one applied (or rebuild on first use)."""
        head = self.audit.head().seq
        applied = self.applied()
        if applied == head:
            return
        if applied < 0 or applied > head:
            self.rebuild()
            return
        changed: dict[tuple[str, str], int] = {}
        entries, _ = self.audit.entries(limit=head - applied, offset=0)
        for e in entries:
            kind_id = self.records.iris.split(e["record"])
            if kind_id and kind_id[0] in KINDS:
                changed.setdefault(kind_id, e["seq"])
        for (kind_name, rid), _seq in changed.items():
            self.upsert(KINDS[kind_name], rid)
        with self._lock:
            self._set_applied(head)

    # ------------------------------------------------------------- reading
    def search(self, kind: RecordKind, *, filters: dict[str, str], q: str | None, limit: int, offset: int,
               include_retired: bool) -> tuple[list[str], int]:
        """(ids of one page in id order, or by relevance when searching; the exact total)."""
        self.sync()
        # The plans start from the most selective table (SQLite's CROSS JOIN keeps the order written):
        # the full-text match when searching, else the facet index of the first filter, else the records.
        sources, where, params = [], ["r.kind = ?"], [kind.name]
        order = "r.id"
        if q:
            match = _fts_query(q)
            if not match:
                return [], 0
            sources.append("text")
            where.append("text MATCH ?")
            params.append(match)
            order = "bm25(text), r.id"
        items = sorted(filters.items())
        for i, (name, value) in enumerate(items):
            sources.append(f"facets f{i}")
            where.append(f"f{i}.kind = ? AND f{i}.facet = ? AND f{i}.value = ? AND f{i}.rid = r.rowid")
            params += [kind.name, name, value]
        if not include_retired:
            where.append("r.retired = 0")
        if q:
            where.append("text.rowid = r.rowid")
        sql = f"FROM {' CROSS JOIN '.join([*sources, 'records r'])} WHERE {' AND '.join(where)}"  # noqa: S608
        with self._lock:
            if not q and not items and not include_retired:  # the live total is kept on write
                row = self.db.execute("SELECT n FROM counts WHERE kind = ? AND facet = '' AND value = ''",
                                      (kind.name,)).fetchone()
                total = row[0] if row else 0
            else:
                total = self.db.execute(f"SELECT COUNT(*) {sql}", params).fetchone()[0]
            rows = self.db.execute(f"SELECT r.id {sql} ORDER BY {order} LIMIT ? OFFSET ?",
                                   [*params, limit, offset]).fetchall()
        return [r[0] for r in rows], int(total)

    def counts(self) -> dict[str, Any]:
        """Records per kind, and per value of each facet (live records only)."""
        self.sync()
        with self._lock:
            rows = self.db.execute("SELECT kind, facet, value, n FROM counts WHERE n > 0 ORDER BY kind, facet, n DESC, value")
            out: dict[str, Any] = {}
            for kind, facet, value, n in rows:
                entry = out.setdefault(kind, {"total": 0, "by": {}})
                if facet == "":
                    entry["total"] = n
                else:
                    entry["by"].setdefault(facet, {})[value] = n
        return out

    def close(self) -> None:
        with self._lock:
            self.db.close()

