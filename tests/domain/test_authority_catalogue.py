"""The authority catalogue (ontology/authorities.ttl) as data: every entry says how it was checked against
the statute text, which statute it belongs to and which information it governs, and points only at
concepts the vocabularies and the ontology define; the clauses a privacy officer expects are there."""

from __future__ import annotations

import re

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import OWL
from rdflib.term import Node

from helpers import ROOT
from registry.namespaces import AUTHORITY, DCTERMS, INFO_KIND, ORG_KIND, PURPOSE, RDF, RDFS, REG, SKOS, STATUTE, XSD
from registry.resources import Resources

LAWS = "https://www.ontario.ca/laws/"
API_MD = ROOT.parent / "shared" / "API.md"
#: the kind of information each statute's provisions govern
GOVERNS = {"fippa": "personal-information", "mfippa": "personal-information", "phipa": "personal-health-information"}


def scheme(ns: object) -> URIRef:
    return URIRef(str(ns).rstrip("/"))


def catalogue_problems(authorities: Graph, vocabularies: Graph, ontology: Graph) -> list[str]:
    """What is wrong with the catalogue's entries, one line a fault (empty when none)."""
    problems: list[str] = []

    def concept(o: Node, ns: object) -> bool:
        return (o, SKOS.inScheme, scheme(ns)) in vocabularies and vocabularies.value(o, SKOS.prefLabel) is not None

    def text(s: Node, p: URIRef) -> str:
        return " ".join(str(o) for o in authorities.objects(s, p) if isinstance(o, Literal)).strip()

    for s in sorted(authorities.subjects(RDF.type, REG.LegalAuthority)):
        aid = str(s).removeprefix(str(AUTHORITY))
        say = problems.append
        if text(s, DCTERMS.identifier) != aid:
            say(f"{aid}: dct:identifier does not match the IRI")
        status = [str(o) for o in authorities.objects(s, REG.verificationStatus)]
        if status == ["verified"]:
            if not text(s, REG.statuteExcerpt):
                say(f"{aid}: verified without a statute excerpt")
            pages = list(authorities.objects(s, REG.verifiedAgainst))
            if len(pages) != 1 or not isinstance(pages[0], URIRef) or not str(pages[0]).startswith(LAWS):
                say(f"{aid}: verified against no ontario.ca/laws page")
            dates = list(authorities.objects(s, REG.verifiedOn))
            if len(dates) != 1 or not isinstance(dates[0], Literal) or dates[0].datatype != XSD.date:
                say(f"{aid}: verified without the date it was checked")
            if not text(s, REG.verificationNote):
                say(f"{aid}: verified without saying which consolidation was read")
        elif status == ["unverified"]:
            if not text(s, REG.verificationNote):
                say(f"{aid}: unverified without a note saying why")
        else:
            say(f"{aid}: verification status is {status}, not verified or unverified")
        statutes = list(authorities.objects(s, REG.underStatute))
        kinds = set(authorities.objects(s, REG.appliesToInformation))
        if len(statutes) != 1 or not concept(statutes[0], STATUTE):
            say(f"{aid}: no single known statute (reg:underStatute)")
        elif kinds != {INFO_KIND[GOVERNS[str(statutes[0]).removeprefix(str(STATUTE))]]}:
            say(f"{aid}: applies to {sorted(map(str, kinds))}, not what its statute governs")
        for p, ns in ((REG.permitsPurpose, PURPOSE), (REG.requiresRecipientKind, ORG_KIND),
                      (REG.appliesToInformation, INFO_KIND)):
            for o in authorities.objects(s, p):
                if not concept(o, ns):
                    say(f"{aid}: {p.removeprefix(str(REG))} {o} is not in its vocabulary")
        for f in authorities.objects(s, REG.requiresFinding):
            if (f, RDF.type, OWL.DatatypeProperty) not in ontology or \
                    (f, RDFS.domain, REG.DataSharingAgreement) not in ontology:
                say(f"{aid}: finding {f} is not an agreement property of the ontology")
    return problems


@pytest.fixture(scope="module")
def res() -> Resources:
    return Resources()


@pytest.fixture(scope="module")
def catalogue(res: Resources) -> Graph:
    return res.authorities()


