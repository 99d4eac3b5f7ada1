"""/sparql against a real server process: queries that crashed the server (parser stack), called out of
it (SERVICE), or held every slot and core (no cancellation) cost at most their own answer now."""

from __future__ import annotations

import asyncio
import contextlib
import http.server
import os
import socket
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from urllib.parse import urlencode

import httpx
import pytest

from helpers import assert_problem
from registry.store.evaluator import Job, Outcome, WorkerLimits
from registry.store.evaluator_pool import EvaluationTimeout, EvaluatorPool, PoolBusy
from test_durability import cli, server

pytestmark = pytest.mark.slow

#: a query that runs for minutes over the reference graphs alone (a sorted triple cross product)
#: runs for minutes in a few MB (a count over a cross product streams): it ends at a time limit, never at the
#: memory cap (a query that also grew in memory could reach the cap first on a fast machine: a 400, not a 503)
SLOW = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
#: sorting a cross product holds every row: gigabytes within seconds
HUGE = "SELECT ?c WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i } ORDER BY ?c ?f ?i LIMIT 1"


def token(data: Path, role: str) -> str:
    out = cli("token", "create", "--data", str(data), "--role", role)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip().splitlines()[-1]


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[httpx.Client, dict[str, str]]]:
    tmp = tmp_path_factory.mktemp("sparql-isolation")
    data = tmp / "store"
    tokens = {role: token(data, role) for role in ("admin", "privacy-officer")}
    env = {"REGISTRY_SPARQL_TIMEOUT_SECONDS": "2", "REGISTRY_SPARQL_MAX_CONCURRENT": "1",
           "REGISTRY_SPARQL_ANONYMOUS_MAX_CONCURRENT": "1", "REGISTRY_RATE_PER_MINUTE": "0"}
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        with server(data, tmp / "server.log") as client:
            yield client, tokens
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def alive(client: httpx.Client) -> None:
    assert client.get("/health").status_code == 200
    r = client.get("/sparql", params={"query": "ASK { }"}, headers={"Accept": "application/sparql-results+json"})
    assert r.status_code == 200 and r.json()["boolean"] is True


def bearer(tokens: dict[str, str], role: str | None) -> dict[str, str]:
    return {} if role is None else {"Authorization": f"Bearer {tokens[role]}"}


# ------------------------------------------------------------------------------- finding 1: the stack
def _deep(n: int) -> dict[str, str]:
    hidden = "PREFIX ex: <http://example.org/> SELECT * WHERE { ?s ?p ex:a\\#. "
    return {
        "not": "ASK { FILTER(" + "!" * n + "true) }",
        "plus": "ASK { FILTER(0" + " + 1" * n + " > 0) }",
        "times": "ASK { FILTER(1" + " * 1" * n + " > 0) }",
        "or": "ASK { FILTER(" + " || ".join(["false"] * n) + ") }",
        "and": "ASK { FILTER(" + " && ".join(["true"] * n) + ") }",
        "minus": "ASK { FILTER(" + "- " * n + "1 < 2) }",
        "parentheses": "ASK { FILTER(" + "(" * n + "true" + ")" * n + ") }",
        # the old scanner read `ex:a\#` as a name and a comment, and so missed every group after it
        "groups behind a comment trick": hidden + "{ " * n + "}" * n + " }",
        "exists behind a comment trick": hidden + "FILTER EXISTS { " * n + "}" * n + " }",
        "path": "ASK { ?s " + "/".join(["<http://x/p>"] * n) + " ?o }",
    }


@pytest.mark.parametrize("n", [20_000, 3_000, 1_500])
def test_deep_queries_never_end_the_server(served: tuple[httpx.Client, dict[str, str]], n: int) -> None:
    client, tokens = served
    for name, query in _deep(n).items():
        for role in (None, "privacy-officer"):
            for how in ("get", "post"):
                if how == "get" and len(query) > 6000:
                    continue  # a URL that long is refused by the HTTP layer before the query is read
                if how == "get":
                    r = client.get("/sparql", params={"query": query}, headers=bearer(tokens, role))
                else:
                    r = client.post("/sparql", content=query.encode(),
                                    headers={"Content-Type": "application/sparql-query", **bearer(tokens, role)})
                assert r.status_code in (200, 400, 503), (name, n, r.status_code, r.text[:300])
                if r.status_code != 200:
                    assert_problem(r, r.status_code)
            alive(client)


