"""The retention and disposal ledger of a registry. A share is a recorded share check that let it proceed
(permitted or conditional): its date is the share's, and its AGREEMENT_IN_FORCE reasons name the agreement
each dataset went under. A share under an agreement with a retention period is due for disposal on its date
plus that period (domain/retention.py). Recipients record disposals (restricted records, written through the
SHACL write path with an audit entry); privacy officers list what is overdue; the transparency register
publishes counts per recipient only."""

from __future__ import annotations

import datetime as dt
import json
import secrets
from dataclasses import dataclass
from typing import Any

from rdflib import Graph
from rdflib.term import Node

from registry.domain.model import AGREEMENT
from registry.domain.model.disposal import DISPOSAL, Disposal, DisposalIn
from registry.domain.retention import Disposed, Share, Standing, add_period, ledger
from registry.errors import Forbidden, NotFound, PreconditionFailed, ValidationFailed
from registry.iris import is_slug
from registry.services.auth import Caller
from registry.services.records import etag_matches, validated
from registry.services.registry import Registry
from registry.store import audit


def _date(v: Node | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(v)) if v is not None else None
    except ValueError:
        return None


@dataclass(frozen=True)
class Terms:
    """What the ledger reads of an agreement with a retention period."""

    retention: str
    provider: str | None
    recipient: str | None


