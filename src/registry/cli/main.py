"""The `registry` command line (Typer)."""

from __future__ import annotations

import datetime as dt
import json
import re
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from registry.api import control, create_app
from registry.config import Settings
from registry.errors import RegistryError, ValidationFailed
from registry.resources import Resources
from registry.services.disposals import Disposals
from registry.services.ingest.catalog_import import CatalogError, ImportOptions, import_catalog
from registry.services.ingest.demo import DEMO_FILE
from registry.services.ingest.loader import SYSTEM, load_file, plan, write_all
from registry.services.ontology_check import OntologyCheckError, check
from registry.services.registry import Registry, open_registry
from registry.store.backup import backup, restore

app = typer.Typer(help="A registry of government datasets, lineage, data-sharing agreements and legal basis.",
                  no_args_is_help=True, pretty_exceptions_enable=False)
token_app = typer.Typer(help="Bearer tokens: create, list, revoke.", no_args_is_help=True)
app.add_typer(token_app, name="token")

DataOpt = Annotated[str | None, typer.Option("--data", help="store folder (default: REGISTRY_DATA or ./var/registry)")]


def _settings(data: str | None) -> Settings:
    return Settings(data=data) if data else Settings()


def _open(data: str | None, *, reading: bool = False) -> Registry:
    """The registry over the store. `reading`: a command that only reads opens a store a running server
    holds read-only, as it is at that moment (a note on stderr says so)."""
    try:
        registry = open_registry(_settings(data), read_only_fallback=reading)
    except OSError as e:
        if "lock" in str(e).lower():
            _fail(f"cannot open the store: another process holds it (a running `registry serve`?). Stop it "
                  f"first, or use the API: GET/POST /tokens, DELETE /tokens/ID with an admin token. `registry "
                  f"validate`, `export`, `audit verify` and `backup` read it while it runs, and `registry token` "
                  f"reaches a `registry serve` through its socket ({e})")
        _fail(f"cannot open the store: {e}")
        raise
    if registry.read_only:
        typer.echo(f"note: a running server holds the store: read as it was at {dt.datetime.now():%H:%M:%S} "
                   f"(writes after that are not seen)", err=True)
    return registry


def _tokens(data: str | None, request: dict[str, object]) -> dict[str, Any]:
    """A token request, sent to the server that holds the store (its control socket) or, when none
    runs, performed on the store opened here: the same code either way, audited as the command line."""
    path = control.socket_path(_settings(data))
    if path is not None:
        try:
            return control.call(path, request)
        except control.NoServer:
            pass
    registry = _open(data)
    try:
        return control.perform(registry, request)
    finally:
        registry.close()


def _fail(message: str, code: int = 1) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def _report_error(e: RegistryError) -> None:
    typer.echo(f"error: {e.detail}", err=True)
    if isinstance(e, ValidationFailed):
        for v in e.violations:
            where = v.field or v.path or ""
            typer.echo(f"  - {v.severity}: {v.focus_node} {where}: {v.message}"
                       + (f" (value: {v.value})" if v.value else ""), err=True)
    raise typer.Exit(1)


@app.command()
def serve(
    data: DataOpt = None,
    host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port to listen on")] = 8000,
    access_log: Annotated[bool, typer.Option(help="log a line for each request (to stderr)")] = True,
) -> None:
    """Serve the REST API (and SPARQL and web pages) over the store. On the first start of a store that has
    no token, print an admin token (once). While it runs, `registry token ...` reaches it through a socket
    beside the store ({data}.sock, for its user only)."""
    import uvicorn

    settings = _settings(data)
    if not settings.in_memory:  # a store in memory starts empty with the server itself: nothing to keep
        _first_admin_token(settings)
    uvicorn.run(create_app(settings), host=host, port=port, log_level="info", access_log=access_log)


