"""The JSON shapes of the API's answers, as pydantic models: the routes' `response_model`s, so the OpenAPI
document describes what each route answers (and the schemathesis suite checks every answer against it)."""

from __future__ import annotations

import copy
import types
from functools import cache
from typing import Any, Generic, Literal, TypeVar, Union, get_args, get_origin

from pydantic import BaseModel, ConfigDict, Field, create_model

from registry.domain.model import RecordKind

T = TypeVar("T")


class Answer(BaseModel):
    """Base of the answers: the fields each documents, and no promise that no field is ever added."""

    model_config = ConfigDict(extra="allow")


# ----------------------------------------------------------------------------------- lists
class Page(Answer, Generic[T]):
    """A page of a longer list: `total` items in all, `limit` from `offset`."""

    items: list[T]
    total: int
    limit: int
    offset: int


class Listing(Answer, Generic[T]):
    """A whole list and its length."""

    items: list[T]
    total: int


# ----------------------------------------------------------------------------------- meta
class Health(Answer):
    status: Literal["ok"]
    version: str
    #: the indexes and the public view are built (a server warms them in the background)
    ready: bool


class KindCounts(Answer):
    total: int
    #: facet -> value -> how many live records have it (the most frequent values; `more` names the facets
    #: that have further values: GET /stats/{kind}/{facet})
    by: dict[str, dict[str, int]]
    more: list[str]


class FacetCount(Answer):
    value: str
    count: int


class FacetCounts(Page[FacetCount]):
    """One facet's values with how many live records have each, most frequent first."""

    kind: str
    facet: str


# ----------------------------------------------------------------------------- reference
class Requirements(Answer):
    purposes: list[str]
    recipient_kinds: list[str]
    provider_kinds: list[str]
    designation: bool
    same_institution: bool
    deidentification: bool
    consent: bool
    ethics_approval: bool
    prohibits_onward_disclosure: bool
    #: the agreement field that must record the finding the authority rests on
    finding: str | None
    published_notice: bool
    notify_individual: bool
    confines_identifiable_data: bool


class Verification(Answer):
    """How the entry was checked against the statute text."""

    status: Literal["verified", "unverified"]
    #: a short quotation of the provision's own words
    excerpt: str | None
    #: the ontario.ca/laws page it was read on
    source: str | None
    #: the date it was checked (YYYY-MM-DD)
    checked: str | None
    note: str | None


class Authority(Answer):
    id: str
    iri: str
    label: str | None
    statute: str | None
    statute_abbreviation: str | None
    section: str | None
    citation: str | None
    summary: str | None
    purpose_note: str | None
    source: str | None
    applies_to: list[str]
    under_statute: str | None
    requirements: Requirements
    verification: Verification


class Purpose(Answer):
    id: str
    iri: str
    label: str | None
    definition: str | None
    broader: str | None


# ------------------------------------------------------------------------------ records
class Violation(Answer):
    """One SHACL result (or a check of the same shape): of a refused write (422), or a warning of one that
    was written all the same."""

    focusNode: str  # noqa: N815 - the JSON field
    path: str | None
    field: str | None
    message: str
    severity: str
    sourceShape: str | None  # noqa: N815
    value: str | None


class Problem(Answer):
    """An error, as RFC 9457 problem details (application/problem+json), with the error's own data."""

    type: str
    title: str
    status: int
    detail: str
    instance: str
    #: of a refused write or of invalid parameters: what is wrong, field by field
    violations: list[Violation] | None = None


class Record(Answer):
    """The JSON form of a stored record: the fields of its input model, each only when the caller's view
    holds it, and those the registry adds."""

    id: str
    #: when it was retired (a retired record is listed with include_retired=true)
    retired: str | None = None
    #: on the answer of a write: the warnings of the record's validation
    warnings: list[Violation] | None = None


class LineageFacts(Answer):
    """What lineage adds to a dataset its caller reads the restricted fields of."""

    effective_personal_information: bool | None = None
    #: the chain of datasets its personal information comes from, when it is inherited
    personal_information_path: list[str] | None = None


def model_schema(model: type[BaseModel]) -> dict[str, Any]:
    """A model's JSON schema, inlined: made once per model for the process (every app the factory makes
    declares the same bodies), handed out as a copy."""
    return copy.deepcopy(_model_schema(model))


@cache
def _model_schema(model: type[BaseModel]) -> dict[str, Any]:
    return inline(model.model_json_schema())


