"""The DCAT fields of a dataset: JSON -> RDF -> JSON exact for every field, Turtle back to the same graph,
the value mappings (languages, frequencies, themes, checksum algorithms) equal to the vocabulary files
the shapes read, and URLs that reach RDF only as well-formed IRIs."""

from __future__ import annotations

import copy
from typing import Any

import pyoxigraph
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError
from rdflib import Graph, Literal, URIRef
from rdflib.compare import isomorphic

from helpers import DATA, load_json
from registry.domain.model import DATASET, Iris
from registry.domain.model.dcat import (
    CHECKSUM_ALGORITHMS,
    CHECKSUM_SCHEME,
    DATA_THEME,
    EU_LANGUAGE,
    FREQUENCIES,
    FREQUENCY,
    LANGUAGES,
    SPDX,
    THEME,
    THEME_SCHEME,
    THEMES,
    in_english,
    is_url,
    url_term,
)
from registry.namespaces import DCAT, DCTERMS, SKOS
from registry.resources import Resources

IRIS = Iris("https://registry.example.org")
RECORDS = load_json(DATA / "dcat-records.json")["datasets"]


def graphs(data: dict[str, Any]) -> Any:
    return DATASET.to_rdf(DATASET.model.model_validate(data), IRIS)


def back(data: dict[str, Any], g: Graph | None = None) -> dict[str, Any]:
    rg = graphs(data)
    return DATASET.from_rdf(rg.union() if g is None else g, rg.iri, IRIS)


@pytest.mark.parametrize("data", RECORDS, ids=[r["id"] for r in RECORDS])
def test_every_field_reads_back_exactly(data: dict[str, Any]) -> None:
    """Each field the record gives reads back equal, lists in the order given (those the reader sorts
    are given sorted), a title in English only as a text and any other as the same map."""
    got = back(data)
    for key, value in data.items():
        assert got[key] == value, key


def test_every_dcat_field_is_exercised() -> None:
    fields = set(DATASET.model.model_fields) - {"licence", "openlineage"}
    given_fields = {k for r in RECORDS for k in r}
    assert fields <= given_fields, fields - given_fields
    dist_fields = {k for r in RECORDS for d in r.get("distributions", []) for k in d}
    assert dist_fields == set(DATASET.model.model_fields["distributions"].annotation.__args__[0].model_fields)  # type: ignore[union-attr]


@pytest.mark.parametrize("data", RECORDS, ids=[r["id"] for r in RECORDS])
def test_turtle_reads_back_to_the_same_graphs(data: dict[str, Any]) -> None:
    rg = graphs(data)
    public = Graph()
    public += rg.public
    turtle = public.serialize(format="turtle")
    parsed = Graph().parse(data=turtle, format="turtle")
    assert isomorphic(parsed, public)
    parsed += rg.restricted
    again = graphs({k: v for k, v in DATASET.from_rdf(parsed, rg.iri, IRIS).items() if v is not None})
    assert set(again.public) == set(rg.public)
    assert set(again.restricted) == set(rg.restricted)


def test_dcat_fields_are_public_and_the_steward_is_not() -> None:
    data = RECORDS[0]
    rg = graphs(data)
    public = DATASET.from_rdf(rg.public, rg.iri, IRIS)
    for key in ("distributions", "landing_page", "language", "themes", "license", "modified", "frequency",
                "spatial", "temporal", "version", "conforms_to", "contact_point", "source", "title", "description"):
        assert public[key] == data[key], key
    for key in ("steward", "retention", "personal_information", "personal_data_categories"):
        assert key not in public
    assert not any("Zqx" in str(o) for o in rg.public.objects())


def test_titles_are_language_tagged() -> None:
    rg = graphs({"id": "t", "title": "Plain", "description": {"fr": "Seulement en français"}})
    assert set(rg.public.objects(rg.iri, DCTERMS.title)) == {Literal("Plain", lang="en")}
    assert set(rg.public.objects(rg.iri, DCTERMS.description)) == {Literal("Seulement en français", lang="fr")}
    got = back({"id": "t", "title": {"EN": "Upper", "fr-CA": "Majuscules"}})
    assert got["title"] == {"en": "Upper", "fr-ca": "Majuscules"}  # tags in lower case, as stores keep them
    assert back({"id": "t", "title": {"en": "Only English"}})["title"] == "Only English"
    assert in_english({"fr": "Bonjour", "en-ca": "Hello"}) == "Hello"


def test_a_plain_title_written_before_tags_reads_as_english() -> None:
    rg = graphs({"id": "old", "title": "x"})
    g = Graph()
    for t in rg.public:
        g.add(t)
    g.set((rg.iri, DCTERMS.title, Literal("Old title")))
    assert DATASET.from_rdf(g, rg.iri, IRIS)["title"] == "Old title"


