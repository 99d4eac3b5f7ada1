"""The record service: read, list, write and retire organisations, datasets and agreements.

Write path: parse -> build the record graphs -> SHACL with the graphs the record references ->
lineage cycle check -> one transaction replacing the record's graphs and appending the audit entry.
"""

from __future__ import annotations

import builtins
import datetime as dt
import hashlib
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, TypeVar

from pydantic import ValidationError
from rdflib import Graph, Literal, URIRef

from registry.domain.model import KINDS, RecordKind
from registry.domain.model.common import Input, RecordGraphs, Triples
from registry.errors import (
    BadInput,
    Conflict,
    NotFound,
    PreconditionFailed,
    ValidationFailed,
    Violation,
)
from registry.iris import Iris, is_slug
from registry.namespaces import DCTERMS, RDF, REG, XSD
from registry.projections.catalog_index import Behind, CatalogIndex, record_doc
from registry.projections.lineage import LineageIndex
from registry.resources import Resources
from registry.services.auth import Caller
from registry.services.policy import Policy
from registry.shacl.validator import ShaclValidator
from registry.store import audit
from registry.store.base import Store, Triple

InputT = TypeVar("InputT", bound=Input)

#: fields that GET adds and a client may send back unchanged in a PUT; they are derived, never written
READ_ONLY = ("retired", "effective_personal_information", "personal_information_path", "warnings")


@dataclass
class WriteResult:
    id: str
    etag: str
    created: bool
    warnings: list[Violation] = field(default_factory=list)
    #: makes `record` (the API answers with the record read back from the store, so it rarely asks)
    made: Callable[[], dict[str, Any]] = field(default=dict, repr=False)

    @cached_property
    def record(self) -> dict[str, Any]:
        """The record as written, in its JSON form (made on first use)."""
        return self.made()


@dataclass
class Page:
    items: list[dict[str, Any]]
    total: int
    limit: int
    offset: int


#: the start of a public-view ETag: a full-view ETag is a bare state hash, so the two never coincide
PUBLIC_ETAG = "public-"


def view_etag(public: list[Triple], restricted: list[Triple], *, full: bool) -> str:
    """The ETag of what a caller sees of a record. A caller who reads the restricted part gets the hash
    of the whole state (what the audit log records and `If-Match` is checked against); any other caller
    a labelled hash of the public graph alone, never a function of restricted data: an ETag must not let
    anyone confirm guesses of fields they may not read."""
    if full:
        return audit.state_hash(public + restricted)
    return PUBLIC_ETAG + audit.state_hash(public)


#: the start of the ETag of a record's public form in JSON: a hash of the form's bytes as the catalogue index
#: keeps them (the body is made from them), never equal to a full-view tag or to the public graph's
PUBLIC_JSON_ETAG = "public-json-"


def json_etag(doc: str) -> str:
    """The ETag of a record's public JSON form, from its `doc` (projections/catalog_index.py `record_doc`):
    it changes when, and only when, that form does, and the form holds nothing restricted."""
    return PUBLIC_JSON_ETAG + hashlib.sha256(doc.encode("utf-8")).hexdigest()


def etag_matches(header: str, current: str | None, *, weak: bool) -> bool:
    """Whether an `If-Match` (`weak=False`: strong comparison, a W/ tag never matches) or `If-None-Match`
    (`weak=True`) header names `current`, the ETag of the caller's view (None: no such record). `*`
    matches any existing record; a list matches if one of its tags does."""
    if current is None:
        return False
    for item in header.split(","):
        tag = item.strip()
        if tag == "*":
            return True
        if tag.startswith("W/"):
            if not weak:
                continue
            tag = tag[2:]
        if tag.strip('"') == current:
            return True
    return False


