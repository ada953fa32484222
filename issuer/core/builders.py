"""Typed builders for the Open Badges 3.0 data model.

Each class is a frozen dataclass with snake_case fields whose `to_json()` returns exactly what the
strict 1EdTech schema expects: arrays for every multi-valued property (`type` included), `Image`
objects rather than bare URLs, plain strings, no nulls and no empty arrays (DIGEST §A.1, §K.6).
Values are checked when a builder is constructed, so a mistake is reported where it is made,
as a BuildError, not later as a schema or safe-mode failure.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields, replace
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from .clock import utc_stamp
from .errors import BuildError
from .jsonld import CREDENTIALS_V2, OB_CONTEXT_3_0_3

OB_CONTEXT = OB_CONTEXT_3_0_3  # the OB context version this service writes
OB_EXTENSIONS = "https://purl.imsglobal.org/spec/ob/v3p0/extensions.json"
_SCHEMA_BASE = "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/"
ACHIEVEMENT_CREDENTIAL_SCHEMA = _SCHEMA_BASE + "ob_v3p0_achievementcredential_schema.json"
ENDORSEMENT_CREDENTIAL_SCHEMA = _SCHEMA_BASE + "ob_v3p0_endorsementcredential_schema.json"
# Defined only in extensions.json, hence that context whenever credentialSchema is emitted (§A.7).
SCHEMA_VALIDATOR = "1EdTechJsonSchemaValidator2019"

ACHIEVEMENT_TYPES = frozenset(
    "Achievement ApprenticeshipCertificate Assessment Assignment AssociateDegree Award Badge "
    "BachelorDegree Certificate CertificateOfCompletion Certification CommunityService "
    "Competency Course CoCurricular Degree Diploma DoctoralDegree Fieldwork "
    "GeneralEducationDevelopment JourneymanCertificate LearningProgram License Membership "
    "ProfessionalDoctorate QualityAssuranceCredential MasterCertificate MasterDegree "
    "MicroCredential ResearchDoctorate SecondarySchoolDiploma".split()
)
RESULT_TYPES = frozenset(
    "GradePointAverage LetterGrade Percent PerformanceLevel PredictedScore RawScore Result "
    "RubricCriterion RubricCriterionLevel RubricScore ScaledScore Status".split()
)
ALIGNMENT_TARGET_TYPES = frozenset(
    "ceasn:Competency ceterms:Credential CFItem CFRubric CFRubricCriterion "
    "CFRubricCriterionLevel CTDL".split()
)
IDENTIFIER_TYPES = frozenset(
    "name sourcedId systemId productId userName accountId emailAddress nationalIdentityNumber "
    "isbn issn lisSourcedId oneRosterSourcedId sisSourcedId ltiContextId ltiDeploymentId "
    "ltiToolId ltiPlatformId ltiUserId identifier".split()
)
RESULT_STATUSES = frozenset(
    "Completed Enrolled Failed InProgress OnHold Provisional Withdrew".split()
)

# The schema's own patterns. The extension pattern is unanchored in the schema; anchoring it
# here refuses values such as "ext:a b" that the schema would let through.
_EXTENSION = re.compile(r"^ext:[a-zA-Z0-9.\-_]+$")
LANGUAGE_CODE = re.compile(r"^[a-z]{2,4}(-[A-Z][a-z]{3})?(-([A-Z]{2}|[0-9]{3}))?$")
_COUNTRY_CODE = re.compile(r"^[A-Z]{2}$")
_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.\-]*:\S+$")
_LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "::1")


# --- shared checks and rendering ------------------------------------------------------------


def _compact(document: dict) -> dict:
    """Drop absent values: OB omits nulls, empty strings and empty arrays (§A.1)."""
    return {k: v for k, v in document.items() if v is not None and v != "" and v != [] and v != {}}


def _json_list(items: Iterable[Any]) -> list:
    return [item.to_json() if hasattr(item, "to_json") else item for item in items]


def _freeze_sequences(instance: Any) -> None:
    # Callers pass lists; storing tuples keeps the frozen dataclass actually immutable.
    for f in fields(instance):
        value = getattr(instance, f.name)
        if isinstance(value, list):
            object.__setattr__(instance, f.name, tuple(value))


def _require_text(value: Any, what: str) -> None:
    if not isinstance(value, str) or not value.strip():
        raise BuildError(f"{what} is required and must be a non-empty string")


def _require_uri(value: Any, what: str, optional: bool = False) -> None:
    if value is None and optional:
        return
    if not isinstance(value, str) or not _SCHEME.match(value):
        raise BuildError(
            f"{what} must be an absolute URI such as 'https://…', 'urn:uuid:…' or 'did:…', "
            f"not {value!r}"
        )


def _require_enum(value: str | None, allowed: frozenset[str], what: str, extensible=True):
    if value is None or value in allowed:
        return
    if extensible and isinstance(value, str) and _EXTENSION.match(value):
        return
    hint = " or an 'ext:Name' extension" if extensible else ""
    raise BuildError(f"{what} {value!r} is not one of {', '.join(sorted(allowed))}{hint}")


def _require_language(value: str | None, what: str) -> None:
    if value is not None and not LANGUAGE_CODE.match(value):
        raise BuildError(
            f"{what} {value!r} is not a language code the OB schema accepts: lower-case language, "
            "upper-case region, e.g. 'fr', 'nl-BE', 'zh-Hant-TW' (not 'en-us')"
        )


def timestamp(value: str | datetime, what: str = "timestamp") -> str:
    """A `YYYY-MM-DDThh:mm:ssZ` string from such a string or a timezone-aware datetime."""
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise BuildError(f"{what} is a naive datetime; give a timezone-aware one (e.g. UTC)")
        return utc_stamp(value)
    if isinstance(value, str) and _TIMESTAMP.match(value):
        try:
            datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ")
        except ValueError:
            pass
        else:
            return value
    raise BuildError(f"{what} {value!r} must be a UTC time written YYYY-MM-DDThh:mm:ssZ")


def _optional_timestamp(value: str | datetime | None, what: str) -> str | None:
    return None if value is None else timestamp(value, what)


def _credential_id_is_valid(value: str) -> bool:
    if value.startswith("urn:uuid:"):
        try:
            uuid.UUID(value[len("urn:uuid:") :])
        except ValueError:
            return False
        return True
    try:
        parts = urlsplit(value)
        host = parts.hostname
    except ValueError:  # e.g. an unclosed IPv6 bracket
        return False
    if parts.scheme == "http":
        # Development servers only: a credential on paper must point at https.
        return host in _LOOPBACK_HOSTS
    return parts.scheme == "https" and bool(host) and " " not in value


def new_credential_id(base_url: str | None = None) -> str:
    """A fresh credential id: `<base_url>/credentials/<uuid4>`, or `urn:uuid:<uuid4>` if no base."""
    if base_url is None:
        return f"urn:uuid:{uuid.uuid4()}"
    credential_id = f"{base_url.rstrip('/')}/credentials/{uuid.uuid4()}"
    if not _credential_id_is_valid(credential_id):
        raise BuildError(f"base URL {base_url!r} must be an https URL such as 'https://badges.org'")
    return credential_id


def _contexts(with_schema: bool) -> list[str]:
    return [CREDENTIALS_V2, OB_CONTEXT] + ([OB_EXTENSIONS] if with_schema else [])


def _credential_schema(schema_url: str) -> list[dict]:
    return [{"id": schema_url, "type": SCHEMA_VALIDATOR}]


def _check_endorsements(endorsements: Sequence[dict], what: str) -> None:
    for endorsement in endorsements:
        types = endorsement.get("type", []) if isinstance(endorsement, dict) else []
        if "EndorsementCredential" not in types or "proof" not in endorsement:
            raise BuildError(
                f"{what} endorsements must be signed EndorsementCredential objects "
                "(build one with EndorsementCredential, then sign it)"
            )


# --- small value classes --------------------------------------------------------------------


@dataclass(frozen=True)
class Image:
    """An image by URL or `data:` URI; the schema forbids any property but id, type, caption."""

    id: str
    caption: str | None = None

    def __post_init__(self):
        _require_uri(self.id, "Image id")

    def to_json(self) -> dict:
        return _compact({"id": self.id, "type": "Image", "caption": self.caption})


@dataclass(frozen=True)
class Address:
    """A postal address; `address_country_code` is ISO 3166-1 alpha-2 (EU element: country)."""

    address_country: str | None = None
    address_country_code: str | None = None
    address_region: str | None = None
    address_locality: str | None = None
    postal_code: str | None = None
    street_address: str | None = None

    def __post_init__(self):
        code = self.address_country_code
        if code is not None and not _COUNTRY_CODE.match(code):
            raise BuildError(
                f"addressCountryCode {code!r} must be an ISO 3166-1 alpha-2 code such as 'BE'"
            )

    def to_json(self) -> dict:
        return _compact(
            {
                "type": ["Address"],
                "addressCountry": self.address_country,
                "addressCountryCode": self.address_country_code,
                "addressRegion": self.address_region,
                "addressLocality": self.address_locality,
                "postalCode": self.postal_code,
                "streetAddress": self.street_address,
            }
        )


@dataclass(frozen=True)
class IdentifierEntry:
    """Another identifier of a Profile or Achievement (a registry number, a course code…)."""

    identifier: str
    identifier_type: str

    def __post_init__(self):
        _require_text(self.identifier, "IdentifierEntry identifier")
        _require_enum(self.identifier_type, IDENTIFIER_TYPES, "identifierType")

    def to_json(self) -> dict:
        # The schema wants `type` as the plain string here, not an array.
        return {
            "type": "IdentifierEntry",
            "identifier": self.identifier,
            "identifierType": self.identifier_type,
        }


@dataclass(frozen=True)
class Profile:
    """An issuer, creator, endorser or source organisation."""

    id: str
    name: str
    url: str | None = None
    email: str | None = None
    phone: str | None = None
    description: str | None = None
    image: Image | None = None
    address: Address | None = None
    other_identifiers: tuple[IdentifierEntry, ...] = ()
    official: str | None = None
    parent_org: Profile | None = None

    def __post_init__(self):
        _freeze_sequences(self)
        _require_uri(self.id, "Profile id")
        _require_text(self.name, "Profile name")
        _require_uri(self.url, "Profile url", optional=True)

    def to_json(self) -> dict:
        return _compact(
            {
                "id": self.id,
                "type": ["Profile"],
                "name": self.name,
                "url": self.url,
                "email": self.email,
                "phone": self.phone,
                "description": self.description,
                "image": self.image and self.image.to_json(),
                "address": self.address and self.address.to_json(),
                "otherIdentifier": _json_list(self.other_identifiers),
                "official": self.official,
                "parentOrg": self.parent_org and self.parent_org.to_json(),
            }
        )


@dataclass(frozen=True)
class Criteria:
    """What a learner must do: a page (`id`) and/or a Markdown `narrative`."""

    id: str | None = None
    narrative: str | None = None

    def __post_init__(self):
        _require_uri(self.id, "Criteria id", optional=True)
        if not self.id and not self.narrative:
            raise BuildError("Criteria needs an id (criteria page URL) or a narrative, or both")

    def to_json(self) -> dict:
        return _compact({"id": self.id, "narrative": self.narrative})


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
        _require_text(self.target_name, "Alignment targetName")
        _require_uri(self.target_url, "Alignment targetUrl")
        _require_enum(self.target_type, ALIGNMENT_TARGET_TYPES, "Alignment targetType")

    def to_json(self) -> dict:
        return _compact(
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
        _require_uri(self.id, "RubricCriterionLevel id")
        _require_text(self.name, "RubricCriterionLevel name")

    def to_json(self) -> dict:
        return _compact(
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
    """A result an achievement can record; in SKY Badges, one per gesture."""

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
        _freeze_sequences(self)
        _require_uri(self.id, "ResultDescription id")
        _require_text(self.name, "ResultDescription name")
        _require_enum(self.result_type, RESULT_TYPES, "resultType")
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
        return _compact(
            {
                "id": self.id,
                "type": ["ResultDescription"],
                "name": self.name,
                "resultType": self.result_type,
                "rubricCriterionLevel": _json_list(self.rubric_criterion_levels),
                "requiredLevel": self.required_level,
                # Ordered low to high: the context makes this an @list, so order is signed.
                "allowedValue": list(self.allowed_values),
                "requiredValue": self.required_value,
                "valueMin": self.value_min,
                "valueMax": self.value_max,
                "alignment": _json_list(self.alignments),
            }
        )


@dataclass(frozen=True)
class Related:
    """Another edition of an achievement: a translation (`in_language`) or a `version`."""

    id: str
    in_language: str | None = None
    version: str | None = None

    def __post_init__(self):
        _require_uri(self.id, "Related id")
        _require_language(self.in_language, "Related inLanguage")

    def to_json(self) -> dict:
        return _compact(
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
    """An achievement definition; a SKY micro-training is one with type MicroCredential."""

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
        _freeze_sequences(self)
        _require_uri(self.id, "Achievement id")
        _require_text(self.name, "Achievement name")
        _require_text(self.description, "Achievement description")
        _require_enum(self.achievement_type, ACHIEVEMENT_TYPES, "achievementType")
        _require_language(self.in_language, "Achievement inLanguage")
        ids = [rd.id for rd in self.result_descriptions]
        if len(ids) != len(set(ids)):
            raise BuildError(f"Achievement {self.name!r} has two result descriptions with one id")
        _check_endorsements(self.endorsements, "Achievement")

    def result_description(self, result_description_id: str) -> ResultDescription | None:
        """The result description with this id, if the achievement defines it."""
        return next((rd for rd in self.result_descriptions if rd.id == result_description_id), None)

    def with_micro_credential(self, facts: MicroCredentialFacts) -> Achievement:
        """A copy carrying the EU micro-credential elements as alignments, tags and criteria text.

        The Markdown block is appended to the criteria narrative, in the achievement's language.
        """
        elements = micro_credential_elements(facts, self.in_language or "en")
        narrative = "\n\n".join(
            part for part in (self.criteria.narrative, elements["criteria_narrative"]) if part
        )
        return replace(
            self,
            criteria=replace(self.criteria, narrative=narrative),
            alignments=self.alignments + tuple(elements["alignments"]),
            tags=self.tags + tuple(t for t in elements["tags"] if t not in self.tags),
        )

    def to_json(self) -> dict:
        return _compact(
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
                "resultDescription": _json_list(self.result_descriptions),
                "alignment": _json_list(self.alignments),
                "related": _json_list(self.related),
                "otherIdentifier": _json_list(self.other_identifiers),
                "endorsement": list(self.endorsements),
            }
        )


# --- the recipient --------------------------------------------------------------------------


def hash_identity(identity: str, salt: str | None = None) -> str:
    """OB IdentityHash: `sha256$` + lower-case hex of SHA-256(UTF-8(identity + salt)) (§A.6).

    No salt hashes the identity alone, as an unsalted IdentityObject says.
    """
    return "sha256$" + hashlib.sha256((identity + (salt or "")).encode("utf-8")).hexdigest()


def normalize_email(email: str) -> str:
    """The form of an e-mail address that is hashed: trimmed and lower-cased.

    OB does not say whether to normalise. Mail systems treat case as insignificant in practice,
    so without this a learner typing `Ana@Example.org` could never prove the badge is theirs.
    """
    normalized = email.strip().lower() if isinstance(email, str) else ""
    local, at, domain = normalized.partition("@")
    if not (local and at and domain) or any(c.isspace() for c in normalized):
        raise BuildError(f"{email!r} is not an e-mail address")
    return normalized


def email_identifier(email: str, salt: str | None = None) -> dict:
    """A hashed `emailAddress` IdentityObject; a random 16-byte hex salt is drawn if none given."""
    salt = secrets.token_hex(16) if salt is None else salt
    return {
        "type": "IdentityObject",
        "hashed": True,
        "identityHash": hash_identity(normalize_email(email), salt),
        "identityType": "emailAddress",
        "salt": salt,
    }


def name_identifier(name: str) -> dict:
    """A plain-text `name` IdentityObject: the name printed on the learner's card."""
    _require_text(name, "the learner's name")
    return {
        "type": "IdentityObject",
        "hashed": False,
        "identityHash": name.strip(),
        "identityType": "name",
    }


