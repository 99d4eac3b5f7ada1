"""What the transparency register reads of each record, kept per record from the public graphs: each
agreement's parties, datasets, purposes, authorities, dates and status; each organisation's name; of the
datasets, the titles of those agreements name and the declared flows (sources, publishers, activity). An
audit entry reads again the one record it names, so a change costs what it touches; the register is
aggregated from these facts (services/reports/transparency.py). Read from the store at first use."""

from __future__ import annotations

import sys
import threading
from collections import Counter, OrderedDict
from collections.abc import Callable, Collection, Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from rdflib import Literal, URIRef
from rdflib.term import Node

from registry.domain.model.common import code_of
from registry.iris import Iris
from registry.namespaces import AGREEMENT_STATUS, AUTHORITY, DCTERMS, ODRL2, PROV, PURPOSE, RDF, REG, SKOS
from registry.projections.base import Entry, Head
from registry.projections.follower import Follower
from registry.projections.lineage import LineageIndex
from registry.resources import Resources
from registry.stopping import checkpoint
from registry.store import Store

T = TypeVar("T")

#: the record kinds whose public graphs the register reads
KINDS = ("organization", "dataset", "agreement")
#: audit entries of these kinds change nothing the register reads (the others, disposals for one, drop the
#: answers; an entry of one of KINDS drops them when it changes the facts)
UNAFFECTED = frozenset({"share-check", "token"})
#: the predicates it reads of each kind (what the first use reads of the whole store)
PREDICATES = {
    "organization": (SKOS.prefLabel,),
    "agreement": (RDF.type, DCTERMS.identifier, REG.retired, DCTERMS.title, REG.status, REG.validFrom,
                  REG.validUntil, DCTERMS.issued, ODRL2.assigner, ODRL2.assignee, ODRL2.target, REG.purpose,
                  REG.legalBasis, REG.retentionPeriod),
    "dataset": (PROV.wasDerivedFrom, DCTERMS.publisher, REG.retired, PROV.wasGeneratedBy,
                PROV.wasAssociatedWith, REG.activityDate, DCTERMS.title),
}


@dataclass(frozen=True, slots=True)
class AgreementFacts:
    """An agreement as the register reads it: not retired. Parties and datasets as IRIs; status, purposes
    and authorities as codes; dates as written."""

    id: str
    title: str | None
    status: str
    valid_from: str | None
    valid_until: str | None
    issued: str | None
    provider: str | None
    recipient: str | None
    datasets: tuple[str, ...]
    purposes: tuple[str, ...]
    authorities: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class DatasetFacts:
    """A dataset as the register reads it: its titles ((language, text); only of datasets agreements name),
    publishers, sources, generating activities ((agents, dates) each) and whether it is retired."""

    titles: tuple[tuple[str, str], ...]
    publishers: tuple[str, ...]
    sources: tuple[str, ...]
    activities: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...]
    retired: bool


@dataclass(frozen=True)
class Facts:
    """A copy of what the register reads, as of one position of the log."""

    #: agreement IRI -> facts (retired ones and those not typed as data-sharing agreements left out)
    agreements: dict[str, AgreementFacts]
    #: organisation IRI -> name
    names: dict[str, str]
    #: dataset IRI -> facts, for the datasets that derive from another and those agreements or derivations name
    datasets: dict[str, DatasetFacts]
    #: agreement IRI -> (retention period, provider IRI, recipient IRI), of every agreement with a retention
    #: period, retired ones too (a restricted condition: the disposal counts read it, nothing else)
    terms: dict[str, tuple[str, str | None, str | None]]


