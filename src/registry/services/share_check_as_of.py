"""The records a share check reads, as they stood at a moment: the proposal's datasets and those their
personal information comes from, the provider, the recipient and the organisations above them, and the
agreements between the two. Each is its last logged version at or before the moment (its bulk-loaded
state, before a later first write; absent, when it was created later), or the store's record when the audit
log holds no version of it. They go into a small in-memory store that the legal-basis engine reads as it
reads the registry, so an answer as of a moment never rebuilds the registry."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from rdflib import Literal, URIRef

from registry.domain.legal import ShareProposal
from registry.domain.lineage import LineageAt
from registry.iris import Iris
from registry.namespaces import ORG
from registry.resources import Resources
from registry.store.base import Row, Store, Triple, inline_rows
from registry.store.formats import parse_ntriples
from registry.store.terms import nt

#: a record's state: its triples, or None when it did not exist
State = list[Triple] | None


class RecordsAt:
    """Records of `store` as they stood at `when` (with its time zone), each read once."""

    def __init__(self, store: Store, iris: Iris, resources: Resources, when: dt.datetime) -> None:
        self.store, self.iris, self.res, self.when = store, iris, resources, when
        self.states: dict[tuple[str, str], State] = {}

    def read(self, kind: str, ids: Iterable[str]) -> dict[str, State]:
        """The states of the records `ids` of `kind` then (the audit entries of those not yet read, in one query)."""
        ids = list(dict.fromkeys(ids))
        wanted = {self.iris.record(kind, rid): rid for rid in ids if (kind, rid) not in self.states}
        if wanted:
            entries: dict[str, list[Row]] = {}
            for r in self.store.select(inline_rows(self.res.query("history-of-records"), ["record"],
                                                   [[iri] for iri in wanted], nt)):
                entries.setdefault(wanted[URIRef(str(r["record"]))], []).append(r)
            for rid in wanted.values():
                self.states[kind, rid] = self._state(kind, rid, entries.get(rid, []))
        return {rid: self.states[kind, rid] for rid in ids}

    def _state(self, kind: str, rid: str, entries: list[Row]) -> State:
        if not any("snapshot" in e for e in entries):  # never written through the write path: as it is now
            return [t for g in self.iris.graphs(kind, rid) for t in self.store.graph(g)] or None
        logged = sorted(entries, key=lambda e: int(str(e["seq"])))
        then = [e for e in logged if "snapshot" in e and _time(e) <= self.when]
        if then:
            return _triples(then[-1]["snapshot"])
        later = [e for e in logged if _time(e) > self.when]
        return _triples(later[0]["before"]) if later and "before" in later[0] else None

    def view(self) -> Store:
        """An in-memory store of the records read, one graph each."""
        view = self.store.scratch()
        view.replace_graphs({self.iris.restricted_graph(kind, rid): state
                             for (kind, rid), state in self.states.items() if state})
        return view


def _time(entry: Row) -> dt.datetime:
    return dt.datetime.fromisoformat(str(entry["time"]))


def _triples(snapshot: object) -> State:
    return list(parse_ntriples(str(snapshot))) or None


def share_view(store: Store, iris: Iris, resources: Resources, proposal: ShareProposal,
               lineage: LineageAt) -> Store:
    """A store of what a check of `proposal` reads, as it stood at `lineage.when` (the lineage then)."""
    at = RecordsAt(store, iris, resources, lineage.when)
    paths = [d for rid in proposal.datasets for d in lineage.effective_pi(rid)[1] or ()]
    at.read("dataset", [*proposal.datasets, *paths])
    organisations = [proposal.provider, proposal.recipient]
    while organisations:  # each organisation, then those it was part of then
        parents = {o for state in at.read("organization", organisations).values() for _s, p, o in state or ()
                   if p == ORG.subOrganizationOf}
        organisations = [rid for o in parents
                         if iris.record("organization", rid := iris.id_of(o)) == o
                         and ("organization", rid) not in at.states]
    at.read("agreement", _agreements(store, iris, resources, proposal.provider, proposal.recipient))
    return at.view()


def _agreements(store: Store, iris: Iris, resources: Resources, provider: str, recipient: str) -> list[str]:
    """The agreements between the pair now, and those some logged version of which named the pair."""
    parties = {"provider": iris.record("organization", provider), "recipient": iris.record("organization", recipient)}
    now = store.select(resources.query("agreements-of-pair"), parties)
    logged = store.select(resources.query("history-agreements-of-pair"),
                          {k: Literal(nt(v)) for k, v in parties.items()})
    return sorted({iris.id_of(r["agreement"]) for r in now} | {iris.id_of(r["record"]) for r in logged})
