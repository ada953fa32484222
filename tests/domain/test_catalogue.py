"""The micro-training catalogue: the shipped files, and the exact problem each mistake yields."""

from pathlib import Path

import pytest

from issuer.core import jsonld, schema
from issuer.core.builders import (
    AchievementSubject,
    OpenBadgeCredential,
    Profile,
    Result,
    name_identifier,
)
from issuer.core.errors import TemplateError
from issuer.core.messages import Message, message_of
from issuer.domain.catalogue import (
    Catalogue,
    achievement_for,
    check_catalogue,
    load_catalogue,
    load_training_file,
    parse_training,
    renamed,
    skill_achievement_for,
)

SHIPPED = Path(__file__).resolve().parents[2] / "badge_templates"

GESTURE = """
[[gestures]]
id = "{id}"
name = {{ en = "Gesture {id}", fr = "Geste {id}" }}
observe = {{ en = "What the trainer sees", fr = "Ce que voit le formateur" }}
"""

TRAINING = """\
id = "{id}"
version = "1.0"
theme = "green-jobs"
duration_hours = 3.5
assessment_type = "observation"
participation = "onsite"
name = {{ en = "Sorting waste", fr = "Trier les déchets" }}
description = {{ en = "Half a day on site.", fr = "Une demi-journée sur chantier." }}
learning_outcomes = {{ en = ["Sort waste."], fr = ["Trier les déchets."] }}
quality_assurance = {{ en = "Observed by a trainer.", fr = "Observé par un formateur." }}
"""

SKILL = """\
id = "{id}"
version = "1.0"
parts = {parts}
award = "automatic"
cross_organisation = false
name = {{ en = "Green work", fr = "Travail vert" }}
description = {{ en = "Two trainings.", fr = "Deux formations." }}
"""


def training_text(training_id="sorting-waste", gestures=("sort", "reduce")) -> str:
    return TRAINING.format(id=training_id) + "".join(GESTURE.format(id=g) for g in gestures)


def write(root: Path, relative: str, text: str) -> Path:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, "utf-8")
    return path


@pytest.fixture
def catalogue_dir(tmp_path: Path) -> Path:
    """A small valid catalogue: two trainings and a skill stacking them."""
    write(tmp_path, "trainings/sorting-waste.toml", training_text())
    write(tmp_path, "trainings/green-spaces.toml", training_text("green-spaces"))
    write(tmp_path, "skills/green-work.toml",
          SKILL.format(id="green-work", parts='["sorting-waste", "green-spaces"]'))
    return tmp_path


# --- the shipped catalogue ----------------------------------------------------------------------


def test_shipped_catalogue_has_no_problems():
    assert check_catalogue(SHIPPED) == []


def test_shipped_catalogue_has_nine_trainings_three_skills_and_every_theme():
    catalogue = load_catalogue(SHIPPED)
    assert len(catalogue.trainings) >= 9
    assert len(catalogue.skills) >= 3
    assert {t.theme for t in catalogue.trainings.values()} == {
        "green-jobs", "local-services", "digital-skills"}


def test_shipped_catalogue_has_three_trainings_per_theme():
    catalogue = load_catalogue(SHIPPED)
    for theme in ("green-jobs", "local-services", "digital-skills"):
        assert len([t for t in catalogue.trainings.values() if t.theme == theme]) >= 3


def test_every_shipped_training_has_two_or_three_gestures():
    for training in load_catalogue(SHIPPED).trainings.values():
        assert 2 <= len(training.gestures) <= 3, training.id


def test_every_shipped_training_is_written_in_the_six_sky_languages():
    for training in load_catalogue(SHIPPED).trainings.values():
        assert set(training.languages) == {"en", "fr", "nl", "it", "es", "pl"}, training.id


def test_shipped_skills_include_a_cross_organisation_and_a_one_click_skill():
    skills = load_catalogue(SHIPPED).skills.values()
    assert any(skill.cross_organisation for skill in skills)
    assert any(skill.award == "one-click" for skill in skills)


def test_shipped_text_keeps_its_diacritics():
    training = load_catalogue(SHIPPED).trainings["sorting-waste"]
    assert training.name_in("pl") == "Segregowanie i ograniczanie odpadów na budowie"
    assert training.name_in("fr") == "Trier et réduire les déchets sur un chantier"


