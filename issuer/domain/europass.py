"""Our Open Badges as Europass credentials: the European Learning Model (ELM 3.x) mapping.

Europass (EDC, European Digital Credentials for Learning) reads credentials in the ELM, a
JSON-LD vocabulary of its own (`http://data.europa.eu/snb/model/context/edc-ap`). This module
maps a signed Open Badge, with the catalogue's texts in every language when there are some,
to an ELM `EuropeanDigitalCredential` of the *Generic* profile: the learner as `Person`, each
badge as a `LearningAchievement` specified by a `LearningAchievementSpecification` carrying the
EU micro-credential elements (learning outcomes with their ESCO skills, workload, EQF level,
form of participation, language, non-formal learning setting), proven by one
`LearningAssessment` per observed gesture with the level reached, awarded by the issuer.
docs/EUROPASS.md lists each element and what has no ELM equivalent.

Pure: no I/O, no clock. The document is **not sealed**: a Europass credential is sealed by its
issuer with a qualified electronic seal (eIDAS), which this project does not do; Europass shows
an unsealed file as such, and the Open Badge inside it (`identifier`) stays verifiable.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

ELM_CONTEXT = "http://data.europa.eu/snb/model/context/edc-ap"
VC_V1_CONTEXT = "https://www.w3.org/2018/credentials/v1"
GENERIC_PROFILE = "http://data.europa.eu/snb/credential/e34929035b"
SHAPES = "http://data.europa.eu/snb/model/ap/edc-generic-full"
SNB = "http://data.europa.eu/snb/"
AUTHORITY = "http://publications.europa.eu/resource/authority/"
OB_SCHEME = "Open Badges 3.0 credential"
ESCO = "http://data.europa.eu/esco/"

# The EU vocabularies' concepts for our catalogue's values (ELM controlled vocabularies).
PARTICIPATION_MODES = {  # learning-assessment modes
    "onsite": ("9191af2ed9", "Presential"),
    "online": ("920fbb3cbe", "Online"),
    "blended": ("e92d221e4d", "Blended"),
}
ASSESSMENT_TYPES = {  # assessment types; recognition of prior learning has none
    "observation": ("6a4db9f11d", "practical assessment"),
    "practical-test": ("6a4db9f11d", "practical assessment"),
    "oral-test": ("d30284d7df", "oral examination"),
    "written-test": ("6e6cb2cc78", "written examination"),
    "portfolio": ("4f03b91c0e", "portfolio"),
}
NON_FORMAL = ("e207a81fc7", "non-formal learning")
WORKSHOP = ("efff75e10a", "workshop, seminar or conference")
# The EU's language authority table names our six languages by ISO 639-2/B-like codes.
LANGUAGE_CODES = {"en": "ENG", "fr": "FRA", "nl": "NLD", "it": "ITA", "es": "SPA", "pl": "POL",
                  "de": "DEU", "pt": "POR"}
_TAG = re.compile(r"^(workload|assessment|participation|eqf|language):(.+)$")
_DURATION = re.compile(r"^PT(?:\d+H)?(?:\d+M)?$")


@dataclass(frozen=True)
class BadgeTexts:
    """A badge's texts in each language the catalogue has them in (language → text)."""

    title: Mapping[str, str]
    description: Mapping[str, str] = field(default_factory=dict)
    learning_outcomes: Mapping[str, Sequence[str]] = field(default_factory=dict)
    quality_assurance: Mapping[str, str] = field(default_factory=dict)
    gestures: Sequence[Mapping[str, str]] = ()  # each gesture's name, in order
    esco_skills: Sequence[tuple[str, Mapping[str, str]]] = ()  # (ESCO URI, names)


@dataclass(frozen=True)
class Learner:
    """The learner as the Europass file names them (their own download: their own data)."""

    id: str
    full_name: str | None = None


@dataclass(frozen=True)
class Badge:
    """One signed Open Badge to map, with what the signature does not carry in machine form."""

    credential: dict
    texts: BadgeTexts | None = None
    country_alpha3: str | None = None  # ISO 3166-1 alpha-3 of the issuer's country


