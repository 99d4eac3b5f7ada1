"""Characters XML 1.0 cannot carry (control characters other than tab, newline and carriage return, U+FFFE,
U+FFFF, lone surrogates): once stored from a text field, every RDF/XML and SPARQL XML answer that shows
it is malformed XML. Every write path refuses them with a 422 naming the field, and writes nothing: JSON,
JSON-LD and Turtle records (Turtle spells them as \\u escapes too), OpenLineage events, catalogue imports.
And every RDF/XML and SPARQL XML answer parses as XML, after all those attempts."""

from __future__ import annotations

import copy
import json
import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from helpers import (
    DATA,
    WORLD_FILE,
    assert_problem,
    assert_xml,
    load_json,
    record,
    record_quads,
    world_api,
)

WORLD = load_json(WORLD_FILE)
JSON_CT = {"Content-Type": "application/json"}

#: name -> a character outside XML 1.0's Char production
BAD = {
    "U+0000": "\x00",
    "U+0001": "\x01",
    "U+0008": "\x08",
    "U+000B": "\x0b",
    "U+000C": "\x0c",
    "U+001F": "\x1f",
    "U+FFFE": "\ufffe",
    "U+FFFF": "\uffff",
    "lone-high-surrogate": "\ud800",
    "lone-low-surrogate": "\udfff",
}
#: characters XML 1.0 allows, which must still be accepted
GOOD = {"tab": "\t", "newline": "\n", "U+0085": "\x85", "U+D7FF": "\ud7ff", "U+E000": "\ue000", "U+FFFD": "\ufffd",
        "U+10000": "\U00010000", "emoji": "\U0001f600", "U+007F": "\x7f"}


#: a character outside XML 1.0's Char production, spelled out here (not imported), so the test does not trust
#: the code
NOT_XML_CHAR = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def legal(text: str) -> bool:
    return NOT_XML_CHAR.search(text) is None


def illegal_literals(registry: Any) -> list[str]:
    """Every text in the store (literals, IRIs) that XML could not carry."""
    out = []
    for q in registry.store.quads():
        for term in q:
            if term is not None and not legal(str(term)):
                out.append(ascii(str(term))[:120])
    return out


@pytest.fixture
def wapi() -> Iterator[Any]:
    with world_api() as api:
        yield api


def fields_of(body: dict[str, Any]) -> set[str]:
    return {str(v.get("field")) for v in body.get("violations", [])}


def assert_refused(api: Any, r: Any, field: str | tuple[str, ...], before: Any, *,
                   statuses: tuple[int, ...] = (422,)) -> None:
    """A 4xx problem (422 naming `field`, or one of several spellings of it), and nothing written."""
    assert r.status_code in statuses, (r.status_code, r.text[:500])
    body = assert_problem(r, r.status_code)
    if r.status_code == 422:
        named = fields_of(body)
        spellings = (field,) if isinstance(field, str) else field
        assert any(f == s or f.startswith(s + ".") for f in named for s in spellings), (field, named)
    assert record_quads(api.registry) == before, "a refused write wrote something"
    assert illegal_literals(api.registry) == []


# -------------------------------------------------------------------------------------- JSON records
def dataset(rid: str = "xml-chars", **changes: Any) -> dict[str, Any]:
    d = record(WORLD, "datasets", "ohip-claims")
    d.update(id=rid, openlineage=[{"namespace": "db", "name": "xml.chars"}], themes=["Health"],
             licence="Open Government Licence - Ontario")
    d.update(changes)
    return d


