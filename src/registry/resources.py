"""The repository's reference files, loaded by name once and cached.

`ontology/*.ttl` (our vocabulary and the authority catalogue), `ontology/vocabularies/*.ttl`,
`shapes/*.ttl` and `sparql/*.rq` are data: adding an authority or a query never needs code. They are
read from REGISTRY_RESOURCES_DIR when set, else from the installed package (a wheel carries them as
`registry/_resources/`, see setup.py), else from the checkout this module sits in.
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files
from pathlib import Path

from rdflib import Graph

_ROOT_MARKERS = ("ontology", "shapes", "sparql")
#: where a built wheel puts the folders, inside the package
_PACKAGED = "_resources"


def _holds_resources(folder: Path) -> bool:
    return all((folder / m).is_dir() for m in _ROOT_MARKERS)


def _default_root() -> Path:
    packaged = files("registry") / _PACKAGED
    if isinstance(packaged, Path) and _holds_resources(packaged):
        return packaged
    for parent in Path(__file__).resolve().parents:
        if _holds_resources(parent):
            return parent
    raise RuntimeError(
        "cannot find the registry's ontology/, shapes/ and sparql/ folders (neither in the installed package "
        "nor in a checkout); set REGISTRY_RESOURCES_DIR"
    )


class Resources:
    """Reference files under one root folder, each read once."""

    def __init__(self, root: Path | None = None) -> None:
        self.root = (root or _default_root()).resolve()

    @cache  # noqa: B019 - one Resources per root, kept for the life of the process
    def query(self, name: str) -> str:
        """The text of `sparql/{name}.rq`."""
        path = self.root / "sparql" / f"{name}.rq"
        if not path.is_file():
            raise KeyError(f"no named query {name!r} in {path.parent}")
        return path.read_text(encoding="utf-8")

    def _parse(self, files: list[Path]) -> Graph:
        g = Graph()
        for f in sorted(files):
            g.parse(f, format="turtle")
        return g

    @cache  # noqa: B019
    def shapes(self) -> Graph:
        return self._parse(list((self.root / "shapes").glob("*.ttl")))

    @cache  # noqa: B019
    def ontology(self) -> Graph:
        return self._parse([self.root / "ontology" / "registry.ttl"])

    @cache  # noqa: B019
    def authorities(self) -> Graph:
        return self._parse([self.root / "ontology" / "authorities.ttl"])

    @cache  # noqa: B019
    def vocabularies(self) -> Graph:
        return self._parse(list((self.root / "ontology" / "vocabularies").glob("*.ttl")))

    def reference_graphs(self) -> dict[str, Graph]:
        """Reference graphs by short name, as they are loaded into the store at start-up."""
        return {
            "ontology": self.ontology(),
            "authorities": self.authorities(),
            "vocabularies": self.vocabularies(),
            "shapes": self.shapes(),
        }

    @cache  # noqa: B019
    def reference_data(self) -> Graph:
        """Vocabularies and authorities together: what validation and the engine read beside records."""
        g = Graph()
        for t in self.vocabularies():
            g.add(t)
        for t in self.authorities():
            g.add(t)
        return g


@cache
def resources(root: str | None = None) -> Resources:
    return Resources(Path(root) if root else None)