def inline(schema: dict[str, Any]) -> dict[str, Any]:
    """A JSON schema of pydantic's with its `$defs` written in place, for the OpenAPI document's
    hand-declared bodies (its components hold only what FastAPI registers itself)."""
    defs = schema.get("$defs", {})

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                return walk(defs[ref.removeprefix("#/$defs/")])
            return {k: walk(v) for k, v in node.items() if k != "$defs"}
        if isinstance(node, list):
            return [walk(v) for v in node]
        return node

    out: dict[str, Any] = walk(schema)
    return out


def body_of(model: type[BaseModel], media_type: str = "application/json") -> dict[str, Any]:
    """`openapi_extra` declaring a required request body of `model`'s schema."""
    return {"requestBody": {"required": True, "content": {media_type: {"schema": model_schema(model)}}}}


def representations(*media_types: str) -> dict[str, Any]:
    """The OpenAPI `content` of answers in these media types other than the route's JSON: a JSON document
    for JSON-LD (an object, or a list of them), text for the rest (Turtle, N-Triples, RDF/XML, CSV)."""
    return {m: {"schema": {"type": ["object", "array"]} if m.endswith("+json") else {"type": "string"}}
            for m in media_types}


#: the error answers of every route, as one OpenAPI response (FastAPI adds none of its own then)
PROBLEMS: dict[int | str, dict[str, Any]] = {"4XX": {
    "description": "An error (RFC 9457 problem details)",
    "content": {"application/problem+json": {"schema": model_schema(Problem)}}}}


def _out(tp: Any) -> Any:
    """The output form of an input type: input models become their (optional-field) output models."""
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return _output_model(tp, Answer)
    origin = get_origin(tp)
    if origin in (Union, types.UnionType):
        return Union[tuple(_out(a) for a in get_args(tp))]  # noqa: UP007 - built at run time
    if origin is list:
        return list[_out(get_args(tp)[0])]  # type: ignore[misc]
    return tp


@cache
def _output_model(model: type[BaseModel], base: type[BaseModel]) -> type[BaseModel]:
    fields: dict[str, Any] = {name: (_out(f.annotation) | None, None) for name, f in model.model_fields.items()
                              if name not in base.model_fields}
    name = model.__name__.removesuffix("In")
    return create_model(name if base is Answer else name + "Record", __base__=base, **fields)


def record_model(kind: RecordKind) -> type[BaseModel]:
    """The JSON form of a record of `kind`."""
    return _output_model(kind.model, _RecordWithLineage if kind.in_lineage else Record)


class _RecordWithLineage(Record, LineageFacts):
    pass


# --------------------------------------------------------------------------------- lineage
class LineageNode(Answer):
    id: str
    title: str | None
    publisher: str | None
    access: str | None
    retired: bool
    #: effective personal information, for callers who read the dataset's restricted fields
    personal_information: bool | None = None
    personal_information_path: list[str] | None = None


class LineageEdge(Answer):
    source: str = Field(alias="from")
    to: str
    activity: str | None
    by: str | None
    date: str | None


class Lineage(Answer):
    dataset: str
    direction: Literal["upstream", "downstream", "both"]
    depth: int | None
    as_of: str | None
    #: datasets in the whole answer; `nodes` holds `limit` of them from `offset` (the dataset itself first)
    total: int
    offset: int
    limit: int
    nodes: list[LineageNode]
    #: the edges into this page's nodes
    edges: list[LineageEdge]


class CoveringAgreement(Answer):
    id: str
    title: str | None
    provider: str
    recipient: str
    status: str | None
    valid_until: str | None
    retired: bool
    #: the datasets of the impact it covers
    datasets: list[str]


class Impact(Answer):
    dataset: str
    #: datasets downstream in all; `downstream` holds `limit` of them from `offset`
    total: int
    offset: int
    limit: int
    downstream: list[LineageNode]
    #: every agreement covering the dataset or anything downstream, whatever the page
    agreements: list[CoveringAgreement]


# ---------------------------------------------------------------------------- share checks
class Reason(Answer):
    """A reason or condition of the decision; one that quotes restricted fields the caller cannot read is
    `withheld` (its code, ids and remedy stay)."""

    code: str
    message: str
    dataset: str | None = None
    agreement: str | None = None
    authority: str | None = None
    path: list[str] | None = None
    remedy: str | None = None
    withheld: bool | None = None


class Basis(Answer):
    agreement: str
    authority: str | None
    clause: str | None
    statute: str | None
    citation: str | None
    source: str | None


