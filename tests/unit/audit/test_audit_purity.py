"""The audit package never imports Flask (but for its blueprint, views.py); the chain rules and
the reference rules import the standard library only."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

AUDIT = Path(__file__).resolve().parents[3] / "reviewer" / "audit"
WEB = {"flask", "flask_login", "flask_wtf", "wtforms", "werkzeug"}
WEB_LAYER = {"views.py"}  # the audit browser's blueprint: the web edge, like every domain's views
SHARED_PURE = {"reviewer.vocabulary", "reviewer.numbers"}  # top-level modules that import the standard library only


def imported_top_level(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_the_audit_package_never_imports_flask() -> None:
    files = sorted(AUDIT.glob("*.py"))
    assert len(files) >= 6
    for path in files:
        if path.name in WEB_LAYER:
            continue
        assert not imported_top_level(path) & WEB, f"{path.name} imports a web library"


def test_the_chain_rules_use_the_standard_library_only() -> None:
    for name in ("chain.py", "refs.py", "offline.py"):
        imports = imported_top_level(AUDIT / name) - {"__future__"}
        if name == "offline.py":  # the export check builds on the chain rules, and nothing else
            assert own_imports(AUDIT / name) == {"reviewer.audit.chain"}
            imports -= {"reviewer"}
        if name in ("refs.py", "chain.py"):  # the shared words and the one number parser: standard library only
            assert own_imports(AUDIT / name) <= SHARED_PURE
            for shared in SHARED_PURE:
                module_file = AUDIT.parent / f"{shared.split('.')[1]}.py"
                assert imported_top_level(module_file) - {"__future__"} <= sys.stdlib_module_names, shared
            imports -= {"reviewer"}
        assert imports <= sys.stdlib_module_names, (name, imports - sys.stdlib_module_names)


def own_imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {
        node.module for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("reviewer")
    }