def elm_credential(badges: Sequence[Badge], learner: Learner, credential_id: str,
                   issued: str, language: str, pages: Sequence[bytes]) -> dict:
    """An unsealed ELM `EuropeanDigitalCredential` holding one claim per badge.

    `credential_id` is a URI of the file (urn:…); `issued` the time it was made
    (`YYYY-MM-DDThh:mm:ssZ`); `language` its primary language; `pages` the PNG pictures Europass
    shows for it (ELM requires at least one). The issuer is the first badge's; each claim names
    its own awarding body.
    """
    if not pages:
        raise ValueError("an ELM credential needs at least one page to display")
    if not badges:
        raise ValueError("an ELM credential needs at least one badge")
    first = badges[0].credential
    issuer = _organisation(first.get("issuer"), badges[0].country_alpha3)
    claims = [_achievement(badge) for badge in badges]
    languages = sorted({lang for claim in claims for lang in claim["title"]} | {language})
    title = claims[0]["title"] if len(claims) == 1 else {
        language: " · ".join(_in(claim["title"], language) for claim in claims)}
    document = {
        "@context": [VC_V1_CONTEXT, ELM_CONTEXT],
        "id": credential_id,
        "type": ["VerifiableCredential", "EuropeanDigitalCredential"],
        "credentialProfiles": _concept(GENERIC_PROFILE, SNB + "credential/25831c2",
                                       {"en": "Generic"}),
        "credentialSchema": {"id": SHAPES, "type": "ShaclValidator2017"},
        "identifier": [_identifier(f"{credential_id}:ob:{index}", badge.credential.get("id"))
                       for index, badge in enumerate(badges, 1) if badge.credential.get("id")],
        "issuer": issuer,
        "issued": issued,
        "issuanceDate": issued,
        "validFrom": min(str(badge.credential.get("validFrom") or issued) for badge in badges),
        "credentialSubject": {
            "id": learner.id,
            "type": "Person",
            **({"fullName": {language: learner.full_name}} if learner.full_name else {}),
            "hasClaim": claims if len(claims) > 1 else claims[0],
        },
        "displayParameter": {
            "id": f"{credential_id}:display",
            "type": "DisplayParameter",
            "title": title,
            "language": [_language(code) for code in languages],
            "primaryLanguage": _language(language),
            "individualDisplay": {
                "id": f"{credential_id}:display:{language}",
                "type": "IndividualDisplay",
                "language": _language(language),
                "displayDetail": [_page(f"{credential_id}:page:{number}", number, png)
                                  for number, png in enumerate(pages, 1)],
            },
        },
    }
    until = [badge.credential.get("validUntil") for badge in badges]
    if all(until) and until:
        document["validUntil"] = min(str(value) for value in until)
    return document


def _achievement(badge: Badge) -> dict:
    credential = badge.credential
    uid = _uid(credential)
    subject = _first(credential.get("credentialSubject"))
    achievement = _object(subject.get("achievement"))
    lang = str(achievement.get("inLanguage") or "en")
    texts = badge.texts or BadgeTexts(title={lang: str(achievement.get("name") or "")},
                                      description=_maybe(lang, achievement.get("description")))
    facts = _tagged(achievement.get("tag"))
    awarding = {
        "id": f"urn:epass:awardingProcess:{uid}",
        "type": "AwardingProcess",
        "awardingBody": _organisation(credential.get("issuer"), badge.country_alpha3),
        "awardingDate": credential.get("validFrom"),
    }
    specification = {
        "id": f"urn:epass:learningAchievementSpec:{uid}",
        "type": "LearningAchievementSpecification",
        "title": dict(texts.title),
        "learningSetting": _snb("learning-setting", NON_FORMAL),
        **({"description": dict(texts.description)} if texts.description else {}),
        **({"volumeOfLearning": facts["workload"]}
           if _DURATION.match(facts.get("workload", "")) else {}),
        **({"eqfLevel": _concept(SNB + f"eqf/{facts['eqf']}", SNB + "eqf/25831c2",
                                 {"en": f"Level {facts['eqf']}"})}
           if facts.get("eqf", "").isdigit() else {}),
        **({"mode": _snb("learning-assessment", PARTICIPATION_MODES[facts["participation"]])}
           if facts.get("participation") in PARTICIPATION_MODES else {}),
        **({"language": _language(facts["language"].split("-")[0])}
           if facts.get("language", "").split("-")[0] in LANGUAGE_CODES else {}),
        "learningOutcome": _outcomes(uid, achievement, texts),
        **({"additionalNote": [_note(f"urn:epass:note:{uid}:qa", texts.quality_assurance)]}
           if texts.quality_assurance else {}),
        "homepage": [_web(f"urn:epass:webResource:{uid}:achievement", achievement.get("id"))]
        if str(achievement.get("id", "")).startswith("http") else [],
    }
    if not specification["homepage"]:
        del specification["homepage"]
    if not specification["learningOutcome"]:
        del specification["learningOutcome"]
    claim = {
        "id": f"urn:epass:learningAchievement:{uid}",
        "type": "LearningAchievement",
        "title": dict(texts.title),
        "awardedBy": awarding,
        "specifiedBy": specification,
    }
    if texts.description:
        claim["description"] = dict(texts.description)
    assessments = _assessments(uid, achievement, subject, texts, facts, awarding)
    if assessments:
        claim["provenBy"] = assessments
    return claim


