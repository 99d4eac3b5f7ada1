"""The catalogue index: SQLite (FTS5) beside the store, for lists, text search and counts at scale. It
holds the public form of every record (what anyone may read, so a search reveals nothing more), its
facets with their counts, and a full-text index of titles, descriptions, names and keywords. A projection
(projections/base.py): its position is kept in the SQLite file, in the transaction of the rows it covers.
"""

from __future__ import annotations

import json
import re
import sqlite3
import threading
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from registry.domain.model import KINDS, RecordKind
from registry.domain.model.common import Triples
from registry.iris import Iris, is_slug
from registry.projections.base import Entry, Head
from registry.projections.follower import Follower
from registry.resources import Resources
from registry.stopping import checkpoint
from registry.store.base import Store, Triple

#: filter name -> field of the record's JSON, where they differ
FIELD_OF = {"keyword": "keywords", "dataset": "datasets", "purpose": "purposes", "theme": "themes"}
TITLE_FIELDS = ("title", "name")
BODY_FIELDS = ("description", "keywords")

#: bumped when the tables change: an index file of another version is dropped and rebuilt
VERSION = 5

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS records (
  rowid INTEGER PRIMARY KEY,
  kind TEXT NOT NULL, id TEXT NOT NULL, retired INTEGER NOT NULL DEFAULT 0, doc TEXT NOT NULL,
  UNIQUE (kind, id));
