"""Fail when a package imports across the layering rule (ADR 0001).

    core          standard library only
    contracts     core, pydantic
    shared        (no LeadEngine package)
    storage       core, shared
    integrations  core, shared
    api           anything
    nobody imports leadengine_api

Third-party imports of the other packages are proven by their exact-environment test runs;
this check covers what those cannot: the standard-library-only rule and the internal graph.
Usage: python scripts/check_layers.py [REPO_ROOT]
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

PACKAGES = {
    "leadengine_core": "packages/core/src/leadengine_core",
    "leadengine_contracts": "packages/contracts/src/leadengine_contracts",
    "leadengine_shared": "packages/shared/src/leadengine_shared",
    "leadengine_storage": "packages/storage/src/leadengine_storage",
    "leadengine_integrations": "packages/integrations/src/leadengine_integrations",
    "leadengine_api": "apps/api/src/leadengine_api",
}
INTERNAL_ALLOWED = {
    "leadengine_core": set(),
    "leadengine_contracts": {"leadengine_core"},
    "leadengine_shared": set(),
    "leadengine_storage": {"leadengine_core", "leadengine_shared"},
    "leadengine_integrations": {"leadengine_core", "leadengine_shared"},
    "leadengine_api": set(PACKAGES) - {"leadengine_api"},
}
# Third-party allowed at all; None means "whatever the package declares".
EXTERNAL_ALLOWED: dict[str, set[str] | None] = {
    "leadengine_core": set(),
    "leadengine_contracts": {"pydantic", "pydantic_core", "annotated_types", "typing_extensions"},
}
STDLIB = set(sys.stdlib_module_names) | {"__future__"}


def imported_modules(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module))
    return found


def violations(root: Path) -> list[str]:
    problems: list[str] = []
    for package, folder in PACKAGES.items():
        for path in sorted((root / folder).rglob("*.py")):
            for line, module in imported_modules(path):
                top = module.split(".")[0]
                where = f"{path.relative_to(root)}:{line}"
                if top == package or top in STDLIB:
                    continue
                if top in PACKAGES:
                    if top not in INTERNAL_ALLOWED[package]:
                        problems.append(f"{where}: {package} must not import {top}")
                    continue
                allowed = EXTERNAL_ALLOWED.get(package)
                if allowed is not None and top not in allowed:
                    problems.append(f"{where}: {package} must not import third-party {top}")
    return problems


def main(argv: list[str]) -> int:
    root = Path(argv[1]) if len(argv) > 1 else Path(__file__).resolve().parent.parent
    problems = violations(root)
    for problem in problems:
        print(problem)
    print(f"layering: {len(problems)} violation(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
