"""Catalogue import: a DCAT catalogue or a CKAN answer harvested into datasets through the normal write
path (SHACL included), each dataset mapped to the JSON a client would POST. The mapping, the stable ids
and the defaults are in the README's "Catalogue import"."""

from __future__ import annotations

import hashlib
import ipaddress
import json
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.term import Node

from registry.domain.model import DATASET, ORGANIZATION
from registry.errors import BadInput, RegistryError, ValidationFailed
from registry.iris import is_slug
from registry.namespaces import DCAT, DCTERMS, FOAF, RDF, REG, SKOS, VCARD
from registry.services.auth import Caller
from registry.services.ingest.fetch import SCHEME, FetchError, FetchPolicy, fetch
from registry.services.ingest.loader import SYSTEM
from registry.services.registry import Registry

ACCESS_RIGHT = "http://publications.europa.eu/resource/authority/access-right/"
EU_ACCESS = {"PUBLIC": "public", "RESTRICTED": "restricted", "NON_PUBLIC": "non-public"}
#: data.ontario.ca's access_level: datasets not yet opened are not public
ONTARIO_ACCESS = {"open": "public", "restricted": "restricted", "under_review": "non-public",
                  "to_be_opened": "non-public"}
SENSITIVITY = "https://w3id.org/gov-data-registry/vocab/sensitivity/"
RDFS_LABEL = URIRef("http://www.w3.org/2000/01/rdf-schema#label")
MAX_BYTES = 50_000_000
#: hex digits of the source identifier's hash at the end of an imported dataset's id
HASH_DIGITS = 8
FORMATS = ("turtle", "xml", "json-ld", "ckan")
_SUFFIXES = {".ttl": "turtle", ".rdf": "xml", ".xml": "xml", ".owl": "xml", ".jsonld": "json-ld"}
_MEDIA = {"text/turtle": "turtle", "application/x-turtle": "turtle", "application/rdf+xml": "xml",
          "application/ld+json": "json-ld"}


class CatalogError(BadInput):
    """The catalogue could not be read at all (not found, not reachable, not valid in any format)."""


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
    #: the language preferred among translations (titles, descriptions, keywords)
    lang: str = "en"
    #: turtle, xml, json-ld or ckan; None: told by the name, the media type or the content
    format: str | None = None
    #: fetch from any address, loopback and private networks included (by default public addresses only)
    allow_private_network: bool = False
    #: non-public networks (CIDR) a URL may reach all the same
    allow_networks: tuple[str, ...] = ()


@dataclass
class Harvested:
    """One dataset of the source, mapped to the registry's JSON."""

    source_id: str
    data: dict[str, Any]
    publisher: dict[str, str] | None = None  # {"id", "name", "source"}


@dataclass
class ImportReport:
    source: str
    format: str
    found: int = 0
    created: list[dict[str, Any]] = field(default_factory=list)
    updated: list[dict[str, Any]] = field(default_factory=list)
    unchanged: list[dict[str, Any]] = field(default_factory=list)
    rejected: list[dict[str, Any]] = field(default_factory=list)
    skipped: list[dict[str, Any]] = field(default_factory=list)
    organizations_created: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[dict[str, Any]] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {"source": self.source, "format": self.format, "found": self.found,
                "counts": {k: len(getattr(self, k)) for k in ("created", "updated", "unchanged", "rejected", "skipped",
                                                               "organizations_created")},
                "created": self.created, "updated": self.updated, "unchanged": self.unchanged,
                "rejected": self.rejected, "skipped": self.skipped,
                "organizations_created": self.organizations_created, "warnings": self.warnings}


# ------------------------------------------------------------------------------------------ ids
def slugify(text: str, max_length: int = 60) -> str:
    """A registry slug of a name: CamelCase and digits split by hyphens, lower case, ASCII."""
    text = re.sub(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Za-z])(?=[0-9])|(?<=[0-9])(?=[A-Za-z])", "-", text)
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    slug = re.sub(r"[^a-z0-9.]+", "-", text).strip("-.")
    slug = re.sub(r"-{2,}", "-", slug)[:max_length].strip("-.")
    return slug


