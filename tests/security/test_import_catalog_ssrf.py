"""Server-side request forgery and local reads through `registry import-catalog` (issue 14, finding 10).

Two real HTTP servers on loopback: a "secret" one on 127.0.0.2 that counts the connections it accepts and
answers secrets (what an internal service or a cloud metadata endpoint would), and a redirector on 127.0.0.1.
The import must refuse every spelling of a private address before connecting, on the first hop and on every
redirect, never read file: URLs (nor contexts a JSON-LD document names), bound what it reads, and never echo
what it read in an error."""

from __future__ import annotations

import http.server
import ipaddress
import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from conftest import DATA
from registry.cli.main import app

SECRET = "AKIA-SECRET-4f1d9c"
#: what a local file or an internal service would answer; none of it may appear in any output
SECRET_BODY = f"root:x:0:0:{SECRET}:/root:/bin/bash\n".encode()
CKAN = (DATA / "ckan-package-search.json").read_bytes()
RAW = 0  # a "status" that makes the handler write raw bytes: a service that does not speak HTTP
DRIP = -200  # a "status" (200) that makes the handler send its body a byte at a time, slowly


class Server(http.server.ThreadingHTTPServer):
    """An HTTP server that counts the connections it accepts and remembers the Host headers it got."""

    daemon_threads = True

    def __init__(self, host: str) -> None:
        self.connections = 0
        self.hosts: list[str] = []
        self.routes: dict[str, tuple[int, dict[str, str], bytes]] = {}
        super().__init__((host, 0), Handler)

    def get_request(self) -> Any:
        request = super().get_request()
        self.connections += 1
        return request

    @property
    def port(self) -> int:
        return int(self.server_address[1])


class Handler(http.server.BaseHTTPRequestHandler):
    server: Server

    def do_GET(self) -> None:  # noqa: N802 - the http.server API
        self.server.hosts.append(self.headers.get("Host", ""))
        status, headers, body = self.server.routes.get(self.path, (200, {"Content-Type": "text/plain"}, SECRET_BODY))
        try:
            if status == RAW:
                self.wfile.write(body)
                return
            self.send_response(abs(status))
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if status == DRIP:
                for i in range(len(body)):
                    self.wfile.write(body[i:i + 1])
                    self.wfile.flush()
                    time.sleep(0.05)
            else:
                self.wfile.write(body)
        except OSError:
            pass  # the client gave up

    def log_message(self, *args: Any) -> None:
        pass


def serve(host: str) -> Iterator[Server]:
    server = Server(host)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def secret() -> Iterator[Server]:
    """The service to protect, on 127.0.0.2."""
    yield from serve("127.0.0.2")


@pytest.fixture
def redirector() -> Iterator[Server]:
    """A server on 127.0.0.1 whose routes redirect elsewhere."""
    yield from serve("127.0.0.1")


def spellings(ip: str, port: int) -> list[str]:
    """URLs of ip:port in the spellings resolvers accept: decimal, hex, short forms, IPv4-mapped IPv6."""
    n = int(ipaddress.IPv4Address(ip))
    a, b, c, d = ip.split(".")
    return [f"http://{ip}:{port}/", f"http://{n}:{port}/", f"http://{hex(n)}:{port}/",
            f"http://0x{int(a):x}.{b}.{c}.{d}:{port}/", f"http://{a}.{d}:{port}/",
            f"http://0{int(a):o}.{b}.{c}.{d}:{port}/", f"http://[::ffff:{ip}]:{port}/",
            f"http://[::ffff:{int(a) << 8 | int(b):x}:{int(c) << 8 | int(d):x}]:{port}/",
            f"HTTP://{ip}:{port}/?x=1#y"]


def fetching() -> Any:
    """registry.services.ingest.fetch, imported where used: the command-line tests above run without it."""
    from registry.services.ingest import fetch

    return fetch


def import_catalog(*args: str) -> Any:
    return CliRunner().invoke(app, ["import-catalog", *args, "--data", "memory"])


def assert_no_secret(output: str) -> None:
    assert SECRET not in output and "root:x" not in output and "/bin/bash" not in output, output


# ------------------------------------------------------------------------------- the first hop
def test_every_spelling_of_a_private_address_is_refused_before_connecting(secret: Server) -> None:
    for url in [*spellings("127.0.0.2", secret.port), f"http://localhost:{secret.port}/"]:
        result = import_catalog(url)
        assert result.exit_code == 2, (url, result.output)
        assert "refused" in result.output, (url, result.output)
        assert_no_secret(result.output)
    assert secret.connections == 0