# --- accessors ----------------------------------------------------------------------------------


def test_text_falls_back_to_english(catalogue_dir):
    training = load_catalogue(catalogue_dir).trainings["sorting-waste"]
    assert training.name_in("fr") == "Trier les déchets"
    assert training.name_in("pl") == "Sorting waste"
    assert training.text("learning_outcomes", "fr") == ("Trier les déchets.",)


def test_languages_of_lists_the_languages_of_the_name(catalogue_dir):
    assert load_catalogue(catalogue_dir).languages_of("sorting-waste") == ("en", "fr")


def test_skills_containing_finds_the_stacks_of_a_training(catalogue_dir):
    catalogue = load_catalogue(catalogue_dir)
    assert [s.id for s in catalogue.skills_containing("green-spaces")] == ["green-work"]


def test_gestures_get_the_two_default_levels_lowest_first(catalogue_dir):
    gesture = load_catalogue(catalogue_dir).trainings["sorting-waste"].gestures[0]
    assert [level.id for level in gesture.levels] == ["not-yet", "acquired"]
    assert gesture.required.name_in("fr") == "Acquis"


def test_all_acquired_needs_every_gesture(catalogue_dir):
    training = load_catalogue(catalogue_dir).trainings["sorting-waste"]
    assert training.is_validated({"sort": "acquired", "reduce": "acquired"}) is True
    assert training.is_validated({"sort": "acquired", "reduce": "not-yet"}) is False


def test_finer_levels_count_from_the_required_level_up(tmp_path):
    levels = """
[[gestures.levels]]
id = "not-yet"
name = { en = "Not yet", fr = "Pas encore" }
[[gestures.levels]]
id = "with-guidance"
name = { en = "With guidance", fr = "Avec accompagnement" }
required = true
[[gestures.levels]]
id = "independent"
name = { en = "Independently", fr = "En autonomie" }
"""
    path = write(tmp_path, "sorting-waste.toml", training_text() + levels)
    gesture = load_training_file(path).gestures[1]
    assert [gesture.is_acquired(level) for level in ("not-yet", "with-guidance", "independent")] \
        == [False, True, True]


def test_at_least_rule_accepts_fewer_gestures(tmp_path):
    text = training_text(gestures=("a", "b", "c")).replace(
        'participation = "onsite"', 'participation = "onsite"\nvalidation = "at-least:2"')
    training = load_training_file(write(tmp_path, "sorting-waste.toml", text))
    assert training.is_validated({"a": "acquired", "b": "acquired", "c": "not-yet"}) is True


def test_load_catalogue_returns_a_catalogue(catalogue_dir):
    assert isinstance(load_catalogue(catalogue_dir), Catalogue)


# --- one mistake, one exact message -------------------------------------------------------------


def problems_with(root: Path, text: str, name="sorting-waste") -> list[str]:
    write(root, f"trainings/{name}.toml", text)
    return check_catalogue(root)


def test_duration_of_30_hours_is_refused(catalogue_dir):
    text = training_text().replace("duration_hours = 3.5", "duration_hours = 30")
    assert problems_with(catalogue_dir, text) == [
        "trainings/sorting-waste.toml: duration_hours: 30 is outside 1.5–24 hours"]


def test_duration_of_1_hour_is_refused(catalogue_dir):
    text = training_text().replace("duration_hours = 3.5", "duration_hours = 1")
    assert problems_with(catalogue_dir, text) == [
        "trainings/sorting-waste.toml: duration_hours: 1 is outside 1.5–24 hours"]


def test_four_gestures_are_refused(catalogue_dir):
    text = training_text(gestures=("a", "b", "c", "d"))
    assert problems_with(catalogue_dir, text) == [
        "trainings/sorting-waste.toml: gestures: 4 gestures given; a micro-training has 2 or 3"]


def test_unknown_key_is_refused_with_a_suggestion(catalogue_dir):
    text = training_text().replace(
        'participation = "onsite"', 'participation = "onsite"\nvalidity_month = 24')
    assert problems_with(catalogue_dir, text) == [
        "trainings/sorting-waste.toml: validity_month: unknown key "
        "(did you mean 'validity_months'?)"]


