"""No figure identifies a learner: another organisation's counts from 1 to 4 are hidden."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from issuer.services import disclosure, stats, unit_of_work
from issuer.services.accounts import create_user
from tests.helpers import TEST_PASSWORD, issue, make_world


@pytest.fixture
def small_pilot(db, world):
    """AGFE: two badges (January and March). CEC, the coordinator's own partner: one badge."""
    issue(db, world, world.learners[0], now=datetime(2026, 1, 5, tzinfo=UTC))
    issue(db, world, world.learners[1], now=datetime(2026, 3, 5, tzinfo=UTC))
    cec = make_world(db, slug="cec", learner_names=("Anouk Peeters",))
    issue(db, cec, cec.learners[0], now=datetime(2026, 3, 6, tzinfo=UTC))
    with unit_of_work(db):
        coordinator = create_user(db, cec.org, "coordination@cec.example.org", "Claire Coord",
                                  "coordinator", TEST_PASSWORD)
    return world, coordinator


def partner_row(figures, slug):
    return next(row for row in figures.statistics.partner if row.key == slug)


def steps(row):
    return {step.step: (step.count, step.dropped) for step in row.steps}


@pytest.mark.parametrize(("count", "base", "seen"), [
    (0, None, 0), (1, None, None), (4, None, None), (5, None, 5),
    (7, 9, None), (7, 12, 7), (0, 3, None), (0, 0, 0), (None, None, None)])
def test_a_count_is_hidden_under_five_and_when_its_complement_is(count, base, seen):
    assert disclosure.shown(count, base) == seen


def test_a_partner_admin_sees_their_own_small_counts_exactly(db, small_pilot):
    world, _coordinator = small_pilot
    where = stats.parse_filter(db, {}, world.admin)
    figures = disclosure.report(db, world.admin, where)
    assert figures.exact
    assert partner_row(figures, "agfe").assessed == 2
    assert steps(figures.funnel.total)["issued"] == (2, 0)
    assert figures.months == [("2026-01", 1), ("2026-02", 0), ("2026-03", 1)]


def test_the_coordinator_sees_another_partners_small_counts_hidden(db, small_pilot):
    _world, coordinator = small_pilot
    figures = disclosure.report(db, coordinator, stats.StatsFilter())
    agfe = partner_row(figures, "agfe")
    assert (agfe.assessed, agfe.issued, agfe.revoked) == (None, None, None)
    assert [row.assessed for row in figures.statistics.theme] == [None]
    assert steps(figures.funnel.total)["issued"] == (None, None)
    assert [p.learners for p in figures.progress if p.key == "agfe"] == [None]
    assert figures.months == [("2026-01", None), ("2026-02", 0), ("2026-03", None)]
    assert set(figures.six_months.values()) == {0}


def test_the_coordinators_own_organisation_is_seen_exactly(db, small_pilot):
    _world, coordinator = small_pilot
    everyone = disclosure.report(db, coordinator, stats.StatsFilter())
    assert (partner_row(everyone, "cec").assessed, partner_row(everyone, "cec").issued) == (1, 1)
    assert steps(next(r for r in everyone.funnel.partner if r.key == "cec"))["issued"] == (1, 0)
    own = disclosure.report(db, coordinator, stats.StatsFilter(partner="cec"))
    assert own.exact and steps(own.funnel.total)["enrolled"] == (1, 0)
    other = disclosure.report(db, coordinator, stats.StatsFilter(partner="agfe"))
    assert not other.exact and steps(other.funnel.total)["enrolled"] == (None, None)


def test_a_drop_off_is_hidden_with_its_step_or_its_base():
    counts = {"enrolled": 12, "evaluated": 10, "issued": 5, "claim_opened": 0, "claimed": 0,
              "in_wallet": 0,
              "viewed": 5, "skill_completed": 0, "further_training": 0}
    row = stats.FunnelRow("all", "", [
        stats.FunnelStep(step, counts[step], base,
                         counts[base] - counts[step] if base else 0)
        for step, base in stats.FUNNEL_STEPS])
    path = stats.PilotFunnel(total=row, partner=[], theme=[])
    seen = steps(disclosure.funnel(path, disclosure.Disclosure("cec")).total)
    assert seen["enrolled"] == (12, 0)
    assert seen["evaluated"] == (None, None)  # 12 − 10 would give the 2 back
    assert seen["issued"] == (5, None)  # its base is hidden: so is the drop-off
    assert seen["claim_opened"] == (0, 5)
    assert seen["viewed"] == (5, 0)


def test_the_exports_leave_a_hidden_count_empty(db, small_pilot):
    _world, coordinator = small_pilot
    rows = disclosure.export_rows(db, "partner", "en", stats.StatsFilter(), coordinator)
    assert rows[1:] == [["agfe", "AGFE", None, None, None, None],
                        ["cec", "AGFE", 1, 1, 0, 0]]


def test_a_partners_hidden_count_cannot_be_worked_out_from_the_total():
    """Total 26 − (10 + 7 + own 6) would give the hidden 3: the smallest other cell goes too."""
    raw = [[10], [3], [7], [6]]
    seen = [[10], [None], [7], [6]]
    assert disclosure.down_columns(raw, seen, [False, False, False, True]) == [
        [10], [None], [None], [6]]


def test_hidden_cells_standing_for_five_people_or_more_need_nothing_more():
    raw = [[10, 0], [3, 0], [2, 0]]
    seen = [[10, 0], [None, 0], [None, 0]]
    assert disclosure.down_columns(raw, seen, [False] * 3) == seen


def test_the_viewers_own_cells_are_never_hidden_to_protect_the_others():
    assert disclosure.down_columns([[3], [6]], [[None], [6]], [False, True]) == [[None], [6]]


def test_the_partner_rows_of_the_path_hide_a_second_cell_when_one_would_show(db, small_pilot):
    world, coordinator = small_pilot
    mirec = make_world(db, slug="mirec", learner_names=tuple(f"L{n}" for n in range(6)))
    for learner in mirec.learners:
        issue(db, mirec, learner)
    figures = disclosure.report(db, coordinator, stats.StatsFilter())
    issued = {row.key: steps(row)["issued"][0] for row in figures.funnel.partner}
    assert issued == {"agfe": None, "cec": 1, "mirec": None}
    assert steps(figures.funnel.total)["issued"] == (9, 0)


def test_a_month_hidden_alone_would_be_the_year_minus_the_others():
    series = [("2026-01", 3), ("2026-02", 10), ("2026-03", 0), ("2026-04", 12)]
    assert disclosure.months(series, disclosure.Disclosure("cec")) == [
        ("2026-01", None), ("2026-02", None), ("2026-03", 0), ("2026-04", 12)]


def test_the_open_data_protects_a_partner_column_against_the_total(db, small_pilot):
    mirec = make_world(db, slug="mirec", learner_names=tuple(f"L{n}" for n in range(6)))
    for learner in mirec.learners:
        issue(db, mirec, learner)
    issued = {row[2]: row[4] for row in disclosure.open_data_rows(db)
              if row[0] == "path" and row[1] in ("all", "partner") and row[3] == "issued"}
    assert issued == {"all": 9, "agfe": None, "cec": None, "mirec": None}
