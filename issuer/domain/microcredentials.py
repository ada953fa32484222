"""EU micro-credential elements (Council Recommendation 2022, DIGEST §I) on an OB Achievement.

Only OB 3.0 terms are used: a private JSON-LD context could not be loaded by independent
verifiers, and safe-mode signing refuses terms no context defines. docs/MICROCREDENTIALS.md
says which element went where.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from issuer.core.builders import Achievement, Alignment
from issuer.core.builders.common import require_enum, require_language, require_text
from issuer.core.errors import BuildError

EQF_FRAMEWORK = "European Qualifications Framework"
EQF_LEVEL_URI = "http://data.europa.eu/snb/eqf/{level}"
ESCO_FRAMEWORK = "ESCO"
ESCO_URI_PREFIX = "http://data.europa.eu/esco/"

_LABELS: dict[str, dict[str, str]] = {
    "en": {
        "heading": "Micro-credential information",
        "outcomes": "Learning outcomes",
        "workload": "Notional workload",
        "eqf": "EQF level",
        "assessment": "Type of assessment",
        "participation": "Form of participation",
        "quality": "Quality assurance",
        "prerequisites": "Prerequisites",
        "language": "Language",
    },
    "fr": {
        "heading": "Informations sur la microcertification",
        "outcomes": "Acquis d'apprentissage",
        "workload": "Charge de travail",
        "eqf": "Niveau CEC",
        "assessment": "Type d'évaluation",
        "participation": "Forme de participation",
        "quality": "Assurance qualité",
        "prerequisites": "Prérequis",
        "language": "Langue",
        # French typography puts a (non-breaking) space before the colon.
        "colon": "\u00a0:",
    },
    "nl": {
        "heading": "Informatie over de microcredential",
        "outcomes": "Leerresultaten",
        "workload": "Studiebelasting",
        "eqf": "EKK-niveau",
        "assessment": "Type beoordeling",
        "participation": "Vorm van deelname",
        "quality": "Kwaliteitsborging",
        "prerequisites": "Toelatingsvoorwaarden",
        "language": "Taal",
    },
    "it": {
        "heading": "Informazioni sulla microcredenziale",
        "outcomes": "Risultati di apprendimento",
        "workload": "Carico di lavoro",
        "eqf": "Livello EQF",
        "assessment": "Tipo di valutazione",
        "participation": "Forma di partecipazione",
        "quality": "Garanzia della qualità",
        "prerequisites": "Prerequisiti",
        "language": "Lingua",
    },
    "es": {
        "heading": "Información sobre la microcredencial",
        "outcomes": "Resultados de aprendizaje",
        "workload": "Carga de trabajo",
        "eqf": "Nivel MEC",
        "assessment": "Tipo de evaluación",
        "participation": "Forma de participación",
        "quality": "Garantía de calidad",
        "prerequisites": "Requisitos previos",
        "language": "Idioma",
    },
    "pl": {
        "heading": "Informacje o mikropoświadczeniu",
        "outcomes": "Efekty uczenia się",
        "workload": "Nakład pracy",
        "eqf": "Poziom ERK",
        "assessment": "Forma oceny",
        "participation": "Forma uczestnictwa",
        "quality": "Zapewnianie jakości",
        "prerequisites": "Wymagania wstępne",
        "language": "Język",
    },
}

ASSESSMENT_TYPES: dict[str, dict[str, str]] = {
    "observation": {
        "en": "Observation by a trainer",
        "fr": "Observation par un formateur",
        "nl": "Observatie door een trainer",
        "it": "Osservazione da parte di un formatore",
        "es": "Observación por parte de un formador",
        "pl": "Obserwacja przez trenera",
    },
    "practical-test": {
        "en": "Practical test",
        "fr": "Épreuve pratique",
        "nl": "Praktijktoets",
        "it": "Prova pratica",
        "es": "Prueba práctica",
        "pl": "Test praktyczny",
    },
    "written-test": {
        "en": "Written test",
        "fr": "Épreuve écrite",
        "nl": "Schriftelijke toets",
        "it": "Prova scritta",
        "es": "Prueba escrita",
        "pl": "Test pisemny",
    },
    "oral-test": {
        "en": "Oral test",
        "fr": "Épreuve orale",
        "nl": "Mondelinge toets",
        "it": "Prova orale",
        "es": "Prueba oral",
        "pl": "Test ustny",
    },
    "portfolio": {
        "en": "Portfolio",
        "fr": "Portfolio",
        "nl": "Portfolio",
        "it": "Portfolio",
        "es": "Portafolio",
        "pl": "Portfolio",
    },
    "recognition-of-prior-learning": {
        "en": "Recognition of prior learning",
        "fr": "Reconnaissance des acquis",
        "nl": "Erkenning van eerder verworven competenties",
        "it": "Riconoscimento degli apprendimenti pregressi",
        "es": "Reconocimiento de aprendizajes previos",
        "pl": "Uznanie wcześniej zdobytych efektów uczenia się",
    },
}

PARTICIPATION_FORMS: dict[str, dict[str, str]] = {
    "onsite": {
        "en": "On site",
        "fr": "En présentiel",
        "nl": "Op locatie",
        "it": "In presenza",
        "es": "Presencial",
        "pl": "Stacjonarnie",
    },
    "online": {
        "en": "Online",
        "fr": "À distance",
        "nl": "Online",
        "it": "Online",
        "es": "En línea",
        "pl": "Online",
    },
    "blended": {
        "en": "Blended (on site and online)",
        "fr": "Hybride (présentiel et à distance)",
        "nl": "Gemengd (op locatie en online)",
        "it": "Mista (in presenza e online)",
        "es": "Mixta (presencial y en línea)",
        "pl": "Mieszana (stacjonarnie i online)",
    },
}


@dataclass(frozen=True)
class MicroCredentialFacts:
    """The EU Council Recommendation (2022) elements of a micro-training that OB has no field for.

    `learning_outcomes` pairs each outcome text (in the achievement's language) with its ESCO
    skill URI, or None. `assessment_type` and `participation_form` are keys of ASSESSMENT_TYPES
    and PARTICIPATION_FORMS; `language` is the language the training is given in.
    """

    learning_outcomes: tuple[tuple[str, str | None], ...]
    workload_hours: float
    eqf_level: int | None = None
    assessment_type: str = "observation"
    participation_form: str = "onsite"
    quality_assurance: str | None = None
    prerequisites: str | None = None
    language: str | None = None

    def __post_init__(self):
        object.__setattr__(
            self, "learning_outcomes", tuple(tuple(item) for item in self.learning_outcomes)
        )
        for text, esco_uri in self.learning_outcomes:
            require_text(text, "a learning outcome")
            if esco_uri is not None and not esco_uri.startswith(ESCO_URI_PREFIX):
                raise BuildError(
                    f"ESCO URI {esco_uri!r} must start with {ESCO_URI_PREFIX!r} "
                    "(the canonical ESCO form, http not https)"
                )
        hours = self.workload_hours
        if isinstance(hours, bool) or not isinstance(hours, int | float) or hours <= 0:
            raise BuildError(f"workload_hours must be a positive number of hours, not {hours!r}")
        level = self.eqf_level
        if level is not None and (isinstance(level, bool) or level not in range(1, 9)):
            raise BuildError(f"eqf_level must be an integer from 1 to 8, not {level!r}")
        require_enum(self.assessment_type, frozenset(ASSESSMENT_TYPES), "assessment_type", False)
        require_enum(
            self.participation_form, frozenset(PARTICIPATION_FORMS), "participation_form", False
        )
        require_language(self.language, "micro-credential language")


def iso_duration(hours: float) -> str:
    """Hours as an ISO 8601 duration rounded to the minute: 12 → PT12H, 1.5 → PT1H30M."""
    whole, minutes = divmod(round(hours * 60), 60)
    return "PT" + (f"{whole}H" if whole else "") + (f"{minutes}M" if minutes else "")


def _hours_text(hours: float) -> str:
    whole, minutes = divmod(round(hours * 60), 60)
    parts = ([f"{whole} h"] if whole else []) + ([f"{minutes} min"] if minutes else [])
    return " ".join(parts)


def _label_language(language: str) -> str:
    # Labels exist for the six project languages; any other falls back to English.
    primary = language.split("-")[0]
    return primary if primary in _LABELS else "en"


def micro_credential_elements(facts: MicroCredentialFacts, language: str) -> dict:
    """The OB pieces that carry `facts`, to merge into an Achievement (see with_micro_credential).

    Returns `{"alignments": [Alignment…], "tags": [str…], "criteria_narrative": str}`: ESCO
    skills and the EQF level as alignments, the other elements as machine-readable tags and as a
    labelled Markdown block in `language` (en, fr, nl, it, es, pl; English otherwise).
    """
    lang = _label_language(language)
    alignments = [
        Alignment(
            target_name=text,
            target_url=uri,
            target_framework=ESCO_FRAMEWORK,
            target_type="ext:ESCOSkill",
        )
        for text, uri in facts.learning_outcomes
        if uri is not None
    ]
    if facts.eqf_level is not None:
        alignments.append(_eqf_alignment(facts.eqf_level, lang))
    return {
        "alignments": alignments,
        "tags": _micro_credential_tags(facts),
        "criteria_narrative": _micro_credential_narrative(facts, lang),
    }



def with_micro_credential(achievement: Achievement, facts: MicroCredentialFacts) -> Achievement:
    """A copy carrying the EU micro-credential elements as alignments, tags and criteria text.

    The Markdown block is appended to the criteria narrative, in the achievement's language.
    """
    elements = micro_credential_elements(facts, achievement.in_language or "en")
    narrative = "\n\n".join(
        part for part in (achievement.criteria.narrative, elements["criteria_narrative"]) if part
    )
    return replace(
        achievement,
        criteria=replace(achievement.criteria, narrative=narrative),
        alignments=achievement.alignments + tuple(elements["alignments"]),
        tags=achievement.tags + tuple(t for t in elements["tags"] if t not in achievement.tags),
    )


def _eqf_alignment(level: int, lang: str) -> Alignment:
    return Alignment(
        target_name=f"{_LABELS[lang]['eqf']} {level}",
        target_url=EQF_LEVEL_URI.format(level=level),
        target_code=str(level),
        target_framework=EQF_FRAMEWORK,
        target_type="ext:EQFLevel",
    )


def _micro_credential_tags(facts: MicroCredentialFacts) -> list[str]:
    tags = [
        f"workload:{iso_duration(facts.workload_hours)}",
        f"assessment:{facts.assessment_type}",
        f"participation:{facts.participation_form}",
    ]
    if facts.eqf_level is not None:
        tags.append(f"eqf:{facts.eqf_level}")
    if facts.language:
        tags.append(f"language:{facts.language}")
    return tags


def _micro_credential_narrative(facts: MicroCredentialFacts, lang: str) -> str:
    labels = _LABELS[lang]
    colon = labels.get("colon", ":")
    lines = [f"**{labels['heading']}**", ""]
    if facts.learning_outcomes:
        lines.append(f"- **{labels['outcomes']}{colon}**")
        lines += [f"  - {text.strip()}" for text, _ in facts.learning_outcomes]
    rows = [
        ("workload", _hours_text(facts.workload_hours)),
        ("eqf", None if facts.eqf_level is None else str(facts.eqf_level)),
        ("assessment", ASSESSMENT_TYPES[facts.assessment_type][lang]),
        ("participation", PARTICIPATION_FORMS[facts.participation_form][lang]),
        ("quality", facts.quality_assurance),
        ("prerequisites", facts.prerequisites),
        ("language", facts.language),
    ]
    lines += [f"- **{labels[key]}{colon}** {value.strip()}" for key, value in rows if value]
    return "\n".join(lines)