# --------------------------------------------------------------------------------- finding 2: SERVICE
class _Counting(http.server.BaseHTTPRequestHandler):
    hits: list[str] = []

    def _answer(self) -> None:
        _Counting.hits.append(self.path)
        self.send_response(200)  # an internal server that answers an empty 200 was a 500
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_GET = do_POST = _answer  # noqa: N815 - the http.server API

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def listener() -> Iterator[str]:
    _Counting.hits = []
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Counting)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    # also count bare connections (a client that gives up before sending a request)
    accepted: list[int] = []
    original = srv.get_request

    def counted() -> tuple[object, object]:
        pair = original()
        accepted.append(1)
        return pair

    srv.get_request = counted  # type: ignore[method-assign]
    try:
        yield f"http://127.0.0.1:{srv.server_address[1]}/sparql"
        assert accepted == [], f"{len(accepted)} connections reached the loopback listener"
    finally:
        srv.shutdown()
        srv.server_close()


def _service_spellings(url: str) -> dict[str, str]:
    escaped = "".join(f"\\u{ord(c):04X}" for c in "SERVICE")
    return {
        "plain": f"SELECT * WHERE {{ SERVICE <{url}> {{ ?s ?p ?o }} }}",
        "lower case": f"select * where {{ service <{url}> {{ ?s ?p ?o }} }}",
        "silent": f"SELECT * WHERE {{ SERVICE SILENT <{url}> {{ ?s ?p ?o }} }}",
        "after the comment trick": ("PREFIX ex: <http://example.org/> SELECT * WHERE { ?s ?p ex:a\\#. "
                                    f"SERVICE <{url}> {{ ?a ?b ?c }} }}"),
        "silent after the comment trick": ("PREFIX ex: <http://example.org/> SELECT * WHERE { ?s ?p ex:a\\#. "
                                           f"SERVICE SILENT <{url}> {{ ?a ?b ?c }} }}"),
        "prefixed endpoint": f"PREFIX in: <{url[:-6]}> SELECT * WHERE {{ SERVICE in:sparql {{ ?s ?p ?o }} }}",
        "variable endpoint": f"SELECT * WHERE {{ VALUES ?e {{ <{url}> }} SERVICE ?e {{ ?s ?p ?o }} }}",
        "unicode escapes": f"SELECT * WHERE {{ {escaped} <{url}> {{ ?s ?p ?o }} }}",
        "base-relative": f"BASE <{url[:-6]}> SELECT * WHERE {{ SERVICE <sparql> {{ ?s ?p ?o }} }}",
        "inside exists": f"ASK {{ FILTER EXISTS {{ SERVICE SILENT <{url}> {{ ?s ?p ?o }} }} }}",
        "construct": f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ SERVICE <{url}> {{ ?s ?p ?o }} }}",
    }


def test_service_never_leaves_the_machine(served: tuple[httpx.Client, dict[str, str]], listener: str) -> None:
    client, tokens = served
    for name, query in _service_spellings(listener).items():
        for role in (None, "privacy-officer", "admin"):
            r = client.post("/sparql", content=query.encode(),
                            headers={"Content-Type": "application/sparql-query", **bearer(tokens, role)})
            assert r.status_code < 500, (name, role, r.status_code, r.text[:300])
            if r.status_code == 200:  # SILENT: an empty answer, never the other server's
                assert "results" not in r.json() or r.json()["results"]["bindings"] == [], name
            else:
                assert_problem(r, r.status_code)
    assert _Counting.hits == []
    alive(client)


