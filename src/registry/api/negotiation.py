"""Content negotiation, the one place Accept and ?format= are read (the REST routes and /sparql), and reading
request bodies of any accepted type."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import Request
from rdflib import Graph

from registry.domain.model import xmlchars
from registry.errors import BadInput, NotAcceptable, PayloadTooLarge, UnsupportedMediaType, ValidationFailed
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


#: ?format= values -> the media type they stand for, on the REST routes
FORMAT_ALIASES = {"json": JSON, "jsonld": "application/ld+json", "ttl": "text/turtle", "turtle": "text/turtle",
                  "nt": "application/n-triples", "rdf": "application/rdf+xml", "csv": "text/csv", "html": "text/html"}


def _ranges(accept: str) -> list[tuple[str, float]]:
    """The media ranges of an Accept header with their q-values (1 when none is given, 0 when it is not a
    number), in the header's order; parameters other than q are ignored."""
    out = []
    for part in accept.split(","):
        fields = [f.strip() for f in part.split(";")]
        if not fields[0]:
            continue
        q = 1.0
        for f in fields[1:]:
            if f[:2].lower() == "q=":
                try:
                    q = float(f[2:])
                except ValueError:
                    q = 0.0
                q = q if 0.0 <= q <= 1.0 else 1.0 if q > 1.0 else 0.0  # NaN and negatives refuse
        out.append((fields[0].lower(), q))
    return out


def _specificity(media_range: str, media_type: str) -> int | None:
    """2 when the range names the type, 1 for type/*, 0 for */*; None when it does not match."""
    if media_range == media_type:
        return 2
    if media_range == "*/*" or media_range == "*":
        return 0
    if media_range.endswith("/*") and media_type.startswith(media_range[:-1]):
        return 1
    return None


def best_match(accept: str, offered: Sequence[str]) -> str | None:
    """The offered media type the Accept header likes best (RFC 9110 §12.5.1): each offered type takes the
    q of the most specific range that matches it; the highest q wins, then the more specific range, then
    the range named first in the header, then the type offered first. The first offered type when there is
    no Accept header; None when the header accepts none of them (q=0 refuses a type)."""
    if not accept.strip():
        return offered[0] if offered else None
    ranges = _ranges(accept)
    best: tuple[float, int, int, int] | None = None
    chosen = None
    for i, media_type in enumerate(offered):
        match: tuple[int, int, float] | None = None  # (specificity, -position in the header, q)
        for pos, (media_range, q) in enumerate(ranges):
            spec = _specificity(media_range, media_type)
            if spec is not None and (match is None or (spec, -pos) > match[:2]):
                match = (spec, -pos, q)
        if match is None or match[2] <= 0:
            continue
        key = (match[2], match[0], match[1], -i)
        if best is None or key > best:
            best, chosen = key, media_type
    return chosen


def requested(request: Request, offered: Sequence[str], aliases: Mapping[str, str] = FORMAT_ALIASES) -> str | None:
    """The offered media type a request asks for: its ?format= (a name in `aliases`, or a media type) when
    that is offered, else the best for its Accept header (`best_match`); None when it accepts none."""
    fmt = request.query_params.get("format")
    if fmt and aliases.get(fmt, fmt) in offered:
        return aliases.get(fmt, fmt)
    return best_match(request.headers.get("accept", ""), offered)


def choose(request: Request, offered: Sequence[str]) -> str:
    """The representation of a REST answer: the requested one, or the first offered when the request
    accepts none of them (the REST routes answer in their default type rather than 406)."""
    return requested(request, offered) or offered[0]


def negotiate(request: Request, offered: Sequence[str], aliases: Mapping[str, str] = FORMAT_ALIASES) -> str:
    """The requested representation; NotAcceptable (406) when the request accepts none of those offered."""
    chosen = requested(request, offered, aliases)
    if chosen is None:
        raise NotAcceptable(f"this answer is offered as {', '.join(offered)}", offered=list(offered))
    return chosen


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
