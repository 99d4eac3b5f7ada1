"""`registry ontology check`: the reasoner's quality gate, without opening the store."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from registry.cli.common import fail
from registry.config import Settings
from registry.resources import Resources
from registry.services.ontology_check import OntologyCheckError, check

app = typer.Typer()

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
        fail(str(e), 2)
        return
    if as_json:
        typer.echo(json.dumps(report.as_json(), indent=2))
    if not report.ok:
        fail(report.message())
    if not as_json:
        typer.echo(f"ontology: {report.message()}")

