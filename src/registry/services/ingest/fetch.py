"""Fetching a URL someone else chose (a catalogue to import): http(s) only, every connection and redirect
checked against non-public addresses and made to the address checked, bounded in size and time, and
errors that never quote what was read (README, "Catalogue import" under Security and reliability)."""

from __future__ import annotations

import ipaddress
import re
import socket
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import httpcore
import httpx

from registry.errors import BadInput

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
#: (host, port) -> the addresses it resolves to, as text
Resolver = Callable[[str, int], list[str]]

REDIRECTS = (301, 302, 303, 307, 308)
HEADERS = [(b"Accept", b"text/turtle, application/rdf+xml;q=0.9, application/ld+json;q=0.9, "
                       b"application/json;q=0.8, */*;q=0.1"),
           (b"User-Agent", b"gov-data-registry (catalogue import)")]
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
#: special-purpose blocks some Python versions count as global
_SPECIAL = (("shared", ipaddress.ip_network("100.64.0.0/10")),
            ("reserved", ipaddress.ip_network("192.0.0.0/24")),
            ("site-local", ipaddress.ip_network("fec0::/10")))
_MEDIA = re.compile(r"^[a-z0-9][a-z0-9!#$&^_.+-]*/[a-z0-9][a-z0-9!#$&^_.+-]*$")
#: a URL scheme (two letters at least: "C:" starts a Windows path)
SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]+):")


class FetchError(BadInput):
    """A URL refused, or one that could not be fetched. Its detail never quotes what the server sent."""


def resolve(host: str, port: int) -> list[str]:
    """Every address `host` resolves to (the system resolver: names, and numbers in any spelling)."""
    return list(dict.fromkeys(str(info[4][0]) for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)))


def not_public(ip: Address) -> str | None:
    """Why `ip` is not a public address ("loopback", "private", ...), or None when it is one."""
    if isinstance(ip, ipaddress.IPv6Address):
        inner = ip.ipv4_mapped or ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if inner is None and ip in _NAT64:
            inner = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if inner is not None and (why := not_public(inner)) is not None:
            return f"{why} (inside the IPv6 address)"
    for why, found in (("unspecified", ip.is_unspecified), ("loopback", ip.is_loopback),
                       ("link-local", ip.is_link_local), ("multicast", ip.is_multicast),
                       ("private", ip.is_private), ("reserved", ip.is_reserved)):
        if found:
            return why
    for why, net in _SPECIAL:
        if ip in net:
            return why
    return None if ip.is_global else "non-public"


@dataclass(frozen=True)
class FetchPolicy:
    #: reach any address (`registry import-catalog --allow-private-network`)
    allow_private: bool = False
    #: non-public networks that may be reached all the same (`--allow-network`)
    allow_networks: tuple[Network, ...] = ()
    max_bytes: int = 50_000_000
    #: seconds for each connect and each read
    timeout: float = 30.0
    #: seconds for the whole fetch, redirects included
    deadline: float = 300.0
    max_redirects: int = 5
    resolver: Resolver = field(default=resolve)

    def addresses(self, host: str, port: int) -> list[Address]:
        """The addresses to connect to for host:port; FetchError if any of them is not allowed."""
        try:
            found = [ipaddress.ip_address(a) for a in self.resolver(host, port)]
        except (OSError, UnicodeError, ValueError):
            raise FetchError(f"cannot fetch: the host {host!r} does not resolve") from None
        if not found:
            raise FetchError(f"cannot fetch: the host {host!r} does not resolve")
        for ip in found:
            why = None if self.allow_private else not_public(ip)
            if why is not None and not any(ip in net for net in self.allow_networks):
                what = f"{ip} is a" if host.strip("[]") == str(ip) else f"{host} is {ip}, a"
                raise FetchError(f"refused: {what} {why} address: the import fetches from public addresses "
                                 f"only (--allow-private-network, or --allow-network CIDR, to allow it)")
        return found


class _CheckedBackend(httpcore.SyncBackend):
    """Every TCP connection of the fetch: resolve, check, connect."""

    def __init__(self, policy: FetchPolicy) -> None:
        super().__init__()
        self.policy = policy

    def connect_tcp(self, host: str, port: int, timeout: float | None = None, local_address: str | None = None,
                    socket_options: Iterable[Any] | None = None) -> httpcore.NetworkStream:
        error: httpcore.ConnectError | None = None
        for ip in self.policy.addresses(host, port):
            # Connect to the address just checked, never to the name again: a second lookup could answer
            # otherwise (DNS rebinding). TLS still verifies, and Host still names, the host of the URL.
            try:
                return super().connect_tcp(str(ip), port, timeout, local_address, socket_options)
            except httpcore.ConnectError as e:
                error = e
        assert error is not None
        raise error


