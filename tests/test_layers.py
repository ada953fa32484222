"""The packages depend one way: core ← domain ← rendering ← services/store ← web/cli.

Every import statement counts, at module level or inside a function. The engine (issuer.core)
imports nothing of the project outside itself and none of the service's packages, so that it
installs and runs as a library; pyproject.toml and the README's set-up commands say the same.
"""

import ast
import re
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ISSUER = ROOT / "issuer"
SERVICE_PACKAGES = {"flask", "flask_wtf", "flask_babel", "werkzeug", "wtforms", "sqlalchemy",
                    "alembic", "psycopg", "gunicorn", "argon2", "babel"}
RENDERING_PACKAGES = {"reportlab", "qrcode", "PIL"}
# What each layer may import from the project: itself and the layers below it.
ALLOWED = {
    "issuer.core": ("issuer.core",),
    "issuer.domain": ("issuer.core", "issuer.domain"),
    "issuer.rendering": ("issuer.core", "issuer.domain", "issuer.rendering"),
}


def module_name(path: Path, root: Path = ROOT) -> str:
    parts = path.relative_to(root).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path, root: Path = ROOT) -> set[str]:
    """Every module `path` imports, relative imports resolved, wherever the statement is."""
    name = module_name(path, root)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            parts = package.split(".")
            base = parts[: len(parts) - node.level + 1] if node.level else []
            target = ".".join(base + ([node.module] if node.module else []))
            found.add(target)
            if node.module is None:
                found |= {f"{target}.{alias.name}" for alias in node.names}
    return found


def modules_of(layer: str) -> list[Path]:
    return sorted((ROOT / layer.replace(".", "/")).rglob("*.py"))


@pytest.mark.parametrize("layer", sorted(ALLOWED))
def test_a_layer_imports_only_itself_and_the_layers_below(layer):
    wrong = {
        f"{module_name(path)} imports {target}"
        for path in modules_of(layer)
        for target in imports_of(path)
        if target.split(".")[0] == "issuer" and not target.startswith(ALLOWED[layer])
    }
    assert wrong == set()


@pytest.mark.parametrize("layer", sorted(ALLOWED))
def test_no_layer_below_the_service_imports_a_service_package(layer):
    forbidden = SERVICE_PACKAGES | (RENDERING_PACKAGES if layer != "issuer.rendering" else set())
    wrong = {
        f"{module_name(path)} imports {target}"
        for path in modules_of(layer)
        for target in imports_of(path)
        if target.split(".")[0] in forbidden
    }
    assert wrong == set()


def test_the_import_walk_sees_relative_and_function_level_imports(tmp_path):
    package = tmp_path / "issuer" / "core"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    module = package / "probe.py"
    module.write_text("from . import jsonld\nfrom .keys import PrivateKey\n"
                      "def later():\n    from issuer.web import create_app\n    import flask\n")
    expected = {"issuer.core.jsonld", "issuer.core.keys", "issuer.web", "flask"}
    assert imports_of(module, tmp_path) >= expected


# Below the shells, settings arrive with the database session (issuer.services.base.settings_of)
# or as arguments: these layers may name the Settings type, never read a global configuration.
SETTINGS_FREE = ("issuer.core", "issuer.domain", "issuer.rendering", "issuer.services")


def configuration_reads(path: Path, root: Path = ROOT) -> set[str]:
    """What `path` takes from issuer.config other than the `Settings` type, wherever it does."""
    package = module_name(path, root).rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name == "issuer.config"}
        elif isinstance(node, ast.ImportFrom):
            parts = package.split(".")
            base = parts[: len(parts) - node.level + 1] if node.level else []
            target = ".".join(base + ([node.module] if node.module else []))
            names = {f"{target}.{alias.name}" for alias in node.names}
            found |= {name for name in names
                      if name.startswith("issuer.config.") and name != "issuer.config.Settings"}
            found |= {name for name in names if name == "issuer.config"}
    return found


@pytest.mark.parametrize("layer", SETTINGS_FREE)
def test_no_layer_below_the_shells_reads_a_global_configuration(layer):
    wrong = {f"{module_name(path)} imports {name}"
             for path in modules_of(layer) for name in configuration_reads(path)}
    assert wrong == set()


def test_the_configuration_walk_sees_every_way_to_the_global(tmp_path):
    package = tmp_path / "issuer" / "services"
    package.mkdir(parents=True)
    module = package / "probe.py"
    module.write_text("from issuer.config import Settings, settings\n"
                      "def later():\n    import issuer.config\n    from issuer import config\n"
                      "    from ..config import activate\n")
    assert configuration_reads(module, tmp_path) == {
        "issuer.config.settings", "issuer.config", "issuer.config.activate"}


def test_installing_the_engine_pulls_in_no_service_package():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]
    names = {re.split(r"[\[<>=!~ ]", requirement)[0].lower().replace("-", "_")
             for requirement in project["dependencies"]}
    assert names & {p.lower() for p in SERVICE_PACKAGES | RENDERING_PACKAGES | {"pillow"}} == set()
    extras = project["optional-dependencies"]
    assert "sky-badges[rendering]" in extras["service"]
    assert "sky-badges[service]" in extras["test"]


def test_the_readme_installs_the_service_for_serving_and_everything_for_testing():
    readme = (ROOT / "README.md").read_text("utf-8")
    serve = ("python3 -m venv .venv && .venv/bin/pip install -e '.[service]' "
             "&& .venv/bin/sky-badges serve")
    test = ("python3 -m venv .venv && .venv/bin/pip install -e '.[test]' "
            "&& .venv/bin/python -m pytest")
    assert serve in readme
    assert test in readme
    assert test in (ROOT / ".ci" / "run").read_text("utf-8").splitlines()