@dataclass
class _Parts:
    """The triples of one record's public graph, gathered (in any order) before they become its facts."""

    values: dict[Node, list[Node]] = field(default_factory=dict)
    #: of other subjects of the graph (a dataset's activity): predicate -> values
    nodes: dict[Node, dict[Node, list[Node]]] = field(default_factory=dict)

    def add(self, record: URIRef, s: Node, p: Node, o: Node) -> None:
        if s == record:
            self.values.setdefault(p, []).append(o)
        else:
            self.nodes.setdefault(s, {}).setdefault(p, []).append(o)

    def all(self, p: Node) -> list[Node]:
        return sorted(self.values.get(p, []), key=str)

    def first(self, p: Node) -> str | None:
        found = self.all(p)
        return str(found[0]) if found else None

    def iri(self, p: Node) -> str | None:
        """The first value as one shared string (IRIs recur across the facts)."""
        found = self.first(p)
        return None if found is None else sys.intern(found)

    def iris(self, values: Iterable[Node]) -> tuple[str, ...]:
        return tuple(sorted({sys.intern(str(x)) for x in values}))

    def terms(self) -> tuple[str, str | None, str | None] | None:
        if REG.DataSharingAgreement not in self.values.get(RDF.type, []):
            return None
        retention = self.first(REG.retentionPeriod)
        return None if retention is None else (retention, self.first(ODRL2.assigner), self.first(ODRL2.assignee))

    def agreement(self) -> AgreementFacts | None:
        if REG.DataSharingAgreement not in self.values.get(RDF.type, []) or REG.retired in self.values:
            return None
        ident = self.first(DCTERMS.identifier)
        if ident is None:
            return None
        status = self.all(REG.status)
        return AgreementFacts(
            id=ident, title=self.first(DCTERMS.title),
            status=code_of(AGREEMENT_STATUS, status[0]) if status else "unknown",
            valid_from=self.first(REG.validFrom), valid_until=self.first(REG.validUntil),
            issued=self.first(DCTERMS.issued), provider=self.iri(ODRL2.assigner), recipient=self.iri(ODRL2.assignee),
            datasets=tuple(dict.fromkeys(sys.intern(str(x)) for x in self.all(ODRL2.target))),
            purposes=tuple(sorted({code_of(PURPOSE, x) for x in self.values.get(REG.purpose, [])})),
            authorities=tuple(sorted({code_of(AUTHORITY, x) for x in self.values.get(REG.legalBasis, [])})))

    def dataset(self, titled: bool) -> DatasetFacts:
        activities = []
        for a in self.all(PROV.wasGeneratedBy):
            of = self.nodes.get(a, {})
            activities.append((self.iris(of.get(PROV.wasAssociatedWith, [])),
                               tuple(sorted(map(str, of.get(REG.activityDate, []))))))
        titles = [(t.language or "en", str(t)) for t in self.all(DCTERMS.title) if isinstance(t, Literal)]
        return DatasetFacts(titles=tuple(titles) if titled else (),
                            publishers=self.iris(self.values.get(DCTERMS.publisher, [])),
                            sources=self.iris(self.values.get(PROV.wasDerivedFrom, [])),
                            activities=tuple(activities), retired=REG.retired in self.values)

    def name(self) -> str | None:
        return self.first(SKOS.prefLabel)


def _put(facts: dict[str, Any], iri: str, value: Any) -> bool:
    """Keep `value` for `iri` (None: nothing); whether that changed anything."""
    old = facts.pop(iri, None)
    if value is not None:
        facts[iri] = value
    return bool(old != value)


