"""JSON-LD: every JSON-LD answer carries the context published at /context.jsonld, and a JSON-LD record
that names that context by URL round-trips through POST."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from rdflib import Graph
from rdflib.compare import isomorphic

from conftest import Api
from helpers import world_api
from registry.api.negotiation import JSONLD_CONTEXT

LD = "application/ld+json"
#: every route that answers JSON-LD when asked (paths of the casebook world)
JSONLD_ROUTES = [
    "/organizations/moh",
    "/datasets/ohip-claims",
    "/agreements/dsa-moh-idiu-2024",
    "/authorities",
    "/authorities/fippa-part-3.1",
    "/datasets/ohip-claims/lineage",
    "/reports/flows",
    "/catalog",
    "/sparql",
]


@pytest.fixture
def wapi() -> Iterator[Api]:
    with world_api() as a:
        yield a


def published(api: Api) -> Any:
    r = api.client.get("/context.jsonld")
    assert r.status_code == 200 and r.headers["content-type"].startswith(LD)
    return r.json()["@context"]


def test_the_published_context_is_the_one_answers_use(wapi: Api) -> None:
    assert published(wapi) == JSONLD_CONTEXT
    assert {"dcat", "dct", "odrl", "prov", "reg", "org"} <= set(JSONLD_CONTEXT)


@pytest.mark.parametrize("path", JSONLD_ROUTES)
def test_every_jsonld_answer_carries_the_published_context(wapi: Api, path: str) -> None:
    r = wapi.client.get(path, headers={**wapi.auth(), "Accept": LD})
    if r.status_code == 404 and r.headers.get("content-type", "").startswith("application/problem+json") \
            and "no route" in r.text.lower():
        pytest.skip(f"{path} is not served by this app")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].split(";")[0] == LD
    body = r.json()
    docs = body if isinstance(body, list) else [body]
    for doc in docs:
        assert doc.get("@context") == published(wapi), f"{path} answers JSON-LD without the published context"
    assert len(Graph().parse(data=r.text, format="json-ld")) > 0


def _as_posted(doc: dict[str, Any], context_url: str, old: str, new: str) -> dict[str, Any]:
    """The document with its context named by URL and the record renamed `old` -> `new`."""
    text = json.dumps({k: v for k, v in doc.items() if k != "@context"})
    text = text.replace(f"/{old}\"", f"/{new}\"").replace(f"/{old}/", f"/{new}/").replace(f"\"{old}\"", f"\"{new}\"")
    return {"@context": context_url, **json.loads(text)}


@pytest.mark.parametrize("collection,rid", [("datasets", "ohip-claims"), ("agreements", "dsa-moh-idiu-2024"),
                                            ("organizations", "moh-idiu")])
def test_a_jsonld_record_naming_the_context_by_url_round_trips_through_post(wapi: Api, collection: str,
                                                                           rid: str) -> None:
    headers = wapi.auth()
    before = wapi.client.get(f"/{collection}/{rid}", headers=headers).json()
    doc = wapi.client.get(f"/{collection}/{rid}", headers={**headers, "Accept": LD}).json()
    posted = _as_posted(doc, "http://testserver/context.jsonld", rid, "copy-of-" + rid)
    r = wapi.client.post(f"/{collection}", content=json.dumps(posted), headers={**headers, "Content-Type": LD})
    assert r.status_code == 201, r.text
    after = wapi.client.get(f"/{collection}/copy-of-{rid}", headers=headers).json()
    assert after == {**before, "id": "copy-of-" + rid}
    # and read back as JSON-LD it says the same, under the same context
    again = wapi.client.get(f"/{collection}/copy-of-{rid}", headers={**headers, "Accept": LD}).json()
    assert again["@context"] == JSONLD_CONTEXT
    assert isomorphic(_graph(_as_posted(again, "x", "copy-of-" + rid, rid)), _graph(_as_posted(doc, "x", rid, rid)))


def _graph(doc: dict[str, Any]) -> Graph:
    return Graph().parse(data=json.dumps({**doc, "@context": JSONLD_CONTEXT}), format="json-ld")


def test_a_context_from_elsewhere_is_not_fetched(wapi: Api) -> None:
    doc = {"@context": "https://example.org/other-context.jsonld", "@id": "https://registry.example.org/organization/x",
           "@type": "org:Organization"}
    r = wapi.client.post("/organizations", content=json.dumps(doc), headers={**wapi.auth(), "Content-Type": LD})
    assert r.status_code == 400
    assert "context" in r.json()["detail"]
