"""The legal-basis engine: gathers the facts a share check needs (the records in the store, the
effective personal information through lineage, the authority catalogue and the purpose vocabulary)
and asks the rules in `domain.legal` for the answer."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Mapping, Sequence
from typing import Protocol

from rdflib.term import Literal, Node

from registry.domain.legal import (
    AgreementFacts,
    Answer,
    AuthorityFacts,
    DatasetFacts,
    OrgFacts,
    Purposes,
    Reference,
    Requirements,
    ShareProposal,
    decide,
    needing_agreement,
    uncovered,
)
from registry.domain.model.agreement import FINDINGS
from registry.domain.model.common import code_of
from registry.domain.model.dataset import ACCESS_BY_IRI
from registry.errors import ValidationFailed, Violation
from registry.iris import Iris
from registry.namespaces import AGREEMENT_STATUS, AUTHORITY, DCTERMS, ODRL2, ORG_KIND, PD_CATEGORY, PURPOSE, REG, STATUTE
from registry.resources import Resources
from registry.services.reference import (
    authorities,
    carried_information,
    finding_descriptions,
    information_kinds,
    purposes,
)
from registry.store.base import Row, Store, inline_rows
from registry.store.terms import nt

__all__ = ["LegalEngine", "ShareProposal", "reference"]  # ShareProposal: the engine's input, for its callers

@functools.cache
def reference(res: Resources) -> Reference:
    """The authority catalogue and the purpose vocabulary as the facts the rules read."""
    catalogue: dict[str, AuthorityFacts] = {}
    for a in authorities(res):
        req = a["requirements"]
        catalogue.setdefault(a["id"], AuthorityFacts(
            id=a["id"], label=a["label"], statute=a["statute"], section=a["section"], citation=a["citation"],
            source=a["source"], requirements=Requirements(
                purposes=tuple(req["purposes"]), recipient_kinds=tuple(req["recipient_kinds"]),
                provider_kinds=tuple(req["provider_kinds"]),
                designation=req["designation"], same_institution=req["same_institution"],
                deidentification=req["deidentification"], consent=req["consent"],
                ethics_approval=req["ethics_approval"],
                prohibits_onward_disclosure=req["prohibits_onward_disclosure"], finding=req["finding"],
                published_notice=req["published_notice"], notify_individual=req["notify_individual"],
                confines_identifiable_data=req["confines_identifiable_data"]),
            under_statute=a["under_statute"], applies_to=tuple(a["applies_to"])))
    vocabulary = purposes(res)
    return Reference(catalogue, Purposes(labels={p["id"]: p["label"] or p["id"] for p in vocabulary},
                                         broader={p["id"]: p["broader"] for p in vocabulary}),
                     information=information_kinds(res), findings=finding_descriptions(res))


def _date(v: Node | None) -> dt.date | None:
    if v is None:
        return None
    try:
        return dt.date.fromisoformat(str(v))
    except ValueError:
        return None


def _bool(v: Node | None) -> bool | None:
    if v is None:
        return None
    py = v.toPython() if isinstance(v, Literal) else v
    return py if isinstance(py, bool) else str(v) == "true"


class PersonalInformation(Protocol):
    """Where the engine reads whether a dataset holds personal information through its lineage: the
    lineage index now, or the lineage as it stood at a moment (domain.lineage.LineageAt)."""

    def effective_pi(self, d: str) -> tuple[bool, list[str] | None]: ...


class LegalEngine:
    """Answers share proposals from the records in a store and the authority catalogue.

    The ids of the other agreements between the parties are asked of the store only when the rules
    say (`uncovered`) that no agreement covers a dataset: the one case whose answer names them."""

    def __init__(self, store: Store, iris: Iris, resources: Resources, lineage: PersonalInformation) -> None:
        self.store, self.iris, self.res = store, iris, resources
        self.lineage = lineage
        self.ref = reference(resources)

    # ------------------------------------------------------------------ facts
    def _datasets(self, rids: Sequence[str]) -> dict[str, DatasetFacts]:
        """The facts of those of `rids` the store holds, by id: one query for all of them, and one more for
        the categories of personal information of those that carry it (a query costs about the same for one
        dataset as for several)."""
        if not rids:
            return {}
        iris = {rid: self.iris.record("dataset", rid) for rid in rids}
        first: dict[Node, Row] = {}
        for row in self.store.select(inline_rows(self.res.query("dataset-facts"), ["dataset"],
                                                 [[iri] for iri in iris.values()], nt)):
            first.setdefault(row["dataset"], row)  # its English or untagged title first
        found = {rid: first[iri] for rid, iri in iris.items() if iri in first}
        lineage = {rid: self.lineage.effective_pi(rid) for rid in found}
        pi = {rid: _bool(row.get("pi")) is True or lineage[rid][0] for rid, row in found.items()}
        information = self._information({rid: [rid, *(lineage[rid][1] or [])] for rid in found if pi[rid]})
        out = {}
        for rid, row in found.items():
            publisher = row.get("publisher")
            access = row.get("access")
            out[rid] = DatasetFacts(
                id=rid,
                title=str(row.get("title", rid)),
                publisher=self.iris.id_of(publisher) if publisher is not None else None,
                access=ACCESS_BY_IRI.get(str(access)) if access is not None else None,
                declared_pi=_bool(row.get("pi")) is True,
                effective_pi=pi[rid],
                inherited_from=lineage[rid][1],
                information=information.get(rid, frozenset()),
            )
        return out

    def _information(self, sources: Mapping[str, Sequence[str]]) -> dict[str, frozenset[str]]:
        """The kinds of regulated information each dataset with personal information carries (by id, with
        the datasets it is, then those it inherits personal information from): personal information, and
        whatever the categories of those datasets indicate. One query for all of them."""
        if not sources:
            return {}
        wanted = dict.fromkeys(d for ds in sources.values() for d in ds)
        categories: dict[str, set[str]] = {}
        for r in self.store.select(inline_rows(self.res.query("datasets-categories"), ["dataset"],
                                               [[self.iris.record("dataset", d)] for d in wanted], nt)):
            categories.setdefault(self.iris.id_of(r["dataset"]), set()).add(code_of(PD_CATEGORY, r["category"]))
        return {rid: carried_information(self.res, sorted(set().union(*(categories.get(d, set()) for d in ds))))
                for rid, ds in sources.items()}

    def _orgs(self, rids: Sequence[str]) -> dict[str, OrgFacts]:
        """The facts of those of `rids` the store holds, by id, in one query."""
        iris = {rid: self.iris.record("organization", rid) for rid in rids}
        rows_of: dict[Node, list[Row]] = {}
        for r in self.store.select(inline_rows(self.res.query("organizations-facts"), ["org"],
                                               [[iri] for iri in iris.values()], nt)):
            rows_of.setdefault(r["org"], []).append(r)
        out = {}
        for rid, iri in iris.items():
            rows = rows_of.get(iri)
            if not rows:
                continue
            out[rid] = OrgFacts(
                id=rid,
                name=next((str(r["name"]) for r in rows if "name" in r), rid),
                kind=next((code_of(ORG_KIND, r["kind"]) for r in rows if "kind" in r), None),
                designations={code_of(AUTHORITY, r["designation"]) for r in rows if "designation" in r},
                ancestors={self.iris.id_of(r["ancestor"]) for r in rows if "ancestor" in r},
                stated_statutes=frozenset(code_of(STATUTE, r["statute"]) for r in rows if "statute" in r) or None,
            )
        return out

    def _agreements(self, provider: str, recipient: str, datasets: list[str]) -> list[AgreementFacts]:
        """The agreements from provider to recipient that cover at least one of `datasets`."""
        if not datasets:
            return []
        parties = [self.iris.record("organization", provider), self.iris.record("organization", recipient)]
        rows = self.store.select(inline_rows(self.res.query("agreements-between"), ["provider", "recipient", "dataset"],
                                             [[*parties, self.iris.record("dataset", d)] for d in datasets], nt))
        by: dict[Node, dict[Node, list[Node]]] = {}
        for r in rows:
            by.setdefault(r["agreement"], {}).setdefault(r["p"], []).append(r["o"])
        out = []
        for a, props in by.items():
            def first(p: Node, props: dict[Node, list[Node]] = props) -> Node | None:
                v = props.get(p)
                return v[0] if v else None

            status = first(REG.status)
            out.append(AgreementFacts(
                id=str(first(DCTERMS.identifier) or self.iris.id_of(a)),
                title=str(first(DCTERMS.title) or ""),
                status=code_of(AGREEMENT_STATUS, status) if status is not None else None,
                valid_from=_date(first(REG.validFrom)),
                valid_until=_date(first(REG.validUntil)),
                datasets={self.iris.id_of(d) for d in props.get(ODRL2.target, [])},
                purposes={code_of(PURPOSE, p) for p in props.get(REG.purpose, [])},
                authorities=sorted(code_of(AUTHORITY, x) for x in props.get(REG.legalBasis, [])),
                deidentify=_bool(first(REG.deidentifyBeforeUse)),
                onward=_bool(first(REG.onwardDisclosure)),
                retention=str(first(REG.retentionPeriod)) if first(REG.retentionPeriod) is not None else None,
                retired=first(REG.retired) is not None,
                notice_published=_date(first(REG.noticePublished)),
                findings={name: str(v) for p, name in FINDINGS.items() if (v := first(p)) is not None},
            ))
        return sorted(out, key=lambda a: a.id)

    # ------------------------------------------------------------------ check
    def check(self, proposal: ShareProposal, today: dt.date | None = None) -> Answer:
        on = proposal.date or today or dt.date.today()
        unknown: list[Violation] = []
        orgs = self._orgs([proposal.provider, proposal.recipient])
        provider = orgs.get(proposal.provider)
        recipient = orgs.get(proposal.recipient)
        for field_name, org, rid in (("provider", provider, proposal.provider),
                                     ("recipient", recipient, proposal.recipient)):
            if org is None:
                unknown.append(Violation(focus_node="proposal", path=None, field=field_name,
                                         message=f"no organisation {rid!r} is registered", value=rid))
        if proposal.purpose not in self.ref.purposes.labels:
            unknown.append(Violation(focus_node="proposal", path=None, field="purpose",
                                     message=f"{proposal.purpose!r} is not in the purpose vocabulary (GET /purposes)",
                                     value=proposal.purpose))
        facts = self._datasets(proposal.datasets)
        datasets = []
        for rid in proposal.datasets:
            if rid not in facts:
                unknown.append(Violation(focus_node="proposal", path=None, field="datasets",
                                         message=f"no dataset {rid!r} is registered", value=rid))
            else:
                datasets.append(facts[rid])
        if unknown:
            raise ValidationFailed(unknown, "The proposal names records the registry does not hold.")
        assert provider is not None and recipient is not None
        agreements = self._agreements(proposal.provider, proposal.recipient,
                                      [d.id for d in needing_agreement(datasets)])
        between = (self._agreement_ids(proposal.provider, proposal.recipient)
                   if uncovered(datasets, agreements) else None)
        return decide(proposal, on, provider, recipient, datasets, agreements, self.ref, between)

    def _agreement_ids(self, provider: str, recipient: str) -> list[str]:
        """The first few (11) ids of the agreements from provider to recipient, not retired; the search
        starts from the party with fewer agreements."""
        sides = [(ODRL2.assigner, self.iris.record("organization", provider)),
                 (ODRL2.assignee, self.iris.record("organization", recipient))]
        counts = {r["side"]: int(str(r["n"])) for r in self.store.select(
            inline_rows(self.res.query("agreements-per-party"), ["side", "party"], [list(s) for s in sides], nt))}
        if not counts.get(ODRL2.assigner) or not counts.get(ODRL2.assignee):
            return []  # a party with no agreements at all
        if counts[ODRL2.assignee] < counts[ODRL2.assigner]:
            sides.reverse()
        (first, first_party), (second, second_party) = sides
        rows = self.store.select(self.res.query("agreements-between-ids"), {
            "first": first, "firstParty": first_party, "second": second, "secondParty": second_party})
        return [str(r["id"]) for r in rows]
