"""Bearer tokens (stored only as hashes) and the caller they identify."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from dataclasses import dataclass
from typing import Any

from rdflib import Literal, URIRef

from registry.errors import BadInput, NotFound, Unauthorized
from registry.model.common import Iris
from registry.namespaces import RDF, REG, XSD
from registry.resources import Resources
from registry.store.base import Store

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


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


class Tokens:
    """Create, look up, list and revoke tokens; one system graph per token."""

    def __init__(self, store: Store, iris: Iris, resources: Resources) -> None:
        self.store, self.iris, self.res = store, iris, resources

    def _graph(self, token_id: str) -> str:
        return self.iris.system_graph(f"token/{token_id}")

    def create(self, role: str, org: str | None = None, expires: dt.datetime | None = None) -> tuple[str, str]:
        """A new token: returns (token id, secret). The secret is shown once and never stored."""
        if role not in ROLES:
            raise BadInput(f"unknown role {role!r}: choose one of {', '.join(ROLES)}")
        if role == "steward" and not org:
            raise BadInput("a steward token needs the organisation it writes for (--org)")
        token_id = secrets.token_hex(6)
        secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
        t = URIRef(self.iris.record("token", token_id))
        triples = [
            (t, RDF.type, REG.ApiToken),
            (t, REG.tokenHash, Literal(_hash(secret))),
            (t, REG.role, Literal(role)),
            (t, REG.created, Literal(_now().isoformat(), datatype=XSD.dateTime)),
        ]
        if org:
            triples.append((t, REG.organization, self.iris.record("organization", org)))
        if expires:
            triples.append((t, REG.expires, Literal(expires.isoformat(), datatype=XSD.dateTime)))
        self.store.replace_graphs({self._graph(token_id): triples})
        return token_id, secret

    def authenticate(self, secret: str) -> Caller:
        rows = self.store.select(self.res.query("token-by-hash"), {"hash": Literal(_hash(secret))})
        if not rows:
            raise Unauthorized("the bearer token is not known")
        row = rows[0]
        token_id = self.iris.id_of(row["token"])
        if "revoked" in row:
            raise Unauthorized("the bearer token has been revoked")
        if "expires" in row and dt.datetime.fromisoformat(str(row["expires"])) <= _now():
            raise Unauthorized("the bearer token has expired")
        org = self.iris.id_of(row["org"]) if "org" in row else None
        return Caller(role=str(row["role"]), org=org, token_id=token_id)

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

    def revoke(self, token_id: str) -> None:
        if not TOKEN_ID_RE.fullmatch(token_id):  # an id create() never makes (and never a valid graph name)
            raise NotFound(f"no token {token_id[:100]!r}")
        g = self._graph(token_id)
        triples = self.store.graph(g)
        if not triples:
            raise NotFound(f"no token {token_id!r}")
        t = URIRef(self.iris.record("token", token_id))
        if any(p == REG.revoked for _, p, _ in triples):
            return
        triples.append((t, REG.revoked, Literal(_now().isoformat(), datatype=XSD.dateTime)))
        self.store.replace_graphs({g: triples})
