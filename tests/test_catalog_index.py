"""The catalogue index (SQLite beside the store): kept in step on every write, it holds what a rebuild
from the store would hold, row for row and count for count."""

from __future__ import annotations

import sqlite3
from typing import Any

import pytest

from conftest import Api, world
from registry.domain.model import KINDS
from registry.projections.catalog_index import TEXT_TABLE, WEIGHTS, CatalogIndex, _fts_query, text_table
from registry.services.registry import Registry


def index_state(index: CatalogIndex) -> dict[str, Any]:
    """What the index holds, by (kind, id) rather than by rowid (a rebuild numbers rows anew)."""
    db = index.db
    key = {rowid: (kind, rid) for rowid, kind, rid in db.execute("SELECT rowid, kind, id FROM records")}
    return {
        "records": sorted((kind, rid, retired, doc) for kind, rid, retired, doc in db.execute(
            "SELECT kind, id, retired, doc FROM records")),
        "facets": sorted((kind, facet, value, key[rid]) for kind, facet, value, rid in db.execute(
            "SELECT kind, facet, value, rid FROM facets")),
        "counts": sorted(row for row in db.execute("SELECT kind, facet, value, n FROM counts") if row[3] != 0),
        "text": sorted((key[rowid], title, body, tags) for kind in KINDS for rowid, title, body, tags in db.execute(
            f"SELECT rowid, title, body, tags FROM {text_table(kind)}")),  # noqa: S608
    }


def churn(api: Api) -> None:
    """The casebook world through the API, then updates, a retirement and a new record."""
    admin = api.auth()
    data = world()
    for collection in ("organizations", "datasets", "agreements"):
        for item in data[collection]:
            assert api.client.post(f"/{collection}", json=item, headers=admin).status_code == 201
    first = dict(data["datasets"][0], title="A new title", keywords=["renamed", "again"])
    assert api.client.put(f"/datasets/{first['id']}", json=first, headers=admin).status_code == 200
    gone = data["datasets"][1]["id"]
    assert api.client.delete(f"/datasets/{gone}", headers=admin).status_code == 204
    extra = dict(data["datasets"][2], id="an-extra-dataset", title="Extra", derived_from=[])
    assert api.client.post("/datasets", json=extra, headers=admin).status_code == 201


def test_the_index_kept_in_step_equals_one_rebuilt_from_the_store(api: Api) -> None:
    churn(api)
    registry: Registry = api.registry
    registry.index.sync()
    kept = index_state(registry.index)
    gone = world()["datasets"][1]["id"]
    assert any(r[:3] == ("dataset", gone, 1) for r in kept["records"]), "the retired dataset is kept, retired"
    assert any(title == "A new title" for _key, title, _body, _tags in kept["text"])
    registry.index.rebuild()
    assert index_state(registry.index) == kept


def test_a_list_page_is_what_anyone_reads_record_by_record(api: Api) -> None:
    churn(api)
    for collection in ("organizations", "datasets", "agreements"):
        page = api.client.get(f"/{collection}", params={"limit": 500, "include_retired": "true"}).json()
        assert page["items"]
        for item in page["items"]:
            assert item == api.client.get(f"/{collection}/{item['id']}").json()
    steward = api.client.get("/datasets", params={"q": "new title"}, headers=api.auth()).json()["items"][0]
    assert steward == api.client.get(f"/datasets/{steward['id']}", headers=api.auth()).json()
    assert "effective_personal_information" in steward, "a caller who may see more reads it from the store"


def test_a_search_after_a_rebuild_finds_what_it_found_before(api: Api) -> None:
    churn(api)
    before = api.client.get("/datasets", params={"q": "new title"}).json()
    stats = api.client.get("/stats").json()
    api.registry.index.rebuild()
    assert api.client.get("/datasets", params={"q": "new title"}).json() == before
    assert before["total"] == 1
    assert api.client.get("/stats").json() == stats