@dataclass
class Fetched:
    content: bytes
    media: str | None
    url: str
    status: int


def http_url(text: str) -> httpx.URL:
    """`text` as an http(s) URL, or FetchError saying why not."""
    m = SCHEME.match(text)
    if m is None or m.group(1).lower() not in ("http", "https"):
        scheme = f"{m.group(1).lower()}: " if m else ""
        raise FetchError(f"refused: only http and https URLs are fetched, not {scheme}URLs; give a local file "
                         f"as a plain path (./name when it has a colon)")
    try:
        url = httpx.URL(text)
    except (httpx.InvalidURL, ValueError):
        raise FetchError(f"refused: {text[:200]!r} is not a valid URL") from None
    if not url.host:
        raise FetchError(f"refused: {text[:200]!r} names no host")
    return url


def _next(url: httpx.URL, location: str) -> httpx.URL:
    """Where a redirect leads: an http(s) URL, or FetchError."""
    try:
        joined = str(url.join(location))
    except (httpx.InvalidURL, ValueError):
        raise FetchError(f"refused: a redirect to {location[:200]!r}, which is not a valid URL") from None
    return http_url(joined)


def _header(headers: list[tuple[bytes, bytes]], name: bytes) -> str | None:
    for k, v in headers:
        if k.lower() == name:
            return v.decode("latin-1").strip()
    return None


def _media(headers: list[tuple[bytes, bytes]]) -> str | None:
    value = _header(headers, b"content-type")
    if not value:
        return None
    media = value.split(";")[0].strip().lower()
    return media if _MEDIA.match(media) and len(media) <= 100 else "an unreadable media type"


def _what(status: int, media: str | None) -> str:
    return f"HTTP {status}, {media or 'no media type'}"


def fetch(source: str, policy: FetchPolicy | None = None) -> Fetched:
    """GET an http(s) URL under `policy` (by default: public addresses only)."""
    policy = policy or FetchPolicy()
    url = http_url(source)
    end = time.monotonic() + policy.deadline
    t = policy.timeout
    ext: dict[str, Any] = {"timeout": {"connect": t, "read": t, "write": t, "pool": t}}
    hops: list[str] = []
    with httpcore.ConnectionPool(ssl_context=httpx.create_ssl_context(),
                                 network_backend=_CheckedBackend(policy)) as pool:
        for _ in range(policy.max_redirects + 1):
            try:
                with pool.stream("GET", str(url), headers=HEADERS, extensions=ext) as r:
                    media = _media(r.headers)
                    if r.status in REDIRECTS:
                        hops.append(str(url))
                        location = _header(r.headers, b"location")
                        if not location:
                            raise FetchError(f"{url} answered a redirect ({_what(r.status, media)}) with no Location")
                        url = _next(url, location)
                        continue
                    if not 200 <= r.status < 300:
                        raise FetchError(f"not a catalogue: {url} answered {_what(r.status, media)}",
                                         status=r.status)
                    declared = _header(r.headers, b"content-length")
                    if declared and declared.isdigit() and int(declared) > policy.max_bytes:
                        raise FetchError(f"refused: {url} sends more than {policy.max_bytes} bytes")
                    chunks, size = [], 0
                    for chunk in r.iter_stream():
                        size += len(chunk)
                        if size > policy.max_bytes:
                            raise FetchError(f"refused: {url} sends more than {policy.max_bytes} bytes")
                        if time.monotonic() > end:
                            raise FetchError(f"refused: {url} took longer than {policy.deadline:g} s")
                        chunks.append(chunk)
                    return Fetched(b"".join(chunks), media, str(url), r.status)
            except FetchError as e:
                if hops:
                    raise FetchError(f"{e.detail} (reached by a redirect from {hops[-1]})", **e.extra) from None
                raise
            except httpcore.TimeoutException:
                raise FetchError(f"cannot fetch {url}: no answer within {t:g} s") from None
            except httpcore.ConnectError:
                raise FetchError(f"cannot fetch {url}: the connection to {url.host} failed") from None
            except httpcore.ProtocolError:
                raise FetchError(f"not a catalogue: {url} did not answer in HTTP") from None
            except (httpcore.NetworkError, httpcore.UnsupportedProtocol, httpcore.ProxyError):
                raise FetchError(f"cannot fetch {url}: the connection failed") from None
    raise FetchError(f"refused: more than {policy.max_redirects} redirects from {source[:200]}")