def _first_admin_token(settings: Settings) -> None:
    try:
        registry = open_registry(settings)
    except OSError as e:  # another process holds it (StoreHeld says which), or the folder cannot be used
        _fail(f"cannot serve: {e}")
        return
    try:
        made = registry.tokens.first_admin()
    finally:
        registry.close()
    if made is not None:
        token_id, secret = made
        typer.echo(f"First start: no token existed, so here is an admin token ({token_id}). It is shown this "
                   f"once; keep it (`registry token create` makes more, `registry token revoke {token_id}` "
                   f"revokes it):\n\n    {secret}\n")


@app.command()
def load(
    file: Annotated[Path, typer.Argument(help="a JSON world file, Turtle, JSON-LD, RDF/XML, N-Quads or TriG")],
    data: DataOpt = None,
    fmt: Annotated[str | None, typer.Option("--format", help="override the format guessed from the name")] = None,
) -> None:
    """Load a file: records are validated one by one; N-Quads and TriG are bulk-loaded as they are. A bulk
    load into a store on disk also builds the catalogue index, the lineage graph and the SPARQL views
    (N-Quads in the load's own pass), so a server started on the store is ready at once."""
    if not file.is_file():
        _fail(f"no such file: {file}")
    registry = _open(data)
    try:
        how, records = plan(registry, file, fmt)
        if how in ("nquads", "trig"):
            on_disk = getattr(registry.store, "path", None) is not None
            with typer.progressbar(length=file.stat().st_size, label=f"bulk-loading {file.name}",
                                   file=sys.stderr) as bar:
                report = load_file(registry, file, fmt, progress=bar.update, build=on_disk)
        else:
            with typer.progressbar(length=len(records), label=f"loading {file.name}", file=sys.stderr) as bar:
                report = write_all(registry, records, SYSTEM, bar.update)
    except RegistryError as e:
        registry.close()
        _report_error(e)
        return
    registry.close()
    for w in report.warnings:
        typer.echo(f"warning: {w['record']}: {w['message']}", err=True)
    typer.echo(json.dumps({"created": report.created, "updated": report.updated, "quads": report.quads,
                           "warnings": len(report.warnings)}))


@app.command()
def validate(data: DataOpt = None) -> None:
    """Validate the whole store against the shapes; prints a report like the API's 422 body. While a server
    runs, the store is read as it is when the command starts."""
    registry = _open(data, reading=True)
    found = registry.records.validate_all()
    registry.close()
    violations = [v for v in found if v.severity == "Violation"]
    typer.echo(json.dumps({"conforms": not violations, "violations": [v.as_json() for v in violations],
                           "warnings": [v.as_json() for v in found if v.severity != "Violation"]}, indent=2))
    if violations:
        raise typer.Exit(1)


@app.command("check-share")
def check_share(
    datasets: Annotated[str, typer.Option(help="dataset ids, comma-separated")],
    provider: Annotated[str, typer.Option(help="the organisation that discloses")],
    recipient: Annotated[str, typer.Option(help="the organisation that receives")],
    purpose: Annotated[str, typer.Option(help="a purpose id (see GET /purposes)")],
    data: DataOpt = None,
    date: Annotated[str | None, typer.Option(help="date of the share, YYYY-MM-DD (default: today)")] = None,
    deidentified: Annotated[bool, typer.Option(help="the data is de-identified before it is shared")] = False,
    onward_disclosure: Annotated[bool, typer.Option(help="the recipient would disclose it further")] = False,
    consent: Annotated[bool, typer.Option(help="the individuals have consented")] = False,
    ethics_approval: Annotated[bool, typer.Option(help="a research ethics board approved the use")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="print the whole answer as JSON")] = False,
) -> None:
    """Ask the legal-basis engine whether a share may proceed; the check is recorded."""
    proposal = {"datasets": [d.strip() for d in datasets.split(",") if d.strip()], "provider": provider,
                "recipient": recipient, "purpose": purpose, "deidentified": deidentified,
                "onward_disclosure": onward_disclosure, "consent": consent, "ethics_approval": ethics_approval}
    if date:
        proposal["date"] = date
    registry = _open(data)
    try:
        answer = registry.share_checks.run(proposal, SYSTEM)
    except RegistryError as e:
        registry.close()
        _report_error(e)
        return
    registry.close()
    if as_json:
        typer.echo(json.dumps(answer, indent=2, ensure_ascii=False))
        return
    typer.echo(f"{answer['decision'].upper().replace('_', ' ')}  (check {answer['id']})")
    for r in answer["reasons"]:
        typer.echo(f"  reason    {r['code']}: {r['message']}")
        if "remedy" in r:
            typer.echo(f"            needed: {r['remedy']}")
    for c in answer["conditions"]:
        typer.echo(f"  condition {c['code']}: {c['message']}")
    for b in answer["basis"]:
        typer.echo(f"  basis     {b['agreement']} -> {b['authority']} ({b['citation']}) {b['source']}")