def post_surveys(api: Api) -> list[str]:
    """The casebook world, then nine datasets matching "survey" (ids in the reverse order of writing):
    three in the title, six only in the description or keywords, written in the order returned."""
    admin = api.auth()
    data = world()
    for collection in ("organizations", "datasets", "agreements"):
        for item in data[collection]:
            assert api.client.post(f"/{collection}", json=item, headers=admin).status_code == 201
    assert api.client.get("/datasets", params={"q": "survey"}).json()["total"] == 0  # the index is built
    written = []
    for i in range(9):
        in_title = i % 3 == 1
        body = dict(data["datasets"][2], id=f"survey-{chr(ord('z') - i)}", derived_from=[],
                    title=f"Household survey {i}" if in_title else f"Household panel {i}",
                    description="Answers to a yearly questionnaire." if in_title else "Answers to a yearly survey.",
                    keywords=["survey"] if i == 5 else ["households"])
        assert api.client.post("/datasets", json=body, headers=admin).status_code == 201
        written.append(body["id"])
    return written


def search_ids(api: Api, q: str, limit: int = 100, offset: int = 0, **filters: str) -> tuple[list[str], int]:
    body = api.client.get("/datasets", params={"q": q, "limit": limit, "offset": offset, **filters}).json()
    return [item["id"] for item in body["items"]], body["total"]


def test_a_search_ranks_every_match_by_relevance_up_to_the_limit(api: Api) -> None:
    written = post_surveys(api)
    ids, total = search_ids(api, "survey")
    assert total == 9 and sorted(ids) == sorted(written)
    assert set(ids[:3]) == {"survey-y", "survey-v", "survey-s"}, "title matches weigh more"
    assert ids[3] == "survey-u", "a second match (in the keywords) comes next"


def test_above_the_limit_the_most_recent_matches_are_ranked_then_the_rest_follow_newest_first(api: Api) -> None:
    written = post_surveys(api)
    api.registry.index.rank_limit = 4
    ids, total = search_ids(api, "survey")
    assert total == 9 and sorted(ids) == sorted(written)
    # the four written last: survey-s has the title match, survey-u two matches, then the newest first
    assert ids[:4] == ["survey-s", "survey-u", "survey-r", "survey-t"]
    assert ids[4:] == written[:-4][::-1]
    pages = [search_ids(api, "survey", limit=2, offset=o) for o in range(0, 10, 2)]
    assert [i for page, _total in pages for i in page] == ids, "pages put together give the same order"
    assert {t for _page, t in pages} == {9}
    api.registry.index.rank_limit = 0
    assert search_ids(api, "survey")[0] == written[::-1]
    api.registry.index.rebuild()  # numbers the records in id order: the highest ids count as the newest
    assert search_ids(api, "survey")[0] == sorted(written, reverse=True)


def test_a_search_filters_by_tags_of_the_same_match_and_counts_exactly(api: Api) -> None:
    written = post_surveys(api)
    admin = api.auth()
    assert api.client.delete("/datasets/survey-v", headers=admin).status_code == 204
    ids, total = search_ids(api, "survey")
    assert total == 8 and sorted(ids) == sorted(set(written) - {"survey-v"})
    body = api.client.get("/datasets", params={"q": "survey", "include_retired": "true", "limit": 100}).json()
    assert body["total"] == 9 and "survey-v" in [i["id"] for i in body["items"]]
    assert search_ids(api, "survey", publisher="mcu")[1] == 8
    assert search_ids(api, "survey", publisher="mto") == ([], 0)
    assert search_ids(api, "household survey", keyword="survey") == (["survey-u"], 1)
    assert search_ids(api, "surv hous")[1] == 8, "every word, as a prefix"
    assert search_ids(api, "survey", access="non-public", sensitivity="medium")[1] == 8
    assert set(search_ids(api, "loans")[0]) == {"osap-loans"}, "tags are not words: 'loans' is a keyword here"


