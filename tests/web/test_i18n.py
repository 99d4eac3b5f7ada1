"""The site in English and French: every interface message has its French, no template shows text outside the
translation tags, the language comes from the URL (/en, /fr) or else Accept-Language, and every page says its
language, links its other-language twin and shows record text in the reader's language or marked."""

from __future__ import annotations

import html
import re

import pytest
from jinja2 import Environment

from conftest import Api
from registry.resources import Resources
from registry.services.reference import finding_descriptions
from registry.web import catalogues
from registry.web.i18n import LANGUAGES, Here, from_accept_language, here_of, pick, shown, translations

#: the public pages, each in both languages (tests/web/test_i18n.py and the browser's axe run share them)
PAGES = ["/", "/search?q=claims", "/datasets", "/datasets/linked-health-social", "/organizations",
         "/organizations/moh", "/agreements", "/agreements/dsa-moh-idiu-2024", "/authorities",
         "/authorities/fippa-part-3.1", "/transparency", "/catalog", "/sparql"]
#: names that are the same in both languages (formats, standards, the query language)
NAMES = {"SPARQL", "JSON-LD", "JSON", "CSV", "XML", "TSV", "API", "Turtle", "RDF/XML", "N-Triples", "DCAT", "ODRL"}
#: shown text of an element or attribute a person reads
VISIBLE_ATTRIBUTES = re.compile(r'\b(?:alt|title|placeholder|aria-label)="([^"]*)"')
#: the ontology's reference page (/ontology) documents the ontology's own English terms and comments
NOT_TRANSLATED = {"ontology.html"}


def dynamic_messages() -> set[str]:
    """Messages translated whole though no source names them: the ontology's descriptions of findings."""
    return set(finding_descriptions(Resources()).values())


def test_every_message_of_the_interface_has_its_french() -> None:
    fr = catalogues.read("fr")
    used = {msgid for msgid, _plural in catalogues.messages()} | dynamic_messages()
    assert len(used) > 100
    missing = []
    for msgid in sorted(used):
        entry = fr.get(msgid)
        strings = [] if entry is None else [entry.string] if isinstance(entry.string, str) else list(entry.string)
        if not strings or not all(s.strip() for s in strings) or (entry is not None and entry.fuzzy):
            missing.append(msgid)
    assert missing == [], f"no French for {len(missing)} messages (python -m registry.web.catalogues, then translate)"


def test_the_catalogues_hold_only_messages_in_use() -> None:
    used = {msgid for msgid, _plural in catalogues.messages()} | dynamic_messages()
    for lang in LANGUAGES:
        held = {m.id if isinstance(m.id, str) else m.id[0] for m in catalogues.read(lang) if m.id}
        assert held - used == set(), f"{lang}: messages no source uses"
        assert used - held == set(), f"{lang}: messages missing from the catalogue"


def test_a_french_message_keeps_the_placeholders_of_its_english() -> None:
    for m in catalogues.read("fr"):
        if not m.id:
            continue
        ids = [m.id] if isinstance(m.id, str) else list(m.id)
        strings = [m.string] if isinstance(m.string, str) else list(m.string)
        want = set(re.findall(r"%\(\w+\)[sd]", ids[-1]))
        for s in strings:
            assert set(re.findall(r"%\(\w+\)[sd]", s)) == want, (m.id, s)
            assert sorted(re.findall(r"</?\w+", s)) == sorted(re.findall(r"</?\w+", ids[0])), (m.id, s)


def literal_text(source: str) -> list[str]:
    """The words of a template a reader would see that are not inside {% trans %}, _() or an expression:
    its text and its visible attributes, with scripts, styles and comments left out."""
    env = Environment(extensions=["jinja2.ext.i18n"], trim_blocks=True, lstrip_blocks=True)
    parts, in_trans, after_begin = [], False, False
    for _line, kind, value in env.lex(source):
        if kind == "data" and not in_trans:
            parts.append(value)
        elif kind in ("variable_begin", "block_begin"):
            parts.append("\0")
        if kind == "block_begin":
            after_begin = True
        elif kind == "name" and after_begin:
            in_trans = value == "trans" or (in_trans and value != "endtrans")
            after_begin = False
    text = "".join(parts)
    text = re.sub(r"<!--.*?-->|<script\b.*?</script>|<style\b.*?</style>", " ", text, flags=re.S)
    shown_text = VISIBLE_ATTRIBUTES.findall(text) + re.split(r"<[^>]*>", text)
    words = []
    for chunk in shown_text:
        for word in re.split(r"[\s\0]+", html.unescape(chunk)):
            word = word.strip("()[].,:;·—–…/|“”«»'\"")
            if re.search(r"[^\W\d_]", word) and word not in NAMES:
                words.append(word)
    return words


