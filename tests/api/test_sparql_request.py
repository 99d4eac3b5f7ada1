"""/sparql reads a request as it did before its shortcuts: a URL-encoded form (a POST's body) exactly as
`urllib.parse.parse_qsl(text, keep_blank_values=True)` does, with its escapes decoded by the C codec in one
call (api/sparql.py `parse_form`, `unquote_form`); the media types wanted and the base IRI as negotiation
and Starlette's URL give them, kept by the headers they depend on (`wanted_media`, `base_iri`)."""

from __future__ import annotations

import asyncio
from urllib.parse import parse_qsl, quote, urlencode

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from starlette.datastructures import URL
from starlette.requests import Request

from registry.api import sparql
from registry.api.negotiation import requested
from registry.services.sparql import OFFERED, SparqlError

QUERY = """PREFIX dct: <http://purl.org/dc/terms/>
SELECT ?s ?id WHERE { ?s dct:identifier ?id ; dct:title "Café \\"crème\\" 100% ✓" . FILTER(?id != 'a&b=c+d') }
ORDER BY ?id LIMIT 50"""

#: the bytes a form's text is made of where the two readings could part: escapes, broken escapes,
#: separators, backslashes (the codec's escape sign), UTF-8 lead and continuation bytes, non-ASCII text
PIECES = ["%", "%2", "%25", "%41", "%4a", "%4G", "%C3", "%A9", "%E2%82", "%AC", "%F0%9F%98", "%80", "%FF", "%00",
          "%5C", "%5Cx41", "%0A", "\\", "\\x", "\\x41", "\\\\", "\\N{DASH}", "+", "&", "=", "a", "Z", "9", "é", "✓",
          "😀", " ", "\n", "query", "%26", "%3D", "%2B", "%%", "%\\"]


@pytest.mark.parametrize("text", [
    urlencode({"query": QUERY}), urlencode({"query": QUERY}, quote_via=quote), "query=" + QUERY,
    "query=a&default-graph-uri=http%3A%2F%2Fex.org%2Fg&named-graph-uri=urn%3Ax", "", "&", "&&query=", "query",
    "=x", "query=%", "query=%2", "query=100%+sure", "query=%zz%41", "query=%C3%A9%C3", "query=%C3é%A9",
    "query=%E2%82é%AC", "query=\\x41%41", "query=\\%41", "query=%5Cx41", "query=\\N{BULLET}%20",
    "query=%ED%A0%80", "query=%F4%90%80%80", "a=b=c&%3D=%26", "query=" + "%20" * 2000,
])
def test_a_form_reads_as_parse_qsl_reads_it(text: str) -> None:
    assert sparql.parse_form(text) == parse_qsl(text, keep_blank_values=True)


@settings(max_examples=600, deadline=None)
@given(st.lists(st.sampled_from(PIECES) | st.text(max_size=4), max_size=40).map("".join))
@example("query=%C3%28&x=%e2%28%a1")
def test_any_form_reads_as_parse_qsl_reads_it(text: str) -> None:
    assert sparql.parse_form(text) == parse_qsl(text, keep_blank_values=True)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from(["query", "default-graph-uri", "named-graph-uri", "format", "x"]),
                       st.text(), max_size=5))
def test_any_encoded_form_reads_back(fields: dict[str, str]) -> None:
    text = urlencode(fields)
    assert sparql.parse_form(text) == parse_qsl(text, keep_blank_values=True)


def test_a_query_is_decoded_by_the_codec_not_by_unquote(monkeypatch: pytest.MonkeyPatch) -> None:
    """The mechanism itself: a well-formed form never reaches urllib's loop over the escapes."""
    def refuse(text: str) -> str:
        raise AssertionError("urllib.parse.unquote was called")

    monkeypatch.setattr(sparql, "unquote", refuse)
    assert sparql.parse_form(urlencode({"query": QUERY})) == [("query", QUERY)]
    with pytest.raises(AssertionError):  # a broken escape is left to unquote
        sparql.parse_form("query=%zz")


# --------------------------------------------------------------------- negotiation and base IRI, kept
def _request(headers: list[tuple[str, str]], query_string: str = "", path: str = "/sparql",
             server: tuple[str, int] | None = ("127.0.0.1", 8000), scheme: str = "http") -> Request:
    return Request({"type": "http", "method": "POST", "scheme": scheme, "path": path, "root_path": "",
                    "query_string": query_string.encode("latin-1"), "server": server,
                    "headers": [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers]})


