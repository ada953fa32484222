"""The service sub-commands of `sky-badges`: db upgrade, templates check/import, demo."""

from __future__ import annotations

import re
import shutil

import pypdfium2
import pytest
import zxingcpp
from sqlalchemy import event, inspect
from sqlalchemy.orm import Session
from sqlalchemy.pool import Pool

from issuer.cli import main
from issuer.services.issuing import credential_for_claim_token
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


def test_cards_back_prints_the_claim_link_the_learner_holds_on_every_print(
        environment, tmp_path, capsys):
    assert main(["demo"]) == 0
    short_id = re.search(r"/v/([0-9A-Z]+)", capsys.readouterr().out).group(1)
    links = []
    for name in ("first.pdf", "reprint.pdf"):
        output = tmp_path / name
        assert main(["cards", short_id, "--layout", "sheet", "--back", "-o", str(output)]) == 0
        fronts, backs = pypdfium2.PdfDocument(output.read_bytes())
        links.append([r.text for r in zxingcpp.read_barcodes(backs.render(scale=3).to_pil())])
        assert [r.text for r in zxingcpp.read_barcodes(fronts.render(scale=3).to_pil())] == [
            f"http://127.0.0.1:5000/v/{short_id}"]
    assert links[0] == links[1] and links[0][0].startswith("http://127.0.0.1:5000/claim/")
    engine = make_engine(environment)
    with Session(engine) as db:
        credential = credential_for_claim_token(db, links[0][0].rsplit("/", 1)[1])
        assert credential.short_id == short_id
    engine.dispose()


def test_cards_without_back_print_no_claim_link(environment, tmp_path, capsys):
    assert main(["demo"]) == 0
    short_id = re.search(r"/v/([0-9A-Z]+)", capsys.readouterr().out).group(1)
    output = tmp_path / "fronts.pdf"
    assert main(["cards", short_id, "--layout", "sheet", "-o", str(output)]) == 0
    assert len(pypdfium2.PdfDocument(output.read_bytes())) == 1


def test_fold_is_for_sheets_only(environment, tmp_path, capsys):
    assert main(["cards", "X", "--fold", "-o", str(tmp_path / "x.pdf")]) == 2
    assert capsys.readouterr().err.strip().endswith("--fold prints a sheet: add --layout sheet")


def test_cards_of_many_credentials_open_the_database_once(environment, tmp_path, capsys):
    assert main(["demo"]) == 0
    short_id = re.search(r"/v/([0-9A-Z]+)", capsys.readouterr().out).group(1)
    connections = []

    def connected(*args):
        connections.append(args)

    event.listen(Pool, "connect", connected)
    try:
        output = tmp_path / "backs.pdf"
        assert main(["cards", short_id, short_id, short_id, "--layout", "sheet", "--back",
                     "-o", str(output)]) == 0
    finally:
        event.remove(Pool, "connect", connected)
    assert len(connections) == 1  # one engine for the command, not one per card
    fronts = pypdfium2.PdfDocument(output.read_bytes())[0]
    assert [r.text for r in zxingcpp.read_barcodes(fronts.render(scale=3).to_pil())] == [
        f"http://127.0.0.1:5000/v/{short_id}"] * 3