@app.command("backup")
def backup_cmd(
    target: Annotated[Path, typer.Argument(help="a new folder for the backup")],
    data: DataOpt = None,
) -> None:
    """Back up the store to a new folder (consistent, and safe while the server runs)."""
    try:
        n = backup(Path(_settings(data).data), target)
    except RegistryError as e:
        _report_error(e)
        return
    except OSError as e:
        _fail(f"cannot back up: {e}")
    typer.echo(f"backed up {n} quads to {target}", err=True)


@app.command("restore")
def restore_cmd(
    source: Annotated[Path, typer.Argument(help="a folder made by `registry backup`")],
    data: DataOpt = None,
    force: Annotated[bool, typer.Option(help="replace the store that is there")] = False,
) -> None:
    """Replace the store by a backup (the server must be stopped)."""
    try:
        n = restore(source, Path(_settings(data).data), force=force)
    except RegistryError as e:
        _report_error(e)
        return
    typer.echo(f"restored {n} quads from {source}", err=True)


audit_app = typer.Typer(help="The audit log: verify the hash chain.", no_args_is_help=True)
app.add_typer(audit_app, name="audit")


@audit_app.command("verify")
def audit_verify(data: DataOpt = None) -> None:
    """Recompute the audit chain and every record's state; name the first broken entry (exit 1). While a
    server runs, the store is read as it is when the command starts."""
    registry = _open(data, reading=True)
    report = registry.audit.verify()
    registry.close()
    typer.echo(json.dumps(report.as_json(), indent=2))
    if not report.ok:
        broken = report.broken or {}
        _fail(f"audit chain broken at entry {broken.get('seq')}: {broken.get('problem')}")


@app.command()
def export(
    data: DataOpt = None,
    out: Annotated[Path | None, typer.Option("--out", help="file to write (default: standard output)")] = None,
) -> None:
    """Export every quad of the store as N-Quads (load it back with `registry load`). While a server runs,
    the store is read as it is when the command starts."""
    import tempfile

    registry = _open(data, reading=True)
    if out is None:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "export.nq"
            registry.store.dump(path)
            registry.close()
            sys.stdout.write(path.read_text(encoding="utf-8"))
        return
    n = registry.store.dump(out)
    registry.close()
    typer.echo(f"wrote {n} quads to {out}", err=True)


@app.command()
def demo(data: DataOpt = None) -> None:
    """Load the Ontario demo registry (idempotent: records are replaced, not duplicated)."""
    registry = _open(data)
    try:
        report = load_file(registry, DEMO_FILE)
    except RegistryError as e:
        registry.close()
        _report_error(e)
        return
    registry.close()
    typer.echo(f"demo registry loaded: {report.created} created, {report.updated} updated, "
               f"{len(report.warnings)} warnings", err=True)


