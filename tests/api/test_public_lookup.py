"""A public JSON lookup (GET /{collection}/{id} by a caller who sees the public part only) is answered from the
catalogue index's stored public form, not from the store: the same bytes the store's public graph gives
(`from_rdf`, as the lookup read it before), its ETag a labelled hash of the form's bytes. Read-your-writes holds
(a write, a retirement, an entry the index did not apply at once, a restart, a bulk load), and nothing
restricted reaches the form or its tag."""

from __future__ import annotations

import copy
import hashlib
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.responses import JSONResponse

from conftest import Api, world
from helpers import assert_problem, fresh_world_registry, index_held
from registry.config import Settings
from registry.domain.model import KINDS, RecordKind
from registry.domain.model.common import Triples
from registry.projections.catalog_index import Behind
from registry.services.registry import Registry, open_registry

COLLECTIONS = {kind.collection: kind for kind in KINDS.values()}
RETIRED = ("datasets", "collision-summary")
#: records written here: text outside ASCII (the index keeps its form with ASCII escapes, the body has none)
ODD_TEXT = "Données de santé: ① «Ærø» — 東京 \U0001f600 \\ \" \u2028 tab\t"


def store_body(reg: Registry, kind: RecordKind, rid: str) -> bytes:
    """The answer a public JSON lookup gave before: the record's public graph read from the store, as JSON."""
    public = reg.store.graph(reg.iris.public_graph(kind.name, rid))
    return bytes(JSONResponse(kind.from_rdf(Triples(public), reg.iris.record(kind.name, rid), reg.iris)).body)


def index_doc(reg: Registry, kind: RecordKind, rid: str) -> str:
    with reg.follower.reading(reg.index):
        (doc,) = reg.index.db.execute("SELECT doc FROM records WHERE kind = ? AND id = ?", (kind.name, rid)).fetchone()
    return str(doc)


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("lookup") / "store"


@pytest.fixture(scope="module")
def served(home: Path) -> Iterator[Api]:
    """The app over a registry on disk (where the lookup reads the index without waiting), the casebook world
    bulk-loaded into it, two records of odd text written, one dataset retired."""
    reg = fresh_world_registry(str(home))
    api = Api(reg)
    org = copy.deepcopy(world()["organizations"][0])
    org.update(id="odd-text-org", name=ODD_TEXT)
    org.pop("parent", None)
    assert api.client.post("/organizations", json=org, headers=api.auth()).status_code == 201
    ds = copy.deepcopy(world()["datasets"][0])
    ds.update(id="odd-text-data", title=ODD_TEXT, description=ODD_TEXT * 3, keywords=["é", "東京"])
    assert api.client.post("/datasets", json=ds, headers=api.auth()).status_code == 201
    assert api.client.delete("/".join(("", *RETIRED)), headers=api.auth()).status_code == 204
    yield api
    api.close()
    reg.close()


def every_record(api: Api) -> list[tuple[str, str]]:
    return [(collection, record["id"]) for collection, records in world().items() for record in records] + [
        ("organizations", "odd-text-org"), ("datasets", "odd-text-data")]


def assert_store_answer(api: Api, collection: str, rid: str, headers: dict[str, str] | None = None) -> str:
    """The lookup's body is the store's, byte for byte; its ETag the labelled hash of the index's form."""
    kind = COLLECTIONS[collection]
    got = api.client.get(f"/{collection}/{rid}", headers=headers or {})
    assert got.status_code == 200, got.text
    assert got.content == store_body(api.registry, kind, rid), (collection, rid)
    tag = '"public-json-' + hashlib.sha256(index_doc(api.registry, kind, rid).encode()).hexdigest() + '"'
    assert got.headers["etag"] == tag
    assert got.headers["content-type"] == "application/json"
    return tag


def test_each_public_lookup_is_the_stores_answer_byte_for_byte(served: Api) -> None:
    """Every record of every kind (a retired one, text outside ASCII), anonymous and as a steward of another
    organisation (who reads the public part: the thread pool's path), after a bulk load and writes."""
    records = every_record(served)
    assert {c for c, _ in records} == set(COLLECTIONS) and RETIRED in records
    other = served.auth("steward", "mto")
    for collection, rid in records:
        tag = assert_store_answer(served, collection, rid)
        if collection == "datasets" and served.client.get(f"/{collection}/{rid}").json()["publisher"] != "mto":
            assert assert_store_answer(served, collection, rid, other) == tag
    assert "retired" in served.client.get("/".join(("", *RETIRED))).json()