def test_an_index_file_of_an_older_version_is_emptied_and_rebuilt(tmp_path: Any) -> None:
    path = tmp_path / "registry.index.sqlite"
    old = sqlite3.connect(path)
    old.executescript("CREATE TABLE records (rowid INTEGER PRIMARY KEY, kind TEXT, id TEXT);"
                      "CREATE VIRTUAL TABLE text USING fts5(body); INSERT INTO text (body) VALUES ('stale');"
                      "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
                      "INSERT INTO meta VALUES ('seq', '7');")
    old.commit()
    old.close()
    index = CatalogIndex(path, store=None, iris=None, resources=None, follower=None)  # type: ignore[arg-type]
    try:
        names = {n for (n,) in index.db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        assert "text" not in names and {text_table(k) for k in KINDS} <= names
        assert index.applied() == -1, "what was applied is forgotten: the next read rebuilds"
        assert index.db.execute("PRAGMA user_version").fetchone()[0] > 0
    finally:
        index.close()
    again = CatalogIndex(path, store=None, iris=None, resources=None, follower=None)  # type: ignore[arg-type]
    again._set_applied(3)
    again.close()
    assert CatalogIndex(path, store=None, iris=None, resources=None, follower=None).applied() == 3, "the same version is kept"  # type: ignore[arg-type]


#: titles (one per row) for the searches of technical names, by rowid
NAMES = {1: "ohip.claims_daily_summary", 2: "ices-linked-cohort", 3: "daily_claims_summary",
         4: "OHIP summary of claims", 5: "Derived from ohip.claims_daily_summary, weekly", 6: "Household survey"}
HOSTILE = ['"', '""', "*", "NEAR(", "NEAR(a b, 2)", "-", ":", "^", "(", ")", "{", "}", "+", "'", "AND", "OR x",
           "NOT", "title:ohip", "{title}:ohip", "^ohip", "-ohip", '"ohip', "ohip*", "ohip\x00x", 'a"b"c', "\u0301",
           "_.-", "o'brien", "x" * 200, " ".join(["ohip"] * 40)]


def match_names(q: str) -> list[int]:
    """The rowids of NAMES that a search for `q` matches, in the index's own full-text table."""
    db = sqlite3.connect(":memory:")
    t = text_table("dataset")
    db.execute(TEXT_TABLE.format(table=t))
    db.executemany(f"INSERT INTO {t} (rowid, title, body, tags) VALUES (?, ?, '', '')", NAMES.items())  # noqa: S608
    match = _fts_query(q, {}, include_retired=True)
    return [r for (r,) in db.execute(f"SELECT rowid FROM {t} WHERE {t} MATCH ? ORDER BY rowid", (match,))] if match else []  # noqa: S608


@pytest.mark.parametrize(("q", "found"), [
    ("ohip.claims_daily_summary", [1, 5]),
    ("claims_daily_summary", [1, 5]),
    ("claims_daily", [1, 5]),
    ("OHIP.Claims_Daily_Summary", [1, 5]),
    ("ohip.claims_dai", [1, 5]),
    ("ohip", [1, 4, 5]),
    ("claims", [1, 3, 4, 5]),
    ("daily", [1, 3, 5]),
    ("summary", [1, 3, 4, 5]),
    ("summ", [1, 3, 4, 5]),
    ("daily_claims", [3]),
    ("ices-linked-cohort", [2]),
    ("linked-cohort", [2]),
    ("Linked", [2]),
    ("ices_linked.cohort", [2]),
    ("ohip claims", [1, 4, 5]),
    ("ohip.claims_daily_summary weekly", [5]),
])
def test_a_technical_name_is_found_whole_and_by_its_parts(q: str, found: list[int]) -> None:
    assert match_names(q) == found


@pytest.mark.parametrize("q", HOSTILE)
def test_fts5_syntax_in_a_search_is_read_as_text(q: str) -> None:
    match_names(q)  # a syntax error would raise sqlite3.OperationalError
    if not any(ch.isalnum() for ch in q):
        assert match_names(f"{q} ohip {q}") == match_names("ohip"), "a word without letters or digits is left out"


def post_named(api: Api) -> None:
    """The casebook world, then datasets titled by technical names (ids as in NAMES, by rowid)."""
    admin = api.auth()
    template = world()["datasets"][2]
    for rowid, title in NAMES.items():
        body = dict(template, id=f"named-{rowid}", title=title, derived_from=[], keywords=["names"])
        assert api.client.post("/datasets", json=body, headers=admin).status_code == 201


def test_a_search_finds_a_technical_name_whole_and_by_its_parts(world_api: Api) -> None:
    post_named(world_api)
    for q in ("ohip.claims_daily_summary", "claims_daily_summary", "claims_daily", "OHIP.CLAIMS_DAILY_SUMMARY",
              "ohip.claims_dai"):
        ids, total = search_ids(world_api, q)
        assert (ids, total) == (["named-1", "named-5"], 2), f"{q}: the title first, then the longer one"
    for q in ("ohip", "claims", "daily", "summary"):
        assert "named-1" in search_ids(world_api, q)[0], q
    assert search_ids(world_api, "daily_claims") == (["named-3"], 1)
    for q in ("ices-linked-cohort", "linked-cohort", "cohort", "ICES"):
        assert search_ids(world_api, q) == (["named-2"], 1), q
    web = world_api.client.get("/search", params={"q": "claims_daily_summary"}, headers={"Accept": "text/html"})
    assert web.status_code == 200 and "ohip.claims_daily_summary" in web.text


def test_fts5_syntax_in_a_search_is_never_an_error(world_api: Api) -> None:
    post_named(world_api)
    for q in HOSTILE:
        for path in ("/datasets", "/agreements", "/organizations"):
            r = world_api.client.get(path, params={"q": q})
            assert r.status_code in (200, 422) if "\x00" in q else r.status_code == 200, (path, q, r.text)
            assert r.status_code != 500
        r = world_api.client.get("/search", params={"q": q}, headers={"Accept": "text/html"})
        assert r.status_code != 500, (q, r.text)
    ohip = search_ids(world_api, "ohip")
    assert {"named-1", "named-4", "named-5"} <= set(ohip[0]) and search_ids(world_api, '"ohip') == ohip
    assert search_ids(world_api, "-ohip") == ohip, "a minus is not a NOT"
    assert search_ids(world_api, "NEAR(ohip claims, 2)")[1] == 0


#: (title, description, keywords) of datasets written in this order: ties, words that begin others, words
#: that look like tags ("retired", "f" and hex digits), a word with a diacritic, several hits in one row
SCORED = [("Claims tied", "Yearly counts.", []), ("Claims tied", "Yearly counts.", []),
          ("Claims tied", "Yearly counts.", []), ("Claimant register", "Claim forms.", ["claims"]),
          ("Fab f00d retired", "Tied to claims.", []), ("Rétired staff", "Claims of staff.", []),
          ("Ret", "Claims, claims and claims.", ["claims"]), ("Claims tied", "Yearly counts.", []),
          ("Household panel", "Tied claims.", ["fab"])]
SCORED_QUERIES = ["claims", "claim", "tied", "claims tied", "claim tied", "retired", "rétired", "ret", "fab", "f00d",
                  "f", "fa", "staff", "CLAIMS", "ohip claims", "claims_tied", "zqsteward", "hidden"]


def post_scored(api: Api) -> list[str]:
    """The casebook world, then the SCORED datasets (each with a steward named "Zqsteward Hidden": restricted
    text), the second retired; their ids in the order written."""
    admin = api.auth()
    data = world()
    for collection in ("organizations", "datasets", "agreements"):
        for item in data[collection]:
            assert api.client.post(f"/{collection}", json=item, headers=admin).status_code == 201
    written = []
    for i, (title, description, keywords) in enumerate(SCORED):
        body = dict(data["datasets"][2], id=f"scored-{i}", title=title, description=description, keywords=keywords,
                    derived_from=[], steward={"name": "Zqsteward Hidden", "email": "zq@example.org"})
        assert api.client.post("/datasets", json=body, headers=admin).status_code == 201
        written.append(body["id"])
    assert api.client.delete(f"/datasets/{written[1]}", headers=admin).status_code == 204
    return written


def contract(index: CatalogIndex, q: str, include_retired: bool, **filters: str) -> tuple[list[str], int]:
    """Every match of the plain query (each last part a prefix, the words scoped to title and body) with its
    bm25 score, in the order the search promises: the `rank_limit` most recently written by score (ties: the
    newest first), then the rest newest first; and their number."""
    index.sync()
    t = text_table("dataset")
    match = _fts_query(q, filters, include_retired)
    rows = index.db.execute(f"SELECT rowid, bm25({t}, {WEIGHTS}) FROM {t} WHERE {t} MATCH ?", (match,)).fetchall()  # noqa: S608
    newest = sorted(rows, key=lambda row: -row[0])
    limit = index.rank_limit
    order = sorted(newest[:limit], key=lambda row: (row[1], -row[0])) + newest[limit:]
    ids = dict(index.db.execute("SELECT rowid, id FROM records WHERE kind = 'dataset'"))
    return [ids[rowid] for rowid, _score in order], len(rows)


def test_the_faster_match_finds_the_same_rows_with_the_same_scores(api: Api) -> None:
    post_scored(api)
    index, kind, t = api.registry.index, KINDS["dataset"], text_table("dataset")
    index.sync()  # then read without the follower's lock: nothing else uses the index meanwhile
    scored = f"SELECT rowid, bm25({t}, {WEIGHTS}) FROM {t} WHERE {t} MATCH ? ORDER BY rowid"  # noqa: S608
    for q in SCORED_QUERIES:
        for filters in ({}, {"publisher": "mcu"}, {"keyword": "claims"}):
            for include_retired in (False, True):
                plain, faster = _fts_query(q, filters, include_retired), index._match(kind, q, filters, include_retired)
                assert index.db.execute(scored, (faster,)).fetchall() == index.db.execute(scored, (plain,)).fetchall(), \
                    (q, filters, include_retired, faster)
    assert index._match(kind, "tied", {}, False) == '("tied") NOT {tags} : retired', "a whole word, not scoped"
    assert '"claim"*' in index._match(kind, "claim", {}, False), "claims and claimant begin with claim"
    for q in ("retired", "ret", "f00d", "fab", "rétired"):
        assert index._match(kind, q, {}, True).startswith("{title body} : ("), f"{q} might match a tag"


def test_a_search_answers_in_the_promised_order_whatever_the_form_of_its_match(api: Api) -> None:
    post_scored(api)
    index = api.registry.index
    for rank_limit in (3, 5000):
        index.rank_limit = rank_limit
        for q in SCORED_QUERIES:
            for include_retired in (False, True):
                params = {"include_retired": str(include_retired).lower()}
                expected, total = contract(index, q, include_retired)
                pages = [api.client.get("/datasets", params={"q": q, "limit": 2, "offset": o, **params}).json()
                         for o in range(0, max(total, 1) + 2, 2)]
                assert [i["id"] for p in pages for i in p["items"]] == expected, (rank_limit, q, include_retired)
                assert {p["total"] for p in pages} == {total}
                assert search_ids(api, q, publisher="mcu", **params) == contract(index, q, include_retired, publisher="mcu")
    ties = search_ids(api, "tied")[0]
    assert ties[:3] == ["scored-7", "scored-2", "scored-0"], "equal scores: the newest first; the retired one left out"
    for caller in ({}, api.auth()):  # the steward's name is restricted: no search finds it, for anyone
        for q in ("zqsteward", "hidden", "zqsteward claims"):
            body = api.client.get("/datasets", params={"q": q, "include_retired": "true"}, headers=caller).json()
            assert (body["items"], body["total"]) == ([], 0)
