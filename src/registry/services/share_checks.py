"""Share checks as records: every answer of the legal-basis engine is stored, with who asked and when."""

from __future__ import annotations

import datetime as dt
import json
import secrets
from collections.abc import Callable
from typing import Any

from rdflib import Literal

from registry.domain.legal import QUOTES, Answer, ShareProposal
from registry.domain.model import KINDS
from registry.domain.model.common import code_iri
from registry.errors import NotFound
from registry.iris import Iris, is_slug
from registry.namespaces import DCTERMS, PROV, PURPOSE, RDF, REG, XSD
from registry.projections.lineage import moment
from registry.resources import Resources
from registry.services.auth import Caller
from registry.services.legal import LegalEngine
from registry.services.records import Page, Records, validated
from registry.services.share_check_as_of import share_view
from registry.store import audit
from registry.store.base import Store, Triple

#: whether the caller reads the restricted fields of one record: (kind, id) -> bool
Sees = Callable[[str, str], bool]
#: what a caller who cannot read a record's restricted fields still gets of an item that quotes them
KEPT = ("code", "dataset", "agreement", "remedy")
#: of each dataset of the answer (the rest, the personal-information flag and path, are restricted)
KEPT_DATASET = ("id", "title", "access")
QUOTED = {"dataset": "the personal-information status or lineage of dataset",
          "agreement": "the terms (de-identification, onward disclosure, retention) of agreement"}


def withhold(answer: dict[str, Any], sees: Sees) -> dict[str, Any]:
    """A share check's answer as a caller sees it who reads the restricted fields of only the records
    `sees` allows (the rule of the records themselves: `Policy.reads_restricted`). The decision, every
    reason and condition code, the ids, remedies and basis stay; a dataset whose restricted fields the
    caller cannot read loses its personal-information flag and path, and a reason or condition whose
    message quotes restricted fields (by its code: `legal.QUOTES`) of a record the caller cannot read
    keeps only its code, ids and remedy, with `"withheld": true` and a message that says why. An answer
    the caller reads whole comes back unchanged."""
    datasets = [str(d.get("id")) for d in answer.get("datasets", [])]

    def hidden(item: dict[str, Any]) -> list[str]:
        """What of `item` the caller may not read, as words for the message."""
        out = []
        for kind in sorted(QUOTES.get(item["code"], frozenset(QUOTED))):
            ids = [item[kind]] if item.get(kind) else datasets if kind == "dataset" else [""]
            unread = [i for i in ids if not sees(kind, i)]
            if unread:
                out.append(f"{QUOTED[kind]} {', '.join(repr(i) for i in unread) or '(not named)'}")
        return out

    def items(part: str) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for item in answer.get(part, []):
            why = hidden(item)
            if why:
                item = {**{k: item[k] for k in KEPT if k in item}, "withheld": True,
                        "message": f"withheld: it quotes {' and '.join(why)}, which only stewards of the "
                                   "owning organisation, privacy officers and admins read"}
                if item in out:  # variants that differ only in what is withheld are one
                    continue
            out.append(item)
        return out

    out = dict(answer)
    for part in ("reasons", "conditions"):
        if part in answer:
            out[part] = items(part)
    if "datasets" in answer:
        out["datasets"] = [d if sees("dataset", str(d.get("id"))) else
                           {**{k: d[k] for k in KEPT_DATASET if k in d}, "withheld": True}
                           for d in answer["datasets"]]
    return out


