"""Fixtures: a fresh registry per test (in memory, or on disk in a temp folder), the real app over it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from helpers import WORLD_FILE, bulk_load_world, world_nquads
from registry.api import create_app
from registry.config import Settings
from registry.services.ingest.loader import SYSTEM, world_records, write_all
from registry.services.registry import Registry, open_registry

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
EXTERNAL = SHARED / "external"
DATA = Path(__file__).parent / "data"


#: the modules that take longest (a bench run, a wheel build, big catalogue imports): under pytest-xdist they
#: start first, so that none of them is left running alone at the end of the run
LONGEST = ("tests/test_bench.py", "tests/test_catalog_import_roundtrip.py", "tests/test_wheel.py",
           "tests/test_store_sparql.py", "tests/test_cli_beside_server.py", "tests/test_durability.py")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """On a pytest-xdist worker (`make test` runs `-n N --dist loadfile --no-loadscope-reorder`: a test module
    runs on one worker as a whole, so its module-scoped fixtures are built once), the longest modules, then
    those marked slow, come first, in the order the workers are handed them. A run without workers keeps the
    collection's order."""
    if not hasattr(config, "workerinput"):
        return
    slow = {module_of(item) for item in items if item.get_closest_marker("slow") is not None}

    def rank(item: pytest.Item) -> int:
        module = module_of(item)
        return LONGEST.index(module) if module in LONGEST else len(LONGEST) + (module not in slow)

    items.sort(key=rank)  # stable: each module's tests keep their order


def module_of(item: pytest.Item) -> str:
    return item.nodeid.split("::", 1)[0]


def world() -> dict[str, Any]:
    return json.loads(WORLD_FILE.read_text())


def write_world(registry: Registry, data: dict[str, Any] | None = None) -> None:
    """Write the casebook world (or `data`) record by record through the write path (SHACL, audit)."""
    write_all(registry, list(world_records(data if data is not None else world())), SYSTEM)


def load_world(registry: Registry, data: dict[str, Any] | None = None) -> None:
    """Put the casebook world (or `data`) into `registry`. The casebook world itself, into a registry
    that holds no record yet with the default IRIs and resources, is bulk-loaded from the quads the
    write path made once for the run (`helpers.world_nquads`), audit entries included, so the registry
    holds what the writes would have left; anything else is written record by record."""
    settings = registry.settings
    fresh = registry.audit.head().seq == 0
    default = settings.base_iri == Settings().base_iri and settings.resources_dir is None
    if data is None and fresh and default:
        bulk_load_world(registry)
    else:
        write_world(registry, data)


@pytest.fixture
def registry() -> Iterator[Registry]:
    reg = open_registry(Settings(data="memory"))
    yield reg
    reg.close()


@pytest.fixture
def disk_registry(tmp_path: Path) -> Iterator[Registry]:
    reg = open_registry(Settings(data=str(tmp_path / "store")))
    yield reg
    reg.close()


@pytest.fixture(scope="session")
def world_quads() -> Path:
    """The casebook world, written once for the run through the write path, as N-Quads."""
    return world_nquads()


@pytest.fixture
def world_registry(registry: Registry, world_quads: Path) -> Registry:
    """A fresh in-memory registry holding the casebook world, bulk-loaded from `world_quads`."""
    load_world(registry)
    return registry


class Api:
    """The real app over a registry, with a token per role."""

    def __init__(self, registry: Registry) -> None:
        self.registry = registry
        self.client = TestClient(create_app(registry=registry))
        self.client.__enter__()
        self.tokens = {
            "admin": registry.tokens.create("admin")[1],
            "privacy-officer": registry.tokens.create("privacy-officer")[1],
        }

    def token_for(self, role: str, org: str | None = None) -> str:
        key = f"{role}:{org}" if org else role
        if key not in self.tokens:
            self.tokens[key] = self.registry.tokens.create(role, org)[1]
        return self.tokens[key]

    def auth(self, role: str = "admin", org: str | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token_for(role, org)}"}

    def close(self) -> None:
        self.client.__exit__(None, None, None)


@pytest.fixture
def api(registry: Registry) -> Iterator[Api]:
    a = Api(registry)
    yield a
    a.close()


@pytest.fixture
def world_api(world_registry: Registry) -> Iterator[Api]:
    a = Api(world_registry)
    yield a
    a.close()


@pytest.fixture
def disk_api(disk_registry: Registry) -> Iterator[Api]:
    a = Api(disk_registry)
    yield a
    a.close()