# ------------------------------------------------------------------------- finding 6: load and time
def _evaluators(server_pid: int) -> set[int]:
    """The evaluator processes of the server (children whose command line names the evaluator)."""
    found = set()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
            cmdline = Path(f"/proc/{entry}/cmdline").read_bytes()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        state = stat.rsplit(")", 1)[1].split()[0]
        if ppid == server_pid and b"registry.store.evaluator" in cmdline and state != "Z":
            found.add(int(entry))
    return found


def _server_pid(client: httpx.Client) -> int:
    port = int(str(client.base_url).rsplit(":", 1)[1].strip("/"))
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                cmdline = Path(f"/proc/{entry}/cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if b"serve" in cmdline and str(port).encode() in cmdline:
                return int(entry)
    raise AssertionError("the server process was not found")


def test_a_query_past_its_time_is_killed(served: tuple[httpx.Client, dict[str, str]]) -> None:
    client, tokens = served
    alive(client)  # the anonymous pool now has one idle evaluator
    pid = _server_pid(client)
    before = _evaluators(pid)
    assert before, "no evaluator process is running after a query"
    body = assert_problem(client.get("/sparql", params={"query": SLOW}), 503)
    assert body["limit_seconds"] == 2
    # the process that ran it is gone at once: nothing keeps evaluating the query after its 503
    after = _evaluators(pid)
    assert len(before - after) == 1, (before, after)
    alive(client)


def test_anonymous_load_never_starves_signed_in_callers(served: tuple[httpx.Client, dict[str, str]]) -> None:
    client, tokens = served
    done: list[int] = []

    def slow_query() -> threading.Thread:
        t = threading.Thread(target=lambda: done.append(client.get("/sparql", params={"query": SLOW}).status_code))
        t.start()
        return t

    slow = slow_query()
    try:
        # while the anonymous evaluator is busy, more anonymous queries are refused...
        deadline = time.monotonic() + 60
        while (r := client.get("/sparql", params={"query": "ASK { }"})).status_code != 503:
            assert time.monotonic() < deadline, "the anonymous capacity was never used up"
            if not slow.is_alive():  # it came while an ASK held the one anonymous place, and was refused: again
                slow = slow_query()
        assert_problem(r, 503)
        # ...and signed-in callers are still answered
        for role in ("privacy-officer", "admin"):
            r = client.get("/sparql", params={"query": "ASK { }"}, headers=bearer(tokens, role))
            assert r.status_code == 200, r.text
    finally:
        slow.join()
    assert done and all(status == 503 for status in done), done


def test_a_client_that_hangs_up_mid_query_leaves_the_pool_whole(served: tuple[httpx.Client, dict[str, str]]) -> None:
    client, _tokens = served
    alive(client)
    body = urlencode({"query": SLOW}).encode()
    with socket.create_connection((client.base_url.host, client.base_url.port or 80)) as s:
        s.sendall(b"POST /sparql HTTP/1.1\r\nHost: registry\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                  b"Content-Length: %d\r\n\r\n" % len(body) + body)
        time.sleep(0.5)  # the query has the one anonymous evaluator; then the client hangs up
    deadline = time.monotonic() + 60
    while client.get("/sparql", params={"query": "ASK { }"}).status_code != 200:
        assert time.monotonic() < deadline, "the query whose client hung up kept its slot or its process"
        time.sleep(0.1)
    alive(client)


# ----------------------------------------------------------- the evaluator processes themselves
@pytest.fixture
def snapshot(tmp_path: Path) -> str:
    import pyoxigraph as ox

    store = ox.Store(str(tmp_path / "snap"))
    g = ox.NamedNode("http://example.org/g")
    store.bulk_extend(ox.Quad(ox.NamedNode(f"http://example.org/s{i}"), ox.NamedNode("http://example.org/p"),
                              ox.Literal(str(i)), g) for i in range(2000))
    store.flush()
    del store
    return str(tmp_path / "snap")


def _job(path: str, query: str) -> Job:
    return Job(path=path, query=query, base_iri=None, union=True, default_graphs=None, named_graphs=None,
               max_rows=100)


def _run(pool: EvaluatorPool, path: str, query: str, timeout: float) -> Outcome:
    """One query through the pool, on an event loop of its own (as each test thread has)."""
    async def make() -> Job:
        return _job(path, query)

    return asyncio.run(pool.run(make, timeout))


def test_a_crashed_evaluator_costs_only_its_query(snapshot: str) -> None:
    from registry.store.evaluator import WorkerLimits
    from registry.store.evaluator_pool import EvaluatorCrashed, EvaluatorPool

    # an evaluator with an ordinary 8 MB stack: 3,000 nested EXISTS overflow it (a segmentation fault)
    pool = EvaluatorPool("test", 1, WorkerLimits(memory_bytes=4 << 30, stack_bytes=8 << 20))
    try:
        deep = "ASK { " + "FILTER EXISTS { " * 3000 + "}" * 3000 + " }"
        with pytest.raises(EvaluatorCrashed):
            _run(pool, snapshot, deep, 60)
        assert pool.replaced == 1
        assert _run(pool, snapshot, "ASK { ?s ?p ?o }", 60).boolean is True
    finally:
        pool.close()


def test_the_memory_cap_costs_only_its_query(snapshot: str) -> None:
    from registry.store.evaluator import WorkerLimits
    from registry.store.evaluator_pool import EvaluatorCrashed, EvaluatorPool

    # 2 GB besides the 1 GB stack, as a served registry's default (REGISTRY_SPARQL_MEMORY_MB): with 1 GB besides
    # it, a fresh process on a busy machine could run out of address space for its own threads and malloc arenas
    pool = EvaluatorPool("test", 1, WorkerLimits(memory_bytes=(2 << 30) + (1 << 30), stack_bytes=1 << 30))
    try:
        # sorting a cross product of 2,000 x 2,000 x 2,000 rows holds them all: past the cap, the process ends
        with pytest.raises(EvaluatorCrashed):
            _run(pool, snapshot, HUGE, 600)
        assert _run(pool, snapshot, "ASK { ?s ?p ?o }", 60).boolean is True
    finally:
        pool.close()


def test_evaluators_have_no_network() -> None:
    import subprocess
    import sys

    probe = ("import socket, sys\n"
             "from registry.store.sandbox import deny_network\n"
             "assert deny_network()\n"
             "socket.socket(socket.AF_UNIX, socket.SOCK_STREAM).close()\n"
             "for family in (socket.AF_INET, socket.AF_INET6):\n"
             "    try:\n"
             "        socket.socket(family, socket.SOCK_STREAM)\n"
             "    except PermissionError:\n"
             "        continue\n"
             "    sys.exit('a network socket was opened')\n")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=False)
    assert out.returncode == 0, out.stderr


def test_queries_past_the_processes_wait_their_turn_and_past_the_cap_are_refused(snapshot: str) -> None:
    from registry.store.evaluator import WorkerLimits
    from registry.store.evaluator_pool import EvaluationTimeout, EvaluatorPool, PoolBusy

    # three admitted, one process: the queries past the first wait for it while it runs
    pool = EvaluatorPool("test", 3, WorkerLimits(memory_bytes=4 << 30, stack_bytes=8 << 20), processes=1)
    slow = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f }"  # 4M rows: a second or so
    got: list[str] = []

    def run(query: str, timeout: float) -> None:
        try:
            got.append(_run(pool, snapshot, query, timeout).kind)
        except (EvaluationTimeout, PoolBusy) as exc:
            got.append(type(exc).__name__)

    try:
        runners = [threading.Thread(target=run, args=(slow, 120)) for _ in range(3)]
        for t in runners:
            t.start()
        for t in runners:
            t.join()
        assert got == ["solutions"] * 3
        assert len(_evaluators(os.getpid())) == 1 and pool.replaced == 0  # one process answered all three

        # a query that cannot get the process within its time limit is refused, not queued for ever
        got.clear()
        hold = threading.Thread(target=run, args=(SLOW, 3))
        hold.start()
        while pool._idle or not _evaluators(os.getpid()):  # until the slow query has the process
            time.sleep(0.01)
        run("ASK {}", 0.5)
        hold.join()
        assert got == ["PoolBusy", "EvaluationTimeout"]
        # the process that ran out of time was killed; the next query gets a fresh one
        run("ASK {}", 60)
        assert got[-1] == "boolean" and pool.replaced == 1
    finally:
        pool.close()