@pytest.mark.parametrize("path", ["/datasets/no-such-record", "/organizations/ohip-claims", "/datasets/Not_A_Slug",
                                  "/agreements/a..b", "/datasets/%C3%A9"])
def test_a_missing_record_is_the_same_404(served: Api, path: str) -> None:
    body = assert_problem(served.client.get(path), 404)
    kind = COLLECTIONS[path.split("/")[1]]
    rid = served.client.get(path).json()["detail"].split(" ", 2)[2]
    assert body["detail"] == f"no {kind.name} {rid}" and "etag" not in served.client.get(path).headers


def test_the_answer_is_the_index_form(served: Api) -> None:
    """The lookup answers what the index holds (a form changed in the index alone is what it answers, and
    its tag follows); a full read and the RDF forms still read the store. Fails if the lookup reads the store."""
    reg, kind, rid = served.registry, KINDS["organization"], "mto"
    doc = index_doc(reg, kind, rid)
    changed = doc.replace('"name":"', '"name":"Changed in the index: ', 1)
    assert changed != doc
    with reg.follower.reading(reg.index):
        reg.index.db.execute("UPDATE records SET doc = ? WHERE kind = ? AND id = ?", (changed, kind.name, rid))
    try:
        got = served.client.get(f"/organizations/{rid}")
        assert got.json()["name"].startswith("Changed in the index: ")
        assert got.headers["etag"] == '"public-json-' + hashlib.sha256(changed.encode()).hexdigest() + '"'
        assert not served.client.get(f"/organizations/{rid}", headers=served.auth()).json()["name"].startswith(
            "Changed")
        assert b"Changed" not in served.client.get(f"/organizations/{rid}", headers={"Accept": "text/turtle"}).content
    finally:
        with reg.follower.reading(reg.index):
            reg.index.db.execute("UPDATE records SET doc = ? WHERE kind = ? AND id = ?", (doc, kind.name, rid))
    assert_store_answer(served, "organizations", rid)


