"""Build every wheel and prove the published dependency promises.

- six wheels are built;
- leadengine-core declares no dependency at all;
- leadengine-contracts declares only pydantic and leadengine-core;
- the core and contracts wheels install alone into a fresh virtualenv and import.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import zipfile
from email.parser import Parser
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
UV = [os.environ.get("UV", "uv")]  # `uv run` names its own binary in $UV
EXPECTED = {
    "leadengine_core",
    "leadengine_contracts",
    "leadengine_shared",
    "leadengine_storage",
    "leadengine_integrations",
    "leadengine_api",
}


def requirement_names(wheel: Path) -> set[str]:
    with zipfile.ZipFile(wheel) as archive:
        name = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        metadata = Parser().parsestr(archive.read(name).decode())
    requirements = [Requirement(r) for r in metadata.get_all("Requires-Dist") or []]
    return {canonicalize_name(r.name) for r in requirements if not r.marker}


def fail(message: str) -> int:
    print(f"FAIL {message}")
    return 1


def main() -> int:
    with tempfile.TemporaryDirectory() as temp:
        out = Path(temp) / "dist"
        build = [*UV, "build", "--all-packages", "--wheel", "-o", str(out), "-q"]
        subprocess.run(build, cwd=ROOT, check=True)
        wheels = {w.name.split("-")[0]: w for w in out.glob("*.whl")}
        if set(wheels) != EXPECTED:
            return fail(f"expected six wheels, built {sorted(wheels)}")
        print(f"PASS built {len(wheels)} wheels")
        if core_requires := requirement_names(wheels["leadengine_core"]):
            return fail(f"leadengine-core must declare no dependency, declares {core_requires}")
        print("PASS leadengine-core has no Requires-Dist")
        contracts = requirement_names(wheels["leadengine_contracts"])
        if contracts != {"pydantic", "leadengine-core"}:
            return fail(f"leadengine-contracts must require only pydantic and core: {contracts}")
        print("PASS leadengine-contracts requires only pydantic and leadengine-core")
        venv = Path(temp) / "venv"
        subprocess.run([*UV, "venv", "-q", str(venv)], check=True)
        python = venv / "bin" / "python"
        subprocess.run(
            [
                *UV,
                "pip",
                "install",
                "-q",
                "--python",
                str(python),
                str(wheels["leadengine_core"]),
                str(wheels["leadengine_contracts"]),
            ],
            check=True,
        )
        probe = "import leadengine_core, leadengine_contracts; print('imported')"
        result = subprocess.run(
            [str(python), "-c", probe], capture_output=True, text=True, check=False
        )
        if result.returncode != 0:
            return fail(f"core and contracts do not import alone:\n{result.stderr}")
        print("PASS core and contracts wheels install and import in a fresh venv")
    return 0


if __name__ == "__main__":
    sys.exit(main())
