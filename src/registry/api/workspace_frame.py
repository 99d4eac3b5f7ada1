"""What every page and form of the workspace shares: its URLs (each under /workspace, /en/workspace and
/fr/workspace), the session behind it (a cookie naming a server-side session, services/sessions.py), the
role a page needs (the API's roles: services/policy.py decides the rest), the CSRF token every form sends
back, the form's fields, and refusals: an HTML page for browsers, problem+json for clients that ask for JSON."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from registry.api import errors
from registry.api.negotiation import JSON, choose, read_body
from registry.domain.model import DATASET
from registry.errors import BadInput, Forbidden, RegistryError, UnsupportedMediaType, ValidationFailed
from registry.services.auth import ANONYMOUS, Caller
from registry.services.reference import authorities, purposes
from registry.services.registry import Registry
from registry.services.sessions import Session, SessionEnded, Sessions, check_csrf
from registry.services.stewardship import organizations, scope
from registry.web.i18n import LANGUAGES, Here, plain
from registry.web.pages import here_of
from registry.web.workspace_forms import (
    ACTION_WORDS,
    CONDITION_WORDS,
    DECISION_WORDS,
    REASON_WORDS,
    ROLES,
    STATUS_TITLES,
    TITLES,
    vocabulary_labels,
)
from registry.web.workspace_i18n import gettext, render

#: the session cookie (HttpOnly, SameSite=Strict, Secure over HTTPS)
COOKIE = "registry_session"
HTML = "text/html"
FORM = "application/x-www-form-urlencoded"
#: the prefixes every workspace URL is served under (the bare one chooses by Accept-Language)
PREFIXES = ("", *(f"/{lang}" for lang in LANGUAGES))
WRITERS = ("admin", "privacy-officer", "steward")
OFFICERS = ("admin", "privacy-officer")
ADMINS = ("admin",)
#: the most fields a form may send (a form of the workspace has a few hundred at most)
MAX_FIELDS = 2000

Form = dict[str, list[str]]

router = APIRouter(include_in_schema=False)


@dataclass
class Ws:
    """One request to the workspace: who asks (through the session), in which language, what its form says."""

    request: Request
    registry: Registry
    sessions: Sessions
    here: Here
    sid: str | None
    session: Session | None = None
    caller: Caller = ANONYMOUS
    form: Form = field(default_factory=dict)
    #: a new session to hand the browser (signing in), or the cookie to clear (signing out)
    new_sid: str | None = None
    drop_cookie: bool = False

    def value(self, name: str) -> str:
        return (self.form.get(name) or [""])[0]

    def link(self, path: str) -> str:
        return self.here.link(path)

    def render(self, template: str, status: int = 200, **context: Any) -> Response:
        """A workspace page in the reader's language, with the session's CSRF token for its forms."""
        _ = self.gettext
        return render(self.here, f"workspace/{template}", status=status, caller=self.caller,
                      roles={k: _(v) for k, v in ROLES.items()}, words=_words(self.here),
                      csrf=self.session.csrf if self.session else "", labels=vocabulary_labels(self.registry.resources,
                                                                                                self.here.lang),
                      **context)

    def gettext(self, message: str, **values: Any) -> str:
        """A message in the reader's language (the workspace's catalogue, then the public site's)."""
        return gettext(self.here.lang, message, **values)

    def title(self, key: str, **values: Any) -> str:
        return self.gettext(TITLES[key], **values)

    def redirect(self, path: str, **query: str) -> Response:
        """See Other: the page at `path` (in this page's language), after a form did its work."""
        q = urlencode({k: v for k, v in query.items() if v})
        return RedirectResponse(self.link(path) + (f"?{q}" if q else ""), status_code=303)


def _words(here: Here) -> dict[str, dict[str, str]]:
    """The engine's codes and the agreement actions in the reader's language."""
    return {name: {k: gettext(here.lang, v) for k, v in table.items()} for name, table in (
        ("decision", DECISION_WORDS), ("reason", REASON_WORDS), ("condition", CONDITION_WORDS),
        ("action", ACTION_WORDS))}


Endpoint = Callable[..., Response]


def page(path: str, *, methods: Sequence[str] = ("GET",), roles: Sequence[str] | None = WRITERS,
         signed_in: bool = True) -> Callable[[Endpoint], Endpoint]:
    """Register `endpoint(ws, **path parameters)` at /workspace`path` and under each language prefix.
    `roles`: who may use it (anyone signed in but those roles gets 403); without a session the browser is
    sent to the sign-in page. Every POST must carry its session's CSRF token. `signed_in=False`: the
    sign-in pages themselves."""

    def register(fn: Endpoint) -> Endpoint:
        async def endpoint(request: Request) -> Response:
            registry: Registry = request.app.state.registry
            ws = Ws(request=request, registry=registry, sessions=request.app.state.sessions,
                    here=here_of(request), sid=request.cookies.get(COOKIE))
            try:
                if request.method == "POST":
                    ws.form = read_form(request, await read_body(request, registry.settings.max_body_bytes))
            except RegistryError as exc:
                return finish(ws, refuse(ws, exc))
            answer = await run_in_threadpool(serve, ws, fn, roles, signed_in)
            return finish(ws, answer)

        for prefix in PREFIXES:
            router.add_api_route(f"{prefix}/workspace{path}", endpoint, methods=list(methods),
                                 name=f"workspace{path.replace('/', '_')}{prefix.replace('/', '_')}",
                                 include_in_schema=False)
        return fn

    return register


