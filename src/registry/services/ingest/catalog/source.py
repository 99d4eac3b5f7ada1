"""Reading a catalogue: a local file or an http(s) URL (fetched under the import's network policy), and
telling its format from the flag, the content, the media type or the name."""

from __future__ import annotations

import ipaddress
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from registry.errors import BadInput
from registry.services.ingest.catalog.harvest import CatalogError
from registry.services.ingest.fetch import SCHEME, FetchError, FetchPolicy, fetch

MAX_BYTES = 50_000_000
#: RDF syntaxes (rdflib's names) and the JSON shapes read without RDF
RDF_FORMATS = ("turtle", "xml", "json-ld", "nt", "trig", "nquads")
FORMATS = (*RDF_FORMATS, "dcat-us", "ckan")
#: what --format also accepts for them
ALIASES = {"ttl": "turtle", "rdfxml": "xml", "rdf/xml": "xml", "rdf": "xml", "jsonld": "json-ld",
           "ntriples": "nt", "n-triples": "nt", "nq": "nquads", "n-quads": "nquads", "data.json": "dcat-us"}
_SUFFIXES = {".ttl": "turtle", ".rdf": "xml", ".xml": "xml", ".owl": "xml", ".jsonld": "json-ld", ".nt": "nt",
             ".trig": "trig", ".nq": "nquads"}
_MEDIA = {"text/turtle": "turtle", "application/x-turtle": "turtle", "application/rdf+xml": "xml",
          "application/ld+json": "json-ld", "application/n-triples": "nt", "application/trig": "trig",
          "application/n-quads": "nquads"}


@dataclass
class Source:
    """What was read: its bytes, media type (over HTTP), name, and HTTP status (None for a file)."""

    content: bytes
    media: str | None
    name: str
    status: int | None = None

    @property
    def url(self) -> str | None:
        return self.name if self.status is not None else None

    def describe(self) -> str:
        """What was read, in words for an error: never any of its bytes."""
        if self.status is None:
            return f"the file {self.name} ({len(self.content)} bytes)"
        return f"the answer of {self.name} (HTTP {self.status}, {self.media or 'no media type'}, " \
               f"{len(self.content)} bytes)"


def fetch_policy(allow_private: bool, allow_networks: tuple[str, ...]) -> FetchPolicy:
    try:
        networks = tuple(ipaddress.ip_network(n, strict=False) for n in allow_networks)
    except ValueError as e:
        raise BadInput(f"--allow-network takes networks such as 10.1.0.0/16: {e}") from None
    return FetchPolicy(allow_private=allow_private, allow_networks=networks, max_bytes=MAX_BYTES)


def read_source(source: str, policy: FetchPolicy | None = None) -> Source:
    """A file (a plain path) or an http(s) URL, fetched under `policy` (registry.fetch). Any other URL
    (file:, ftp:, data:, ...) is refused: a local file is named by its path."""
    if SCHEME.match(source):
        try:
            got = fetch(source, policy)
        except FetchError as e:
            raise CatalogError(e.detail, **e.extra) from None
        return Source(got.content, got.media, got.url, got.status)
    path = Path(source)
    if not path.is_file():
        raise CatalogError(f"no such file: {source}")
    if path.stat().st_size > MAX_BYTES:
        raise CatalogError(f"{source} is larger than {MAX_BYTES} bytes")
    return Source(path.read_bytes(), None, path.name)


def format_named(fmt: str) -> str:
    name = ALIASES.get(fmt.lower(), fmt.lower())
    if name not in FORMATS:
        raise CatalogError(f"unknown format {fmt!r}: use one of {', '.join(FORMATS)}")
    return name


def load_json(content: bytes, what: str) -> Any:
    try:
        return json.loads(content)
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise CatalogError(f"{what} is not valid JSON{where(e)}") from None


def where(e: Exception, content: bytes | str = b"") -> str:
    """Where a parser stopped (" at line 3"), from the exception's fields, never its message (which
    quotes the input); rdflib's TriG and N3 parsers say only the text around the place ("… at ^ in
    <text>^<text>"), found again in `content` to count its line."""
    line = getattr(e, "lineno", None) if isinstance(e, json.JSONDecodeError) else None
    if isinstance(getattr(e, "lines", None), int):  # rdflib's BadSyntax counts from 0
        line = e.lines + 1  # type: ignore[attr-defined]
    get_line = getattr(e, "getLineNumber", None)  # xml.sax's SAXParseException
    if line is None and callable(get_line):
        line = get_line()
    if line is None and content and (m := re.search(r" at \^ in:?\s*(.*)\Z", str(e), re.DOTALL)):
        text = content.decode("utf-8", "replace") if isinstance(content, bytes) else content
        before, _, after = m.group(1).strip('"').partition("^")
        if before and (found := text.find(before + after)) >= 0:
            line = text.count("\n", 0, found + len(before)) + 1
    return f" at line {line}" if isinstance(line, int) else ""


def json_kind(doc: Any) -> str:
    """dcat-us, ckan or json-ld: what a JSON document is, by its shape."""
    if isinstance(doc, dict):
        if is_dcat_us(doc):
            return "dcat-us"
        if "@context" in doc or "@graph" in doc or "@id" in doc:
            return "json-ld"
    if isinstance(doc, list) and doc and all(isinstance(x, dict) and ("@id" in x or "@type" in x) for x in doc):
        return "json-ld"
    return "ckan"


def is_dcat_us(doc: dict[str, Any]) -> bool:
    """A DCAT-US data.json: its `dataset` list beside the POD schema, or datasets with an `accessLevel`."""
    datasets = doc.get("dataset")
    if not isinstance(datasets, list):
        return False
    conforms = str(doc.get("conformsTo") or "") + json.dumps(doc.get("@context") or "")
    return "project-open-data" in conforms or any(isinstance(d, dict) and "accessLevel" in d for d in datasets)


def detect(src: Source, fmt: str | None) -> str:
    """The format: the flag's, else told by the content (JSON by its shape), the media type or the name."""
    if fmt:
        return format_named(fmt)
    head = src.content.lstrip()[:1]
    if head in (b"{", b"["):
        return json_kind(load_json(src.content, "the catalogue"))
    if src.media in _MEDIA:
        return _MEDIA[src.media]
    for suffix, how in _SUFFIXES.items():
        if src.name.lower().split("?")[0].endswith(suffix):
            return how
    start = src.content.lstrip()[:4096]
    if start.startswith(b"<?xml") or b"<rdf:RDF" in start:
        return "xml"
    return "turtle"
