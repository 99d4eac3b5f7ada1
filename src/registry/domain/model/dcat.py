"""The values of a DCAT 3 / DCAT-AP record as the registry writes them: language tags to the EU language
authority, frequency names to the EU frequency authority, theme codes to the registry's theme vocabulary
(ontology/vocabularies/themes.ttl, matched to the EU data themes), file types, checksum algorithms, URLs
and language-tagged text. The vocabulary files hold the same concepts for SHACL (tests/domain checks
they agree)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import BeforeValidator, StringConstraints
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.term import Node

from registry.domain.model import xmlchars
from registry.domain.model.common import Triples
from registry.namespaces import DCTERMS, NS_ROOT, RDF, RDFS, VOCAB

EU_LANGUAGE = Namespace("http://publications.europa.eu/resource/authority/language/")
FREQUENCY = Namespace("http://publications.europa.eu/resource/authority/frequency/")
DATA_THEME = Namespace("http://publications.europa.eu/resource/authority/data-theme/")
FILE_TYPE = Namespace("http://publications.europa.eu/resource/authority/file-type/")
IANA_MEDIA_TYPE = Namespace("https://www.iana.org/assignments/media-types/")
SPDX = Namespace("http://spdx.org/rdf/terms#")
#: DCAT 3's dcat:version (rdflib's DCAT namespace predates it)
DCAT_VERSION = URIRef("http://www.w3.org/ns/dcat#version")
#: DCAT 3's dcat:version (rdflib's DCAT namespace predates it)
DCAT_VERSION = URIRef("http://www.w3.org/ns/dcat#version")
THEME = Namespace(NS_ROOT + "vocab/theme/")
THEME_SCHEME = URIRef(NS_ROOT + "vocab/theme")
CHECKSUM_SCHEME = URIRef(NS_ROOT + "vocab/checksum-algorithm")
#: where an unknown code of an outside vocabulary points: to no concept, so SHACL names the field
UNKNOWN = Namespace(str(VOCAB) + "unknown/")

#: BCP 47 primary language tag -> the EU language authority's code
LANGUAGES: dict[str, str] = {
    "ar": "ARA", "bg": "BUL", "bs": "BOS", "ca": "CAT", "cr": "CRE", "cs": "CES", "cy": "CYM", "da": "DAN",
    "de": "DEU", "el": "ELL", "en": "ENG", "es": "SPA", "et": "EST", "eu": "EUS", "fa": "FAS", "fi": "FIN",
    "fr": "FRA", "ga": "GLE", "gl": "GLG", "he": "HEB", "hi": "HIN", "hr": "HRV", "hu": "HUN", "is": "ISL",
    "it": "ITA", "iu": "IKU", "ja": "JPN", "ko": "KOR", "la": "LAT", "lb": "LTZ", "lt": "LIT", "lv": "LAV",
    "mk": "MKD", "mt": "MLT", "nb": "NOB", "nl": "NLD", "nn": "NNO", "no": "NOR", "oj": "OJI", "pa": "PAN",
    "pl": "POL", "pt": "POR", "ro": "RON", "ru": "RUS", "sk": "SLK", "sl": "SLV", "sq": "SQI", "sr": "SRP",
    "sv": "SWE", "tl": "TGL", "tr": "TUR", "uk": "UKR", "ur": "URD", "vi": "VIE", "zh": "ZHO",
    "mul": "MUL", "und": "UND",
}
#: the EU frequency authority's names in lower case (hyphens for spaces) -> its codes
FREQUENCIES: dict[str, str] = {
    "annual": "ANNUAL", "semiannual": "ANNUAL_2", "three-times-a-year": "ANNUAL_3", "biennial": "BIENNIAL",
    "triennial": "TRIENNIAL", "quadrennial": "QUADRENNIAL", "quinquennial": "QUINQUENNIAL",
    "decennial": "DECENNIAL", "bidecennial": "BIDECENNIAL", "tridecennial": "TRIDECENNIAL",
    "quarterly": "QUARTERLY", "monthly": "MONTHLY", "bimonthly": "BIMONTHLY", "semimonthly": "MONTHLY_2",
    "three-times-a-month": "MONTHLY_3", "weekly": "WEEKLY", "biweekly": "BIWEEKLY", "semiweekly": "WEEKLY_2",
    "three-times-a-week": "WEEKLY_3", "daily": "DAILY", "twice-a-day": "DAILY_2", "hourly": "HOURLY",
    "bihourly": "BIHOURLY", "trihourly": "TRIHOURLY", "continuous": "CONT",
    "continuously-updated": "UPDATE_CONT", "irregular": "IRREG", "never": "NEVER", "unknown": "UNKNOWN",
    "provisional-data": "OP_DATPRO",
}
#: the registry's theme codes -> the EU data theme each one matches (skos:exactMatch in themes.ttl)
THEMES: dict[str, str] = {
    "agriculture": "AGRI", "economy": "ECON", "education": "EDUC", "energy": "ENER", "environment": "ENVI",
    "government": "GOVE", "health": "HEAL", "international": "INTR", "justice": "JUST", "regions": "REGI",
    "society": "SOCI", "science": "TECH", "transport": "TRAN",
}
#: file types a distribution's `format` names by their EU file-type code (any other format is a name)
FILE_TYPES = frozenset({
    "ATOM", "CSV", "DBF", "DOC", "DOCX", "GEOJSON", "GEOTIFF", "GML", "GPKG", "GZIP", "HTML", "JPEG", "JSON",
    "JSON_LD", "KML", "KMZ", "MDB", "NETCDF", "ODS", "ODT", "PARQUET", "PDF", "PNG", "RDF_N_QUADS",
    "RDF_N_TRIPLES", "RDF_TRIG", "RDF_TURTLE", "RDF_XML", "RSS", "SHP", "SQL", "TAR", "TIFF", "TSV", "TXT",
    "WFS_SRVC", "WMS_SRVC", "XLS", "XLSX", "XML", "ZIP",
})
#: checksum algorithm names -> SPDX's terms
CHECKSUM_ALGORITHMS: dict[str, str] = {
    "md5": "checksumAlgorithm_md5", "sha1": "checksumAlgorithm_sha1", "sha224": "checksumAlgorithm_sha224",
    "sha256": "checksumAlgorithm_sha256", "sha384": "checksumAlgorithm_sha384",
    "sha512": "checksumAlgorithm_sha512", "sha3-256": "checksumAlgorithm_sha3_256",
    "sha3-384": "checksumAlgorithm_sha3_384", "sha3-512": "checksumAlgorithm_sha3_512",
}

# ------------------------------------------------------------------------------------------ codes
def language_iri(tag: str) -> URIRef:
    code = LANGUAGES.get(tag)
    return EU_LANGUAGE[code] if code else UNKNOWN["language/" + tag]


def frequency_iri(name: str) -> URIRef:
    code = FREQUENCIES.get(name)
    return FREQUENCY[code] if code else UNKNOWN["frequency/" + name]


def checksum_iri(name: str) -> URIRef:
    term = CHECKSUM_ALGORITHMS.get(name)
    return SPDX[term] if term else UNKNOWN["checksum-algorithm/" + name]


def _reverse(table: Mapping[str, str], ns: Namespace) -> dict[str, str]:
    return {str(ns[v]): k for k, v in table.items()}


_LANGUAGE_TAGS = _reverse(LANGUAGES, EU_LANGUAGE)
_FREQUENCY_NAMES = _reverse(FREQUENCIES, FREQUENCY)
_CHECKSUM_NAMES = _reverse(CHECKSUM_ALGORITHMS, SPDX)
_THEME_BY_EU = _reverse(THEMES, DATA_THEME)


def _unknown(iri: Node, what: str) -> str:
    """The code an UNKNOWN IRI was made from, else the IRI itself."""
    return str(iri).removeprefix(f"{UNKNOWN}{what}/")


def language_tag(iri: Node) -> str:
    """The BCP 47 tag of an EU language IRI (the IRI itself when the registry does not know it)."""
    return _LANGUAGE_TAGS.get(str(iri)) or _unknown(iri, "language")


def frequency_name(iri: Node) -> str:
    return _FREQUENCY_NAMES.get(str(iri)) or _unknown(iri, "frequency")


def checksum_name(iri: Node) -> str:
    return _CHECKSUM_NAMES.get(str(iri)) or _unknown(iri, "checksum-algorithm")


def theme_term(value: str) -> URIRef | Literal:
    """A theme as RDF: a code of the registry's theme vocabulary is its concept; any other text (a
    catalogue's own theme label, as themes were before the vocabulary) stays a text."""
    return THEME[value] if value in THEMES else Literal(value)