def source_hash(source_id: str) -> str:
    return hashlib.sha256(source_id.encode("utf-8")).hexdigest()[:HASH_DIGITS]


def stable_id(name: str, source_id: str) -> str:
    """The slug of `name` and 8 hex digits of a hash of `source_id`: the same source, the same id."""
    return f"{slugify(name) or 'dataset'}-{source_hash(source_id)}"


def _local_name(iri: str) -> str:
    tail = re.split(r"[/#]", iri.rstrip("/#"))[-1]
    return tail or iri


def _date(value: Any) -> Any:
    """The date part of a date or date-time text ("2019-05-01 00:00:00", "2019-05-01T00:00:00Z"); other
    values are returned as they are, for the write path to refuse."""
    if value is None:
        return None
    s = str(value).strip()
    if not s:
        return None
    m = re.match(r"^(\d{4}-\d{2}-\d{2})(?:$|[T ])", s)
    return m.group(1) if m else s


# -------------------------------------------------------------------------------------- reading
@dataclass
class Source:
    """What was read: its bytes, media type (over HTTP), name, and HTTP status (None for a file)."""

    content: bytes
    media: str | None
    name: str
    status: int | None = None

    def describe(self) -> str:
        """What was read, in words for an error: never any of its bytes."""
        if self.status is None:
            return f"the file {self.name} ({len(self.content)} bytes)"
        return f"the answer of {self.name} (HTTP {self.status}, {self.media or 'no media type'}, " \
               f"{len(self.content)} bytes)"


def fetch_policy(options: ImportOptions) -> FetchPolicy:
    try:
        networks = tuple(ipaddress.ip_network(n, strict=False) for n in options.allow_networks)
    except ValueError as e:
        raise BadInput(f"--allow-network takes networks such as 10.1.0.0/16: {e}") from None
    return FetchPolicy(allow_private=options.allow_private_network, allow_networks=networks, max_bytes=MAX_BYTES)


def read_source(source: str, policy: FetchPolicy | None = None) -> Source:
    """A file (a plain path) or an http(s) URL, fetched under `policy` (registry.fetch). Any other URL
    (file:, ftp:, data:, ...) is refused: a local file is named by its path."""
    if SCHEME.match(source):
        try:
            got = fetch(source, policy)
        except FetchError as e:
            raise CatalogError(e.detail, **e.extra) from None
        return Source(got.content, got.media, got.url, got.status)
    path = Path(source)
    if not path.is_file():
        raise CatalogError(f"no such file: {source}")
    if path.stat().st_size > MAX_BYTES:
        raise CatalogError(f"{source} is larger than {MAX_BYTES} bytes")
    return Source(path.read_bytes(), None, path.name)


def detect(content: bytes, media: str | None, name: str, fmt: str | None) -> str:
    if fmt:
        if fmt not in FORMATS:
            raise CatalogError(f"unknown format {fmt!r}: use one of {', '.join(FORMATS)}")
        return fmt
    head = content.lstrip()[:4096]
    if head[:1] in (b"{", b"["):
        if b'"@context"' in head or b'"@graph"' in head or b'"@id"' in head or media == "application/ld+json":
            return "json-ld"
        return "ckan"
    if media in _MEDIA:
        return _MEDIA[media]
    for suffix, how in _SUFFIXES.items():
        if name.lower().split("?")[0].endswith(suffix):
            return how
    if head.startswith(b"<?xml") or head.startswith(b"<rdf:RDF") or head.startswith(b"<"):
        return "xml" if b"rdf:RDF" in head or b"RDF" in head else "turtle"
    return "turtle"


