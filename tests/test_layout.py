"""Package boundaries that read as the architecture (docs/architecture.md), checked on the imports."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import hookhub

ROOT = Path(hookhub.__file__).parent


def imported_modules(package: str) -> set[str]:
    """Every ``hookhub.*`` module imported by the files of ``package`` (relative imports resolved)."""
    found: set[str] = set()
    base = ROOT / package.replace(".", "/")
    files = [base.with_suffix(".py")] if base.with_suffix(".py").exists() else sorted(base.rglob("*.py"))
    for path in files:
        # the package a file's relative imports start from: hookhub.<folders>
        package_parts = ["hookhub", *path.relative_to(ROOT).parent.parts]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                if node.level:
                    anchor = package_parts[: len(package_parts) - node.level + 1]
                    name = ".".join(anchor + ([node.module] if node.module else []))
                else:
                    name = node.module or ""
                found.add(name)
                found.update(f"{name}.{alias.name}" for alias in node.names)
            elif isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names)
    return {name for name in found if name == "hookhub" or name.startswith("hookhub.")}


@pytest.mark.parametrize(("package", "forbidden"), [
    ("delivery", ("hookhub.outgoing", "hookhub.bridges", "hookhub.web")),
    ("bridges", ("hookhub.outgoing",)),
    ("web", ("hookhub.outgoing", "hookhub.bridges")),
    # the pipeline is below every front end and plugin
    ("pipeline", ("hookhub.web", "hookhub.ui", "hookhub.outgoing", "hookhub.bridges", "hookhub.cli")),
    # the sandbox runs engines; engines know nothing of where they run
    ("engines", ("hookhub.sandbox", "hookhub.pipeline", "hookhub.web", "hookhub.store")),
    ("sandbox", ("hookhub.pipeline", "hookhub.web", "hookhub.ui", "hookhub.store", "hookhub.hub")),
    ("store", ("hookhub.sandbox", "hookhub.engines", "hookhub.pipeline", "hookhub.web")),
    ("config", ("hookhub.sandbox", "hookhub.engines", "hookhub.pipeline", "hookhub.web")),
])
def test_a_package_does_not_import_its_users(package: str, forbidden: tuple[str, ...]) -> None:
    bad = sorted(name for name in imported_modules(package)
                 if any(name == f or name.startswith(f + ".") for f in forbidden))
    assert bad == [], f"hookhub/{package} imports {bad}"


def test_the_resolver_sees_relative_imports() -> None:
    # the check above would pass vacuously if relative imports were not resolved
    assert "hookhub.store" in imported_modules("delivery")
    assert "hookhub.delivery.outbox" in imported_modules("bridges")


def test_the_records_module_is_a_leaf() -> None:
    assert imported_modules("records") == set()


def test_no_module_is_over_500_lines() -> None:
    long = {str(p.relative_to(ROOT)): n for p in ROOT.rglob("*.py")
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > 500}
    assert long == {}, f"split these modules: {long}"


def test_one_class_per_name() -> None:
    seen: dict[str, list[str]] = {}
    for path in sorted(ROOT.rglob("*.py")):
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
                seen.setdefault(node.name, []).append(str(path.relative_to(ROOT)))
    twice = {name: where for name, where in seen.items() if len(where) > 1}
    assert twice == {}, f"two classes share a name: {twice}"


def test_the_architecture_doc_names_every_package_and_rule() -> None:
    doc = (ROOT.parent / "docs" / "architecture.md").read_text(encoding="utf-8")
    packages = sorted(p.name for p in ROOT.iterdir() if p.is_dir() and (p / "__init__.py").exists())
    for package in packages:
        assert f"{package}/" in doc, f"docs/architecture.md does not place the {package} package"
    for stage in ("admission.py", "processing.py", "posting.py", "web/hooks.py"):
        assert stage in doc


#: modules tested only through another module's tests (none today; name the test file that covers one here)
UNTESTED_ALONE: set[str] = set()


def test_every_module_has_a_test_file() -> None:
    """tests/ mirrors the package: hookhub/a/b.py is tested in tests/a/test_b.py, a package's wiring
    (the hooks and factories in its __init__.py) by the tests in tests/a/."""
    tests = ROOT.parent / "tests"
    missing = []
    for path in sorted(ROOT.rglob("*.py")):
        rel = path.relative_to(ROOT)
        if str(rel) in UNTESTED_ALONE:
            continue
        if path.name == "__init__.py":
            tree = ast.parse(path.read_text(encoding="utf-8"))
            if any(isinstance(node, (ast.FunctionDef, ast.ClassDef)) for node in tree.body) \
                    and not any((tests / rel.parent).glob("test_*.py")):
                missing.append(f"{rel} -> tests/{rel.parent}/test_*.py")
        elif not (tests / rel.parent / f"test_{path.stem}.py").exists():
            missing.append(f"{rel} -> tests/{rel.parent / f'test_{path.stem}.py'}".replace("/./", "/"))
    assert missing == [], "modules without a test file of their own:\n" + "\n".join(missing)


def _needs_docstring(name: str) -> bool:
    return not name.startswith(("_", "hookhub_", "visit_"))


def test_public_functions_have_docstrings() -> None:
    """Every public function and every public method of a public class says what it does."""
    bare = []
    for path in sorted(ROOT.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in tree.body:
            members: list[ast.stmt] = [node]
            if isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
                members = node.body
            for member in members:
                if (isinstance(member, (ast.FunctionDef, ast.AsyncFunctionDef)) and _needs_docstring(member.name)
                        and ast.get_docstring(member) is None):
                    bare.append(f"{path.relative_to(ROOT)}:{member.lineno} {member.name}")
    assert bare == [], "public functions without a docstring:\n" + "\n".join(bare)