def theme_value(term: Node) -> str:
    """A theme as JSON: the code of a registry concept or of the EU data theme it matches, else the text."""
    s = str(term)
    if isinstance(term, URIRef):
        if s.startswith(str(THEME)) and s[len(THEME):] in THEMES:
            return s[len(THEME):]
        return _THEME_BY_EU.get(s, s)
    return s


def eu_theme(code: str) -> URIRef | None:
    """The EU data theme a registry theme code matches."""
    return DATA_THEME[THEMES[code]] if code in THEMES else None


def format_term(value: str, node: URIRef) -> tuple[URIRef, list[tuple[Node, Node, Node]]]:
    """A distribution's format: an EU file-type code is its IRI; any other name is a node of its own
    (`node`, a dct:MediaTypeOrExtent labelled with the name). Returns the term and the triples about it."""
    if value in FILE_TYPES:
        return FILE_TYPE[value], []
    return node, [(node, RDF.type, DCTERMS.MediaTypeOrExtent), (node, RDFS.label, Literal(value))]


def format_value(g: Graph, term: Node) -> str:
    s = str(term)
    if s.startswith(str(FILE_TYPE)):
        return s[len(FILE_TYPE):]
    label = g.value(term, RDFS.label)
    return str(label) if label is not None else s


# ------------------------------------------------------------------------------------------- URLs
_IRI_CHAR = "-A-Za-z0-9._~!$&'()*+,;=:@/\u00a0-\ud7ff\uf900-\ufdcf\ufdf0-\uffef\U00010000-\U0001fffd"
URL_RE = re.compile(
    rf"\Ahttps?://(?:[A-Za-z0-9.-]|[\u00a0-\ud7ff\uf900-\ufdcf\ufdf0-\uffef])+(?::[0-9]{{1,5}})?"
    rf"(?:/(?:[{_IRI_CHAR}]|%[0-9A-Fa-f]{{2}})*)?"
    rf"(?:\?(?:[{_IRI_CHAR}?]|%[0-9A-Fa-f]{{2}})*)?"
    rf"(?:#(?:[{_IRI_CHAR}?]|%[0-9A-Fa-f]{{2}})*)?\Z")
