"""OpenLineage ingest: a RunEvent becomes PROV-O lineage in the registry. The event is validated and every
record it would write is checked before any is written through the normal write path; datasets are
matched by the identifiers the caller may read, then by their stable slug (README, "Lineage and
OpenLineage")."""

from __future__ import annotations

import datetime as dt
import graphlib
import json
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker
from rdflib import Graph, Literal, URIRef

from registry.domain.model import xmlchars
from registry.domain.model.dataset import DATASET, lineage_key
from registry.errors import Forbidden, RegistryError, ValidationFailed, Violation
from registry.namespaces import ACTIVITY_KIND, DCTERMS, PROV, RDF, RDFS, REG, SKOS, XSD
from registry.projections.lineage import moment
from registry.services.auth import Caller
from registry.services.records import READ_ONLY
from registry.services.registry import Registry
from registry.store import audit
from registry.store.base import Triple

SCHEMA_FILE = Path(str(files("registry") / "data" / "openlineage-runevent.schema.json"))
#: the keyword of a dataset created from an event until a steward has completed it
NEEDS_REVIEW = "needs-steward-review"
#: the keyword of every dataset first seen in an OpenLineage event
FROM_OPENLINEAGE = "openlineage"
#: event types whose inputs and outputs are recorded; FAIL and ABORT record nothing
RECORDED = ("START", "RUNNING", "COMPLETE", "OTHER")
ACTIVITY_KINDS = ("linkage", "deidentification", "aggregation", "extraction")
#: our own job (or run) facet that states the activity kind outright
REGISTRY_FACET = "dataSharingRegistry"
#: job-name hints, tried in this order; no hint: extraction
NAME_HINTS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("deidentification", re.compile(r"de-?identif|anonymi[sz]|pseudonymi[sz]", re.I)),
    ("aggregation", re.compile(r"aggregat|summar|roll-?up", re.I)),
    ("linkage", re.compile(r"link|join|merge|match", re.I)),
)
#: OpenLineage column-lineage transformation subtypes that tell the activity kind
SUBTYPE_KINDS = {"AGGREGATION": "aggregation", "JOIN": "linkage"}
PLACEHOLDER_DESCRIPTION = ("Registered automatically from an OpenLineage event. A steward must review and complete "
                           "this record: its steward, access, sensitivity and personal-information flag are "
                           "safe placeholders.")
EMAIL = re.compile(r"[^@\s:<>]+@[^@\s:<>]+\.[^@\s:<>]+")
MAX_ERRORS = 50

# One ingest at a time: an event is planned and written as a unit, and two events naming the same
# new dataset must not both plan to create it.
_INGEST_LOCK = threading.Lock()


@cache
def schema_validator() -> Draft202012Validator:
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    # "uuid" is the one format whose check needs no extra package; our patterns cover the others
    return Draft202012Validator(schema, format_checker=FormatChecker(formats=["uuid"]))


def lineage_slug(namespace: str, name: str) -> str:
    """The stable id of the dataset the registry creates for an OpenLineage (namespace, name)."""
    tail = re.sub(r"[^a-z0-9.]+", "-", name.lower())
    tail = re.sub(r"^[^a-z0-9]+|[^a-z0-9]+$", "", tail[-48:])
    key = lineage_key(namespace, name)[:10]
    return f"ol-{tail}-{key}" if tail else f"ol-{key}"


def schema_violations(event: Any) -> list[Violation]:
    """The event's departures from the RunEvent schema (empty when it follows it)."""
    errors = sorted(schema_validator().iter_errors(event), key=lambda e: (list(map(str, e.absolute_path)), e.message))
    out = []
    for e in errors[:MAX_ERRORS]:
        where = [str(p) for p in e.absolute_path]
        if e.validator == "required":  # one error per missing property, named in the message
            missing = re.match(r"^'(.*)' is a required property$", e.message)
            if missing:
                where.append(missing.group(1))
        message = e.message if len(e.message) <= 300 else e.message[:300] + "..."
        value = None if isinstance(e.instance, dict | list) else str(e.instance)[:200]
        out.append(Violation(focus_node="event", path="/" + "/".join(where), field=".".join(where) or None,
                             message=message, value=value, source_shape=SCHEMA_FILE.name))
    return out


