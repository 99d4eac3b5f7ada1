"""The requests of each REST and SPARQL figure, built from the synthetic registry's plan.

The same requests (same ids, same words, same proposals, same new records) go to our server and to
the baseline server, in the same order, so their latencies compare like for like.
"""

from __future__ import annotations

import datetime as dt
import random
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bench.client import LeanClient
from bench.measure import Latencies, timed_loop
from bench.servers import usage
from bench.synth import DOMAINS, HUB, Synth

#: words from titles and descriptions, for GET /datasets?q=word
SEARCH_WORDS = ("admissions", "caseload", "claims", "enrolment", "collisions", "inspections", "loans",
                "quality", "permits", "subsidies", "registrations", "waitlist")


@dataclass
class Requests:
    lookups: list[str]
    searches: list[str]
    publishers: list[str]
    proposals: list[dict[str, Any]]
    proposal_kinds: list[str]
    writes: list[dict[str, Any]]
    sparql_publishers: list[str]
    #: the dataset with the most datasets derived from it, directly or not, and how many
    hub: str = ""
    hub_downstream: int = 0
    #: derived datasets, for lineage questions
    derived: list[str] = field(default_factory=list)


def build(s: Synth, *, requests: int, checks: int, writes: int, seed: int) -> Requests:
    rng = random.Random(seed + 1)
    n = s.datasets
    lookups = [s.ds_id[rng.randrange(n)] for _ in range(requests)]
    searches = [SEARCH_WORDS[i % len(SEARCH_WORDS)] for i in range(requests)]
    publishers_all = sorted({s.orgs[p].id for p in s.ds_publisher})
    publishers = [publishers_all[rng.randrange(len(publishers_all))] for _ in range(requests)]
    proposals, kinds = share_proposals(s, checks, rng)
    write_bodies = [new_dataset(s, k, rng) for k in range(writes)]
    sparql_publishers = [publishers_all[rng.randrange(len(publishers_all))] for _ in range(64)]
    hub, below = largest_hub(s)
    derived_all = [i for i in range(n) if s.ds_sources[i]]
    derived = [s.ds_id[derived_all[rng.randrange(len(derived_all))]] for _ in range(requests)] if derived_all else []
    return Requests(lookups, searches, publishers, proposals, kinds, write_bodies, sparql_publishers,
                    s.ds_id[hub], below, derived)


def largest_hub(s: Synth, candidates: int = 20) -> tuple[int, int]:
    """The dataset with the most datasets downstream of it (among the `candidates` with the most direct
    derivations, and the hub the plan was asked for: `Synth.hub`), and how many."""
    children: dict[int, list[int]] = {}
    for i, sources in enumerate(s.ds_sources):
        for src in sources:
            children.setdefault(src, []).append(i)
    best, most = 0, -1
    tops = sorted(children, key=lambda k: -len(children[k]))[:candidates]
    if s.hub and HUB in children and HUB not in tops:
        tops.append(HUB)  # the hub the plan was asked for
    for top in tops:
        seen: set[int] = set()
        frontier = [top]
        while frontier:
            for c in children.get(frontier.pop(), ()):
                if c not in seen:
                    seen.add(c)
                    frontier.append(c)
        if len(seen) > most:
            best, most = top, len(seen)
    return best, max(most, 0)


