"""Bulk issuance from a CSV: reading, per-row checks, dry run, run, re-run."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from issuer.services import NotIssuable, bulk, consent, issuing, unit_of_work
from issuer.services.catalogue import training_of
from issuer.services.learners import create_learner
from issuer.store.models import Assessment, Credential, Learner
from tests.helpers import count

HEADER = "name,email,language,dig-hole,stake-and-water,comment,activity_start,activity_end"
TEMPLATE = HEADER + ",consent_name,consent_email,consent_photo,consent_statistics"


def rows(text: str, world):
    return bulk.parse(bulk.decode(text.encode("utf-8")), training_of(world.template))


def only(results):
    assert len(results) == 1
    return results[0]


# --- reading the file --------------------------------------------------------------------------


def test_template_csv_is_the_header_with_a_byte_order_mark(world):
    assert bulk.template_csv(training_of(world.template)) == "\ufeff" + TEMPLATE + "\r\n"


@pytest.mark.parametrize("text", [
    "\ufeffname,dig-hole,stake-and-water\nZoé,acquired,acquired\n",
    "name;dig-hole;stake-and-water\r\nZoé;acquired;acquired\r\n",
    "\ufeffname;dig-hole;stake-and-water\nZoé;acquired;acquired\n",
])
def test_utf8_with_or_without_bom_comma_or_semicolon_reads_the_same(world, text):
    row = only(rows(text, world))
    assert (row.name, row.levels) == ("Zoé", {"dig-hole": "acquired",
                                              "stake-and-water": "acquired"})


def test_header_is_case_and_space_insensitive(world):
    row = only(rows(" Name , DIG-HOLE ,stake-and-water\nZoé,acquired,not-yet\n", world))
    assert row.levels == {"dig-hole": "acquired", "stake-and-water": "not-yet"}


def test_level_words_fold_to_the_rubric_levels(world):
    row = only(rows("name,dig-hole,stake-and-water\nZoé,Acquired,not yet\n", world))
    assert row.levels == {"dig-hole": "acquired", "stake-and-water": "not-yet"}


def test_a_file_that_is_not_utf8_is_refused_with_a_fix(world):
    with pytest.raises(bulk.BulkFileError, match="save as 'CSV UTF-8'"):
        bulk.decode("name\nZoé\n".encode("latin-1"))


def test_a_file_over_the_size_limit_is_refused():
    with pytest.raises(bulk.BulkFileError, match="the limit is 300000 bytes: split it"):
        bulk.decode(b"x" * (bulk.MAX_BYTES + 1))


def test_an_unknown_column_is_refused_naming_the_expected_ones(world):
    with pytest.raises(bulk.BulkFileError) as error:
        rows("name,dig-hole,stake-and-water,stake_and_water\nZoé,acquired,acquired,x\n", world)
    assert str(error.value) == (
        "header: unknown column(s) stake_and_water. The columns for tree-planting are: "
        + TEMPLATE.replace(",", ", "))


def test_a_missing_gesture_column_is_refused(world):
    with pytest.raises(bulk.BulkFileError, match=r"missing column\(s\) stake-and-water"):
        rows("name,dig-hole\nZoé,acquired\n", world)


def test_an_empty_file_is_refused(world):
    with pytest.raises(bulk.BulkFileError, match="the file is empty"):
        rows("", world)


def test_blank_lines_are_skipped(world):
    parsed = rows("name,dig-hole,stake-and-water\n\n,,\nZoé,acquired,acquired\n", world)
    assert [row.line for row in parsed] == [4]


# --- per-row checks ----------------------------------------------------------------------------


@pytest.mark.parametrize("line, problem", [
    (",,,acquired,acquired,,,", "name: is empty"),
    ("Zoé,zoe@,,acquired,acquired,,,", "email: 'zoe@' is not an e-mail address"),
    ("Zoé,,french,acquired,acquired,,,",
     "language: 'french' is not a language code like en, fr or nl-BE"),
    ("Zoé,,,acquired,,,,", "stake-and-water: is empty; write one of not-yet, acquired"),
    ("Zoé,,,acquired,yes,,,", "stake-and-water: 'yes' is not a level; write one of not-yet, "
                              "acquired"),
    ("Zoé,,,acquired,acquired,,14/03/2026,", "activity_start: '14/03/2026' is not a date like "
                                             "2025-03-14"),
    ("Zoé,,,acquired,acquired,,2026-03-14,2026-03-13",
     "activity_end: 2026-03-13 is before activity_start 2026-03-14"),
    ("Zoé,,,acquired,acquired,,,,extra", "9 cells but the header has 8 columns"),
])
def test_a_bad_row_is_an_error_naming_the_column(world, line, problem):
    result = only(rows(f"{HEADER}\n{line}\n", world))
    assert (result.verdict, result.line, result.problems) == (bulk.ERROR, 2, [problem])


def test_the_same_learner_twice_is_an_error_on_the_second_line(world):
    parsed = rows(f"{HEADER}\nZoé,z@example.org,,acquired,acquired,,,\n"
                  f"ZOÉ,Z@example.org,,acquired,acquired,,,\n", world)
    assert isinstance(parsed[0], bulk.BulkRow)
    assert (parsed[1].verdict, parsed[1].message) == (bulk.ERROR, "same learner as line 2")


# --- dry run, run, re-run ----------------------------------------------------------------------

FILE = (f"{HEADER}\n"
        "Amélie Durand,amelie@example.org,en,acquired,acquired,Bravo,2026-03-02,2026-03-03\n"
        "Bastien Roy,,,acquired,not-yet,,,\n"
        "Chloé Martin,,,acquired,peut-être,,,\n").encode()


def verdicts(results):
    return [(result.line, result.verdict) for result in results]


def test_dry_run_gives_a_verdict_per_row_and_writes_nothing(db, world):
    results = bulk.preview(db, world.session, FILE)
    assert verdicts(results) == [(2, bulk.WILL_ISSUE), (3, bulk.NOT_YET_ACQUIRED),
                                 (4, bulk.ERROR)]
    assert results[1].message == "Stake and water the tree"
    assert (count(db, Credential), count(db, Assessment)) == (0, 0)


def test_run_issues_the_good_rows_and_keeps_the_not_yet_evaluation(db, world):
    results = bulk.run(db, world.session, FILE, world.trainer)
    assert verdicts(results) == [(2, bulk.ISSUED), (3, bulk.NOT_YET_ACQUIRED), (4, bulk.ERROR)]
    credential = db.query(Credential).one()
    assert (credential.uuid, credential.short_id) == (results[0].credential_uuid,
                                                      results[0].short_id)
    amelie = credential.learner
    assert (amelie.name, amelie.email, amelie.language) == (
        "Amélie Durand", "amelie@example.org", "en")
    kept = db.query(Assessment).join(Learner).filter(Learner.name == "Bastien Roy").one()
    assert kept.levels == {"dig-hole": "acquired", "stake-and-water": "not-yet"}
    assert count(db, Credential) == 1


def test_row_comment_and_dates_reach_the_assessment(db, world):
    bulk.run(db, world.session, FILE, world.trainer)
    assessment = db.query(Assessment).join(Learner).filter(Learner.name == "Amélie Durand").one()
    assert (assessment.narrative, str(assessment.activity_start), str(assessment.activity_end)) \
        == ("Bravo", "2026-03-02", "2026-03-03")


def test_a_known_learner_with_the_same_name_and_email_is_reused(db, world):
    with unit_of_work(db):
        known = create_learner(db, world.org, "Amélie Durand", "Amelie@example.org")
    bulk.run(db, world.session, FILE, world.trainer)
    assert db.query(Credential).one().learner_id == known.id


def test_a_learner_without_language_gets_the_sessions(db, world):
    bulk.run(db, world.session, FILE, world.trainer)
    bastien = db.query(Learner).filter(Learner.name == "Bastien Roy").one()
    assert bastien.language == "fr"


def test_running_the_same_file_again_issues_nothing_new(db, world):
    first = bulk.run(db, world.session, FILE, world.trainer)
    second = bulk.run(db, world.session, FILE, world.trainer)
    assert verdicts(second) == [(2, bulk.ALREADY_ISSUED), (3, bulk.NOT_YET_ACQUIRED),
                                (4, bulk.ERROR)]
    assert second[0].credential_uuid == first[0].credential_uuid
    assert (count(db, Credential), count(db, Learner)) == (1, 2 + 2)  # world's two + two


def test_a_corrected_file_issues_the_learner_who_was_not_yet(db, world):
    bulk.run(db, world.session, FILE, world.trainer)
    corrected = FILE.replace(b"Bastien Roy,,,acquired,not-yet", b"Bastien Roy,,,acquired,acquired")
    results = bulk.run(db, world.session, corrected, world.trainer)
    assert verdicts(results)[:2] == [(2, bulk.ALREADY_ISSUED), (3, bulk.ISSUED)]
    assert count(db, Credential) == 2


def test_a_row_that_fails_while_issuing_does_not_block_the_others(db, world, monkeypatch):
    real_issue = issuing.issue_for_assessments

    def refuse_amelie(db, assessment_ids, actor, now=None):
        if any(db.get(Assessment, i).learner.name == "Amélie Durand" for i in assessment_ids):
            raise NotIssuable("the learner's personal data was erased at their request")
        return real_issue(db, assessment_ids, actor, now=now)

    monkeypatch.setattr(issuing, "issue_for_assessments", refuse_amelie)
    text = FILE.replace(b"Bastien Roy,,,acquired,not-yet", b"Bastien Roy,,,acquired,acquired")
    results = bulk.run(db, world.session, text, world.trainer)
    assert verdicts(results) == [(2, bulk.ERROR), (3, bulk.ISSUED), (4, bulk.ERROR)]
    assert results[0].message == "the learner's personal data was erased at their request"
    assert db.query(Learner).filter(Learner.name == "Amélie Durand").count() == 0  # rolled back
    assert count(db, Credential) == 1


def test_summary_counts_each_verdict(db, world):
    assert bulk.summary(bulk.preview(db, world.session, FILE)) == {
        bulk.WILL_ISSUE: 1, bulk.NOT_YET_ACQUIRED: 1, bulk.ERROR: 1}


def test_the_consent_columns_give_a_new_learner_their_answers(db, world):
    data = (f"{HEADER},consent_name,consent_statistics\n"
            "Ana,,,acquired,acquired,,,,oui,\n").encode()
    [result] = bulk.run(db, world.session, data, world.admin)
    learner = db.scalar(select(Learner).where(Learner.name == "Ana"))
    assert result.verdict == bulk.ISSUED
    assert consent.answers_of(learner) == consent.Consent(name=True)


def test_a_file_without_consent_columns_records_no_answer(db, world):
    bulk.run(db, world.session, f"{HEADER}\nAna,,,acquired,acquired,,,\n".encode(), world.admin)
    learner = db.scalar(select(Learner).where(Learner.name == "Ana"))
    assert learner.consents == []


def test_an_unreadable_consent_answer_is_the_rows_error(world):
    [row] = rows(f"{HEADER},consent_photo\nAna,,,acquired,acquired,,,,maybe\n", world)
    assert row.verdict == bulk.ERROR
    assert row.message == ("consent_photo: 'maybe' is not an answer; write yes or no "
                           "(empty is no)")
