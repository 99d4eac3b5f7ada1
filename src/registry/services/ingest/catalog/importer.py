"""`registry import-catalog`: a catalogue read whole (or refused whole), then each dataset written through
the normal write path (SHACL included), creating, updating or leaving it; publishers become organisations;
records the source no longer lists are reported, never deleted."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from rdflib import Literal

from registry.domain.model import DATASET, ORGANIZATION
from registry.errors import BadInput, RegistryError, ValidationFailed
from registry.services.auth import Caller
from registry.services.ingest.catalog import ckan, dcat_us
from registry.services.ingest.catalog.dcat import RELATIVE, DcatReader, parse, parse_json_ld
from registry.services.ingest.catalog.harvest import CatalogError, Harvest, Harvested, Publisher
from registry.services.ingest.catalog.ids import dataset_id, source_hash
from registry.services.ingest.catalog.report import ImportReport
from registry.services.ingest.catalog.source import Source, detect, fetch_policy, load_json, read_source
from registry.services.ingest.catalog.values import tidy
from registry.services.ingest.loader import SYSTEM
from registry.services.records import view_etag
from registry.services.registry import Registry


@dataclass
class ImportOptions:
    #: the organisation (id) that publishes datasets whose source names no publisher
    publisher_default: str | None = None
    #: the kind given to organisations created for publishers: external or agency
    org_kind: str = "external"
    #: (name, email) of the steward of datasets whose source names no contact
    steward_default: tuple[str, str] | None = None
    #: access of datasets whose source does not say (catalogues mostly list published data)
    access_default: str = "public"
    #: the language preferred where the registry keeps one text (keywords, names, a landing page)
    lang: str = "en"
    #: one of source.FORMATS; None: told by the content, the media type or the name
    format: str | None = None
    #: fetch from any address, loopback and private networks included (by default public addresses only)
    allow_private_network: bool = False
    #: non-public networks (CIDR) a URL may reach all the same
    allow_networks: tuple[str, ...] = ()


def read(src: Source, fmt: str, lang: str) -> Harvest:
    harvest = _read(src, fmt, lang)
    for h in harvest.records:
        tidy(h)
    harvest.records.sort(key=lambda h: h.source_id)
    return harvest


def _read(src: Source, fmt: str, lang: str) -> Harvest:
    """The datasets of `src` in format `fmt`. Relative IRIs of a file are read against a recognisable
    base (dcat.RELATIVE) and given back as written; a URL's against the URL. Records belong to the
    catalogue the source names (or the URL it came from), never to a file's name or folder."""
    base = src.url or RELATIVE
    if fmt == "ckan":
        return ckan.read(load_json(src.content, "the CKAN answer"), lang, src.url)
    if fmt == "dcat-us":
        return dcat_us.read(load_json(src.content, "the data.json"), lang, base, src.url)
    g = parse_json_ld(load_json(src.content, "the JSON-LD"), base) if fmt == "json-ld" else \
        parse(src.content, fmt, base)
    return DcatReader(g, lang, src.url).harvest()


def _fill_defaults(data: dict[str, Any], options: ImportOptions) -> dict[str, Any]:
    out = dict(data)
    out.setdefault("access", options.access_default)
    public = out["access"] == "public"
    out.setdefault("personal_information", not public)
    out.setdefault("sensitivity", "unclassified" if public else "high")
    if "steward" not in out and options.steward_default is not None:
        out["steward"] = {"name": options.steward_default[0], "email": options.steward_default[1]}
    return out


def _why(e: ValidationFailed) -> str:
    """The violations in one line: "title: title is required (one non-empty text); ..."."""
    parts = [f"{x.field or x.path or 'record'}: {x.message}" + (f" (value: {x.value})" if x.value else "")
             for x in e.violations]
    return "; ".join(parts) or e.detail


