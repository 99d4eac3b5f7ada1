"""Work the benchmark runs in child processes, so each figure has its own process and peak memory.

    python -m bench.child parse FILE.nq              rdflib: parse the N-Quads into an in-memory Dataset
    python -m bench.child shacl FILE.nq              rdflib + pySHACL: validate the same data as `registry validate`
    python -m bench.child serve FILE.nq PORT TOKENS  the registry's app over an rdflib store (the REST baseline),
                                                     with rdflib-endpoint's SPARQL router at
                                                     /rdflib-endpoint/sparql when it is installed

Each prints one JSON object as its last line of output (serve writes the tokens file instead).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

#: where the baseline server mounts rdflib-endpoint's SPARQL router
BASELINE_SPARQL = "/rdflib-endpoint/sparql"


def parse(path: Path) -> dict[str, object]:
    from rdflib import Dataset

    started = time.perf_counter()
    ds = Dataset()
    ds.parse(str(path), format="nquads")
    return {"seconds": time.perf_counter() - started, "quads": len(ds)}


def shacl(path: Path) -> dict[str, object]:
    """What `registry validate` does, without the store: every record graph's triples in one rdflib
    graph beside the vocabularies and authorities, validated by pySHACL against shapes/*.ttl."""
    from pyshacl import validate
    from rdflib import Dataset, Graph
    from rdflib.namespace import SH

    from registry.resources import resources

    started = time.perf_counter()
    res = resources()
    ds = Dataset()
    ds.parse(str(path), format="nquads")
    g = Graph()
    for t in res.reference_data():
        g.add(t)
    for s, p, o, _g in ds.quads((None, None, None, None)):
        g.add((s, p, o))
    del ds
    parsed = time.perf_counter()
    conforms, report, _text = validate(g, shacl_graph=res.shapes(), inference="none", allow_warnings=True)
    results = list(report.objects(None, SH.result))
    violations = sum(1 for r in results if report.value(r, SH.resultSeverity) == SH.Violation)
    return {"seconds": time.perf_counter() - started, "parse_seconds": parsed - started, "conforms": bool(conforms),
            "violations": violations, "results": len(results)}


def serve(path: Path, port: int, tokens: Path) -> None:
    import uvicorn

    from bench.rdflib_store import open_rdflib_registry
    from registry.api import create_app

    registry = open_rdflib_registry(path)
    app = create_app(registry=registry)
    sparql = "absent"
    try:
        from rdflib_endpoint import SparqlRouter  # type: ignore[import-not-found, unused-ignore]
    except ImportError:
        pass
    else:
        # at a path of its own: the registry's app has its own /sparql (over the same rdflib store)
        app.include_router(SparqlRouter(path=BASELINE_SPARQL, graph=registry.store.ds))  # type: ignore[attr-defined]
        sparql = "rdflib-endpoint"
    secret = registry.tokens.create("privacy-officer")[1]
    tokens.write_text(json.dumps({"privacy-officer": secret, "sparql": sparql}))
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")


def main(argv: list[str]) -> None:
    task, args = argv[0], argv[1:]
    if task == "parse":
        print(json.dumps(parse(Path(args[0]))))
    elif task == "shacl":
        print(json.dumps(shacl(Path(args[0]))))
    elif task == "serve":
        serve(Path(args[0]), int(args[1]), Path(args[2]))
    else:
        raise SystemExit(f"unknown task {task!r}")


if __name__ == "__main__":
    main(sys.argv[1:])
