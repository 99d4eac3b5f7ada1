"""The evaluator processes' malloc settings (store/evaluator_pool.py, MALLOC_TUNABLES): each process is started
with them in GLIBC_TUNABLES, beside whatever the server's environment sets, and answers every query as the
same evaluation in this process does."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pyoxigraph as ox
import pytest

from registry.store import formats
from registry.store.evaluator import Job, Outcome, WorkerLimits, evaluate
from registry.store.evaluator_pool import MALLOC_TUNABLES, EvaluatorPool, evaluator_environment

EX = "http://example.org/"
TUNED = ":".join(f"{k}={v}" for k, v in MALLOC_TUNABLES.items())


def test_the_tunables_are_added_to_the_environment() -> None:
    assert evaluator_environment({"PATH": "/bin"}) == {"PATH": "/bin", "GLIBC_TUNABLES": TUNED}
    assert evaluator_environment({"GLIBC_TUNABLES": ""})["GLIBC_TUNABLES"] == TUNED


def test_the_servers_own_tunables_are_kept() -> None:
    mine = "glibc.malloc.arena_max=2"
    assert evaluator_environment({"GLIBC_TUNABLES": mine})["GLIBC_TUNABLES"] == f"{mine}:{TUNED}"
    # a setting the environment makes itself is not overridden
    own = "glibc.malloc.tcache_count=3:glibc.malloc.arena_max=2"
    assert evaluator_environment({"GLIBC_TUNABLES": own})["GLIBC_TUNABLES"] == own


@pytest.fixture
def snapshot(tmp_path: Path) -> str:
    store = ox.Store(str(tmp_path / "snap"))
    g, p = ox.NamedNode(EX + "g"), ox.NamedNode(EX + "p")
    values = [ox.Literal(str(i)) for i in range(300)] + [
        ox.Literal('line one\nline "two"\ttab', language="en"), ox.Literal("a,b;c"), ox.Literal("é 漢字 \U0001f600"),
        ox.Literal("5", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer")), ox.NamedNode(EX + "o")]
    store.bulk_extend(ox.Quad(ox.NamedNode(f"{EX}s{i % 37}"), p, v, g) for i, v in enumerate(values))
    store.bulk_extend(ox.Quad(ox.BlankNode(f"b{i}"), p, ox.Literal(f"blank {i}"), g) for i in range(20))
    store.flush()
    del store
    return str(tmp_path / "snap")


QUERIES = [
    f"SELECT ?s ?o WHERE {{ ?s <{EX}p> ?o }} ORDER BY ?s ?o",
    f"SELECT ?s (COUNT(?o) AS ?n) (GROUP_CONCAT(STR(?o)) AS ?all) WHERE {{ ?s <{EX}p> ?o }} GROUP BY ?s ORDER BY ?s",
    f"SELECT ?o WHERE {{ ?s <{EX}p> ?o FILTER(isLiteral(?o) && CONTAINS(STR(?o), \"1\")) }} ORDER BY ?o LIMIT 50",
    "SELECT * WHERE { {} UNION {} }",
    f"ASK {{ ?s <{EX}p> \"a,b;c\" }}",
    f"CONSTRUCT {{ ?s <{EX}q> ?o }} WHERE {{ ?s <{EX}p> ?o FILTER(!isBlank(?s)) }}",
    f"SELECT ?a ?b WHERE {{ ?a <{EX}p> ?x . ?b <{EX}p> ?y }} LIMIT 1000",  # over the cap below: refused alike
]
MEDIA = {"solutions": formats.SOLUTION_MEDIA, "boolean": formats.BOOLEAN_MEDIA, "triples": ("application/n-triples",)}


def test_evaluators_run_with_the_tunables_and_answer_as_in_process(snapshot: str) -> None:
    pool = EvaluatorPool("test", 1, WorkerLimits(memory_bytes=4 << 30, stack_bytes=8 << 20), processes=1)
    local = ox.Store.read_only(snapshot)

    async def run(job: Job) -> Outcome:
        async def make() -> Job:
            return job

        return await pool.run(make, 60)

    kinds = set()
    try:
        for query in QUERIES:
            for i in range(max(len(m) for m in MEDIA.values())):
                media = {kind: offered[i % len(offered)] for kind, offered in MEDIA.items()}
                job = Job(path=snapshot, query=query, base_iri=None, union=True, default_graphs=None,
                          named_graphs=None, max_rows=330, media=media)
                got = asyncio.run(run(job))
                assert got == evaluate(local, job), (query, media)
                kinds.add(got.kind)
        assert kinds == {"solutions", "boolean", "triples", "too-large"}
        (worker,) = pool._all.values()
        environ = Path(f"/proc/{worker.process.pid}/environ").read_bytes().split(b"\0")
        assert f"GLIBC_TUNABLES={TUNED}".encode() in environ
    finally:
        pool.close()
