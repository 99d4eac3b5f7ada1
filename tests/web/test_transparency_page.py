"""The transparency register for people: who receives data from an institution, under which law, since when (a
form over the register, and the named SPARQL query that gives the same answer), the flow diagram's equivalent
table, a legend whose colours hold their contrast, and the register's data in both languages."""

from __future__ import annotations

import csv
import html
import io
import json
import re
from collections import Counter
from urllib.parse import parse_qs, urlsplit

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import SKOS

from conftest import Api
from helpers import assert_problem
from registry.services.reports.transparency import Report
from registry.web.pages import PALETTE, RECIPIENTS_QUERY

HTML = {"Accept": "text/html"}


def cells(table: str) -> list[list[str]]:
    rows = re.findall(r"<tr>(.*?)</tr>", table, re.S)
    return [[re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", "", c))).strip()
             for c in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", r, re.S)] for r in rows]


def test_who_receives_data_from_an_institution_and_the_same_answer_by_sparql(world_api: Api) -> None:
    reg = world_api.registry
    page = world_api.client.get("/transparency", params={"from": "moh"}, headers=HTML).text
    table = re.search(r'<table id="recipients">.*?</table>', page, re.S)
    assert table, "the answer"
    rows = cells(table.group(0))[1:]
    report = world_api.client.get("/reports/flows").json()
    expected = [e for e in report["agreements"] if e["provider"]["id"] == "moh"]
    assert len(rows) == len(expected) == 2
    shown = {(r[0], r[1], r[2]) for r in rows}
    assert shown == {(e["recipient"]["name"], "; ".join(a["label"] for a in e["legal_authorities"]), e["valid_from"])
                     for e in expected}
    # the named query, with the provider bound, says the same
    rows_by_query = reg.views.public.select(reg.resources.query(RECIPIENTS_QUERY),
                                            {"provider": reg.iris.record("organization", "moh")})
    by_query = {(str(r["recipientName"]), reg.iris.id_of(r["agreement"]), str(r["since"])) for r in rows_by_query}
    assert by_query == {(e["recipient"]["name"], e["id"], e["valid_from"]) for e in expected}
    # and so does the link the page gives, run on /sparql
    link = html.unescape(re.search(r'<a href="(/sparql\?[^"]+)">', page).group(1))
    query = parse_qs(urlsplit(link).query)["query"][0]
    assert query.startswith(reg.resources.query(RECIPIENTS_QUERY).rstrip())
    answer = world_api.client.get("/sparql", params={"query": query}, headers={"Accept": "application/sparql-results+json"})
    assert answer.status_code == 200, answer.text
    bindings = answer.json()["results"]["bindings"]
    assert {(b["recipientName"]["value"], reg.iris.id_of(URIRef(b["agreement"]["value"])), b["since"]["value"])
            for b in bindings} == by_query
    # an institution that provides nothing says so; a bad id is a problem naming the field
    nothing = world_api.client.get("/transparency", params={"from": "mof"}, headers=HTML).text
    assert 'id="recipients"' not in nothing and "No active agreement has" in nothing
    assert "from" in assert_problem(world_api.client.get("/transparency", params={"from": "Not An Id"}, headers=HTML),
                                    422)["violations"][0]["field"]


def test_the_flow_diagram_has_an_equivalent_table(world_api: Api) -> None:
    page = world_api.client.get("/transparency", headers=HTML).text
    data = json.loads(re.search(r'<script type="application/json" id="flows-data">(.*?)</script>', page, re.S).group(1))
    table = re.search(r'<table id="flow-table">.*?</table>', page, re.S)
    assert table
    rows = cells(table.group(0))[1:]
    assert rows == [[data["nodes"][link["source"]]["label"], data["nodes"][link["target"]]["label"], link["label"],
                     str(link["value"])] for link in data["links"]]
    assert sum(int(r[3]) for r in rows) >= len(world_api.client.get("/reports/flows").json()["agreements"])


def contrast(a: str, b: str = "#ffffff") -> float:
    def luminance(colour: str) -> float:
        r, g, b_ = (int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5))
        lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in (r, g, b_)]
        return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]
    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_the_legend_colours_hold_their_contrast(world_api: Api) -> None:
    assert contrast("#767676") < 4.6 and contrast("#000000") == 21  # the formula itself
    for colour in PALETTE:  # a swatch is a graphical object: 3:1 against the page
        assert contrast(colour) >= 3, colour
    assert len(set(PALETTE)) == len(PALETTE)
    page = world_api.client.get("/transparency", headers=HTML).text
    legend = re.search(r'<ul class="legend".*?</ul>', page, re.S).group(0)
    used = re.findall(r"background: (#[0-9A-Fa-f]{6})", legend)
    assert used and set(used) <= set(PALETTE)


