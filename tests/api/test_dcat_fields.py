"""The DCAT fields of datasets through the HTTP API: a 422 naming the field (by its place in the record:
`distributions.0.download_url`) for each bad value, with nothing written; every field back as written
through JSON, JSON-LD and Turtle; the restricted fields absent for anonymous callers in every format,
the HTML page, /catalog and SPARQL, while the public fields are there."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any

import pytest
from rdflib import Graph, URIRef

from conftest import DATA, Api
from helpers import assert_problem, assert_xml, load_json, record_quads, records_api, same_record

RECORDS = {r["id"]: r for r in load_json(DATA / "dcat-records.json")["datasets"]}
FULL = RECORDS["shelter-usage"]
DS = "https://registry.example.org/dataset/shelter-usage"
#: text only the restricted graph holds (the steward's name and address, the retention periods)
MARKERS = ("Zqx", "zqx.shelter", "zqx.clients", "P913Y", "P917Y")
RDF_FORMATS = {"jsonld": "json-ld", "ttl": "turtle", "nt": "nt", "rdf": "xml"}


@pytest.fixture(scope="module")
def dapi() -> Iterator[Api]:
    with records_api(DATA / "dcat-records.json") as a:
        yield a


def changed(path: str, value: Any) -> dict[str, Any]:
    """The full record under a new id with one value replaced (`path`: keys and list indexes, dotted)."""
    data = copy.deepcopy(FULL)
    data["id"] = "shelter-usage-bad"
    keys: list[Any] = [int(k) if k.isdigit() else k for k in path.split(".")]
    target = data
    for k in keys[:-1]:
        target = target[k]
    target[keys[-1]] = value
    return data


BAD = [
    ("landing_page", "not a url", "landing_page"),
    ("landing_page", "javascript:alert(1)", "landing_page"),
    ("language", ["en", "xx"], "language"),
    ("frequency", "fortnightly", "frequency"),
    ("themes", ["health", ""], "themes"),
    ("spatial", ["Toronto", ""], "spatial.1"),
    ("temporal", {"start": "2025-01-01", "end": "2024-12-31"}, "temporal.start"),
    ("temporal", {}, "temporal.start"),
    ("temporal.end", "2024-02-30", "temporal.end"),
    ("version", "", "version"),
    ("conforms_to", ["https://www.w3.org/TR/vocab-dcat-3/", "a standard"], "conforms_to"),
    ("contact_point", {"email": "not an address"}, "contact_point.email"),
    ("contact_point", {}, "contact_point.name"),
    ("source.url", "file:///etc/passwd", "source.url"),
    ("source.id", "", "source.id"),
    ("title", {"en": ""}, "title"),
    ("title", {"en": "A", "EN": "B"}, "title"),
    ("title", {"english": "A"}, "title"),
    ("description", {"en": "A", "fr\u0001": "B"}, "description"),
    ("distributions.0.download_url", "ftp://example.org/data.csv", "distributions.0.download_url"),
    ("distributions.1.access_url", "https://exa mple.org/", "distributions.1.access_url"),
    ("distributions.2", {"title": "No link"}, "distributions.2.access_url"),
    ("distributions.0.media_type", "csv", "distributions.0.media_type"),
    ("distributions.0.media_type", "text/csv; charset=utf-8", "distributions.0.media_type"),
    ("distributions.0.byte_size", -1, "distributions.0.byte_size"),
    ("distributions.0.byte_size", "large", "distributions.0.byte_size"),
    ("distributions.0.checksum.algorithm", "crc32", "distributions.0.checksum.algorithm"),
    ("distributions.0.checksum.value", "abcd", "distributions.0.checksum.value"),
    ("distributions.0.checksum.value", "not hex", "distributions.0.checksum.value"),
    ("distributions.0.language", ["xx"], "distributions.0.language"),
    ("distributions.0.issued", "2024-13-01", "distributions.0.issued"),
    ("distributions.0.title", {"en": "A", "en-x": ""}, "distributions.0.title"),
    ("distributions.0.format", "", "distributions.0.format"),
    ("distributions.0.unknown", "x", "distributions.0.unknown"),
]


@pytest.mark.parametrize(("path", "value", "field"), BAD, ids=[f"{p}={v!r}" for p, v, _ in BAD])
def test_a_bad_value_is_422_naming_its_field_and_nothing_is_written(dapi: Api, path: str, value: Any,
                                                                     field: str) -> None:
    before = record_quads(dapi.registry)
    r = dapi.client.post("/datasets", json=changed(path, value), headers=dapi.auth())
    body = assert_problem(r, 422)
    fields = {v["field"] for v in body["violations"]}
    assert any(f == field or f.startswith(field + ".") for f in fields), body["violations"]
    assert record_quads(dapi.registry) == before, "a refused write wrote something"


def test_a_record_with_every_field_is_written_and_read_back(dapi: Api) -> None:
    data = {**copy.deepcopy(FULL), "id": "shelter-usage-copy"}
    r = dapi.client.post("/datasets", json=data, headers=dapi.auth())
    assert r.status_code == 201, r.text
    got = dapi.client.get("/datasets/shelter-usage-copy", headers=dapi.auth()).json()
    for key, value in data.items():
        assert got[key] == value, key


@pytest.mark.parametrize(("fmt", "content_type"), [("ttl", "text/turtle"), ("jsonld", "application/ld+json")])
def test_the_rdf_of_a_record_written_back_changes_nothing(dapi: Api, fmt: str, content_type: str) -> None:
    """GET a record as Turtle or JSON-LD (the whole of it, as an admin), PUT it back: the same record."""
    before = dapi.client.get("/datasets/shelter-usage", headers=dapi.auth()).json()
    rdf = dapi.client.get(f"/datasets/shelter-usage?format={fmt}", headers=dapi.auth())
    assert rdf.status_code == 200
    r = dapi.client.put("/datasets/shelter-usage", content=rdf.content,
                        headers={**dapi.auth(), "Content-Type": content_type})
    assert r.status_code == 200, r.text
    after = dapi.client.get("/datasets/shelter-usage", headers=dapi.auth()).json()
    assert after == before
    same_record(FULL, after)


def test_licence_as_it_was_spelled_is_named_in_a_422(dapi: Api) -> None:
    data = {**copy.deepcopy(RECORDS["shelter-capacity"]), "id": "capacity-bad"}
    data["temporal"] = {"start": "2025-01-01", "end": "2024-01-01"}
    body = assert_problem(dapi.client.post("/datasets", json=data, headers=dapi.auth()), 422)
    assert {v["field"] for v in body["violations"]} == {"temporal.start"}
    for spelling in ("license", "licence"):
        bad = {k: v for k, v in data.items() if k not in ("licence", "temporal")}
        bad[spelling] = 42
        body = assert_problem(dapi.client.post("/datasets", json=bad, headers=dapi.auth()), 422)
        assert {v["field"] for v in body["violations"]} == {spelling}


# ------------------------------------------------------------------------- what anonymous sees
@pytest.mark.parametrize("rid", ["shelter-usage", "shelter-clients"])
def test_anonymous_json_has_the_dcat_fields_and_no_restricted_field(dapi: Api, rid: str) -> None:
    got = dapi.client.get(f"/datasets/{rid}").json()
    for key in ("steward", "retention", "personal_information", "personal_data_categories"):
        assert key not in got
    want = {k: v for k, v in RECORDS[rid].items()
            if k not in ("steward", "retention", "personal_information", "personal_data_categories")}
    same_record(want, got)
    assert not any(m in json.dumps(got) for m in MARKERS)


@pytest.mark.parametrize("fmt", sorted(RDF_FORMATS))
@pytest.mark.parametrize("rid", ["shelter-usage", "shelter-clients"])
def test_anonymous_rdf_has_the_distributions_and_no_restricted_triple(dapi: Api, fmt: str, rid: str) -> None:
    r = dapi.client.get(f"/datasets/{rid}?format={fmt}")
    assert r.status_code == 200, r.text
    if fmt == "rdf":
        assert_xml(r.content)
    g = Graph().parse(data=r.text, format=RDF_FORMATS[fmt])
    iri = URIRef(f"https://registry.example.org/dataset/{rid}")
    dists = set(g.objects(iri, URIRef("http://www.w3.org/ns/dcat#distribution")))
    assert len(dists) == len(RECORDS[rid]["distributions"])
    assert not any(m in r.text for m in MARKERS)
    assert not any("steward" in str(t) or "ns#retentionPeriod" in str(t) or "containsPersonalInformation" in str(t)
                   for triple in g for t in triple)


def test_the_html_page_shows_no_restricted_field(dapi: Api) -> None:
    r = dapi.client.get("/datasets/shelter-clients", headers={"Accept": "text/html"})
    assert r.status_code == 200
    assert not any(m in r.text for m in MARKERS)
    assert "Extract on request" in r.text


def test_the_html_page_shows_the_dcat_fields(dapi: Api) -> None:
    html = dapi.client.get("/datasets/shelter-usage", headers={"Accept": "text/html"}).text
    main = html[html.index("<main"):html.index('id="lineage"')]
    assert "<h1>Shelter system usage</h1>" in main
    assert '<li lang="fr"><span class="muted">French:</span> Utilisation du système d&#39;hébergement</li>' in main
    for shown in ('href="https://open.toronto.ca/dataset/shelter-system-usage/usage.csv"', "CSV", "120.6 kB",
                  "Esri REST", "0 bytes", "English, French", "daily", "2015-01-01 to 2024-12-31", "Toronto",
                  "Open data team", 'href="mailto:opendata@toronto.example.ca"', "Health", "Housing and shelter"):
        assert shown in main, shown
    french = dapi.client.get("/fr/datasets/shelter-usage").text
    assert "<h1>Utilisation du système d&#39;hébergement</h1>" in french and "quotidien" in french


def test_anonymous_sparql_sees_distributions_and_no_steward(dapi: Api) -> None:
    q = ("PREFIX dcat: <http://www.w3.org/ns/dcat#> SELECT ?d ?url WHERE { "
         f"<{DS}> dcat:distribution ?d . ?d dcat:downloadURL ?url }}")
    r = dapi.client.get("/sparql", params={"query": q}, headers={"Accept": "application/sparql-results+json"})
    assert r.status_code == 200, r.text
    urls = {b["url"]["value"] for b in r.json()["results"]["bindings"]}
    assert urls == {d["download_url"] for d in FULL["distributions"] if "download_url" in d}
    for q in (f"SELECT ?p ?o WHERE {{ <{DS}> ?p ?o }}", "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }",
              "SELECT (COUNT(*) AS ?n) WHERE { ?s <https://w3id.org/gov-data-registry/ns#steward> ?o }"):
        r = dapi.client.get("/sparql", params={"query": q}, headers={"Accept": "application/sparql-results+json, text/turtle"})
        assert r.status_code == 200, r.text
        assert not any(m in r.text for m in MARKERS), q
        assert "gov-data-registry/ns#steward" not in r.text or '"0"' in r.text or ">0<" in r.text


def test_steward_and_contact_point_stay_apart(dapi: Api) -> None:
    """The public contact point is not the steward: an admin sees both, anonymous only the contact."""
    full = dapi.client.get("/datasets/shelter-usage", headers=dapi.auth()).json()
    assert full["steward"] == FULL["steward"] and full["contact_point"] == FULL["contact_point"]
    anon = dapi.client.get("/datasets/shelter-usage").json()
    assert anon["contact_point"] == FULL["contact_point"] and "steward" not in anon


def test_a_share_check_names_a_bilingual_dataset_by_its_english_title(dapi: Api) -> None:
    data = {**copy.deepcopy(RECORDS["shelter-capacity"]), "id": "zebra-crossings",
            "title": {"en": "Zebra crossings", "fr": "Passages piétons"}}  # the French sorts first
    assert dapi.client.post("/datasets", json=data, headers=dapi.auth()).status_code == 201
    r = dapi.client.post("/share-checks", json={"datasets": ["zebra-crossings"], "provider": "toronto",
                                                "recipient": "moh", "purpose": "research", "date": "2025-06-01"},
                         headers=dapi.auth())
    assert r.status_code == 201, r.text
    assert [d["title"] for d in r.json()["datasets"]] == ["Zebra crossings"]