@pytest.mark.parametrize(("data", "loc"), [
    ({"title": {"en": "a", "EN": "b"}}, "title"),
    ({"title": {"not a tag": "x"}}, "title"),
    ({"title": {}}, "title"),
    ({"distributions": [{"byte_size": -1}]}, "distributions.0.byte_size"),
    ({"distributions": [{"byte_size": True}]}, "distributions.0.byte_size"),
    ({"distributions": [{"checksum": {"algorithm": "sha256", "value": "xyz"}}]}, "distributions.0.checksum.value"),
    ({"distributions": [{"issued": "2024-02-30"}]}, "distributions.0.issued"),
    ({"temporal": {"start": "soon"}}, "temporal.start"),
    ({"language": ["en-CA"]}, "language.0"),
    ({"license": "a", "licence": "b"}, ""),
])
def test_malformed_values_are_refused_by_the_model(data: dict[str, Any], loc: str) -> None:
    with pytest.raises(ValidationError) as e:
        DATASET.model.model_validate({"id": "bad", **data})
    assert loc in {".".join(str(x) for x in err["loc"]) for err in e.value.errors()}


def test_licence_and_license_are_one_field() -> None:
    for spelling in ("license", "licence"):
        got = back({"id": "l", spelling: "https://example.org/licence"})
        assert got["license"] == got["licence"] == "https://example.org/licence"
    both = back({"id": "l", "license": "OGL", "licence": "OGL"})
    assert both["license"] == "OGL"


def test_themes_codes_are_concepts_and_other_themes_stay_texts() -> None:
    rg = graphs({"id": "th", "themes": ["health", "Health", "weather"]})
    assert set(rg.public.objects(rg.iri, DCAT.theme)) == {THEME.health, Literal("Health"), Literal("weather")}
    g = rg.public
    g.add((rg.iri, DCAT.theme, DATA_THEME.TRAN))  # an EU data theme read from RDF: the registry's code
    assert DATASET.from_rdf(g, rg.iri, IRIS)["themes"] == ["Health", "health", "transport", "weather"]


# ------------------------------------------------------------------ the vocabulary files
def vocab() -> Graph:
    return Resources().vocabularies()


@pytest.mark.parametrize(("table", "iri", "scheme"), [
    (LANGUAGES, lambda tag, code: EU_LANGUAGE[code], URIRef(str(EU_LANGUAGE).rstrip("/"))),
    (FREQUENCIES, lambda name, code: FREQUENCY[code], URIRef(str(FREQUENCY).rstrip("/"))),
    (THEMES, lambda code, eu: THEME[code], THEME_SCHEME),
    (CHECKSUM_ALGORITHMS, lambda name, term: SPDX[term], CHECKSUM_SCHEME),
], ids=["languages", "frequencies", "themes", "checksum-algorithms"])
def test_the_tables_equal_the_vocabulary_files(table: dict[str, str], iri: Any, scheme: URIRef) -> None:
    g = vocab()
    in_file = {str(g.value(c, SKOS.notation)): c for c in g.subjects(SKOS.inScheme, scheme)}
    assert in_file == {k: iri(k, v) for k, v in table.items()}
    assert all(g.value(c, SKOS.prefLabel) is not None for c in in_file.values())


def test_each_theme_matches_its_eu_data_theme() -> None:
    g = vocab()
    assert {c: str(g.value(THEME[c], SKOS.exactMatch)) for c in THEMES} == {c: str(DATA_THEME[eu]) for c, eu in
                                                                              THEMES.items()}


# ---------------------------------------------------------------------------------- URLs
def oxigraph_accepts(iri: str) -> bool:
    try:
        pyoxigraph.NamedNode(iri)
    except ValueError:
        return False
    return True


@pytest.mark.parametrize("url", ["https://example.org/", "http://example.org:8080/a/b?c=d&e=%20#frag",
                                 "https://exämple.org/ü?q=é", "https://example.org/a(b)!$'*+,;=:@-._~"])
def test_urls_become_iris(url: str) -> None:
    assert is_url(url) and isinstance(url_term(url), URIRef) and oxigraph_accepts(url)


@pytest.mark.parametrize("text", ["ftp://example.org/", "example.org", "https://", "https://a b/",
                                  "https://example.org/%zz", "https://example.org/a#b#c", "https://example.org/{x}",
                                  "javascript:alert(1)", "https://example.org/\ue000", "https://example.org:port/",
                                  "https://example.org/a\nb"])
def test_other_texts_stay_texts(text: str) -> None:
    assert not is_url(text) and isinstance(url_term(text), Literal)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=30))
def test_whatever_becomes_an_iri_is_one_a_store_accepts(tail: str) -> None:
    for url in ("https://example.org/" + tail, "http://" + tail):
        if is_url(url):
            assert oxigraph_accepts(url), url


def test_the_record_data_is_not_changed_by_reading_it() -> None:
    data = copy.deepcopy(RECORDS[0])
    back(data)
    assert data == RECORDS[0]


@settings(max_examples=300, deadline=None)
@given(st.from_regex(r"\A[a-zA-Z0-9-]{1,20}\Z") | st.text(max_size=12))
def test_whatever_language_tag_is_accepted_a_store_accepts(tag: str) -> None:
    try:
        DATASET.model.model_validate({"id": "t", "title": {tag: "x"}})
    except ValidationError:
        return
    pyoxigraph.Literal("x", language=tag.lower())


def test_checksums_are_kept_in_lower_case() -> None:
    data = {"id": "c", "distributions": [{"download_url": "https://example.org/d",
                                          "checksum": {"algorithm": "md5", "value": "D41D8CD98F00B204E9800998ECF8427E"}}]}
    assert back(data)["distributions"][0]["checksum"]["value"] == "d41d8cd98f00b204e9800998ecf8427e"
