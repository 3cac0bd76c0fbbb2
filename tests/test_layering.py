"""The layering contract (pyproject.toml, checked by `make lint`): it holds on this tree,
and it fails on a planted upward import, so the check is known to bite."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("theset", "integrations", "catalog", "shows", "imports", "sandbox")
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint_imports(tree: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=tree,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(tree)},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture(scope="module")
def tree(tmp_path_factory) -> Path:
    """A copy of the project's packages and contract, to plant imports in."""
    tree = tmp_path_factory.mktemp("layering")
    for package in PACKAGES:
        shutil.copytree(
            ROOT / package, tree / package, ignore=shutil.ignore_patterns("__pycache__")
        )
    shutil.copy(ROOT / "pyproject.toml", tree / "pyproject.toml")
    return tree


def test_the_tree_keeps_the_contract(tree):
    result = lint_imports(tree)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Contracts: 2 kept, 0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "planted", "contract"),
    [
        ("catalog/rules.py", "import imports.models", "Dependencies point one way"),
        ("integrations/http/errors.py", "import catalog.models", "Dependencies point one way"),
        ("theset/health.py", "import shows.models", "Dependencies point one way"),
        ("shows/services.py", "import sandbox.world", "The sandbox is imported only"),
    ],
    ids=[
        "catalog-imports-imports",
        "integrations-imports-catalog",
        "theset-imports-shows",
        "app-imports-sandbox",
    ],
)
def test_a_planted_upward_import_breaks_the_contract(tree, module, planted, contract):
    path = tree / module
    original = path.read_text()
    path.write_text(f"{original}\n{planted}  # planted by the test\n")
    try:
        result = lint_imports(tree)
    finally:
        path.write_text(original)
    assert result.returncode != 0
    assert "1 broken" in result.stdout, result.stdout
    assert contract in result.stdout.split("Broken contracts")[-1]