class ShareChecks:
    def __init__(self, store: Store, iris: Iris, resources: Resources, engine: LegalEngine,
                 audit_log: audit.AuditLog, records: Records) -> None:
        self.store, self.iris, self.res, self.engine = store, iris, resources, engine
        self.audit = audit_log
        self.records = records

    def for_caller(self, answer: dict[str, Any], caller: Caller) -> dict[str, Any]:
        """The one way out of every answer: what `caller` may read of it (`withhold`), by the rule that
        decides whose restricted fields a caller reads on the records themselves."""
        rules = {kind: self.records.policy.reads_restricted(KINDS[kind], caller) for kind in QUOTED}
        seen: dict[tuple[str, str], bool] = {}

        def sees(kind: str, rid: str) -> bool:
            if (kind, rid) not in seen:
                seen[kind, rid] = rules[kind](rid)
            return seen[kind, rid]

        return withhold(answer, sees)

    def parse(self, data: Any) -> ShareProposal:
        return validated(ShareProposal, data, "a share proposal", "proposal")

    def run(self, data: Any, caller: Caller, *, record: bool = True) -> dict[str, Any]:
        proposal = self.parse(data)
        now = dt.datetime.now(dt.UTC).replace(microsecond=0)
        answer = self.answer(proposal, now.date())
        check_id = f"sc-{now.strftime('%Y%m%dt%H%M%S')}-{secrets.token_hex(4)}"
        asked = proposal.model_dump(mode="json")
        asked["date"] = asked["date"] or now.date().isoformat()
        body = {"id": check_id, **answer.as_json(), "proposal": asked, "requested_by": caller.agent,
                "requested_at": now.isoformat()}
        if record:
            self._store(check_id, proposal, body, caller, now)
        return self.for_caller(body, caller)

    def answer(self, proposal: ShareProposal, today: dt.date) -> Answer:
        """The engine's answer from the records as they are now or, with the proposal's `as_of`, as they
        stood then: the same rules over the facts of those of the records it reads (share_check_as_of.py)."""
        if proposal.as_of is None:
            return self.engine.check(proposal, today=today)
        with self.records.lineage.at(moment(proposal.as_of)) as then:
            view = share_view(self.store, self.iris, self.res, proposal, then)
            return LegalEngine(view, self.iris, self.res, then).check(proposal, today=today)

    def _graph(self, check_id: str) -> str:
        return self.iris.restricted_graph("share-check", check_id)

    def _store(self, check_id: str, proposal: ShareProposal, body: dict[str, Any], caller: Caller,
               now: dt.datetime) -> None:
        s = self.iris.record("share-check", check_id)
        t: list[Triple] = [
            (s, RDF.type, REG.ShareCheck),
            (s, RDF.type, PROV.Activity),
            (s, DCTERMS.identifier, Literal(check_id)),
            (s, REG.decision, Literal(body["decision"])),
            (s, REG.provider, self.iris.record("organization", proposal.provider)),
            (s, REG.recipient, self.iris.record("organization", proposal.recipient)),
            (s, REG.purpose, code_iri(PURPOSE, proposal.purpose)),
            (s, REG.checkDate, Literal(body["proposal"]["date"], datatype=XSD.date)),
            (s, REG.deidentified, Literal(proposal.deidentified)),
            (s, REG.onwardDisclosure, Literal(proposal.onward_disclosure)),
            (s, REG.requestedBy, Literal(caller.agent)),
            (s, REG.requestedAt, Literal(now.isoformat(), datatype=XSD.dateTime)),
            (s, REG.proposal, Literal(json.dumps(body["proposal"], sort_keys=True))),
            (s, REG.answer, Literal(json.dumps(body, sort_keys=True))),
        ]
        t += [(s, REG.dataset, self.iris.record("dataset", d)) for d in proposal.datasets]
        self.audit.commit({self._graph(check_id): t}, agent=caller.agent, action="check", record=s,
                          kind="share-check", rid=check_id, before=audit.EMPTY, after=audit.state_hash(t))

    def get(self, check_id: str, caller: Caller | None = None) -> dict[str, Any]:
        """A recorded check, as `caller` may read it (`for_caller`; None: whole, for the command line)."""
        if not is_slug(check_id):
            raise NotFound(f"no share check {check_id[:100]!r}")
        for _s, p, o in self.store.graph(self._graph(check_id)):
            if p == REG.answer:
                body = dict(json.loads(str(o)))
                return body if caller is None else self.for_caller(body, caller)
        raise NotFound(f"no share check {check_id!r}", id=check_id)

    def list(self, limit: int = 50, offset: int = 0, caller: Caller | None = None) -> Page:
        """Recorded checks, newest first, as `caller` may read them (None: whole)."""
        total = int(str(self.store.select(self.res.query("share-checks-count"))[0]["n"]))
        rows = self.store.select(self.res.query("share-checks-list") + f"\nLIMIT {int(limit)} OFFSET {int(offset)}")
        items = [json.loads(str(r["answer"])) for r in rows]
        if caller is not None:
            items = [self.for_caller(i, caller) for i in items]
        return Page(items=items, total=total, limit=limit, offset=offset)