# ---------------------------------------------------------------------------------------- the event
@dataclass
class DatasetRef:
    namespace: str
    name: str
    role: str  # input | output
    facets: dict[str, Any]
    symlinks: list[tuple[str, str]] = field(default_factory=list)
    #: (namespace, name) of the datasets its columnLineage facet derives it from (outputs)
    column_sources: list[tuple[str, str]] = field(default_factory=list)
    #: False for a dataset that only an output's columnLineage names
    declared: bool = True
    #: an output the job also reads
    also_input: bool = False

    @property
    def pair(self) -> tuple[str, str]:
        return self.namespace, self.name


@dataclass
class RunEvent:
    run_id: str
    event_type: str
    event_time: dt.datetime
    producer: str
    job_namespace: str
    job_name: str
    job_facets: dict[str, Any]
    run_facets: dict[str, Any]
    datasets: list[DatasetRef]

    @property
    def recorded(self) -> bool:
        return self.event_type in RECORDED

    def inputs(self) -> list[DatasetRef]:
        return [d for d in self.datasets if d.role == "input"]

    def outputs(self) -> list[DatasetRef]:
        return [d for d in self.datasets if d.role == "output"]


def _event_time(value: str) -> dt.datetime:
    text = value.strip().replace(" ", "T", 1)
    text = re.sub(r",", ".", text)
    try:
        when = dt.datetime.fromisoformat(text)
    except ValueError:
        raise ValidationFailed([Violation(focus_node="event", path="/eventTime", field="eventTime", value=value,
                                          message="eventTime is not a date and time")],
                               "The OpenLineage event is not valid; nothing was written.") from None
    return moment(when)


def _dict(v: Any) -> dict[str, Any]:
    """Facet content is free-form: read what has the expected shape, ignore the rest."""
    return v if isinstance(v, dict) else {}


def _list(v: Any) -> list[Any]:
    return v if isinstance(v, list) else []


def _pair(v: Any) -> tuple[str, str] | None:
    """A (namespace, name) from a facet's {"namespace": ..., "name": ...}, or None."""
    d = _dict(v)
    ns, name = d.get("namespace"), d.get("name")
    if isinstance(ns, str) and isinstance(name, str) and ns.strip() and name.strip():
        return ns.strip()[:1000], name.strip()[:1000]
    return None


def _symlinks(facets: dict[str, Any]) -> list[tuple[str, str]]:
    pairs = (_pair(i) for i in _list(_dict(facets.get("symlinks")).get("identifiers")))
    return list(dict.fromkeys(p for p in pairs if p))


def _column_inputs(facets: dict[str, Any]) -> list[dict[str, Any]]:
    """The inputFields of every column of a columnLineage facet."""
    out = []
    for column in _dict(_dict(facets.get("columnLineage")).get("fields")).values():
        out += [_dict(f) for f in _list(_dict(column).get("inputFields"))]
    return out


def _column_sources(facets: dict[str, Any]) -> list[tuple[str, str]]:
    pairs = (_pair(f) for f in _column_inputs(facets))
    return list(dict.fromkeys(p for p in pairs if p))