def test_missing_english_name_is_refused(catalogue_dir):
    text = training_text().replace('en = "Sorting waste", ', "")
    assert problems_with(catalogue_dir, text) == [
        "trainings/sorting-waste.toml: name: English (en) is required"]


def test_gesture_name_missing_a_language_of_the_name_is_refused(catalogue_dir):
    text = training_text().replace(', fr = "Geste reduce"', "")
    assert problems_with(catalogue_dir, text) == [
        "trainings/sorting-waste.toml: gestures[2].name: missing fr (the name has en, fr)"]


def test_skill_part_that_does_not_exist_is_refused(catalogue_dir):
    write(catalogue_dir, "skills/green-work.toml",
          SKILL.format(id="green-work", parts='["sorting-waste", "no-such-training"]'))
    assert check_catalogue(catalogue_dir) == [
        "skills/green-work.toml: parts: 'no-such-training' is not a micro-training in trainings/"]


def test_toml_syntax_error_names_the_line(catalogue_dir):
    text = training_text().replace('version = "1.0"', 'version "1.0"')
    assert problems_with(catalogue_dir, text) == [
        "trainings/sorting-waste.toml: line 2: Expected '=' after a key in a key/value pair "
        "(column 9)"]


def test_duplicate_id_in_two_folders_is_refused(catalogue_dir):
    write(catalogue_dir, "trainings/local/sorting-waste.toml", training_text())
    assert check_catalogue(catalogue_dir) == [
        "trainings/sorting-waste.toml: id: 'sorting-waste' is already used by "
        "trainings/local/sorting-waste.toml"]


def test_skill_may_not_reuse_a_training_id(catalogue_dir):
    write(catalogue_dir, "skills/sorting-waste.toml",
          SKILL.format(id="sorting-waste", parts='["sorting-waste", "green-spaces"]'))
    assert check_catalogue(catalogue_dir) == [
        "skills/sorting-waste.toml: id: 'sorting-waste' is already used by "
        "trainings/sorting-waste.toml"]


def test_id_must_equal_the_file_name(catalogue_dir):
    assert problems_with(catalogue_dir, training_text("sorting-waste"), name="sorting") == [
        "trainings/sorting.toml: id: 'sorting-waste' must equal the file name ('sorting')"]


def test_esco_uri_must_look_like_an_esco_skill_uri(catalogue_dir):
    text = training_text().replace(
        'participation = "onsite"',
        'participation = "onsite"\nesco_skills = [{ uri = "http://data.europa.eu/esco/skill/'
        'sorting", name = { en = "sort waste" } }]')
    assert problems_with(catalogue_dir, text) == [
        "trainings/sorting-waste.toml: esco_skills[1].uri: 'http://data.europa.eu/esco/skill/"
        "sorting' is not an ESCO skill URI (http://data.europa.eu/esco/skill/<uuid>)"]


def test_language_code_must_follow_the_ob_pattern(catalogue_dir):
    text = training_text().replace('fr = "Trier les déchets"', 'fr = "Trier les déchets", '
                                   'en-us = "Sorting"')
    assert problems_with(catalogue_dir, text) == [
        "trainings/sorting-waste.toml: name.en-us: is not a language code like en, fr or nl-BE"]


def test_version_must_be_a_quoted_text(catalogue_dir):
    text = training_text().replace('version = "1.0"', "version = 1.0")
    assert problems_with(catalogue_dir, text) == [
        'trainings/sorting-waste.toml: version: must be a text in quotes, e.g. version = "1.0"']


def test_every_problem_is_reported_at_once(catalogue_dir):
    text = training_text().replace("duration_hours = 3.5", "duration_hours = 30").replace(
        'theme = "green-jobs"', 'theme = "gren-jobs"')
    assert problems_with(catalogue_dir, text) == [
        "trainings/sorting-waste.toml: theme: 'gren-jobs' must be one of green-jobs, "
        "local-services, digital-skills",
        "trainings/sorting-waste.toml: duration_hours: 30 is outside 1.5–24 hours"]


def test_load_catalogue_raises_template_error_listing_the_problems(catalogue_dir):
    write(catalogue_dir, "trainings/sorting-waste.toml",
          training_text().replace("duration_hours = 3.5", "duration_hours = 30"))
    with pytest.raises(TemplateError) as raised:
        load_catalogue(catalogue_dir)
    assert raised.value.problems == [
        "trainings/sorting-waste.toml: duration_hours: 30 is outside 1.5–24 hours"]