# ----------------------------------------------------------------------------------------- DCAT
class _Dcat:
    def __init__(self, g: Graph, lang: str) -> None:
        self.g, self.lang = g, lang

    def text(self, s: Node, *preds: URIRef) -> str | None:
        for p in preds:
            values = [o for o in self.g.objects(s, p) if isinstance(o, Literal)]
            if values:
                return str(self._preferred(values)[0]).strip() or None
        return None

    def _preferred(self, values: list[Literal]) -> list[Literal]:
        def rank(v: Literal) -> tuple[int, str]:
            lang = (v.language or "").lower()
            return (0 if lang.split("-")[0] == self.lang else 1 if not lang else 2, str(v))
        return sorted(values, key=rank)

    def texts(self, s: Node, p: URIRef) -> list[str]:
        values = [o for o in self.g.objects(s, p) if isinstance(o, Literal)]
        preferred = [v for v in values if (v.language or "").split("-")[0].lower() in ("", self.lang)]
        chosen = preferred or values
        return sorted({str(v).strip() for v in chosen if str(v).strip()})

    def label(self, node: Node) -> str | None:
        return self.text(node, FOAF.name, SKOS.prefLabel, VCARD.fn, VCARD["organization-name"], RDFS_LABEL,
                         DCTERMS.title)

    def datasets(self) -> list[Harvested]:
        out = []
        for s in sorted(set(self.g.subjects(RDF.type, DCAT.Dataset)), key=str):
            out.append(self.dataset(s))
        return out

    def dataset(self, s: Node) -> Harvested:
        g = self.g
        ident = self.text(s, DCTERMS.identifier)
        source_id = str(s) if isinstance(s, URIRef) else (ident or str(s))
        name = ident if ident and not ident.startswith(("http://", "https://")) else _local_name(source_id)
        data: dict[str, Any] = {"id": stable_id(name, source_id)}
        if (title := self.text(s, DCTERMS.title)) is not None:
            data["title"] = title
        if (desc := self.text(s, DCTERMS.description)) is not None:
            data["description"] = desc
        keywords = self.texts(s, DCAT.keyword)
        if keywords:
            data["keywords"] = keywords
        themes = sorted({self.label(t) or str(t) for t in g.objects(s, DCAT.theme)})
        if themes:
            data["themes"] = themes
        if (lic := self.licence(s)) is not None:
            data["licence"] = lic
        access = g.value(s, DCTERMS.accessRights)
        if access is not None:
            data["access"] = self.access(access)
        sens = g.value(s, REG.sensitivity)
        if sens is not None and str(sens).startswith(SENSITIVITY):
            data["sensitivity"] = str(sens)[len(SENSITIVITY):]
        pi = g.value(s, REG.containsPersonalInformation)
        if isinstance(pi, Literal) and isinstance(pi.toPython(), bool):
            data["personal_information"] = pi.toPython()
        for key, pred in (("issued", DCTERMS.issued), ("modified", DCTERMS.modified)):
            v = g.value(s, pred)
            if v is not None:
                data[key] = _date(v)
        steward = self.contact(s)
        if steward:
            data["steward"] = steward
        publisher = None
        pub = g.value(s, DCTERMS.publisher)
        if pub is not None:
            pname = self.label(pub)
            psource = str(pub) if isinstance(pub, URIRef) else (pname or "")
            readable = pname or (_local_name(str(pub)) if isinstance(pub, URIRef) else "")
            if readable:
                publisher = {"id": slugify(readable), "name": pname or _spaced(readable), "source": psource}
        return Harvested(source_id, data, publisher)

    def licence(self, s: Node) -> str | None:
        lic = self.g.value(s, DCTERMS.license)
        if lic is None:
            found = {self.g.value(d, DCTERMS.license) for d in self.g.objects(s, DCAT.distribution)}
            found.discard(None)
            lic = found.pop() if len(found) == 1 else None
        if lic is None:
            return None
        if isinstance(lic, BNode):
            return self.label(lic)
        return str(lic)

    def access(self, node: Node) -> str:
        s = str(node)
        if s.startswith(ACCESS_RIGHT) and s[len(ACCESS_RIGHT):] in EU_ACCESS:
            return EU_ACCESS[s[len(ACCESS_RIGHT):]]
        if isinstance(node, Literal) and s.strip().lower() in ("public", "restricted", "non-public"):
            return s.strip().lower()
        label = self.label(node) if not isinstance(node, Literal) else None
        return label or s  # unknown: the write path refuses it and names it

    def contact(self, s: Node) -> dict[str, str] | None:
        cp = self.g.value(s, DCAT.contactPoint)
        if cp is None:
            return None
        name = self.text(cp, VCARD.fn, VCARD["organization-name"], FOAF.name)
        email_node = self.g.value(cp, VCARD.hasEmail)
        if email_node is None:
            email_node = self.g.value(cp, FOAF.mbox)
        email = None
        if email_node is not None:
            email = str(email_node)
            if not isinstance(email_node, Literal) and self.g.value(email_node, VCARD.value) is not None:
                email = str(self.g.value(email_node, VCARD.value))
            email = email.removeprefix("mailto:")
        out = {k: v for k, v in (("name", name), ("email", email)) if v}
        return out or None