class Register:
    """The facts above, kept in step with the audit log: each entry naming an organisation, a dataset or an
    agreement reads that record's public graph again. Built at first use (`facts`), not at start."""

    name = "register"

    def __init__(self, store: Store, iris: Iris, res: Resources, follower: Follower, lineage: LineageIndex) -> None:
        self.store, self.iris, self.res, self.follower, self.lineage = store, iris, res, follower, lineage
        self._position: Head | None = None
        self._built = self._building = False
        self._agreements: dict[str, AgreementFacts] = {}
        self._names: dict[str, str] = {}
        self._datasets: dict[str, DatasetFacts] = {}
        self._terms: dict[str, tuple[str, str | None, str | None]] = {}
        #: how many agreements and derivations name each dataset (whose titles and publishers are kept)
        self._named: Counter[str] = Counter()
        #: how many times the facts were read from the whole store (tests)
        self.builds = 0
        #: dataset id -> whether it carries personal information (declared or inherited: the lineage graph's
        #: answer), kept until a dataset upstream of it changes; `_epoch` counts those changes
        self._pi: dict[str, bool] = {}
        self._epoch = 0
        self._pi_busy = 0  # questions to the lineage graph under way
        self._pi_lock = threading.Lock()
        #: bumped whenever what an answer may read changes; answers are kept by (key, version)
        self._version = 0
        self._answers: OrderedDict[Hashable, Any] = OrderedDict()
        self._computing = threading.Lock()
        self.keep = 8

    # ---------------------------------------------------------------- the projection protocol
    def position(self) -> Head | None:
        return self._position

    def open(self) -> None:
        """Nothing is kept between runs: the facts are read at first use."""
        self._forget()
        self._position = self.follower.head()

    def apply(self, entries: Sequence[Entry]) -> None:
        records = dict.fromkeys((e.kind, e.id) for e in entries if e.kind in KINDS)
        if any(e.kind not in KINDS and e.kind not in UNAFFECTED for e in entries):
            self._version += 1
        if self._built:
            for kind, rid in records:
                self._read(kind, rid)
        self._changed([rid for kind, rid in records if kind == "dataset"])
        self._position = entries[-1].position

    def rebuild(self) -> None:
        self._forget()
        self._position = self.follower.head()

    def invalidate(self) -> None:
        self._forget()
        self._position = None

    def close(self) -> None:
        self.invalidate()

    def _forget(self) -> None:
        self._built = self._building = False
        self._agreements, self._names, self._datasets, self._named = {}, {}, {}, Counter()
        self._terms = {}
        self._answers.clear()
        self._version += 1
        with self._pi_lock:
            self._pi, self._epoch = {}, self._epoch + 1

    def _changed(self, datasets: list[str]) -> None:
        """Forget whether these datasets and those downstream of them carry personal information."""
        if not datasets or not self._pi:
            return
        gone = {x for d in datasets for x in (d, *self.lineage.downstream(d))}
        with self._pi_lock:
            self._epoch += 1
            dropped = [d for d in gone if self._pi.pop(d, None) is not None]
            if dropped or self._pi_busy:  # an answer may have read what changed
                self._version += 1

    def carries_pi(self, datasets: Collection[str]) -> dict[str, bool]:
        """Whether each dataset (by id) carries personal information, declared or inherited through its
        lineage (`LineageIndex.effective_pi`): asked of the lineage graph once, then kept until a dataset
        upstream of it changes."""
        with self._pi_lock:
            epoch, known = self._epoch, self._pi
            self._pi_busy += 1
        try:
            out = {d: v for d in datasets if (v := known.get(d)) is not None}
            for d in datasets:
                if d not in out:
                    out[d] = self.lineage.effective_pi(d)[0]
        finally:
            with self._pi_lock:
                self._pi_busy -= 1
                if self._epoch == epoch:
                    self._pi.update(out)
        return out

    def answer(self, key: Hashable, compute: Callable[[], T]) -> T:
        """The answer kept for `key` while nothing it may read changed (the facts, whether a source carries
        personal information, an audit entry of another kind than share checks and tokens), else
        `compute()`'s. One caller computes while the others wait for it (they would compute the same)."""
        with self._computing:
            with self.follower.reading(self):
                if not self._built:
                    self._build()
                kept = (key, self._version)
                if kept in self._answers:
                    self._answers.move_to_end(kept)
                    found: T = self._answers[kept]
                    return found
            value = compute()
            with self.follower.reading(self):
                self._answers[kept] = value
                while len(self._answers) > self.keep:
                    self._answers.popitem(last=False)
            return value

    # ---------------------------------------------------------------- reading
    def facts(self) -> Facts:
        """A copy of the facts, up to date with the log (read from the whole store at the first call: a
        server may call it once it is ready, in a thread `registry.stopping` can stop)."""
        with self.follower.reading(self):
            if not self._built:
                self._build()
            return Facts(dict(self._agreements), dict(self._names), dict(self._datasets), dict(self._terms))

    def _read(self, kind: str, rid: str) -> None:
        """Read one record's public graph again."""
        record = self.iris.record(kind, rid)
        parts = _Parts()
        for s, p, o in self.store.graph(self.iris.public_graph(kind, rid)):
            parts.add(record, s, p, o)
        if kind == "agreement":  # its retention period, a restricted condition
            for s, p, o in self.store.graph(self.iris.restricted_graph(kind, rid)):
                if p == REG.retentionPeriod:
                    parts.add(record, s, p, o)
        self._set(kind, sys.intern(str(record)), parts)

    def _set(self, kind: str, iri: str, parts: _Parts) -> None:
        if kind == "organization":
            changed = _put(self._names, iri, parts.name())
        elif kind == "agreement":
            changed = _put(self._terms, iri, parts.terms())
            old, new = self._agreements.get(iri), parts.agreement()
            changed = _put(self._agreements, iri, new) or changed
            self._renamed(old.datasets if old else (), new.datasets if new else ())
        else:
            old_d = self._datasets.get(iri)
            new_d = parts.dataset(titled=self._named[iri] > 0)
            self._keep(iri, new_d)
            changed = self._datasets.get(iri) != old_d
            self._renamed(old_d.sources if old_d else (), new_d.sources)
        if changed:
            self._version += 1

    def _keep(self, iri: str, facts: DatasetFacts) -> None:
        if facts.sources or self._named[iri] > 0:
            self._datasets[iri] = facts
        else:
            self._datasets.pop(iri, None)

    def _renamed(self, before: Iterable[str], after: Iterable[str]) -> None:
        """Count the datasets a record stops and starts naming; read again those newly named (their titles
        and publishers are kept from now on), drop what no one names any more."""
        gone, came = Counter(before), Counter(after)
        self._named.update(came)
        self._named.subtract(gone)
        for d in (gone - came):
            if self._named[d] <= 0:
                del self._named[d]
                found = self._datasets.get(d)
                if found is not None:
                    self._keep(d, found)
        for d in () if self._building else (came - gone):  # the first read reads the datasets after
            if self._named[d] == came[d]:  # not named before
                name = self.iris.parse(d)
                if name is not None and name.kind == "dataset" and name.id and not name.graph:
                    self._read("dataset", name.id)

    def _build(self) -> None:
        """Read every fact of the store's public graphs: one query per predicate, organisations and
        agreements first, then the datasets: their sources first, then of the datasets that derive from
        another or that are named, the rest."""
        self.builds += 1
        self._building = True
        try:
            self._read_all()
        finally:
            self._building = False
        self._built = True

    def _read_all(self) -> None:
        for kind in ("organization", "agreement", "dataset"):
            parts: dict[str, _Parts] = {}
            records: dict[str, URIRef] = {}
            for p in PREDICATES[kind]:
                checkpoint()  # a server shutting down while it reads them stops here
                for row in self._rows(kind, p):
                    g = str(row["g"])
                    record = records.get(g)
                    if record is None:
                        name = self.iris.parse(g)
                        if (name is None or name.kind != kind or not name.graph or not name.id
                                or name.restricted and p != REG.retentionPeriod):
                            continue
                        record = records[g] = self.iris.record(kind, name.id)
                    iri = sys.intern(str(record))
                    if kind == "dataset" and p == DCTERMS.publisher and iri not in parts and self._named[iri] <= 0:
                        continue  # neither derived nor named
                    parts.setdefault(iri, _Parts()).add(record, row["s"], p, row["o"])
                if p == PROV.wasDerivedFrom:  # the first of a dataset's: what the derived ones name
                    for part in parts.values():
                        self._named.update({str(x) for x in part.values.get(p, [])})
            for iri, part in parts.items():
                if kind == "dataset":
                    self._keep(iri, part.dataset(titled=True))
                else:
                    self._set(kind, iri, part)

    def _rows(self, kind: str, p: URIRef) -> list[dict[str, Node]]:
        """The triples of predicate `p` the first read needs of `kind`'s public graphs (and of others)."""
        bound: dict[str, Node] = {"p": p, "type": REG.DataSharingAgreement}
        if kind == "agreement":
            return self.store.select(self.res.query("register-facts-typed"), bound)
        if kind == "dataset" and p == DCTERMS.title:
            return self.store.select(self.res.query("register-target-titles"), {**bound, "target": ODRL2.target})
        return self.store.select(self.res.query("register-facts"), {"p": p})
