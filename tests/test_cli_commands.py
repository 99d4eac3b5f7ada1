"""The `registry` command line's commands, each in a module by what it needs (cli/main.COMMANDS): every command
is there, and a command that does not serve runs without importing the web stack."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from helpers import DATA
from registry.cli.main import COMMANDS, app, module_commands

#: what only the server needs: FastAPI, uvicorn, the app and its routers
WEB_STACK = ("fastapi", "starlette", "uvicorn", "registry.api.app")


def test_every_command_of_the_modules_is_listed_and_found() -> None:
    defined = {name: module for module in set(COMMANDS.values()) for name in module_commands(module)}
    assert defined == COMMANDS
    listed = CliRunner().invoke(app, ["--help"])
    assert listed.exit_code == 0
    for name in COMMANDS:
        assert f" {name} " in listed.stdout
        helped = CliRunner().invoke(app, [*name.split(), "--help"])
        assert helped.exit_code == 0 and f" {name} [OPTIONS]" in " ".join(helped.stdout.split())


def test_an_unknown_command_is_refused_with_the_nearest_names() -> None:
    result = CliRunner().invoke(app, ["no-such-command"])
    assert result.exit_code == 2 and "No such command" in result.stderr
    result = CliRunner().invoke(app, ["lod"])
    assert result.exit_code == 2 and "Did you mean 'load'?" in result.stderr


def imported_by(args: list[str]) -> tuple[int, list[str]]:
    """Run `registry ARGS` in a fresh interpreter: its exit code and the modules of the web stack it imported."""
    code = ("import json, sys\nfrom registry.cli.main import main\nsys.argv = ['registry', *json.loads(sys.argv[1])]\n"
            "try:\n    main()\nexcept SystemExit as e:\n    code = e.code or 0\n"
            f"print(json.dumps([code, sorted(m for m in sys.modules if m in {list(WEB_STACK)!r})]))")
    done = subprocess.run([sys.executable, "-c", code, json.dumps(args)], capture_output=True, text=True, check=True,
                          timeout=120)
    exit_code, modules = json.loads(done.stdout.strip().splitlines()[-1])
    return exit_code, modules


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store on disk that `registry load` filled, without importing the web stack."""
    store = tmp_path_factory.mktemp("cli") / "store"
    assert imported_by(["load", str(DATA / "records.ttl"), "--data", str(store)]) == (0, [])
    return store


@pytest.mark.parametrize("args", [
    ["validate", "--data", "{store}"],
    ["export", "--data", "{store}", "--out", "{out}"],
    ["backup", "{backup}", "--data", "{store}"],
    ["ontology", "check", "--help"],
    ["token", "list", "--data", "{store}"],
])
def test_commands_that_do_not_serve_leave_the_web_stack_out(args: list[str], loaded: Path, tmp_path: Path) -> None:
    paths = {"store": loaded, "out": tmp_path / "out.nq", "backup": tmp_path / "backup"}
    assert imported_by([a.format(**paths) for a in args]) == (0, [])


def test_serve_brings_the_web_stack() -> None:
    assert imported_by(["serve", "--help"]) == (0, sorted(WEB_STACK))


def test_python_dash_m_registry_is_the_command_line(loaded: Path) -> None:
    """`python -m registry` runs the same commands, with the same exit codes, as the console script."""
    listed = subprocess.run([sys.executable, "-m", "registry", "--help"], capture_output=True, text=True, timeout=120)
    assert listed.returncode == 0 and all(f" {name.split()[0]} " in listed.stdout for name in COMMANDS)
    tokens = subprocess.run([sys.executable, "-m", "registry", "token", "list", "--data", str(loaded)],
                            capture_output=True, text=True, timeout=120)
    assert tokens.returncode == 0
    refused = subprocess.run([sys.executable, "-m", "registry", "no-such-command"], capture_output=True, text=True,
                             timeout=120)
    assert refused.returncode == 2 and "No such command" in refused.stderr