def test_single_uploaded_file_is_checked_on_its_own(tmp_path):
    path = write(tmp_path, "upload.toml", training_text().replace("= 3.5", "= 25"))
    with pytest.raises(TemplateError) as raised:
        load_training_file(path)
    assert str(raised.value) == "upload.toml: duration_hours: 25 is outside 1.5–24 hours"


def test_parse_training_returns_every_problem_of_an_upload():
    training, problems = parse_training(training_text(gestures=("a",)), "mine.toml")
    assert training is None
    assert problems == ["mine.toml: gestures: 1 gesture given; a micro-training has 2 or 3"]


# --- problems are translatable Messages (the English text above is the Message's own text) ----

# A tiny French catalogue: what gettext returns for the templates a translator will see.
FRENCH = {
    "%(file)s: %(where)s: %(problem)s": "%(file)s\u00a0: %(where)s\u00a0: %(problem)s",
    "%(value)s is outside 1.5–24 hours": "%(value)s est hors de 1,5–24 heures",
    "unknown key (did you mean %(key)s?)": "clé inconnue (vouliez-vous dire %(key)s\u00a0?)",
    "line %(line)s": "ligne %(line)s",
    "%(reason)s (column %(column)s)": "%(reason)s (colonne %(column)s)",
    "gesture %(gesture)s has no level %(level)s; levels: %(levels)s":
        "le geste %(gesture)s n’a pas de niveau %(level)s\u00a0; niveaux\u00a0: %(levels)s",
}


def french(template: str) -> str:
    return FRENCH.get(template, template)


def test_a_problem_is_a_message_keeping_file_field_and_reason(catalogue_dir):
    text = training_text().replace("duration_hours = 3.5", "duration_hours = 30")
    [problem] = problems_with(catalogue_dir, text)
    assert isinstance(problem, Message)
    assert problem.template == "%(file)s: %(where)s: %(problem)s"
    assert {k: v for k, v in problem.params.items() if k != "problem"} == {
        "file": "trainings/sorting-waste.toml", "where": "duration_hours"}
    reason = problem.params["problem"]
    assert isinstance(reason, Message)
    assert (reason.template, reason.params) == ("%(value)s is outside 1.5–24 hours",
                                                {"value": "30"})


def test_a_problem_translates_its_sentence_but_not_the_file_or_field(catalogue_dir):
    text = training_text().replace("duration_hours = 3.5", "duration_hours = 30")
    [problem] = problems_with(catalogue_dir, text)
    assert problem.translate(french) == (
        "trainings/sorting-waste.toml\u00a0: duration_hours\u00a0: 30 est hors de 1,5–24 heures")


def test_a_suggested_key_is_a_parameter_the_translator_does_not_touch(catalogue_dir):
    text = training_text().replace(
        'participation = "onsite"', 'participation = "onsite"\nvalidity_month = 24')
    [problem] = problems_with(catalogue_dir, text)
    assert problem.params["problem"].params == {"key": "'validity_months'"}
    assert problem.translate(french) == (
        "trainings/sorting-waste.toml\u00a0: validity_month\u00a0: clé inconnue "
        "(vouliez-vous dire 'validity_months'\u00a0?)")


def test_a_toml_syntax_error_keeps_the_parser_english_inside_a_translated_sentence(
        catalogue_dir):
    text = training_text().replace('version = "1.0"', 'version "1.0"')
    [problem] = problems_with(catalogue_dir, text)
    assert problem.translate(french) == (
        "trainings/sorting-waste.toml\u00a0: ligne 2\u00a0: Expected '=' after a key in a "
        "key/value pair (colonne 9)")


def test_every_problem_of_a_broken_file_is_a_message_with_a_message_reason():
    broken = training_text(gestures=("a",)).replace('theme = "green-jobs"', 'theme = 3') \
        .replace('version = "1.0"', "version = 1.0") + "colour = 1\n"
    _, problems = parse_training(broken, "mine.toml")
    assert len(problems) == 4
    for problem in problems:
        assert isinstance(problem, Message) and isinstance(problem.params["problem"], Message)
        assert problem.params["file"] == "mine.toml"
        assert problem.translate(lambda template: template) == problem


