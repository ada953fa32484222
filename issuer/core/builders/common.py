"""What every Open Badges 3.0 builder shares: the vocabulary, value checks, JSON compaction.

The checks raise BuildError with a message that names the field, so a mistake is reported where
the builder is constructed, not later as a schema or safe-mode failure.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import fields
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from ..clock import utc_stamp
from ..errors import BuildError
from ..jsonld import CREDENTIALS_V2, OB_CONTEXT_3_0_3

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
COUNTRY_CODE = re.compile(r"^[A-Z]{2}$")
_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.\-]*:\S+$")
_LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "::1")


# --- shared checks and rendering ------------------------------------------------------------


def compact(document: dict) -> dict:
    """Drop absent values: OB omits nulls, empty strings and empty arrays (§A.1)."""
    return {k: v for k, v in document.items() if v is not None and v != "" and v != [] and v != {}}


def json_list(items: Iterable[Any]) -> list:
    return [item.to_json() if hasattr(item, "to_json") else item for item in items]


def freeze_sequences(instance: Any) -> None:
    # Callers pass lists; storing tuples keeps the frozen dataclass actually immutable.
    for f in fields(instance):
        value = getattr(instance, f.name)
        if isinstance(value, list):
            object.__setattr__(instance, f.name, tuple(value))


def require_text(value: Any, what: str) -> None:
    if not isinstance(value, str) or not value.strip():
        raise BuildError(f"{what} is required and must be a non-empty string")


def require_uri(value: Any, what: str, optional: bool = False) -> None:
    if value is None and optional:
        return
    if not isinstance(value, str) or not _SCHEME.match(value):
        raise BuildError(
            f"{what} must be an absolute URI such as 'https://…', 'urn:uuid:…' or 'did:…', "
            f"not {value!r}"
        )


def require_enum(value: str | None, allowed: frozenset[str], what: str, extensible=True):
    if value is None or value in allowed:
        return
    if extensible and isinstance(value, str) and _EXTENSION.match(value):
        return
    hint = " or an 'ext:Name' extension" if extensible else ""
    raise BuildError(f"{what} {value!r} is not one of {', '.join(sorted(allowed))}{hint}")


def require_language(value: str | None, what: str) -> None:
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


def optional_timestamp(value: str | datetime | None, what: str) -> str | None:
    return None if value is None else timestamp(value, what)


def credential_id_is_valid(value: str) -> bool:
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
    if not credential_id_is_valid(credential_id):
        raise BuildError(f"base URL {base_url!r} must be an https URL such as 'https://badges.org'")
    return credential_id


def contexts(with_schema: bool) -> list[str]:
    return [CREDENTIALS_V2, OB_CONTEXT] + ([OB_EXTENSIONS] if with_schema else [])


def credential_schema(schema_url: str) -> list[dict]:
    return [{"id": schema_url, "type": SCHEMA_VALIDATOR}]


def check_endorsements(endorsements: Sequence[dict], what: str) -> None:
    for endorsement in endorsements:
        types = endorsement.get("type", []) if isinstance(endorsement, dict) else []
        if "EndorsementCredential" not in types or "proof" not in endorsement:
            raise BuildError(
                f"{what} endorsements must be signed EndorsementCredential objects "
                "(build one with EndorsementCredential, then sign it)"
            )
