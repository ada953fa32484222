"""A session's roster from real files (CSV with a BOM and semicolons, .xlsx written by
openpyxl): every row enrolled with its consent, or none at all."""

from __future__ import annotations

import io
import zipfile

import pytest
from openpyxl import Workbook
from sqlalchemy import select

from issuer.cli import main
from issuer.services import consent, rosters, tables, unit_of_work
from issuer.services.base import PermissionDenied
from issuer.store.models import Assessment, Learner
from tests.helpers import count, partner

HEADER = "name;email;language;consent_name;consent_email;consent_photo;consent_statistics"


def csv_file(*rows: str) -> bytes:
    """A roster as Excel saves 'CSV UTF-8' in a French locale: BOM, semicolons, CRLF."""
    return ("\ufeff" + "\r\n".join([HEADER, *rows]) + "\r\n").encode("utf-8")


def xlsx_file(rows: list[list]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Name", "Email", "Language", "consent_name", "consent_email",
                  "consent_photo", "consent_statistics"])
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def enrolled(db, world) -> dict[str, Learner]:
    return {a.learner.name: a.learner for a in db.scalars(
        select(Assessment).where(Assessment.session_id == world.session.id))}


def test_a_csv_roster_enrols_each_learner_with_their_answers(db, world):
    data = csv_file("Zoé Martin;zoe.m@example.org;fr;oui;oui;non;oui",
                    "Łucja Żółkiewska;;pl;yes;;;x")
    with unit_of_work(db):
        done = rosters.import_roster(db, world.session, data, world.trainer)
    assert [(item.line, item.name, item.outcome) for item in done] == [
        (2, "Zoé Martin", "added"), (3, "Łucja Żółkiewska", "added")]
    learners = enrolled(db, world)
    assert consent.answers_of(learners["Zoé Martin"]) == consent.Consent(True, True, False, True)
    assert consent.answers_of(learners["Łucja Żółkiewska"]) == consent.Consent(
        name=True, statistics=True)
    assert learners["Łucja Żółkiewska"].language == "pl"
    assert {row.recorded_by_id for row in learners["Zoé Martin"].consents} == {world.trainer.id}
    assert all(not a.levels for a in db.scalars(select(Assessment)))  # nothing evaluated


def test_an_xlsx_roster_made_with_a_spreadsheet_is_read(db, world):
    data = xlsx_file([["Ana Gómez", "ana@example.org", "es", True, "yes", None, 1],
                      [None, None, None, None, None, None, None],
                      ["Jan Kowalski", None, None, "no", "no", "no", "no"]])
    with unit_of_work(db):
        done = rosters.import_roster(db, world.session, data, world.trainer)
    assert [(item.line, item.name) for item in done] == [(2, "Ana Gómez"), (4, "Jan Kowalski")]
    ana = enrolled(db, world)["Ana Gómez"]
    assert (ana.email, consent.answers_of(ana)) == ("ana@example.org", consent.Consent(
        name=True, email=True, statistics=True))


def test_one_bad_row_imports_nothing_and_every_problem_is_named(db, world):
    data = csv_file("Zoé Martin;zoe.m@example.org;fr;oui;oui;non;oui",
                    ";not-an-address;fr;oui;oui;oui;oui",
                    "Ana;;klingon-xx-yy;peut-être;;;",
                    "Zoé Martin;ZOE.M@example.org;fr;oui;;;")
    with pytest.raises(rosters.RosterRejected) as rejected, unit_of_work(db):
        rosters.import_roster(db, world.session, data, world.trainer)
    assert [(line, str(message)) for line, message in rejected.value.problems] == [
        (3, "name: is empty; email: 'not-an-address' is not an e-mail address"),
        (4, "language: 'klingon-xx-yy' is not a language code like en, fr or nl-BE; "
            "consent_name: 'peut-être' is not an answer; write yes or no (empty is no)"),
        (5, "same learner as line 2")]
    assert count(db, Learner) == 2  # the world's two, nobody new
    assert count(db, Assessment) == 0


def test_a_roster_imported_twice_is_refused_the_second_time(db, world):
    data = csv_file("Zoé Martin;;fr;oui;;;")
    with unit_of_work(db):
        rosters.import_roster(db, world.session, data, world.trainer)
    with pytest.raises(rosters.RosterRejected) as rejected:
        rosters.import_roster(db, world.session, data, world.trainer)
    assert [(line, str(message)) for line, message in rejected.value.problems] == [
        (2, "already in this session")]


def test_a_learner_the_organisation_knows_joins_as_themselves(db, world):
    with unit_of_work(db):
        world.learners[0].email = "zoe@example.org"
    data = csv_file(f"{world.learners[0].name};zoe@example.org;fr;oui;non;non;non")
    with unit_of_work(db):
        done = rosters.import_roster(db, world.session, data, world.trainer)
    assert done[0].outcome == "known"
    assert count(db, Learner) == 2
    assert consent.answers_of(world.learners[0]) == consent.Consent(name=True)


def test_the_header_must_name_the_consent_columns_and_nothing_else(db, world):
    with pytest.raises(tables.TableError, match=r"unknown column\(s\) dig-hole; missing "
                       r"column\(s\) consent_name, consent_email, consent_photo"):
        rosters.check(b"name,dig-hole,consent_statistics\nZo\xc3\xa9,acquired,yes\n")


def test_limits_on_size_rows_and_unpacked_spreadsheets():
    with pytest.raises(tables.TableError, match="the limit is 300000 bytes"):
        rosters.check(b"x" * (rosters.MAX_BYTES + 1))
    many = csv_file(*(f"Learner {n};;;;;;" for n in range(rosters.MAX_ROWS + 1)))
    with pytest.raises(tables.TableError, match="more than 200 learners"):
        rosters.check(many)
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"0" * (tables.MAX_UNPACKED_BYTES + 1))
    with pytest.raises(tables.TableError, match="unpacks to more than"):
        rosters.check(bomb.getvalue())
    with pytest.raises(tables.TableError, match="cannot be read"):
        rosters.check(b"PK\x03\x04 not really a zip")
    with pytest.raises(tables.TableError, match="not UTF-8"):
        rosters.check(HEADER.encode() + "\nZoé;;;;;;\n".encode("latin-1"))


def test_another_organisations_account_cannot_import(db, world):
    stranger, _learner = partner(db, "barka")
    with pytest.raises(PermissionDenied):
        rosters.import_roster(db, world.session, csv_file("Zoé;;;;;;"), stranger)


def test_the_command_imports_a_file_and_reports_row_problems(environment, db, world, tmp_path,
                                                            capsys):
    good, bad = tmp_path / "good.csv", tmp_path / "bad.xlsx"
    good.write_bytes(csv_file("Zoé Martin;;fr;oui;;;oui"))
    bad.write_bytes(xlsx_file([["", "x@", None, "yes", "yes", "yes", "yes"]]))
    assert main(["roster", "import", str(world.session.id), str(bad)]) == 2
    err = capsys.readouterr().err
    assert "row 2: name: is empty; email: 'x@' is not an e-mail address" in err
    assert main(["roster", "import", str(world.session.id), str(good)]) == 0
    assert "1 learner(s) enrolled in session" in capsys.readouterr().out
    assert main(["roster", "import", "999999", str(good)]) == 2
    assert "there is no session 999999" in capsys.readouterr().err
    db.expire_all()
    assert "Zoé Martin" in enrolled(db, world)
