"""What the workspace's tests share: a browser-like client of the real app that signs in with a token (or a
sign-in link), keeps its session cookie, reads each page's CSRF token and sends forms as a browser does."""

from __future__ import annotations

import html
import json
import re
from typing import Any
from urllib.parse import urlencode

from fastapi.testclient import TestClient

from registry.domain.model import BY_COLLECTION, ORGANIZATION
from registry.services.ingest.loader import SYSTEM
from registry.services.stewardship import clean
from registry.web import workspace_forms as forms
from registry.web.workspace_forms import values_of

COOKIE = "registry_session"
HTML_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
_CSRF = re.compile(r'name="csrf" value="([^"]*)"')


def csrf_of(page: str) -> str:
    """The CSRF token of the first form of a page."""
    m = _CSRF.search(page)
    assert m, page[:500]
    return html.unescape(m.group(1))


class Browser:
    """A client of the app that behaves as a browser: its own cookies, HTML accepted, redirects not followed
    (each test follows the ones it means to)."""

    def __init__(self, app: Any, base_url: str = "http://testserver") -> None:
        self.client = TestClient(app, base_url=base_url, follow_redirects=False, raise_server_exceptions=False)
        self.client.headers["Accept"] = HTML_ACCEPT
        self.csrf = ""

    @property
    def session(self) -> str | None:
        return self.client.cookies.get(COOKIE)

    def get(self, path: str, **kw: Any) -> Any:
        r = self.client.get(path, **kw)
        if r.status_code == 200 and 'name="csrf"' in r.text:
            self.csrf = csrf_of(r.text)
        return r

    def post(self, path: str, data: dict[str, Any] | list[tuple[str, str]] | None = None, *,
             csrf: str | None = None, **kw: Any) -> Any:
        """A form sent with the CSRF token of the last page read (or `csrf`; "" sends none)."""
        fields = list(data.items()) if isinstance(data, dict) else list(data or [])
        token = self.csrf if csrf is None else csrf
        if token:
            fields.insert(0, ("csrf", token))
        flat = [(k, str(x)) for k, v in fields for x in (v if isinstance(v, list) else [v])]
        headers = {"Content-Type": "application/x-www-form-urlencoded", **kw.pop("headers", {})}
        r = self.client.post(path, content=_encode(flat), headers=headers, **kw)
        if r.status_code < 300 and 'name="csrf"' in r.text:
            self.csrf = csrf_of(r.text)
        return r

    def sign_in(self, token: str) -> Browser:
        """Sign in with a bearer token; the session's CSRF token is read from the home page."""
        self.get("/workspace/sign-in")
        r = self.post("/workspace/sign-in", {"token": token})
        assert r.status_code == 303, (r.status_code, r.text[:500])
        assert self.get("/workspace").status_code == 200
        return self


def _encode(fields: list[tuple[str, str]]) -> bytes:
    return urlencode(fields).encode()


def sign_in(app: Any, token: str) -> Browser:
    return Browser(app).sign_in(token)


# --------------------------------------------------------------------------------- the role matrix
#: what the role matrix (tests/api/test_roles.py) sends to the workspace: problem+json for refusals, so that
#: they are checked as the API's are (browsers, which ask for HTML, get the same refusal as a page)
MATRIX_ACCEPT = "application/problem+json, text/html;q=0.5"


def form_fields(values: dict[str, Any]) -> list[tuple[str, str]]:
    """A form's values (registry.web.workspace_forms.values_of) as the fields a browser sends."""
    out: list[tuple[str, str]] = []
    for name, value in values.items():
        for v in value if isinstance(value, list) else [value]:
            out.append((name, str(v)))
    return out