class CheckedDataset(Answer):
    id: str
    title: str | None = None
    access: str | None = None
    personal_information: bool | None = None
    inherited_from: list[str] | None = None
    withheld: bool | None = None


class ShareCheck(Answer):
    id: str
    decision: Literal["permitted", "conditional", "not_permitted"]
    reasons: list[Reason]
    conditions: list[Reason]
    basis: list[Basis]
    datasets: list[CheckedDataset]
    #: the proposal as it was checked (its date filled in)
    proposal: dict[str, Any]
    requested_by: str
    requested_at: str


# ------------------------------------------------------------------------------- disposals
class Attester(Answer):
    name: str | None
    email: str | None


class Disposal(Answer):
    """A recorded disposal (a restricted record: the recipient's and provider's stewards, officers, admins)."""

    id: str
    agreement: str | None
    recipient: str | None
    datasets: list[str]
    date: str | None
    method: str | None
    attested_by: Attester | None = None
    note: str | None = None
    #: the token that recorded it, and the day
    recorded_by: str | None
    recorded_on: str | None


class LedgerShare(Answer):
    """A share of the disposal ledger: datasets shared under an agreement on a date (recorded share checks)."""

    agreement: str
    provider: str | None
    recipient: str | None
    #: overdue: the datasets not yet disposed of; late: every dataset of the share
    datasets: list[str]
    share_date: str
    retention: str
    due_date: str | None
    days_overdue: int | None = None
    disposed_on: str | None = None
    days_late: int | None = None
    #: the share checks that record the share
    checks: list[str]


class Overdue(Page[LedgerShare]):
    """Shares overdue for disposal on `as_of`, most overdue first; `late`, shares disposed of after their due
    date (the same page of them)."""

    as_of: str
    late: Listing[LedgerShare]


class DisposalCounts(Answer):
    """Per recipient institution: shares disposed of on time, late, and overdue (never which)."""

    recipient: str
    recipient_name: str
    on_time: int
    late: int
    overdue: int


# ---------------------------------------------------------------------------------- tokens
class Token(Answer):
    id: str
    role: Literal["admin", "privacy-officer", "steward"]
    org: str | None
    created: str
    expires: str | None
    revoked: str | None


class NewTokenAnswer(Answer):
    id: str
    role: Literal["admin", "privacy-officer", "steward"]
    org: str | None
    expires: str | None
    #: the bearer token itself: shown once, never stored
    token: str


# ----------------------------------------------------------------------------------- audit
class AuditEntry(Answer):
    seq: int
    time: str
    agent: str
    action: str
    record: str
    before_hash: str
    after_hash: str
    previous_hash: str
    entry_hash: str
    #: of an entry about a token: the token's role and organisation
    role: str | None = None
    org: str | None = None
    #: why the change was made, in the words of whoever made it (an agreement approved, suspended, terminated)
    reason: str | None = None


class AuditVerification(Answer):
    ok: bool
    entries_checked: int
    records_checked: int
    #: the first entry or record that does not match, and why
    first_broken: dict[str, Any] | None


# ------------------------------------------------------------------------------ OpenLineage
class IngestedRun(Answer):
    id: str
    event_type: str
    event_time: str
    job: dict[str, str]
    recorded: bool
    activity: str | None
    activity_from: str | None


class IngestedDataset(Answer):
    id: str | None
    namespace: str
    name: str
    role: str
    action: str
    matched_by: str | None
    needs_steward_review: bool


class Ingested(Answer):
    run: IngestedRun
    created: list[str]
    updated: list[str]
    unchanged: list[str]
    datasets: list[IngestedDataset]
    warnings: list[dict[str, Any]]


# ---------------------------------------------------------------------------------- reports
class UnmatchedFlows(Answer):
    source: str
    total: int
    by_pair: list[dict[str, Any]]
    pairs_total: int | None = None


class FlowsReport(Answer):
    """The transparency register as data."""

    as_of: str
    #: every agreement the register lists; `agreements` holds those from `offset`, at most `limit`
    total: int
    offset: int = 0
    limit: int | None = None
    agreements: list[dict[str, Any]]
    by_authority: list[dict[str, Any]]
    #: the largest `limit` of each list, with how many there are
    by_pair: list[dict[str, Any]]
    by_pair_total: int | None = None
    expiring_within_90_days: list[dict[str, Any]]
    expiring_total: int | None = None
    personal_information_flows_without_agreement: UnmatchedFlows
    sankey: dict[str, Any]
    disposals_by_recipient: list[DisposalCounts]