@token_app.command("create")
def token_create(
    role: Annotated[str, typer.Option(help="admin, privacy-officer or steward")],
    data: DataOpt = None,
    org: Annotated[str | None, typer.Option(help="the organisation a steward writes for")] = None,
    days: Annotated[int | None, typer.Option(min=1, help="expire after this many days (at least 1)")] = None,
) -> None:
    """Create a bearer token; the token itself is printed on the last line, once. Works while a server
    runs (through its socket)."""
    try:
        made = _tokens(data, {"op": "create", "role": role, "org": org, "days": days})
    except RegistryError as e:
        _report_error(e)
        return
    typer.echo(f"token {made['id']} for role {role}" + (f" of {org}" if org else ""), err=True)
    typer.echo(made["token"])


@token_app.command("list")
def token_list(data: DataOpt = None) -> None:
    """List tokens (never their secrets). Works while a server runs (through its socket)."""
    try:
        items = _tokens(data, {"op": "list"})["items"]
    except RegistryError as e:
        _report_error(e)
        return
    typer.echo(json.dumps(items, indent=2))


@token_app.command("revoke")
def token_revoke(token_id: Annotated[str, typer.Argument(help="the token's id")], data: DataOpt = None) -> None:
    """Revoke a token at once. Works while a server runs (through its socket): it refuses the token from
    then on."""
    try:
        _tokens(data, {"op": "revoke", "id": token_id})
    except RegistryError as e:
        _report_error(e)
        return
    typer.echo(f"revoked {token_id}", err=True)


disposals_app = typer.Typer(help="The retention and disposal ledger.", no_args_is_help=True)
app.add_typer(disposals_app, name="disposals")


