"""The commands that open the registry's store: load, validate, check-share, export, demo, import-catalog,
audit verify, disposals overdue."""

from __future__ import annotations

import datetime as dt
import json
import re
import sys
import tempfile
from pathlib import Path
from typing import Annotated

import typer

from registry.cli.common import DataOpt, fail, report_error
from registry.cli.opening import open_for
from registry.errors import RegistryError
from registry.services.disposals import Disposals
from registry.services.ingest.catalog_import import CatalogError, ImportOptions, import_catalog
from registry.services.ingest.demo import DEMO_FILE
from registry.services.ingest.loader import SYSTEM, load_file, plan, write_all

app = typer.Typer()


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
        fail(f"no such file: {file}")
    registry = open_for(data)
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
        report_error(e)
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
    registry = open_for(data, reading=True)
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
    registry = open_for(data)
    try:
        answer = registry.share_checks.run(proposal, SYSTEM)
    except RegistryError as e:
        registry.close()
        report_error(e)
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


audit_app = typer.Typer(help="The audit log: verify the hash chain.", no_args_is_help=True)
app.add_typer(audit_app, name="audit")


@audit_app.command("verify")
def audit_verify(data: DataOpt = None) -> None:
    """Recompute the audit chain and every record's state; name the first broken entry (exit 1). While a
    server runs, the store is read as it is when the command starts."""
    registry = open_for(data, reading=True)
    report = registry.audit.verify()
    registry.close()
    typer.echo(json.dumps(report.as_json(), indent=2))
    if not report.ok:
        broken = report.broken or {}
        fail(f"audit chain broken at entry {broken.get('seq')}: {broken.get('problem')}")


@app.command()
def export(
    data: DataOpt = None,
    out: Annotated[Path | None, typer.Option("--out", help="file to write (default: standard output)")] = None,
) -> None:
    """Export every quad of the store as N-Quads (load it back with `registry load`). While a server runs,
    the store is read as it is when the command starts."""
    registry = open_for(data, reading=True)
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
    registry = open_for(data)
    try:
        report = load_file(registry, DEMO_FILE)
    except RegistryError as e:
        registry.close()
        report_error(e)
        return
    registry.close()
    typer.echo(f"demo registry loaded: {report.created} created, {report.updated} updated, "
               f"{len(report.warnings)} warnings", err=True)

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
        fail(f"--as-of takes a date, YYYY-MM-DD: {as_of!r}", 2)
        return
    registry = open_for(data, reading=True)
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
            fail("--steward takes 'Name <email>'", 2)
            return
        default_steward = (m.group(1), m.group(2))
    options = ImportOptions(publisher_default=publisher_default, org_kind=org_kind, steward_default=default_steward,
                            access_default=access_default, lang=lang, format=fmt,
                            allow_private_network=allow_private_network, allow_networks=tuple(allow_network or ()))
    registry = open_for(data)
    try:
        report = import_catalog(registry, source, options)
    except CatalogError as e:
        registry.close()
        fail(e.detail, 2)
        return
    except RegistryError as e:
        registry.close()
        fail(e.detail, 2)
        return
    registry.close()
    typer.echo(json.dumps(report.as_json(), indent=2, ensure_ascii=False))
    for line in report.summary():
        typer.echo(line, err=True)
    if report.rejected:
        raise typer.Exit(1)

