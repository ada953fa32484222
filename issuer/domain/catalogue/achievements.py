"""From the catalogue to Open Badges achievements (one Achievement per language, DIGEST §A.9):
the criteria sentences in the six SKY languages, the rubric's result descriptions and levels,
and the links between a badge's language variants and between a skill and its parts."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from issuer.core import builders
from issuer.core.errors import TemplateError
from issuer.core.messages import N_

from .. import microcredentials
from .model import Gesture, MicroTraining, RubricLevel, Skill

# Criteria sentences in the six SKY languages; other languages get the English sentences
# around their own texts. French typography puts a non-breaking space before a colon.
_CRITERIA: dict[str, dict[str, str]] = {
    "en": {
        "gestures": "The trainer observes these gestures:",
        "all": "The badge is awarded when every gesture is acquired.",
        "at_least": "The badge is awarded when at least {n} of the {total} gestures are acquired.",
        "parts": "Awarded to a learner who holds all of these badges:",
        "further": "Opens the way to:",
        "colon": ":",
    },
    "fr": {
        "gestures": "Le formateur observe ces gestes\u00a0:",
        "all": "Le badge est délivré quand tous les gestes sont acquis.",
        "at_least": "Le badge est délivré quand au moins {n} des {total} gestes sont acquis.",
        "parts": "Délivré à la personne qui possède tous ces badges\u00a0:",
        "further": "Ouvre la voie vers\u00a0:",
        "colon": "\u00a0:",
    },
    "nl": {
        "gestures": "De lesgever observeert deze handelingen:",
        "all": "De badge wordt toegekend als alle handelingen verworven zijn.",
        "at_least": "De badge wordt toegekend als minstens {n} van de {total} handelingen "
        "verworven zijn.",
        "parts": "Toegekend aan wie al deze badges heeft:",
        "further": "Opent de weg naar:",
        "colon": ":",
    },
    "it": {
        "gestures": "Il formatore osserva questi gesti:",
        "all": "Il badge viene rilasciato quando tutti i gesti sono acquisiti.",
        "at_least": "Il badge viene rilasciato quando almeno {n} dei {total} gesti sono acquisiti.",
        "parts": "Rilasciato a chi possiede tutti questi badge:",
        "further": "Apre la strada a:",
        "colon": ":",
    },
    "es": {
        "gestures": "La persona formadora observa estos gestos:",
        "all": "La insignia se concede cuando se han adquirido todos los gestos.",
        "at_least": "La insignia se concede cuando se han adquirido al menos {n} de los {total} "
        "gestos.",
        "parts": "Se concede a quien tiene todas estas insignias:",
        "further": "Abre el camino hacia:",
        "colon": ":",
    },
    "pl": {
        "gestures": "Trener obserwuje następujące czynności:",
        "all": "Odznaka jest przyznawana, gdy wszystkie czynności zostały opanowane.",
        "at_least": "Odznaka jest przyznawana, gdy opanowano co najmniej {n} z {total} czynności.",
        "parts": "Przyznawana osobie, która ma wszystkie te odznaki:",
        "further": "Otwiera drogę do:",
        "colon": ":",
    },
}


def _sentences(language: str) -> dict[str, str]:
    return _CRITERIA.get(language.split("-")[0], _CRITERIA["en"])


def _require_language(item: MicroTraining | Skill, language: str) -> None:
    # An achievement labelled `fr` must really be in French: no silent fallback here.
    if language not in item.languages:
        raise TemplateError(N_("%(item)s is not written in %(language)s; it is in %(languages)s",
                               item=repr(item.id), language=repr(language),
                               languages=", ".join(item.languages)))


def gesture_result_id(achievement_id: str, gesture: Gesture) -> str:
    """The ResultDescription id of a gesture within one language's achievement."""
    return f"{achievement_id}#gesture-{gesture.id}"


def level_id(achievement_id: str, gesture: Gesture, level: RubricLevel) -> str:
    """The RubricCriterionLevel id of one level of a gesture."""
    return f"{gesture_result_id(achievement_id, gesture)}-{level.id}"


def _result_description(gesture: Gesture, language: str, achievement_id: str):
    levels = tuple(
        builders.RubricCriterionLevel(
            id=level_id(achievement_id, gesture, level),
            name=level.name_in(language),
            description=level.text("description", language),
        )
        for level in gesture.levels
    )
    return builders.ResultDescription(
        id=gesture_result_id(achievement_id, gesture),
        name=gesture.name_in(language),
        result_type="RubricCriterion",
        rubric_criterion_levels=levels,
        required_level=level_id(achievement_id, gesture, gesture.required),
    )


