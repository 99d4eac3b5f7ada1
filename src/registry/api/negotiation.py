"""Content negotiation: which representation to send, and reading request bodies of any accepted type."""

from __future__ import annotations

import json
from typing import Any

from fastapi import Request
from rdflib import Graph

from registry.domain.model import xmlchars
from registry.errors import BadInput, PayloadTooLarge, UnsupportedMediaType, ValidationFailed
from registry.namespaces import PREFIXES

#: media type -> rdflib serialiser
RDF_FORMATS = {
    "application/ld+json": "json-ld",
    "text/turtle": "turtle",
    "application/n-triples": "nt",
    "application/rdf+xml": "xml",
}
JSON = "application/json"
INPUT_RDF = {"application/ld+json": "json-ld", "text/turtle": "turtle"}
MAX_JSON_DEPTH = 32

JSONLD_CONTEXT: dict[str, Any] = {k: str(v) for k, v in PREFIXES.items()}


def choose(request: Request, offered: list[str]) -> str:
    """The best of `offered` for the request's Accept header (the first offered on a tie or */*)."""
    accept = request.headers.get("accept", "")
    if request.query_params.get("format"):
        fmt = request.query_params["format"]
        aliases = {"json": JSON, "jsonld": "application/ld+json", "ttl": "text/turtle", "turtle": "text/turtle",
                   "nt": "application/n-triples", "rdf": "application/rdf+xml", "csv": "text/csv",
                   "html": "text/html"}
        wanted = aliases.get(fmt, fmt)
        if wanted in offered:
            return wanted
    if not accept.strip():
        return offered[0]
    best, best_q = offered[0], -1.0
    for part in accept.split(","):
        fields = [f.strip() for f in part.split(";")]
        mt = fields[0].lower()
        q = 1.0
        for f in fields[1:]:
            if f.startswith("q="):
                try:
                    q = float(f[2:])
                except ValueError:
                    q = 0.0
        if mt in ("*/*", "application/*") and q > best_q:
            best, best_q = offered[0], q
            continue
        if mt in offered and q > best_q:
            best, best_q = mt, q
    return best


def serialize(g: Graph, media_type: str) -> str:
    fmt = RDF_FORMATS[media_type]
    for prefix, ns in PREFIXES.items():
        g.bind(prefix, ns)
    if fmt == "json-ld":
        return g.serialize(format="json-ld", context=JSONLD_CONTEXT, auto_compact=True)
    return g.serialize(format=fmt)


async def read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"the body is larger than the limit of {limit} bytes", limit=limit)
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(f"the body is larger than the limit of {limit} bytes", limit=limit)
        chunks.append(chunk)
    return b"".join(chunks)


def _depth(v: Any, d: int = 0) -> int:
    if d > MAX_JSON_DEPTH:
        return d
    if isinstance(v, dict):
        return max((_depth(x, d + 1) for x in v.values()), default=d + 1)
    if isinstance(v, list):
        return max((_depth(x, d + 1) for x in v), default=d + 1)
    return d


def parse_json(body: bytes) -> Any:
    try:
        data = json.loads(body)
    except RecursionError:
        raise BadInput("the JSON body is nested too deeply") from None
    except ValueError as exc:  # JSONDecodeError, UnicodeDecodeError, integers past Python's digit limit
        raise BadInput(f"the body is not valid JSON: {str(exc)[:300]}") from None
    if _depth(data) > MAX_JSON_DEPTH:
        raise BadInput(f"the JSON body is nested deeper than {MAX_JSON_DEPTH} levels")
    # escapes spell what no text of the registry may hold: "\\u0001", "\\uffff", a lone surrogate "\\ud800"
    found = xmlchars.violations(data, "body")
    if found:
        raise ValidationFailed(found, "The body holds text XML cannot carry (a control character, U+FFFE, U+FFFF "
                                      "or a lone surrogate); nothing was written.")
    return data


CONTEXT_PATH = "/context.jsonld"


def _local_contexts(doc: Any) -> Any:
    """Replace references to our published context by the context itself; refuse other remote ones."""
    if isinstance(doc, list):
        return [_local_contexts(x) for x in doc]
    if not isinstance(doc, dict):
        return doc
    out = {}
    for k, v in doc.items():
        if k == "@context":
            out[k] = _context_value(v)
        else:
            out[k] = _local_contexts(v)
    return out


def _context_value(v: Any) -> Any:
    """A context with every reference to a remote document refused (strings, @import, and the scoped
    contexts of term definitions), so the JSON-LD processor never fetches anything."""
    if isinstance(v, list):
        return [_context_value(x) for x in v]
    if isinstance(v, str):
        if v.endswith(CONTEXT_PATH):
            return JSONLD_CONTEXT
        raise BadInput(f"remote JSON-LD contexts are not fetched ({v[:200]!r}): inline the context, or use "
                       f"{CONTEXT_PATH}")
    if isinstance(v, dict):
        out = {}
        for k, x in v.items():
            if k == "@import":
                raise BadInput("JSON-LD @import is not fetched: inline the imported context")
            out[k] = _context_value(x) if k == "@context" or isinstance(x, dict) else x
        return out
    return v


def parse_rdf(body: bytes, media_type: str, base: str) -> Graph:
    g = Graph()
    try:
        if media_type == "application/ld+json":
            # the same guards as JSON (depth, syntax), and no remote context is ever fetched
            doc = _local_contexts(parse_json(body))
            g.parse(data=json.dumps(doc), format="json-ld", publicID=base)
        else:
            g.parse(data=body.decode("utf-8"), format="turtle", publicID=base)
    except (BadInput, ValidationFailed):
        raise
    except Exception as exc:  # rdflib raises many parser-specific exception types
        raise BadInput(f"the body is not valid {media_type}: {exc}") from None
    return g


def content_type(request: Request) -> str:
    return request.headers.get("content-type", JSON).split(";")[0].strip().lower() or JSON


def read_record_input(request: Request, body: bytes) -> tuple[str, Any]:
    """("json", data) or ("rdf", graph) from a body, by its Content-Type."""
    ct = content_type(request)
    if ct in (JSON, "application/problem+json") or ct.endswith("+json") and ct not in INPUT_RDF:
        return "json", parse_json(body)
    if ct in INPUT_RDF:
        return "rdf", parse_rdf(body, ct, str(request.base_url))
    raise UnsupportedMediaType(
        f"cannot read {ct!r}: send application/json, application/ld+json or text/turtle",
        accepted=[JSON, *INPUT_RDF],
    )
