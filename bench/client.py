"""A lean HTTP/1.1 client for the REST latency figures: one keep-alive connection, nothing more.

Each request through httpx costs about a millisecond of the client's own Python on a small machine,
as much as the lookup being measured; the standard library's http.client costs a fraction of that.
Every server in a run is measured through this same client, so the side-by-side figures stay like for
like. It speaks only what the workloads send: GET with query parameters, POST or PUT with a JSON body, and
a form POST (a SPARQL query: the SPARQL figures' clients, 8 threads on the machine's two cores beside the
servers they measure, cost 1.4-1.9 ms CPU a query through httpx, as much as our server's whole path).
"""

from __future__ import annotations

import http.client
import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urlsplit


class HttpError(RuntimeError):
    pass


@dataclass
class Answer:
    status_code: int
    content: bytes
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", "replace")

    def json(self) -> Any:
        return json.loads(self.content)

    def raise_for_status(self) -> None:
        if self.status_code >= 400:
            raise HttpError(f"HTTP {self.status_code}: {self.text[:300]}")


class LeanClient:
    """Requests to one server (`base_url`) over one kept-alive connection, reopened when the server
    has closed it (an idle keep-alive timeout)."""

    def __init__(self, base_url: str, timeout: float = 600) -> None:
        u = urlsplit(base_url)
        if u.scheme != "http" or not u.hostname:
            raise ValueError(f"only http://host:port URLs: {base_url!r}")
        self.host, self.port, self.prefix = u.hostname, u.port or 80, u.path.rstrip("/")
        self.timeout = timeout
        self._conn: http.client.HTTPConnection | None = None

    def get(self, path: str, *, params: dict[str, Any] | None = None,
            headers: dict[str, str] | None = None) -> Answer:
        if params:
            path += "?" + urlencode(params)
        return self._request("GET", path, None, headers or {})

    def post(self, path: str, *, json: Any = None, headers: dict[str, str] | None = None) -> Answer:
        body = _json_bytes(json)
        return self._request("POST", path, body, {"Content-Type": "application/json", **(headers or {})})

    def post_form(self, path: str, data: dict[str, str], headers: dict[str, str] | None = None) -> Answer:
        body = urlencode(data).encode("ascii")
        return self._request("POST", path, body, {"Content-Type": "application/x-www-form-urlencoded",
                                                  **(headers or {})})

    def put(self, path: str, *, json: Any = None, headers: dict[str, str] | None = None) -> Answer:
        body = _json_bytes(json)
        return self._request("PUT", path, body, {"Content-Type": "application/json", **(headers or {})})

    def _request(self, method: str, path: str, body: bytes | None, headers: dict[str, str]) -> Answer:
        for attempt in (1, 2):
            conn = self._conn or http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
            self._conn = conn
            try:
                conn.request(method, self.prefix + path, body=body, headers=headers)
                r = conn.getresponse()
                content = r.read()
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                self.close()  # the server closed the idle connection: once more on a new one
                if attempt == 2:
                    raise
                continue
            if r.getheader("connection", "").lower() == "close":
                self.close()
            return Answer(r.status, content, {k.lower(): v for k, v in r.getheaders()})
        raise AssertionError("unreachable")

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


def _json_bytes(value: Any) -> bytes | None:
    return None if value is None else json.dumps(value).encode("utf-8")