@pytest.mark.parametrize("template", sorted(p.name for p in catalogues.TEMPLATES.glob("*.html")))
def test_a_template_shows_no_text_outside_the_translation_tags(template: str) -> None:
    if template in NOT_TRANSLATED:
        pytest.skip("the ontology's reference documents its English terms")
    assert literal_text((catalogues.TEMPLATES / template).read_text(encoding="utf-8")) == []


def test_the_literal_text_check_finds_text_outside_the_tags() -> None:
    found = literal_text('<p title="Hello there">{% trans %}Kept{% endtrans %} Stray <b>{{ _("ok") }}</b> JSON</p>'
                         '<script>var words = "ignored";</script>{# a comment #}')
    assert found == ["Hello", "there", "Stray"]


@pytest.mark.parametrize(("header", "lang"), [
    (None, "en"), ("", "en"), ("fr", "fr"), ("fr-CA,fr;q=0.9,en;q=0.8", "fr"), ("en-CA,fr;q=0.9", "en"),
    ("de, fr;q=0.5", "fr"), ("de", "en"), ("en;q=0.2, fr;q=0.8", "fr"), ("fr;q=0, en", "en"), ("fr;q=abc", "en"),
    ("*", "en"), (",,;;q=,fr-FR", "fr"), ("x" * 5000, "en"),
])
def test_accept_language_chooses_between_english_and_french(header: str | None, lang: str) -> None:
    assert from_accept_language(header) == lang


def test_a_prefix_chooses_the_language_and_is_kept_in_links() -> None:
    fr = here_of("/fr/datasets/x", "q=a", "en")
    assert (fr.lang, fr.prefix, fr.path) == ("fr", "/fr", "/datasets/x")
    assert fr.link("/search") == "/fr/search" and fr.url_in("en") == "/en/datasets/x?q=a" and fr.other == "en"
    assert here_of("/fr").path == "/" and here_of("/fr/").url_in("en") == "/en/"
    bare = here_of("/french-fries", "", "fr-CA")
    assert (bare.lang, bare.prefix, bare.path) == ("fr", "", "/french-fries")


def test_record_text_in_the_readers_language_or_marked() -> None:
    assert pick({"en": "Claims", "fr": "Demandes"}, "fr").text == "Demandes"
    assert str(shown({"en": "Claims", "fr": "Demandes"}, "fr")) == "Demandes"
    assert str(shown("Claims", "fr")) == '<span lang="en">Claims <span class="lang-marker">(in English)</span></span>'
    assert str(shown({"fr": "Demandes"}, "en")) == (
        '<span lang="fr">Demandes <span class="lang-marker">(en français)</span></span>')
    assert str(shown("Claims", "en")) == "Claims"
    assert str(shown("<b>", "en")) == "&lt;b&gt;"  # escaped, always
    assert str(shown(None, "fr", "ohip-claims")) == "ohip-claims" and pick({"en": ""}, "fr") is None


def test_french_plurals_and_messages() -> None:
    here = Here("fr")
    assert here.ngettext("%(num)d year", "%(num)d years", 1) == "1 an"
    assert here.ngettext("%(num)d year", "%(num)d years", 3) == "3 ans"
    assert translations("fr").gettext("Search") == "Rechercher"
    assert translations("en").gettext("Search") == "Search"


#: the vocabularies whose labels pages show (their codes' labels, the requirements of authorities)
SHOWN_VOCABULARIES = ["access-rights", "activity-kinds", "agreement-status", "information-kinds", "pd-categories",
                      "sensitivity", "statutes", "unit-kinds", "org-kinds", "purposes"]


@pytest.mark.parametrize("name", SHOWN_VOCABULARIES)
def test_every_concept_has_its_french_label_and_definition(name: str) -> None:
    from rdflib import Graph, Literal
    from rdflib.namespace import SKOS

    g = Graph().parse(Resources().root / "ontology" / "vocabularies" / f"{name}.ttl")
    for s in set(g.subjects(SKOS.prefLabel, None)):
        for p in (SKOS.prefLabel, SKOS.definition):
            langs = sorted(str(o.language) for o in g.objects(s, p) if isinstance(o, Literal))
            assert langs in ([], ["en", "fr"]), (str(s), str(p), langs)


def test_every_authority_has_its_french_label_summary_and_purpose_note() -> None:
    from rdflib import Literal
    from rdflib.namespace import SKOS

    from registry.namespaces import REG

    g = Resources().authorities()
    entries = set(g.subjects(REG.summary, None))
    assert len(entries) > 30
    for s in entries:
        for p in (SKOS.prefLabel, REG.summary, REG.purposeNote):
            langs = sorted(str(o.language) for o in g.objects(s, p) if isinstance(o, Literal))
            assert langs in ([], ["en", "fr"]) and (langs or p == REG.purposeNote), (str(s), str(p), langs)