def _outcomes(uid: str, achievement: dict, texts: BadgeTexts) -> list[dict]:
    """The learning outcomes in every language, then each ESCO skill the badge is aligned to
    (an outcome of its own: the catalogue does not tie a skill to one outcome)."""
    by_language = {lang: list(items) for lang, items in texts.learning_outcomes.items() if items}
    count = max((len(items) for items in by_language.values()), default=0)
    outcomes = [{"id": f"urn:epass:learningOutcome:{uid}:{index + 1}",
                 "type": "LearningOutcome",
                 "title": {lang: items[index] for lang, items in by_language.items()
                           if index < len(items)}}
                for index in range(count)]
    skills = list(texts.esco_skills) or [
        (str(item.get("targetUrl")), {str(achievement.get("inLanguage") or "en"):
                                      str(item.get("targetName") or item.get("targetUrl"))})
        for item in _list(achievement.get("alignment")) if isinstance(item, dict)
        and str(item.get("targetUrl", "")).startswith(ESCO)]
    for index, (uri, names) in enumerate(skills, 1):
        outcomes.append({
            "id": f"urn:epass:learningOutcome:{uid}:esco:{index}", "type": "LearningOutcome",
            "title": dict(names),
            "relatedESCOSkill": _concept(uri, ESCO + "concept-scheme/skills", names)})
    return outcomes


def _assessments(uid: str, achievement: dict, subject: dict, texts: BadgeTexts,
                 facts: dict, awarding: dict) -> list[dict]:
    """One assessment per observed gesture (OB ResultDescription) with the level reached."""
    results = {str(result.get("resultDescription")): result
               for result in _list(subject.get("result")) if isinstance(result, dict)}
    lang = str(achievement.get("inLanguage") or "en")
    kind = ASSESSMENT_TYPES.get(facts.get("assessment", ""))
    found = []
    for index, description in enumerate(_list(achievement.get("resultDescription"))):
        if not isinstance(description, dict):
            continue
        result = results.get(str(description.get("id")), {})
        levels = {str(level.get("id")): level for level in _list(
            description.get("rubricCriterionLevel")) if isinstance(level, dict)}
        reached = levels.get(str(result.get("achievedLevel")), {})
        title = (dict(texts.gestures[index]) if index < len(texts.gestures)
                 else {lang: str(description.get("name") or "")})
        assessment = {
            "id": f"urn:epass:learningAssessment:{uid}:{index + 1}",
            "type": "LearningAssessment",
            "title": title,
            "awardedBy": awarding,
        }
        if reached.get("name"):
            assessment["grade"] = _note(f"urn:epass:note:{uid}:grade:{index + 1}",
                                        {lang: str(reached["name"])})
        specification = {"id": f"urn:epass:learningAssessmentSpec:{uid}:{index + 1}",
                         "type": "LearningAssessmentSpecification", "title": title}
        if kind:
            specification["dcType"] = _snb("assessment", kind)
        if facts.get("participation") in PARTICIPATION_MODES:
            specification["mode"] = _snb("learning-assessment",
                                         PARTICIPATION_MODES[facts["participation"]])
        assessment["specifiedBy"] = specification
        found.append(assessment)
    return found