def test_every_entry_is_checked_governed_and_points_at_defined_concepts(res: Resources, catalogue: Graph) -> None:
    assert len(set(catalogue.subjects(RDF.type, REG.LegalAuthority))) >= 30
    assert catalogue_problems(catalogue, res.vocabularies(), res.ontology()) == []


def entry(aid: str, *lines: str) -> str:
    return "\n".join([f"auth:{aid} a reg:LegalAuthority ; dct:identifier \"{aid}\" ;", *lines, "."])


GOOD = ['reg:underStatute statute:fippa ; reg:appliesToInformation info:personal-information ;']
VERIFIED = [*GOOD, 'reg:verificationStatus "verified" ; reg:statuteExcerpt "for a consistent purpose"@en ;',
            'reg:verifiedAgainst <https://www.ontario.ca/laws/statute/90f31> ;',
            'reg:verifiedOn "2026-12-06"^^xsd:date ; reg:verificationNote "current consolidation"@en ;']
UNVERIFIED = [*GOOD, 'reg:verificationStatus "unverified" ; reg:verificationNote "not readable"@en ;']


def without(lines: list[str], term: str) -> list[str]:
    """The lines with the statement of `term` (up to its `;`) taken out."""
    return [re.sub(rf"{re.escape(term)} [^;]*;", "", line) for line in lines]


@pytest.mark.parametrize(("lines", "fault"), [
    (VERIFIED, None),
    (UNVERIFIED, None),
    (without(VERIFIED, "reg:statuteExcerpt"), "verified without a statute excerpt"),
    ([*without(VERIFIED, "reg:verifiedAgainst"), "reg:verifiedAgainst <https://www.canlii.org/x> ;"],
     "verified against no ontario.ca/laws page"),
    ([*without(VERIFIED, "reg:verifiedAgainst"), 'reg:verifiedAgainst "https://www.ontario.ca/laws/x" ;'],
     "verified against no ontario.ca/laws page"),
    (without(VERIFIED, "reg:verifiedOn"), "verified without the date it was checked"),
    ([*without(VERIFIED, "reg:verifiedOn"), 'reg:verifiedOn "6 December 2026" ;'],
     "verified without the date it was checked"),
    (without(UNVERIFIED, "reg:verificationNote"), "unverified without a note saying why"),
    (without(UNVERIFIED, "reg:verificationStatus"), "verification status is [], not verified or unverified"),
    (without(UNVERIFIED, "reg:underStatute"), "no single known statute"),
    ([*UNVERIFIED, "reg:underStatute statute:phipa ;"], "no single known statute"),
    ([*without(UNVERIFIED, "reg:underStatute"), "reg:underStatute statute:pipeda ;"], "no single known statute"),
    ([*without(UNVERIFIED, "reg:underStatute"), "reg:underStatute statute:phipa ;"],
     "not what its statute governs"),
    ([*UNVERIFIED, "reg:permitsPurpose purpose:marketing ;"], "permitsPurpose"),
    ([*UNVERIFIED, "reg:requiresRecipientKind orgkind:anyone ;"], "requiresRecipientKind"),
    ([*UNVERIFIED, "reg:requiresFinding reg:legalBasis ;"], "is not an agreement property of the ontology"),
])
def test_the_check_names_each_fault(res: Resources, lines: list[str], fault: str | None) -> None:
    prefixes = {"reg": REG._NS, "auth": AUTHORITY, "purpose": PURPOSE, "orgkind": ORG_KIND, "info": INFO_KIND,
                "statute": STATUTE, "dct": DCTERMS, "xsd": XSD}
    header = "".join(f"@prefix {p}: <{ns}> .\n" for p, ns in prefixes.items())
    g = Graph().parse(data=header + entry("t-1", *lines), format="turtle")
    problems = catalogue_problems(g, res.vocabularies(), res.ontology())
    if fault is None:
        assert problems == []
    else:
        assert len(problems) == 1 and problems[0].startswith("t-1: ") and fault in problems[0], problems


# ------------------------------------------------------------------------------------- the entries


def ids(g: Graph) -> set[str]:
    return {str(s).removeprefix(str(AUTHORITY)) for s in g.subjects(RDF.type, REG.LegalAuthority)}


def codes(g: Graph, aid: str, p: URIRef, ns: object) -> set[str]:
    return {str(o).removeprefix(str(ns)) for o in g.objects(AUTHORITY[aid], p)}