def test_the_register_data_carries_both_languages(world_api: Api) -> None:
    rows = list(csv.DictReader(io.StringIO(world_api.client.get("/reports/flows?format=csv").text)))
    moh = next(r for r in rows if r["agreement"] == "dsa-moh-idiu-2024")
    assert moh["purposes_en"] == "program evaluation; program planning"
    assert moh["purposes_fr"] == "évaluation de programme; planification de programme"
    assert moh["legal_authorities_en"] == "FIPPA Part III.1" and moh["legal_authorities_fr"]
    g = Graph().parse(data=world_api.client.get("/reports/flows?format=jsonld").text, format="json-ld")
    purpose = URIRef("https://w3id.org/gov-data-registry/vocab/purpose/program-evaluation")
    assert set(g.objects(purpose, SKOS.prefLabel)) == {Literal("program evaluation", lang="en"),
                                                        Literal("évaluation de programme", lang="fr")}
    flows = world_api.client.get("/reports/flows").json()
    entry = next(e for e in flows["agreements"] if e["id"] == "dsa-moh-idiu-2024")
    assert entry["purposes"][0]["labels"] == {"en": "program evaluation", "fr": "évaluation de programme"}
    assert all("en" in link["labels"] for link in flows["sankey"]["links"])
    french = world_api.client.get("/fr/transparency").text
    assert "évaluation de programme" in french and "Flux entre institutions" in french


def test_the_register_comes_in_pages_and_every_page_adds_up_to_the_whole(world_api: Api) -> None:
    c = world_api.client
    whole = c.get("/reports/flows", params={"on": "2025-02-01", "limit": 1000}).json()
    ids = [e["id"] for e in whole["agreements"]]
    assert whole["total"] == len(ids) > 4 and whole["offset"] == 0
    pages = [c.get("/reports/flows", params={"on": "2025-02-01", "limit": 3, "offset": at}).json()
             for at in range(0, len(ids), 3)]
    assert [e["id"] for p in pages for e in p["agreements"]] == ids
    assert all(p["total"] == len(ids) and p["limit"] == 3 for p in pages)
    assert all(p["by_pair_total"] == whole["by_pair_total"] and p["sankey"]["links_total"]
               == whole["sankey"]["links_total"] for p in pages)  # the counts are of the whole register
    assert pages[0]["by_pair"] == whole["by_pair"][:3], "each other list: the largest `limit`"
    assert c.get("/reports/flows", params={"on": "2025-02-01"}).json()["limit"] == 100  # the default page
    assert c.get("/reports/flows", params={"offset": 10_000}).json()["agreements"] == []
    # the page for people: from `offset`, a link back to the page before, keeping the date
    page = c.get("/fr/transparency", params={"on": "2025-02-01", "offset": 4}, headers=HTML).text
    register = re.search(r'<table class="register">.*?</table>', page, re.S)
    assert register is not None
    assert len(cells(register.group(0))) - 1 == len(ids) - 4
    assert '<a href="/fr/transparency?on=2025-02-01" rel="prev">' in page and 'rel="next"' not in page