def _make(path: str, query: str) -> Callable[[], Awaitable[Job]]:
    async def make() -> Job:
        return _job(path, query)

    return make


def test_a_query_cancelled_while_its_process_answers_costs_that_process_only(snapshot: str) -> None:
    pool = EvaluatorPool("test", 1, WorkerLimits(memory_bytes=4 << 30, stack_bytes=8 << 20), processes=1)
    try:
        assert _run(pool, snapshot, "ASK {}", 60).kind == "boolean"
        [first] = _evaluators(os.getpid())

        async def cancel_mid_answer() -> bool:
            task = asyncio.create_task(pool.run(_make(snapshot, SLOW), 600))
            while pool._idle:  # until the slow query has the process
                await asyncio.sleep(0.01)
            await asyncio.sleep(0.2)
            task.cancel()
            try:
                await task
            except asyncio.CancelledError:
                return True
            return False

        assert asyncio.run(cancel_mid_answer())
        # the process still evaluating was killed, not put back with an answer on its way; the query's
        # slot came back, and the next query gets a fresh process
        assert pool.replaced == 1 and first not in _evaluators(os.getpid())
        assert _run(pool, snapshot, "ASK { ?s ?p ?o }", 60).boolean is True
    finally:
        pool.close()


def test_a_query_cancelled_while_it_waits_leaves_the_line(snapshot: str) -> None:
    pool = EvaluatorPool("test", 3, WorkerLimits(memory_bytes=4 << 30, stack_bytes=8 << 20), processes=1)
    slow = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f }"  # 4M rows: a second or so

    async def scenario() -> tuple[str, bool, bool]:
        first = asyncio.create_task(pool.run(_make(snapshot, slow), 120))
        while not pool._all or pool._idle:  # until the first query has the one process
            await asyncio.sleep(0.01)
        waiting = asyncio.create_task(pool.run(_make(snapshot, "ASK {}"), 120))
        last = asyncio.create_task(pool.run(_make(snapshot, "ASK { ?s ?p ?o }"), 120))
        while len(pool._waiting) < 2:
            await asyncio.sleep(0.01)
        waiting.cancel()
        return (await first).kind, (await last).boolean, waiting.cancelled()

    try:
        assert asyncio.run(scenario()) == ("solutions", True, True)
        assert not pool._waiting and pool.replaced == 0
        assert all(pool._slots.acquire(blocking=False) for _ in range(3))  # every slot came back
    finally:
        pool.close()


