"""Browser sessions of the workspace, kept on the server: a session names a bearer token (never its secret),
and every request reads that token again, so signing out, revoking the token or changing what it grants
takes effect at the next request. Each session holds its CSRF token (a synchronizer token for its forms).
One-time sign-in links an admin issues are kept as hashes of their secrets, used once, short-lived; issuing
and using one are audit entries about the token, as is every sign-in. Sessions live in this process's
memory: a restart signs everyone out."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field

from registry.errors import NotFound, Unauthorized
from registry.namespaces import REG
from registry.services.auth import TOKEN_ID_RE, Caller, Tokens
from registry.store.audit import state_hash

#: a session with no request for this long is over
IDLE = dt.timedelta(minutes=30)
#: and any session after this long
LIFETIME = dt.timedelta(hours=12)
#: a sign-in link works this long after it is issued, once
LINK_LIFETIME = dt.timedelta(minutes=15)
#: at most this many sessions and this many unused links are kept (the oldest go first): anyone may open
#: the sign-in page, which starts a session for its form
MAX_SESSIONS = 20_000
MAX_LINKS = 1_000
#: why a session is over, for the sign-in page to say
ENDED, REVOKED, EXPIRED = "ended", "revoked", "expired"


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass
class Session:
    """One browser's session: the token it acts as (None before signing in) and its CSRF token."""

    csrf: str
    created: dt.datetime
    seen: dt.datetime
    token_id: str | None = None
    caller: Caller = field(default_factory=Caller)

    @property
    def signed_in(self) -> bool:
        return self.token_id is not None


@dataclass(frozen=True)
class Link:
    token_id: str
    expires: dt.datetime


class SessionEnded(Unauthorized):
    """The session is over (signed out, idle, or its token revoked or expired): `why` says which."""

    def __init__(self, detail: str, why: str) -> None:
        super().__init__(detail, why=why)
        self.why = why


class Sessions:
    """The sessions and sign-in links of one app (app.state.sessions)."""

    def __init__(self, now: Callable[[], dt.datetime] = _now) -> None:
        self.now = now
        self._sessions: OrderedDict[str, Session] = OrderedDict()
        self._links: OrderedDict[str, Link] = OrderedDict()
        self._lock = threading.Lock()

    # ------------------------------------------------------------ sessions
    def _keep(self, session: Session) -> str:
        """Store `session` under a new id; returns the id (the cookie's value: only its hash is kept)."""
        sid = secrets.token_urlsafe(32)
        with self._lock:
            self._sessions[_hash(sid)] = session
            while len(self._sessions) > MAX_SESSIONS:
                self._sessions.popitem(last=False)
        return sid

    def start(self) -> tuple[str, Session]:
        """A session for a browser not signed in (the sign-in form's CSRF token lives in it)."""
        now = self.now()
        session = Session(csrf=secrets.token_urlsafe(32), created=now, seen=now)
        return self._keep(session), session

    def find(self, sid: str | None) -> Session | None:
        """The session of a cookie's value, if it is current (idle or too old: removed, None)."""
        if not sid or len(sid) > 200:
            return None
        key = _hash(sid)
        now = self.now()
        with self._lock:
            session = self._sessions.get(key)
            if session is None:
                return None
            if now - session.seen >= IDLE or now - session.created >= LIFETIME:
                del self._sessions[key]
                return None
            session.seen = now
            self._sessions.move_to_end(key)
            return session

    def end(self, sid: str | None) -> None:
        """Sign out: the session is removed (its cookie names nothing from now on)."""
        if sid:
            with self._lock:
                self._sessions.pop(_hash(sid), None)

    def caller(self, tokens: Tokens, sid: str | None) -> tuple[Session, Caller]:
        """The signed-in session of a cookie's value and the caller its token names now; SessionEnded
        (the session removed) when there is none, or its token has been revoked or has expired since."""
        session = self.find(sid)
        if session is None or session.token_id is None:
            raise SessionEnded("you are not signed in, or your session has ended", ENDED)
        try:
            caller = token_caller(tokens, session.token_id, self.now())
        except SessionEnded:
            self.end(sid)
            raise
        session.caller = caller
        return session, caller

    def sign_in(self, tokens: Tokens, secret: str, old_sid: str | None) -> tuple[str, Session]:
        """Sign in with a bearer token's secret: a new session (never the one the browser had: no session
        id chosen before signing in survives it), an audit entry. Unauthorized for a token refused."""
        caller = tokens.authenticate(secret.strip())
        return self._open(tokens, caller, old_sid, "sign-in")

    def _open(self, tokens: Tokens, caller: Caller, old_sid: str | None, action: str) -> tuple[str, Session]:
        assert caller.token_id is not None
        self.end(old_sid)
        now = self.now()
        session = Session(csrf=secrets.token_urlsafe(32), created=now, seen=now, token_id=caller.token_id,
                          caller=caller)
        audit_token(tokens, caller.token_id, action, caller)
        return self._keep(session), session

    # --------------------------------------------------------------- links
    def issue_link(self, tokens: Tokens, token_id: str, caller: Caller) -> tuple[str, dt.datetime]:
        """A one-time sign-in link's secret for the token `token_id` (which must be usable), good for
        LINK_LIFETIME; an audit entry naming `caller`. Only the secret's hash is kept."""
        if not TOKEN_ID_RE.fullmatch(token_id):
            raise NotFound(f"no token {token_id[:100]!r}")
        token_caller(tokens, token_id, self.now(), missing=NotFound)
        secret = "dsl_" + secrets.token_urlsafe(32)
        expires = self.now() + LINK_LIFETIME
        with self._lock:
            self._links[_hash(secret)] = Link(token_id, expires)
            while len(self._links) > MAX_LINKS:
                self._links.popitem(last=False)
        audit_token(tokens, token_id, "sign-in-link", caller)
        return secret, expires

    def redeem(self, tokens: Tokens, secret: str, old_sid: str | None) -> tuple[str, Session]:
        """Sign in with a link's secret: it is spent whatever follows (used once); Unauthorized for a link
        unknown, spent or expired, or whose token has been revoked since."""
        with self._lock:
            link = self._links.pop(_hash(secret.strip()), None) if len(secret) <= 200 else None
        if link is None:
            raise Unauthorized("this sign-in link is not known or has been used: ask an admin for a new one")
        if self.now() >= link.expires:
            raise Unauthorized("this sign-in link has expired: ask an admin for a new one")
        caller = token_caller(tokens, link.token_id, self.now())
        return self._open(tokens, caller, old_sid, "sign-in-by-link")


