"""A generated pilot: six partners × 30 learners across a year, every figure computed."""

from __future__ import annotations

import time

from issuer.services import disclosure, stats, unit_of_work
from issuer.services.accounts import create_user
from tests.helpers import TEST_PASSWORD, generate_pilot


def test_six_partners_of_thirty_learners_across_a_year(db):
    worlds = generate_pilot(db)
    with unit_of_work(db):
        coordinator = create_user(db, worlds["cec"].org, "coordination@cec.example.org",
                                  "Claire Coord", "coordinator", TEST_PASSWORD)
    started = time.perf_counter()
    statistics = stats.pilot_statistics(db)
    funnel = stats.learner_funnel(db)
    months = stats.monthly_acquisitions(db)
    open_data = disclosure.open_data_rows(db)
    seen = disclosure.report(db, coordinator, stats.StatsFilter())
    elapsed = time.perf_counter() - started
    assert [t.assessed for t in statistics.partner] == [30] * 6
    assert {s.step: s.count for s in funnel.total.steps}["issued"] == 72
    assert months == [(f"2026-{m:02d}", 6) for m in range(1, 13)]
    issued = [row for row in open_data if row[:4] == ["path", "partner", "agfe", "issued"]]
    assert issued == [["path", "partner", "agfe", "issued", 12]]
    # The coordinator: six badges a month across partners are shown, none of them claimed
    # (a 0 against 72 issued stays 0), and each partner's 30 learners are.
    assert seen.months == months
    assert {s.step: s.count for s in seen.funnel.total.steps}["claimed"] == 0
    assert [p.learners for p in seen.progress] == [30] * 6
    print(f"\nfigures of 180 learners and 72 badges in {elapsed:.2f} s")
    assert elapsed < 10