def _spaced(name: str) -> str:
    return re.sub(r"(?<=[a-z])(?=[A-Z])", " ", name).replace("-", " ").replace("_", " ").strip()


def from_dcat(content: bytes, fmt: str, lang: str, base: str) -> list[Harvested]:
    g = Graph()
    try:
        if fmt == "json-ld":
            doc = json.loads(content)
            if _remote_context(doc):
                raise CatalogError("the JSON-LD names a remote @context or an @import: inline it (contexts are "
                                   "never fetched)")
            g.parse(data=json.dumps(doc), format="json-ld", publicID=base)
        else:
            g.parse(data=content, format=fmt, publicID=base)
    except CatalogError:
        raise
    except Exception as e:  # rdflib's parsers raise many types; their messages quote the input
        raise CatalogError(f"the catalogue is not valid {fmt}{_where(e)}") from None
    if not set(g.subjects(RDF.type, DCAT.Dataset)):
        raise CatalogError(f"the catalogue ({fmt}, {len(g)} triples) describes no dcat:Dataset")
    return _Dcat(g, lang).datasets()


def _where(e: Exception) -> str:
    """Where a parser stopped (" at line 3"), from the exception's fields, never its message (which
    quotes the input)."""
    line = getattr(e, "lineno", None) if isinstance(e, json.JSONDecodeError) else None
    if isinstance(getattr(e, "lines", None), int):  # rdflib's BadSyntax counts from 0
        line = e.lines + 1  # type: ignore[attr-defined]
    get_line = getattr(e, "getLineNumber", None)  # xml.sax's SAXParseException
    if line is None and callable(get_line):
        line = get_line()
    return f" at line {line}" if isinstance(line, int) else ""


def _remote_context(doc: Any) -> bool:
    """Whether a JSON-LD document names a context to fetch: a string @context, or an @import anywhere."""
    if isinstance(doc, dict):
        ctx = doc.get("@context")
        items = ctx if isinstance(ctx, list) else [ctx]
        if any(isinstance(c, str) for c in items) or "@import" in doc:
            return True
        return any(_remote_context(v) for v in doc.values() if isinstance(v, dict | list))
    if isinstance(doc, list):
        return any(_remote_context(v) for v in doc)
    return False


# ----------------------------------------------------------------------------------------- CKAN
def ckan_packages(doc: Any) -> list[dict[str, Any]]:
    """The packages of a package_search answer ({"result": {"results": [...]}}), of its `result`, or a list."""
    if isinstance(doc, dict) and doc.get("success") is False:
        raise CatalogError("the CKAN answer reports a failure (\"success\": false)")
    if isinstance(doc, dict) and "result" in doc:
        doc = doc["result"]
    if isinstance(doc, dict) and isinstance(doc.get("results"), list):
        doc = doc["results"]
    if isinstance(doc, dict) and "name" in doc and "id" in doc:
        doc = [doc]  # one package_show answer
    if not isinstance(doc, list) or not all(isinstance(p, dict) for p in doc):
        raise CatalogError("not a CKAN package_search answer: expected {\"result\": {\"results\": [packages]}}")
    return doc


def _translated(pkg: dict[str, Any], key: str, lang: str) -> str | None:
    tr = pkg.get(f"{key}_translated")
    if isinstance(tr, dict):
        v = tr.get(lang) or next((x for x in tr.values() if isinstance(x, str) and x.strip()), None)
        if isinstance(v, str) and v.strip():
            return v.strip()
    v = pkg.get(key)
    return v.strip() if isinstance(v, str) and v.strip() else None


def _bilingual(text: str, lang: str) -> str:
    """open.canada.ca names organisations "Health Canada | Santé Canada": the part in `lang`."""
    parts = [p.strip() for p in text.split(" | ")]
    return parts[1] if lang == "fr" and len(parts) == 2 else parts[0]


