"""The layering: the import-linter contracts in pyproject.toml hold, and the pure core uses no other domain.

import-linter checks the third-party side (no Flask in services and models, no web, database or PDF stack in
the pure core, transitively); the test below checks what a contract cannot say briefly: a pure-core module
imports only its own domain of the product.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "reviewer"


PURE = [
    *sorted((PACKAGE / "policy").rglob("*.py")),
    *sorted((PACKAGE / "toxicity").rglob("*.py")),
    *sorted((PACKAGE / "encoder").rglob("*.py")),
    *[p for p in [PACKAGE / "review" / "workflow.py"] if p.exists()],
]


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    return names


def own_domain(path: Path) -> str:
    return path.relative_to(PACKAGE).parts[0]


@pytest.mark.parametrize("path", PURE, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_pure_core_imports_no_other_domain(path: Path) -> None:
    domain = own_domain(path)
    for module in imported_modules(path):
        if module.split(".")[0] == "reviewer":
            parts = module.split(".")
            assert len(parts) > 1 and parts[1] in (domain, "vocabulary"), (
                f"{path.relative_to(PACKAGE)} imports {module}: the pure core may not use another domain"
            )


def test_the_pure_core_exists() -> None:
    assert PURE, "reviewer/policy, reviewer/toxicity and reviewer/encoder hold the pure core"


def test_the_import_contracts_hold() -> None:
    """`lint-imports` with the contracts of pyproject.toml ([tool.importlinter]); its report names each broken chain."""
    done = subprocess.run([str(Path(sys.executable).with_name("lint-imports")), "--no-cache"], capture_output=True,
                          text=True, timeout=300, cwd=PACKAGE.parent)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "0 broken" in done.stdout


def test_the_linter_passes() -> None:
    """`ruff check` with the rules of pyproject.toml ([tool.ruff]) over the package, tests and benchmarks."""
    done = subprocess.run([str(Path(sys.executable).with_name("ruff")), "check", "--no-cache", "reviewer", "tests", "bench",
                           "setup.py"], capture_output=True, text=True, timeout=300, cwd=PACKAGE.parent)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