def test_the_lookup_on_the_event_loop_waits_for_no_lock(served: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    """On disk, an anonymous lookup reads the index's last committed state at once (no follower lock) when it
    is the audit log's head."""
    def busy(*_a: Any) -> Any:
        raise AssertionError("waited for the index's lock")

    tag = assert_store_answer(served, "datasets", "ohip-claims")
    with monkeypatch.context() as m:
        m.setattr(served.registry.follower, "reading", busy)
        got = served.client.get("/datasets/ohip-claims")
    assert got.status_code == 200 and got.headers["etag"] == tag
    assert got.content == store_body(served.registry, KINDS["dataset"], "ohip-claims")


def _put(api: Api, path: str, change: dict[str, Any]) -> None:
    current = api.client.get(path, headers=api.auth())
    body = {**current.json(), **change}
    got = api.client.put(path, json=body, headers={**api.auth(), "If-Match": current.headers["etag"]})
    assert got.status_code == 200, got.text


def test_read_your_writes(served: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    """A write, then a lookup: the new form and a new tag (the old one answers 200, the new one 304); the
    same when the index did not apply the write's entry at once (it is behind the log: the lookup makes the
    form from the store, never answers the old one); a retirement."""
    reg, path = served.registry, "/datasets/odd-text-data"
    old = served.client.get(path).headers["etag"]
    _put(served, path, {"title": "Written, then read"})
    new = assert_store_answer(served, "datasets", "odd-text-data")
    assert new != old and served.client.get(path).json()["title"] == "Written, then read"
    assert served.client.get(path, headers={"If-None-Match": old}).status_code == 200
    assert served.client.get(path, headers={"If-None-Match": new}).status_code == 304
    with monkeypatch.context() as m:
        m.setattr(reg.index, "apply", lambda _entries: None)  # the write's entry not applied at once (lock busy)
        _put(served, path, {"title": "Written while the index was busy"})
        with pytest.raises(Behind):
            reg.index.doc("dataset", "odd-text-data")
    assert served.client.get(path).json()["title"] == "Written while the index was busy"
    assert_store_answer(served, "datasets", "odd-text-data")
    assert served.client.delete(path, headers=served.auth()).status_code == 204
    assert "retired" in served.client.get(path).json()
    assert_store_answer(served, "datasets", "odd-text-data")


def test_a_restricted_change_changes_neither_form_nor_tag(served: Api) -> None:
    """The public tag is no function of restricted data: a change of restricted fields alone leaves the
    anonymous answer and its tag as they were (the full view's tag changes), and the index's form holds
    none of them."""
    path, admin = "/datasets/ohip-claims", served.auth()
    before, full_before = served.client.get(path), served.client.get(path, headers=admin)
    secret = "hidden.person@example.org"
    _put(served, path, {"steward": {"name": "Hidden Person", "email": secret}, "retention": "P3Y"})
    after, full_after = served.client.get(path), served.client.get(path, headers=admin)
    assert after.content == before.content and after.headers["etag"] == before.headers["etag"]
    assert full_after.headers["etag"] != full_before.headers["etag"] and full_after.json()["steward"]["email"] == secret
    doc = index_doc(served.registry, KINDS["dataset"], "ohip-claims")
    assert secret not in doc and "Hidden Person" not in doc and "P3Y" not in doc
    assert "steward" not in after.json() and "retention" not in after.json()


def test_a_restart_answers_the_same(tmp_path: Path) -> None:
    """The index on disk, read by the next start's registry: the same bytes and tags (the stored form kept),
    the store's answer."""
    reg = fresh_world_registry(str(tmp_path / "store"))
    api = Api(reg)
    try:
        seen = {(c, rid): (r.content, r.headers["etag"]) for c, records in world().items() for rid in
                (x["id"] for x in records) for r in [api.client.get(f"/{c}/{rid}")]}
    finally:
        api.close()
        reg.close()
    again = open_registry(Settings(data=str(tmp_path / "store")))
    api = Api(again)
    try:
        for (c, rid), (content, tag) in seen.items():
            got = api.client.get(f"/{c}/{rid}")
            assert (got.content, got.headers["etag"]) == (content, tag), (c, rid)
            assert got.content == store_body(again, COLLECTIONS[c], rid)
    finally:
        api.close()
        again.close()


def test_an_index_in_memory_is_read_waiting() -> None:
    """In memory the index has no second connection: a read that may not wait is Behind (the thread pool's
    path answers, from the store), a read that waits answers."""
    reg = fresh_world_registry()
    try:
        with pytest.raises(Behind):
            reg.index.doc("dataset", "ohip-claims")
        body, tag = reg.records.read(KINDS["dataset"], "ohip-claims", full=False)
        assert bytes(JSONResponse(body).body) == store_body(reg, KINDS["dataset"], "ohip-claims")
        assert tag.startswith("public-json-")
    finally:
        reg.close()


class _Busy:
    def execute(self, *_a: Any) -> Any:
        raise sqlite3.OperationalError("database is locked")


def test_a_busy_file_sends_the_lookup_to_the_waiting_read(served: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    """SQLite answering busy to the second connection: Behind (the event loop never waits for it), and the
    lookup is answered by the read that waits."""
    reg = served.registry
    tag = assert_store_answer(served, "agreements", "dsa-moh-idiu-2024")
    with monkeypatch.context() as m:
        m.setattr(reg.index, "_reader", _Busy())
        with pytest.raises(Behind):
            reg.index.doc("agreement", "dsa-moh-idiu-2024")
        got = served.client.get("/agreements/dsa-moh-idiu-2024")
    assert got.status_code == 200 and got.headers["etag"] == tag
    assert got.content == store_body(reg, KINDS["agreement"], "dsa-moh-idiu-2024")


def test_a_lookup_never_waits_for_the_index(served: Api) -> None:
    """The index held by another reader (a long search, an entry, a rebuild: minutes at a million records):
    a public lookup is answered at once, the same bytes and tag (the form made from the store as the index
    makes it), and a write made meanwhile shows. Before, it waited for the index's lock."""
    reg, path = served.registry, "/datasets/odd-text-data"
    before = served.client.get(path)
    with index_held(reg):
        answers: list[Any] = []
        asking = threading.Thread(target=lambda: answers.append(served.client.get(path)))
        asking.start()
        asking.join(20)
        assert answers, "the lookup waited for the index's lock"
        assert (answers[0].content, answers[0].headers["etag"]) == (before.content, before.headers["etag"])
        _put(served, path, {"title": "Written while the index was held"})
        got = served.client.get(path)
        assert got.json()["title"] == "Written while the index was held"
        assert got.content == store_body(reg, KINDS["dataset"], "odd-text-data")
    after = served.client.get(path)  # the index caught up: the same answer from it
    assert (after.content, after.headers["etag"]) == (got.content, got.headers["etag"])