def _training_narrative(training: MicroTraining, language: str) -> str:
    words = _sentences(language)
    lines = [words["gestures"], ""]
    lines += [
        f"- **{gesture.name_in(language)}**{words['colon']} {gesture.text('observe', language)}"
        for gesture in training.gestures
    ]
    rule = words["all"] if training.validation == "all-acquired" else words["at_least"].format(
        n=training.gestures_needed, total=len(training.gestures))
    return "\n".join([*lines, "", rule])


def _related(related_ids: Mapping[str, str], language: str, version: str):
    return tuple(
        builders.Related(id=other_id, in_language=other_language, version=version)
        for other_language, other_id in related_ids.items()
        if other_language != language
    )


def achievement_for(
    training: MicroTraining,
    language: str,
    achievement_id: str,
    related_ids: Mapping[str, str],
    image: builders.Image | None = None,
    creator: builders.Profile | None = None,
) -> builders.Achievement:
    """The OB MicroCredential Achievement of a micro-training in one language.

    One ResultDescription per gesture (a rubric criterion whose required level is the acquired
    level), ESCO and EQF alignments and the EU micro-credential elements, and `related` entries
    pointing at the other languages' achievements (`related_ids`: language → achievement id).
    Raises TemplateError if the training is not written in `language`, BuildError for ids that
    are not absolute URIs.
    """
    _require_language(training, language)
    facts = microcredentials.MicroCredentialFacts(
        learning_outcomes=tuple((text, None) for text in training.learning_outcomes[language]),
        workload_hours=training.duration_hours,
        eqf_level=training.eqf_level,
        assessment_type=training.assessment_type,
        participation_form=training.participation,
        quality_assurance=training.quality_assurance[language],
        language=language,
    )
    esco = tuple(
        builders.Alignment(
            target_name=skill.name_in(language),
            target_url=skill.uri,
            target_framework=microcredentials.ESCO_FRAMEWORK,
            target_type="ext:ESCOSkill",
        )
        for skill in training.esco_skills
    )
    achievement = builders.Achievement(
        id=achievement_id,
        name=training.name[language],
        description=training.description[language],
        criteria=builders.Criteria(narrative=_training_narrative(training, language)),
        achievement_type="MicroCredential",
        result_descriptions=tuple(
            _result_description(gesture, language, achievement_id) for gesture in training.gestures
        ),
        alignments=esco,
        in_language=language,
        related=_related(related_ids, language, training.version),
        tags=(*training.tags, f"theme:{training.theme}"),
        version=training.version,
        image=image,
        creator=creator,
        human_code=training.id,
    )
    return microcredentials.with_micro_credential(achievement, facts)


def _skill_narrative(skill: Skill, language: str, parts: Iterable[tuple[str, str]]) -> str:
    words = _sentences(language)
    lines = [words["parts"], ""] + [f"- [{name}]({url})" for name, url in parts]
    if skill.further_training:
        lines += ["", words["further"], ""]
        lines += [
            f"- [{programme.name_in(language)}]({programme.url}) ({programme.provider})"
            for programme in skill.further_training
        ]
    return "\n".join(lines)


def skill_achievement_for(
    skill: Skill,
    language: str,
    achievement_id: str,
    part_ids: Mapping[str, str],
    trainings: Mapping[str, MicroTraining] | None = None,
    related_ids: Mapping[str, str] | None = None,
    image: builders.Image | None = None,
    creator: builders.Profile | None = None,
) -> builders.Achievement:
    """The OB Competency Achievement of a skill in one language.

    `part_ids` maps each part's micro-training id to the id of its achievement (in the same
    language); the criteria narrative lists the parts, and each part is also an alignment so
    that software can check the stack. `trainings` supplies the parts' names (else their ids).
    """
    _require_language(skill, language)
    missing = [part for part in skill.parts if part not in part_ids]
    if missing:
        raise TemplateError(N_("skill %(skill)s: no achievement id for %(parts)s",
                               skill=repr(skill.id), parts=", ".join(missing)))
    trainings = trainings or {}
    parts = [
        (trainings[part].name_in(language) if part in trainings else part, part_ids[part])
        for part in skill.parts
    ]
    return builders.Achievement(
        id=achievement_id,
        name=skill.name[language],
        description=skill.description[language],
        criteria=builders.Criteria(narrative=_skill_narrative(skill, language, parts)),
        achievement_type="Competency",
        alignments=tuple(
            builders.Alignment(target_name=name, target_url=url, target_type="ceterms:Credential")
            for name, url in parts
        ),
        in_language=language,
        related=_related(related_ids or {}, language, skill.version),
        tags=skill.tags + ((f"theme:{skill.theme}",) if skill.theme else ()),
        version=skill.version,
        image=image,
        creator=creator,
        human_code=skill.id,
    )