def check_csrf(session: Session | None, sent: str | None) -> bool:
    """Whether a form's CSRF token is its session's (compared in constant time)."""
    return session is not None and bool(sent) and hmac.compare_digest(session.csrf.encode(), str(sent).encode())


def token_caller(tokens: Tokens, token_id: str, now: dt.datetime,
                 missing: type[Exception] = SessionEnded) -> Caller:
    """The caller token `token_id` names now, read from its graph (SessionEnded when it is revoked, has
    expired or is gone; `missing` chooses the error of a token that is not there)."""
    triples = tokens.store.graph(tokens.iris.system_graph(f"token/{token_id}")) if TOKEN_ID_RE.fullmatch(token_id) else []
    values = {p: o for _s, p, o in triples}
    if REG.role not in values:
        if missing is SessionEnded:
            raise SessionEnded("the token of this session is no longer known", REVOKED)
        raise missing(f"no token {token_id!r}")
    if REG.revoked in values:
        raise SessionEnded("the token of this session has been revoked", REVOKED)
    expires = values.get(REG.expires)
    if expires is not None and dt.datetime.fromisoformat(str(expires)) <= now:
        raise SessionEnded("the token of this session has expired", EXPIRED)
    org = values.get(REG.organization)
    return Caller(role=str(values[REG.role]), org=tokens.iris.id_of(org) if org is not None else None,
                  token_id=token_id)


def audit_token(tokens: Tokens, token_id: str, action: str, caller: Caller) -> None:
    """An audit entry about a token that leaves it as it is (a sign-in, a link issued): its state hash
    before and after is the token graph's, so verification still finds each record as last logged."""
    # under the tokens' lock: a revocation's entry cannot fall between this read and this entry
    with tokens.store.deferred_sync(), tokens._lock:
        graph = tokens.store.graph(tokens.iris.system_graph(f"token/{token_id}"))
        digest = state_hash(graph)
        details = [(REG.tokenRole, o) for _, p, o in graph if p == REG.role]
        details += [(REG.tokenOrganization, o) for _, p, o in graph if p == REG.organization]
        tokens.audit.commit({}, agent=caller.agent, action=action, record=tokens.iris.record("token", token_id),
                            kind="token", rid=token_id, before=digest, after=digest, details=details)