def from_ckan(pkg: dict[str, Any], lang: str) -> Harvested:
    uuid = str(pkg.get("id") or pkg.get("name") or "")
    name = str(pkg.get("name") or uuid)
    data: dict[str, Any] = {"id": stable_id(name, uuid or name)}
    if (title := _translated(pkg, "title", lang)) is not None:
        data["title"] = title
    if (notes := _translated(pkg, "notes", lang)) is not None:
        data["description"] = notes
    kw = pkg.get("keywords")
    keywords: Iterable[Any]
    if isinstance(kw, dict):
        keywords = kw.get(lang) or next(iter(kw.values()), [])
    else:
        keywords = [t.get("display_name") or t.get("name") for t in pkg.get("tags") or [] if isinstance(t, dict)]
    keywords = sorted({str(k).strip() for k in keywords if k and str(k).strip()})
    if keywords:
        data["keywords"] = keywords
    groups = sorted({str(gr.get("title") or gr.get("display_name") or gr.get("name")).strip()
                     for gr in pkg.get("groups") or [] if isinstance(gr, dict)} - {"None", ""})
    if groups:
        data["themes"] = groups
    lic = pkg.get("license_url") or pkg.get("license_title") or pkg.get("license_id")
    if isinstance(lic, str) and lic.strip():
        data["licence"] = lic.strip()
    if "access_level" in pkg and pkg["access_level"] not in (None, ""):
        level = str(pkg["access_level"])
        data["access"] = ONTARIO_ACCESS.get(level, level)
    elif isinstance(pkg.get("private"), bool):
        data["access"] = "non-public" if pkg["private"] else "public"
    elif pkg.get("private") is not None:
        data["access"] = str(pkg["private"])
    issued = pkg.get("date_published") or pkg.get("metadata_created")
    if issued:
        data["issued"] = _date(issued)
    if pkg.get("metadata_modified"):
        data["modified"] = _date(pkg["metadata_modified"])
    steward_name = _translated(pkg, "maintainer", lang) or pkg.get("maintainer_name") or pkg.get("author")
    steward_email = pkg.get("maintainer_email") or pkg.get("author_email")
    steward = {k: str(v).strip() for k, v in (("name", steward_name), ("email", steward_email)) if v and str(v).strip()}
    if steward:
        data["steward"] = steward
    publisher = None
    org = pkg.get("organization")
    if isinstance(org, dict) and (org.get("name") or org.get("title")):
        title = _bilingual(str(org.get("title") or org.get("name")), lang)
        oid = str(org.get("name") or "")
        publisher = {"id": oid if is_slug(oid) else slugify(oid or title), "name": title,
                     "source": str(org.get("id") or oid)}
    return Harvested(uuid or name, data, publisher)


# --------------------------------------------------------------------------------------- import
def harvest(content: bytes, fmt: str, options: ImportOptions, base: str) -> list[Harvested]:
    if fmt == "ckan":
        try:
            doc = json.loads(content)
        except (json.JSONDecodeError, UnicodeDecodeError) as e:
            raise CatalogError(f"the CKAN answer is not valid JSON{_where(e)}") from None
        return [from_ckan(p, options.lang) for p in ckan_packages(doc)]
    return from_dcat(content, fmt, options.lang, base)


def _fill_defaults(data: dict[str, Any], options: ImportOptions) -> dict[str, Any]:
    out = dict(data)
    out.setdefault("access", options.access_default)
    public = out["access"] == "public"
    out.setdefault("personal_information", not public)
    out.setdefault("sensitivity", "unclassified" if public else "high")
    if "steward" not in out and options.steward_default is not None:
        out["steward"] = {"name": options.steward_default[0], "email": options.steward_default[1]}
    return out


def _by_source_hash(registry: Registry, digest: str) -> str | None:
    rows = registry.store.select(registry.resources.query("dataset-by-id-suffix"), {"suffix": Literal("-" + digest)})
    found = [str(r["id"]) for r in rows if re.fullmatch(r"[a-z0-9][a-z0-9.-]*-" + digest, str(r["id"]))]
    return found[0] if len(found) == 1 else None


