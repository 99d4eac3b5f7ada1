"""What the transparency register reads of each record, kept per record: each agreement's parties, datasets,
purposes, authorities, dates and status; each organisation's name; of the datasets, the titles of those
agreements name and the declared flows (sources, publishers, activity). All of it is read from the records'
public forms (`kind.from_rdf`, what the catalogue index holds): at first use from the index as of its
position, then each audit entry reads again the one record it names. Only the agreements' retention periods
(a restricted condition the disposal counts read) come from the store. Beside an on-disk store the facts are
kept in a file (projections/register_file.py), written by `registry load`, after each read from the index and
when the register closes: a start reads them from it instead of from the index. The register is aggregated
from these facts (services/reports/transparency.py)."""

from __future__ import annotations

import gc
import logging
import sys
import threading
from collections import Counter, OrderedDict
from collections.abc import Callable, Collection, Hashable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from types import MappingProxyType
from typing import Any, Generic, TypeVar

from registry.iris import Iris
from registry.namespaces import REG
from registry.projections import register_file
from registry.projections.base import Entry, Head
from registry.projections.catalog_index import CatalogIndex
from registry.projections.follower import Follower
from registry.projections.lineage import LineageIndex
from registry.resources import Resources
from registry.stopping import checkpoint
from registry.store import Store

log = logging.getLogger("registry")

T = TypeVar("T")
V = TypeVar("V")

#: the record kinds whose public forms the register reads
KINDS = ("organization", "dataset", "agreement")
#: audit entries of these kinds change nothing the register reads (the others, disposals for one, drop the
#: answers; an entry of one of KINDS drops them when it changes the facts)
UNAFFECTED = frozenset({"share-check", "token"})
#: the fields of each kind's public form it reads
FIELDS = {
    "organization": ("id", "name"),
    "agreement": ("id", "title", "status", "valid_from", "valid_until", "issued", "provider", "recipient",
                  "datasets", "purposes", "legal_basis", "retired"),
    "dataset": ("id", "title", "publisher", "derived_from", "generated_by", "retired"),
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
    """A dataset as the register reads it: its titles ((language, text); only of the datasets named),
    publishers, sources, generating activities ((agents, dates) each) and whether it is retired."""

    titles: tuple[tuple[str, str], ...]
    publishers: tuple[str, ...]
    sources: tuple[str, ...]
    activities: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...]
    retired: bool


@dataclass(frozen=True)
class Facts:
    """What the register reads, as of one position of the log: read-only, and never changed afterwards."""

    #: agreement IRI -> facts, of the agreements the catalogue index holds (retired ones left out)
    agreements: Mapping[str, AgreementFacts]
    #: organisation IRI -> name
    names: Mapping[str, str]
    #: dataset IRI -> facts, for the datasets that derive from another and those agreements or derivations name
    datasets: Mapping[str, DatasetFacts]
    #: agreement IRI -> (retention period, provider IRI, recipient IRI), of every agreement with a retention
    #: period, retired ones too (a restricted condition: the disposal counts read it, nothing else)
    terms: Mapping[str, tuple[str, str | None, str | None]]
    #: the IRIs of the records whose facts changed since they were read whole (the `generation`th time), in
    #: order: what a computation made of the facts before needs making again only for these
    generation: int = 0
    changes: tuple[str, ...] = ()


#: the changes kept before the facts count as changed whole (a new generation)
MAX_CHANGES = 50_000
#: facts changed since they were lent are folded into a new dict of them all once they are this many, or
#: one in this many of them (so a change costs a share of one copy, never a copy of every record's facts)
FOLD_AT, FOLD_ONE_IN = 1024, 8


class Layered(Mapping[str, V]):
    """Facts as they were lent, read-only: a dict no one changes any more, and over it the changes made
    since it was lent (None: the record's facts were dropped). In the order of the dict the register would
    have kept (`_put` moves a changed record's facts to the end)."""

    def __init__(self, base: Mapping[str, V], top: Mapping[str, V | None]) -> None:
        self._base, self._top = base, top
        self._len: int | None = None

    def __getitem__(self, key: str) -> V:
        if key in self._top:
            value = self._top[key]
            if value is None:
                raise KeyError(key)
            return value
        return self._base[key]

    def __iter__(self) -> Iterator[str]:
        top = self._top
        yield from (k for k in self._base if k not in top)
        yield from (k for k, v in top.items() if v is not None)

    def __len__(self) -> int:
        if self._len is None:
            top = self._top
            self._len = (len(self._base) - sum(1 for k in top if k in self._base)
                         + sum(1 for v in top.values() if v is not None))
        return self._len


