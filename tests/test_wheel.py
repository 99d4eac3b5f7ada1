"""The wheel installs and works outside the checkout: `pip wheel` carries ontology/, shapes/ and sparql/
inside the package, and in a fresh venv (dependencies from the index) `registry demo`, `registry validate`
and `registry ontology check` run from a folder elsewhere; without Java the check says so in one line."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.slow  # builds a wheel and installs it with its dependencies (pip's cache helps)


def run(args: list[str | Path], cwd: Path, env: dict[str, str] | None = None,
        timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


def test_the_wheel_installs_and_runs_outside_the_checkout(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    built = run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", ROOT, "-w", dist], cwd=ROOT)
    assert built.returncode == 0, built.stderr
    (wheel,) = dist.glob("gov_data_registry-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for folder, pattern in (("ontology", "**/*.ttl"), ("shapes", "*.ttl"), ("sparql", "*.rq")):
        files = {f"registry/_resources/{p.relative_to(ROOT).as_posix()}" for p in (ROOT / folder).glob(pattern)}
        assert files and files <= names, f"the wheel lacks {folder}/: {sorted(files - names)[:3]}"
    catalogues = {f"registry/web/locale/{lang}/LC_MESSAGES/messages.po" for lang in ("en", "fr")}
    assert catalogues <= names, "the wheel lacks the message catalogues"

    # a fresh venv, filled by this interpreter's pip (no ensurepip, no .pyc of plotly's thousands of modules)
    venv = tmp_path / "venv"
    assert run([sys.executable, "-m", "venv", "--without-pip", venv], cwd=tmp_path).returncode == 0
    python, registry = venv / "bin" / "python", venv / "bin" / "registry"
    installed = run([sys.executable, "-m", "pip", "--python", python, "install", "-q", "--no-compile", wheel],
                    cwd=tmp_path)
    assert installed.returncode == 0, installed.stderr

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("REGISTRY_") and k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}
    root = run([python, "-c", "from registry.resources import Resources; print(Resources().root)"], elsewhere, env)
    assert root.returncode == 0, root.stderr
    french = run([python, "-c", "from registry.web.i18n import gettext; print(gettext('fr', 'Search'))"], elsewhere, env)
    assert french.stdout.strip() == "Rechercher", french.stdout + french.stderr
    assert Path(root.stdout.strip()).is_relative_to(venv), "resources come from the installed package"

    data = elsewhere / "store"
    demo = run([registry, "demo", "--data", data], elsewhere, env)
    assert demo.returncode == 0, demo.stderr
    assert "demo registry loaded" in demo.stderr
    validate = run([registry, "validate", "--data", data], elsewhere, env)
    assert validate.returncode == 0, validate.stdout + validate.stderr
    assert json.loads(validate.stdout)["conforms"] is True

    check = run([registry, "ontology", "check"], elsewhere, env)
    if shutil.which("java", path=env.get("PATH")):
        assert check.returncode == 0, check.stdout + check.stderr
        assert "consistent" in check.stdout
    else:
        assert check.returncode == 2, check.stdout + check.stderr
    # with no Java on the PATH the check cannot run: exit 2 and one line naming what to install
    no_java = run([registry, "ontology", "check"], elsewhere, {**env, "PATH": str(venv / "bin")})
    assert no_java.returncode == 2, no_java.stdout + no_java.stderr
    (line,) = no_java.stderr.strip().splitlines()
    assert "Java" in line and "install" in line and "default-jre-headless" in line