def _why(e: ValidationFailed) -> str:
    """The violations in one line: "title: title is required (one non-empty text); ..."."""
    parts = [f"{v.field or v.path or 'record'}: {v.message}" + (f" (value: {v.value})" if v.value else "")
             for v in e.violations]
    return "; ".join(parts) or e.detail


def _entry(h: Harvested, data: dict[str, Any]) -> dict[str, Any]:
    return {"id": data["id"], "source": h.source_id, "title": data.get("title")}


def import_catalog(registry: Registry, source: str, options: ImportOptions | None = None,
                   caller: Caller | None = None) -> ImportReport:
    """Harvest `source` (a file or URL) into the registry; returns what was created, updated, left
    unchanged, skipped and rejected (with the write path's reasons)."""
    options = options or ImportOptions()
    caller = caller or SYSTEM
    if options.org_kind not in ("external", "agency"):
        raise BadInput(f"organisations created by an import are external or agency, not {options.org_kind!r}")
    src = read_source(source, fetch_policy(options))
    fmt = detect(src.content, src.media, src.name, options.format)
    try:
        harvested = harvest(src.content, fmt, options, source)
    except CatalogError as e:
        raise CatalogError(f"not a catalogue: {src.describe()}: {e.detail}") from None
    report = ImportReport(source=source, format=fmt, found=len(harvested))
    records = registry.records
    org_ok: dict[str, str | None] = {}  # organisation id -> None when usable, else why not

    def ensure_org(oid: str, name: str, source_ref: str) -> str | None:
        if oid in org_ok:
            return org_ok[oid]
        if records.exists(ORGANIZATION, oid):
            org_ok[oid] = None
            return None
        try:
            records.write(ORGANIZATION, {"id": oid, "name": name, "kind": options.org_kind, "parent": None},
                          caller, create=True)
        except ValidationFailed as e:
            org_ok[oid] = f"its publisher {oid!r} could not be registered: " + \
                "; ".join(f"{v.field}: {v.message}" if v.field else v.message for v in e.violations)
            return org_ok[oid]
        report.organizations_created.append({"id": oid, "name": name, "kind": options.org_kind, "source": source_ref})
        org_ok[oid] = None
        return None

    for h in harvested:
        data = dict(h.data)
        publisher = h.publisher
        if publisher is None and options.publisher_default:
            publisher = {"id": options.publisher_default, "name": options.publisher_default, "source": "--publisher-default"}
        problem = None
        if publisher is not None:
            data["publisher"] = publisher["id"]
            problem = ensure_org(publisher["id"], publisher["name"], publisher["source"])
        data = _fill_defaults(data, options)
        steward = data.get("steward")
        if isinstance(steward, dict) and steward.get("email") and not steward.get("name") and publisher is not None:
            # a contact with an address and no name (open.canada.ca's maintainer_email): the publisher's desk
            data["steward"] = {**steward, "name": publisher["name"]}
        entry = _entry(h, data)
        if problem is not None:
            report.rejected.append({**entry, "reason": problem, "violations": []})
            continue
        rid = data["id"]
        exists = records.exists(DATASET, rid)
        if not exists:
            # renamed in the source since an earlier import (a CKAN name, a dct:identifier): the hash of its
            # unchanging identifier finds the record made then
            earlier = _by_source_hash(registry, source_hash(h.source_id))
            if earlier is not None:
                rid = data["id"] = earlier
                entry["id"] = earlier
                exists = True
        if exists and "retired" in records.get(DATASET, rid, full=False):
            report.skipped.append({**entry, "reason": "retired in the registry: a retired record is not re-imported"})
            continue
        before = records.etag(DATASET, rid) if exists else None
        try:
            result = records.write(DATASET, data, caller, create=not exists, rid=rid if exists else None)
        except ValidationFailed as e:
            report.rejected.append({**entry, "reason": _why(e), "violations": [v.as_json() for v in e.violations]})
            continue
        except RegistryError as e:
            report.rejected.append({**entry, "reason": e.detail, "violations": []})
            continue
        if result.created:
            report.created.append(entry)
        elif result.etag == before:
            report.unchanged.append(entry)
        else:
            report.updated.append(entry)
        report.warnings += [{"id": rid, **w.as_json()} for w in result.warnings]
    return report
