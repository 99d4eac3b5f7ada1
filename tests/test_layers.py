"""The layers of src/registry (DESIGN.md §7): api, cli and web over services, over domain, projections and
shacl, over store, over the base modules. Nothing imports from a layer above it, and no import of our own
modules hides inside a function (that is how cycles get dodged)."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "registry"
#: the top-level modules anyone may import
BASE = {"__init__", "config", "errors", "namespaces", "resources", "stopping", "iris"}
#: `registry.__main__` (`python -m registry`) is the command line's entry point, above it
RANK = {"base": 0, "store": 1, "domain": 2, "projections": 3, "shacl": 3, "services": 4, "api": 5, "web": 5, "cli": 6,
        "__main__": 7}


def layer(module: str) -> str:
    """`registry.services.records` -> services; `registry.config` -> base."""
    parts = module.split(".")
    if len(parts) < 2 or parts[1] in BASE:
        return "base"
    return parts[1]


def modules() -> dict[str, Path]:
    out = {}
    for p in SRC.rglob("*.py"):
        rel = p.relative_to(SRC.parent).with_suffix("")
        out[".".join(rel.parts).removesuffix(".__init__")] = p
    return out


def imports(path: Path) -> list[tuple[str, bool, int]]:
    """(module imported, inside a function, line) for each import of one of ours."""
    tree = ast.parse(path.read_text(), str(path))
    found: list[tuple[str, bool, int]] = []

    def visit(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            inner = in_function or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef)
            if isinstance(child, ast.ImportFrom) and child.module and child.level == 0:
                if child.module == "registry" or child.module.startswith("registry."):
                    found.append((child.module, in_function, child.lineno))
            elif isinstance(child, ast.Import):
                found.extend((a.name, in_function, child.lineno) for a in child.names if a.name.startswith("registry."))
            visit(child, inner)

    visit(tree, False)
    return found


def test_nothing_imports_from_a_layer_above() -> None:
    wrong = []
    for name, path in modules().items():
        for target, _, line in imports(path):
            if RANK[layer(target)] > RANK[layer(name)]:
                wrong.append(f"{path.relative_to(SRC)}:{line} ({layer(name)}) imports {target} ({layer(target)})")
    assert wrong == []


def test_no_import_of_ours_hides_in_a_function() -> None:
    hidden = [f"{path.relative_to(SRC)}:{line} imports {target}"
              for path in modules().values() for target, inside, line in imports(path) if inside]
    assert hidden == []


def test_every_module_says_what_it_is_for() -> None:
    missing = [str(p.relative_to(SRC)) for p in modules().values() if ast.get_docstring(ast.parse(p.read_text())) is None]
    assert missing == []