def test_the_ids_the_api_contract_names_exist(catalogue: Graph) -> None:
    section = API_MD.read_text(encoding="utf-8").split("## Legal authorities", 1)[1].split("\n## ", 1)[0]
    named = set(re.findall(r"`((?:fippa|mfippa|phipa)-[a-z0-9.-]+)`", section))
    assert len(named) >= 11, named
    assert named <= ids(catalogue)


def test_every_clause_of_fippa_42_1_and_mfippa_32_is_an_entry(catalogue: Graph) -> None:
    assert {f"fippa-42-1-{c}" for c in "abcdefghijklmn"} <= ids(catalogue)
    assert {f"mfippa-32-{c}" for c in "abcdefghijkl"} <= ids(catalogue)
    assert {"fippa-21-1-e", "phipa-39-1-c", "phipa-44", "phipa-45"} <= ids(catalogue)


def requirement(g: Graph, aid: str, p: URIRef) -> set[str]:
    """The values of one requirement of an entry, by their last name segment ("true" for a flag)."""
    return {re.split(r"[#/]", str(o))[-1] for o in g.objects(AUTHORITY[aid], p)}


@pytest.mark.parametrize(("aid", "p", "expected"), [
    ("mfippa-32-c", REG.requiresFinding, {"consistentPurposeFinding"}),
    ("mfippa-32-e", REG.requiresFinding, {"enablingAct"}),
    ("fippa-42-1-e", REG.requiresFinding, {"enablingAct"}),
    ("mfippa-32-g", REG.requiresRecipientKind, {"municipality", "law-enforcement-agency"}),
    ("mfippa-32-g", REG.permitsPurpose, {"law-enforcement"}),
    ("mfippa-32-l", REG.requiresRecipientKind, {"federal-institution", "ministry"}),
    ("mfippa-32-l", REG.permitsPurpose, {"audit"}),
    ("fippa-42-1-n", REG.requiresRecipientKind, {"federal-institution"}),
    ("fippa-42-1-f", REG.requiresRecipientKind, {"law-enforcement-agency", "foreign-law-enforcement-agency"}),
    ("mfippa-32-f", REG.requiresRecipientKind, {"law-enforcement-agency", "foreign-law-enforcement-agency"}),
    ("fippa-42-1-i", REG.requiresRecipientKind, {"next-of-kin-or-friend"}),
    ("mfippa-32-i", REG.requiresRecipientKind, {"next-of-kin-or-friend"}),
    ("fippa-42-1-j", REG.requiresRecipientKind, {"legislature-member"}),
    ("fippa-42-1-k", REG.requiresRecipientKind, {"bargaining-agent"}),
    ("fippa-42-1-l", REG.requiresRecipientKind, {"responsible-minister"}),
    ("mfippa-32-j", REG.requiresRecipientKind, {"responsible-minister"}),
    ("fippa-42-1-m", REG.requiresRecipientKind, {"privacy-commissioner"}),
    ("mfippa-32-k", REG.requiresRecipientKind, {"privacy-commissioner"}),
    ("fippa-42-1-a", REG.permitsPurpose, {"access-request"}),
    ("mfippa-32-a", REG.permitsPurpose, {"access-request"}),
    ("fippa-21-1-e", REG.permitsPurpose, {"research"}),
    ("fippa-21-1-e", REG.requiresFinding, {"researchAgreement"}),
    ("phipa-39-1-c", REG.requiresRecipientKind, {"prescribed-person"}),
    ("phipa-39-1-c", REG.requiresDesignation, {"true"}),
    ("phipa-39-1-c", REG.permitsPurpose, {"health-registry"}),
    ("phipa-44", REG.requiresEthicsApproval, {"true"}),
    ("phipa-44", REG.requiresFinding, {"researchAgreement"}),
    ("phipa-45", REG.permitsPurpose, {"health-system-analysis"}),
    ("phipa-45", REG.requiresDesignation, {"true"}),
])
def test_the_requirements_the_statute_states(catalogue: Graph, aid: str, p: URIRef, expected: set[str]) -> None:
    assert requirement(catalogue, aid, p) == expected


def test_health_system_analysis_is_a_kind_of_program_management(res: Resources) -> None:
    assert res.vocabularies().value(PURPOSE["health-system-analysis"], SKOS.broader) == PURPOSE["program-management"]