def test_labels_are_read_in_the_readers_language_and_english_stays_english() -> None:
    from registry.namespaces import ACCESS_RIGHT, PURPOSE
    from registry.services.reference import concept_labels, notation_labels, purposes

    res = Resources()
    assert notation_labels(res, ACCESS_RIGHT)["non-public"] == "non-public"
    assert notation_labels(res, ACCESS_RIGHT, "fr")["non-public"] == "non public"
    assert concept_labels(res, PURPOSE)["program-evaluation"] == "program evaluation"
    assert concept_labels(res, PURPOSE, "fr")["program-evaluation"] == "évaluation de programme"
    english = {p["id"]: p["definition"] for p in purposes(res)}
    assert english["statistics"] == "Producing statistics and aggregate analysis."


# ------------------------------------------------------------------------------------------ pages
def lang_of(page: str) -> str:
    m = re.search(r'<html lang="(\w+)"', page)
    assert m, page[:200]
    return m.group(1)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_public_page_is_served_in_both_languages(world_api: Api, lang: str) -> None:
    other = next(x for x in LANGUAGES if x != lang)
    for path in PAGES:
        r = world_api.client.get(f"/{lang}{path}")
        assert r.status_code == 200, (path, r.status_code, r.text[:300])
        assert r.headers["content-type"].startswith("text/html") and r.headers["content-language"] == lang
        assert lang_of(r.text) == lang, path
        bare = path.split("?")[0]
        for alt in LANGUAGES:  # the alternates name both languages' URLs
            assert re.search(rf'<link rel="alternate" hreflang="{alt}" href="http://testserver/{alt}{re.escape(bare)}',
                             r.text), (path, alt)
        switch = re.search(rf'<a class="language" href="/{other}{re.escape(bare)}[^"]*" hreflang="{other}" lang="{other}">',
                           r.text)
        assert switch, (path, "no switch to the other language")
        links = re.findall(r'href="(/(?:datasets|organizations|agreements|authorities|search|transparency)[^"]*)"', r.text)
        if lang == "fr":  # a French page's links stay French (data formats excepted)
            assert all("format=" in u and "format=html" not in u for u in links), (path, links[:5])


def test_a_bare_url_follows_accept_language_and_says_so(world_api: Api) -> None:
    fr = world_api.client.get("/", headers={"Accept": "text/html", "Accept-Language": "fr-CA,fr;q=0.9"})
    en = world_api.client.get("/", headers={"Accept": "text/html"})
    assert lang_of(fr.text) == "fr" and "Rechercher" in fr.text and fr.headers["content-language"] == "fr"
    assert lang_of(en.text) == "en" and en.headers["content-language"] == "en"
    assert "Accept-Language" in fr.headers["vary"]
    assert "Accept-Language" not in world_api.client.get("/fr/").headers["vary"]


def test_french_pages_speak_french(world_api: Api) -> None:
    page = world_api.client.get("/fr/agreements/dsa-moh-idiu-2024").text
    assert "Fournisseur" in page and "Destinataire" in page and "3 ans" in page
    # record text written in English only is marked as such
    assert re.search(r'<span lang="en">OHIP claims to the inter-ministerial data integration unit '
                     r'<span class="lang-marker">\(in English\)</span></span>', page)
    authority = world_api.client.get("/fr/authorities/fippa-part-3.1").text
    assert "Le destinataire doit être désigné en vertu de cette disposition." in authority
    assert "<h1>LAIPVP, partie III.1</h1>" in authority  # the label and summary written in French: no marker
    assert "Les groupes d’intégration des données désignés" in html.unescape(authority)
    english = world_api.client.get("/en/authorities/fippa-part-3.1").text
    assert "<h1>FIPPA Part III.1</h1>" in english and "Data integration units designated" in english


def test_errors_are_pages_in_the_readers_language(world_api: Api) -> None:
    for path, words in (("/fr/datasets/no-such", "Il n’y a pas de jeu de données"),
                        ("/en/authorities/no-such", "There is no legal authority")):
        r = world_api.client.get(path)
        assert r.status_code == 404 and words in html.unescape(r.text), path
        assert lang_of(r.text) == path[1:3]
    # the API's own answers stay problem+json
    assert world_api.client.get("/datasets/no-such").headers["content-type"].startswith("application/problem+json")


def test_no_page_in_either_language_shows_a_restricted_field(world_api: Api) -> None:
    from helpers import WORLD_FILE, load_json

    world = load_json(WORLD_FILE)
    secrets = {v for d in world["datasets"] for v in ((d.get("steward") or {}).get("name"),
                                                      (d.get("steward") or {}).get("email"), d.get("retention")) if v}
    assert secrets
    for lang in LANGUAGES:
        for path in [*PAGES, "/transparency?from=moh", "/search?type=dataset&access=non-public"]:
            page = world_api.client.get(f"/{lang}{path}").text
            assert [s for s in secrets if s in page] == [], (lang, path)
