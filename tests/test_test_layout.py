"""The tests' own layout: fixtures come from conftest.py files, shared helpers from helpers.py.

pytest loads each conftest.py itself; importing one as a module (or importing a test module)
runs its code a second time under another name, registers its fixtures twice and ties test
files together so that moving or deleting one breaks another. Shared functions and data live
in `tests/helpers.py` (or a package's `helpers.py`), fixtures in the conftest hierarchy.
"""

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parent


def forbidden(name: str) -> bool:
    """True for a module path that names a conftest or a test module (`tests.web.test_fuzz`)."""
    last = name.rsplit(".", 1)[-1]
    return last == "conftest" or last.startswith("test_")


def imported_modules(tree: ast.AST, package: tuple[str, ...]) -> list[tuple[int, str]]:
    """Every module an `import` or `from … import` statement of the file names (anywhere in it),
    relative imports resolved against the file's package; `from . import x` yields `pkg.x`."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = list(package[: len(package) - node.level + 1]) if node.level else []
            module = ".".join(base + ([node.module] if node.module else []))
            if node.module:
                found.append((node.lineno, module))
            else:
                found += [(node.lineno, f"{module}.{alias.name}") for alias in node.names]
    return found


def layout_problems(root: Path = TESTS) -> list[str]:
    problems = []
    for path in sorted(root.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        package = path.parent.relative_to(root.parent).parts
        for line, module in sorted(imported_modules(tree, package)):
            if forbidden(module):
                problems.append(f"{path.relative_to(root.parent)}:{line} imports {module}")
    return problems


def test_no_test_file_imports_a_conftest_or_another_test_module():
    assert layout_problems() == []


def test_the_guard_sees_every_kind_of_forbidden_import(tmp_path):
    package = tmp_path / "tests" / "web"
    package.mkdir(parents=True)
    (package / "test_a.py").write_text(
        "from .conftest import submit\n"
        "from tests.core.test_verify import rich_credential\n"
        "from . import test_fuzz\n"
        "import tests.conftest\n"
        "def f():\n    from ..conftest import load_vector\n"
        "from tests.helpers import world_data\n"
        "from .helpers import submit\n",
        encoding="utf-8",
    )
    found = layout_problems(tmp_path / "tests")
    assert found == [
        "tests/web/test_a.py:1 imports tests.web.conftest",
        "tests/web/test_a.py:2 imports tests.core.test_verify",
        "tests/web/test_a.py:3 imports tests.web.test_fuzz",
        "tests/web/test_a.py:4 imports tests.conftest",
        "tests/web/test_a.py:6 imports tests.conftest",
    ]