CREATE TABLE IF NOT EXISTS facets (
  kind TEXT NOT NULL, facet TEXT NOT NULL, value TEXT NOT NULL, rid INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS facets_lookup ON facets (kind, facet, value, rid);
CREATE INDEX IF NOT EXISTS facets_record ON facets (rid);
CREATE TABLE IF NOT EXISTS counts (
  kind TEXT NOT NULL, facet TEXT NOT NULL, value TEXT NOT NULL, n INTEGER NOT NULL,
  PRIMARY KEY (kind, facet, value));
CREATE INDEX IF NOT EXISTS counts_rank ON counts (kind, facet, n DESC, value);
"""

#: one full-text table per kind (a search never has to leave other kinds out), rowid = records.rowid:
#: the title (or name), the rest of the text, and tags (one token per facet value, and "retired") that
#: let the match itself filter, so its count is the exact total without a join
TEXT_TABLE = ("CREATE VIRTUAL TABLE IF NOT EXISTS {table} USING fts5(title, body, tags, "
              "tokenize = 'unicode61 remove_diacritics 2')")
#: bm25 weights of title, body and tags
WEIGHTS = "3.0, 1.0, 0.0"
RETIRED = "retired"
#: a tag token, or the start of one, but "retired"
_TAG_TOKEN = re.compile(r"f[0-9a-f]*")
#: ids bound in one read of several records
_CHUNK = 500


def record_doc(record: dict[str, Any]) -> str:
    """A record's public form as the index keeps it (the `doc` of its row)."""
    return json.dumps(record, separators=(",", ":"))


def text_table(kind: str) -> str:
    return "text_" + "".join(ch for ch in kind if ch.isalnum())


def vocab_table(kind: str) -> str:
    """The tokens of a kind's full-text table, a row per occurrence (FTS5's fts5vocab, in the connection's
    temp schema): the tokens beginning with a word are a range of it."""
    return "vocab_" + "".join(ch for ch in kind if ch.isalnum())


def _tag(facet: str, value: str) -> str:
    """A facet value as one token of the tags column (hex: no tokenizer splits it)."""
    return "f" + f"{facet}={value}".encode().hex()


def _letter_or_digit(ch: str) -> bool:
    category = unicodedata.category(ch)
    return category[0] in "LN" or category == "Co"


def _parts(word: str) -> list[str]:
    """A user's word as the index's tokenizer (unicode61) reads it: its parts, [] if it holds no letter or
    digit. What the tokenizer reads as a separator splits it: punctuation, symbols and controls, so
    `ohip.claims_daily_summary` is `ohip claims daily summary` (its parts in a row, as the title was
    indexed), and no FTS5 syntax (`"`, `*`, `:`, `^`, `(`) reaches the query. Combining marks stay: the
    tokenizer keeps them inside a word."""
    text = "".join(ch if _letter_or_digit(ch) or unicodedata.category(ch)[0] == "M" else " " for ch in word)
    return text.split() if any(map(_letter_or_digit, text)) else []


def _phrase(parts: list[str], prefix: bool = True) -> str:
    """Parts as a quoted FTS5 phrase, its last token a prefix unless `prefix` is false."""
    return '"' + " ".join(parts) + ('"*' if prefix else '"')


def _folded(part: str) -> str | None:
    """A part as the index holds its token when it is plain ASCII letters and digits (in lower case);
    else None: the tokenizer's folding of other letters is not repeated here."""
    return part.lower() if part.isascii() and part.isalnum() else None


def _may_be_tag(part: str) -> bool:
    """Whether a part might match a token of the tags column, or the start of one ("retired", "f" and hex
    digits); a part that is not plain ASCII might fold into one."""
    folded = _folded(part)
    return folded is None or RETIRED.startswith(folded) or _TAG_TOKEN.fullmatch(folded) is not None


def _fts_query(q: str, filters: dict[str, str], include_retired: bool,
               whole: Callable[[str], bool] | None = None) -> str:
    """A user's words as an FTS5 query: every word must match the title or body (a technical name as
    the phrase of its parts, the last one a prefix), no operators; each filter and the leaving out of
    retired records are tags. With `whole` (the index holds no token that begins with this one but
    itself), the same query in a form FTS5 answers in less time, matching the same rows with the same
    bm25 scores: a last part no other token begins with is matched as itself, not as a prefix (FTS5
    merges the rows of every token a prefix begins, for each cursor over the match), and the words are
    not scoped to title and body when none of them could match in the tags column."""
    words = [p for p in map(_parts, q.split()) if p]
    if not words:
        return ""
    if whole is None:
        phrases, scoped = [_phrase(w) for w in words], True
    else:
        phrases = [_phrase(w, prefix=not ((last := _folded(w[-1])) and whole(last))) for w in words]
        scoped = any(all(map(_may_be_tag, w)) for w in words)
    match = ("{title body} : (" if scoped else "(") + " ".join(phrases) + ")"
    for name, value in sorted(filters.items()):
        match += f" AND {{tags}} : {_tag(name, value)}"
    if not include_retired:
        match += f" NOT {{tags}} : {RETIRED}"
    return match


def _facet_values(kind: RecordKind, record: dict[str, Any]) -> list[tuple[str, str]]:
    out = []
    for name in kind.filters:
        value = record.get(FIELD_OF.get(name, name))
        for v in value if isinstance(value, list) else [value]:
            if v is not None:
                out.append((name, str(v)))
    return out


def _words(record: dict[str, Any], fields: tuple[str, ...]) -> str:
    parts = []
    for f in fields:
        v = record.get(f)
        if isinstance(v, dict):  # a text in several languages: each of them
            v = [v[k] for k in sorted(v)]
        parts += [str(x) for x in v] if isinstance(v, list) else [str(v)] if v else []
    return "\n".join(parts)


class Behind(Exception):  # noqa: N818 - a state, not a failure
    """The index cannot answer at once: its last committed state is not the audit log's head, SQLite is busy,
    or it is in memory (no second connection). The lookup then makes the form from the store, in the thread
    pool (services/records.py `public_doc`)."""


class CatalogIndex:
    """The catalogue index of one store, in the SQLite file `path` (in memory when None). Its follower
    locks it for each read and write: one connection, never used by two threads at once. A file has a
    second connection, read only, for a lookup that may not wait for that lock (`doc`)."""

    name = "catalog"

    def __init__(self, path: Path | None, store: Store, iris: Iris, resources: Resources, follower: Follower,
                 rank_limit: int = 5000) -> None:
        self.path = path
        self.rank_limit = max(0, rank_limit)
        self.store, self.iris, self.res, self.follower = store, iris, resources, follower
        self.db = sqlite3.connect(str(path) if path else ":memory:", check_same_thread=False, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self._create()
        # in WAL mode it reads the last committed state: never a transaction half done, never waiting for one
        # (and never waits for a lock: timeout 0, Behind when SQLite answers busy)
        self._reader = (sqlite3.connect(str(path), check_same_thread=False, isolation_level=None, timeout=0)
                        if path else None)
        if self._reader is not None:
            self._reader.execute("PRAGMA query_only = ON")
        self._reader_lock = threading.Lock()

    def _create(self) -> None:
        """The tables, in this version: an index file of another version is emptied first (the next
        read rebuilds it from the store)."""
        self.db.execute("BEGIN IMMEDIATE")
        try:
            if self.db.execute("PRAGMA user_version").fetchone()[0] != VERSION:
                tables = self.db.execute("SELECT name, sql LIKE 'CREATE VIRTUAL TABLE%' FROM sqlite_master "
                                         "WHERE type = 'table' ORDER BY 2 DESC").fetchall()
                for name, _virtual in tables:  # virtual tables first: they drop their own shadow tables
                    if self.db.execute("SELECT 1 FROM sqlite_master WHERE name = ?", (name,)).fetchone():
                        self.db.execute(f'DROP TABLE "{name}"')
                self.db.execute(f"PRAGMA user_version = {VERSION}")
            for statement in SCHEMA.split(";"):
                if statement.strip():
                    self.db.execute(statement)
            for kind in KINDS:
                self.db.execute(TEXT_TABLE.format(table=text_table(kind)))
                self.db.execute(f"CREATE VIRTUAL TABLE IF NOT EXISTS temp.{vocab_table(kind)} "
                                f"USING fts5vocab(main, {text_table(kind)}, instance)")
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise

    # ---------------------------------------------------------------- position
    def applied(self) -> int:
        """The sequence number of the last audit entry applied (-1: none)."""
        row = self.db.execute("SELECT value FROM meta WHERE key = 'seq'").fetchone()
        return int(row[0]) if row else -1

    def position(self) -> Head | None:
        return _position(self.db)

    def _set_applied(self, seq: int, digest: str | None = None) -> None:
        self.db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('seq', ?)", (str(seq),))
        if digest is None:
            self.db.execute("DELETE FROM meta WHERE key = 'hash'")
        else:
            self.db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('hash', ?)", (digest,))

    def open(self) -> None:
        """Nothing to load: the file was opened with the index."""

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
        self.db.execute(f"DELETE FROM {text_table(kind)} WHERE rowid = ?", (rowid,))  # noqa: S608
        self.db.execute("DELETE FROM records WHERE rowid = ?", (rowid,))

    def _put(self, kind: RecordKind, record: dict[str, Any]) -> None:
        self._remove(kind.name, record["id"])
        rowid = self.db.execute("SELECT COALESCE(MAX(rowid), 0) + 1 FROM records").fetchone()[0]
        counts: Counter[tuple[str, str, str]] = Counter()
        self._insert(kind, [(rowid, record, record_doc(record))], counts)
        self._add_counts(counts)

    def _add_counts(self, counts: Counter[tuple[str, str, str]]) -> None:
        self.db.executemany("INSERT INTO counts (kind, facet, value, n) VALUES (?, ?, ?, ?) "
                            "ON CONFLICT (kind, facet, value) DO UPDATE SET n = n + excluded.n",
                            [(*key, n) for key, n in counts.items()])

    def apply(self, entries: Sequence[Entry]) -> None:
        """Index again the records the entries name, in one transaction with the new position: each as its
        last entry wrote its public graph when the entry carries it (the one a commit of this process has just
        handed over, `Entry.written`: not read back from the store), else as the store holds it now."""
        last = {(e.kind, e.id): e for e in entries if e.kind in KINDS}
        self.db.execute("BEGIN")
        try:
            for (kind_name, rid), entry in last.items():
                kind = KINDS[kind_name]
                record = self._public(kind, rid, entry.written)
                if record is None:
                    self._remove(kind_name, rid)
                else:
                    self._put(kind, record)
            self._set_applied(entries[-1].seq, entries[-1].hash)
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise

    def invalidate(self) -> None:
        """Forget the position: the next read rebuilds (after a bulk load, which logs nothing)."""
        self.db.execute("DELETE FROM meta WHERE key IN ('seq', 'hash')")

    def sync(self) -> None:
        """Bring the index up to date with the audit log now."""
        self.follower.catch_up([self])

    def rebuild(self, records: Callable[[RecordKind], Iterable[tuple[dict[str, Any], str]]] | None = None) -> None:
        """Index every record of the store from scratch, in one transaction: rows in batches, counts
        summed here and written once (a million datasets in one pass, not a million upserts). `records`
        gives every record of a kind as anyone may read it, with its `doc`, in id order, as `_public_records`
        reads them from the store (the bulk load's pass hands over those it read on the way, their text
        written once: projections/bulk.py)."""
        self.db.execute("BEGIN")
        try:
            for table in ("records", "facets", "counts", *map(text_table, KINDS)):
                self.db.execute(f"DELETE FROM {table}")  # noqa: S608 - our own table names
            head = self.follower.head()
            counts: Counter[tuple[str, str, str]] = Counter()
            rowid = 0
            for kind in KINDS.values():
                checkpoint()  # a server shutting down during its warm-up stops here (and below)
                batch: list[tuple[int, dict[str, Any], str]] = []
                for record, text in (records or self._public_records)(kind):
                    rowid += 1
                    batch.append((rowid, record, text))
                    if len(batch) >= 5000:
                        self._insert(kind, batch, counts)
                        batch = []
                        checkpoint()
                self._insert(kind, batch, counts)
            self._add_counts(counts)
            self._set_applied(head.seq, head.hash)
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise

    # ------------------------------------------------------- the store's records
    def _public(self, kind: RecordKind, rid: str,
                written: Mapping[str, list[Triple]] | None = None) -> dict[str, Any] | None:
        """A record as anyone may read it (its public graph: from the graphs a commit `written` when they hold
        it, else from the store), or None when there is none."""
        if not is_slug(rid):
            return None
        graph = self.iris.public_graph(kind.name, rid)
        public = written[graph] if written is not None and graph in written else self.store.graph(graph)
        if not public:
            return None
        return kind.from_rdf(Triples(public), self.iris.record(kind.name, rid), self.iris)  # type: ignore[arg-type]

    def _public_records(self, kind: RecordKind) -> Iterator[tuple[dict[str, Any], str]]:
        """Every record of a kind as anyone may read it, with its `doc`, one at a time, in id order. One
        range of the store's index per record (reading many records by SPARQL costs one range per record
        and predicate: tried, slower)."""
        ids = sorted(str(r["id"]) for r in self.store.select(self.res.query("records-ids"), {"type": kind.rdf_type}))
        for rid in ids:
            record = self._public(kind, rid)
            if record is not None:
                yield record, record_doc(record)

    def _insert(self, kind: RecordKind, batch: list[tuple[int, dict[str, Any], str]],
                counts: Counter[tuple[str, str, str]]) -> None:
        """New rows for records not in the index (at the rowids given, each with its `doc`), adding their
        facets to `counts`."""
        records, facets, texts = [], [], []
        for rowid, record, text in batch:
            retired = 1 if record.get("retired") else 0
            records.append((rowid, kind.name, record["id"], retired, text))
            values = _facet_values(kind, record)
            facets += [(kind.name, f, v, rowid) for f, v in values]
            tags = [_tag(f, v) for f, v in values] + [RETIRED] * retired
            texts.append((rowid, _words(record, TITLE_FIELDS), _words(record, BODY_FIELDS), " ".join(tags)))
            if not retired:
                counts.update((kind.name, f, v) for f, v in [*values, ("", "")])
        self.db.executemany("INSERT INTO records (rowid, kind, id, retired, doc) VALUES (?, ?, ?, ?, ?)", records)
        self.db.executemany("INSERT INTO facets (kind, facet, value, rid) VALUES (?, ?, ?, ?)", facets)
        self.db.executemany(f"INSERT INTO {text_table(kind.name)} (rowid, title, body, tags) "  # noqa: S608
                            "VALUES (?, ?, ?, ?)", texts)

    # ------------------------------------------------------------- reading
    def search(self, kind: RecordKind, *, filters: dict[str, str], q: str | None, limit: int, offset: int,
               include_retired: bool) -> tuple[list[tuple[str, dict[str, Any]]], int]:
        """(the id and public form of each record of one page, in id order, or by relevance when
        searching; the exact total). Caught up with the audit log first."""
        if q:
            return self._text_search(kind, filters, q, limit, offset, include_retired)
        sql, params = self._filtered(kind, filters, include_retired)
        with self.follower.reading(self):
            if not filters and not include_retired:  # the live total is kept on write
                row = self.db.execute("SELECT n FROM counts WHERE kind = ? AND facet = '' AND value = ''",
                                      (kind.name,)).fetchone()
                total = row[0] if row else 0
            else:
                total = self.db.execute(f"SELECT COUNT(*) {sql}", params).fetchone()[0]
            rows = self.db.execute(f"SELECT r.id, r.doc {sql} ORDER BY r.id LIMIT ? OFFSET ?",
                                   [*params, limit, offset]).fetchall()
        return [(rid, json.loads(doc)) for rid, doc in rows], int(total)

    def _filtered(self, kind: RecordKind, filters: dict[str, str], include_retired: bool) -> tuple[str, list[Any]]:
        """`FROM ... WHERE ...` of the records of a kind with these facet values, and its parameters. The plan
        starts from the facet index of the first filter, else from the records (SQLite's CROSS JOIN keeps
        the order written)."""
        sources, where, params = [], ["r.kind = ?"], [kind.name]
        for i, (name, value) in enumerate(sorted(filters.items())):
            sources.append(f"facets f{i}")
            where.append(f"f{i}.kind = ? AND f{i}.facet = ? AND f{i}.value = ? AND f{i}.rid = r.rowid")
            params += [kind.name, name, value]
        if not include_retired:
            where.append("r.retired = 0")
        return f"FROM {' CROSS JOIN '.join([*sources, 'records r'])} WHERE {' AND '.join(where)}", params  # noqa: S608

    def _match(self, kind: RecordKind, q: str, filters: dict[str, str], include_retired: bool) -> str:
        """The FTS5 query of a search in its faster form (`_fts_query`), "" when it matches nothing; made
        while reading (it reads the index's tokens)."""
        vocab = vocab_table(kind.name)

        def whole(token: str) -> bool:  # no other token begins with it: none in the range just above it
            above = (token + "\x01", token[:-1] + chr(ord(token[-1]) + 1))
            return self.db.execute(f"SELECT 1 FROM temp.{vocab} WHERE term >= ? AND term < ? LIMIT 1",  # noqa: S608
                                   above).fetchone() is None

        return _fts_query(q, filters, include_retired, whole)

    def _matching(self, kind: RecordKind, filters: dict[str, str], q: str | None,
                  include_retired: bool) -> tuple[str, list[Any]] | None:
        """A query of the rowids of the records that match (None: a text with no word matches nothing); made
        while reading (`_match` reads the index)."""
        if not q:
            sql, params = self._filtered(kind, filters, include_retired)
            return f"SELECT r.rowid {sql}", params
        match = self._match(kind, q, filters, include_retired)
        if not match:
            return None
        t = text_table(kind.name)
        return f"SELECT rowid FROM {t} WHERE {t} MATCH ?", [match]  # noqa: S608

    def facets_of(self, kind: RecordKind, *, facets: list[str], filters: dict[str, str], q: str | None,
                     limit: int = 20, include_retired: bool = False) -> dict[str, list[tuple[str, int]]]:
        """For each facet, its `limit` most frequent values among the records that match, with their counts.
        The index holds the public form of records only: what it counts anyone may see."""
        out: dict[str, list[tuple[str, int]]] = {f: [] for f in facets}
        with self.follower.reading(self):
            matching = self._matching(kind, filters, q, include_retired)
            if matching is None:
                return out
            sub, params = matching
            for f in facets:
                rows = self.db.execute(
                    f"SELECT value, COUNT(*) AS n FROM facets WHERE kind = ? AND facet = ? AND rid IN ({sub}) "  # noqa: S608
                    "GROUP BY value ORDER BY n DESC, value LIMIT ?", [kind.name, f, *params, limit]).fetchall()
                out[f] = [(str(v), int(n)) for v, n in rows]
        return out

    def ordered(self, kind: RecordKind, *, filters: dict[str, str], q: str | None, sort: str, lang: str, limit: int,
                offset: int, include_retired: bool = False) -> tuple[list[tuple[str, dict[str, Any]]], int]:
        """One page of the matching records sorted by `sort`: "title" (in `lang`, else English, else as
        written; a name for organisations) or "newest" (modified, else issued, latest first); the total."""
        title = ("lower(COALESCE(CASE json_type(doc, '$.title') WHEN 'object' THEN COALESCE("
                 "json_extract(doc, '$.title.' || ?), json_extract(doc, '$.title.en')) ELSE json_extract(doc, '$.title') END, "
                 "json_extract(doc, '$.name'), id))")
        key, key_params = ((f"{title}, id", [lang]) if sort == "title" else
                           ("COALESCE(json_extract(doc, '$.modified'), json_extract(doc, '$.issued'), '') DESC, id", []))
        with self.follower.reading(self):
            matching = self._matching(kind, filters, q, include_retired)
            if matching is None:
                return [], 0
            sub, params = matching
            total = self.db.execute(f"SELECT COUNT(*) FROM ({sub})", params).fetchone()[0]  # noqa: S608
            rows = self.db.execute(f"SELECT id, doc FROM records WHERE rowid IN ({sub}) ORDER BY {key} "  # noqa: S608
                                   "LIMIT ? OFFSET ?", [*params, *key_params, limit, offset]).fetchall()
        return [(rid, json.loads(doc)) for rid, doc in rows], int(total)

    def _text_search(self, kind: RecordKind, filters: dict[str, str], q: str, limit: int, offset: int,
                     include_retired: bool) -> tuple[list[tuple[str, dict[str, Any]]], int]:
        """Matches in order of relevance (bm25, a title match weighing three times one elsewhere) when
        there are at most `rank_limit` of them; above that, the `rank_limit` most recently written
        matches by relevance, then the others, most recent first. FTS5 scores every match it ranks
        (1-2 µs each), so ranking hundreds of thousands would take a second; counting them, and
        reading them in rowid order, stream through the index. The total is always exact."""
        t = text_table(kind.name)
        with self.follower.reading(self):
            match = self._match(kind, q, filters, include_retired)
            if not match:
                return [], 0
            total = self.db.execute(f"SELECT count(*) FROM {t} WHERE {t} MATCH ?", (match,)).fetchone()[0]  # noqa: S608
            ranked = min(total, self.rank_limit)
            rowids: list[int] = []
            if offset < ranked:
                newest = "" if total <= ranked else " ORDER BY rowid DESC LIMIT ?"
                rowids = [r for (r,) in self.db.execute(
                    f"SELECT rowid FROM (SELECT rowid, bm25({t}, {WEIGHTS}) AS score FROM {t} "  # noqa: S608
                    f"WHERE {t} MATCH ?{newest}) ORDER BY score, rowid DESC LIMIT ? OFFSET ?",
                    [match, *([ranked] if newest else []), min(limit, ranked - offset), offset])]
            if len(rowids) < limit and total > ranked:  # the rest, most recent first
                below = ""
                if ranked:
                    (last,) = self.db.execute(f"SELECT rowid FROM {t} WHERE {t} MATCH ? "  # noqa: S608
                                              "ORDER BY rowid DESC LIMIT 1 OFFSET ?", (match, ranked - 1)).fetchone()
                    below = f" AND rowid < {int(last)}"
                rowids += [r for (r,) in self.db.execute(
                    f"SELECT rowid FROM {t} WHERE {t} MATCH ?{below} ORDER BY rowid DESC LIMIT ? OFFSET ?",  # noqa: S608
                    (match, limit - len(rowids), max(0, offset - ranked)))]
            docs = {rowid: (rid, doc) for rowid, rid, doc in self.db.execute(
                f"SELECT rowid, id, doc FROM records WHERE rowid IN ({','.join('?' * len(rowids))})",  # noqa: S608
                rowids)} if rowids else {}
        return [(docs[r][0], json.loads(docs[r][1])) for r in rowids], int(total)

    def docs(self, kind: str, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        """The public form of each record of a kind among `ids` that the index holds, by id (caught up
        with the audit log first)."""
        wanted = list(dict.fromkeys(ids))
        out: dict[str, dict[str, Any]] = {}
        with self.follower.reading(self):
            for start in range(0, len(wanted), _CHUNK):
                chunk = wanted[start:start + _CHUNK]
                out.update((rid, json.loads(doc)) for rid, doc in self.db.execute(
                    f"SELECT id, doc FROM records WHERE kind = ? AND id IN ({','.join('?' * len(chunk))})",  # noqa: S608
                    [kind, *chunk]))
        return out

    def naming(self, kind: str, facet: str, values: Sequence[str],
               fields: Sequence[str]) -> list[tuple[str, dict[str, Any]]]:
        """(value, the record's top-level `fields` of its public form) for each record of a kind whose
        `facet` has one of `values` (the agreements covering some datasets: "agreement", "dataset"), caught
        up with the audit log first. The fields are read in SQLite: no record is parsed whole."""
        wanted = list(dict.fromkeys(values))
        paths = [f"$.{f}" for f in fields]
        columns = ", ".join("json_extract(r.doc, ?)" for _ in fields)
        out: list[tuple[str, dict[str, Any]]] = []
        with self.follower.reading(self):
            for start in range(0, len(wanted), _CHUNK):
                chunk = wanted[start:start + _CHUNK]
                for value, *got in self.db.execute(
                        f"SELECT f.value, {columns} FROM facets f CROSS JOIN records r "  # noqa: S608
                        f"WHERE f.kind = ? AND f.facet = ? AND f.value IN ({','.join('?' * len(chunk))}) "
                        "AND r.rowid = f.rid", [*paths, kind, facet, *chunk]):
                    out.append((str(value), dict(zip(fields, got, strict=True))))
        return out

    @contextmanager
    def held(self) -> Iterator[Head | None]:
        """Catch the index up with the audit log and hold it there (no entry is applied meanwhile) while the
        block reads it with `fields`; what the block reads is as of the position it is given."""
        with self.follower.reading(self):
            yield self.position()

    def fields(self, kind: str, fields: Sequence[str], *, ids: Sequence[str] | None = None,
               nonempty: str | None = None) -> Iterator[dict[str, Any]]:
        """The top-level `fields` of the public form of each record of a kind (of those among `ids`; of those
        whose list `nonempty` has an item), in id order: read in SQLite, no record parsed whole in Python.
        Read within `held`, so that every read sees one position of the log."""
        paths = [f"$.{f}" for f in fields] + ["$.id"]  # two paths at least: one array, each record parsed once
        sql = (f"SELECT json_extract(doc, {', '.join('?' * len(paths))}) FROM records "  # noqa: S608
               "WHERE kind = ?" + ("" if nonempty is None else " AND json_array_length(doc, ?) > 0"))
        params: list[Any] = [*paths, kind, *([] if nonempty is None else [f"$.{nonempty}"])]
        chunks = [None] if ids is None else [list(ids[i:i + _CHUNK]) for i in range(0, len(ids), _CHUNK)]
        for chunk in chunks:
            where = "" if chunk is None else f" AND id IN ({','.join('?' * len(chunk))})"
            for (row,) in self.db.execute(sql + where + " ORDER BY id", [*params, *(chunk or [])]):
                yield dict(zip(fields, json.loads(row), strict=False))

    def doc(self, kind: str, rid: str) -> str | None:
        """A record's `doc` (its public form as the index keeps it: `record_doc`), None when the index holds
        no such record (a public JSON lookup: services/records.py `public_doc`): read at once by the second
        connection from the last committed state, when that state is the audit log's head; Behind otherwise
        (or busy, or in memory): a lookup never waits for the index's lock, which a search, an entry or a
        rebuild may hold."""
        if self._reader is None:
            raise Behind
        head = self.follower.head()
        try:
            with self._reader_lock:
                self._reader.execute("BEGIN")  # one snapshot: the position and the row as of the same commit
                try:
                    position, doc = _position(self._reader), _doc(self._reader, kind, rid)
                finally:
                    self._reader.execute("COMMIT")
        except sqlite3.OperationalError:  # busy (a checkpoint, a recovery): the waiting read answers
            raise Behind from None
        if position != head:
            raise Behind
        return doc

    def public_form(self, kind: str, rid: str) -> dict[str, Any] | None:
        """A record as the index holds it, read from the store now (its public graph; None when the store
        holds none): what `fields` reads once the index has applied the entry that wrote it."""
        return self._public(KINDS[kind], rid)

    def counts(self, top: int = 50) -> dict[str, Any]:
        """Records per kind, and the `top` values of each facet by how many live records have them (`more`
        names the facets that have further values: `facet_counts` pages through them)."""
        with self.follower.reading(self):
            out: dict[str, Any] = {}
            for kind, record_kind in sorted(KINDS.items()):
                row = self.db.execute("SELECT n FROM counts WHERE kind = ? AND facet = '' AND value = ''",
                                      (kind,)).fetchone()
                if not row or not row[0]:
                    continue
                entry = out.setdefault(kind, {"total": row[0], "by": {}, "more": []})
                for facet in sorted(record_kind.filters):
                    values = self._facet_page(kind, facet, top + 1, 0)
                    if values:
                        entry["by"][facet] = dict(values[:top])
                    if len(values) > top:
                        entry["more"].append(facet)
        return out

    def facet_counts(self, kind: str, facet: str, limit: int, offset: int) -> tuple[list[tuple[str, int]], int]:
        """A page of one facet's values with their counts (most first, then by value), and how many values
        it has in all."""
        with self.follower.reading(self):
            total = self.db.execute("SELECT COUNT(*) FROM counts WHERE kind = ? AND facet = ? AND n > 0",
                                    (kind, facet)).fetchone()[0]
            return self._facet_page(kind, facet, limit, offset), int(total)

    def _facet_page(self, kind: str, facet: str, limit: int, offset: int) -> list[tuple[str, int]]:
        rows = self.db.execute("SELECT value, n FROM counts INDEXED BY counts_rank WHERE kind = ? AND facet = ? "
                               "AND n > 0 ORDER BY n DESC, value LIMIT ? OFFSET ?", (kind, facet, limit, offset))
        return [(str(v), int(n)) for v, n in rows]

    def close(self) -> None:
        if self._reader is not None:
            with self._reader_lock:
                self._reader.close()
        self.db.close()


def _position(db: sqlite3.Connection) -> Head | None:
    """The position the index's meta table holds, by this connection."""
    rows = dict(db.execute("SELECT key, value FROM meta WHERE key IN ('seq', 'hash')").fetchall())
    if "seq" not in rows or "hash" not in rows:
        return None  # never built, forgotten, or a file of a version that kept no hash: rebuilt
    return Head(int(rows["seq"]), str(rows["hash"]))


def _doc(db: sqlite3.Connection, kind: str, rid: str) -> str | None:
    row = db.execute("SELECT doc FROM records WHERE kind = ? AND id = ?", (kind, rid)).fetchone()
    return None if row is None else str(row[0])

