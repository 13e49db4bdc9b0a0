"""Core must stay importable with nothing but the standard library installed."""

import ast
import sys
from pathlib import Path

import leadengine_core

PACKAGE = Path(leadengine_core.__file__).parent


def imported_top_level_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_core_imports_only_the_standard_library_and_itself() -> None:
    allowed = set(sys.stdlib_module_names) | {"leadengine_core"}
    modules = sorted(PACKAGE.glob("*.py"))
    offenders = {path.name: sorted(imported_top_level_modules(path) - allowed) for path in modules}

    assert len(modules) > 10
    assert {name: bad for name, bad in offenders.items() if bad} == {}