@pytest.mark.parametrize("address", [
    "127.0.0.1", "127.255.255.254", "10.0.0.1", "172.16.5.4", "192.168.1.1", "169.254.169.254", "0.0.0.0",
    "100.64.0.1", "224.0.0.1", "239.255.255.250", "240.0.0.1", "255.255.255.255", "192.0.0.8", "198.18.0.1",
    "::1", "::", "fe80::1", "fc00::1", "fd12:3456::1", "ff02::1", "::ffff:127.0.0.1", "::ffff:169.254.169.254",
    "::ffff:10.1.2.3", "::127.0.0.1", "64:ff9b::a9fe:a9fe", "2002:7f00:1::", "2002:a9fe:a9fe::1",
])
def test_addresses_that_are_not_public_are_named(address: str) -> None:
    assert fetching().not_public(ipaddress.ip_address(address)) is not None


@pytest.mark.parametrize("address", ["93.184.216.34", "8.8.8.8", "2606:4700:4700::1111", "2002:5db8:d822::1"])
def test_public_addresses_pass(address: str) -> None:
    assert fetching().not_public(ipaddress.ip_address(address)) is None


def test_a_name_is_refused_by_the_address_it_resolves_to(secret: Server) -> None:
    """A public-looking name that resolves to a private address is refused, before any connection."""
    f = fetching()
    asked: list[str] = []

    def resolver(host: str, port: int) -> list[str]:
        asked.append(host)
        return ["127.0.0.2"]

    with pytest.raises(f.FetchError, match="refused.*loopback") as e:
        f.fetch(f"http://catalog.example:{secret.port}/catalog", f.FetchPolicy(resolver=resolver))
    assert asked == ["catalog.example"] and secret.connections == 0
    assert SECRET not in e.value.detail


def test_the_connection_goes_to_the_address_that_was_checked(secret: Server) -> None:
    """The name is resolved once, and the connection made to the address checked: a second lookup (which a
    rebinding DNS server would answer differently) never happens. Here the name resolves only through the
    resolver given, so the server is reached only if the checked address itself is connected to."""
    f = fetching()
    asked: list[str] = []

    def resolver(host: str, port: int) -> list[str]:
        asked.append(host)
        return ["127.0.0.2"]

    secret.routes["/catalog"] = (200, {"Content-Type": "application/json"}, CKAN)
    policy = f.FetchPolicy(allow_networks=(ipaddress.ip_network("127.0.0.2/32"),), resolver=resolver)
    got = f.fetch(f"http://catalog.invalid:{secret.port}/catalog", policy)
    assert got.content == CKAN and got.status == 200 and got.media == "application/json"
    assert asked == ["catalog.invalid"] and secret.connections == 1
    assert secret.hosts == [f"catalog.invalid:{secret.port}"], "the Host header still names the host"


# --------------------------------------------------------------------------------- redirects
def test_a_redirect_to_a_private_address_is_refused(secret: Server, redirector: Server) -> None:
    """The redirector (127.0.0.1) is allowed by --allow-network; where it sends the import (127.0.0.2, in
    every spelling, directly or through a second redirect) is not."""
    for i, target in enumerate(spellings("127.0.0.2", secret.port)):
        redirector.routes[f"/r{i}"] = (302, {"Location": target}, b"")
        redirector.routes[f"/rr{i}"] = (301, {"Location": f"/r{i}"}, b"")
        for path in (f"/r{i}", f"/rr{i}"):
            result = import_catalog(f"http://127.0.0.1:{redirector.port}{path}", "--allow-network", "127.0.0.1/32")
            assert result.exit_code == 2, (target, result.output)
            assert "refused" in result.output and "redirect" in result.output, (target, result.output)
            assert_no_secret(result.output)
    assert secret.connections == 0
    assert redirector.connections > 0, "the first hop was allowed and made"


@pytest.mark.parametrize("location", ["file:///etc/passwd", "ftp://127.0.0.2/x", "gopher://127.0.0.2:70/_x",
                                      "data:text/plain,root:x:0:0"])