def serve(ws: Ws, fn: Endpoint, roles: Sequence[str] | None, signed_in: bool) -> Response:
    """Run a workspace page: the session and its role, the form's CSRF token, then the page itself."""
    request = ws.request
    try:
        if signed_in:
            try:
                ws.session, ws.caller = ws.sessions.caller(ws.registry.tokens, ws.sid)
            except SessionEnded as ended:
                ws.drop_cookie = ws.sid is not None
                back = request.url.path if request.method == "GET" else ""
                return ws.redirect("/workspace/sign-in", why=ended.why if ws.sid else "", next=back)
            if roles is not None and ws.caller.role not in roles:
                raise Forbidden(f"this page needs one of the roles: {', '.join(roles)}", role=ws.caller.role,
                                needs=list(roles))
        else:
            ws.session = ws.sessions.find(ws.sid)
        if request.method == "POST" and not check_csrf(ws.session, ws.form.get("csrf", [None])[0]):
            raise Forbidden("the form's CSRF token is missing or is not this session's: nothing was done",
                            field="csrf")
        return fn(ws, **request.path_params)
    except RegistryError as exc:
        return refuse(ws, exc)


def finish(ws: Ws, answer: Response) -> Response:
    """Headers every workspace answer carries: never cached, varies with the cookie; the session cookie
    set or cleared."""
    answer.headers["Cache-Control"] = "no-store"
    vary = answer.headers.get("Vary")
    answer.headers["Vary"] = f"{vary}, Cookie" if vary else "Cookie"
    secure = ws.request.url.scheme == "https"
    if ws.new_sid is not None:
        answer.set_cookie(COOKIE, ws.new_sid, path="/", httponly=True, secure=secure, samesite="strict")
    elif ws.drop_cookie:
        answer.delete_cookie(COOKIE, path="/", httponly=True, secure=secure, samesite="strict")
    return answer


def read_form(request: Request, body: bytes) -> Form:
    """An HTML form's fields (application/x-www-form-urlencoded): each name with its values in order."""
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype != FORM:
        raise UnsupportedMediaType(f"the workspace's forms are sent as {FORM}", accepted=[FORM])
    try:
        pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, max_num_fields=MAX_FIELDS)
    except (UnicodeDecodeError, ValueError) as e:
        raise BadInput(f"the form could not be read: {str(e)[:200]}") from None
    out: Form = {}
    for name, value in pairs:
        if len(name) > 200:
            raise BadInput("a form field's name is too long", field=name[:100])
        out.setdefault(name, []).append(value)
    return out


def wants_problem(request: Request) -> bool:
    """Whether a client asks for problem+json (or JSON) rather than a page: browsers (and */*) get pages."""
    return choose(request, [HTML, errors.PROBLEM, JSON]) != HTML


def refuse(ws: Ws, exc: RegistryError) -> Response:
    """A refusal: the error page in the reader's language (its status, what happened, nothing saved), or
    problem+json for a client that asks for it."""
    status = errors.status_of(exc)
    if isinstance(exc, SessionEnded):
        status = 401
    if wants_problem(ws.request):
        extra = dict(exc.extra)
        if isinstance(exc, ValidationFailed):
            extra["violations"] = [v.as_json() for v in exc.violations]
        return errors.problem(status, exc.code, exc.title, exc.detail, ws.request.url.path, extra)
    title = ws.gettext(STATUS_TITLES.get(status, TITLES["error"]))
    return ws.render("error.html", status=status, title=title, status_code=status, detail=exc.detail,
                     problem=exc.code, signed_in=ws.session is not None and ws.session.signed_in)


def local_path(value: str) -> str | None:
    """`value` when it is a path of the workspace on this site (where to go after signing in), else None:
    never another site, never a scheme-relative or backslash trick."""
    if not value or len(value) > 500 or "\\" in value or "//" in value or any(ord(c) < 0x21 for c in value):
        return None
    bare = value
    for lang in LANGUAGES:
        if bare.startswith(f"/{lang}/"):
            bare = bare[len(lang) + 1:]
    return value if bare == "/workspace" or bare.startswith("/workspace/") else None


def choices(ws: Ws) -> dict[str, list[tuple[str, str]]]:
    """The choices a form offers, (code, label) in the reader's language: organisations (all, and those the
    caller writes for), datasets, purposes, authorities, roles and the vocabularies' codes."""
    lang = ws.here.lang
    res = ws.registry.resources
    orgs = organizations(ws.registry)
    mine = scope(ws.registry, ws.caller, orgs)
    named = [(str(o["id"]), f"{o.get('name') or o['id']} ({o['id']})") for o in orgs]
    datasets = ws.registry.records.list(DATASET, limit=500, full=False).items
    out: dict[str, list[tuple[str, str]]] = {
        "organizations": named,
        "own_organizations": [x for x in named if mine is None or x[0] in mine],
        "datasets": [(str(d["id"]), plain(d.get("title"), lang) or str(d["id"])) for d in datasets],
        "purposes": [(str(x["id"]), f"{x.get('label') or x['id']}") for x in purposes(res, lang)],
        "authorities": [(str(a["id"]), plain(a.get("label"), lang) or str(a["id"])) for a in authorities(res, lang)],
        "roles": [(k, ws.gettext(v)) for k, v in ROLES.items()],
    }
    for name, labels in vocabulary_labels(res, lang).items():
        out[name] = sorted(labels.items(), key=lambda kv: kv[1].lower())
    return out


def as_json(value: Any) -> str:
    """A record as JSON text for a hidden field (the version a form started from)."""
    return json.dumps(value, sort_keys=True, ensure_ascii=True)


def quoted(value: str) -> str:
    return quote(value, safe="")