@disposals_app.command("overdue")
def disposals_overdue(
    data: DataOpt = None,
    as_of: Annotated[str | None, typer.Option("--as-of", help="the date, YYYY-MM-DD (default: today)")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the whole answer as JSON")] = False,
) -> None:
    """List the shares overdue for disposal (due before the date, not disposed of on or before it), most
    overdue first, then those disposed of late. While a server runs, the store is read as it is when the
    command starts."""
    try:
        on = dt.date.fromisoformat(as_of) if as_of else dt.date.today()
    except ValueError:
        _fail(f"--as-of takes a date, YYYY-MM-DD: {as_of!r}", 2)
        return
    registry = _open(data, reading=True)
    try:
        ledger = Disposals(registry).overdue(on, limit=10_000_000)
    finally:
        registry.close()
    if as_json:
        typer.echo(json.dumps(ledger, indent=2))
        return
    typer.echo(f"{ledger['total']} share(s) overdue for disposal as of {ledger['as_of']}")
    for s in ledger["items"]:
        typer.echo(f"  {s['agreement']}  {s['recipient']}  shared {s['share_date']}, due {s['due_date']}, "
                   f"{s['days_overdue']} day(s) overdue: {', '.join(s['datasets'])}")
    if ledger["late"]["total"]:
        typer.echo(f"{ledger['late']['total']} share(s) disposed of late")
        for s in ledger["late"]["items"]:
            typer.echo(f"  {s['agreement']}  {s['recipient']}  shared {s['share_date']}, due {s['due_date']}, "
                       f"disposed of {s['disposed_on']} ({s['days_late']} day(s) late): {', '.join(s['datasets'])}")


ontology_app = typer.Typer(help="The ontology: the reasoner's quality gate.", no_args_is_help=True)
app.add_typer(ontology_app, name="ontology")


@ontology_app.command("check")
def ontology_check_cmd(
    resources: Annotated[Path | None, typer.Option("--resources", help="folder holding ontology/ (default: "
                                                   "REGISTRY_RESOURCES_DIR, else the installed package or the "
                                                   "checkout)")] = None,
    individuals: Annotated[bool, typer.Option(help="also load the authority catalogue and the vocabularies "
                                                   "as individuals")] = True,
    as_json: Annotated[bool, typer.Option("--json", help="print the report as JSON")] = False,
) -> None:
    """Run the HermiT reasoner (owlready2, needs Java) on the ontology: exit 1 on inconsistency or
    unsatisfiable classes, naming them; exit 2 when the check cannot run."""
    root = resources or Settings().resources_dir
    try:
        report = check(Resources(root) if root else None, individuals=individuals)
    except OntologyCheckError as e:
        _fail(str(e), 2)
        return
    if as_json:
        typer.echo(json.dumps(report.as_json(), indent=2))
    if not report.ok:
        _fail(report.message())
    if not as_json:
        typer.echo(f"ontology: {report.message()}")


@app.command("import-catalog")
def import_catalog_cmd(
    source: Annotated[str, typer.Argument(help="a DCAT catalogue (Turtle, RDF/XML, JSON-LD, N-Triples, TriG, "
                                               "N-Quads), a DCAT-US data.json or a CKAN answer (package_search, "
                                               "package_show, a list of them, current_package_list_with_resources): "
                                               "a file or an http(s) URL")],
    data: DataOpt = None,
    publisher_default: Annotated[str | None, typer.Option("--publisher-default", help="organisation id of datasets "
                                                          "whose source names no publisher (created if missing)")] = None,
    org_kind: Annotated[str, typer.Option("--org-kind", help="kind of the organisations created for publishers: "
                                          "external or agency")] = "external",
    steward: Annotated[str | None, typer.Option("--steward", help="steward of datasets whose source names no contact, "
                                                "as 'Name <email>'")] = None,
    access_default: Annotated[str, typer.Option("--access-default", help="access of datasets whose source does "
                                                "not say: public, restricted or non-public")] = "public",
    lang: Annotated[str, typer.Option(help="the language preferred where one text is kept (keywords, names, a "
                                           "landing page); titles and descriptions keep every language")] = "en",
    fmt: Annotated[str | None, typer.Option("--format", help="turtle, xml, json-ld, nt, trig, nquads, dcat-us or "
                                            "ckan (default: told by the content, media type or name)")] = None,
    allow_private_network: Annotated[bool, typer.Option("--allow-private-network", help="let a URL (or a redirect) "
                                     "reach loopback, private and other non-public addresses")] = False,
    allow_network: Annotated[list[str] | None, typer.Option("--allow-network", help="a non-public network (CIDR) a "
                             "URL may reach all the same; repeatable")] = None,
) -> None:
    """Harvest a catalogue into datasets through the write path (SHACL included); re-importing updates the
    same records, wherever the file lies. Prints a JSON report of what was created, updated, unchanged,
    skipped and rejected (and why), what is gone from the source (kept), the warnings and the fields not
    kept; a summary on stderr. Exit 1 when a record was rejected, 2 when the source could not be read or was
    refused (nothing is written then). A URL is http(s) only and reaches public addresses only, unless
    allowed; a local file is a plain path."""
    default_steward = None
    if steward:
        m = re.match(r"^\s*(.+?)\s*<([^<>\s]+)>\s*$", steward)
        if m is None:
            _fail("--steward takes 'Name <email>'", 2)
            return
        default_steward = (m.group(1), m.group(2))
    options = ImportOptions(publisher_default=publisher_default, org_kind=org_kind, steward_default=default_steward,
                            access_default=access_default, lang=lang, format=fmt,
                            allow_private_network=allow_private_network, allow_networks=tuple(allow_network or ()))
    registry = _open(data)
    try:
        report = import_catalog(registry, source, options)
    except CatalogError as e:
        registry.close()
        _fail(e.detail, 2)
        return
    except RegistryError as e:
        registry.close()
        _fail(e.detail, 2)
        return
    registry.close()
    typer.echo(json.dumps(report.as_json(), indent=2, ensure_ascii=False))
    for line in report.summary():
        typer.echo(line, err=True)
    if report.rejected:
        raise typer.Exit(1)


def main() -> None:
    app()
