"""Builders for who achieved it: the recipient's identifiers, Results, Evidence, the subject."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..errors import BuildError
from .achievement import Achievement, Alignment
from .common import (
    IDENTIFIER_TYPES,
    RESULT_STATUSES,
    compact,
    freeze_sequences,
    json_list,
    optional_timestamp,
    require_enum,
    require_text,
    require_uri,
)
from .profile import Image, Profile


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
    require_text(name, "the learner's name")
    return {
        "type": "IdentityObject",
        "hashed": False,
        "identityHash": name.strip(),
        "identityType": "name",
    }


def hashed_name_identifier(name: str, salt: str | None = None) -> dict:
    """A salted, hashed `name` IdentityObject: whoever knows the name can check it, nobody reads
    it. For a learner who did not agree that the badge carries their name."""
    require_text(name, "the learner's name")
    salt = secrets.token_hex(16) if salt is None else salt
    return {
        "type": "IdentityObject",
        "hashed": True,
        "identityHash": hash_identity(name.strip(), salt),
        "identityType": "name",
        "salt": salt,
    }


def person_identifiers(name: str, email: str | None = None, *,
                       name_shown: bool = True) -> list[dict]:
    """The IdentityObjects of a learner: the printed name (hashed when it may not be shown), and
    the hashed e-mail when known."""
    identifiers = [name_identifier(name) if name_shown else hashed_name_identifier(name)]
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
    require_enum(identity.get("identityType"), IDENTIFIER_TYPES, "identityType")


@dataclass(frozen=True)
class Result:
    """A learner's result against one ResultDescription: for a gesture, the level reached."""

    result_description: str | None = None
    achieved_level: str | None = None
    status: str | None = None
    value: str | None = None
    alignments: tuple[Alignment, ...] = ()

    def __post_init__(self):
        freeze_sequences(self)
        require_uri(self.result_description, "Result resultDescription", optional=True)
        require_uri(self.achieved_level, "Result achievedLevel", optional=True)
        require_enum(self.status, RESULT_STATUSES, "Result status", extensible=False)

    def to_json(self) -> dict:
        return compact(
            {
                "type": ["Result"],
                "resultDescription": self.result_description,
                "achievedLevel": self.achieved_level,
                "status": self.status,
                "value": self.value,
                "alignment": json_list(self.alignments),
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
        require_uri(self.id, "Evidence id", optional=True)
        if not any((self.id, self.name, self.description, self.narrative)):
            raise BuildError("Evidence needs at least an id, a name, a description or a narrative")

    def to_json(self) -> dict:
        return compact(
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
        freeze_sequences(self)
        if not self.id and not self.identifiers:
            raise BuildError(
                "the credential subject needs the learner's id (a wallet DID) or at least one "
                "identifier (name_identifier / email_identifier)"
            )
        require_uri(self.id, "credentialSubject id", optional=True)
        for identity in self.identifiers:
            _check_identity_object(identity)
        start = optional_timestamp(self.activity_start_date, "activityStartDate")
        end = optional_timestamp(self.activity_end_date, "activityEndDate")
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
        return compact(
            {
                "id": self.id,
                "type": ["AchievementSubject"],
                "identifier": list(self.identifiers),
                "achievement": self.achievement.to_json(),
                "result": json_list(self.results),
                "activityStartDate": self.activity_start_date,
                "activityEndDate": self.activity_end_date,
                "narrative": self.narrative,
                "creditsEarned": self.credits_earned,
                "image": self.image and self.image.to_json(),
                "role": self.role,
                "source": self.source and self.source.to_json(),
            }
        )
