"""The layering: the import-linter contracts in pyproject.toml hold, and the pure core uses no other domain.

import-linter checks the third-party side (no Flask in services and models, no web, database or PDF stack in
the pure core, transitively); the tests below check what a contract cannot say briefly: a pure-core module
imports only its own domain of the product, and each name is imported from the module that defines it (only a
package's `__init__` re-exports, as the short facade other packages use).
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "reviewer"


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


# --- One place for each name -------------------------------------------------------------------------------


def _module_file(module: str) -> Path | None:
    base = ROOT.joinpath(*module.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _absolute(node: ast.ImportFrom, path: Path) -> str | None:
    """The module an ImportFrom names, with relative imports made absolute (None outside the repository)."""
    if node.level == 0:
        return node.module
    package = path.relative_to(ROOT).with_suffix("").parts[: -node.level]
    return ".".join([*package, *([node.module] if node.module else [])])


def _top_level(tree: ast.Module) -> list[ast.stmt]:
    """Module-level statements, including those under a module-level if/try/with."""
    found: list[ast.stmt] = []
    todo: list[ast.stmt] = list(tree.body)
    while todo:
        node = todo.pop()
        found.append(node)
        if isinstance(node, (ast.If, ast.Try, ast.With)):
            todo += [*node.body, *getattr(node, "orelse", []), *getattr(node, "finalbody", [])]
            todo += [stmt for handler in getattr(node, "handlers", []) for stmt in handler.body]
    return found


def _imported_only(path: Path) -> set[str]:
    """Names a module binds by importing them and in no other way: what it could only re-export."""
    imported: set[str] = set()
    defined: set[str] = set()
    for node in _top_level(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):  # `import x` binds a module, which nobody mistakes for a definition
            imported.update(alias.asname or alias.name for alias in node.names)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            defined.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            defined.update(n.id for target in targets for n in ast.walk(target) if isinstance(n, ast.Name))
    return imported - defined


def _source_files() -> list[Path]:
    files = [*PACKAGE.rglob("*.py"), *(ROOT / "tests").rglob("*.py"), *(ROOT / "bench").rglob("*.py")]
    return sorted(p for p in files if "node_modules" not in p.parts)


def test_names_are_imported_from_the_module_that_defines_them() -> None:
    """`from reviewer.x.y import name` where y only imports `name` itself is a second door to it: use the first.

    A package's `__init__` may re-export (the facade other packages use); a plain module may not.
    """
    only_imported: dict[str, set[str]] = {}

    def reexported(module: str) -> set[str]:
        if module not in only_imported:
            source = _module_file(module)
            plain = source is not None and source.name != "__init__.py"
            only_imported[module] = _imported_only(source) if plain else set()
        return only_imported[module]

    wrong: list[str] = []
    for path in _source_files():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        modules: dict[str, str] = {}  # a name bound to a plain module of ours (`from reviewer.x import services as x`)
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (module := _absolute(node, path)) and module.startswith("reviewer"):
                for alias in node.names:
                    if alias.name in reexported(module):
                        wrong.append(f"{path.relative_to(ROOT)}:{node.lineno}: {alias.name} from {module}, which imports it")
                    elif _module_file(f"{module}.{alias.name}") is not None:
                        modules[alias.asname or alias.name] = f"{module}.{alias.name}"
            elif isinstance(node, ast.Import):
                modules.update({alias.asname: alias.name for alias in node.names if alias.asname})
        patched = {  # monkeypatch.setattr(module, "name", ...) replaces the name where it is used: the right door
            (call.args[0].id, call.args[1].value) for call in ast.walk(tree)
            if isinstance(call, ast.Call) and ast.unparse(call.func) == "monkeypatch.setattr" and len(call.args) > 1
            and isinstance(call.args[0], ast.Name) and isinstance(call.args[1], ast.Constant)
        }
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in modules:
                module = modules[node.value.id]
                if (module.startswith("reviewer") and node.attr in reexported(module)
                        and (node.value.id, node.attr) not in patched):
                    wrong.append(f"{path.relative_to(ROOT)}:{node.lineno}: {node.value.id}.{node.attr} through {module}, "
                                 "which imports it")
    assert not wrong, "import each name from the module that defines it:\n" + "\n".join(wrong)


def test_only_a_package_init_lists_imported_names_in_all() -> None:
    """An `__all__` in a plain module names what the module defines, so it cannot bring a re-export facade back."""
    wrong: list[str] = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.name == "__init__.py":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in tree.body:
            if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "__all__" for t in node.targets):
                listed = {elt.value for elt in getattr(node.value, "elts", []) if isinstance(elt, ast.Constant)}
                if reexported := sorted(listed & _imported_only(path)):
                    wrong.append(f"{path.relative_to(ROOT)}: __all__ lists {', '.join(reexported)}, imported from elsewhere")
    assert not wrong, "\n".join(wrong)


MAX_MODULE_LINES = 400  # issue 18: a module past this is split by concern


def test_no_module_is_longer_than_the_limit() -> None:
    long = {path.relative_to(ROOT).as_posix(): lines for path in sorted(PACKAGE.rglob("*.py"))
            if "migrations" not in path.parts and (lines := len(path.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES}
    assert long == {}, f"split these by concern (at most {MAX_MODULE_LINES} lines each)"
