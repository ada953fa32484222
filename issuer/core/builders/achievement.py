"""Builders for what is achieved: Achievement, its Criteria, ResultDescriptions and Alignments."""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import BuildError
from .common import (
    ACHIEVEMENT_TYPES,
    ALIGNMENT_TARGET_TYPES,
    RESULT_TYPES,
    check_endorsements,
    compact,
    freeze_sequences,
    json_list,
    require_enum,
    require_language,
    require_text,
    require_uri,
)
from .profile import IdentifierEntry, Image, Profile


@dataclass(frozen=True)
class Criteria:
    """What a learner must do: a page (`id`) and/or a Markdown `narrative`."""

    id: str | None = None
    narrative: str | None = None

    def __post_init__(self):
        require_uri(self.id, "Criteria id", optional=True)
        if not self.id and not self.narrative:
            raise BuildError("Criteria needs an id (criteria page URL) or a narrative, or both")

    def to_json(self) -> dict:
        return compact({"id": self.id, "narrative": self.narrative})


@dataclass(frozen=True)
class Alignment:
    """A link from an achievement or result to a framework item (an ESCO skill, an EQF level…)."""

    target_name: str
    target_url: str
    target_code: str | None = None
    target_framework: str | None = None
    target_type: str | None = None
    target_description: str | None = None

    def __post_init__(self):
        require_text(self.target_name, "Alignment targetName")
        require_uri(self.target_url, "Alignment targetUrl")
        require_enum(self.target_type, ALIGNMENT_TARGET_TYPES, "Alignment targetType")

    def to_json(self) -> dict:
        return compact(
            {
                "type": ["Alignment"],
                "targetName": self.target_name,
                "targetUrl": self.target_url,
                "targetCode": self.target_code,
                "targetFramework": self.target_framework,
                "targetType": self.target_type,
                "targetDescription": self.target_description,
            }
        )


@dataclass(frozen=True)
class RubricCriterionLevel:
    """One level of a rubric, e.g. "acquired" / "not yet acquired" for a gesture."""

    id: str
    name: str
    description: str | None = None
    level: str | None = None
    points: str | None = None

    def __post_init__(self):
        require_uri(self.id, "RubricCriterionLevel id")
        require_text(self.name, "RubricCriterionLevel name")

    def to_json(self) -> dict:
        return compact(
            {
                "id": self.id,
                "type": ["RubricCriterionLevel"],
                "name": self.name,
                "description": self.description,
                "level": self.level,
                "points": self.points,
            }
        )


@dataclass(frozen=True)
class ResultDescription:
    """A result an achievement can record, such as one per assessed gesture."""

    id: str
    name: str
    result_type: str
    rubric_criterion_levels: tuple[RubricCriterionLevel, ...] = ()
    required_level: str | None = None
    allowed_values: tuple[str, ...] = ()
    alignments: tuple[Alignment, ...] = ()
    value_min: str | None = None
    value_max: str | None = None
    required_value: str | None = None

    def __post_init__(self):
        freeze_sequences(self)
        require_uri(self.id, "ResultDescription id")
        require_text(self.name, "ResultDescription name")
        require_enum(self.result_type, RESULT_TYPES, "resultType")
        level_ids = {level.id for level in self.rubric_criterion_levels}
        if self.required_level is not None and self.required_level not in level_ids:
            raise BuildError(
                f"requiredLevel {self.required_level!r} of {self.name!r} is not the id of one of "
                "its rubric criterion levels"
            )

    def level(self, level_id: str) -> RubricCriterionLevel | None:
        """The rubric level with this id, if this description has it."""
        return next((lv for lv in self.rubric_criterion_levels if lv.id == level_id), None)

    def to_json(self) -> dict:
        return compact(
            {
                "id": self.id,
                "type": ["ResultDescription"],
                "name": self.name,
                "resultType": self.result_type,
                "rubricCriterionLevel": json_list(self.rubric_criterion_levels),
                "requiredLevel": self.required_level,
                # Ordered low to high: the context makes this an @list, so order is signed.
                "allowedValue": list(self.allowed_values),
                "requiredValue": self.required_value,
                "valueMin": self.value_min,
                "valueMax": self.value_max,
                "alignment": json_list(self.alignments),
            }
        )


@dataclass(frozen=True)
class Related:
    """Another edition of an achievement: a translation (`in_language`) or a `version`."""

    id: str
    in_language: str | None = None
    version: str | None = None

    def __post_init__(self):
        require_uri(self.id, "Related id")
        require_language(self.in_language, "Related inLanguage")

    def to_json(self) -> dict:
        return compact(
            {
                "id": self.id,
                "type": ["Related"],
                "inLanguage": self.in_language,
                "version": self.version,
            }
        )


# --- the achievement ------------------------------------------------------------------------


@dataclass(frozen=True)
class Achievement:
    """An achievement definition; `achievement_type` defaults to MicroCredential."""

    id: str
    name: str
    description: str
    criteria: Criteria
    achievement_type: str = "MicroCredential"
    result_descriptions: tuple[ResultDescription, ...] = ()
    alignments: tuple[Alignment, ...] = ()
    in_language: str | None = None
    related: tuple[Related, ...] = ()
    credits_available: float | None = None
    tags: tuple[str, ...] = ()
    version: str | None = None
    image: Image | None = None
    creator: Profile | None = None
    field_of_study: str | None = None
    human_code: str | None = None
    specialization: str | None = None
    other_identifiers: tuple[IdentifierEntry, ...] = ()
    endorsements: tuple[dict, ...] = ()

    def __post_init__(self):
        freeze_sequences(self)
        require_uri(self.id, "Achievement id")
        require_text(self.name, "Achievement name")
        require_text(self.description, "Achievement description")
        require_enum(self.achievement_type, ACHIEVEMENT_TYPES, "achievementType")
        require_language(self.in_language, "Achievement inLanguage")
        ids = [rd.id for rd in self.result_descriptions]
        if len(ids) != len(set(ids)):
            raise BuildError(f"Achievement {self.name!r} has two result descriptions with one id")
        check_endorsements(self.endorsements, "Achievement")

    def result_description(self, result_description_id: str) -> ResultDescription | None:
        """The result description with this id, if the achievement defines it."""
        return next((rd for rd in self.result_descriptions if rd.id == result_description_id), None)

    def to_json(self) -> dict:
        return compact(
            {
                "id": self.id,
                "type": ["Achievement"],
                "achievementType": self.achievement_type,
                "name": self.name,
                "description": self.description,
                "criteria": self.criteria.to_json(),
                "image": self.image and self.image.to_json(),
                "inLanguage": self.in_language,
                "version": self.version,
                "humanCode": self.human_code,
                "fieldOfStudy": self.field_of_study,
                "specialization": self.specialization,
                "creditsAvailable": self.credits_available,
                "tag": list(self.tags),
                "creator": self.creator and self.creator.to_json(),
                "resultDescription": json_list(self.result_descriptions),
                "alignment": json_list(self.alignments),
                "related": json_list(self.related),
                "otherIdentifier": json_list(self.other_identifiers),
                "endorsement": list(self.endorsements),
            }
        )