def share_proposals(s: Synth, count: int, rng: random.Random) -> tuple[list[dict[str, Any]], list[str]]:
    """A mix of proposals built from the agreements: in force (conditional or permitted), a purpose
    the agreement does not cover, a date outside it, parties with no agreement, and open data."""
    active = [a for a in s.agreements if a.status == "active"] or s.agreements
    open_data = [i for i in range(s.datasets) if s.ds_access[i] == "public" and not s.ds_pi[i] and not s.ds_sources[i]]
    out: list[dict[str, Any]] = []
    kinds: list[str] = []
    plan = ("in force", "in force", "in force", "purpose not covered", "outside dates", "no agreement", "open data")
    for k in range(count):
        kind = plan[k % len(plan)]
        a = active[rng.randrange(len(active))] if active else None
        if kind == "open data" or a is None:
            i = open_data[rng.randrange(len(open_data))]
            out.append({"datasets": [s.ds_id[i]], "provider": s.orgs[s.ds_publisher[i]].id,
                        "recipient": s.orgs[rng.randrange(len(s.orgs))].id, "purpose": "statistics",
                        "date": "2025-06-01"})
            kinds.append("open data")
            continue
        start = dt.date.fromisoformat(a.valid_from)
        end = dt.date.fromisoformat(a.valid_until) if a.valid_until else start + dt.timedelta(days=365)
        middle = start + (end - start) / 2
        p = {"datasets": a.datasets, "provider": a.provider, "recipient": a.recipient, "purpose": a.purposes[0],
             "date": middle.isoformat()}
        if kind == "purpose not covered":
            p["purpose"] = "research" if "research" not in a.purposes else "law-enforcement"
        elif kind == "outside dates":
            p["date"] = (start - dt.timedelta(days=30)).isoformat()
        elif kind == "no agreement":
            p["provider"], p["recipient"] = a.recipient, a.provider
            p["datasets"] = [d for d in a.datasets]
        out.append(p)
        kinds.append(kind)
    return out, kinds


def new_dataset(s: Synth, k: int, rng: random.Random) -> dict[str, Any]:
    """A new derived dataset for POST /datasets: SHACL, references and the lineage cycle check all run."""
    src = rng.randrange(s.datasets)
    org = s.orgs[s.ds_publisher[src]].id
    dom = DOMAINS[s.ds_domain[src]]
    subject = dom.subjects[s.ds_subject[src]]
    return {
        "id": f"bench-write-{k + 1}", "title": f"{subject.capitalize()} extract {k + 1}",
        "description": f"An extract of {subject} made by the benchmark.", "publisher": org,
        "steward": {"name": "Bench Steward", "email": f"bench.steward@{org}.example.org"},
        "keywords": list(dom.keywords[:2]), "access": "restricted", "sensitivity": "medium",
        "personal_information": False, "retention": "P2Y", "issued": "2025-01-15",
        "derived_from": [s.ds_id[src]],
        "generated_by": {"kind": "extraction", "by": org, "date": "2025-01-15"},
    }


# ----------------------------------------------------------------------------------- REST figures
def _get(client: LeanClient, url: str, **kw: Any) -> Callable[[], Any]:
    def call() -> Any:
        r = client.get(url, **kw)
        r.raise_for_status()
        return r
    return call


def lookups(client: LeanClient, req: Requests, budget: float) -> Latencies:
    return timed_loop([_get(client, f"/datasets/{rid}") for rid in req.lookups], budget)


def searches(client: LeanClient, req: Requests, budget: float) -> Latencies:
    return timed_loop([_get(client, "/datasets", params={"q": w}) for w in req.searches], budget)


def counts(client: LeanClient, req: Requests, budget: float) -> Latencies:
    return timed_loop([_get(client, "/datasets", params={"publisher": p, "limit": 1}) for p in req.publishers],
                      budget)


def stats(client: LeanClient, req: Requests, budget: float) -> Latencies:
    return timed_loop([_get(client, "/stats")] * 50, budget)


def hub_lineage(client: LeanClient, req: Requests, budget: float) -> Latencies:
    """The first page of everything downstream of the largest hub, then of its impact."""
    return timed_loop([_get(client, f"/datasets/{req.hub}/lineage", params={"direction": "downstream"}),
                       _get(client, f"/datasets/{req.hub}/impact")] * 10, budget)


def lineage_as_of(client: LeanClient, req: Requests, budget: float) -> Latencies:
    when = "2025-06-01T00:00:00Z"
    return timed_loop([_get(client, f"/datasets/{d}/lineage", params={"as_of": when}) for d in req.derived], budget)


def flows_first(client: LeanClient, req: Requests, budget: float) -> Latencies:
    """The register's first request after a start (its facts read from the store, or waited for while the
    server reads them) or after a write of a record it reads (the writes figure's: computed afresh)."""
    return timed_loop([_get(client, "/reports/flows")], budget, minimum=1)


def flows(client: LeanClient, req: Requests, budget: float) -> Latencies:
    return timed_loop([_get(client, "/reports/flows"), _get(client, "/transparency",
                                                            headers={"Accept": "text/html"})] * 10, budget)