class Disposals:
    """Disposals and shares over one registry's store (the full store: callers are checked here)."""

    def __init__(self, registry: Registry) -> None:
        self.registry = registry
        self.store, self.iris, self.res = registry.store, registry.iris, registry.resources
        self.records, self.policy = registry.records, registry.policy

    # ------------------------------------------------------------ records
    def _agreement(self, aid: str) -> dict[str, Any]:
        if not self.records.exists(AGREEMENT, aid):
            raise NotFound(f"no agreement {aid[:100]!r}", kind="agreement", id=aid[:100])
        return self.records.get(AGREEMENT, aid, full=True)

    def _readable(self, aid: str, caller: Caller) -> dict[str, Any]:
        agreement = self._agreement(aid)
        if not self.policy.reads_disposals((agreement.get("provider"), agreement.get("recipient")), caller):
            raise Forbidden("an agreement's disposals are read by privacy officers, admins and the stewards of "
                            "its provider and recipient", agreement=aid)
        return agreement

    def record(self, aid: str, data: Any, caller: Caller, *, if_match: str | None = None) -> tuple[dict[str, Any], str]:
        """Record a disposal under agreement `aid` (the recipient's stewards, privacy officers, admins): the
        shapes check it with the agreement and datasets beside it (422, nothing written), then its graph and
        audit entry are one transaction. `if_match`: the ETag of the agreement as the caller reads it (412
        when it changed since). Returns the disposal and its ETag."""
        # the registry's write lock: a change of the agreement waits, so that If-Match and the shapes judge
        # the agreement the disposal is written against
        with self.store.deferred_sync(), self.records._write_lock:
            agreement = self._agreement(aid)
            if not self.policy.may_record_disposal(agreement.get("recipient"), caller):
                raise Forbidden("a disposal is recorded by a steward of the agreement's recipient, a privacy officer "
                                "or an admin", agreement=aid, recipient=agreement.get("recipient"))
            if if_match is not None:
                tags = self.records.etags(AGREEMENT, aid, full=self.policy.reads_restricted(AGREEMENT, caller)(aid))
                if not any(etag_matches(if_match, tag, weak=False) for tag in tags):
                    raise PreconditionFailed(f"agreement {aid!r} has changed since that ETag")
            sent = validated(DisposalIn, data, "a disposal", "disposal")
            now = dt.datetime.now(dt.UTC)
            did = f"dp-{now:%Y%m%dt%H%M%S}-{secrets.token_hex(4)}"
            rec = Disposal.model_validate({**sent.model_dump(), "id": did, "agreement": aid,
                                           "recipient": agreement.get("recipient"), "recorded_by": caller.agent,
                                           "recorded_on": now.date()})
            rg = DISPOSAL.to_rdf(rec, self.iris)
            violations = [v for v in self.records.check(DISPOSAL, rec, rg) if v.severity == "Violation"]
            if violations:
                raise ValidationFailed(violations)
            triples = list(rg.restricted)
            after = audit.state_hash(triples)
            self.registry.audit.commit({self.iris.restricted_graph(DISPOSAL.name, did): triples}, agent=caller.agent,
                                       action="create", record=rg.iri, kind=DISPOSAL.name, rid=did,
                                       before=audit.EMPTY, after=after)
        return DISPOSAL.from_rdf(rg.restricted, rg.iri, self.iris), after  # type: ignore[arg-type]

    def _read(self, did: str) -> tuple[dict[str, Any], str] | None:
        triples = self.store.graph(self.iris.restricted_graph(DISPOSAL.name, did)) if is_slug(did) else []
        if not triples:
            return None
        g = Graph()
        for t in triples:
            g.add(t)
        return DISPOSAL.from_rdf(g, self.iris.record(DISPOSAL.name, did), self.iris), audit.state_hash(triples)

    def get(self, aid: str, did: str, caller: Caller) -> tuple[dict[str, Any], str]:
        """One disposal of agreement `aid` and its ETag, for those who read the agreement's disposals."""
        self._readable(aid, caller)
        found = self._read(did)
        if found is None or found[0]["agreement"] != aid:
            raise NotFound(f"no disposal {did[:100]!r} under agreement {aid!r}", kind="disposal", id=did[:100])
        return found

    def of_agreement(self, aid: str, caller: Caller) -> list[dict[str, Any]]:
        """The disposals recorded under agreement `aid`, by date of disposal."""
        self._readable(aid, caller)
        rows = self.store.select(self.res.query("disposals"), {"agreement": self.iris.record("agreement", aid)})
        ids = dict.fromkeys(self.iris.id_of(r["disposal"]) for r in rows)
        return [found[0] for did in ids if (found := self._read(did)) is not None]

    # ------------------------------------------------------------ the ledger
    def terms(self) -> dict[str, Terms]:
        """Agreement id -> its retention period and parties, for every agreement that has one."""
        out = {}
        for r in self.store.select(self.res.query("disposal-agreements")):
            out[self.iris.id_of(r["agreement"])] = Terms(
                str(r["retention"]), self.iris.id_of(r["provider"]) if "provider" in r else None,
                self.iris.id_of(r["recipient"]) if "recipient" in r else None)
        return out

    def shares(self, terms: dict[str, Terms]) -> list[Share]:
        """The shares under agreements of `terms`, one per agreement and date (the checks of the same
        share, asked more than once, are one share: their datasets together)."""
        grouped: dict[tuple[str, dt.date], tuple[set[str], set[str]]] = {}
        for row in self.store.select(self.res.query("disposal-shares")):
            when = _date(row.get("date"))
            try:
                answer = json.loads(str(row["answer"]))
            except ValueError:
                continue
            if when is None or not isinstance(answer, dict):
                continue
            basis = {b.get("agreement") for b in answer.get("basis") or [] if isinstance(b, dict)}
            for r in answer.get("reasons") or []:
                if not isinstance(r, dict) or r.get("code") != "AGREEMENT_IN_FORCE":
                    continue
                aid, ds = r.get("agreement"), r.get("dataset")
                if isinstance(aid, str) and aid in basis and aid in terms and isinstance(ds, str):
                    datasets, checks = grouped.setdefault((aid, when), (set(), set()))
                    datasets.add(ds)
                    checks.add(self.iris.id_of(row["check"]))
        return [Share(aid, when, frozenset(ds), add_period(when, terms[aid].retention), tuple(sorted(checks)))
                for (aid, when), (ds, checks) in sorted(grouped.items())]

    def disposed(self) -> list[Disposed]:
        """Every recorded disposal, as the ledger reads it."""
        by: dict[str, tuple[str, dt.date, set[str]]] = {}
        for r in self.store.select(self.res.query("disposals")):
            when = _date(r.get("date"))
            if when is None:
                continue
            entry = by.setdefault(str(r["disposal"]), (self.iris.id_of(r["agreement"]), when, set()))
            if "dataset" in r:
                entry[2].add(self.iris.id_of(r["dataset"]))
        return [Disposed(a, when, frozenset(ds)) for a, when, ds in by.values()]

    def standings(self, as_of: dt.date) -> tuple[list[Standing], dict[str, Terms]]:
        """Where every share dated on or before `as_of` stands on that date, and the agreements' terms."""
        terms = self.terms()
        return ledger(self.shares(terms), self.disposed(), as_of), terms

    def overdue(self, as_of: dt.date, limit: int = 50, offset: int = 0) -> dict[str, Any]:
        """The shares overdue on `as_of` (due before it, a dataset not disposed of on or before it), most
        overdue first, a page of them; beside them the shares disposed of late (after their due date)."""
        standings, terms = self.standings(as_of)

        def pick(status: str) -> list[Standing]:
            return sorted((s for s in standings if s.status == status),
                          key=lambda s: (-(s.days or 0), s.share.agreement, s.share.date))

        def item(s: Standing) -> dict[str, Any]:
            t = terms[s.share.agreement]
            out: dict[str, Any] = {
                "agreement": s.share.agreement, "provider": t.provider, "recipient": t.recipient,
                "datasets": list(s.outstanding) if s.status == "overdue" else sorted(s.share.datasets),
                "share_date": s.share.date.isoformat(), "retention": t.retention,
                "due_date": s.share.due.isoformat() if s.share.due else None,
            }
            if s.status == "overdue":
                out["days_overdue"] = s.days
            else:
                out["disposed_on"] = s.disposed_on.isoformat() if s.disposed_on else None
                out["days_late"] = s.days
            out["checks"] = list(s.share.checks)
            return out

        overdue, late = pick("overdue"), pick("late")
        return {"as_of": as_of.isoformat(), "items": [item(s) for s in overdue[offset:offset + limit]],
                "total": len(overdue), "limit": limit, "offset": offset,
                "late": {"items": [item(s) for s in late[offset:offset + limit]], "total": len(late)}}

    def counts(self, as_of: dt.date) -> dict[str, dict[str, int]]:
        """Recipient id -> how many of the shares it received were disposed of on time, late, or are
        overdue on `as_of`: counts only, for the public register."""
        standings, terms = self.standings(as_of)
        out: dict[str, dict[str, int]] = {}
        for s in standings:
            recipient = terms[s.share.agreement].recipient
            if s.status == "pending" or recipient is None:
                continue
            out.setdefault(recipient, {"on_time": 0, "late": 0, "overdue": 0})[s.status] += 1
        return out