def parse_event(data: Any) -> RunEvent:
    """A RunEvent that follows the schema, or ValidationFailed listing where it does not."""
    if not isinstance(data, dict):
        raise ValidationFailed([Violation(focus_node="event", path="/", field=None,
                                          message="an OpenLineage RunEvent is a JSON object")],
                               "The body is not an OpenLineage RunEvent; nothing was written.")
    # names become titles and literals, facets descriptions: no text XML cannot carry ("\u0001", "\ud800")
    bad = xmlchars.violations(data, "event")
    if bad:
        raise ValidationFailed(bad, "The event holds text XML cannot carry (a control character, U+FFFE, U+FFFF "
                                    "or a lone surrogate); nothing was written.")
    found = schema_violations(data)
    if found:
        n = len(found)
        raise ValidationFailed(found, f"The OpenLineage event breaks the RunEvent schema in {n} place"
                                      f"{'s' if n != 1 else ''}; nothing was written.")
    refs: dict[tuple[str, str], DatasetRef] = {}
    for role, key in (("input", "inputs"), ("output", "outputs")):
        for d in data.get(key) or []:
            facets = d.get("facets") or {}
            ref = DatasetRef(d["namespace"].strip(), d["name"].strip(), role, facets, _symlinks(facets),
                             _column_sources(facets) if role == "output" else [])
            prior = refs.get(ref.pair)
            if prior is not None:  # named twice: an output wins, facets merge
                ref.facets = {**prior.facets, **facets}
                ref.symlinks = list(dict.fromkeys(prior.symlinks + ref.symlinks))
                ref.also_input = prior.role == "input" or prior.also_input
            refs[ref.pair] = ref
    # datasets that only the column lineage of an output names are inputs too
    for ref in list(refs.values()):
        for pair in ref.column_sources:
            if pair not in refs:
                refs[pair] = DatasetRef(pair[0], pair[1], "input", {}, declared=False)
    job, run = data["job"], data["run"]
    return RunEvent(
        run_id=run["runId"].lower(),
        event_type=data.get("eventType") or "OTHER",
        event_time=_event_time(data["eventTime"]),
        producer=data["producer"],
        job_namespace=job["namespace"].strip(),
        job_name=job["name"].strip(),
        job_facets=job.get("facets") or {},
        run_facets=run.get("facets") or {},
        datasets=list(refs.values()),
    )


# ------------------------------------------------------------------------------ the activity kind
def activity_kind(event: RunEvent) -> tuple[str, str]:
    """(kind, why): our own facet first, then the job's name, then column lineage; else extraction."""
    for facets in (event.job_facets, event.run_facets):
        declared = _dict(facets.get(REGISTRY_FACET)).get("activityKind")
        if declared is not None:
            if declared not in ACTIVITY_KINDS:
                raise ValidationFailed([Violation(
                    focus_node="event", path=f"/job/facets/{REGISTRY_FACET}/activityKind",
                    field=f"job.facets.{REGISTRY_FACET}.activityKind", value=str(declared)[:200],
                    message=f"activityKind must be one of: {', '.join(ACTIVITY_KINDS)}")],
                    "The OpenLineage event is not valid; nothing was written.")
            return declared, f"the {REGISTRY_FACET} facet"
    for kind, pattern in NAME_HINTS:
        if pattern.search(event.job_name):
            return kind, "the job's name"
    subtypes = {str(_dict(t).get("subtype", "")).upper()
                for d in event.outputs() for f in _column_inputs(d.facets) for t in _list(f.get("transformations"))}
    for subtype, kind in SUBTYPE_KINDS.items():
        if subtype in subtypes:
            return kind, "the columnLineage facet"
    return "extraction", "the default"


# ----------------------------------------------------------------------------------------- facets
def _description(facets: dict[str, Any]) -> str | None:
    parts = []
    doc = _dict(facets.get("documentation")).get("description")
    if isinstance(doc, str) and doc.strip():
        parts.append(doc.strip())
    fields = [_dict(f) for f in _list(_dict(facets.get("schema")).get("fields"))]
    columns = [f"{f['name']} ({f['type']})" if isinstance(f.get("type"), str) and f["type"] else f["name"]
               for f in fields if isinstance(f.get("name"), str) and f["name"].strip()]
    if columns:
        shown = columns[:100]
        more = f" and {len(columns) - len(shown)} more" if len(columns) > len(shown) else ""
        parts.append("Columns: " + ", ".join(shown) + more + ".")
    return " ".join(parts)[:19_000] if parts else None


def _owner_steward(facets: dict[str, Any]) -> dict[str, str] | None:
    """A steward from the ownership facet: the first owner; its e-mail if its name holds one."""
    for owner in _list(_dict(facets.get("ownership")).get("owners")):
        name = _dict(owner).get("name")
        if isinstance(name, str) and name.strip():
            email = EMAIL.search(name)
            label = re.sub(r"^(user|team|group):", "", name.strip())[:900].strip()
            if not label:
                continue
            return {"name": label, "email": email.group(0)} if email else {"name": label}
    return None


