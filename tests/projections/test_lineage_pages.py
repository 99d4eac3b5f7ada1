"""One page of a lineage closure (domain/lineage.py `closure_page`) is that page of the whole closure
(domain/lineage.py `closure`): the same total, nodes and edges, in every direction, depth and page."""

from __future__ import annotations

import random

import pytest

from registry.domain.lineage import LineageGraph, closure_page


def dag(seed: int, size: int = 80) -> LineageGraph:
    """Datasets d00..: each derived from up to three earlier ones, some with no activity kind; d03 a hub."""
    rng = random.Random(seed)
    g = LineageGraph()
    for i in range(size):
        earlier = [f"d{j:02d}" for j in range(i)]
        sources = rng.sample(earlier, min(len(earlier), rng.choice([0, 1, 1, 2, 3]))) if i > 4 else []
        if i > 4 and rng.random() < 0.3:
            sources.append("d03")
        g.set_dataset(f"d{i:02d}", dict.fromkeys(sources), pi=rng.random() < 0.2,
                      kind=rng.choice([None, "extraction", "linkage"]) if sources else None, retired=False)
    g.set_dataset("lone", [], pi=False, kind=None, retired=False)
    return g


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("direction", ["upstream", "downstream", "both"])
@pytest.mark.parametrize("depth", [None, 0, 1, 2, 5])
def test_a_page_is_that_page_of_the_whole_closure(seed: int, direction: str, depth: int | None) -> None:
    g = dag(seed)
    for d in ("d03", "d40", "d79", "lone", "absent"):
        ids, edges = g.closure(d, direction, depth)
        ordered = [d, *(i for i in ids if i != d)]
        pages = []
        for size in (1, 7, 500):
            for offset in range(0, len(ordered) + size, size):
                total, page, page_edges = closure_page(g, d, direction, depth, offset, size)
                assert total == len(ordered)
                assert page == ordered[offset:offset + size]
                assert page_edges == [e for e in edges if e.derived in set(page)]
                if size == 7:
                    pages.append(page_edges)
        if d != "absent":
            paged = [(e.source, e.derived) for p in pages for e in p]
            assert sorted(paged) == sorted((e.source, e.derived) for e in edges), "every edge on exactly one page"


def test_the_hub_has_a_closure_worth_paging() -> None:
    """The test above would say little of a hub with nothing downstream."""
    total, _page, _edges = closure_page(dag(1), "d03", "downstream", None, 0, 1)
    assert total > 20