def test_a_freed_process_goes_to_the_query_that_waited_for_it(snapshot: str) -> None:
    """A process given back goes to the first query in line, not to whichever query asks next: a caller that
    asks again on the step its answer came back (an in-process client, a pipelined one) must not take the
    process from a query that waited, again and again until that query runs out of time (a 503)."""
    pool = EvaluatorPool("test", 3, WorkerLimits(memory_bytes=4 << 30, stack_bytes=8 << 20), processes=1)
    slow = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f }"  # 4M rows: a second or so
    order: list[str] = []

    async def query(name: str, text: str) -> None:
        await pool.run(_make(snapshot, text), 120)
        order.append(name)

    async def twice() -> None:  # a caller asking again at once, on the step its first answer came
        await query("first", slow)
        await query("again", "ASK {}")

    async def scenario() -> None:
        await query("warm", "ASK {}")
        caller = asyncio.create_task(twice())
        while pool._idle:  # until the first query has the process
            await asyncio.sleep(0.01)
        waiting = asyncio.create_task(query("waited", "ASK {}"))
        while not pool._waiting:
            await asyncio.sleep(0.01)
        await asyncio.gather(caller, waiting)

    try:
        asyncio.run(scenario())
        assert order == ["warm", "first", "waited", "again"]
        assert not pool._waiting and pool.replaced == 0 and len(pool._idle) == 1
    finally:
        pool.close()