def matrix_call(api: Any, path: str, method: str, token: str | None, sample: Any, seed: Any,
                tag: str) -> tuple[str, dict[str, str], bytes | None]:
    """(url, headers, body) of a workspace page or form for the role matrix: signed in with `token` (no
    session without one), the session's CSRF token in the form, and the form's fields filled for `path`
    (`sample(collection, rid)` a record of moh's, `seed(api, collection, rid)` one written for the call)."""
    app = api.client.app
    browser = Browser(app)
    if path in ("/workspace/sign-in", "/workspace/sign-in/link"):
        browser.get("/workspace/sign-in")  # a browser not signed in: the form's session and CSRF token
    elif token is not None:
        browser.sign_in(token)
    headers = {"Accept": MATRIX_ACCEPT}
    if browser.session:
        headers["Cookie"] = f"{COOKIE}={browser.session}"
    if method == "GET" and path == "/workspace/agreements/{rid}/edit":  # a steward edits drafts only
        return f"/workspace/agreements/{seed(api, 'agreements', tag)}/edit", headers, None
    if method == "GET":
        url = {"/workspace/sign-in/link": "/workspace/sign-in/link?key=dsl_matrix",
               "/workspace/datasets/{rid}/edit": "/workspace/datasets/ohip-claims/edit",
               "/workspace/organizations/{rid}/legal-status": "/workspace/organizations/moh-idiu/legal-status",
               }.get(path, path)
        return url, headers, None
    reg = api.registry
    fields: list[tuple[str, str]] = []
    url = path
    if path == "/workspace/sign-in":
        fields = [("token", token or "dsr_not-a-real-token")]
    elif path == "/workspace/sign-in/link":
        if token is None:
            key = "dsl_not-a-real-link"
        else:
            caller = reg.tokens.authenticate(token)
            key, _expires = app.state.sessions.issue_link(reg.tokens, caller.token_id, SYSTEM)
        fields = [("key", key)]
    elif path in ("/workspace/datasets/new", "/workspace/agreements/new"):
        collection = path.split("/")[2]
        spec = forms.DATASET if collection == "datasets" else forms.AGREEMENT
        fields = form_fields(values_of(spec, sample(collection, tag)))
    elif path in ("/workspace/datasets/{rid}/edit", "/workspace/agreements/{rid}/edit"):
        collection = path.split("/")[2]
        kind = BY_COLLECTION[collection]
        spec = forms.DATASET if collection == "datasets" else forms.AGREEMENT
        rid = seed(api, collection, tag)
        record, etag = reg.records.read(kind, rid, full=True)
        record = clean(record)
        fields = form_fields(values_of(spec, {**record, "title": "Renamed in the workspace"}))
        fields += [("etag", etag), ("base", json.dumps(record))]
        url = f"/workspace/{collection}/{rid}/edit"
    elif path == "/workspace/share-check":
        fields = [("datasets", "ohip-claims"), ("provider", "moh"), ("recipient", "moh-idiu"),
                  ("purpose", "program-evaluation"), ("date", "2025-06-01")]
    elif path == "/workspace/agreements/{rid}/status":
        rid = seed(api, "agreements", tag)
        fields = [("action", "approve"), ("reason", "approved by the role matrix")]
        url = f"/workspace/agreements/{rid}/status"
    elif path == "/workspace/organizations/{rid}/legal-status":
        record, etag = reg.records.read(ORGANIZATION, "moh-idiu", full=True)
        fields = form_fields(values_of(forms.LEGAL_STATUS, record)) + [("etag", etag)]
        fields = [(k, v) for k, v in fields if k != "designation_reference"] + [("designation_reference", f"O. Reg. {tag}")]
        url = "/workspace/organizations/moh-idiu/legal-status"
    elif path == "/workspace/tokens":
        fields = [("role", "privacy-officer"), ("days", "1")]
    elif path in ("/workspace/tokens/{token_id}/revoke", "/workspace/tokens/{token_id}/link"):
        token_id, _secret = reg.tokens.create("privacy-officer")
        url = path.replace("{token_id}", token_id)
    if browser.csrf:
        fields.insert(0, ("csrf", browser.csrf))
    headers["Content-Type"] = "application/x-www-form-urlencoded"
    return url, headers, _encode(fields)
