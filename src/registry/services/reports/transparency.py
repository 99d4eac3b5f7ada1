"""The transparency register: active agreements in the fields public registers use, counts, agreements about
to expire and the flow diagram, from the public view only; the personal-information flows across
institutions that no agreement covers, as counts per pair of institutions (README, "The public view"); and
per recipient institution how many shares it disposed of on time, late, or has overdue: counts of the
disposal ledger (services/disposals.py), which reads restricted records and hands out nothing else."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from rdflib import Graph, Literal, URIRef
from rdflib.term import Node

from registry.domain.retention import ledger
from registry.iris import Iris
from registry.namespaces import AUTHORITY, DCTERMS, PURPOSE, RDF, REG, SKOS
from registry.projections.register import AgreementFacts, Facts
from registry.projections.views import GraphView
from registry.services.disposals import Disposals, Terms
from registry.services.reference import authorities, labels_by_language, purposes
from registry.services.registry import Registry
from registry.services.reports import csv_answer
from registry.services.reports.register_parts import Flow as Flow
from registry.services.reports.register_parts import FlowKey, Parts, Titles, first_flows
from registry.stopping import checkpoint

EXPIRY_WINDOW_DAYS = 90
#: the flow diagram's name for agreements that cite no authority, in each language
NO_AUTHORITY = {"en": "no authority cited", "fr": "aucune autorisation citée"}


@dataclass
class Party:
    id: str
    name: str


@dataclass
class Entry:
    """One agreement in the register."""

    id: str
    title: str | None
    provider: Party | None
    recipient: Party | None
    #: each {"id", "label" (English), "labels" (by language)}; a dataset's {"id", "title"}
    purposes: list[dict[str, Any]]
    legal_authorities: list[dict[str, Any]]
    datasets: list[dict[str, Any]]
    valid_from: str | None
    valid_until: str | None
    duration: str | None
    duration_days: int | None
    status: str
    in_force: bool
    expires_in_days: int | None
    issued: str | None = None
    benefits: str | None = None
    url: str = ""

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Report:
    as_of: str
    agreements: list[Entry]
    by_authority: list[dict[str, Any]]
    by_pair: list[dict[str, Any]]
    expiring: list[dict[str, Any]]
    unmatched_flows: list[dict[str, Any]]
    sankey: dict[str, Any] = field(default_factory=dict)
    disposals: list[dict[str, Any]] = field(default_factory=list)

    def as_json(self, offset: int = 0, limit: int | None = None, top: int | None = None) -> dict[str, Any]:
        """The register as JSON: its agreements from `offset`, at most `limit` of them; with `top`, each other
        list at most that many items, the largest first (the flow diagram's links with their institutions and
        authorities, pairs of institutions, unmatched flows by pair; agreements ending soonest), each with its
        total. Everything is a copy: the report itself is shared by every caller."""
        shown = self.agreements[offset:] if limit is None else self.agreements[offset:offset + limit]
        unmatched = self.unmatched_flows
        return {
            "as_of": self.as_of,
            "total": len(self.agreements),
            "offset": offset,
            "limit": limit,
            "agreements": [e.as_json() for e in shown],
            "by_authority": [dict(a) for a in self.by_authority],
            "by_pair": [dict(x) for x in self.by_pair[:top]],
            "by_pair_total": len(self.by_pair),
            "expiring_within_90_days": [dict(x) for x in self.expiring[:top]],
            "expiring_total": len(self.expiring),
            "personal_information_flows_without_agreement": {
                "source": "declared lineage across institutions",
                "total": sum(f["count"] for f in unmatched),
                "by_pair": [dict(x) for x in unmatched[:top]],
                "pairs_total": len(unmatched),
            },
            "sankey": largest_links(self.sankey, top),
            "disposals_by_recipient": [dict(x) for x in self.disposals],
        }


def largest_links(sankey: dict[str, Any], top: int | None) -> dict[str, Any]:
    """A copy of the flow diagram with its `top` largest links (all when None), the institutions and authorities
    they name (numbered anew) and how many links there are in all."""
    links = sankey.get("links", [])
    if top is not None:
        links = sorted(links, key=lambda x: (-x["value"], x["source"], x["target"], x["authority"]))[:top]
    used = sorted({i for link in links for i in (link["source"], link["target"])})
    renumber = {old: new for new, old in enumerate(used)}
    named = {link["authority"] for link in links}
    return {
        "nodes": [dict(sankey["nodes"][i]) for i in used],
        "links": [{**link, "source": renumber[link["source"]], "target": renumber[link["target"]],
                   "labels": dict(link["labels"])} for link in sorted(links, key=lambda x: (x["source"], x["target"]))],
        "authorities": [{**a, "labels": dict(a["labels"])} for a in sankey.get("authorities", []) if a["id"] in named],
        "links_total": len(sankey.get("links", [])),
    }


def _date(v: Node | str | None) -> dt.date | None:
    if v is None:
        return None
    try:
        return dt.date.fromisoformat(str(v)[:10])
    except ValueError:
        return None


def duration(start: dt.date | None, end: dt.date | None) -> tuple[str | None, int | None]:
    """A plain-language duration of an inclusive date range ("3 years", "18 months"), and its days."""
    if start is None or end is None or end < start:
        return (None, None) if end is None or start is None else ("ended before it began", 0)
    days = (end - start).days + 1
    months = round(days / 30.4375)
    if months >= 12 and months % 12 == 0:
        y = months // 12
        return f"{y} year{'s' if y != 1 else ''}", days
    if months >= 1:
        return f"{months} month{'s' if months != 1 else ''}", days
    return f"{days} day{'s' if days != 1 else ''}", days


@dataclass
class Sources:
    """What the register is computed from: the agreements (not retired) by IRI, organisation names and the
    titles of datasets (language -> title) by IRI, and the declared flows between institutions (empty when
    `first` is given: the earliest of each, as `Parts` keeps them)."""

    agreements: Mapping[str, AgreementFacts]
    names: Mapping[str, str]
    titles: Mapping[str, dict[str, str]]
    flows: list[Flow]
    #: agreement IRI -> (retention period, provider IRI, recipient IRI): see projections/register.py
    terms: Mapping[str, tuple[str, str | None, str | None]]
    iris: Iris
    _ids: dict[str, str] = field(default_factory=dict)
    #: what is kept between computations (`Register.carry`)
    carry: dict[str, Any] = field(default_factory=dict)
    #: the parts kept between computations (`Sources.of`), and the earliest of each flow by the ids of its
    #: source and institutions (made from `flows` when None)
    parts: Parts | None = None
    first: dict[FlowKey, tuple[str, str, str | None]] | None = None

    def id_of(self, iri: str) -> str:
        """The id of a record's IRI (the IRI itself when it names no record of this registry)."""
        found = self._ids.get(iri)
        if found is None:
            parts = self.iris.split(iri)
            found = self._ids[iri] = parts[1] if parts else iri
        return found

    @classmethod
    def of(cls, facts: Facts, iris: Iris, carry: dict[str, Any] | None = None) -> Sources:
        """From the facts the registry keeps (projections/register.py); the flows as
        transparency-lineage-flows.rq reads them, kept as the earliest of each (`first`). `carry`: kept between
        computations (the ids of IRIs, the parts made of the facts: `Parts`, updated from what changed)."""
        carry = {} if carry is None else carry
        ids: dict[str, str] = carry.setdefault("ids", {})
        parts: Parts = carry.setdefault("parts", Parts())
        src = cls(facts.agreements, facts.names, Titles(facts.datasets), [], facts.terms, iris, ids, carry, parts)
        parts.update(facts, src.id_of)
        src.first = parts.first
        return src