#: a media type in IANA's form, type/subtype, as its IANA IRI
MEDIA_TYPE_RE = re.compile(r"\A[A-Za-z0-9][A-Za-z0-9.+_-]{0,126}/[A-Za-z0-9][A-Za-z0-9.+_-]{0,126}\Z")
EMAIL_RE = re.compile(r"\A[^@\s<>\"{}|\\^`%]+@[^@\s<>\"{}|\\^`%/?#]+\.[^@\s<>\"{}|\\^`%/?#]+\Z")

#: a URL as JSON input (checked by the shapes, see `url_term`)
Url = Annotated[str, StringConstraints(max_length=2_000)]


def is_url(value: str) -> bool:
    """Whether `value` is an http or https URL that is also a well-formed IRI."""
    return URL_RE.fullmatch(value) is not None


def url_term(value: str) -> URIRef | Literal:
    """A URL as RDF: its IRI, or, when it is none, a text that the shapes refuse (naming the field), so
    that no malformed IRI ever reaches a store."""
    return URIRef(value) if is_url(value) else Literal(value)


def iri_or_text(value: str) -> URIRef | Literal:
    """An IRI when `value` is an http(s) URL, else a text (a licence's name, a place's name)."""
    return URIRef(value) if is_url(value) else Literal(value)


def media_type_term(value: str) -> URIRef | Literal:
    return IANA_MEDIA_TYPE[value] if MEDIA_TYPE_RE.fullmatch(value) else Literal(value)