def person_identifiers(name: str, email: str | None = None) -> list[dict]:
    """The IdentityObjects of a learner: the printed name, and the hashed e-mail when known."""
    identifiers = [name_identifier(name)]
    if email:
        identifiers.append(email_identifier(email))
    return identifiers


_IDENTITY_KEYS = {"type", "hashed", "identityHash", "identityType", "salt"}


def _check_identity_object(identity: Any) -> None:
    if (
        not isinstance(identity, dict)
        or not set(identity) <= _IDENTITY_KEYS
        or identity.get("type") != "IdentityObject"
        or not isinstance(identity.get("hashed"), bool)
        or not isinstance(identity.get("identityHash"), str)
    ):
        raise BuildError(
            "identifier entries must be IdentityObject dicts (use email_identifier or "
            f"name_identifier), not {identity!r}"
        )
    _require_enum(identity.get("identityType"), IDENTIFIER_TYPES, "identityType")


@dataclass(frozen=True)
class Result:
    """A learner's result against one ResultDescription: for a gesture, the level reached."""

    result_description: str | None = None
    achieved_level: str | None = None
    status: str | None = None
    value: str | None = None
    alignments: tuple[Alignment, ...] = ()

    def __post_init__(self):
        _freeze_sequences(self)
        _require_uri(self.result_description, "Result resultDescription", optional=True)
        _require_uri(self.achieved_level, "Result achievedLevel", optional=True)
        _require_enum(self.status, RESULT_STATUSES, "Result status", extensible=False)

    def to_json(self) -> dict:
        return _compact(
            {
                "type": ["Result"],
                "resultDescription": self.result_description,
                "achievedLevel": self.achieved_level,
                "status": self.status,
                "value": self.value,
                "alignment": _json_list(self.alignments),
            }
        )


