"""The layering check itself: it passes on this tree and catches each kind of violation."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHECK = ROOT / "scripts" / "check_layers.py"


def run_check(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(CHECK), str(root)], capture_output=True, text=True, check=False
    )


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    for folder in ("packages", "apps"):
        shutil.copytree(ROOT / folder, tmp_path / folder, ignore=shutil.ignore_patterns("tests"))
    return tmp_path


def test_this_repository_respects_the_layers() -> None:
    result = run_check(ROOT)
    assert result.returncode == 0, result.stdout


@pytest.mark.parametrize(
    ("package", "source", "message"),
    [
        ("core", "import sqlalchemy\n", "third-party sqlalchemy"),
        ("core", "from pydantic import BaseModel\n", "third-party pydantic"),
        ("core", "import leadengine_shared\n", "must not import leadengine_shared"),
        ("contracts", "import httpx\n", "third-party httpx"),
        ("storage", "import leadengine_api\n", "must not import leadengine_api"),
        ("integrations", "from leadengine_storage import tables\n", "import leadengine_storage"),
    ],
)
def test_a_violation_fails_the_check(tree: Path, package: str, source: str, message: str) -> None:
    module = f"packages/{package}/src/leadengine_{package}/bad.py"
    (tree / module).write_text(source)
    result = run_check(tree)
    assert result.returncode == 1
    assert message in result.stdout
    assert module in result.stdout
