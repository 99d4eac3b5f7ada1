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
from registry.resources import Resources
from registry.store.base import Row, Store, Triple, inline_rows
from registry.store.formats import parse_ntriples
from registry.store.terms import nt


class RecordsAt:
    """Records of `store` as they stood at `when` (with its time zone), each read once into `view`, an
    in-memory store holding those alone."""

    def __init__(self, store: Store, iris: Iris, resources: Resources, when: dt.datetime) -> None:
        self.store, self.iris, self.res, self.when = store, iris, resources, when
        self.view = store.scratch()
        self.seen: set[tuple[str, str]] = set()

    def read(self, records: Iterable[tuple[str, str]]) -> None:
        """Put the records (kind, id) not read yet into the view, as they stood then (their audit entries in
        one query; the graphs of those with no logged version copied as they are)."""
        wanted = {self.iris.record(kind, rid): (kind, rid) for kind, rid in records if (kind, rid) not in self.seen}
        if not wanted:
            return
        self.seen.update(wanted.values())
        entries: dict[URIRef, list[Row]] = {}
        for r in self.store.select(inline_rows(self.res.query("history-of-records"), ["record"],
                                               [[iri] for iri in wanted], nt)):
            entries.setdefault(URIRef(str(r["record"])), []).append(r)
        now: list[str] = []
        for iri, (kind, rid) in wanted.items():
            logged = entries.get(iri, [])
            if not any("snapshot" in e for e in logged):  # never written through the write path
                now += self.iris.graphs(kind, rid)
            elif state := self._state(logged):
                self.view.add_to_graph(self.iris.restricted_graph(kind, rid), state)
        if now:
            self.store.copy_graphs(now, self.view)

    def _state(self, entries: list[Row]) -> list[Triple]:
        """The last logged state at or before the moment; else the bulk-loaded state the first entry after
        it kept; else none (created later)."""
        logged = sorted(entries, key=lambda e: int(str(e["seq"])))
        then = [e for e in logged if "snapshot" in e and _time(e) <= self.when]
        if then:
            return list(parse_ntriples(str(then[-1]["snapshot"])))
        later = [e for e in logged if _time(e) > self.when]
        return list(parse_ntriples(str(later[0]["before"]))) if later and "before" in later[0] else []


def _time(entry: Row) -> dt.datetime:
    return dt.datetime.fromisoformat(str(entry["time"]))


def share_view(store: Store, iris: Iris, resources: Resources, proposal: ShareProposal,
               lineage: LineageAt) -> Store:
    """A store of what a check of `proposal` reads, as it stood at `lineage.when` (the lineage then)."""
    at = RecordsAt(store, iris, resources, lineage.when)
    paths = [d for rid in proposal.datasets for d in lineage.effective_pi(rid)[1] or ()]
    organisations = [proposal.provider, proposal.recipient]
    at.read([*(("dataset", d) for d in [*proposal.datasets, *paths]),
             *(("organization", o) for o in organisations),
             *(("agreement", a) for a in _agreements(store, iris, resources, proposal.provider, proposal.recipient))])
    while organisations:  # the organisations those read were part of then, and theirs
        rows = at.view.select(inline_rows(resources.query("organization-parents"), ["org"],
                                          [[iris.record("organization", o)] for o in organisations], nt))
        organisations = [rid for r in rows if iris.record("organization", rid := iris.id_of(r["parent"])) == r["parent"]
                         and ("organization", rid) not in at.seen]
        at.read(("organization", o) for o in organisations)
    return at.view


def _agreements(store: Store, iris: Iris, resources: Resources, provider: str, recipient: str) -> list[str]:
    """The agreements between the pair now, and those some logged version of which named the pair."""
    parties = {"provider": iris.record("organization", provider), "recipient": iris.record("organization", recipient)}
    now = store.select(resources.query("agreements-of-pair"), parties)
    logged = store.select(resources.query("history-agreements-of-pair"),
                          {k: Literal(nt(v)) for k, v in parties.items()})
    return sorted({iris.id_of(r["agreement"]) for r in now} | {iris.id_of(r["record"]) for r in logged})