def put_at(data: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    out = copy.deepcopy(data)
    keys: list[Any] = [int(k) if k.isdigit() else k for k in path.split(".")]
    target = out
    for k in keys[:-1]:
        target = target[k]
    target[keys[-1]] = value
    return out


#: collection -> (a valid new record, the text fields to spoil)
RECORDS = {
    "datasets": (dataset(), ["title", "description", "keywords.0", "themes.0", "steward.name", "steward.email",
                             "licence", "openlineage.0.name", "openlineage.0.namespace"]),
    "organizations": ({"id": "xml-chars-unit", "name": "A unit", "kind": "agency", "parent": "moh",
                       "jurisdiction": "Ontario"}, ["name", "jurisdiction"]),
    "agreements": ({**record(WORLD, "agreements", "dsa-moh-idiu-2024"), "id": "dsa-xml-chars", "status": "draft"},
                   ["title"]),
}


@pytest.mark.parametrize("collection", sorted(RECORDS))
def test_the_valid_records_are_accepted(wapi: Any, collection: str) -> None:
    """The control: each sample record, with every allowed odd character in its text, is written."""
    sample, fields = RECORDS[collection]
    text = "ok " + "".join(GOOD.values())
    data = copy.deepcopy(sample)
    for f in fields:
        if f not in ("steward.email", "licence"):
            data = put_at(data, f, text)
    r = wapi.client.post(f"/{collection}", json=data, headers=wapi.auth())
    assert r.status_code == 201, r.text
    assert illegal_literals(wapi.registry) == []


@pytest.mark.parametrize("collection", sorted(RECORDS))
@pytest.mark.parametrize("char", sorted(BAD))
def test_json_text_fields_refuse_characters_xml_cannot_carry(wapi: Any, collection: str, char: str) -> None:
    sample, fields = RECORDS[collection]
    before = record_quads(wapi.registry)
    for f in fields:
        bad = put_at(sample, f, f"bad{BAD[char]}text")
        body = json.dumps(bad).encode()  # a lone surrogate goes as its \\ud800 escape, as JSON allows
        for method, url in (("POST", f"/{collection}"),
                            ("PUT", f"/{collection}/{sample['id']}")):
            r = wapi.lenient.request(method, url, content=body, headers={**wapi.auth(), **JSON_CT})
            assert_refused(wapi, r, f, before, statuses=(422, 404) if method == "PUT" else (422,))


def test_a_steward_is_refused_alike(wapi: Any) -> None:
    steward = wapi.auth("steward", "moh")  # (making the token writes it: before `before`)
    before = record_quads(wapi.registry)
    r = wapi.client.put("/datasets/ohip-claims", json={**record(WORLD, "datasets", "ohip-claims"),
                                                       "title": "OHIP\x01claims"}, headers=steward)
    assert_refused(wapi, r, "title", before)


# -------------------------------------------------------------------------------- Turtle and JSON-LD
TURTLE = (DATA / "dataset-new.ttl").read_text(encoding="utf-8")


def turtle_escape(ch: str) -> str:
    return f"\\u{ord(ch):04X}"


@pytest.mark.parametrize("char", sorted(BAD))
@pytest.mark.parametrize(("field", "original"), [("title", '"Collisions by municipality"'),
                                                 ("description", '"Sent as Turtle."'),
                                                 ("keywords", '"transportation"'),
                                                 ("steward.name", '"Turtle Steward"')])
def test_turtle_escapes_are_refused(wapi: Any, char: str, field: str, original: str) -> None:
    """Turtle spells any character as a \\u escape, a lone surrogate included."""
    before = record_quads(wapi.registry)
    spoiled = original[:5] + turtle_escape(BAD[char]) + original[5:]
    body = TURTLE.replace(original, spoiled).encode()
    r = wapi.lenient.post("/datasets", content=body, headers={**wapi.auth(), "Content-Type": "text/turtle"})
    assert_refused(wapi, r, field, before)


@pytest.mark.parametrize("char", [c for c in sorted(BAD) if "surrogate" not in c])
def test_raw_characters_in_turtle_are_refused(wapi: Any, char: str) -> None:
    """The same characters written as they are (UTF-8) in a Turtle string: refused, by the parser (400)
    or by the field (422)."""
    before = record_quads(wapi.registry)
    body = TURTLE.replace('"Collisions by municipality"', f'"Collisions{BAD[char]}"').encode()
    r = wapi.lenient.post("/datasets", content=body, headers={**wapi.auth(), "Content-Type": "text/turtle"})
    assert_refused(wapi, r, "title", before, statuses=(400, 422))


def jsonld(title: str) -> dict[str, Any]:
    base = "https://registry.example.org"
    return {
        "@context": {"dcat": "http://www.w3.org/ns/dcat#", "dct": "http://purl.org/dc/terms/",
                     "reg": "https://w3id.org/gov-data-registry/ns#", "vcard": "http://www.w3.org/2006/vcard/ns#",
                     "xsd": "http://www.w3.org/2001/XMLSchema#"},
        "@id": f"{base}/dataset/jsonld-chars", "@type": "dcat:Dataset",
        "dct:identifier": "jsonld-chars", "dct:title": title,
        "dct:publisher": {"@id": f"{base}/organization/mto"},
        "dct:accessRights": {"@id": "http://publications.europa.eu/resource/authority/access-right/PUBLIC"},
        "reg:sensitivity": {"@id": "https://w3id.org/gov-data-registry/vocab/sensitivity/unclassified"},
        "reg:containsPersonalInformation": False,
        "reg:steward": {"@id": f"{base}/dataset/jsonld-chars/steward", "@type": "vcard:Individual",
                        "vcard:fn": "LD Steward", "vcard:hasEmail": {"@id": "mailto:ld@example.org"}},
    }


def test_jsonld_control_is_accepted(wapi: Any) -> None:
    r = wapi.client.post("/datasets", content=json.dumps(jsonld("Fine title")).encode(),
                         headers={**wapi.auth(), "Content-Type": "application/ld+json"})
    assert r.status_code == 201, r.text


@pytest.mark.parametrize("char", sorted(BAD))
def test_jsonld_text_is_refused(wapi: Any, char: str) -> None:
    before = record_quads(wapi.registry)
    body = json.dumps(jsonld(f"bad{BAD[char]}title")).encode()
    r = wapi.lenient.post("/datasets", content=body, headers={**wapi.auth(), "Content-Type": "application/ld+json"})
    assert_refused(wapi, r, ("title", "dct:title"), before)  # the model's name, or the body's own


# ------------------------------------------------------------------------------------------- OpenLineage
def facet(**content: Any) -> dict[str, Any]:
    return {"_producer": "https://example.org/xml", "_schemaURL": "https://example.org/facet.json", **content}


def event(**changes: Any) -> dict[str, Any]:
    ev = {"eventType": "COMPLETE", "eventTime": "2025-01-01T00:00:00Z", "producer": "https://example.org/xml",
          "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
          "run": {"runId": str(uuid.uuid4()), "facets": {"note": facet(text="run")}},
          "job": {"namespace": "xml-jobs", "name": "xml.job",
                  "facets": {"documentation": facet(description="A job.")}},
          "inputs": [{"namespace": "db", "name": "xml.in"}],
          "outputs": [{"namespace": "db", "name": "xml.out", "facets": {
              "documentation": facet(description="Out."),
              "schema": facet(fields=[{"name": "col", "type": "int"}]),
              "ownership": facet(owners=[{"name": "team:Owners"}])}}]}
    for path, value in changes.items():
        ev = put_at(ev, path, value)
    return ev


OL_FIELDS = ["job.name", "job.namespace", "inputs.0.name", "inputs.0.namespace", "outputs.0.name",
             "outputs.0.namespace", "outputs.0.facets.documentation.description",
             "outputs.0.facets.schema.fields.0.name", "outputs.0.facets.ownership.owners.0.name",
             "job.facets.documentation.description", "run.facets.note.text", "producer"]


def test_the_openlineage_control_is_accepted(wapi: Any) -> None:
    r = wapi.client.post("/api/v1/lineage", json=event(), headers=wapi.auth("steward", "moh"))
    assert r.status_code == 201, r.text


@pytest.mark.parametrize("char", sorted(BAD))
def test_openlineage_events_refuse_characters_xml_cannot_carry(wapi: Any, char: str) -> None:
    steward = {**wapi.auth("steward", "moh"), **JSON_CT}
    before = record_quads(wapi.registry)
    for f in OL_FIELDS:
        body = json.dumps(event(**{f: f"bad{BAD[char]}text"})).encode()
        r = wapi.lenient.post("/api/v1/lineage", content=body, headers=steward)
        assert_refused(wapi, r, f, before)


@pytest.mark.parametrize("char", ["U+0001", "lone-high-surrogate"])
def test_openlineage_ingest_itself_refuses_them(wapi: Any, char: str) -> None:
    """The ingest checks the event too (for callers other than the HTTP route, which checks JSON bodies)."""
    from registry.errors import ValidationFailed
    from registry.services.ingest.loader import SYSTEM
    from registry.services.ingest.openlineage import OpenLineageIngest

    before = record_quads(wapi.registry)
    with pytest.raises(ValidationFailed) as e:
        OpenLineageIngest(wapi.registry).ingest(event(**{"job.name": f"x{BAD[char]}"}), SYSTEM)
    assert "job.name" in {v.field for v in e.value.violations}
    assert record_quads(wapi.registry) == before


# ------------------------------------------------------------------------------------ catalogue import
DCAT = """
@prefix dcat: <http://www.w3.org/ns/dcat#> . @prefix dct: <http://purl.org/dc/terms/> .
@prefix vcard: <http://www.w3.org/2006/vcard/ns#> . @prefix foaf: <http://xmlns.com/foaf/0.1/> .
<https://data.example.ca/catalog> a dcat:Catalog ; dcat:dataset <https://data.example.ca/dataset/chars> .
<https://data.example.ca/dataset/chars> a dcat:Dataset ;
  dct:identifier "chars-2024" ;
  dct:title "TITLE" ;
  dct:description "DESCRIPTION" ;
  dcat:keyword "KEYWORD" ;
  dct:publisher <https://data.example.ca/org/chars> ;
  dcat:contactPoint [ a vcard:Kind ; vcard:fn "CONTACT" ; vcard:hasEmail <mailto:chars@example.ca> ] .
<https://data.example.ca/org/chars> a foaf:Agent ; foaf:name "PUBLISHER" .
"""


@pytest.mark.parametrize("char", ["U+0001", "U+FFFF", "lone-high-surrogate"])
@pytest.mark.parametrize(("placeholder", "field"), [("TITLE", "title"), ("DESCRIPTION", "description"),
                                                    ("KEYWORD", "keywords"), ("CONTACT", "steward.name"),
                                                    ("PUBLISHER", "name")])
def test_catalogue_imports_refuse_them(wapi: Any, tmp_path: Path, char: str, placeholder: str, field: str) -> None:
    from registry.services.ingest.catalog_import import ImportOptions, import_catalog

    text = DCAT.replace(placeholder, "bad" + turtle_escape(BAD[char]))
    for p in ("TITLE", "DESCRIPTION", "KEYWORD", "CONTACT", "PUBLISHER"):
        text = text.replace(p, p.lower())
    f = tmp_path / "catalog.ttl"
    f.write_text(text, encoding="utf-8")
    before = record_quads(wapi.registry)
    report = import_catalog(wapi.registry, str(f), ImportOptions(org_kind="agency")).as_json()
    assert report["created"] == [] and report["updated"] == [], report
    assert [r["reason"] for r in report["rejected"]], report
    assert all(r["reason"].startswith(field) or f" {field}: " in r["reason"] for r in report["rejected"]), report
    assert illegal_literals(wapi.registry) == []
    # (a publisher with a good name is registered before its dataset is refused, as for any other refusal)
    assert [q for q in record_quads(wapi.registry) - before if "/graph/dataset/" in str(q[3])] == []


def test_world_files_refuse_them(wapi: Any, tmp_path: Path) -> None:
    """`registry load world.json` goes through the same models."""
    from registry.errors import ValidationFailed
    from registry.services.ingest.loader import load_file

    f = tmp_path / "world.json"
    f.write_text(json.dumps({"datasets": [dataset(title="bad\x0btitle")]}), encoding="utf-8")
    before = record_quads(wapi.registry)
    with pytest.raises(ValidationFailed) as e:
        load_file(wapi.registry, f)
    assert "title" in {v.field for v in e.value.violations}
    assert record_quads(wapi.registry) == before


# ------------------------------------------------------------------------------ XML answers stay XML
RDF_XML = "application/rdf+xml"
SPARQL_XML = "application/sparql-results+xml"


def attempt_every_bad_write(api: Any) -> None:
    """Every bad write above once (their answers are not looked at here: what matters is what is served
    afterwards)."""
    for collection, (sample, fields) in RECORDS.items():
        for f in fields:
            for ch in BAD.values():
                api.lenient.post(f"/{collection}", content=json.dumps(put_at(sample, f, f"b{ch}d")).encode(),
                                 headers={**api.auth(), **JSON_CT})
    api.lenient.put("/datasets/ohip-claims", content=json.dumps(
        {**record(WORLD, "datasets", "ohip-claims"), "title": "OHIP\x01", "keywords": ["a\uffff"]}).encode(),
        headers={**api.auth(), **JSON_CT})
    for ch in BAD.values():
        api.lenient.post("/datasets", content=TURTLE.replace('"Sent as Turtle."', f'"x{turtle_escape(ch)}"').encode(),
                         headers={**api.auth(), "Content-Type": "text/turtle"})
        for f in OL_FIELDS:
            api.lenient.post("/api/v1/lineage", content=json.dumps(event(**{f: f"b{ch}d"})).encode(),
                             headers={**api.auth("steward", "moh"), **JSON_CT})


def xml_answers(api: Any) -> Iterator[tuple[str, str, str]]:
    """(url, Accept, what) of every answer the app gives as RDF/XML or SPARQL XML: every GET route of the
    app without parameters, and with the ids of the records in the store, asked for RDF/XML; SPARQL SELECT,
    ASK, CONSTRUCT and DESCRIBE."""
    import fastapi.routing

    walk = getattr(fastapi.routing, "iter_route_contexts", None)
    routes = list(walk(api.client.app.routes)) if walk else list(api.client.app.routes)
    ids = {"datasets": [r["id"] for r in api.client.get("/datasets?limit=500").json()["items"]],
           "organizations": [r["id"] for r in api.client.get("/organizations?limit=500").json()["items"]],
           "agreements": [r["id"] for r in api.client.get("/agreements?limit=500").json()["items"]],
           "authorities": [a["id"] for a in api.client.get("/authorities").json()["items"]]}
    seen = set()
    for r in routes:
        path = getattr(r, "path", "")
        if "GET" not in (getattr(r, "methods", None) or ()) or not getattr(r, "include_in_schema", True):
            continue
        if path in seen or path.startswith(("/openapi", "/docs", "/redoc")):
            continue
        seen.add(path)
        if "{" not in path:
            yield path, RDF_XML, "route"
            continue
        collection = path.split("/")[1]
        for rid in ids.get(collection, []):
            yield path.replace("{rid}", rid).replace("{aid}", rid), RDF_XML, "record"
    for query in ("SELECT * WHERE { GRAPH ?g { ?s ?p ?o } }", "SELECT * WHERE { ?s ?p ?o }",
                  "ASK { ?s ?p ?o }"):
        yield "/sparql?" + _q(query), SPARQL_XML, "sparql"
    for query in ("CONSTRUCT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } }", "CONSTRUCT WHERE { ?s ?p ?o }",
                  "DESCRIBE <https://registry.example.org/dataset/ohip-claims>"):
        yield "/sparql?" + _q(query), RDF_XML, "sparql"


def _q(query: str) -> str:
    from urllib.parse import urlencode

    return urlencode({"query": query})


def test_every_xml_answer_is_well_formed(wapi: Any) -> None:
    """After every refused write above, each RDF/XML and SPARQL XML answer, as an anonymous caller and as
    an admin (who sees the restricted graphs), parses as XML."""
    attempt_every_bad_write(wapi)
    assert illegal_literals(wapi.registry) == []
    checked = 0
    for url, accept, _what in xml_answers(wapi):
        for headers in ({}, wapi.auth()):
            r = wapi.lenient.get(url, headers={**headers, "Accept": accept})
            assert r.status_code < 500, (url, r.text[:300])
            ct = r.headers.get("content-type", "").split(";")[0]
            if r.status_code == 200 and ct in (RDF_XML, SPARQL_XML, "application/xml"):
                assert_xml(r.content, url)
                checked += 1
    assert checked >= 20, f"only {checked} XML answers were checked"

