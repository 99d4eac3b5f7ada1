"""The registry's one shallow error hierarchy: errors carry data, the API maps each class to one status
(api/errors.py). Narrower errors (the SPARQL endpoint's, the catalogue import's) subclass one of these."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


class RegistryError(Exception):
    """Base of every error the registry raises on purpose."""

    title = "Registry error"
    code = "registry-error"

    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra


class NotFound(RegistryError):
    title = "Not found"
    code = "not-found"


class Conflict(RegistryError):
    title = "Conflict"
    code = "conflict"


class BadInput(RegistryError):
    """The request could not be read (malformed JSON or RDF, wrong types, unknown fields)."""

    title = "Bad input"
    code = "bad-input"


class Unauthorized(RegistryError):
    title = "Unauthorized"
    code = "unauthorized"


class Forbidden(RegistryError):
    title = "Forbidden"
    code = "forbidden"


@dataclass(frozen=True)
class Violation:
    """One SHACL result (or a check of the same shape), field-level."""

    focus_node: str
    path: str | None
    message: str
    severity: str = "Violation"
    source_shape: str | None = None
    value: str | None = None
    field: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "focusNode": self.focus_node,
            "path": self.path,
            "field": self.field,
            "message": self.message,
            "severity": self.severity,
            "sourceShape": self.source_shape,
            "value": self.value,
        }


@dataclass
class ValidationFailed(RegistryError):
    """The record breaks one or more shapes; nothing was written."""

    violations: list[Violation] = field(default_factory=list)
    title = "Validation failed"
    code = "validation-failed"

    def __init__(self, violations: list[Violation], detail: str | None = None) -> None:
        n = len(violations)
        super().__init__(detail or f"The record breaks {n} rule{'s' if n != 1 else ''}; nothing was written.")
        self.violations = violations


class UnknownReference(ValidationFailed):
    """A request names a record that is not registered."""

    title = "Unknown reference"
    code = "unknown-reference"


class PreconditionFailed(RegistryError):
    """If-Match named a state the record is no longer in."""

    title = "Precondition failed"
    code = "precondition-failed"


class PayloadTooLarge(RegistryError):
    title = "Payload too large"
    code = "payload-too-large"


class UnsupportedMediaType(RegistryError):
    title = "Unsupported media type"
    code = "unsupported-media-type"


class NotAcceptable(RegistryError):
    """None of the representations offered is one the request accepts."""

    title = "Not acceptable"
    code = "not-acceptable"


class TooManyRequests(RegistryError):
    """The caller went past its rate limit; `retry_after` (seconds) is in the extra data."""

    title = "Too many requests"
    code = "too-many-requests"


class Unavailable(RegistryError):
    """The registry cannot answer now (busy, a time limit, a process that could not start); retry later."""

    title = "Service unavailable"
    code = "unavailable"


class StoreUnavailable(Unavailable, OSError):
    """The store could not be read or written (a remote SPARQL server down or refusing). An OSError too, as
    a disk's errors are, so code that survives a failing disk survives a failing server alike."""

    title = "Store unavailable"
    code = "store-unavailable"
