"""The parts of the transparency register kept between its computations (in `Register.carry`), each updated
from the records whose facts changed since (`Facts.changes`) instead of made again from every record: the
declared flows per dataset and the earliest of each flow, the agreements' retention
terms, the agreements in order of id, and their entries (made by services/reports/transparency.py), dropped
when the agreement, its parties' names or its datasets' titles change."""

from __future__ import annotations

import bisect
import datetime as dt
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from registry.projections.register import DatasetFacts, Facts
from registry.services.disposals import Terms

#: a declared flow: the source dataset, its publisher (the provider), the recipient and the activity's date
Flow = tuple[str, str, str, str | None]
#: a flow's source, provider and recipient, by id
FlowKey = tuple[str, str, str]
#: the dates whose entries are kept
DATES_KEPT = 4
#: a pair of institutions, by id
Pair = tuple[str, str]


def flow_order(f: Flow) -> tuple[str, str, str, bool, str]:
    """Flows by source and institutions, the dated first and the earliest of them first."""
    return f[0], f[1], f[2], f[3] is None, f[3] or ""


def declared_flows(d: DatasetFacts, providers: tuple[tuple[str, ...], ...]) -> list[Flow]:
    """The flows a dataset declares: from each of its sources (whose publishers are `providers`, in order)."""
    flows: list[Flow] = []
    for source, publishers in zip(d.sources, providers, strict=True):
        for provider in publishers:
            for publisher in d.publishers:
                for agents, dates in d.activities or (((), ()),):
                    for agent in agents or (None,):
                        recipient = agent or publisher
                        if recipient != provider:
                            flows.extend((source, provider, recipient, when) for when in dates or (None,))
    return flows


def first_flows(flows: Iterable[Flow], id_of: Callable[[str], str]) -> dict[FlowKey, tuple[str, str, str | None]]:
    """The earliest of each flow (by the ids of its source and institutions): its provider, recipient, date."""
    first: dict[FlowKey, tuple[str, str, str | None]] = {}
    for source, provider, recipient, date in sorted(flows, key=flow_order):
        first.setdefault((id_of(source), id_of(provider), id_of(recipient)), (provider, recipient, date))
    return first


class Titles(Mapping[str, dict[str, str]]):
    """The titles of the datasets (language -> title) by IRI, made from their facts when asked (a copy)."""

    def __init__(self, datasets: Mapping[str, DatasetFacts]) -> None:
        self.datasets = datasets

    def __getitem__(self, iri: str) -> dict[str, str]:
        d = self.datasets.get(iri)
        if d is None or not d.titles:
            raise KeyError(iri)
        return dict(d.titles)

    def __iter__(self) -> Iterator[str]:
        return (iri for iri, d in self.datasets.items() if d.titles)

    def __len__(self) -> int:
        return sum(1 for _ in self)


@dataclass
class Unmatched:
    """On one date, the flows counted as carrying personal information with no agreement covering them, their
    counts per pair and the IRIs of each pair's institutions; the flows to look at again (None: every one)."""

    pi: dict[str, bool] = field(default_factory=dict)
    counted: set[FlowKey] = field(default_factory=set)
    counts: Counter[Pair] = field(default_factory=Counter)
    iris: dict[Pair, tuple[str, str]] = field(default_factory=dict)
    dirty: set[FlowKey] | None = None


