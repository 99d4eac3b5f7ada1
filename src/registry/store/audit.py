"""The append-only audit log: a hash chain of PROV activities, one per change or share check, each naming
who, when, what, which record, the record's state hash before and after and the previous entry's hash.
The chain's head is replaced in the same transaction as the record and the entry; each entry keeps a
snapshot of the new state as N-Triples text (for as-of answers); `verify()` names the first break."""

from __future__ import annotations

import datetime as dt
import hashlib
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from rdflib import Literal, URIRef
from rdflib.term import Node

from registry.iris import Iris
from registry.namespaces import DCTERMS, PROV, RDF, REG, XSD
from registry.resources import Resources
from registry.store.base import Store, Triple
from registry.store.terms import to_ox

#: the hash of a record that did not exist, and the "previous hash" of the first entry
EMPTY = hashlib.sha256(b"").hexdigest()
#: `since` reads up to this many entries one graph at a time, more with one query
FEW_ENTRIES = 64
#: an entry's reason, in the words of whoever acted (an agreement approved, suspended or terminated)
REASON = DCTERMS.description


def ntriples(triples: Iterable[Triple]) -> str:
    """Triples as sorted N-Triples text (valid N-Triples, unlike rdflib's n3() for long literals)."""
    return "".join(sorted({f"{to_ox(s)} {to_ox(p)} {to_ox(o)} .\n" for s, p, o in triples}))