class Kept(Generic[V]):
    """One kind of facts, by IRI, kept in step and lent out (`lend`) as read-only snapshots that never
    change afterwards. Until it is lent the dict is changed in place; once lent, changes go to a layer
    over it (a lent dict is never changed again), folded into a new dict at `FOLD_AT` or one in
    `FOLD_ONE_IN` changes: a write after a read costs its own change, not a copy of the whole, in the
    writer's commit (a copy of 300,000 entries, about the derived datasets at 1M: 11.6 ms CPU)."""

    def __init__(self) -> None:
        self.base: dict[str, V] = {}
        self._top: dict[str, V | None] = {}
        self._lent = False
        self._changed = False  # a change since it was last lent (each change after it moves its record, as `_put`)

    def get(self, key: str) -> V | None:
        if key in self._top:
            return self._top[key]
        return self.base.get(key)

    def put(self, key: str, value: V | None) -> bool:
        """Keep `value` for `key` (None: nothing); whether that changed anything."""
        if not self._lent:
            return _put(self.base, key, value)
        old = self.get(key)
        if old == value and not self._changed:
            return False
        self._changed = True
        self._top.pop(key, None)  # to the end, as `_put` moves it
        self._top[key] = value
        if len(self._top) >= max(FOLD_AT, len(self.base) // FOLD_ONE_IN):
            self._fold()
        return bool(old != value)

    def lend(self) -> Mapping[str, V]:
        """The facts as they are now, read-only, never changed afterwards."""
        self._lent, self._changed = True, False
        if not self._top:
            return MappingProxyType(self.base)
        return Layered(self.base, dict(self._top))

    def _fold(self) -> None:
        top = self._top
        base = {k: v for k, v in self.base.items() if k not in top}
        base.update((k, v) for k, v in top.items() if v is not None)
        self.base, self._top, self._lent = base, {}, False


class Forms:
    """The facts of a record from its public form, or from the fields of it that FIELDS names (a missing field
    as None). The shapes allow one publisher, one generating activity, one agent and one date of it, one
    title per language, one name, one status: the public form holds each whole."""

    def __init__(self, iris: Iris) -> None:
        self.iris = iris

    def iri(self, kind: str, rid: str) -> str:
        """A record's IRI from the id a public form names it by (`Iris.id_of`: an IRI naming no record of
        this registry is written whole, and an id holds no colon), as one shared string (IRIs recur)."""
        return sys.intern(rid if ":" in rid else f"{self.iris.base}/{kind}/{rid}")

    def party(self, rid: str | None) -> str | None:
        return None if rid is None else self.iri("organization", rid)

    def agreement(self, doc: Mapping[str, Any]) -> AgreementFacts | None:
        """None when retired."""
        if doc.get("retired") is not None:
            return None
        return AgreementFacts(
            id=str(doc["id"]), title=doc.get("title"), status=sys.intern(doc.get("status") or "unknown"),
            valid_from=_shared(doc.get("valid_from")), valid_until=_shared(doc.get("valid_until")),
            issued=_shared(doc.get("issued")),
            provider=self.party(doc.get("provider")), recipient=self.party(doc.get("recipient")),
            datasets=tuple(sorted({self.iri("dataset", d) for d in doc.get("datasets") or ()})),
            purposes=tuple(sorted({sys.intern(p) for p in doc.get("purposes") or ()})),
            authorities=tuple(sorted({sys.intern(a) for a in doc.get("legal_basis") or ()})))

    def terms(self, doc: Mapping[str, Any], retention: str | None) -> tuple[str, str | None, str | None] | None:
        if retention is None:
            return None
        return retention, self.party(doc.get("provider")), self.party(doc.get("recipient"))

    def dataset(self, doc: Mapping[str, Any], titled: bool) -> DatasetFacts:
        title = doc.get("title") if titled else None
        made = doc.get("generated_by")
        by, when = (made.get("by"), made.get("date")) if made else (None, None)
        return DatasetFacts(
            titles=() if title is None else (("en", title),) if isinstance(title, str) else tuple(sorted(title.items())),
            publishers=() if doc.get("publisher") is None else (self.iri("organization", doc["publisher"]),),
            sources=tuple(sorted({self.iri("dataset", x) for x in doc.get("derived_from") or ()})),
            activities=() if made is None else (((self.iri("organization", by),) if by else (),
                                                 (sys.intern(str(when)),) if when else ()),),
            retired=doc.get("retired") is not None)


def rows_of(facts: Facts) -> register_file.Sections:
    """The facts as plain lists (JSON), in the order kept: the agreements, names, datasets and terms, each a
    section of rows made as it is read, the texts they share (IRIs, codes, dates) by their number; then, once
    the sections are read, the texts themselves, each once (the file's first part: register_file.save writes
    them all without holding every row at once). `facts_of` reads them back."""
    texts: dict[str | None, int | None] = {None: None}

    def n(text: str | None) -> int | None:
        found = texts.get(text, -1)
        if found == -1:
            found = texts[text] = len(texts) - 1
        return found

    def ns(items: Iterable[str]) -> list[int | None]:
        return [n(x) for x in items]

    agreements = ([n(iri), a.id, a.title, n(a.status), n(a.valid_from), n(a.valid_until), n(a.issued),
                   n(a.provider), n(a.recipient), ns(a.datasets), ns(a.purposes), ns(a.authorities)]
                  for iri, a in facts.agreements.items())
    names = ([n(iri), name] for iri, name in facts.names.items())
    datasets = ([n(iri), d.titles, ns(d.publishers), ns(d.sources), [[ns(by), ns(when)] for by, when in d.activities],
                 d.retired] for iri, d in facts.datasets.items())
    terms = ([n(iri), retention, n(provider), n(recipient)] for iri, (retention, provider, recipient) in facts.terms.items())
    return register_file.Sections([agreements, names, datasets, terms], lambda: [t for t in texts if t is not None])


def facts_of(rows: register_file.Rows) -> tuple[dict[str, AgreementFacts], dict[str, str], dict[str, DatasetFacts],
                                                 dict[str, tuple[str, str | None, str | None]]]:
    """The facts `rows_of` wrote (agreements, names, datasets, terms), the texts they share as one string each
    (as `Forms` shares them); rows of another shape raise ValueError, TypeError or IndexError."""
    table, agreements, names, datasets, terms = rows
    if not all(isinstance(t, str) for t in table):
        raise TypeError("a shared text that is not one")
    shared = [sys.intern(t) for t in table]
    t = shared.__getitem__

    def opt(i: int | None) -> str | None:
        return None if i is None else shared[i]

    def ts(items: list[int]) -> tuple[str, ...]:
        return tuple(map(t, items))

    return (
        {t(iri): AgreementFacts(str(aid), title, t(status), opt(vf), opt(vu), opt(issued), opt(provider),
                                opt(recipient), ts(ds), ts(ps), ts(auths))
         for iri, aid, title, status, vf, vu, issued, provider, recipient, ds, ps, auths in agreements},
        {t(iri): name for iri, name in names},
        {t(iri): DatasetFacts(tuple((str(lang), str(text)) for lang, text in titles), ts(publishers), ts(sources),
                              tuple((ts(by), ts(when)) for by, when in activities), bool(retired))
         for iri, titles, publishers, sources, activities, retired in datasets},
        {t(iri): (str(retention), opt(provider), opt(recipient)) for iri, retention, provider, recipient in terms})


@contextmanager
def uncollected() -> Iterator[None]:
    """Without the cyclic garbage collector's passes while the block runs (as it was before, after it): the
    register's facts and what its computations make of them are about a million small objects (100k datasets)
    that hold no cycles, and every few thousand of them the collector walked all the young ones, and in full
    passes everything the process holds (a start's first answer spent most of its file read in them). It runs
    again after the block; a collector disabled by another (a bulk load) stays so."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def _shared(text: str | None) -> str | None:
    """One string for texts that recur (codes, dates)."""
    return None if text is None else sys.intern(text)


def _put(facts: dict[str, Any], iri: str, value: Any) -> bool:
    """Keep `value` for `iri` (None: nothing); whether that changed anything."""
    old = facts.pop(iri, None)
    if value is not None:
        facts[iri] = value
    return bool(old != value)


class Register:
    """The facts above, kept in step with the audit log: each entry naming an organisation, a dataset or an
    agreement reads that record's public form again. Read at first use (`facts`) from their file beside the
    store when it holds facts the log continues from, else from the catalogue index (then kept in the file)."""

    name = "register"

    def __init__(self, store: Store, iris: Iris, res: Resources, follower: Follower, lineage: LineageIndex,
                 index: CatalogIndex) -> None:
        self.store, self.iris, self.res, self.follower, self.lineage = store, iris, res, follower, lineage
        self.index, self.forms = index, Forms(iris)
        self._position: Head | None = None
        self._built = False
        self._agreements: Kept[AgreementFacts] = Kept()
        self._names: Kept[str] = Kept()
        self._datasets: Kept[DatasetFacts] = Kept()
        self._terms: Kept[tuple[str, str | None, str | None]] = Kept()
        #: how many agreements and derivations name each dataset (whose titles and publishers are kept)
        self._named: Counter[str] = Counter()
        #: how many times the facts were read whole from the index, and from their file (tests)
        self.builds = self.loads = 0
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
        #: what the last computation of an answer made of parts of the facts, by their inputs (kept by
        #: services/reports/transparency.py, so that after a change only the parts it touched are made again)
        self.carry: dict[str, Any] = {}
        self._generation = 0
        self._changes: list[str] = []
        #: the file the facts are kept in (None: not kept), and the position it holds
        self.path = register_file.register_path(store)
        self._saved: Head | None = None
        #: the position of the facts in the file, not read from it yet; the records entries named since
        self._unread: Head | None = None
        self._since: dict[tuple[str, str], None] = {}

    # ---------------------------------------------------------------- the projection protocol
    def position(self) -> Head | None:
        return self._position

    def open(self) -> None:
        """The position of the facts kept in the file, if it holds any (the follower then checks the log
        continues from it): the facts themselves are read from it at first use (`_load`), the records entries
        name meanwhile read again then. Else the facts are read from the index at first use."""
        self._forget()
        kept = None if self.path is None else register_file.position(self.path, self.store.identity(), self.iris.base)
        if kept is not None:
            self._position = self._saved = self._unread = kept
            return
        self._position = self.follower.head()

    def apply(self, entries: Sequence[Entry]) -> None:
        records = dict.fromkeys((e.kind, e.id) for e in entries if e.kind in KINDS)
        if any(e.kind not in KINDS and e.kind not in UNAFFECTED for e in entries):
            self._version += 1
        if self._built:
            for kind, rid in records:
                self._read(kind, rid)
        elif self._unread is not None:
            self._since.update(records)
            if len(self._since) > MAX_CHANGES:  # more than reading them whole from the index
                self._unread, self._since = None, {}
        self._changed([rid for kind, rid in records if kind == "dataset"])
        self._position = entries[-1].position

    def rebuild(self) -> None:
        """The facts are read again at first use: the file no longer holds facts the log continues from."""
        self._forget()
        self._unkeep()
        self._position = self.follower.head()

    def invalidate(self) -> None:
        self._forget()
        self._unkeep()
        self._position = None

    def close(self) -> None:
        """Keep the facts in their file (the next open reads them) and let go of them."""
        self.save()
        self._forget()
        self._position = None

    def save(self) -> None:
        """Keep the facts and their position in the file, unless it holds them already."""
        if self.path is None or not self._built or self._position is None or self._position == self._saved:
            return
        facts = Facts(self._agreements.lend(), self._names.lend(), self._datasets.lend(), self._terms.lend())
        try:
            register_file.save(self.path, rows_of(facts), self._position, self.store.identity(), self.iris.base)
        except (OSError, ValueError) as e:  # the facts stay in memory; a start reads them from the index
            log.warning("the register's facts could not be kept in %s: %s", self.path, e)
            self._unkeep()
            return
        self._saved = self._position

    def _unkeep(self) -> None:
        register_file.forget(self.path)
        self._saved = None

    def _restore(self, facts: tuple[dict[str, AgreementFacts], dict[str, str], dict[str, DatasetFacts],
                                    dict[str, tuple[str, str | None, str | None]]]) -> None:
        """Keep facts read back from the file (into the dicts `_forget` made), and count what they name."""
        agreements, names, datasets, terms = facts
        self._agreements.base, self._names.base, self._datasets.base, self._terms.base = (
            agreements, names, datasets, terms)
        for a in agreements.values():
            self._named.update(a.datasets)
        for d in datasets.values():
            self._named.update(d.sources)

    def _forget(self) -> None:
        self._built = False
        self._unread, self._since = None, {}
        self._agreements, self._names, self._datasets, self._named = Kept(), Kept(), Kept(), Counter()
        self._terms, self.carry = Kept(), {}
        self._generation, self._changes = self._generation + 1, []
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
        lineage (`LineageIndex.carry_pi`): asked of the lineage graph once, then kept until a dataset
        upstream of it changes."""
        with self._pi_lock:
            epoch, known = self._epoch, self._pi
            self._pi_busy += 1
        try:
            out = {d: v for d in datasets if (v := known.get(d)) is not None}
            out.update(self.lineage.carry_pi([d for d in datasets if d not in out]))
        finally:
            with self._pi_lock:
                self._pi_busy -= 1
                if self._epoch == epoch:
                    self._pi.update(out)
        return out

    def answer(self, key: Hashable, compute: Callable[[], T]) -> T:
        """The answer kept for `key` while nothing it may read changed (the facts, whether a source carries
        personal information, an audit entry of another kind than share checks and tokens), else
        `compute()`'s. One caller computes while the others wait for it (they would compute the same). The
        facts read and the computation run with the collector off (`uncollected`), one block: a pass between
        them would walk every fact read."""
        with self._computing:
            with uncollected():
                with self.follower.reading(self):
                    self._ensure_built()
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
        """The facts, up to date with the log (read whole at the first call: a server calls it once it is
        ready, in a thread `registry.stopping` can stop). Read-only snapshots of the kept facts (`Kept.lend`):
        what was handed out stays as it was."""
        with self.follower.reading(self):
            self._ensure_built()
            return Facts(self._agreements.lend(), self._names.lend(), self._datasets.lend(), self._terms.lend(),
                         self._generation, tuple(self._changes))

    def _change(self, which: str, iri: str, value: Any) -> bool:
        """Keep `value` for `iri` in one of the kinds of facts (`Kept.put`); whether that changed anything."""
        kept: Kept[Any] = getattr(self, which)
        return kept.put(iri, value)

    def _touched(self, iri: str) -> None:
        """Note that the facts of a record changed."""
        self._version += 1
        if len(self._changes) >= MAX_CHANGES:
            self._generation, self._changes = self._generation + 1, []
        self._changes.append(iri)

    def _read(self, kind: str, rid: str) -> None:
        """Read one record's public form again (and an agreement's retention period)."""
        doc = self.index.public_form(kind, rid)
        retention = None
        if kind == "agreement" and doc is not None:  # a restricted condition
            found = sorted(str(o) for _s, p, o in self.store.graph(self.iris.restricted_graph(kind, rid))
                           if p == REG.retentionPeriod)
            retention = found[0] if found else None
        self._set(kind, self.forms.iri(kind, rid), doc, retention)

    def _set(self, kind: str, iri: str, doc: Mapping[str, Any] | None, retention: str | None = None) -> None:
        """Keep the facts of one record's public form (None: the store holds none)."""
        if kind == "organization":
            changed = self._change("_names", iri, doc.get("name") if doc else None)
        elif kind == "agreement":
            changed = self._change("_terms", iri, self.forms.terms(doc, retention) if doc else None)
            old, new = self._agreements.get(iri), self.forms.agreement(doc) if doc else None
            changed = self._change("_agreements", iri, new) or changed
            self._renamed(old.datasets if old else (), new.datasets if new else ())
        else:
            old_d = self._datasets.get(iri)
            new_d = self.forms.dataset(doc or {}, titled=self._named[iri] > 0)
            self._keep(iri, new_d)
            changed = self._datasets.get(iri) != old_d
            self._renamed(old_d.sources if old_d else (), new_d.sources)
        if changed:
            self._touched(iri)

    def _keep(self, iri: str, facts: DatasetFacts) -> bool:
        """Keep a dataset's facts while it derives from another or is named; whether that changed them."""
        return self._change("_datasets", iri, facts if facts.sources or self._named[iri] > 0 else None)

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
                if found is not None and self._keep(d, found):
                    self._touched(d)
        for d in came - gone:
            if self._named[d] == came[d]:  # not named before
                name = self.iris.parse(d)
                if name is not None and name.kind == "dataset" and name.id and not name.graph:
                    self._read("dataset", name.id)

    def _ensure_built(self) -> None:
        """Within `follower.reading(self)`: at first use, the facts as of the index's position, then the
        entries that followed it applied (the index may be ahead of this projection's position, or behind)."""
        if self._built:
            return
        with uncollected():
            if not self._load():
                self._build()
                with self.follower.reading(self):  # catches up from the index's position
                    pass

    def _load(self) -> bool:
        """Within `follower.reading(self)`: the facts from the file `open` found, then the records entries named
        since read again; whether it held the facts `open` found."""
        at, since = self._unread, self._since
        if at is None or self.path is None:
            return False
        saved = register_file.load(self.path, self.store.identity(), self.iris.base)
        self._forget()
        if saved is None or saved.position != at:
            return False
        try:
            facts = facts_of(saved.rows)
        except (ValueError, TypeError, IndexError) as e:
            log.warning("the register file %s holds facts of another shape, not used: %s", self.path, e)
            return False
        self.loads += 1
        self._restore(facts)
        self._built = True
        for kind, rid in since:
            self._read(kind, rid)
        return True

    def _build(self) -> None:
        """Read every record's facts from the catalogue index, as of one position of the log (it catches up
        first, and is held there while they are read); the retention periods from the store."""
        self.builds += 1
        self._forget()  # what a build stopped half-way kept
        with self.index.held() as position:
            parties = self._read_all()
        retention: dict[str, str] = {}
        for r in self.store.select(self.res.query("register-retention")):
            iri, value = sys.intern(str(r["agreement"])), str(r["retention"])
            retention[iri] = min(value, retention.get(iri, value))
        for iri, value in retention.items():
            if (doc := parties.get(iri)) is not None:
                self._terms.put(iri, self.forms.terms(doc, value))
        self._built = True
        if position is not None:
            self._position = position
            self.save()  # a start reads them from the file (`open`)

    def _read_all(self) -> dict[str, dict[str, Any]]:
        """Organisations and agreements, the datasets that derive from another, then the others named; the
        parties of every agreement (retired ones too), by IRI. Into the dicts `_forget` made, lent to no one yet."""
        fields, forms = self.index.fields, self.forms
        datasets = self._datasets.base
        for doc in fields("organization", FIELDS["organization"]):
            self._names.put(forms.iri("organization", doc["id"]), doc.get("name"))
        checkpoint()  # a server shutting down while it reads them stops here
        parties: dict[str, dict[str, Any]] = {}
        for doc in fields("agreement", FIELDS["agreement"]):
            iri = forms.iri("agreement", doc["id"])
            parties[iri] = {"provider": doc.get("provider"), "recipient": doc.get("recipient")}
            if (a := forms.agreement(doc)) is not None:
                self._agreements.base[iri] = a
                self._named.update(a.datasets)
        checkpoint()
        for doc in fields("dataset", FIELDS["dataset"], nonempty="derived_from"):
            d = forms.dataset(doc, titled=True)
            datasets[forms.iri("dataset", doc["id"])] = d
            self._named.update(d.sources)
        checkpoint()
        for iri, d in datasets.items():  # titles only of the datasets named
            if d.titles and self._named[iri] <= 0:
                datasets[iri] = replace(d, titles=())
        others = sorted(split[1] for iri in self._named if iri not in datasets
                        and (split := self.iris.split(iri)) is not None and split[0] == "dataset")
        for doc in fields("dataset", FIELDS["dataset"], ids=others):
            datasets[forms.iri("dataset", doc["id"])] = forms.dataset(doc, titled=True)
        return parties