@dataclass(frozen=True)
class Evidence:
    """Evidence of the learning: a trainer's comment, a photo URL…"""

    id: str | None = None
    name: str | None = None
    description: str | None = None
    narrative: str | None = None
    genre: str | None = None
    audience: str | None = None

    def __post_init__(self):
        _require_uri(self.id, "Evidence id", optional=True)
        if not any((self.id, self.name, self.description, self.narrative)):
            raise BuildError("Evidence needs at least an id, a name, a description or a narrative")

    def to_json(self) -> dict:
        return _compact(
            {
                "id": self.id,
                "type": ["Evidence"],
                "name": self.name,
                "description": self.description,
                "narrative": self.narrative,
                "genre": self.genre,
                "audience": self.audience,
            }
        )


@dataclass(frozen=True)
class AchievementSubject:
    """The learner and what they achieved. Needs a wallet `id`, an `identifiers` entry, or both."""

    achievement: Achievement
    identifiers: tuple[dict, ...] = ()
    id: str | None = None
    results: tuple[Result, ...] = ()
    activity_start_date: str | datetime | None = None
    activity_end_date: str | datetime | None = None
    narrative: str | None = None
    credits_earned: float | None = None
    image: Image | None = None
    role: str | None = None
    source: Profile | None = None

    def __post_init__(self):
        _freeze_sequences(self)
        if not self.id and not self.identifiers:
            raise BuildError(
                "the credential subject needs the learner's id (a wallet DID) or at least one "
                "identifier (name_identifier / email_identifier)"
            )
        _require_uri(self.id, "credentialSubject id", optional=True)
        for identity in self.identifiers:
            _check_identity_object(identity)
        start = _optional_timestamp(self.activity_start_date, "activityStartDate")
        end = _optional_timestamp(self.activity_end_date, "activityEndDate")
        if start and end and end < start:
            raise BuildError(f"activityEndDate {end} is before activityStartDate {start}")
        object.__setattr__(self, "activity_start_date", start)
        object.__setattr__(self, "activity_end_date", end)
        for result in self.results:
            self._check_result(result)

    def _check_result(self, result: Result) -> None:
        # A result must point into this credential's own achievement (§A.6).
        if result.result_description is None:
            return
        description = self.achievement.result_description(result.result_description)
        if description is None:
            raise BuildError(
                f"result points at {result.result_description!r}, which is not a result "
                f"description of the achievement {self.achievement.name!r}"
            )
        if result.achieved_level and description.level(result.achieved_level) is None:
            raise BuildError(
                f"achievedLevel {result.achieved_level!r} is not a rubric level of "
                f"{description.name!r}"
            )
        if description.result_type == "Status" and result.status is None:
            raise BuildError(
                f"{description.name!r} has resultType Status; give the result a status"
            )

    def to_json(self) -> dict:
        return _compact(
            {
                "id": self.id,
                "type": ["AchievementSubject"],
                "identifier": list(self.identifiers),
                "achievement": self.achievement.to_json(),
                "result": _json_list(self.results),
                "activityStartDate": self.activity_start_date,
                "activityEndDate": self.activity_end_date,
                "narrative": self.narrative,
                "creditsEarned": self.credits_earned,
                "image": self.image and self.image.to_json(),
                "role": self.role,
                "source": self.source and self.source.to_json(),
            }
        )


