"""Bearer tokens (stored only as hashes) and the caller they identify."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
import threading
from dataclasses import dataclass
from typing import Any

from rdflib import Literal, URIRef

from registry.errors import BadInput, NotFound, Unauthorized
from registry.iris import Iris
from registry.namespaces import RDF, REG, XSD
from registry.projections.follower import Follower
from registry.projections.token_cache import TokenCache, TokenRow
from registry.resources import Resources
from registry.store.audit import EMPTY, AuditLog, state_hash
from registry.store.base import Store, Triple

ROLES = ("admin", "privacy-officer", "steward")
TOKEN_PREFIX = "dsr_"
#: token ids are 12 lower-case hex digits
TOKEN_ID_RE = re.compile(r"\A[0-9a-f]{12}\Z")  # \Z: `$` would let a final newline through


@dataclass(frozen=True)
class Caller:
    """Who is asking: a role (or anonymous), the organisation of a steward, the token's id."""

    role: str | None = None
    org: str | None = None
    token_id: str | None = None

    @property
    def anonymous(self) -> bool:
        return self.role is None

    @property
    def agent(self) -> str:
        if self.anonymous:
            return "anonymous"
        org = f" of {self.org}" if self.org else ""
        return f"token {self.token_id} ({self.role}{org})"


ANONYMOUS = Caller()
#: whoever runs the command line (or calls the registry in-process): it holds the store's files, so an admin
CLI = Caller(role="admin", token_id="cli")


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


class Tokens:
    """Create, look up, list and revoke tokens; one system graph per token. A token found is kept (by its
    hash) until the next token entry of the audit log (`projections/token_cache.py`)."""

    def __init__(self, store: Store, iris: Iris, resources: Resources, audit: AuditLog, follower: Follower) -> None:
        self.store, self.iris, self.res, self.audit, self.follower = store, iris, resources, audit, follower
        self.cache = follower.add(TokenCache(follower))
        self._lock = threading.Lock()

    def _graph(self, token_id: str) -> str:
        return self.iris.system_graph(f"token/{token_id}")

    def _commit(self, token_id: str, action: str, before: list[Triple], after: list[Triple], caller: Caller) -> None:
        """Write the token's graph and its audit entry in one transaction. The entry names the token (its
        IRI), its role and organisation and who acted; never the secret nor its hash (the token's graph,
        whose state hash the entry keeps like any record's, is a system graph only admins may read)."""
        t = URIRef(self.iris.record("token", token_id))
        details = [(REG.tokenRole, o) for _, p, o in after if p == REG.role]
        details += [(REG.tokenOrganization, o) for _, p, o in after if p == REG.organization]
        self.audit.commit({self._graph(token_id): after}, agent=caller.agent, action=action, record=t, kind="token",
                          rid=token_id, before=state_hash(before) if before else EMPTY, after=state_hash(after),
                          details=details)

    def create(self, role: str, org: str | None = None, expires: dt.datetime | None = None,
               caller: Caller = CLI) -> tuple[str, str]:
        """A new token: returns (token id, secret). The secret is shown once and never stored; the token's
        making is an audit entry naming `caller`."""
        if role not in ROLES:
            raise BadInput(f"unknown role {role!r}: choose one of {', '.join(ROLES)}")
        if role == "steward" and not org:
            raise BadInput("a steward token needs the organisation it writes for (--org)")
        token_id = secrets.token_hex(6)
        secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
        t = URIRef(self.iris.record("token", token_id))
        triples: list[Triple] = [
            (t, RDF.type, REG.ApiToken),
            (t, REG.tokenHash, Literal(_hash(secret))),
            (t, REG.role, Literal(role)),
            (t, REG.created, Literal(_now().isoformat(), datatype=XSD.dateTime)),
        ]
        if org:
            triples.append((t, REG.organization, self.iris.record("organization", org)))
        if expires:
            triples.append((t, REG.expires, Literal(expires.isoformat(), datatype=XSD.dateTime)))
        with self.store.deferred_sync(), self._lock:
            self._commit(token_id, "create", [], triples, caller)
        return token_id, secret

    def first_admin(self) -> tuple[str, str] | None:
        """An admin token for a store that has no token at all yet (its first start), as `create` returns
        it; None once any token exists, even a revoked one."""
        if self.list():
            return None
        return self.create("admin")

    def authenticate(self, secret: str) -> Caller:
        digest = _hash(secret)
        with self.follower.reading(self.cache):  # the cache up to date with the log: a revocation is seen at once
            token = self.cache.get(digest)
            if token is None:
                rows = self.store.select(self.res.query("token-by-hash"), {"hash": Literal(digest)})
                if not rows:
                    raise Unauthorized("the bearer token is not known")
                row = rows[0]
                token = TokenRow(token_id=self.iris.id_of(row["token"]), role=str(row["role"]),
                                 org=self.iris.id_of(row["org"]) if "org" in row else None,
                                 expires=str(row["expires"]) if "expires" in row else None, revoked="revoked" in row)
                self.cache.put(digest, token)
        if token.revoked:
            raise Unauthorized("the bearer token has been revoked")
        if token.expires is not None and dt.datetime.fromisoformat(token.expires) <= _now():
            raise Unauthorized("the bearer token has expired")
        return Caller(role=token.role, org=token.org, token_id=token.token_id)

    def list(self) -> list[dict[str, Any]]:
        return [
            {
                "id": self.iris.id_of(r["token"]),
                "role": str(r["role"]),
                "org": self.iris.id_of(r["org"]) if "org" in r else None,
                "created": str(r["created"]),
                "expires": str(r["expires"]) if "expires" in r else None,
                "revoked": str(r["revoked"]) if "revoked" in r else None,
            }
            for r in self.store.select(self.res.query("tokens-list"))
        ]

    def revoke(self, token_id: str, caller: Caller = CLI) -> None:
        """Revoke a token at once, an audit entry naming `caller`; revoking it again changes (and logs) nothing."""
        if not TOKEN_ID_RE.fullmatch(token_id):  # an id create() never makes (and never a valid graph name)
            raise NotFound(f"no token {token_id[:100]!r}")
        with self.store.deferred_sync(), self._lock:
            before = self.store.graph(self._graph(token_id))
            if not before:
                raise NotFound(f"no token {token_id!r}")
            if any(p == REG.revoked for _, p, _ in before):
                return
            t = URIRef(self.iris.record("token", token_id))
            after = [*before, (t, REG.revoked, Literal(_now().isoformat(), datatype=XSD.dateTime))]
            self._commit(token_id, "revoke", before, after, caller)