class Importer:
    """One import into one registry."""

    def __init__(self, registry: Registry, options: ImportOptions, caller: Caller, report: ImportReport) -> None:
        self.registry, self.options, self.caller, self.report = registry, options, caller, report
        self.records = registry.records
        self.orgs: dict[str, str | None] = {}  # organisation id -> None when usable, else why not

    def organisation(self, pub: Publisher) -> str | None:
        """Register the publisher unless it is; None when it can be referenced, else why not."""
        if pub.id in self.orgs:
            return self.orgs[pub.id]
        if self.records.exists(ORGANIZATION, pub.id):
            self.orgs[pub.id] = None
            return None
        kind = self.options.org_kind
        try:
            self.records.write(ORGANIZATION, {"id": pub.id, "name": pub.name, "kind": kind, "parent": None},
                               self.caller, create=True)
        except ValidationFailed as e:
            self.orgs[pub.id] = f"its publisher {pub.id!r} could not be registered: " + \
                "; ".join(f"{x.field}: {x.message}" if x.field else x.message for x in e.violations)
            return self.orgs[pub.id]
        self.report.organizations_created.append({"id": pub.id, "name": pub.name, "kind": kind, "source": pub.source})
        self.orgs[pub.id] = None
        return None

    def record_id(self, h: Harvested, data: dict[str, Any]) -> tuple[str, bool]:
        """The id to write under, and whether that record exists. A record renamed in its source since an
        earlier import is found by the hash of its source identifier (which stays); an id kept from another
        registry's export that names a record from elsewhere here takes a hashed id instead."""
        rid: str = data["id"]
        if self.records.exists(DATASET, rid):
            here = self.records.get(DATASET, rid, full=False).get("source")
            theirs = data.get("source")
            if not isinstance(here, dict) or not isinstance(theirs, dict) or here.get("id") == theirs.get("id") \
                    or rid.endswith("-" + source_hash(h.source_id)):
                return rid, True
            rid = dataset_id([rid], None, h.source_id)
            if self.records.exists(DATASET, rid):
                return rid, True
        rows = self.registry.store.select(self.registry.resources.query("dataset-by-id-suffix"),
                                          {"suffix": Literal("-" + source_hash(h.source_id))})
        digest = source_hash(h.source_id)
        found = [str(r["id"]) for r in rows if re.fullmatch(r"[a-z0-9][a-z0-9.-]*-" + digest, str(r["id"]))]
        if len(found) == 1:
            return found[0], True
        return rid, False

    def one(self, h: Harvested) -> None:
        data = dict(h.data)
        entry: dict[str, Any] = {"id": data.get("id"), "source": h.source_id, "title": data.get("title")}
        if h.unreadable is not None:
            self.report.rejected.append({**entry, "reason": h.unreadable, "violations": []})
            return
        publisher = h.publisher
        if publisher is None and self.options.publisher_default:
            pid = self.options.publisher_default
            publisher = Publisher(pid, pid, "--publisher-default")
        if publisher is not None:
            data["publisher"] = publisher.id
        data = _fill_defaults(data, self.options)
        steward = data.get("steward")
        if isinstance(steward, dict) and steward.get("email") and not steward.get("name") and publisher is not None:
            # a contact with an address and no name (open.canada.ca's maintainer_email): the publisher's desk
            data["steward"] = {**steward, "name": publisher.name}
        rid, exists = self.record_id(h, data)
        data["id"] = entry["id"] = rid
        self.report.warnings += [{"id": rid, "source": h.source_id, **w} for w in h.warnings]
        if exists and "retired" in self.records.get(DATASET, rid, full=False):
            self.report.skipped.append({**entry, "reason": "retired in the registry: a retired record is not re-imported"})
            return
        try:
            rec = self.records.parse(DATASET, data)  # a record the model refuses registers no publisher either
        except ValidationFailed as e:
            self.report.rejected.append({**entry, "reason": _why(e), "violations": [x.as_json() for x in e.violations]})
            return
        before = self.records.etag(DATASET, rid) if exists else None
        rg = DATASET.to_rdf(rec, self.registry.iris)
        if before is not None and before == view_etag(list(rg.public), list(rg.restricted), full=True):
            self.report.unchanged.append(entry)  # what the registry holds already: nothing to check or write
            return
        if publisher is not None and (problem := self.organisation(publisher)) is not None:
            self.report.rejected.append({**entry, "reason": problem, "violations": []})
            return
        try:
            result = self.records.write(DATASET, data, self.caller, create=not exists, rid=rid if exists else None)
        except ValidationFailed as e:
            self.report.rejected.append({**entry, "reason": _why(e), "violations": [x.as_json() for x in e.violations]})
            return
        except RegistryError as e:
            self.report.rejected.append({**entry, "reason": e.detail, "violations": []})
            return
        if result.created:
            self.report.created.append(entry)
        elif result.etag == before:
            self.report.unchanged.append(entry)
        else:
            self.report.updated.append(entry)
        self.report.warnings += [{"id": rid, **w.as_json()} for w in result.warnings]

    def gone(self, harvest: Harvest) -> list[dict[str, Any]] | None:
        """The registry's records from the source's catalogues that the source no longer lists (None when
        the source is one page of more, or names no catalogue)."""
        catalogues = harvest.catalogues()
        if harvest.partial or not catalogues:
            return None
        listed = {h.source_id for h in harvest.records}
        out = []
        for cat in catalogues:
            rows = self.registry.store.select(self.registry.resources.query("datasets-from-catalogue"),
                                              {"catalogue": Literal(cat)})
            out += [{"id": str(r["id"]), "source": str(r["sourceId"]), "catalogue": cat,
                     "reason": "gone from the source: kept in the registry"}
                    for r in rows if str(r["sourceId"]) not in listed]
        return out


def import_catalog(registry: Registry, source: str, options: ImportOptions | None = None,
                   caller: Caller | None = None) -> ImportReport:
    """Harvest `source` (a file or URL) into the registry; returns what was created, updated, left
    unchanged, skipped and rejected (with the write path's reasons), and what is gone from the source.
    A source that cannot be read is CatalogError, and nothing is written."""
    options = options or ImportOptions()
    caller = caller or SYSTEM
    if options.org_kind not in ("external", "agency"):
        raise BadInput(f"organisations created by an import are external or agency, not {options.org_kind!r}")
    src = read_source(source, fetch_policy(options.allow_private_network, options.allow_networks))
    try:
        fmt = detect(src, options.format)
        harvest = read(src, fmt, options.lang)
    except CatalogError as e:
        raise CatalogError(f"not a catalogue: {src.describe()}: {e.detail}") from None
    report = ImportReport(source=source, format=fmt, catalogues=harvest.catalogues(), found=len(harvest.records))
    importer = Importer(registry, options, caller, report)
    for h in harvest.records:
        report.not_kept.update(h.not_kept)
        importer.one(h)
    report.gone = importer.gone(harvest)
    return report