ACCEPTS = ["", "application/sparql-results+json", "text/csv;q=0.5, application/sparql-results+xml",
           "*/*", "text/*", "application/json;q=0, */*;q=0.1", "image/png", "text/turtle, */*;q=0.2",
           "application/n-triples;q=nan", "APPLICATION/SPARQL-RESULTS+JSON", "text/plain;q=1.5, text/csv;q=0.9"]
FORMATS = ["", "format=json", "format=csv", "format=ttl", "format=nope", "format=text/csv", "format=json&format=xml",
           "format=application/sparql-results%2Bxml", "query=ASK%7B%7D&format=tsv"]
HOSTS = [None, "registry.example.org", "127.0.0.1:8000", "[::1]:8443", "evil.example?x=1", "h#frag", "h:99999",
         "h:notaport", "ex.org/../x", "Ünïcode.example", ""]


def test_the_wanted_media_are_those_negotiation_gives() -> None:
    """Every (?format=, Accept) pair asked twice, in an order that fills and empties the memo: each answer
    is what `requested` gives for that request, whatever was asked before."""
    pairs = [(f, a) for f in FORMATS for a in ACCEPTS] + [("", "text/csv;" + "x" * 600), ("", "*/*;" + "y" * 600)]
    for f, a in pairs * 2:
        request = _request([("accept", a)] if a else [], f)
        expected = {kind: requested(request, offered, sparql.FORMAT_ALIASES) for kind, offered in OFFERED.items()}
        assert sparql.wanted_media(request) == expected, (f, a)
    assert len(sparql._WANTED) <= sparql.KEPT


def test_the_base_iri_is_the_url_without_its_query() -> None:
    for host in HOSTS * 2:
        for qs in ("", "query=SELECT%20*%20WHERE%20%7B%7D", "a=%23b#c", "?x?y"):
            for server, scheme in ((("127.0.0.1", 8000), "http"), (("10.0.0.1", 443), "https"), (None, "http"),
                                   (("::1", 80), "http")):
                headers = [("host", host)] if host is not None else []
                request = _request([*headers, ("host", "second.example")], qs, server=server, scheme=scheme)
                assert sparql.base_iri(request) == str(URL(scope=request.scope).replace(query="", fragment="")), \
                    (host, qs, server)
    assert len(sparql._BASES) <= sparql.KEPT


def test_the_memos_are_used() -> None:
    """The mechanism: a second request with the same headers is answered from the memo."""
    request = _request([("accept", "application/sparql-results+json"), ("host", "memo.example")])
    first = sparql.wanted_media(request)
    assert sparql.wanted_media(_request([("accept", "application/sparql-results+json")])) is first
    base = sparql.base_iri(request)
    assert sparql.base_iri(_request([("host", "memo.example")], "query=x")) is base


# ------------------------------------------------------------------------- the URL's own parameters
URL_QUERIES = ["", "format=json", "default-graph-uri=urn%3Ag&named-graph-uri=urn%3Ah", "query=ASK%7B%7D&format=csv",
               "update=x", "query=a&query=b", "&", "=", "format", "format=%zz", "a=%C3%A9&b=+", "query=%20"]


async def _form() -> dict[str, object]:
    return {"type": "http.request", "body": b"query=ASK+%7B%7D&named-graph-uri=urn%3Aform", "more_body": False}


def _read(qs: str) -> list[object]:
    """What /sparql reads of a GET and of a form POST with this query string, and the media it wants."""
    got: list[object] = []
    for read in (lambda r: sparql.query_of_get(r), lambda r: asyncio.run(sparql.query_of_post(r, 1 << 20))):
        request = Request(_request([("accept", "text/csv"), ("content-type", sparql.FORM)], qs).scope, _form)
        try:
            got.append(read(request))
        except SparqlError as exc:
            got.append(repr(exc))
        got.append(sparql.wanted_media(request))
    return got


@pytest.mark.parametrize("qs", URL_QUERIES)
def test_the_url_parameters_read_as_starlette_reads_them(qs: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A GET's query, a POST's form and the graphs named in its URL, and the media wanted, as they were read
    from Starlette's QueryParams of every request, with or without a query string."""
    new = _read(qs)
    monkeypatch.setattr(sparql, "_url_params", lambda request: request.query_params)
    sparql._WANTED.clear()
    assert new == _read(qs)


def test_a_url_without_a_query_string_is_not_parsed() -> None:
    """The mechanism: without a query string no QueryParams is made for the request (its media wanted are
    known from the memo: a request of the same headers came before)."""
    headers = [("accept", "application/sparql-results+json"), ("content-type", sparql.FORM)]
    sparql.wanted_media(_request(headers))
    request = _request(headers)
    sparql.wanted_media(request)
    assert sparql.query_of_get(request) is None
    assert "_query_params" not in vars(request)
