"""Stack progress: done, missing, what a skill opens, and which organisation's badges count."""

from pathlib import Path

import pytest

from issuer.domain.catalogue import load_catalogue
from issuer.domain.stacking import HeldBadge, progress

CATALOGUE = load_catalogue(Path(__file__).parents[2] / "badge_templates")
GREEN = CATALOGUE.skills["green-work-habits"]  # cross-organisation, automatic
ONLINE = CATALOGUE.skills["online-job-search"]  # single organisation, automatic


def held(training, organisation="agfe", issued_at="2026-03-01T10:00:00Z", reference=None):
    return HeldBadge(training, organisation, issued_at, reference)


def test_nothing_held_means_every_part_is_missing():
    result = progress(GREEN, [])
    assert (result.done, result.missing, result.complete) == ((), GREEN.parts, False)
    assert result.organisation is None


def test_parts_held_are_done_and_the_rest_missing_in_part_order():
    result = progress(GREEN, [held("energy-saving"), held("sorting-waste")])
    assert result.done_ids == ("sorting-waste", "energy-saving")
    assert result.missing == ("green-spaces",)
    assert result.complete is False


def test_badges_of_other_trainings_are_ignored():
    result = progress(GREEN, [held("cash-register"), held("sorting-waste")])
    assert result.done_ids == ("sorting-waste",)


def test_holding_every_part_completes_the_skill():
    result = progress(GREEN, [held(part) for part in GREEN.parts])
    assert result.complete is True
    assert result.missing == ()


def test_a_cross_organisation_skill_counts_every_partners_badges():
    badges = [held("sorting-waste", "agfe"), held("green-spaces", "cec"),
              held("energy-saving", "barka", "2026-03-05T10:00:00Z")]
    result = progress(GREEN, badges)
    assert result.complete is True


def test_a_cross_organisation_skill_is_awarded_by_the_latest_badges_issuer():
    badges = [held("sorting-waste", "agfe", "2026-03-01T10:00:00Z"),
              held("green-spaces", "cec", "2026-03-09T10:00:00Z"),
              held("energy-saving", "barka", "2026-03-05T10:00:00Z")]
    assert progress(GREEN, badges).organisation == "cec"


def test_a_single_organisation_skill_ignores_another_organisations_badges():
    badges = [held("email-account", "agfe"), held("online-job-application", "agfe"),
              held("video-call-interview", "cec")]
    result = progress(ONLINE, badges, organisation="agfe")
    assert result.complete is False
    assert result.missing == ("video-call-interview",)


def test_a_single_organisation_skill_is_complete_within_one_organisation():
    badges = [held(part, "cec") for part in ONLINE.parts] + [held("email-account", "agfe")]
    result = progress(ONLINE, badges, organisation="cec")
    assert (result.complete, result.organisation) == (True, "cec")


def test_without_an_organisation_the_one_holding_most_parts_counts():
    badges = [held("email-account", "agfe"), held("email-account", "cec"),
              held("video-call-interview", "cec")]
    result = progress(ONLINE, badges)
    assert (result.organisation, result.done_ids) == ("cec", ("email-account",
                                                              "video-call-interview"))


def test_the_earliest_badge_of_a_part_is_the_one_counted():
    first = held("sorting-waste", issued_at="2026-01-01T10:00:00Z", reference="first")
    later = held("sorting-waste", issued_at="2026-02-01T10:00:00Z", reference="later")
    assert progress(GREEN, [later, first]).done[0].reference == "first"


@pytest.mark.parametrize("skill", [GREEN, ONLINE])
def test_progress_names_what_the_skill_opens(skill):
    assert progress(skill, []).opens == skill.further_training
    assert all(programme.url.startswith("https://") for programme in skill.further_training)
