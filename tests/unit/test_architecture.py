"""The pure core imports the standard library and its own libraries only."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "reviewer"

# Third-party modules the web side uses; the pure core must not reach them.
FORBIDDEN = {"flask", "flask_login", "flask_wtf", "wtforms", "sqlalchemy", "alembic", "werkzeug", "weasyprint"}

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
def test_pure_core_imports_no_web_and_no_other_domain(path: Path) -> None:
    domain = own_domain(path)
    for module in imported_modules(path):
        top = module.split(".")[0]
        assert top not in FORBIDDEN, f"{path.name} imports {module}"
        if top == "reviewer":
            parts = module.split(".")
            assert len(parts) > 1 and parts[1] == domain, (
                f"{path.relative_to(PACKAGE)} imports {module}: the pure core may not use another domain"
            )


def test_the_pure_core_exists() -> None:
    assert PURE, "reviewer/policy, reviewer/toxicity and reviewer/encoder hold the pure core"