def state_hash(triples: Iterable[Triple]) -> str:
    """A hash of a set of triples (no blank nodes in records): sorted N-Triples lines."""
    lines = sorted({f"{s.n3()} {p.n3()} {o.n3()} ." for s, p, o in triples})
    return hashlib.sha256("\n".join(lines).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Head:
    seq: int
    hash: str


@dataclass(frozen=True)
class Entry:
    """One audit entry as derived indexes read it: where it sits in the chain, what it did to which record."""

    seq: int
    hash: str
    previous: str  #: the hash of the entry before it
    action: str
    kind: str  #: the record's kind, from its IRI (Iris.parse)
    id: str
    #: the graphs the entry's commit wrote, each with every triple it holds since: on the entry this process's
    #: commit hands its subscribers (a projection one entry behind copies them from here, not from the store);
    #: None on an entry read from the store
    written: Mapping[str, list[Triple]] | None = field(default=None, compare=False, repr=False)

    @property
    def position(self) -> Head:
        return Head(self.seq, self.hash)


@dataclass
class VerifyReport:
    ok: bool
    entries: int
    records: int
    broken: dict[str, Any] | None = None

    def as_json(self) -> dict[str, Any]:
        return {"ok": self.ok, "entries_checked": self.entries, "records_checked": self.records,
                "first_broken": self.broken}


class AuditLog:
    """Appends entries to the chain (in the caller's transaction), lists and verifies them."""

    def __init__(self, store: Store, iris: Iris, resources: Resources) -> None:
        self.store, self.iris, self.res = store, iris, resources
        self._lock = threading.Lock()
        self._listeners: list[Callable[[Entry], None]] = []
        self.head_graph = iris.system_graph("audit-head")
        # the head as last read or written, and the store's write mark it stands for (`head`)
        self._known: tuple[int | None, Head, list[Triple]] | None = None
        # the write mark this object's last commit left (its head graph then holds what that commit wrote)
        self._wrote_at: int | None = None

    def subscribe(self, listener: Callable[[Entry], None]) -> None:
        """Call `listener(entry)` after each entry this object appends, once committed (the projections'
        follower: a write is in the derived indexes when it returns)."""
        self._listeners.append(listener)

    # ------------------------------------------------------------ names
    def logged(self, record: URIRef, state: str) -> bool:
        """Whether an entry recorded this state of the record (otherwise it came from a bulk load)."""
        return self.store.ask(self.res.query("audit-logged"), {"record": record, "hash": Literal(state)})

    def entry_iri(self, seq: int) -> URIRef:
        return URIRef(f"{self.iris.base}/audit/{seq}")

    def entry_graph(self, seq: int) -> str:
        return self.iris.system_graph(f"audit/{seq}")

    def graphs_of(self, kind: str, rid: str) -> list[str]:
        """The graphs that hold the state of an audited record: a token's system graph, or a record's two."""
        if kind == "token":
            return [self.iris.system_graph(f"token/{rid}")]
        return list(self.iris.graphs(kind, rid))

    # ----------------------------------------------------------- append
    def head(self) -> Head:
        """The chain's head. Kept while the store's write mark stands still (no write since, none under way):
        every commit and each projection's read asks for it, and the head graph, rewritten at each commit,
        is read past every quad it ever held until the store compacts them (0.02 ms fresh, 3.9 ms after
        5,000 commits on a new store)."""
        return self._head_state()[1]

    def _head_state(self) -> tuple[int | None, Head, list[Triple]]:
        """The store's write mark (None: nothing read can be kept), the head, and the head graph's triples as
        they are in the store."""
        mark = self.store.write_mark()
        known = self._known
        if mark is not None and known is not None and known[0] == mark:
            return known
        triples = self.store.graph(self.head_graph)
        seq, digest = 0, EMPTY
        for _s, p, o in triples:
            if p == REG.sequence:
                seq = int(str(o))
            elif p == REG.entryHash:
                digest = str(o)
        state = (mark, Head(seq, digest), triples)
        if mark is not None and self.store.write_mark() == mark:  # no write began or ended while it was read
            self._known = state
        return state

    def commit(
        self,
        graphs: Mapping[str, Iterable[Triple]],
        *,
        agent: str,
        action: str,
        record: URIRef,
        kind: str,
        rid: str,
        before: str,
        after: str,
        snapshot: list[Triple] | None = None,
        previous: list[Triple] | None = None,
        details: Iterable[tuple[URIRef, Node]] = (),
    ) -> int:
        """Replace `graphs` and append one audit entry (and a history snapshot), in one transaction.
        `details` are more (predicate, object) pairs of the entry (a token's role and organisation).
        Returns the entry's sequence number, once the subscribers were told and the transaction is on disk
        (both after the chain's lock is released; the sync starts at the commit and runs while the
        subscribers work)."""
        with self.store.deferred_sync(early=True):
            with self._lock:
                mark, head, held = self._head_state()
                seq = head.seq + 1
                e = self.entry_iri(seq)
                now = dt.datetime.now(dt.UTC).isoformat()
                triples: list[Triple] = [
                    (e, RDF.type, PROV.Activity),
                    (e, RDF.type, REG.AuditEntry),
                    (e, REG.sequence, Literal(seq)),
                    (e, PROV.endedAtTime, Literal(now, datatype=XSD.dateTime)),
                    (e, PROV.wasAssociatedWith, Literal(agent)),
                    (e, REG.action, Literal(action)),
                    (e, PROV.used, record),
                    (e, REG.recordKind, Literal(kind)),
                    (e, REG.beforeHash, Literal(before)),
                    (e, REG.afterHash, Literal(after)),
                    (e, REG.previousHash, Literal(head.hash)),
                ]
                if head.seq:
                    triples.append((e, REG.previousEntry, self.entry_iri(head.seq)))
                triples += [(e, p, o) for p, o in details]
                out = {g: list(triples) for g, triples in graphs.items()}
                if snapshot is not None:
                    triples.append((e, REG.snapshot, Literal(ntriples(snapshot))))
                if previous is not None:  # a state no entry recorded (bulk-loaded): kept for as-of answers
                    triples.append((e, REG.snapshotBefore, Literal(ntriples(previous))))
                digest = state_hash(triples)
                triples.append((e, REG.entryHash, Literal(digest)))
                h = URIRef(self.head_graph)
                out[self.entry_graph(seq)] = triples
                written: list[Triple] = [(h, REG.sequence, Literal(seq)), (h, REG.entryHash, Literal(digest))]
                out[self.head_graph] = written
                # right after this object's own last commit (nothing written since), the head graph holds what
                # it wrote: those triples are taken out, no drop of a graph rewritten at every commit
                ours = mark is not None and mark == self._wrote_at and self.store.write_mark() == mark
                self.store.replace_graphs(out, holding={self.head_graph: held} if ours else None)
                moved = self.store.write_mark()
                if mark is not None and moved == mark + 1:  # this write and no other
                    self._known, self._wrote_at = (moved, Head(seq, digest), written), moved
            entry = replace(self._entry(seq, digest, head.hash, action, record), written=out)
            for listener in self._listeners:
                listener(entry)
        return seq

    # ------------------------------------------------------------- read
    def entry(self, seq: int) -> Entry | None:
        """Entry `seq` (one graph read), or None when the chain holds none."""
        values = {p: o for _s, p, o in self.store.graph(self.entry_graph(seq))}
        if REG.entryHash not in values or PROV.used not in values:
            return None
        return self._entry(seq, str(values[REG.entryHash]), str(values.get(REG.previousHash, "")),
                           str(values.get(REG.action, "")), values[PROV.used])

    def since(self, after: int, upto: int) -> list[Entry]:
        """The entries numbered after `after` up to `upto`, oldest first (an entry the chain lacks is left
        out): a few read graph by graph, more by one query."""
        if upto - after <= FEW_ENTRIES:
            return [e for seq in range(after + 1, upto + 1) if (e := self.entry(seq)) is not None]
        rows = self.store.select(self.res.query("audit-entries"), {"from": Literal(after), "to": Literal(upto)})
        return sorted((self._entry(int(str(r["seq"])), str(r["hash"]), str(r["previous"]), str(r["action"]),
                                   r["record"]) for r in rows), key=lambda e: e.seq)

    def _entry(self, seq: int, digest: str, previous: str, action: str, record: Node) -> Entry:
        name = self.iris.parse(record)
        kind, rid = (name.kind, name.id) if name is not None and not name.graph else ("", str(record))
        return Entry(seq, digest, previous, action, kind, rid)

    def entries(self, limit: int = 100, offset: int = 0) -> tuple[list[dict[str, Any]], int]:
        total = self.head().seq
        rows = self.store.select(self.res.query("audit-entries"), {"from": Literal(max(total - offset - limit, 0)),
                                                                    "to": Literal(total - offset)})
        return [self._row(r) for r in rows], total

    def _row(self, r: Mapping[str, Node]) -> dict[str, Any]:
        token = {"role": str(r["role"]), "org": self.iris.id_of(r["org"]) if "org" in r else None} if "role" in r else {}
        if "reason" in r:
            token["reason"] = str(r["reason"])
        return {
            "seq": int(str(r["seq"])),
            "time": str(r["time"]),
            "agent": str(r["agent"]),
            "action": str(r["action"]),
            "record": str(r["record"]),
            "before_hash": str(r["before"]),
            "after_hash": str(r["after"]),
            "previous_hash": str(r["previous"]),
            "entry_hash": str(r["hash"]),
            **token,
        }

    # ----------------------------------------------------------- verify
    def verify(self) -> VerifyReport:
        """Recompute every entry's hash and link, then every record's current state against the
        after-hash of its last entry. Stops at the first break and names it."""
        head = self.head()
        previous = EMPTY
        latest: dict[str, tuple[int, str, str]] = {}
        for seq in range(1, head.seq + 1):
            triples = self.store.graph(self.entry_graph(seq))
            if not triples:
                return VerifyReport(False, seq - 1, 0, {"seq": seq, "problem": "the entry is missing"})
            stored = next((str(o) for _s, p, o in triples if p == REG.entryHash), None)
            body = [t for t in triples if t[1] != REG.entryHash]
            if stored is None or state_hash(body) != stored:
                return VerifyReport(False, seq - 1, 0, {"seq": seq, "problem": "the entry's content does not match its hash"})
            prev = next((str(o) for _s, p, o in triples if p == REG.previousHash), None)
            if prev != previous:
                return VerifyReport(False, seq - 1, 0, {"seq": seq, "problem": "the entry does not follow the previous one"})
            previous = stored
            record = next(str(o) for _s, p, o in triples if p == PROV.used)
            after = next(str(o) for _s, p, o in triples if p == REG.afterHash)
            kind = next(str(o) for _s, p, o in triples if p == REG.recordKind)
            latest[record] = (seq, after, kind)
        if head.seq and previous != head.hash:
            return VerifyReport(False, head.seq, 0,
                                {"seq": head.seq, "problem": "the chain's head does not match its last entry"})
        checked = 0
        for record, (seq, after, kind) in sorted(latest.items(), key=lambda x: x[1][0]):
            rid = self.iris.id_of(URIRef(record))
            current = state_hash([t for g in self.graphs_of(kind, rid) for t in self.store.graph(g)])
            checked += 1
            if current != after:
                return VerifyReport(False, head.seq, checked, {
                    "seq": seq, "record": record,
                    "problem": "the record's current state differs from the state its last audit entry recorded"})
        return VerifyReport(True, head.seq, checked)