def test_no_process_is_lost_when_queries_give_up_as_it_is_handed_over(snapshot: str) -> None:
    """Queries on two threads' loops give up (time out, are cancelled) at random moments, some while a process
    is on its way to them: every process ends idle or replaced, none is held by a query that left, every slot
    comes back and the pool still answers."""
    import random

    pool = EvaluatorPool("test", 400, WorkerLimits(memory_bytes=4 << 30, stack_bytes=8 << 20), processes=2)
    rng = random.Random(7)  # every query admitted: most wait in line, many give up there

    def thread(plan: list[float]) -> None:
        async def one(limit: float) -> None:
            with contextlib.suppress(TimeoutError, PoolBusy, EvaluationTimeout):
                await asyncio.wait_for(pool.run(_make(snapshot, "ASK { ?s ?p ?o }"), 5), limit)

        async def all_of_them() -> None:
            await asyncio.gather(*(one(limit) for limit in plan))

        asyncio.run(all_of_them())

    try:
        assert _run(pool, snapshot, "ASK {}", 60).kind == "boolean"
        for _ in range(5):  # rounds: the moments at which a query gives up differ in each
            plans = [[rng.choice((0.001, 0.003, 0.01, 0.03, 0.1, 30.0)) for _ in range(150)] for _ in range(2)]
            threads = [threading.Thread(target=thread, args=(plan,)) for plan in plans]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
        deadline = time.monotonic() + 60
        while (pool._warming or pool._starting) and time.monotonic() < deadline:  # replacements starting
            time.sleep(0.05)
        assert not pool._waiting
        assert len(pool._idle) == len(pool._all)  # no process kept by a query that gave up
        assert all(pool._slots.acquire(blocking=False) for _ in range(400))  # every slot came back
        for _ in range(400):
            pool._slots.release()
        assert _run(pool, snapshot, "ASK { ?s ?p ?o }", 60).boolean is True
    finally:
        pool.close()



def _holding(pid: int, folder: str) -> bool:
    """Whether the process has a file of `folder` open (a snapshot it opened)."""
    fds = Path(f"/proc/{pid}/fd")
    for fd in fds.iterdir():
        try:
            if os.readlink(fd).startswith(folder + "/"):
                return True
        except OSError:
            continue
    return False


def test_idle_processes_open_a_new_snapshot_before_a_query_names_it(snapshot: str, tmp_path: Path) -> None:
    import shutil

    pool = EvaluatorPool("test", 2, WorkerLimits(memory_bytes=4 << 30, stack_bytes=8 << 20), processes=2)
    newer = str(tmp_path / "newer")
    shutil.copytree(snapshot, newer)

    def held_by_all(folder: str) -> bool:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with pool._lock:
                idle = len(pool._idle)
            pids = _evaluators(os.getpid())
            if idle == 2 and len(pids) == 2 and all(_holding(p, folder) for p in pids):
                return True
            time.sleep(0.05)
        return False

    try:
        pool.warm()
        pool.prepare(snapshot)  # processes still starting open it once started
        assert held_by_all(snapshot)
        # a query names a newer snapshot: the idle process opens it too, and lets the older one go
        assert _run(pool, newer, "ASK { ?s ?p ?o }", 60).boolean is True
        pool.prepare(newer)
        assert held_by_all(newer)
        assert not any(_holding(p, snapshot) for p in _evaluators(os.getpid()))
        assert pool.paths_in_use() == {newer} and pool.replaced == 0
        assert _run(pool, newer, "ASK { ?s ?p ?o }", 60).boolean is True
    finally:
        pool.close()