class Transparency:
    def __init__(self, registry: Registry, public: GraphView) -> None:
        self.registry, self.public, self.iris = registry, public, registry.iris
        res = registry.resources
        self._authorities = {a["id"]: a for a in authorities(res)}
        self._purposes = {p["id"]: p for p in purposes(res)}
        #: the labels of purposes and authorities in every language they are written in
        vocab, catalogue = res.vocabularies(), res.authorities()
        self._labels = {
            "purpose": {p: labels_by_language(vocab, PURPOSE[p], SKOS.prefLabel) for p in self._purposes},
            "authority": {a: labels_by_language(catalogue, AUTHORITY[a], SKOS.prefLabel) for a in self._authorities},
        }

    def labels(self, what: str, code: str, english: str) -> dict[str, str]:
        """A purpose's or authority's label in each language (English at least)."""
        return {"en": english, **{k: v for k, v in self._labels[what].get(code, {}).items() if k != "en"}}

    # ---------------------------------------------------------------- the register
    def sources(self) -> Sources:
        """What the register is computed from, as the registry keeps it (projections/register.py)."""
        register = self.registry.register
        return Sources.of(register.facts(), self.iris, register.carry)

    def entries(self, on: dt.date, *, active_only: bool = True, sources: Sources | None = None) -> list[Entry]:
        src = sources or self.sources()
        id_of = src.id_of
        parties: dict[str, Party] = {}
        purposes: dict[str, dict[str, Any]] = {}
        authorities: dict[str, dict[str, Any]] = {}

        def party(iri: str | None) -> Party | None:
            if iri is None:
                return None
            found = parties.get(iri)
            if found is None:
                pid = id_of(iri)
                found = parties[iri] = Party(pid, src.names.get(iri, pid))
            return found

        def purpose(p: str) -> dict[str, Any]:
            found = purposes.get(p)
            if found is None:
                label = (self._purposes.get(p) or {}).get("label") or p
                found = purposes[p] = {"id": p, "label": label, "labels": self.labels("purpose", p, label)}
            return found

        def authority(a: str) -> dict[str, Any]:
            found = authorities.get(a)
            if found is None:
                found = authorities[a] = self._authority(a)
            return found

        def template(a: AgreementFacts) -> tuple[dict[str, Any], dt.date | None, dt.date | None]:
            """What an agreement's entry holds whatever the date, and its first and last days."""
            start, end = _date(a.valid_from), _date(a.valid_until)
            text, days = duration(start, end)
            return {
                "id": a.id, "title": a.title, "provider": party(a.provider), "recipient": party(a.recipient),
                "purposes": [purpose(p) for p in a.purposes],
                "legal_authorities": [authority(x) for x in a.authorities],
                "datasets": [{"id": d, "title": t.get("en") or min(t.values(), default=None)}
                             for d, t in sorted((id_of(d), src.titles.get(d, {})) for d in a.datasets)],
                "valid_from": start.isoformat() if start else None, "valid_until": end.isoformat() if end else None,
                "duration": text, "duration_days": days, "status": a.status, "issued": a.issued,
                "url": f"/agreements/{a.id}"}, start, end

        # an entry is made again only when what it reads changed (the agreement, its parties' names, its
        # datasets' titles: `Parts` drops it then), else taken from the previous computation's
        parts = src.parts or Parts()
        order = parts.order if src.parts else sorted((a.id, iri) for iri, a in src.agreements.items())
        made, dated = parts.made, parts.entries_on(on)
        out = []
        for _aid, iri in order:
            entry = dated.get(iri)
            if entry is None:
                a = src.agreements[iri]
                found = made.get(iri)
                if found is None:
                    found = made[iri] = template(a)
                fields, start, end = found
                ended = end is not None and end < on
                entry = dated[iri] = Entry(
                    **fields, in_force=a.status == "active" and (start is None or start <= on) and not ended,
                    expires_in_days=(end - on).days if end is not None and not ended else None)
            out.append(entry)
        return [e for e in out if self._active(e, on)] if active_only else out

    @staticmethod
    def _active(e: Entry, on: dt.date) -> bool:
        """Whether the register lists the agreement on `on`: active, and not ended."""
        return e.status == "active" and (e.valid_until is None or dt.date.fromisoformat(e.valid_until) >= on)

    def _authority(self, aid: str) -> dict[str, Any]:
        a = self._authorities.get(aid) or {}
        label = a.get("label") or aid
        return {"id": aid, "label": label, "labels": self.labels("authority", aid, label), "citation": a.get("citation"),
                "statute": a.get("statute"), "section": a.get("section"), "source": a.get("source")}

    # ---------------------------------------------------------------- the report
    def report(self, on: dt.date | None = None) -> Report:
        """The register as of `on` (default today): computed once per change of what it reads and date
        (`Register.answer`), as it aggregates every agreement and every declared flow. The answer is shared by
        every caller: treat it as read-only."""
        when = on or dt.date.today()
        return self.registry.register.answer(("transparency", when), lambda: self._report(when))

    def _report(self, on: dt.date, sources: Sources | None = None) -> Report:
        """The register as of `on`, from `sources` (default: the facts the registry keeps)."""
        src = sources or self.sources()
        checkpoint()  # a server warming it up (api/app.py) and shutting down stops here and below
        every = self.entries(on, active_only=False, sources=src)
        entries = [e for e in every if self._active(e, on)]
        checkpoint()
        auth_counts: Counter[str] = Counter()
        pair_counts: Counter[tuple[str, str]] = Counter()
        names: dict[str, str] = {}
        for e in entries:
            for a in e.legal_authorities:
                auth_counts[str(a["id"])] += 1
            if e.provider and e.recipient:
                pair_counts[(e.provider.id, e.recipient.id)] += 1
                names[e.provider.id], names[e.recipient.id] = e.provider.name, e.recipient.name
        by_authority = [{**self._authority(a), "count": n} for a, n in sorted(auth_counts.items(), key=lambda x: (-x[1], x[0]))]
        by_pair = [{"provider": p, "provider_name": names[p], "recipient": r, "recipient_name": names[r], "count": n}
                   for (p, r), n in sorted(pair_counts.items(), key=lambda x: (-x[1], x[0]))]
        expiring = [{"id": e.id, "title": e.title, "valid_until": e.valid_until, "days_left": e.expires_in_days,
                     "provider": e.provider.name if e.provider else None,
                     "recipient": e.recipient.name if e.recipient else None, "url": e.url}
                    for e in entries if e.in_force and e.expires_in_days is not None
                    and e.expires_in_days <= EXPIRY_WINDOW_DAYS]
        expiring.sort(key=lambda x: (x["days_left"], x["id"]))
        unmatched = self.unmatched_flows(on, every, src)
        checkpoint()
        return Report(as_of=on.isoformat(), agreements=entries, by_authority=by_authority, by_pair=by_pair,
                      expiring=expiring, unmatched_flows=unmatched, sankey=self.sankey(entries),
                      disposals=self.disposals(on, src))

    def disposals(self, on: dt.date, sources: Sources | None = None) -> list[dict[str, Any]]:
        """Per recipient institution (by name), its shares disposed of on time, late, and overdue on `on`:
        counts only, never which agreement, dataset, date or attester (`Disposals.counts`, with the
        agreements' terms as the registry keeps them)."""
        src = sources or self.sources()
        ledger_of = Disposals(self.registry)
        terms = src.parts.terms if src.parts else {
            src.id_of(a): Terms(retention, *(None if x is None else src.id_of(x) for x in (provider, recipient)))
            for a, (retention, provider, recipient) in src.terms.items()}
        counts: dict[str, dict[str, int]] = {}
        for s in ledger(ledger_of.shares(terms), ledger_of.disposed(), on):
            recipient = terms[s.share.agreement].recipient
            if s.status != "pending" and recipient is not None:
                counts.setdefault(recipient, {"on_time": 0, "late": 0, "overdue": 0})[s.status] += 1
        out = []
        for rid, n in counts.items():
            name = src.names.get(str(self.iris.record("organization", rid)), rid)
            out.append({"recipient": rid, "recipient_name": name, **n})
        return sorted(out, key=lambda x: (x["recipient_name"], x["recipient"]))

    def sankey(self, entries: list[Entry]) -> dict[str, Any]:
        """Institution -> institution, one link per (provider, recipient, authority), valued by the
        number of agreements (an agreement citing two authorities counts once under each)."""
        nodes: list[dict[str, str]] = []
        index: dict[str, int] = {}
        links: Counter[tuple[int, int, str]] = Counter()
        for e in entries:
            if not (e.provider and e.recipient):
                continue
            for party in (e.provider, e.recipient):
                if party.id not in index:
                    index[party.id] = len(nodes)
                    nodes.append({"id": party.id, "label": party.name})
            for a in e.legal_authorities or [{"id": "none", "label": "no authority cited"}]:
                links[(index[e.provider.id], index[e.recipient.id], str(a["id"]))] += 1
        authority_ids = sorted({k[2] for k in links})

        known: dict[str, dict[str, str]] = {}

        def labels(a: str) -> dict[str, str]:
            found = known.get(a)
            if found is None:
                found = known[a] = dict(NO_AUTHORITY) if a == "none" else self._authority(a)["labels"]
            return found

        return {
            "nodes": nodes,
            "links": [{"source": s, "target": t, "authority": a, "label": labels(a)["en"], "labels": labels(a),
                       "value": n} for (s, t, a), n in sorted(links.items())],
            "authorities": [{"id": a, "label": labels(a)["en"], "labels": labels(a)} for a in authority_ids],
        }

    def unmatched_flows(self, on: dt.date, agreements: list[Entry] | None = None,
                        sources: Sources | None = None) -> list[dict[str, Any]]:
        """Counts per institution pair of declared personal-information flows with no agreement in force
        (see the module's docstring); `agreements`: every agreement (`entries(on, active_only=False)`), read
        when not given. Names and counts only: never which datasets. A flow declared more than once between
        the same institutions from the same source is dated by its earliest date."""
        src = sources or self.sources()
        if not src.flows and not src.first:
            return []
        if src.parts is not None and src.first is src.parts.first:
            return self._unmatched_kept(on, src, src.parts)
        by_pair: dict[tuple[str, str], list[Entry]] = {}
        for a in self.entries(on, active_only=False, sources=src) if agreements is None else agreements:
            if a.provider and a.recipient:
                by_pair.setdefault((a.provider.id, a.recipient.id), []).append(a)
        id_of = src.id_of
        first = src.first
        if first is None:
            first = src.first = first_flows(src.flows, id_of)
        pi = self.registry.register.carries_pi({source for source, _p, _r in first})
        counts: Counter[tuple[str, str]] = Counter()
        names: dict[str, str] = {}
        for (source, provider, recipient), (provider_iri, recipient_iri, date) in first.items():
            if not pi[source]:
                continue
            when = _date(date) or on
            if any(self._covers(a, provider, recipient, source, when) for a in by_pair.get((provider, recipient), [])):
                continue
            counts[(provider, recipient)] += 1
            names[provider] = src.names.get(provider_iri, provider)
            names[recipient] = src.names.get(recipient_iri, recipient)
        return [{"provider": p, "provider_name": names[p], "recipient": r, "recipient_name": names[r], "count": n}
                for (p, r), n in sorted(counts.items(), key=lambda x: (-x[1], x[0]))]

    def _unmatched_kept(self, on: dt.date, src: Sources, parts: Parts) -> list[dict[str, Any]]:
        """`unmatched_flows` from what the last computation on this date counted: only the flows whose
        declarations or agreements changed since are looked at again (every one when whether a source carries
        personal information changed)."""
        first, state = parts.first, parts.unmatched_on(on)
        entries = parts.entries_on(on)
        if len(entries) < len(parts.order):
            self.entries(on, active_only=False, sources=src)
        pi = self.registry.register.carries_pi({source for source, _p, _r in first})
        if state.dirty is None or pi != state.pi:
            state.counted, state.counts, state.iris, state.dirty = set(), Counter(), {}, set(first)
            state.pi = pi
        for key in state.dirty:
            source, provider, recipient = key
            pair = provider, recipient
            was, found = key in state.counted, first.get(key)
            now = found is not None and pi[source] and not any(
                self._covers(entries[a], provider, recipient, source, _date(found[2]) or on)
                for a in parts.pairs.get(pair, ()))
            if now and found is not None:
                state.iris[pair] = found[0], found[1]
            if was != now:
                (state.counted.add if now else state.counted.discard)(key)
                state.counts[pair] += 1 if now else -1
                if not state.counts[pair]:
                    del state.counts[pair], state.iris[pair]
        state.dirty = set()
        out = []
        for (p, r), n in sorted(state.counts.items(), key=lambda x: (-x[1], x[0])):
            provider_iri, recipient_iri = state.iris[(p, r)]
            out.append({"provider": p, "provider_name": src.names.get(provider_iri, p), "recipient": r,
                        "recipient_name": src.names.get(recipient_iri, r), "count": n})
        return out

    @staticmethod
    def _covers(a: Entry, provider: str, recipient: str, dataset: str, when: dt.date) -> bool:
        if a.status != "active" or not a.provider or not a.recipient:
            return False
        if (a.provider.id, a.recipient.id) != (provider, recipient):
            return False
        if dataset not in {d["id"] for d in a.datasets}:
            return False
        start = dt.date.fromisoformat(a.valid_from) if a.valid_from else None
        end = dt.date.fromisoformat(a.valid_until) if a.valid_until else None
        return (start is None or start <= when) and (end is None or when <= end)

    # ---------------------------------------------------------------- other forms
    #: a column per language for the labels of purposes and authorities (the French one falls back to English)
    CSV_FIELDS = ("agreement", "title", "provider_id", "provider", "recipient_id", "recipient", "purposes_en",
                  "purposes_fr", "legal_authorities_en", "legal_authorities_fr", "citations", "datasets",
                  "valid_from", "valid_until", "duration", "status",
                  "in_force", "expires_in_days", "benefits", "url", "recipient_disposals_on_time",
                  "recipient_disposals_late", "recipient_disposals_overdue")

    def csv(self, report: Report, base_url: str = "") -> str:
        """The register as CSV, through the one CSV writer (`csv_answer.table`: formulas neutralised). The
        last columns are the disposal counts of the row's recipient institution (`disposals`)."""
        counts = {d["recipient"]: d for d in report.disposals}

        def disposed(e: Entry) -> list[Any]:
            n = counts.get(e.recipient.id) if e.recipient else None
            return [n[k] if n else 0 for k in ("on_time", "late", "overdue")]

        return csv_answer.table(self.CSV_FIELDS, (
            [
                e.id, e.title or "", e.provider.id if e.provider else "", e.provider.name if e.provider else "",
                e.recipient.id if e.recipient else "", e.recipient.name if e.recipient else "",
                *("; ".join(str(p["labels"].get(lang) or p["label"]) for p in e.purposes) for lang in ("en", "fr")),
                *("; ".join(str(a["labels"].get(lang) or a["label"]) for a in e.legal_authorities)
                  for lang in ("en", "fr")),
                "; ".join(str(a["citation"] or "") for a in e.legal_authorities),
                "; ".join(str(d["title"] or d["id"]) for d in e.datasets),
                e.valid_from or "", e.valid_until or "", e.duration or "", e.status, str(e.in_force).lower(),
                "" if e.expires_in_days is None else e.expires_in_days, e.benefits or "not recorded",
                base_url.rstrip("/") + e.url,
                *disposed(e),
            ]
            for e in report.agreements))

    def graph(self, report: Report) -> Graph:
        """The listed agreements' public graphs, with the names of what they point to (JSON-LD, Turtle)."""
        g = Graph()
        for e in report.agreements:
            for t in self.public.graph(self.iris.public_graph("agreement", e.id)):
                g.add(t)
            for party in (e.provider, e.recipient):
                if party:
                    g.add((self.iris.record("organization", party.id), SKOS.prefLabel, Literal(party.name)))
            for d in e.datasets:  # every language of its title
                ds = self.iris.record("dataset", str(d["id"]))
                for subject, prop, title in self.public.graph(self.iris.public_graph("dataset", str(d["id"]))):
                    if prop == DCTERMS.title and subject == ds:
                        g.add((ds, DCTERMS.title, title))
            for a in e.legal_authorities:
                ai = AUTHORITY[str(a["id"])]
                g.add((ai, RDF.type, REG.LegalAuthority))
                for lang, label in a["labels"].items():
                    g.add((ai, SKOS.prefLabel, Literal(label, lang=lang)))
                if a["citation"]:
                    g.add((ai, REG.citation, Literal(a["citation"])))
                if a["source"]:
                    g.add((ai, DCTERMS.source, URIRef(str(a["source"]))))
            for p in e.purposes:
                for lang, label in p["labels"].items():
                    g.add((PURPOSE[str(p["id"])], SKOS.prefLabel, Literal(label, lang=lang)))
        return g