# --- credentials ----------------------------------------------------------------------------


def _check_credential_id(value: Any, what: str) -> None:
    if not isinstance(value, str) or not _credential_id_is_valid(value):
        raise BuildError(
            f"{what} id must be an https URL or 'urn:uuid:<uuid>' (see new_credential_id), "
            f"not {value!r}"
        )


def _check_validity(valid_from: str, valid_until: str | None) -> None:
    if valid_until is not None and valid_until <= valid_from:
        raise BuildError(f"validUntil {valid_until} must be after validFrom {valid_from}")


@dataclass(frozen=True)
class OpenBadgeCredential:
    """An unsigned OpenBadgeCredential, ready for proofs.sign (DESIGN §3)."""

    id: str
    issuer: Profile
    subject: AchievementSubject
    valid_from: str | datetime
    valid_until: str | datetime | None = None
    name: str | None = None
    description: str | None = None
    image: Image | None = None
    evidence: tuple[Evidence, ...] = ()
    credential_status: dict | None = None
    awarded_date: str | datetime | None = None
    endorsements: tuple[dict, ...] = ()
    credential_schema: bool = True

    def __post_init__(self):
        _freeze_sequences(self)
        _check_credential_id(self.id, "OpenBadgeCredential")
        object.__setattr__(self, "valid_from", timestamp(self.valid_from, "validFrom"))
        object.__setattr__(self, "valid_until", _optional_timestamp(self.valid_until, "validUntil"))
        object.__setattr__(
            self, "awarded_date", _optional_timestamp(self.awarded_date, "awardedDate")
        )
        _check_validity(self.valid_from, self.valid_until)
        status = self.credential_status
        if status is not None and not (
            isinstance(status, dict) and isinstance(status.get("type"), str) and status.get("id")
        ):
            raise BuildError("credentialStatus must be one object with an 'id' and a 'type'")
        _check_endorsements(self.endorsements, "OpenBadgeCredential")

    def to_json(self) -> dict:
        achievement = self.subject.achievement
        return _compact(
            {
                "@context": _contexts(self.credential_schema),
                "id": self.id,
                "type": ["VerifiableCredential", "OpenBadgeCredential"],
                "issuer": self.issuer.to_json(),
                "validFrom": self.valid_from,
                "validUntil": self.valid_until,
                "awardedDate": self.awarded_date,
                # Wallets show the credential's own name; keep it in the achievement's language.
                "name": self.name or achievement.name,
                "description": self.description or achievement.description,
                "image": self.image and self.image.to_json(),
                "credentialSubject": self.subject.to_json(),
                "evidence": _json_list(self.evidence),
                "endorsement": list(self.endorsements),
                "credentialStatus": self.credential_status,
                "credentialSchema": _credential_schema(ACHIEVEMENT_CREDENTIAL_SCHEMA)
                if self.credential_schema
                else None,
            }
        )