def test_a_page_of_the_register_holds_the_largest_of_each_list_and_says_how_many_there_are() -> None:
    n, top = 75, 60
    nodes = [{"id": f"org-{i}", "label": f"Org {i}"} for i in range(n + 1)]
    links = [{"source": i, "target": i + 1, "authority": "fippa-42-1-c", "label": "s. 42(1)(c)",
              "labels": {"en": "s. 42(1)(c)"}, "value": i + 1} for i in range(n)]
    pairs = [{"provider": f"org-{i}", "recipient": f"org-{i + 1}", "count": n - i} for i in range(n)]
    report = Report(as_of="2025-02-01", agreements=[], by_authority=[{"id": "fippa-42-1-c", "label": "x", "count": n}],
                    by_pair=pairs, expiring=[{"id": f"a-{i}", "days_left": i} for i in range(n)],
                    unmatched_flows=[dict(p) for p in pairs],
                    sankey={"nodes": nodes, "links": links,
                            "authorities": [{"id": "fippa-42-1-c", "label": "x", "labels": {"en": "x"}},
                                            {"id": "unused", "label": "y", "labels": {"en": "y"}}]})
    whole = report.as_json()
    assert len(whole["sankey"]["links"]) == n and whole["sankey"]["nodes"] == nodes, "all of it without `top`"
    shown = report.as_json(top=top)
    s = shown["sankey"]
    assert len(s["links"]) == top and s["links_total"] == n
    # the largest links, each still between the same two institutions after the nodes are numbered anew
    assert sorted(link["value"] for link in s["links"]) == list(range(n - top + 1, n + 1))
    assert all(s["nodes"][link["source"]]["id"] == f"org-{link['value'] - 1}"
               and s["nodes"][link["target"]]["id"] == f"org-{link['value']}" for link in s["links"])
    assert [a["id"] for a in s["authorities"]] == ["fippa-42-1-c"]
    assert shown["by_pair_total"] == n and len(shown["by_pair"]) == top and shown["by_pair"][0]["count"] == n
    assert shown["expiring_total"] == n and [e["days_left"] for e in shown["expiring_within_90_days"]][:2] == [0, 1]
    u = shown["personal_information_flows_without_agreement"]
    assert u["pairs_total"] == n and len(u["by_pair"]) == top and u["total"] == sum(range(1, n + 1))
    shown["by_authority"][0]["label"] = shown["by_pair"][0]["provider"] = s["links"][0]["labels"]["en"] = "changed"
    assert report.by_authority[0]["label"] == "x" and pairs[0]["provider"] == "org-0", "the report is left as it was"
    assert links[-1]["labels"]["en"] == "s. 42(1)(c)"


def test_with_many_providing_institutions_the_form_suggests_those_with_the_most_agreements(
        world_api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    from registry.web import pages

    whole = world_api.client.get("/reports/flows", params={"on": "2025-02-01", "limit": 1000}).json()
    counts = Counter(e["provider"]["id"] for e in whole["agreements"])
    assert len(counts) > 3
    monkeypatch.setattr(pages, "PROVIDERS_LISTED", 3)  # as if the registry had more providers than a list holds
    page = world_api.client.get("/transparency", params={"on": "2025-02-01", "from": "moh"}, headers=HTML).text
    assert '<select id="from"' not in page and '<input id="from" name="from" list="from-list" value="moh"' in page
    offered = re.findall(r'<datalist id="from-list">(.*?)</datalist>', page, re.S)[0]
    ids = re.findall(r'<option value="([^"]+)"', offered)
    assert len(ids) == 3 and all(counts[i] >= max(c for p, c in counts.items() if p not in ids) for i in ids)
    assert 'id="from-hint"' in page and 'aria-describedby="from-hint"' in page
    assert '<table id="recipients">' in page, "the answer for the id typed is still given"
