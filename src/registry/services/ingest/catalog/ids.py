"""Readable, stable ids of imported datasets: the slug of the source's name (or of the title, when the name
is a UUID or an opaque code) and a short hash of the source's identifier."""

from __future__ import annotations

import hashlib
import re
import unicodedata

from registry.iris import is_slug

#: hex digits of the source identifier's hash at the end of an imported dataset's id
HASH_DIGITS = 8
UUID_RE = re.compile(r"\A[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}\Z", re.IGNORECASE)
#: a word of five letters or more, not all of them hexadecimal digits: what makes a name readable
_WORD = re.compile(r"(?=[a-z]*[g-z])[a-z]{5,}")


def slugify(text: str, max_length: int = 60) -> str:
    """A registry slug of a name: CamelCase and digits split by hyphens, lower case, ASCII."""
    text = re.sub(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Za-z])(?=[0-9])|(?<=[0-9])(?=[A-Za-z])", "-", text)
    # accents go, other letters outside ASCII go, any other character (a dash, a space) separates words
    text = "".join(c for c in unicodedata.normalize("NFKD", text)
                   if c.isascii() or not (unicodedata.combining(c) or c.isalpha())).lower()
    slug = re.sub(r"[^a-z0-9.]+", "-", text).strip("-.")
    slug = re.sub(r"-{2,}", "-", slug)[:max_length].strip("-.")
    return slug


def source_hash(source_id: str) -> str:
    return hashlib.sha256(source_id.encode("utf-8")).hexdigest()[:HASH_DIGITS]


def stable_id(name: str, source_id: str) -> str:
    """The slug of `name` and 8 hex digits of a hash of `source_id`: the same source, the same id."""
    return f"{slugify(name) or 'dataset'}-{source_hash(source_id)}"


def readable(name: str | None) -> bool:
    """Whether `name` makes a readable id: not a UUID, and a word once slugged ("2ah7-n9rk", a Socrata view
    id, is not, nor a hexadecimal hash; "purchase-card-transactions" is)."""
    if not name or UUID_RE.fullmatch(name.strip()):
        return False
    return any(_WORD.fullmatch(part) for part in slugify(name).split("-"))


def dataset_id(names: list[str | None], title: str | None, source_id: str) -> str:
    """The first readable of `names` (else the title, else "dataset"), slugged, with the hash of `source_id`."""
    name = next((n for n in names if readable(n)), None) or title or "dataset"
    return stable_id(name, source_id)


def kept_id(identifier: str | None, iri: str | None) -> str | None:
    """A registry's own export names a dataset `{base}/dataset/{id}` with `dct:identifier` `id`: that id
    is kept as it is, so a record imported from another registry keeps its id."""
    if identifier and iri and is_slug(identifier) and iri.rstrip("/").endswith("/dataset/" + identifier):
        return identifier
    return None


def tail(text: str) -> str:
    """The last segment of an IRI or a prefixed identifier ("c_d643:elenco" -> "elenco")."""
    parts = [p for p in re.split(r"[/#:]", text.rstrip("/#")) if p]
    return parts[-1] if parts else text