@dataclass(frozen=True)
class EndorsementCredential:
    """An unsigned endorsement of the Profile, Achievement or credential named by `subject_id`."""

    id: str
    issuer: Profile
    subject_id: str
    name: str
    valid_from: str | datetime
    endorsement_comment: str | None = None
    valid_until: str | datetime | None = None
    description: str | None = None
    credential_schema: bool = True

    def __post_init__(self):
        _check_credential_id(self.id, "EndorsementCredential")
        _require_uri(self.subject_id, "the endorsed thing's id")
        _require_text(self.name, "EndorsementCredential name")
        object.__setattr__(self, "valid_from", timestamp(self.valid_from, "validFrom"))
        object.__setattr__(self, "valid_until", _optional_timestamp(self.valid_until, "validUntil"))
        _check_validity(self.valid_from, self.valid_until)

    def to_json(self) -> dict:
        return _compact(
            {
                "@context": _contexts(self.credential_schema),
                "id": self.id,
                "type": ["VerifiableCredential", "EndorsementCredential"],
                "issuer": self.issuer.to_json(),
                "validFrom": self.valid_from,
                "validUntil": self.valid_until,
                "name": self.name,
                "description": self.description,
                "credentialSubject": _compact(
                    {
                        "id": self.subject_id,
                        "type": ["EndorsementSubject"],
                        "endorsementComment": self.endorsement_comment,
                    }
                ),
                "credentialSchema": _credential_schema(ENDORSEMENT_CREDENTIAL_SCHEMA)
                if self.credential_schema
                else None,
            }
        )


# --- EU micro-credential elements (DIGEST §I) -----------------------------------------------
# Only OB 3.0 terms are used: a private JSON-LD context could not be loaded by independent
# verifiers, and safe-mode signing refuses terms no context defines. docs/MICROCREDENTIALS.md
# says which element went where.

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
            _require_text(text, "a learning outcome")
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
        _require_enum(self.assessment_type, frozenset(ASSESSMENT_TYPES), "assessment_type", False)
        _require_enum(
            self.participation_form, frozenset(PARTICIPATION_FORMS), "participation_form", False
        )
        _require_language(self.language, "micro-credential language")


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
