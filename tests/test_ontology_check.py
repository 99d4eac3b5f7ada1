"""The ontology quality gate (`registry ontology check`): HermiT passes our ontology and fails broken
copies of it, naming what is wrong."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import owlready2
import pytest
from typer.testing import CliRunner

from registry.cli.main import app
from registry.resources import Resources
from registry.services.ontology_check import check

ROOT = Path(__file__).resolve().parents[1]
runner = CliRunner()

pytestmark = [
    pytest.mark.slow,  # HermiT runs in a Java process
    pytest.mark.skipif(shutil.which(getattr(owlready2, "JAVA_EXE", "java")) is None,
                       reason="the HermiT reasoner needs Java (.ci/run installs default-jre-headless)"),
]


def broken_copy(tmp_path: Path, *, ontology: str = "", authorities: str = "") -> Path:
    """A copy of ontology/ in a temporary folder, with Turtle appended to registry.ttl or authorities.ttl."""
    root = tmp_path / "resources"
    shutil.copytree(ROOT / "ontology", root / "ontology")
    for name, extra in (("registry.ttl", ontology), ("authorities.ttl", authorities)):
        if extra:
            with (root / "ontology" / name).open("a", encoding="utf-8") as f:
                f.write("\n" + extra)
    return root


def test_our_ontology_is_consistent_and_every_class_satisfiable() -> None:
    result = runner.invoke(app, ["ontology", "check", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["ok"] and report["consistent"] and report["unsatisfiable"] == []
    assert report["classes"] >= 10 and report["properties"] >= 40
    assert report["individuals"] >= 30, "the authority catalogue and vocabularies were loaded as individuals"


def test_an_unsatisfiable_class_fails_the_check_by_name(tmp_path: Path) -> None:
    root = broken_copy(tmp_path, ontology="""
reg:LinkageActivity owl:disjointWith reg:DeidentificationActivity .
reg:LinkedDeidentification a owl:Class ; rdfs:subClassOf reg:LinkageActivity , reg:DeidentificationActivity .
""")
    result = runner.invoke(app, ["ontology", "check", "--resources", str(root)])
    assert result.exit_code == 1
    assert "unsatisfiable" in result.output
    assert "https://w3id.org/gov-data-registry/ns#LinkedDeidentification" in result.output
    assert "LinkageActivity" not in result.output.replace("LinkedDeidentification", "")


def test_an_authority_that_contradicts_the_ontology_makes_it_inconsistent(tmp_path: Path) -> None:
    root = broken_copy(tmp_path, authorities='auth:fippa-42-1-b reg:requiresConsent "only sometimes" .\n')
    result = runner.invoke(app, ["ontology", "check", "--resources", str(root), "--json"])
    assert result.exit_code == 1
    report = json.loads(result.output[:result.output.rindex("}") + 1])
    assert not report["consistent"] and not report["ok"]
    assert report["inconsistency_in"] == "individuals"
    assert any("fippa-42-1-b" in s and "requiresConsent" in s for s in report["suspects"])
    assert "inconsistent" in result.output and "fippa-42-1-b" in result.output.splitlines()[-1]


def test_the_ontology_alone_can_be_checked(tmp_path: Path) -> None:
    """Without individuals the same broken authority passes: the fault is in the data, not the classes."""
    root = broken_copy(tmp_path, authorities='auth:fippa-42-1-b reg:requiresConsent "only sometimes" .\n')
    report = check(Resources(root), individuals=False)
    assert report.ok and report.individuals < 5


def test_without_java_the_check_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(owlready2, "JAVA_EXE", "no-such-java-runtime")
    result = runner.invoke(app, ["ontology", "check"])
    assert result.exit_code == 2
    assert "Java" in result.output
