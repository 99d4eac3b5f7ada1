"""DCAT catalogues (DCAT 3, DCAT-AP and its national profiles) in any RDF syntax rdflib reads, named graphs
included: each dataset mapped to the registry's JSON (README, "Catalogue import")."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import rdflib
from rdflib import BNode, Dataset, Graph, Literal, Namespace, URIRef
from rdflib.term import Node

from registry.domain.model.dcat import DCAT_VERSION, SPDX
from registry.namespaces import ADMS, DCAT, DCTERMS, FOAF, ORG, RDF, RDFS, REG, SENSITIVITY, SKOS, VCARD
from registry.services.ingest.catalog import values as v
from registry.services.ingest.catalog.harvest import CatalogError, Harvest, Harvested, Publisher
from registry.services.ingest.catalog.ids import dataset_id, kept_id, readable, slugify, tail
from registry.services.ingest.catalog.source import where
from registry.services.reports.catalog import NO_DESCRIPTION

#: the base a file's relative IRIs are read against: recognisable, so they are given back as written
#: (a relative `mailto` stays an address, and a dataset's identity never holds the file's path)
RELATIVE = "http://relative.invalid/"
POD = Namespace("https://project-open-data.cio.gov/v1.1/schema#")
LOCN = Namespace("http://www.w3.org/ns/locn#")
SCHEMA = Namespace("http://schema.org/")
TIME = Namespace("http://www.w3.org/2006/time#")
OWL = Namespace("http://www.w3.org/2002/07/owl#")
DCATAP = Namespace("http://data.europa.eu/r5r/")
HYDRA = Namespace("http://www.w3.org/ns/hydra/core#")
#: a document of these types is one page of a larger whole (a TREE / LDES fragment, a Hydra page)
PAGES = (URIRef("https://w3id.org/tree#Node"), URIRef("https://w3id.org/ldes#EventStream"),
         HYDRA.PartialCollectionView, HYDRA.PagedCollection)
EU_ACCESS = {"PUBLIC": "public", "RESTRICTED": "restricted", "NON_PUBLIC": "non-public"}
#: DCAT-US accessLevel -> access
POD_ACCESS = {"public": "public", "restricted public": "restricted", "non-public": "non-public"}
#: prefixes of the field names in the report's "fields not kept"
CURIES = {"dct": DCTERMS, "dcat": DCAT, "foaf": FOAF, "vcard": VCARD, "adms": ADMS, "skos": SKOS, "pod": POD,
          "spdx": SPDX, "locn": LOCN, "schema": SCHEMA, "owl": OWL, "rdfs": RDFS, "org": ORG, "dcatap": DCATAP,
          "prov": Namespace("http://www.w3.org/ns/prov#"), "dc": Namespace("http://purl.org/dc/elements/1.1/"),
          "dcatapit": Namespace("http://dati.gov.it/onto/dcatapit#"), "wdrs": Namespace("http://www.w3.org/2007/05/powder-s#"),
          "reg": REG._NS}
LABELS = (FOAF.name, SKOS.prefLabel, VCARD.fn, VCARD["organization-name"], RDFS.label, DCTERMS.title)
#: what the mapping reads of a dataset, a distribution, a contact point (anything else is "not kept")
DATASET_READS = {RDF.type, DCTERMS.identifier, DCTERMS.title, DCTERMS.description, DCAT.keyword, DCAT.theme,
                 DCTERMS.license, DCTERMS.accessRights, POD.accessLevel, REG.sensitivity,
                 REG.containsPersonalInformation, DCTERMS.issued, DCTERMS.modified, DCAT.contactPoint,
                 DCTERMS.publisher, DCAT.landingPage, DCTERMS.language, DCTERMS.accrualPeriodicity, DCTERMS.spatial,
                 DCTERMS.temporal, DCAT_VERSION, OWL.versionInfo, ADMS.version, DCTERMS.conformsTo, DCAT.distribution}
DISTRIBUTION_READS = {RDF.type, DCTERMS.title, DCTERMS.description, DCAT.accessURL, DCAT.downloadURL, DCAT.mediaType,
                      DCTERMS["format"], DCAT.byteSize, DCTERMS.license, SPDX.checksum, DCTERMS.language,
                      DCTERMS.issued, DCTERMS.modified}
CONTACT_READS = {RDF.type, VCARD.fn, VCARD["organization-name"], FOAF.name, VCARD.hasEmail, FOAF.mbox}


@contextmanager
def as_written() -> Iterator[None]:
    """Literals as the source wrote them, read by the import itself (a date-time typed as a date keeps its
    date, with a warning in the report): rdflib would otherwise shorten some to their value without a word
    and log a traceback for each it cannot read. (Both are rdflib's process-wide settings: the import runs
    in the command's own process.)"""
    log = logging.getLogger("rdflib.term")
    drop = logging.Filter("-")  # passes no record: its name matches no logger
    log.addFilter(drop)
    normalize, rdflib.NORMALIZE_LITERALS = rdflib.NORMALIZE_LITERALS, False
    try:
        yield
    finally:
        rdflib.NORMALIZE_LITERALS = normalize
        log.removeFilter(drop)


def parse(content: bytes | str, fmt: str, base: str) -> Graph:
    """Every triple of the document, of its default graph and its named graphs alike; CatalogError (with
    the line) when it is not valid `fmt`."""
    quads = fmt in ("trig", "nquads")
    g: Graph = Dataset() if quads else Graph()
    try:
        with as_written():
            g.parse(data=content, format=fmt, publicID=base)
    except Exception as e:  # rdflib's parsers raise many types; their messages quote the input
        raise CatalogError(f"the catalogue is not valid {fmt}{where(e, content)}") from None
    if not quads:
        return g
    union = Graph()
    for s, p, o, _ in g.quads((None, None, None, None)):  # type: ignore[attr-defined]
        union.add((s, p, o))
    return union


def remote_context(doc: Any) -> bool:
    """Whether a JSON-LD document names a context to fetch: a string @context, or an @import anywhere."""
    if isinstance(doc, dict):
        ctx = doc.get("@context")
        items = ctx if isinstance(ctx, list) else [ctx]
        if any(isinstance(c, str) for c in items) or "@import" in doc:
            return True
        return any(remote_context(x) for x in doc.values() if isinstance(x, dict | list))
    if isinstance(doc, list):
        return any(remote_context(x) for x in doc)
    return False


def parse_json_ld(doc: Any, base: str) -> Graph:
    if remote_context(doc):
        raise CatalogError("the JSON-LD names a remote @context or an @import: inline it (contexts are never "
                           "fetched; a DCAT-US data.json's official context is known: --format dcat-us)")
    return parse(json.dumps(doc), "json-ld", base)


def unbased(node: Node | str, base: str = RELATIVE) -> str:
    """An IRI as the source wrote it: a relative one read against `RELATIVE` is given back relative."""
    s = str(node)
    return s[len(base):] if s.startswith(base) else s


class DcatReader:
    """Maps the datasets of one RDF graph."""

    def __init__(self, g: Graph, lang: str, catalogue: str | None) -> None:
        self.g, self.lang, self.catalogue = g, lang, catalogue

    # -------------------------------------------------------------- texts
    def literals(self, s: Node, p: URIRef) -> list[Literal]:
        return [o for o in self.g.objects(s, p) if isinstance(o, Literal) and str(o).strip()]

    def _rank(self, lit: Literal) -> tuple[int, str]:
        lang = (lit.language or "").lower()
        return (0 if lang.split("-")[0] == self.lang else 1 if not lang else 2, str(lit))

    def text(self, s: Node, *preds: URIRef) -> str | None:
        """The first non-empty text of the first predicate that has one, in the preferred language first."""
        for p in preds:
            found = self.literals(s, p)
            if found:
                return str(min(found, key=self._rank)).strip()
        return None

    def texts(self, s: Node, p: URIRef) -> list[str]:
        """The texts in the preferred language (or untagged); all of them when none is."""
        found = self.literals(s, p)
        preferred = [x for x in found if (x.language or "").split("-")[0].lower() in ("", self.lang)]
        return sorted({str(x).strip() for x in (preferred or found)})

    def language_map(self, s: Node, p: URIRef, default: str | None) -> str | dict[str, str] | None:
        found = sorted(self.literals(s, p), key=lambda x: (x.language or "", str(x)))
        return v.language_map(((x.language, str(x)) for x in found), default)

    def label(self, node: Node) -> str | None:
        return self.text(node, *LABELS)

    def iri_or_label(self, node: Node) -> str | None:
        """A node as a value: a literal's text, an IRI (as written), a blank node's label."""
        if isinstance(node, Literal):
            return v.clean(node)
        if isinstance(node, URIRef):
            return v.clean(unbased(node))
        return self.label(node)

    # ----------------------------------------------------------- datasets
    def dataset_nodes(self) -> list[Node]:
        """Subjects typed dcat:Dataset and the objects of dcat:dataset (a data.json's datasets carry no type)."""
        found = set(self.g.subjects(RDF.type, DCAT.Dataset)) | set(self.g.objects(None, DCAT.dataset))
        return sorted((n for n in found if not isinstance(n, Literal)), key=str)

    def harvest(self) -> Harvest:
        nodes = self.dataset_nodes()
        if not nodes:
            raise CatalogError(f"the catalogue ({len(self.g)} triples) describes no dcat:Dataset")
        paged = any(True for t in PAGES for _ in self.g.subjects(RDF.type, t)) or \
            any(True for _ in self.g.triples((None, HYDRA.next, None)))
        return Harvest([self.dataset(n) for n in nodes], partial=paged)

    def dataset(self, s: Node) -> Harvested:
        g = self.g
        ident = self.text(s, DCTERMS.identifier)
        iri = unbased(s) if isinstance(s, URIRef) else None
        source_id = iri or ident or str(s)
        rec = Harvested(source_id, {})
        data = rec.data
        langs = sorted({x for o in g.objects(s, DCTERMS.language) if (x := v.language(self.iri_or_label(o)))})
        default = langs[0] if len(langs) == 1 else None
        title = self.language_map(s, DCTERMS.title, default)
        plain_title = title if isinstance(title, str) else self.text(s, DCTERMS.title)
        data["id"] = kept_id(ident, iri) or dataset_id(
            [tail(ident) if ident else None, tail(iri) if iri else None], plain_title, source_id)
        if title is not None:
            data["title"] = title
        desc = self.language_map(s, DCTERMS.description, default)
        if desc is not None and desc not in (NO_DESCRIPTION, {"en": NO_DESCRIPTION}):
            data["description"] = desc  # a registry's /catalog says NO_DESCRIPTION where a record has none
        keywords, themes = set(self.texts(s, DCAT.keyword)), set()
        for o in g.objects(s, DCAT.theme):  # a theme outside the registry's vocabulary is a keyword
            if (code := v.theme(self.iri_or_label(o))) is not None:
                themes.add(code)
            elif (word := self.label(o) if not isinstance(o, Literal) else None) or (word := self.iri_or_label(o)):
                keywords.add(word)
        if keywords:
            data["keywords"] = sorted(keywords)
        if themes:
            data["themes"] = sorted(themes)
        if (lic := self.licence(s)) is not None:
            data["license"] = lic
        self.access(s, rec)
        sens = g.value(s, REG.sensitivity)
        if sens is not None and str(sens).startswith(str(SENSITIVITY)):
            data["sensitivity"] = str(sens)[len(str(SENSITIVITY)):]
        pi = g.value(s, REG.containsPersonalInformation)
        if isinstance(pi, Literal) and isinstance(pi.toPython(), bool):
            data["personal_information"] = pi.toPython()
        for key, pred in (("issued", DCTERMS.issued), ("modified", DCTERMS.modified)):
            if (when := self.one(s, pred, rec)) is not None and (d := v.date(when, key, rec)) is not None:
                data[key] = d
        if (page := self.landing_page(s, rec)) is not None and not page.endswith(f"/datasets/{data['id']}"):
            data["landing_page"] = page  # (a registry's /catalog names its own page where a record has none)
        if langs:
            data["language"] = langs
        self.frequency(s, rec)
        places = {x: self.numbered(s, "spatial", o) for o in g.objects(s, DCTERMS.spatial) if (x := self.place(o))}
        if places:  # a registry's named places in its numbering ({dataset}/spatial/{n}), then the others
            data["spatial"] = sorted(places, key=lambda x: (places[x], x))
        self.temporal(s, rec)
        version = self.text(s, DCAT_VERSION, OWL.versionInfo, ADMS.version)
        if version:
            data["version"] = version
        if conforms := sorted({x for o in g.objects(s, DCTERMS.conformsTo) if (x := self.iri_or_label(o))}):
            data["conforms_to"] = conforms
        if (contact := self.contact(s, rec)) is not None:
            data["contact_point"] = contact
            if "email" in contact:  # the steward the source names: its contact, when it can be reached
                data["steward"] = dict(contact)
        dists = [(self.numbered(s, "distribution", d), self.distribution(d, rec)) for d in g.objects(s, DCAT.distribution)]
        if dists:  # a set in RDF: a registry's in its numbering ({dataset}/distribution/{n}), others by content
            dists.sort(key=lambda x: (x[0], json.dumps(x[1], sort_keys=True)))
            data["distributions"] = [d for _, d in dists]
        data["source"] = self.source(s, source_id)
        rec.publisher = self.publisher(s, rec)
        self.not_kept(s, DATASET_READS, "", rec)
        return rec

    @staticmethod
    def numbered(s: Node, what: str, node: Node) -> int:
        """n of a registry's node {dataset}/{what}/{n}; after every such number for any other node."""
        m = re.fullmatch(re.escape(f"{s}/{what}/") + r"([1-9][0-9]{0,8})", str(node))
        return int(m.group(1)) if m else 1 << 62

    def one(self, s: Node, p: URIRef, rec: Harvested) -> Node | None:
        """The value of a field the registry holds once: the first non-empty one, the others counted as not
        kept."""
        found = sorted((o for o in self.g.objects(s, p) if str(o).strip() or not isinstance(o, Literal)), key=str)
        if len(found) > 1:
            rec.drop(self.curie(p), len(found) - 1)
        return found[0] if found else None

    def licence(self, s: Node) -> str | None:
        """The dataset's licence: a non-empty one (an IRI before a text); else the one all its distributions
        name. An empty `dct:license` beside a real one is no licence."""
        found = [x for o in self.g.objects(s, DCTERMS.license) if (x := self.licence_value(o))]
        if not found:
            dists = {self.licence_value(o) for d in self.g.objects(s, DCAT.distribution)
                     for o in self.g.objects(d, DCTERMS.license)}
            dists.discard(None)
            found = [x for x in dists if x] if len(dists) == 1 else []
        found.sort(key=lambda x: (not v.is_url(x), x))
        return found[0] if found else None

    def licence_value(self, node: Node) -> str | None:
        if isinstance(node, BNode):
            return self.label(node)
        return self.iri_or_label(node)

    def access(self, s: Node, rec: Harvested) -> None:
        node = self.g.value(s, DCTERMS.accessRights)
        level = self.g.value(s, POD.accessLevel)
        if level is not None and str(level).strip().lower() in POD_ACCESS:
            rec.data["access"] = POD_ACCESS[str(level).strip().lower()]
        elif node is not None:
            code = str(node).rsplit("/", 1)[-1]
            if str(node).startswith(v.EU + "access-right/") and code in EU_ACCESS:
                rec.data["access"] = EU_ACCESS[code]
            elif isinstance(node, Literal) and str(node).strip().lower() in ("public", "restricted", "non-public"):
                rec.data["access"] = str(node).strip().lower()
            else:  # unknown: the write path refuses it and names it
                rec.data["access"] = (self.label(node) if not isinstance(node, Literal) else None) or str(node)
        elif level is not None:
            rec.data["access"] = str(level)

    def landing_page(self, s: Node, rec: Harvested) -> str | None:
        """One landing page: of several (one per language), the one in the preferred language's path."""
        pages = sorted(x for o in self.g.objects(s, DCAT.landingPage) if (x := self.iri_or_label(o)))
        if not pages:
            return None
        if len(pages) > 1:
            rec.drop("dcat:landingPage", len(pages) - 1)
        return next((p for p in pages if f"/{self.lang}/" in p), pages[0])

    def frequency(self, s: Node, rec: Harvested) -> None:
        node = self.one(s, DCTERMS.accrualPeriodicity, rec)
        if node is None:
            return
        raw = self.iri_or_label(node)
        name = v.frequency(raw) or v.frequency(self.label(node) if not isinstance(node, Literal) else None)
        if name is None:
            rec.warn("frequency", f"a frequency the registry does not know ({(raw or '')[:80]}): not kept")
            rec.drop("dct:accrualPeriodicity")
            return
        rec.data["frequency"] = name

    def place(self, node: Node) -> str | None:
        if isinstance(node, Literal):
            return v.clean(node)
        name = self.text(node, SKOS.prefLabel, LOCN.geographicName, RDFS.label, DCTERMS.title)
        if name:
            return name
        return v.clean(unbased(node)) if isinstance(node, URIRef) else None

    def temporal(self, s: Node, rec: Harvested) -> None:
        """`temporal`: a dct:PeriodOfTime (DCAT's, schema.org's or OWL-Time's start and end) or an ISO 8601
        interval text; of several periods, the span from the earliest start to the latest end."""
        spans = []
        for node in self.g.objects(s, DCTERMS.temporal):
            span: dict[str, str] | None
            if isinstance(node, Literal):
                span = v.interval(node, "temporal", rec)
            else:
                span = {}
                for key, preds in (("start", (DCAT.startDate, SCHEMA.startDate)), ("end", (DCAT.endDate, SCHEMA.endDate))):
                    value = next((o for p in preds for o in self.g.objects(node, p)), None)
                    if value is None:
                        edge = self.g.value(node, TIME.hasBeginning if key == "start" else TIME.hasEnd)
                        value = next((o for p in (TIME.inXSDDate, TIME.inXSDDateTimeStamp, TIME.inXSDDateTime)
                                      for o in self.g.objects(edge, p)), None) if edge is not None else None
                    if value is not None and (d := v.date(value, "temporal", rec)) is not None:
                        span[key] = d
            if span:
                spans.append(span)
        if not spans:
            return
        if len(spans) > 1:
            rec.warn("temporal", f"{len(spans)} periods: the span from the earliest start to the latest end is kept")
        out = {}
        starts = [x["start"] for x in spans if "start" in x]
        ends = [x["end"] for x in spans if "end" in x]
        if starts:
            out["start"] = min(starts)
        if ends:
            out["end"] = max(ends)
        rec.data["temporal"] = out

    def contact(self, s: Node, rec: Harvested) -> dict[str, str] | None:
        cp = self.one(s, DCAT.contactPoint, rec)
        registry_record = kept_id(self.text(s, DCTERMS.identifier), unbased(s)) is not None
        if cp is None or (registry_record and cp != URIRef(f"{s}/contact-point")):
            return None  # a registry's /catalog names the publisher where a record has no contact point
        if isinstance(cp, Literal):
            address = v.email(cp) if "@" in str(cp) else None
            return {"email": address} if address else ({"name": str(cp).strip()} if str(cp).strip() else None)
        name = self.text(cp, VCARD.fn, VCARD["organization-name"], FOAF.name)
        node = self.g.value(cp, VCARD.hasEmail)
        if node is None:
            node = self.g.value(cp, FOAF.mbox)
        address = None
        if node is not None:
            if not isinstance(node, Literal) and self.g.value(node, VCARD.value) is not None:
                node = self.g.value(node, VCARD.value)
            address = v.email(unbased(node) if node is not None else None)
        self.not_kept(cp, CONTACT_READS, "contact_point/", rec)
        out = {k: x for k, x in (("name", name), ("email", address)) if x}
        return out or None

    def distribution(self, d: Node, rec: Harvested) -> dict[str, Any]:
        """A distribution. One the source describes only by its IRI is reachable there: its access URL is
        that IRI (without a fragment)."""
        g = self.g
        if isinstance(d, Literal) or not any(True for _ in g.predicate_objects(d)):
            url = unbased(d).split("#", 1)[0]
            return {"access_url": url}
        out: dict[str, Any] = {}
        for key, pred in (("title", DCTERMS.title), ("description", DCTERMS.description)):
            if (text := self.language_map(d, pred, None)) is not None:
                out[key] = text
        for key, pred in (("access_url", DCAT.accessURL), ("download_url", DCAT.downloadURL)):
            urls = sorted(x for o in g.objects(d, pred) if (x := self.iri_or_label(o)))
            if urls:
                out[key] = urls[0]
                if len(urls) > 1:
                    rec.drop(f"distribution/{self.curie(pred)}", len(urls) - 1)
        media = g.value(d, DCAT.mediaType)
        if media is not None and (m := v.media_type(self.iri_or_label(media))):
            out["media_type"] = m
        fmt = g.value(d, DCTERMS["format"])  # an EU file type's code, else the format's name, else as written
        if fmt is not None and (f := v.file_format(self.iri_or_label(fmt))) is not None:
            label = self.label(fmt) if not isinstance(fmt, Literal) else None
            out["format"] = f if f != self.iri_or_label(fmt) or label is None else label
        size = g.value(d, DCAT.byteSize)
        if isinstance(size, Literal):
            try:
                out["byte_size"] = int(float(str(size)))
            except ValueError:
                out["byte_size"] = str(size)  # the write path refuses it and names it
        lic = [x for o in g.objects(d, DCTERMS.license) if (x := self.licence_value(o))]
        if lic:
            out["license"] = sorted(lic, key=lambda x: (not v.is_url(x), x))[0]
        ck = g.value(d, SPDX.checksum)
        if ck is not None:
            algo = g.value(ck, SPDX.algorithm)
            if (c := v.checksum(str(algo) if algo is not None else None, g.value(ck, SPDX.checksumValue))):
                out["checksum"] = c
        if langs := sorted({x for o in g.objects(d, DCTERMS.language) if (x := v.language(self.iri_or_label(o)))}):
            out["language"] = langs
        for key, pred in (("issued", DCTERMS.issued), ("modified", DCTERMS.modified)):
            if (when := g.value(d, pred)) is not None and (day := v.date(when, f"distributions/{key}", rec)):
                out[key] = day
        self.not_kept(d, DISTRIBUTION_READS, "distribution/", rec)
        return out

    def source(self, s: Node, source_id: str) -> dict[str, str]:
        """Where the record came from: the catalogue, the dataset's identity there, its address. A record
        exported by a registry names its own source (the ADMS identifier {dataset}/source), which it keeps."""
        kept = self.registry_source(s)
        if kept is not None:
            return kept
        out = {"id": source_id}
        if (cat := self.catalogue_of(s, source_id)) is not None:
            out["catalogue"] = cat
        if v.is_url(source_id):
            out["url"] = source_id
        return out

    def registry_source(self, s: Node) -> dict[str, str] | None:
        node = URIRef(f"{s}/source")
        if not isinstance(s, URIRef) or (s, ADMS.identifier, node) not in self.g:
            return None
        values = {k: self.g.value(node, p) for k, p in (("catalogue", ADMS.schemaAgency), ("id", SKOS.notation),
                                                         ("url", FOAF.page))}
        found = {k: x for k, o in values.items() if o is not None and (x := self.iri_or_label(o))}
        return found if "id" in found else None

    def catalogue_of(self, s: Node, source_id: str) -> str | None:
        """The dcat:Catalog that lists the dataset; else the catalogue the source is (the URL it was fetched
        from); else the site of the dataset's IRI (https://data.gov.gr); else none."""
        cats = sorted(unbased(c) for c in self.g.subjects(DCAT.dataset, s) if isinstance(c, URIRef) and unbased(c))
        if cats:
            return cats[0]
        if self.catalogue:
            return self.catalogue
        m = re.match(r"\A(https?://[^/?#]+)", source_id, re.IGNORECASE)
        return m.group(1).lower() if m else None

    def publisher(self, s: Node, rec: Harvested) -> Publisher | None:
        """The publisher: its label (foaf:name, skos:prefLabel, vCard fn, ...) names it; one without a label
        takes a name from its IRI, with a warning. This registry's own organisations keep their ids."""
        pub = self.one(s, DCTERMS.publisher, rec)
        if pub is None:
            return None
        if isinstance(pub, Literal):
            name = v.clean(pub)
            return Publisher(slugify(name), name, name) if name and slugify(name) else None
        name = self.label(pub)
        iri = unbased(pub) if isinstance(pub, URIRef) else None
        source = iri or name or ""
        m = re.search(r"/organization/([a-z0-9][a-z0-9.-]*)\Z", iri or "")
        if m is not None and name:
            return Publisher(m.group(1), name, source)
        if name is None:
            if not iri:
                rec.warn("publisher", "a publisher without a name or an IRI: not kept")
                return None
            name = name_from_iri(iri)
            rec.warn("publisher", f"the publisher {iri} has no name (foaf:name, skos:prefLabel, vCard fn): "
                                  f"named {name!r} from its IRI")
        pid = slugify(name)
        return Publisher(pid, name, source) if pid else None

    # ----------------------------------------------------------- leftovers
    def curie(self, p: Node) -> str:
        s = str(p)
        for prefix, ns in CURIES.items():
            if s.startswith(str(ns)) and len(s) > len(str(ns)):
                return f"{prefix}:{s[len(str(ns)):]}"
        return s

    def not_kept(self, s: Node, reads: set[URIRef], where_: str, rec: Harvested) -> None:
        """Count the node's fields the mapping does not read, by name (empty values are no values; a
        registry's own source identifier is read)."""
        for p, o in self.g.predicate_objects(s):
            if p not in reads and not (isinstance(o, Literal) and not str(o).strip()) \
                    and not (p == ADMS.identifier and str(o) == f"{s}/source"):
                rec.drop(where_ + self.curie(p))


def name_from_iri(iri: str) -> str:
    """A name for a publisher known only by its IRI: its last segment, spaced, when that reads as a name
    (".../GreekEnvironmentAgency" -> "Greek Environment Agency"); else its last two segments and its host
    (".../CbeEstablishmentUnit/2146814391" -> "Cbe Establishment Unit 2146814391 (org.belgif.be)")."""
    m = re.match(r"\A[a-z][a-z0-9+.-]*://([^/?#]+)(.*)\Z", iri, re.IGNORECASE)
    host, path = (m.group(1), m.group(2)) if m else ("", iri)
    segments = [x for x in re.split(r"[/#?=&]", path) if x and x not in ("id", "org", "organization", "agent")]

    def spaced(words: str) -> str:
        return re.sub(r"(?<=[a-z])(?=[A-Z])", " ", words).replace("_", " ").replace("-", " ").strip()

    if segments and readable(segments[-1]):
        return spaced(segments[-1])
    words = spaced(" ".join(segments[-2:]))
    if not words:
        return host or iri
    return f"{words} ({host})" if host else words