def test_load_catalogue_error_holds_the_messages(catalogue_dir):
    write(catalogue_dir, "trainings/sorting-waste.toml",
          training_text().replace("duration_hours = 3.5", "duration_hours = 30"))
    with pytest.raises(TemplateError) as raised:
        load_catalogue(catalogue_dir)
    assert all(isinstance(problem, Message) for problem in raised.value.problems)


def test_renamed_problem_names_the_new_file_and_still_translates(catalogue_dir):
    text = training_text().replace("duration_hours = 3.5", "duration_hours = 30")
    [problem] = problems_with(catalogue_dir, text)
    moved = renamed(problem, "trainings/sorting-waste.toml", "hedge.toml")
    assert moved == "hedge.toml: duration_hours: 30 is outside 1.5–24 hours"
    assert moved.translate(french) == "hedge.toml\u00a0: duration_hours\u00a0: 30 est hors de " \
        "1,5–24 heures"
    assert renamed("other.toml: version: changed", "other.toml", "up.toml") == \
        "up.toml: version: changed"


def test_an_unknown_level_is_a_translatable_error(tmp_path):
    gesture = load_training_file(write(tmp_path, "sorting-waste.toml", training_text())).gestures[0]
    with pytest.raises(TemplateError) as raised:
        gesture.is_acquired("expert")
    assert str(raised.value) == "gesture 'sort' has no level 'expert'; levels: ['not-yet', " \
        "'acquired']"
    assert message_of(raised.value).translate(french) == (
        "le geste 'sort' n’a pas de niveau 'expert'\u00a0; niveaux\u00a0: ['not-yet', 'acquired']")


# --- from the catalogue to Open Badges achievements ---------------------------------------------

HOST = "https://badges.example.org"


def achievement_ids(training_id: str, languages) -> dict[str, str]:
    return {language: f"{HOST}/achievements/{training_id}/{language}" for language in languages}


def shipped_achievement(training_id="sorting-waste", language="fr"):
    training = load_catalogue(SHIPPED).trainings[training_id]
    ids = achievement_ids(training_id, training.languages)
    return achievement_for(training, language, ids[language], ids), ids[language]


def credential_for(achievement, results=()):
    subject = AchievementSubject(
        achievement=achievement, identifiers=[name_identifier("Zoë Łukasik")], results=results)
    return OpenBadgeCredential(
        id=f"{HOST}/credentials/6f1c2d3e-4b5a-4c7d-8e9f-0a1b2c3d4e5f",
        issuer=Profile("did:web:badges.example.org:issuers:cec", "CEC"),
        subject=subject,
        valid_from="2025-03-01T12:00:00Z",
    ).to_json()


def test_achievement_has_one_rubric_result_description_per_gesture():
    achievement, base = shipped_achievement()
    descriptions = achievement.to_json()["resultDescription"]
    assert descriptions[0] == {
        "id": f"{base}#gesture-sort-at-source",
        "type": ["ResultDescription"],
        "name": "Mettre chaque déchet dans le bon conteneur",
        "resultType": "RubricCriterion",
        "rubricCriterionLevel": [
            {"id": f"{base}#gesture-sort-at-source-not-yet", "type": ["RubricCriterionLevel"],
             "name": "Pas encore acquis"},
            {"id": f"{base}#gesture-sort-at-source-acquired", "type": ["RubricCriterionLevel"],
             "name": "Acquis"},
        ],
        "requiredLevel": f"{base}#gesture-sort-at-source-acquired",
    }
    assert [d["id"] for d in descriptions] == [
        f"{base}#gesture-sort-at-source", f"{base}#gesture-reduce-and-reuse",
        f"{base}#gesture-hazardous-waste"]


def test_achievement_required_level_is_the_flagged_finer_level():
    achievement, base = shipped_achievement("green-spaces", "pl")
    mowing = achievement.to_json()["resultDescription"][0]
    assert mowing["requiredLevel"] == f"{base}#gesture-mow-and-trim-independent"
    assert [level["name"] for level in mowing["rubricCriterionLevel"]] == [
        "Jeszcze nie opanowano", "Opanowano z pomocą", "Opanowano samodzielnie"]


