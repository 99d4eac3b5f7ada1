"""Share checks as records: every answer of the legal-basis engine is stored, with who asked and when."""

from __future__ import annotations

import datetime as dt
import json
import secrets
from typing import Any

from pydantic import ValidationError
from rdflib import Literal

from registry import audit
from registry.auth import Caller
from registry.errors import BadInput, NotFound, ValidationFailed
from registry.history import lineage_as_of
from registry.legal import LegalEngine, ShareProposal
from registry.model.common import SLUG_RE, Iris, code_iri
from registry.namespaces import DCTERMS, PROV, PURPOSE, RDF, REG, XSD
from registry.records import Page, pydantic_violations
from registry.resources import Resources
from registry.store.base import Store, Triple


class ShareChecks:
    def __init__(self, store: Store, iris: Iris, resources: Resources, engine: LegalEngine,
                 audit_log: audit.AuditLog) -> None:
        self.store, self.iris, self.res, self.engine = store, iris, resources, engine
        self.audit = audit_log

    def parse(self, data: Any) -> ShareProposal:
        if not isinstance(data, dict):
            raise BadInput("a share proposal is a JSON object")
        try:
            return ShareProposal.model_validate(data)
        except ValidationError as e:
            raise ValidationFailed(pydantic_violations(e, "proposal")) from None

    def run(self, data: Any, caller: Caller, *, record: bool = True) -> dict[str, Any]:
        proposal = self.parse(data)
        now = dt.datetime.now(dt.UTC).replace(microsecond=0)
        engine = self.engine
        if proposal.as_of is not None:
            when = proposal.as_of if proposal.as_of.tzinfo else proposal.as_of.replace(tzinfo=dt.UTC)
            view, lineage = lineage_as_of(self.store, self.iris, self.res, when)
            engine = LegalEngine(view, self.iris, self.res, lineage)
        answer = engine.check(proposal, today=now.date())
        check_id = f"sc-{now.strftime('%Y%m%dt%H%M%S')}-{secrets.token_hex(4)}"
        asked = proposal.model_dump(mode="json")
        asked["date"] = asked["date"] or now.date().isoformat()
        body = {"id": check_id, **answer.as_json(), "proposal": asked, "requested_by": caller.agent,
                "requested_at": now.isoformat()}
        if record:
            self._store(check_id, proposal, body, caller, now)
        return body

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
        seq = self.audit.commit({self._graph(check_id): t}, agent=caller.agent, action="check", record=s,
                                kind="share-check", rid=check_id, before=audit.EMPTY, after=audit.state_hash(t))
        self.engine.lineage.advance(seq)  # a check changes no lineage: the index need not look

    def get(self, check_id: str) -> dict[str, Any]:
        if not SLUG_RE.match(check_id):
            raise NotFound(f"no share check {check_id[:100]!r}")
        for _s, p, o in self.store.graph(self._graph(check_id)):
            if p == REG.answer:
                return dict(json.loads(str(o)))
        raise NotFound(f"no share check {check_id!r}", id=check_id)

    def list(self, limit: int = 50, offset: int = 0) -> Page:
        total = int(self.store.select(self.res.query("share-checks-count"))[0]["n"])  # type: ignore[arg-type]
        rows = self.store.select(self.res.query("share-checks-list") + f"\nLIMIT {int(limit)} OFFSET {int(offset)}")
        return Page(items=[json.loads(str(r["answer"])) for r in rows], total=total, limit=limit, offset=offset)