def media_type_value(term: Node) -> str:
    return str(term).removeprefix(str(IANA_MEDIA_TYPE))


def mailto(email: str) -> URIRef | Literal:
    """An e-mail address as a mailto: IRI (a text the shapes refuse when it is no address)."""
    return URIRef("mailto:" + email) if EMAIL_RE.fullmatch(email) else Literal(email)


def email_of(term: Node | None) -> str | None:
    return None if term is None else str(term).removeprefix("mailto:")


# ------------------------------------------------------------------------- language-tagged text
#: a BCP 47 language tag (RFC 5646's langtag, with a language of 2 or 3 letters), in any case
LANG_TAG_RE = re.compile(
    r"\A[a-z]{2,3}(?:-[a-z]{3}){0,3}(?:-[a-z]{4})?(?:-(?:[a-z]{2}|[0-9]{3}))?(?:-(?:[a-z0-9]{5,8}|[0-9][a-z0-9]{3}))*"
    r"(?:-[0-9a-wy-z](?:-[a-z0-9]{2,8})+)*(?:-x(?:-[a-z0-9]{1,8})+)?\Z", re.IGNORECASE)


def _lang_text(limit: int) -> Any:
    """A validator of a text or a map of BCP 47 language tags (kept in lower case, as RDF stores keep them)
    to texts, each at most `limit` characters: one error naming the field for anything else."""

    def check(value: Any) -> Any:
        if isinstance(value, str):
            if len(value) > limit:
                raise ValueError(f"must be at most {limit} characters")
            return value
        if not isinstance(value, dict):
            raise ValueError("must be a text, or a map of language tags to texts")
        xmlchars.check(value)
        out: dict[str, str] = {}
        for tag, text in value.items():
            if not LANG_TAG_RE.fullmatch(tag):
                raise ValueError(f"{tag[:50]!r} is not a BCP 47 language tag (such as en, fr, fr-ca)")
            if not isinstance(text, str) or len(text) > limit:
                raise ValueError(f"the text in {tag!r} must be a text of at most {limit} characters")
            if tag.lower() in out:
                raise ValueError(f"language {tag!r} is given twice")
            out[tag.lower()] = text.strip()
        if not out:
            raise ValueError("give a text, or a map of language tags to texts")
        return out

    return check


#: a title: a text in English, or a map of language tags to texts
LangShortText = Annotated[str | dict[str, str], BeforeValidator(_lang_text(1_000))]
#: a description: a text in English, or a map of language tags to texts
LangText = Annotated[str | dict[str, str], BeforeValidator(_lang_text(20_000))]


def lang_literals(value: str | dict[str, str]) -> list[Literal]:
    """Text in English, or each language's text, as language-tagged literals."""
    if isinstance(value, str):
        return [Literal(value, lang="en")]
    return [Literal(text, lang=tag) for tag, text in sorted(value.items())]


def add_texts(g: Triples, s: Node, *texts: tuple[Node, str | dict[str, str] | None]) -> None:
    """Each (predicate, text or language map) given, as language-tagged literals of `s`."""
    for p, value in texts:
        if value is not None:
            for lit in lang_literals(value):
                g.add((s, p, lit))


def lang_value(g: Graph, s: Node, p: Node) -> str | dict[str, str] | None:
    """Language-tagged text as JSON: a string when English is its only language (or it has no tag),
    else a map of language tags to texts."""
    found: dict[str, str] = {}
    for o in sorted(g.objects(s, p), key=str):
        tag = (o.language or "en").lower() if isinstance(o, Literal) else "en"
        found.setdefault(tag, str(o))
    if not found:
        return None
    if set(found) == {"en"}:
        return found["en"]
    return dict(sorted(found.items()))


def in_english(value: Any) -> str | None:
    """The English text of a string-or-map (else the first language's), for pages and lists."""
    if isinstance(value, dict):
        if not value:
            return None
        return str(value.get("en") or next((v for k, v in value.items() if k.startswith("en-")), None)
                   or value[sorted(value)[0]])
    return None if value is None else str(value)