def pydantic_violations(err: ValidationError, focus: str) -> list[Violation]:
    out = []
    for e in err.errors():
        loc = ".".join(str(x) for x in e["loc"])
        msg = e["msg"]
        if e["type"] == "extra_forbidden":
            msg = "unknown field"
        elif e["type"] == "value_error":
            msg = str(e["msg"]).removeprefix("Value error, ")
        elif e["type"] == "string_pattern_mismatch":
            msg = "must be a lower-case id: letters, digits, dots and hyphens"
        out.append(Violation(focus_node=focus, path=None, field=loc or None, message=msg,
                             value=None if isinstance(e.get("input"), dict | list) else _short(e.get("input"))))
    return out


def validated(model: type[InputT], data: Any, what: str, focus: str) -> InputT:
    """A request's JSON as the input model `model`: BadInput unless it is an object (`what` names it),
    ValidationFailed with a violation naming each field pydantic refuses (focus node `focus`)."""
    if not isinstance(data, dict):
        raise BadInput(f"{what} is a JSON object")
    try:
        return model.model_validate(data)
    except ValidationError as e:
        raise ValidationFailed(pydantic_violations(e, focus)) from None


def _short(v: Any) -> str | None:
    if v is None:
        return None
    s = str(v)
    return s if len(s) <= 200 else s[:200] + "..."