# ------------------------------------------------------------------------------------ the plan
@dataclass
class Planned:
    ref: DatasetRef
    id: str
    action: str  # created | updated | unchanged | matched | skipped
    matched_by: str | None = None
    data: dict[str, Any] | None = None
    etag: str | None = None
    needs_review: bool = False

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "namespace": self.ref.namespace, "name": self.ref.name, "role": self.ref.role,
                "action": self.action, "matched_by": self.matched_by, "needs_steward_review": self.needs_review}


@dataclass
class IngestResult:
    event: RunEvent
    kind: str
    kind_from: str
    datasets: list[Planned]
    run_recorded: bool
    warnings: list[dict[str, Any]]

    @property
    def changed(self) -> bool:
        return any(p.action in ("created", "updated") for p in self.datasets) or self.run_recorded

    def as_json(self) -> dict[str, Any]:
        def ids(action: str) -> list[str]:
            return [p.id for p in self.datasets if p.action == action]

        return {
            "run": {"id": self.event.run_id, "event_type": self.event.event_type,
                    "event_time": self.event.event_time.isoformat(),
                    "job": {"namespace": self.event.job_namespace, "name": self.event.job_name},
                    "recorded": self.event.recorded, "activity": self.kind, "activity_from": self.kind_from},
            "created": ids("created"),
            "updated": ids("updated"),
            "unchanged": ids("unchanged") + ids("matched"),
            "datasets": [p.as_json() for p in self.datasets],
            "warnings": self.warnings,
        }