def test_a_redirect_to_another_scheme_is_refused(redirector: Server, location: str) -> None:
    redirector.routes["/r"] = (307, {"Location": location}, b"")
    result = import_catalog(f"http://127.0.0.1:{redirector.port}/r", "--allow-private-network")
    assert result.exit_code == 2 and "http" in result.output and "refused" in result.output, result.output
    assert_no_secret(result.output)


def test_redirects_are_bounded(redirector: Server) -> None:
    redirector.routes["/loop"] = (302, {"Location": "/loop"}, b"")
    result = import_catalog(f"http://127.0.0.1:{redirector.port}/loop", "--allow-private-network")
    assert result.exit_code == 2 and "redirects" in result.output, result.output
    assert len(redirector.hosts) <= 6


# ------------------------------------------------------------------------- allowed on request
def test_allow_private_network_lets_a_loopback_import_work(secret: Server) -> None:
    secret.routes["/catalog"] = (200, {"Content-Type": "application/json"}, CKAN)
    url = f"http://127.0.0.2:{secret.port}/catalog"
    refused = import_catalog(url)
    assert refused.exit_code == 2 and "--allow-private-network" in refused.output
    assert secret.connections == 0
    result = import_catalog(url, "--allow-private-network")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output[:result.output.rindex("}") + 1])
    assert report["format"] == "ckan" and report["counts"]["created"] == 4
    assert secret.connections == 1


# ----------------------------------------------------------------------------- other schemes
@pytest.mark.parametrize("source", [
    "file:///etc/passwd", "FILE:///etc/passwd", "file://localhost/etc/passwd", "file:/etc/passwd",
    "ftp://127.0.0.2/pub/catalog.ttl", "gopher://127.0.0.2:70/_GET", "dict://127.0.0.2:11211/stat",
    "data:text/turtle;base64,QHByZWZpeCB4OiA8YT4gLg==", "jar:file:///etc/passwd!/x", "netdoc:///etc/passwd",
])
def test_urls_other_than_http_are_refused(source: str) -> None:
    result = import_catalog(source)
    assert result.exit_code == 2, result.output
    assert "http" in result.output and "plain path" in result.output, result.output
    assert_no_secret(result.output)


def test_a_local_file_is_read_as_a_plain_path(tmp_path: Path) -> None:
    f = tmp_path / "catalog.json"
    f.write_bytes(CKAN)
    assert import_catalog(str(f)).exit_code == 0


# ------------------------------------------------------------------ what was read stays unsaid
NOT_CATALOGUES = [
    (200, "text/plain", SECRET_BODY),
    (200, "text/html", f"<!DOCTYPE html><html><body><p>{SECRET}</p></body></html>".encode()),
    (200, "application/json", json.dumps({"AccessKeyId": SECRET, "Token": SECRET}).encode()),
    (200, "application/json", json.dumps({"success": False, "error": {"message": SECRET}}).encode()),
    (200, "application/json", f'{{"result": {{"results": [{SECRET}'.encode()),
    (200, "text/turtle", f"@prefix x: <http://example.org/> .\n{SECRET} root:x:0:0 /bin/bash\n".encode()),
    (200, "application/rdf+xml", f'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><{SECRET}'.encode()),
    (200, "application/ld+json", json.dumps({"@id": f"http://example.org/{SECRET}", "@type": SECRET}).encode()),
    (200, "application/octet-stream", SECRET_BODY * 3),
    (404, "text/plain", SECRET_BODY),
    (500, "text/html", f"<html>{SECRET}</html>".encode()),
]


@pytest.mark.parametrize(("status", "media", "body"), NOT_CATALOGUES,
                         ids=[f"{s}-{m}-{i}" for i, (s, m, _b) in enumerate(NOT_CATALOGUES)])
def test_an_answer_that_is_not_a_catalogue_is_never_echoed(secret: Server, status: int, media: str,
                                                           body: bytes) -> None:
    secret.routes["/x"] = (status, {"Content-Type": media}, body)
    result = import_catalog(f"http://127.0.0.2:{secret.port}/x", "--allow-private-network")
    assert result.exit_code == 2, result.output
    assert_no_secret(result.output)
    assert f"HTTP {status}" in result.output and media in result.output, result.output


def test_a_service_that_does_not_speak_http_is_never_echoed(secret: Server) -> None:
    secret.routes["/banner"] = (RAW, {}, f"SSH-2.0-OpenSSH_9.2 {SECRET}\r\n".encode() + SECRET_BODY)
    result = import_catalog(f"http://127.0.0.2:{secret.port}/banner", "--allow-private-network")
    assert result.exit_code == 2, result.output
    assert_no_secret(result.output)


