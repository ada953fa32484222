"""The service sub-commands of `sky-badges`: db upgrade, templates check/import, demo."""

from __future__ import annotations

import shutil

import pytest
from sqlalchemy import inspect

from issuer.cli import main
from issuer.store.db import make_engine
from tests.helpers import TEST_CATALOGUE


@pytest.fixture
def environment(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    for name, value in {
        "DATABASE_URL": url,
        "SKY_INSTANCE_PATH": str(tmp_path / "instance"),
        "SKY_KEY_PASSPHRASE": "cli-test-passphrase",
        "SECRET_KEY": "cli-test-secret",
        "SKY_PASSWORD_TIME_COST": "1",
        "SKY_PASSWORD_MEMORY_COST": "64",
    }.items():
        monkeypatch.setenv(name, value)
    return url


def test_db_upgrade_creates_the_schema(environment, capsys):
    assert main(["db", "upgrade"]) == 0
    assert capsys.readouterr().out == "database schema is up to date\n"
    engine = make_engine(environment)
    tables = set(inspect(engine).get_table_names())
    assert {"credential", "status_slot", "alembic_version"} <= tables
    engine.dispose()


def test_templates_check_passes_a_valid_folder(environment, capsys):
    assert main(["templates", "check", str(TEST_CATALOGUE)]) == 0
    assert capsys.readouterr().out == f"{TEST_CATALOGUE}: catalogue is valid\n"


def test_templates_check_prints_one_line_per_problem_and_exits_1(environment, tmp_path, capsys):
    folder = tmp_path / "broken"
    shutil.copytree(TEST_CATALOGUE, folder)
    path = folder / "trainings" / "tree-planting.toml"
    text = path.read_text("utf-8").replace("duration_hours = 3", "duration_hours = 0.5")
    path.write_text(text.replace('theme = "green-jobs"', 'theme = "blue-jobs"'), "utf-8")
    assert main(["templates", "check", str(folder)]) == 1
    assert capsys.readouterr().out.splitlines() == [
        "trainings/tree-planting.toml: theme: 'blue-jobs' must be one of green-jobs, "
        "local-services, digital-skills",
        "trainings/tree-planting.toml: duration_hours: 0.5 is outside 1.5–24 hours",
    ]


def test_templates_import_adds_new_versions_only(environment, capsys):
    assert main(["templates", "import", str(TEST_CATALOGUE)]) == 0
    assert capsys.readouterr().out == "imported tree-planting version 1.0\n"
    assert main(["templates", "import", str(TEST_CATALOGUE)]) == 0
    assert capsys.readouterr().out == "nothing new to import\n"


def test_demo_seeds_once_and_prints_the_accounts(environment, capsys):
    assert main(["demo"]) == 0
    output = capsys.readouterr().out
    assert "trainer@agfe.sky-badges.test" in output
    assert "A badge to check: http://127.0.0.1:5000/v/" in output
    assert main(["demo"]) == 1
    assert "already has organisations" in capsys.readouterr().err