class OpenLineageIngest:
    """Plans, checks and writes what one RunEvent says."""

    def __init__(self, registry: Registry) -> None:
        self.reg = registry
        self.kind = DATASET

    # ------------------------------------------------------------ matching
    def _by_identifier(self, namespace: str, name: str) -> list[str]:
        rows = self.reg.store.select(self.reg.resources.query("openlineage-match"),
                                     {"namespace": Literal(namespace), "name": Literal(name)})
        return [self.reg.iris.id_of(r["dataset"]) for r in rows]

    def match(self, ref: DatasetRef, warnings: list[dict[str, Any]],
              reads: Callable[[str], bool]) -> tuple[str, str | None]:
        """(dataset id, how it was matched or None for a dataset to create). Identifiers are restricted
        fields: only those of datasets the caller `reads` (`Policy.reads_restricted`) match."""
        for pair, how in [(ref.pair, "identifier"), *((p, "symlink") for p in ref.symlinks)]:
            found = [rid for rid in self._by_identifier(*pair) if reads(rid)]
            if found:
                if len(found) > 1:
                    warnings.append({"dataset": found[0], "message": f"{len(found)} datasets carry the OpenLineage "
                                     f"identifier {pair[0]!r} {pair[1]!r}: {', '.join(found)}; the first is used"})
                return found[0], how
        slug = lineage_slug(*ref.pair)
        if self.reg.records.exists(self.kind, slug):
            return slug, "slug"
        return slug, None

    # ------------------------------------------------------------ records
    def _publisher(self, caller: Caller) -> str | None:
        if caller.role == "steward":
            return caller.org
        return self.reg.settings.openlineage_publisher

    def _placeholder(self, ref: DatasetRef, rid: str, publisher: str | None) -> dict[str, Any]:
        settings = self.reg.settings
        steward: dict[str, str] = {"name": settings.openlineage_steward_name,
                                   "email": settings.openlineage_steward_email}
        owner = _owner_steward(ref.facets)
        if owner:
            steward = {**steward, **owner}
        described = _description(ref.facets)
        return {
            "id": rid,
            "title": ref.name[:1000],
            "description": f"{described}\n\n{PLACEHOLDER_DESCRIPTION}" if described else PLACEHOLDER_DESCRIPTION,
            "publisher": publisher,
            "steward": steward,
            "keywords": sorted([NEEDS_REVIEW, FROM_OPENLINEAGE]),
            "access": "non-public",
            "sensitivity": "medium",
            "personal_information": True,
            "openlineage": [{"namespace": ref.namespace, "name": ref.name}],
        }

    def _current(self, rid: str) -> dict[str, Any]:
        data = self.reg.records.get(self.kind, rid, full=True)
        return {k: v for k, v in data.items() if k not in READ_ONLY and v is not None}

    def _merge_output(self, current: dict[str, Any], ref: DatasetRef, sources: list[str],
                      generated_by: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = json.loads(json.dumps(current))
        out["derived_from"] = sorted(set(out.get("derived_from") or []) | set(sources))
        if not out.get("generated_by") and out["derived_from"]:
            out["generated_by"] = generated_by
        ids = out.get("openlineage") or []
        if {"namespace": ref.namespace, "name": ref.name} not in ids:
            out["openlineage"] = [*ids, {"namespace": ref.namespace, "name": ref.name}]
        if NEEDS_REVIEW in (out.get("keywords") or []):  # facets fill what is still a placeholder
            described = _description(ref.facets)
            if described and out.get("description") == PLACEHOLDER_DESCRIPTION:
                out["description"] = f"{described}\n\n{PLACEHOLDER_DESCRIPTION}"
            owner = _owner_steward(ref.facets)
            steward = out.get("steward") or {}
            if owner and steward.get("name") == self.reg.settings.openlineage_steward_name:
                out["steward"] = {**steward, **owner}
        return out

    @staticmethod
    def _same(a: dict[str, Any], b: dict[str, Any]) -> bool:
        def norm(v: Any) -> Any:
            if isinstance(v, dict):
                return {k: norm(x) for k, x in v.items() if x not in (None, [], {})}
            if isinstance(v, list):
                return sorted((norm(x) for x in v), key=lambda x: json.dumps(x, sort_keys=True))
            return v

        return bool(norm(a) == norm(b))

    def plan(self, event: RunEvent, caller: Caller) -> tuple[list[Planned], str, str, list[dict[str, Any]]]:
        warnings: list[dict[str, Any]] = []
        reads = self.reg.policy.reads_restricted(self.kind, caller)
        kind, why = activity_kind(event)
        if kind == "deidentification" and why == "the job's name":
            warnings.append({"message": f"the activity was taken to be a de-identification from the job's name "
                             f"{event.job_name!r}: a steward should confirm it (de-identification stops the "
                             f"propagation of personal information)"})
        planned: dict[tuple[str, str], Planned] = {}
        for ref in event.datasets:
            rid, how = self.match(ref, warnings, reads)
            planned[ref.pair] = Planned(ref, rid, "created" if how is None else "matched", matched_by=how)
        if not event.recorded:
            for p in planned.values():
                p.action = "unchanged" if p.action == "matched" else "skipped"
            warnings.append({"message": f"a {event.event_type} event records no lineage: the run produced nothing"})
            return list(planned.values()), kind, why, warnings
        publisher = self._publisher(caller)
        inputs = sorted({planned[r.pair].id for r in event.inputs() if r.declared})
        generated_by: dict[str, Any] = {"kind": kind, "date": event.event_time.date().isoformat()}
        if publisher:
            generated_by["by"] = publisher
        creating: dict[str, Planned] = {}
        for p in planned.values():
            if p.action == "created":
                if p.id in creating:  # two names that slug alike in one event: one dataset
                    p.action, p.matched_by = "matched", "slug"
                    continue
                p.data = self._placeholder(p.ref, p.id, publisher)
                p.needs_review = True
                creating[p.id] = p
        for p in planned.values():
            if p.ref.role != "output":
                if p.action == "matched":
                    p.action = "unchanged"
                    p.needs_review = NEEDS_REVIEW in (self._current(p.id).get("keywords") or [])
                continue
            own = sorted(set(inputs) | {planned[pair].id for pair in p.ref.column_sources})
            sources = [s for s in own if s != p.id]
            if len(sources) < len(own) or p.ref.also_input:
                warnings.append({"dataset": p.id, "message": "the job reads and writes this dataset: it is not "
                                 "recorded as derived from itself"})
            if p.action == "created":
                assert p.data is not None
                if sources:
                    p.data["derived_from"] = sources
                    p.data["generated_by"] = generated_by
                continue
            if p.action == "skipped":
                continue
            current = self._current(p.id)
            p.needs_review = NEEDS_REVIEW in (current.get("keywords") or [])
            if "retired" in self.reg.records.get(self.kind, p.id, full=False):
                p.action = "unchanged"
                warnings.append({"dataset": p.id, "message": "the dataset is retired: its lineage was not changed"})
                continue
            merged = self._merge_output(current, p.ref, sources, generated_by)
            if self._same(merged, current):
                p.action = "unchanged"
            else:
                p.action, p.data = "updated", merged
                p.etag = self.reg.records.etag(self.kind, p.id)
        if creating and not publisher:
            raise ValidationFailed([Violation(
                focus_node=str(self.reg.iris.record("dataset", p.id)), path=None, field="publisher", value=None,
                message=f"no organisation to publish {p.ref.namespace!r} {p.ref.name!r}: send the event with a steward "
                        f"token of the organisation that runs the pipeline, or set REGISTRY_OPENLINEAGE_PUBLISHER")
                for p in creating.values()],
                "The event names datasets the registry does not know, and no organisation can publish them; "
                "nothing was written.")
        return list(planned.values()), kind, why, warnings

    # ------------------------------------------------------------ checking
    def _authorize(self, p: Planned, caller: Caller, mine: Callable[[str], bool]) -> None:
        """The write path's scope, checked for every record before any is written. A dataset the event
        creates is published by the steward's own organisation (`_publisher`); one it updates keeps its
        publisher, which must be the caller's to write (`mine`: `Policy.reads_restricted`, the records the
        caller may write). The refusal names the event's own (namespace, name), never the dataset, its
        owner or how it was matched."""
        if p.action != "updated" or mine(p.id):
            return
        raise Forbidden(f"the event names {p.ref.namespace!r} {p.ref.name!r} as an {p.ref.role}, and a dataset "
                        f"registered outside organisation {caller.org!r} answers to that name: a steward's event "
                        f"writes only datasets of its organisation and its units; nothing was written",
                        organization=caller.org, namespace=p.ref.namespace, name=p.ref.name)

    def check(self, writes: list[Planned], caller: Caller) -> None:
        """Everything the write path would refuse, for every record at once, before any is written."""
        records = self.reg.records
        found: list[Violation] = []
        graphs = {}
        mine = self.reg.policy.reads_restricted(self.kind, caller)
        for p in writes:
            rec = records.parse(self.kind, p.data)
            self._authorize(p, caller, mine)  # 403 before anything is written
            graphs[p.id] = (rec, self.kind.to_rdf(rec, self.reg.iris))
        data: list[Triple] = []
        context: set[tuple[str, str]] = set()
        for _rid, (rec, rg) in graphs.items():
            data += [*rg.public, *rg.restricted]
            context |= {ref for ref in self.kind.references(rec) if ref[0] != "dataset" or ref[1] not in graphs}
        for ref_kind, rid in context:
            data += self.reg.store.graph(self.reg.iris.public_graph(ref_kind, rid))
        found += [v for v in self.reg.validator.check(data, [rg.iri for _r, rg in graphs.values()],
                                                      self.kind.fields) if v.severity == "Violation"]
        trial = self.reg.lineage.copy()  # each write's edges are tried with those before it
        for p in self._order(writes):
            planned = p.data or {}
            sources = list(planned.get("derived_from") or [])
            cycle = trial.would_cycle(p.id, sources)
            if cycle is None:
                kind = (planned.get("generated_by") or {}).get("kind")
                trial.set_dataset(p.id, sources, pi=bool(planned.get("personal_information")), kind=kind,
                                  retired=False)
            else:
                found.append(Violation(focus_node=str(self.reg.iris.record("dataset", p.id)), path=None,
                                       field="derived_from", value=cycle[-2],
                                       message=f"deriving {p.id!r} from {cycle[-2]!r} would close a lineage cycle: "
                                               f"{' -> '.join(cycle)}"))
        if found:
            raise ValidationFailed(found, f"The event would write records that break {len(found)} rule"
                                          f"{'s' if len(found) != 1 else ''}; nothing was written.")

    # ------------------------------------------------------------ writing
    def _order(self, writes: list[Planned]) -> list[Planned]:
        """Sources before what is derived from them."""
        by_id = {p.id: p for p in writes}
        ts: graphlib.TopologicalSorter[str] = graphlib.TopologicalSorter()
        for p in writes:
            ts.add(p.id, *[s for s in (p.data or {}).get("derived_from", []) if s in by_id])
        try:
            return [by_id[i] for i in ts.static_order()]
        except graphlib.CycleError as e:  # the event's own outputs derive from each other in a ring
            cycle = [str(x) for x in reversed(e.args[1])]
            raise ValidationFailed([Violation(
                focus_node=str(self.reg.iris.record("dataset", cycle[0])), path=None, field="derived_from",
                value=cycle[-2], message=f"the event's column lineage would close a lineage cycle: "
                                         f"{' -> '.join(cycle)}")],
                "The event would write records that break 1 rule; nothing was written.") from None

    def write(self, writes: list[Planned], caller: Caller) -> None:
        done: list[str] = []
        ordered = self._order(writes)
        for p in ordered:
            try:
                self.reg.records.write(self.kind, p.data, caller, create=p.action == "created",
                                       rid=None if p.action == "created" else p.id,
                                       if_match=p.etag)
            except RegistryError as e:
                rest = [q.id for q in ordered if q.id not in done]
                e.extra = {**e.extra, "written": done, "not_written": rest}
                e.detail = (f"{e.detail} Writing the event's datasets stopped at {p.id!r}: "
                            + (f"{', '.join(done)} had been written before" if done else "none had been written")
                            + f"; not written: {', '.join(rest)}.")
                raise
            done.append(p.id)

    def _run_record(self, event: RunEvent, datasets: list[Planned], kind: str, caller: Caller) -> bool:
        """Add this event to the run's PROV activity record; True when that changed it."""
        iris = self.reg.iris
        graph = iris.restricted_graph("openlineage-run", event.run_id)
        run = iris.record("openlineage-run", event.run_id)
        job = URIRef(f"{iris.base}/openlineage-job/{lineage_key(event.job_namespace, event.job_name)}")
        before = self.reg.store.graph(graph)
        t: set[Triple] = set(before)
        stamp = Literal(event.event_time.astimezone(dt.UTC).isoformat(), datatype=XSD.dateTime)
        t |= {
            (run, RDF.type, PROV.Activity),
            (run, DCTERMS.identifier, Literal(event.run_id)),
            (run, REG.activityKind, URIRef(str(ACTIVITY_KIND) + kind)),
            (run, PROV.wasAssociatedWith, job),
            (job, RDF.type, PROV.Plan),
            (job, RDFS.label, Literal(event.job_name)),
            (job, SKOS.notation, Literal(event.job_name)),
            (job, REG.lineageNamespace, Literal(event.job_namespace)),
            (run, DCTERMS.source, Literal(event.producer)),
        }
        if event.event_type == "START":
            t.add((run, PROV.startedAtTime, stamp))
        elif event.event_type == "COMPLETE":
            t.add((run, PROV.endedAtTime, stamp))
        for p in datasets:
            ds = iris.record("dataset", p.id)
            t.add((run, PROV.used if p.ref.role == "input" else PROV.generated, ds))
        if set(before) == t:
            return False
        after = sorted(t)
        self.reg.audit.commit({graph: after}, agent=caller.agent, action="update" if before else "create",
                              record=run, kind="openlineage-run", rid=event.run_id,
                              before=audit.state_hash(before) if before else audit.EMPTY,
                              after=audit.state_hash(after))
        return True

    # ------------------------------------------------------------ all of it
    def ingest(self, data: Any, caller: Caller) -> IngestResult:
        event = parse_event(data)
        # the event's writes are synced to disk together, after the lock is released
        with self.reg.store.deferred_sync(), _INGEST_LOCK:
            planned, kind, why, warnings = self.plan(event, caller)
            writes = [p for p in planned if p.action in ("created", "updated")]
            if writes:
                self.check(writes, caller)
                self.write(writes, caller)
            recorded = event.recorded and self._run_record(event, planned, kind, caller)
        return IngestResult(event, kind, why, planned, recorded, warnings)


def run_graph(registry: Registry, run_id: str) -> Graph:
    """The PROV record of one run (restricted)."""
    g = Graph()
    for t in registry.store.graph(registry.iris.restricted_graph("openlineage-run", run_id.lower())):
        g.add(t)
    return g