def test_a_local_file_that_is_not_a_catalogue_is_never_echoed(tmp_path: Path) -> None:
    for name in ("passwd", "passwd.ttl", "passwd.json", "passwd.rdf", "passwd.jsonld"):
        f = tmp_path / name
        f.write_bytes(SECRET_BODY)
        result = import_catalog(str(f))
        assert result.exit_code == 2, result.output
        assert_no_secret(result.output)


# -------------------------------------------------------------- what the catalogue names itself
def test_a_json_ld_catalogue_cannot_make_the_import_fetch(secret: Server, tmp_path: Path) -> None:
    """A remote @context or an @import is never fetched (nor read from a file)."""
    url = f"http://127.0.0.2:{secret.port}/context"
    docs = [{"@context": url}, {"@context": [{"@vocab": "http://example.org/"}, url]},
            {"@context": {"@import": url}}, {"@context": {"@import": "/etc/passwd"}},
            {"@context": {"@version": 1.1, "x": {"@id": "http://example.org/x", "@context": {"@import": url}}}},
            {"@graph": [{"@context": url, "@id": "http://example.org/d"}]}]
    for doc in docs:
        f = tmp_path / "catalog.jsonld"
        f.write_text(json.dumps({**doc, "@id": "http://example.org/d", "@type": "http://www.w3.org/ns/dcat#Dataset"}))
        result = import_catalog(str(f), "--allow-private-network")
        assert result.exit_code == 2, (doc, result.output)
        assert_no_secret(result.output)
    assert secret.connections == 0


def test_an_xml_catalogue_cannot_make_the_import_fetch(secret: Server, tmp_path: Path) -> None:
    """External entities of RDF/XML are not resolved."""
    f = tmp_path / "catalog.rdf"
    f.write_text(f'<?xml version="1.0"?>\n<!DOCTYPE r [<!ENTITY x SYSTEM "http://127.0.0.2:{secret.port}/e">'
                 f'<!ENTITY y SYSTEM "file:///etc/passwd">]>\n'
                 '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
                 'xmlns:dcat="http://www.w3.org/ns/dcat#" xmlns:dct="http://purl.org/dc/terms/">'
                 '<dcat:Dataset rdf:about="http://example.org/d"><dct:title>&x;&y;</dct:title></dcat:Dataset>'
                 '</rdf:RDF>')
    result = import_catalog(str(f), "--allow-private-network")
    assert_no_secret(result.output)
    assert secret.connections == 0


# ---------------------------------------------------------------------------------- bounds
def test_what_is_read_is_bounded_in_size(secret: Server) -> None:
    f = fetching()
    allow = (ipaddress.ip_network("127.0.0.2/32"),)
    secret.routes["/big"] = (200, {"Content-Type": "text/turtle"}, b"#" * 5000)
    with pytest.raises(f.FetchError, match="more than 1000 bytes") as e:
        f.fetch(f"http://127.0.0.2:{secret.port}/big", f.FetchPolicy(allow_networks=allow, max_bytes=1000))
    assert "###" not in e.value.detail
    # a body longer than it says (no Content-Length to refuse it by) is cut off as it streams
    secret.routes["/raw"] = (RAW, {}, b"HTTP/1.0 200 OK\r\nContent-Type: text/turtle\r\n\r\n" + b"#" * 5000)
    with pytest.raises(f.FetchError, match="more than 1000 bytes"):
        f.fetch(f"http://127.0.0.2:{secret.port}/raw", f.FetchPolicy(allow_networks=allow, max_bytes=1000))


def test_what_is_read_is_bounded_in_time(secret: Server) -> None:
    """A server that sends a byte now and then, each in time for the read timeout, is given up on at
    the deadline of the whole fetch."""
    f = fetching()
    secret.routes["/slow"] = (DRIP, {"Content-Type": "text/turtle"}, b"#" * 200)
    policy = f.FetchPolicy(allow_networks=(ipaddress.ip_network("127.0.0.2/32"),), timeout=5.0, deadline=0.3)
    with pytest.raises(f.FetchError, match="longer than"):
        f.fetch(f"http://127.0.0.2:{secret.port}/slow", policy)
