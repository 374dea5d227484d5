"""The shape the code keeps: thin handlers, a core that names no framework or backend, hooks without path hacks."""

from __future__ import annotations

import ast
from pathlib import Path

from radon.complexity import cc_visit

from functions.config import REPO_ROOT

FUNCTIONS = REPO_ROOT / "functions"
HANDLER_LAYER = [*sorted((FUNCTIONS / "api").glob("*.py")), *sorted((FUNCTIONS / "web").glob("*.py")),
                 FUNCTIONS / "lambda_handler.py"]
MAX_COMPLEXITY = 15


def imported_modules(path: Path) -> set[str]:
    """Absolute names of everything ``path`` imports, relative imports resolved against its package."""
    package = path.relative_to(REPO_ROOT).with_suffix("").parts[:-1]
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = list(package[:len(package) - node.level + 1]) if node.level else []
            module = ".".join(base + ([node.module] if node.module else []))
            names.add(module)
            names.update(f"{module}.{alias.name}" for alias in node.names)
    return names


def test_no_function_of_the_http_layer_is_more_complex_than_fifteen():
    too_complex = [f"{path.relative_to(REPO_ROOT)}:{block.lineno} {block.name} ({block.complexity})"
                   for path in HANDLER_LAYER for block in cc_visit(path.read_text(encoding="utf-8"))
                   if block.complexity > MAX_COMPLEXITY]
    assert too_complex == []


def test_core_imports_no_framework_no_cloud_client_and_no_storage_backend():
    forbidden = ("flask", "werkzeug", "boto3", "botocore", "functions.storage", "functions.api", "functions.web")
    offenders = {}
    for path in sorted((FUNCTIONS / "core").glob("*.py")):
        bad = sorted(name for name in imported_modules(path) if name.startswith(forbidden))
        if bad:
            offenders[path.name] = bad
    assert offenders == {}


def test_core_reads_no_environment():
    readers = [path.name for path in sorted((FUNCTIONS / "core").glob("*.py"))
               if "os.environ" in path.read_text(encoding="utf-8") or "getenv" in path.read_text(encoding="utf-8")]
    assert readers == []


def touches_sys_path(path: Path) -> bool:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return any(isinstance(node, ast.Attribute) and node.attr == "path" and isinstance(node.value, ast.Name)
               and node.value.id == "sys" for node in ast.walk(tree))


def test_build_hooks_never_edit_the_import_path(tmp_path):
    edits = [str(path.relative_to(REPO_ROOT)) for path in sorted((REPO_ROOT / "theme" / "hooks").rglob("*.py"))
             if touches_sys_path(path)]
    assert edits == []
    sample = tmp_path / "hook.py"
    sample.write_text("import sys\nsys.path.insert(0, '..')\n", encoding="utf-8")
    assert touches_sys_path(sample)  # the detector itself works


def test_the_import_checker_sees_relative_imports():
    # The guard above is only as good as this: a relative import of storage from core must be seen.
    sample = FUNCTIONS / "core" / "tips.py"
    assert "functions.core.store" in imported_modules(sample) or "functions.core.store.AlreadyExists" in imported_modules(sample)