def test_achievement_is_a_micro_credential_in_its_language_related_to_the_others():
    achievement, _ = shipped_achievement()
    document = achievement.to_json()
    assert (document["achievementType"], document["inLanguage"], document["version"]) == (
        "MicroCredential", "fr", "1.0")
    assert [(r["inLanguage"], r["id"]) for r in document["related"]] == [
        (language, f"{HOST}/achievements/sorting-waste/{language}")
        for language in ("en", "nl", "it", "es", "pl")]


def test_achievement_carries_the_eu_elements_and_the_eqf_level():
    document = shipped_achievement()[0].to_json()
    assert "workload:PT3H30M" in document["tag"]
    assert "participation:onsite" in document["tag"]
    assert "theme:green-jobs" in document["tag"]
    assert [a["targetUrl"] for a in document["alignment"]] == ["http://data.europa.eu/snb/eqf/2"]
    assert "Le badge est délivré quand tous les gestes sont acquis." in \
        document["criteria"]["narrative"]


def test_achievement_states_the_at_least_rule_in_its_language():
    narrative = shipped_achievement("energy-saving", "es")[0].to_json()["criteria"]["narrative"]
    assert "La insignia se concede cuando se han adquirido al menos 2 de los 3 gestos." in narrative


def test_achievement_in_a_language_the_training_lacks_is_refused(catalogue_dir):
    training = load_catalogue(catalogue_dir).trainings["sorting-waste"]
    with pytest.raises(TemplateError) as raised:
        achievement_for(training, "pl", f"{HOST}/achievements/x/pl", {})
    assert str(raised.value) == "'sorting-waste' is not written in 'pl'; it is in en, fr"


def test_achievement_in_a_credential_expands_safely_and_validates_against_both_schemas():
    achievement, base = shipped_achievement("cash-register", "pl")
    result = Result(result_description=f"{base}#gesture-card-payment",
                    achieved_level=f"{base}#gesture-card-payment-acquired")
    document = credential_for(achievement, [result])
    assert jsonld.expand_safely(document)
    assert schema.errors(document) == []
    assert schema.errors(document, strict=True) == []


def test_every_shipped_training_and_language_makes_a_valid_credential():
    catalogue = load_catalogue(SHIPPED)
    for training in catalogue.trainings.values():
        ids = achievement_ids(training.id, training.languages)
        for language in training.languages:
            document = credential_for(achievement_for(training, language, ids[language], ids))
            assert schema.errors(document, strict=True) == [], (training.id, language)


def test_skill_achievement_is_a_competency_listing_its_parts():
    catalogue = load_catalogue(SHIPPED)
    skill = catalogue.skills["customer-service"]
    part_ids = {part: f"{HOST}/achievements/{part}/it" for part in skill.parts}
    document = skill_achievement_for(
        skill, "it", f"{HOST}/achievements/customer-service/it", part_ids,
        trainings=catalogue.trainings).to_json()
    assert document["achievementType"] == "Competency"
    assert document["criteria"]["narrative"].splitlines()[:4] == [
        "Rilasciato a chi possiede tutti questi badge:",
        "",
        f"- [Accogliere un cliente allo sportello]({HOST}/achievements/welcoming-customers/it)",
        f"- [Usare il registratore di cassa]({HOST}/achievements/cash-register/it)",
    ]
    assert [a["targetUrl"] for a in document["alignment"]] == list(part_ids.values())


def test_skill_achievement_in_a_credential_expands_safely():
    catalogue = load_catalogue(SHIPPED)
    skill = catalogue.skills["green-work-habits"]
    part_ids = {part: f"{HOST}/achievements/{part}/nl" for part in skill.parts}
    achievement = skill_achievement_for(
        skill, "nl", f"{HOST}/achievements/green-work-habits/nl", part_ids, catalogue.trainings)
    document = credential_for(achievement)
    assert jsonld.expand_safely(document)
    assert schema.errors(document, strict=True) == []


def test_skill_achievement_needs_an_id_for_every_part():
    skill = load_catalogue(SHIPPED).skills["customer-service"]
    with pytest.raises(TemplateError) as raised:
        skill_achievement_for(skill, "en", f"{HOST}/achievements/customer-service/en",
                              {"welcoming-customers": f"{HOST}/achievements/w/en"})
    assert str(raised.value) == "skill 'customer-service': no achievement id for cash-register"