def _organisation(issuer, country_alpha3: str | None) -> dict:
    issuer = issuer if isinstance(issuer, dict) else {"id": str(issuer or "")}
    org_id = str(issuer.get("id") or "")
    name = str(issuer.get("name") or org_id)
    organisation = {"id": org_id, "type": "Organisation", "legalName": {"en": name}}
    if country_alpha3:
        organisation["location"] = {
            "id": f"{org_id}#location", "type": "Location",
            "address": {"id": f"{org_id}#address", "type": "Address",
                        "countryCode": _concept(AUTHORITY + f"country/{country_alpha3}",
                                                AUTHORITY + "country", {"en": country_alpha3},
                                                notation="country")}}
    if str(issuer.get("url", "")).startswith("http"):
        organisation["homepage"] = _web(f"{org_id}#homepage", issuer["url"])
    if issuer.get("email"):
        organisation["contactPoint"] = {
            "id": f"{org_id}#contact", "type": "ContactPoint",
            "emailAddress": {"id": f"mailto:{issuer['email']}", "type": "Mailbox"}}
    return organisation


def _page(node_id: str, number: int, png: bytes) -> dict:
    return {"id": node_id, "type": "DisplayDetail", "page": number, "image": {
        "id": f"{node_id}:image", "type": "MediaObject",
        "content": base64.b64encode(png).decode("ascii"),
        "contentEncoding": _concept(SNB + "encoding/6146cde7dd", SNB + "encoding/25831c2",
                                    {"en": "base64"}),
        "contentType": _concept(AUTHORITY + "file-type/PNG", AUTHORITY + "file-type",
                                {"en": "PNG"}, notation="file-type")}}


def _identifier(node_id: str, value) -> dict:
    return {"id": node_id, "type": "Identifier", "schemeName": OB_SCHEME,
            "notation": str(value)}


def _web(node_id: str, url) -> dict:
    return {"id": node_id, "type": "WebResource", "contentURL": str(url)}


def _note(node_id: str, texts: Mapping[str, str]) -> dict:
    return {"id": node_id, "type": "Note", "noteLiteral": dict(texts)}


def _language(code: str) -> dict:
    alpha3 = LANGUAGE_CODES.get(code, "ENG")
    return _concept(AUTHORITY + f"language/{alpha3}", AUTHORITY + "language", {"en": alpha3},
                    notation="language")


def _snb(scheme: str, concept: tuple[str, str]) -> dict:
    key, label = concept
    return _concept(SNB + f"{scheme}/{key}", SNB + f"{scheme}/25831c2", {"en": label})


def _concept(uri: str, scheme: str, labels: Mapping[str, str],
             notation: str | None = None) -> dict:
    concept = {"id": uri, "type": "Concept",
               "inScheme": {"id": scheme, "type": "ConceptScheme"}, "prefLabel": dict(labels)}
    if notation:
        concept["notation"] = notation
    return concept


def _tagged(tags) -> dict[str, str]:
    """The micro-credential tags of a signed achievement (`workload:PT6H`, `eqf:2`, …)."""
    found = {}
    for tag in _list(tags):
        match = _TAG.match(str(tag))
        if match:
            found.setdefault(match.group(1), match.group(2))
    return found


def _uid(credential: dict) -> str:
    return str(credential.get("id") or "").rsplit("/", 1)[-1] or "badge"


def _in(texts: Mapping[str, str], language: str) -> str:
    return texts.get(language) or next(iter(texts.values()), "")


def _maybe(language: str, text) -> dict:
    return {language: text} if isinstance(text, str) and text else {}


def _object(value) -> dict:
    return value if isinstance(value, dict) else {}


def _list(value) -> list:
    return value if isinstance(value, list) else [] if value is None else [value]


def _first(value) -> dict:
    return _object(next(iter(_list(value)), None))
