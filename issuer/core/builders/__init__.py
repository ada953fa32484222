"""Typed builders for the Open Badges 3.0 data model.

Each class is a frozen dataclass with snake_case fields whose `to_json()` returns exactly what the
strict 1EdTech schema expects: arrays for every multi-valued property (`type` included), `Image`
objects rather than bare URLs, plain strings, no nulls and no empty arrays (DIGEST §A.1, §K.6).
Values are checked when a builder is constructed, so a mistake is reported where it is made,
as a BuildError, not later as a schema or safe-mode failure.

One module per part of a credential: `profile` (who issues), `achievement` (what is achieved),
`subject` (who achieved it), `credentials` (the unsigned credentials); `common` holds the
vocabulary and the checks they share. Import the names from here.
"""

from .achievement import (
    Achievement,
    Alignment,
    Criteria,
    Related,
    ResultDescription,
    RubricCriterionLevel,
)
from .common import (
    ACHIEVEMENT_CREDENTIAL_SCHEMA,
    ACHIEVEMENT_TYPES,
    ALIGNMENT_TARGET_TYPES,
    CREDENTIALS_V2,
    ENDORSEMENT_CREDENTIAL_SCHEMA,
    IDENTIFIER_TYPES,
    LANGUAGE_CODE,
    OB_CONTEXT,
    OB_EXTENSIONS,
    RESULT_STATUSES,
    RESULT_TYPES,
    SCHEMA_VALIDATOR,
    new_credential_id,
    timestamp,
)
from .credentials import EndorsementCredential, OpenBadgeCredential
from .profile import Address, IdentifierEntry, Image, Profile
from .subject import (
    AchievementSubject,
    Evidence,
    Result,
    email_identifier,
    hash_identity,
    hashed_name_identifier,
    name_identifier,
    normalize_email,
    person_identifiers,
)

__all__ = [
    "ACHIEVEMENT_CREDENTIAL_SCHEMA",
    "ACHIEVEMENT_TYPES",
    "ALIGNMENT_TARGET_TYPES",
    "CREDENTIALS_V2",
    "ENDORSEMENT_CREDENTIAL_SCHEMA",
    "IDENTIFIER_TYPES",
    "LANGUAGE_CODE",
    "OB_CONTEXT",
    "OB_EXTENSIONS",
    "RESULT_STATUSES",
    "RESULT_TYPES",
    "SCHEMA_VALIDATOR",
    "Achievement",
    "AchievementSubject",
    "Address",
    "Alignment",
    "Criteria",
    "EndorsementCredential",
    "Evidence",
    "IdentifierEntry",
    "Image",
    "OpenBadgeCredential",
    "Profile",
    "Related",
    "Result",
    "ResultDescription",
    "RubricCriterionLevel",
    "email_identifier",
    "hash_identity",
    "hashed_name_identifier",
    "name_identifier",
    "person_identifiers",
    "new_credential_id",
    "normalize_email",
    "timestamp",
]