class Parts:
    """What the last computation made of the facts, brought up to date by `update`. One computation at a
    time uses it (`Register.answer` runs one)."""

    def __init__(self) -> None:
        self._clear()

    def _clear(self) -> None:
        #: the facts it was last brought up to date with (None: nothing made yet, or an update stopped)
        self.facts: Facts | None = None
        #: dataset IRI -> the flows it declares; source IRI -> the datasets deriving from it
        self.flows: dict[str, list[Flow]] = {}
        self.derived: dict[str, set[str]] = {}
        #: the earliest of each flow
        self.first: dict[FlowKey, tuple[str, str, str | None]] = {}
        #: the agreements between each pair of institutions (IRIs)
        self.pairs: dict[Pair, set[str]] = {}
        #: agreement id -> its retention terms (ids); organisation or dataset IRI -> the agreements naming it
        self.terms: dict[str, Terms] = {}
        self.naming: dict[str, set[str]] = {}
        #: (id, IRI) of every agreement, in order
        self.order: list[tuple[str, str]] = []
        #: agreement IRI -> what its entry holds whatever the date; date -> agreement IRI -> entry
        self.made: dict[str, Any] = {}
        self.dated: dict[dt.date, dict[str, Any]] = {}
        self.unmatched: dict[dt.date, Unmatched] = {}

    def update(self, facts: Facts, id_of: Callable[[str], str]) -> None:
        """Bring every part up to date with `facts`: from the records that changed since the last update, or
        whole when the facts were read whole since."""
        before, self.facts = self.facts, None  # an update stopped half-way leaves the parts to be made whole
        if before is None or before.generation != facts.generation or len(before.changes) > len(facts.changes):
            self._clear()
            # made whole, the agreements and their terms are all `_agreements` reads: no entry is kept yet for
            # the names and titles of the others to drop
            before, changed = Facts({}, {}, {}, {}), set(facts.agreements) | set(facts.terms)
            self._all_datasets(facts, id_of)
        else:
            changed = set(facts.changes[len(before.changes):])
            self._datasets(before, facts, changed, id_of)
        self._agreements(before, facts, changed, id_of)
        self.facts = facts

    def _all_datasets(self, facts: Facts, id_of: Callable[[str], str]) -> None:
        """The flows and the earliest of each, made whole (`_datasets` with every dataset changed, in one sort
        of the flows instead of one look per source)."""
        for iri, d in facts.datasets.items():
            for source in d.sources:
                self.derived.setdefault(source, set()).add(iri)
            if made := _declared(d, facts):
                self.flows[iri] = made
        self.first = first_flows((f for made in self.flows.values() for f in made), id_of)

    def _datasets(self, before: Facts, facts: Facts, changed: set[str], id_of: Callable[[str], str]) -> None:
        """The flows and the earliest of each, of the datasets changed and those deriving from them."""
        redo: set[str] = set()
        for iri in changed:
            if iri in facts.datasets or iri in before.datasets:
                redo.add(iri)
                redo.update(self.derived.get(iri, ()))
        touched: dict[FlowKey, str] = {}  # the flows made or dropped: their sources
        for iri in redo:
            old, new = before.datasets.get(iri), facts.datasets.get(iri)
            for source in old.sources if old else ():
                _drop(self.derived, source, iri)
            for source in new.sources if new else ():
                self.derived.setdefault(source, set()).add(iri)
            dropped = self.flows.pop(iri, [])
            made = [] if new is None else _declared(new, facts)
            if made:
                self.flows[iri] = made
            touched.update(((id_of(f[0]), id_of(f[1]), id_of(f[2])), f[0]) for f in (*dropped, *made))
        by_source: dict[str, set[FlowKey]] = {}
        for key, source in touched.items():
            by_source.setdefault(source, set()).add(key)
        for source, keys in by_source.items():
            self._dirty(keys)
            found: dict[FlowKey, Flow] = {}
            for key, f in self._flows_from(source, id_of):
                if key in keys and (key not in found or flow_order(f) < flow_order(found[key])):
                    found[key] = f
            for key in keys:
                if (best := found.get(key)) is not None:
                    self.first[key] = best[1], best[2], best[3]
                else:
                    self.first.pop(key, None)

    def _flows_from(self, source: str, id_of: Callable[[str], str]) -> Iterator[tuple[FlowKey, Flow]]:
        """The flows from a source dataset (by IRI), each with its key."""
        for d in self.derived.get(source, ()):
            for f in self.flows.get(d, ()):
                if f[0] == source:
                    yield (id_of(f[0]), id_of(f[1]), id_of(f[2])), f

    def _dirty(self, keys: Iterable[FlowKey]) -> None:
        """These flows are to be looked at again by each date's unmatched flows."""
        for unmatched in self.unmatched.values():
            if unmatched.dirty is not None:
                unmatched.dirty.update(keys)

    def _agreements(self, before: Facts, facts: Facts, changed: set[str], id_of: Callable[[str], str]) -> None:
        """Order, terms and what names each agreement; the entries of those whose inputs changed dropped."""
        stale: set[str] = set()
        for iri in changed:
            stale.update(self.naming.get(iri, ()))
            if iri in facts.terms:
                retention, provider, recipient = facts.terms[iri]
                self.terms[id_of(iri)] = Terms(retention, *(None if x is None else id_of(x) for x in (provider, recipient)))
            elif iri in before.terms:
                self.terms.pop(id_of(iri), None)
            old, new = before.agreements.get(iri), facts.agreements.get(iri)
            if old is None and new is None:
                continue
            stale.add(iri)
            if old is not None:
                for x in (old.provider, old.recipient, *old.datasets):
                    if x is not None:
                        _drop(self.naming, x, iri)
                if old.provider is not None and old.recipient is not None:
                    self._moved((id_of(old.provider), id_of(old.recipient)), iri, old.datasets, id_of, add=False)
                if new is None:
                    del self.order[bisect.bisect_left(self.order, (old.id, iri))]
            if new is not None:
                for x in (new.provider, new.recipient, *new.datasets):
                    if x is not None:
                        self.naming.setdefault(x, set()).add(iri)
                if new.provider is not None and new.recipient is not None:
                    self._moved((id_of(new.provider), id_of(new.recipient)), iri, new.datasets, id_of, add=True)
                if old is None:
                    bisect.insort(self.order, (new.id, iri))
        for iri in stale:
            self.made.pop(iri, None)
            for entries in self.dated.values():
                entries.pop(iri, None)

    def _moved(self, pair: Pair, agreement: str, datasets: Iterable[str], id_of: Callable[[str], str],
               add: bool) -> None:
        """An agreement between a pair of institutions about some datasets changed: the flows it may cover
        (from those datasets, between that pair) are looked at again."""
        if add:
            self.pairs.setdefault(pair, set()).add(agreement)
        else:
            _drop(self.pairs, pair, agreement)
        if any(u.dirty is not None for u in self.unmatched.values()):
            self._dirty([key for d in datasets for key, _f in self._flows_from(d, id_of) if key[1:] == pair])

    def unmatched_on(self, on: dt.date) -> Unmatched:
        """The unmatched flows kept for a date (the last few dates' kept)."""
        found = self.unmatched.get(on)
        if found is None:
            while len(self.unmatched) >= DATES_KEPT:
                del self.unmatched[next(iter(self.unmatched))]
            found = self.unmatched[on] = Unmatched()
        return found

    def entries_on(self, on: dt.date) -> dict[str, Any]:
        """The entries kept for a date (the last few dates' kept)."""
        found = self.dated.get(on)
        if found is None:
            while len(self.dated) >= DATES_KEPT:
                del self.dated[next(iter(self.dated))]
            found = self.dated[on] = {}
        return found


def _declared(d: DatasetFacts, facts: Facts) -> list[Flow]:
    """The flows a dataset declares, as the facts name its sources' publishers (none when it is retired)."""
    if d.retired or not d.publishers or not d.sources:
        return []
    return declared_flows(d, tuple(s.publishers if (s := facts.datasets.get(x)) else () for x in d.sources))


def _drop(index: dict[Any, set[Any]], key: Any, value: Any) -> None:
    """Take `value` out of the set `index` keeps for `key` (and the set, once empty)."""
    found = index.get(key)
    if found is not None:
        found.discard(value)
        if not found:
            del index[key]