class Records:
    """Reads and writes records in one store."""

    def __init__(self, store: Store, iris: Iris, resources: Resources, validator: ShaclValidator,
                 audit_log: audit.AuditLog, lineage: LineageIndex, index: CatalogIndex, policy: Policy) -> None:
        self.store, self.iris, self.res, self.validator = store, iris, resources, validator
        self.policy = policy
        self.audit = audit_log
        self.lineage, self.index = lineage, index  # projections: a commit reaches them through the audit log
        self._write_lock = threading.Lock()

    # ------------------------------------------------------------- reading
    def kind(self, name: str) -> RecordKind:
        return KINDS[name]

    def exists(self, kind: RecordKind, rid: str) -> bool:
        if not is_slug(rid):  # an id that could never be registered (and no valid IRI)
            return False
        return self.store.has_graph(self.iris.public_graph(kind.name, rid))

    def state(self, kind: RecordKind, rid: str, *, full: bool = True) -> list[Triple]:
        pub, res = self.iris.graphs(kind.name, rid)
        triples = self.store.graph(pub)
        if full:
            triples += self.store.graph(res)
        return triples

    def etag(self, kind: RecordKind, rid: str, *, full: bool = True) -> str:
        """The record's ETag as its JSON read (`read`) gives it to a caller who sees the whole record (`full`) or
        its public form only: what an If-Match of that caller names."""
        return self.graph_etag(kind, rid, full=True) if full else self.read(kind, rid, full=False)[1]

    def etags(self, kind: RecordKind, rid: str, *, full: bool) -> tuple[str, ...]:
        """Every ETag a caller who sees the whole record (`full`) or its public part only is given for it: the
        JSON read's (`etag`) and, for the public part, its RDF forms' (`graph_etag`), which differ. What an
        If-Match of that caller may name, whichever form it read."""
        return (self.etag(kind, rid, full=True),) if full else (self.etag(kind, rid, full=False),
                                                                  self.graph_etag(kind, rid, full=False))

    def graph_etag(self, kind: RecordKind, rid: str, *, full: bool) -> str:
        """The ETag of the record's graph for a caller who sees the whole record (`full`: the same as `etag`)
        or its public graph only (its RDF forms)."""
        pub, res = self.iris.graphs(kind.name, rid)
        return view_etag(self.store.graph(pub), self.store.graph(res) if full else [], full=full)

    def graph(self, kind: RecordKind, rid: str, *, full: bool) -> Graph:
        triples = self.state(kind, rid, full=full)
        if not triples:
            raise NotFound(f"no {kind.name} {rid!r}", kind=kind.name, id=rid)
        g = Graph()
        for t in triples:
            g.add(t)
        return g

    def get(self, kind: RecordKind, rid: str, *, full: bool | Callable[[str], bool]) -> dict[str, Any]:
        """One record as JSON; `full` (or `full(rid)`, see `Policy.reads_restricted`) adds its restricted fields.
        Without them it is the public form the catalogue index holds (`read`)."""
        return self.read(kind, rid, full=full, etag=False)[0]

    def read(self, kind: RecordKind, rid: str, *, full: bool | Callable[[str], bool],
             etag: bool = True, wait: bool = True) -> tuple[dict[str, Any], str]:
        """One record as JSON and its ETag ("" unless `etag`). The whole record (`full`) from one read of the
        store, its tag `view_etag` of the whole; its public form as the catalogue index makes and keeps it
        (`public_doc`), its tag `json_etag` of the form's bytes."""
        if callable(full):
            full = full(rid)
        if not full:
            doc = self.public_doc(kind, rid, wait=wait)
            if doc is None:
                raise NotFound(f"no {kind.name} {rid!r}", kind=kind.name, id=rid)
            return json.loads(doc), (json_etag(doc) if etag else "")
        pub, res = self.iris.graphs(kind.name, rid)
        public = self.store.graph(pub) if is_slug(rid) else []
        if not public:
            raise NotFound(f"no {kind.name} {rid!r}", kind=kind.name, id=rid)
        restricted = self.store.graph(res)
        tag = view_etag(public, restricted, full=True) if etag else ""
        out = kind.from_rdf(Triples(public + restricted), self.iris.record(kind.name, rid), self.iris)  # type: ignore[arg-type]
        if kind.in_lineage:
            effective, path = self.lineage.effective_pi(rid)
            out["effective_personal_information"] = effective
            out["personal_information_path"] = path
        return out, tag

    def public_doc(self, kind: RecordKind, rid: str, *, wait: bool = True) -> str | None:
        """A record's public form as the catalogue index keeps it (`record_doc`), None when there is no such
        record: read from the index's last committed state when that is the audit log's head, never waiting
        for the index (a search, an entry or a rebuild may hold it: minutes at a million records); else made
        from the store's public graph now as the index makes it, the same bytes (unless `wait`: Behind, for a
        lookup on the event loop, which then takes the thread pool)."""
        if not is_slug(rid):
            return None
        try:
            return self.index.doc(kind.name, rid)
        except Behind:
            if not wait:
                raise
        form = self.index.public_form(kind.name, rid)
        return None if form is None else record_doc(form)

    def list(
        self,
        kind: RecordKind,
        *,
        filters: dict[str, str] | None = None,
        q: str | None = None,
        limit: int = 50,
        offset: int = 0,
        include_retired: bool = False,
        full: bool | Callable[[str], bool] = False,
    ) -> Page:
        for name, value in (filters or {}).items():
            if name not in kind.filters:
                raise BadInput(f"{kind.collection} cannot be filtered by {name!r}", allowed=sorted(kind.filters))
            if name != "keyword" and not is_slug(value):
                raise BadInput(f"{name} must be an id or code (lower-case letters, digits, dots, hyphens)",
                               value=value[:200])
        found, total = self.index.search(kind, filters=dict(filters or {}), q=q, limit=limit, offset=offset,
                                         include_retired=include_retired)
        items = []
        for rid, public in found:  # the index holds what anyone may see; the store the rest
            if not (full(rid) if callable(full) else full):
                items.append(public)
                continue
            try:
                items.append(self.get(kind, rid, full=True))
            except NotFound:  # removed since the index answered
                continue
        return Page(items=items, total=total, limit=limit, offset=offset)

    # -------------------------------------------------------------- parsing
    def parse(self, kind: RecordKind, data: Any) -> Input:
        if not isinstance(data, dict):
            raise BadInput(f"a {kind.name} is a JSON object")
        focus = str(self.iris.record(kind.name, data["id"])) if isinstance(data.get("id"), str) else "request"
        data = {k: v for k, v in data.items() if k not in READ_ONLY}
        try:
            return kind.model.model_validate(data)
        except ValidationError as e:
            raise ValidationFailed(pydantic_violations(e, focus)) from None

    def subjects(self, kind: RecordKind, g: Graph) -> builtins.list[URIRef]:
        return sorted((s for s in set(g.subjects(RDF.type, kind.rdf_type)) if isinstance(s, URIRef)), key=str)

    def from_graph(self, kind: RecordKind, g: Graph, subject: URIRef | None = None) -> dict[str, Any]:
        """The JSON form of one record of this kind in an RDF document (Turtle or JSON-LD input)."""
        if subject is None:
            subjects = self.subjects(kind, g)
            if len(subjects) != 1:
                raise BadInput(f"the document must describe exactly one {kind.name} (a {kind.rdf_type.n3()}); "
                               f"found {len(subjects)}")
            subject = subjects[0]
        ident = g.value(subject, DCTERMS.identifier)
        rid = str(ident) if ident is not None else str(subject).rstrip("/").rsplit("/", 1)[-1]
        data = kind.from_rdf(g, subject, self.iris)
        data["id"] = rid
        # from_rdf reports absent values as None; drop them so the input model sees them as missing
        return {k: v for k, v in data.items() if v is not None and k != "retired"}

    # -------------------------------------------------------------- writing
    def _as_json(self, kind: RecordKind, rid: str, triples: builtins.list[Triple]) -> dict[str, Any]:
        return kind.from_rdf(Triples(triples), self.iris.record(kind.name, rid), self.iris)  # type: ignore[arg-type]

    def context(self, kind: RecordKind, rec: Input) -> builtins.list[Triple]:
        """The public graphs of the records this one references, to resolve references in SHACL."""
        triples: builtins.list[Triple] = []
        seen = set()
        for ref_kind, rid in kind.references(rec):
            if (ref_kind, rid) in seen:
                continue
            seen.add((ref_kind, rid))
            triples += self.store.graph(self.iris.public_graph(ref_kind, rid))
        return triples

    def check(self, kind: RecordKind, rec: Input, rg: RecordGraphs) -> builtins.list[Violation]:
        found = self.validator.check([*rg.public, *rg.restricted, *self.context(kind, rec)], [rg.iri], kind.fields)
        if kind.locate is not None:
            found = [kind.locate(v, rec, rg.iri) for v in found]
        if kind.in_lineage:
            found += self._cycles(rec, rg.iri)
        return found

    def _cycles(self, rec: Input, iri: URIRef) -> builtins.list[Violation]:
        rid: str = rec.id  # type: ignore[attr-defined]
        sources: builtins.list[str] = getattr(rec, "derived_from", [])
        cycle = self.lineage.would_cycle(rid, sources)
        if cycle is None:
            return []
        return [Violation(focus_node=str(iri), path=None, field="derived_from", value=cycle[-2],
                          message=f"deriving from {cycle[-2]!r} would close a lineage cycle: "
                                  f"{' -> '.join(cycle)}")]

    def write(
        self,
        kind: RecordKind,
        data: Any,
        caller: Caller,
        *,
        create: bool,
        rid: str | None = None,
        if_match: str | None = None,
        reason: str | None = None,
    ) -> WriteResult:
        """Write a record (create or replace it) through the write path; `reason`, why it changes, is kept
        in its audit entry (a privacy officer's approval, suspension or termination of an agreement)."""
        rec = self.parse(kind, data)
        rid_new: str = rec.id  # type: ignore[attr-defined]
        if rid is not None and rid != rid_new:
            raise ValidationFailed([Violation(focus_node=str(self.iris.record(kind.name, rid)), path=None,
                                              field="id", message=f"the body's id {rid_new!r} differs from "
                                              f"the URL's {rid!r}", value=rid_new)])
        rg = kind.to_rdf(rec, self.iris)
        public, restricted = list(rg.public), list(rg.restricted)
        after = public + restricted
        # the write's sync to disk waits after the lock is released (shared with the writers behind it)
        with self.store.deferred_sync(), self._write_lock:
            before = self.state(kind, rid_new)
            current = self._as_json(kind, rid_new, before) if before else None
            self.policy.authorize_write(kind, rec.model_dump(mode="json"), current, caller)
            if create and before:
                raise Conflict(f"{kind.name} {rid_new!r} exists already: PUT replaces it", id=rid_new)
            if not create and not before:
                raise NotFound(f"no {kind.name} {rid_new!r}", kind=kind.name, id=rid_new)
            before_hash = audit.state_hash(before) if before else audit.EMPTY
            if if_match is not None and not etag_matches(if_match, before_hash if before else None, weak=False):
                raise PreconditionFailed(f"{kind.name} {rid_new!r} has changed since that ETag")
            found = self.check(kind, rec, rg)
            violations = [v for v in found if v.severity == "Violation"]
            if violations:
                raise ValidationFailed(violations)
            after_hash = audit.state_hash(after)
            changed = after_hash != before_hash  # nothing changes: nothing is written or logged
            if changed:
                self._commit(kind, rid_new, public, restricted, caller,
                             "create" if not before else "update", before_hash, after_hash, before, reason)
        return WriteResult(id=rid_new, etag=after_hash, created=changed and not before,
                           warnings=[v for v in found if v.severity != "Violation"],
                           made=lambda: kind.from_rdf(rg.union(), rg.iri, self.iris))  # type: ignore[arg-type]

    def _commit(self, kind: RecordKind, rid: str, public: builtins.list[Triple], restricted: builtins.list[Triple],
                caller: Caller, action: str, before: str, after: str, previous: builtins.list[Triple] | None = None,
                reason: str | None = None) -> int:
        pub_g, res_g = self.iris.graphs(kind.name, rid)
        iri = self.iris.record(kind.name, rid)
        unlogged = previous if previous and not self.audit.logged(iri, before) else None
        seq = self.audit.commit({pub_g: public, res_g: restricted}, agent=caller.agent, action=action,
                                record=iri, kind=kind.name, rid=rid, before=before, after=after,
                                snapshot=public + restricted, previous=unlogged,
                                details=[(audit.REASON, Literal(reason))] if reason else ())
        return seq

    def retire(self, kind: RecordKind, rid: str, caller: Caller, *, if_match: str | None = None) -> None:
        with self.store.deferred_sync(), self._write_lock:
            if not self.exists(kind, rid):
                raise NotFound(f"no {kind.name} {rid!r}", kind=kind.name, id=rid)
            before = self.state(kind, rid)
            current = self._as_json(kind, rid, before)
            self.policy.authorize_write(kind, None, current, caller)
            self.parse(kind, current)  # a stored record that no longer parses is refused, as on write
            before_hash = audit.state_hash(before)
            if if_match is not None and not etag_matches(if_match, before_hash, weak=False):
                raise PreconditionFailed(f"{kind.name} {rid!r} has changed since that ETag")
            s = self.iris.record(kind.name, rid)
            if any(p == REG.retired for _, p, _ in before):
                return
            pub_g, res_g = self.iris.graphs(kind.name, rid)
            public = self.store.graph(pub_g)
            public.append((s, REG.retired, Literal(dt.datetime.now(dt.UTC).isoformat(), datatype=XSD.dateTime)))
            restricted = self.store.graph(res_g)
            self._commit(kind, rid, public, restricted, caller, "retire", before_hash,
                         audit.state_hash(public + restricted), before)


    # ------------------------------------------------------- whole store
    def validate_all(self) -> builtins.list[Violation]:
        """Every record of the store against the shapes (ShaclValidator.validate_store): the compiled
        checks inside the store, pySHACL for the shapes they do not cover."""
        fields: dict[URIRef, str] = {}
        for kind in KINDS.values():
            fields.update(kind.fields)
        return self.validator.validate_store(self.store, fields)