def share_checks(client: LeanClient, req: Requests, token: str, budget: float) -> tuple[Latencies, Counter[str]]:
    decisions: Counter[str] = Counter()
    headers = {"Authorization": f"Bearer {token}"}

    def make(p: dict[str, Any]) -> Callable[[], Any]:
        def call() -> Any:
            r = client.post("/share-checks", json=p, headers=headers)
            r.raise_for_status()
            decisions[r.json()["decision"]] += 1
        return call

    return timed_loop([make(p) for p in req.proposals], budget), decisions


def writes(client: LeanClient, req: Requests, token: str, budget: float) -> Latencies:
    headers = {"Authorization": f"Bearer {token}"}

    def make(body: dict[str, Any]) -> Callable[[], Any]:
        def call() -> Any:
            r = client.post("/datasets", json=body, headers=headers)
            if r.status_code != 201:
                raise RuntimeError(f"POST /datasets answered {r.status_code}: {r.text[:300]}")
        return call

    return timed_loop([make(b) for b in req.writes], budget, minimum=2)


def mixed_reads(client: LeanClient, req: Requests) -> list[Callable[[], Any]]:
    """Lookups, first pages of searches and lineage questions, interleaved: the reads of the
    "while clients write" figure."""
    calls: list[Callable[[], Any]] = []
    for i, rid in enumerate(req.lookups):
        calls.append(_get(client, f"/datasets/{rid}"))
        calls.append(_get(client, "/datasets", params={"q": req.searches[i % len(req.searches)]}))
        if req.derived:
            calls.append(_get(client, f"/datasets/{req.derived[i % len(req.derived)]}/lineage"))
    return calls


@dataclass
class UnderWrites:
    alone: Latencies
    loaded: Latencies
    writes: int
    write_errors: list[str]
    write_seconds: list[float]
    #: what the server spent on the reads alone and on the reads with the writes (`servers.Usage.since`)
    costs: tuple[str, str] = ("", "")


def reads_under_writes(url: str, s: Synth, req: Requests, token: str, budget: float, *, writers: int = 4,
                       seed: int = 0, pid: int | None = None) -> UnderWrites:
    """The mixed reads alone, then the same reads again while `writers` clients each POST new derived
    datasets back to back (SHACL, lineage, durable commit) until the reads are done; with `pid` (the
    server's), what it spent on each part."""
    reader = LeanClient(url)
    before = usage(pid) if pid else None
    alone = timed_loop(mixed_reads(reader, req), budget)
    costs = [usage(pid).since(before, len(alone.seconds)) if pid and before else ""]
    stop = threading.Event()
    done: list[float] = []
    errors: list[str] = []
    headers = {"Authorization": f"Bearer {token}"}

    def writer(w: int) -> None:
        rng = random.Random(seed * 1000 + w)
        client = LeanClient(url)
        k = 0
        while not stop.is_set():
            body = new_dataset(s, 0, rng)
            body["id"] = body["title"] = f"bench-load-{w}-{k}"
            k += 1
            t = time.perf_counter()
            try:
                r = client.post("/datasets", json=body, headers=headers)
                if r.status_code != 201:
                    raise RuntimeError(f"POST /datasets answered {r.status_code}: {r.text[:200]}")
                done.append(time.perf_counter() - t)
            except Exception as e:  # a failed write is a data point
                errors.append(f"{type(e).__name__}: {e}"[:300])
        client.close()

    threads = [threading.Thread(target=writer, args=(w,), daemon=True) for w in range(writers)]
    for t in threads:
        t.start()
    time.sleep(0.5)  # every writer under way before the first read
    before = usage(pid) if pid else None
    try:
        loaded = timed_loop(mixed_reads(reader, req), budget)
        costs.append(usage(pid).since(before, len(loaded.seconds) + len(done)) if pid and before else "")
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=120)
        reader.close()
    return UnderWrites(alone, loaded, len(done), errors, done, (costs[0], costs[-1]))


