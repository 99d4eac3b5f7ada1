"""The tests' oracle of the transparency register: what it is computed from, read afresh from the public view
by transparency-agreements.rq and transparency-lineage-flows.rq (the computation the facts kept per record,
projections/register.py, replaced), for the kept register to be checked against."""

from __future__ import annotations

from typing import Any

from rdflib import Literal, URIRef
from rdflib.term import Node

from registry.domain.model.common import code_of
from registry.namespaces import AGREEMENT_STATUS, AUTHORITY, PURPOSE, SKOS
from registry.projections.register import AgreementFacts
from registry.services.reports.transparency import Flow, Sources, Transparency


def sources_from_view(t: Transparency) -> Sources:
    """Read from the public view by transparency-agreements.rq and transparency-lineage-flows.rq, the
    terms from the store by disposal-agreements.rq (as `Disposals.terms`), and the names of their
    recipients from the public view: the whole registry at each call."""
    public, store, res, iris = t.public, t.registry.store, t.registry.resources, t.iris
    by: dict[str, dict[str, Any]] = {}
    names: dict[str, str] = {}
    titles: dict[str, dict[str, str]] = {}
    for r in public.select(res.query("transparency-agreements")):
        a = by.setdefault(str(r["agreement"]), {"row": r, "datasets": {}, "purposes": set(), "authorities": set()})
        for key in ("provider", "recipient"):
            if key + "Name" in r:
                names[str(r[key])] = str(r[key + "Name"])
        if "dataset" in r:
            a["datasets"].setdefault(str(r["dataset"]), None)
            if isinstance(title := r.get("datasetTitle"), Literal):
                titles.setdefault(str(r["dataset"]), {})[title.language or "en"] = str(title)
        if "purpose" in r:
            a["purposes"].add(code_of(PURPOSE, r["purpose"]))
        if "authority" in r:
            a["authorities"].add(code_of(AUTHORITY, r["authority"]))

    def text(r: dict[str, Node], key: str) -> str | None:
        return str(r[key]) if key in r else None

    agreements = {iri: AgreementFacts(
        id=str(r["id"]), title=text(r, "title"),
        status=code_of(AGREEMENT_STATUS, r["status"]) if "status" in r else "unknown",
        valid_from=text(r, "from"), valid_until=text(r, "until"), issued=text(r, "issued"),
        provider=text(r, "provider"), recipient=text(r, "recipient"), datasets=tuple(a["datasets"]),
        purposes=tuple(sorted(a["purposes"])), authorities=tuple(sorted(a["authorities"])))
        for iri, a in by.items() for r in [a["row"]]}
    flows: list[Flow] = []
    for f in public.select(res.query("transparency-lineage-flows")):
        for key in ("provider", "recipient"):
            if key + "Name" in f:
                names[str(f[key])] = str(f[key + "Name"])
        flows.append((str(f["source"]), str(f["provider"]), str(f["recipient"]), text(f, "date")))
    terms = {str(r["agreement"]): (str(r["retention"]), text(r, "provider"), text(r, "recipient"))
             for r in store.select(res.query("disposal-agreements"))}
    for _retention, _provider, recipient in terms.values():
        if recipient is not None and recipient not in names:
            graph = public.graph(iris.public_graph("organization", iris.id_of(URIRef(recipient))))
            label = next((o for _s, p, o in graph if p == SKOS.prefLabel), None)
            if label is not None:
                names[recipient] = str(label)
    return Sources(agreements, names, titles, flows, terms, iris)
