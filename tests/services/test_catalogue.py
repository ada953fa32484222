"""Catalogue import: versions are kept, unchanged re-imports are no-ops, silent edits refused."""

from __future__ import annotations

import shutil

import pytest

from issuer.core.errors import TemplateError
from issuer.services import unit_of_work
from issuer.services.catalogue import (
    achievement_id,
    current_templates,
    import_catalogue,
    template_for_achievement,
    training_of,
)
from issuer.store.models import AchievementTemplate
from tests.helpers import TEST_CATALOGUE, count


@pytest.fixture
def folder(tmp_path):
    copy = tmp_path / "catalogue"
    shutil.copytree(TEST_CATALOGUE, copy)
    return copy


def _edit(folder, old, new):
    path = folder / "trainings" / "tree-planting.toml"
    path.write_text(path.read_text("utf-8").replace(old, new), "utf-8")


def test_import_stores_each_training_with_its_source(db, folder):
    with unit_of_work(db):
        [template] = import_catalogue(db, folder)
    assert (template.template_id, template.version, template.kind, template.theme) == (
        "tree-planting", "1.0", "training", "green-jobs")
    source = (folder / "trainings" / "tree-planting.toml").read_text("utf-8")
    assert template.source_toml == source
    assert training_of(template).name["fr"] == "Planter un jeune arbre"


def test_reimporting_an_unchanged_version_does_nothing(db, folder):
    with unit_of_work(db):
        import_catalogue(db, folder)
    with unit_of_work(db):
        assert import_catalogue(db, folder) == []
    assert count(db, AchievementTemplate) == 1


def test_a_changed_file_with_the_same_version_is_refused(db, folder):
    with unit_of_work(db):
        import_catalogue(db, folder)
    _edit(folder, "Planting a young tree", "Planting a tree")
    with pytest.raises(TemplateError) as refused:
        import_catalogue(db, folder)
    assert refused.value.problems == [
        "trainings/tree-planting.toml: version: '1.0' was already imported with different "
        "content; bump the version to publish the change"
    ]


def test_a_new_version_becomes_current_and_the_old_one_is_kept(db, folder):
    with unit_of_work(db):
        [old] = import_catalogue(db, folder)
    _edit(folder, 'version = "1.0"', 'version = "1.1"')
    with unit_of_work(db):
        [new] = import_catalogue(db, folder)
    assert [t.version for t in current_templates(db)] == ["1.1"]
    assert db.get(AchievementTemplate, old.id).current is False
    assert new.version == "1.1"


def test_an_invalid_catalogue_imports_nothing_and_names_every_problem(db, folder):
    _edit(folder, "duration_hours = 3", "duration_hours = 30")
    with pytest.raises(TemplateError) as refused:
        import_catalogue(db, folder)
    assert refused.value.problems == [
        "trainings/tree-planting.toml: duration_hours: 30 is outside 1.5–24 hours"]
    assert count(db, AchievementTemplate) == 0


def test_achievement_ids_round_trip_to_their_template(db, folder):
    with unit_of_work(db):
        [template] = import_catalogue(db, folder)
    url = achievement_id(template, "fr")
    assert url == "https://badges.example.org/achievements/tree-planting--1.0--fr"
    found, language = template_for_achievement(db, url.rsplit("/", 1)[1])
    assert (found.id, language) == (template.id, "fr")