# ---------------------------------------------------------------------------------------- SPARQL
def records_list_query(s: Synth, publisher: str, resources: Any) -> str:
    """bench/queries/datasets-by-publisher.rq for one publisher, its binding inlined as a VALUES block."""
    from pathlib import Path

    from rdflib import URIRef

    from registry.store.base import inline_bindings

    text = (Path(__file__).parent / "queries" / "datasets-by-publisher.rq").read_text()
    bindings = {"publisher": URIRef(f"{s.base_iri}/organization/{publisher}")}
    return inline_bindings(text, bindings, lambda t: t.n3())


@dataclass
class Throughput:
    queries: int
    seconds: float
    errors: list[str]
    rows: int

    @property
    def per_second(self) -> float:
        return self.queries / self.seconds if self.seconds else 0.0


def concurrent(call: Callable[[int], int], clients: int, per_client: int, budget: float) -> Throughput:
    """`clients` threads each making up to `per_client` calls (stopping after `budget` seconds).
    `call(i)` runs one query and returns its number of rows."""
    done = [0] * clients
    rows = [0] * clients
    errors: list[str] = []
    start_line = threading.Barrier(clients + 1)
    deadline: list[float] = [0.0]

    def worker(w: int) -> None:
        start_line.wait()
        for j in range(per_client):
            if time.perf_counter() > deadline[0] and j > 0:
                break
            try:
                rows[w] += call(w * per_client + j)
            except Exception as e:  # one failed query is a data point, not a crash
                errors.append(f"{type(e).__name__}: {e}"[:300])
                continue
            done[w] += 1

    threads = [threading.Thread(target=worker, args=(w,), daemon=True) for w in range(clients)]
    for t in threads:
        t.start()
    started = time.perf_counter()
    deadline[0] = started + budget
    start_line.wait()
    for t in threads:
        t.join()
    return Throughput(queries=sum(done), seconds=time.perf_counter() - started, errors=errors, rows=sum(rows))


#: what the SPARQL figures ask every endpoint for
SPARQL_JSON = {"Accept": "application/sparql-results+json"}


def sparql_over_http(url: str, queries: list[str], clients: int, per_client: int, budget: float) -> Throughput:
    local = threading.local()

    def call(i: int) -> int:
        c = getattr(local, "client", None)
        if c is None:
            c = local.client = LeanClient(url, timeout=300)
        r = c.post_form("", {"query": queries[i % len(queries)]}, SPARQL_JSON)
        r.raise_for_status()
        return len(r.json()["results"]["bindings"])

    return concurrent(call, clients, per_client, budget)


def sparql_in_process(store_path: str, queries: list[str], clients: int, per_client: int,
                      budget: float) -> Throughput:
    import pyoxigraph as ox

    store = ox.Store.read_only(store_path)

    def call(i: int) -> int:
        res = store.query(queries[i % len(queries)], use_default_graph_as_union=True)
        return sum(1 for _ in res)  # type: ignore[union-attr]

    return concurrent(call, clients, per_client, budget)


def sparql_warm(url: str, queries: list[str]) -> None:
    """Each query once, untimed: every endpoint's caches warm before its figures (Virtuoso's and Fuseki's are
    warm from their loads, a server of ours just started is not)."""
    c = LeanClient(url, timeout=300)
    for q in queries:
        c.post_form("", {"query": q}, SPARQL_JSON).raise_for_status()
    c.close()


def sparql_latency_over_http(url: str, queries: list[str], budget: float) -> Latencies:
    """One client, one query at a time: what a single query costs end to end."""
    c = LeanClient(url, timeout=300)
    try:
        return timed_loop([lambda q=q: c.post_form("", {"query": q}, SPARQL_JSON).raise_for_status()
                           for q in queries], budget)
    finally:
        c.close()


def sparql_latency_in_process(store_path: str, queries: list[str], budget: float) -> Latencies:
    """The same queries evaluated by pyoxigraph in this process, rows read: the evaluation alone, on the
    store's caches warmed by one untimed pass of the queries (as the server's were by its figures)."""
    import pyoxigraph as ox

    store = ox.Store.read_only(store_path)

    def call(q: str) -> None:
        for _ in store.query(q, use_default_graph_as_union=True):  # type: ignore[union-attr]
            pass

    for q in queries:
        call(q)
    return timed_loop([lambda q=q: call(q) for q in queries], budget)
