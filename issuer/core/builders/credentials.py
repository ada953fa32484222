"""Builders for the unsigned credentials: OpenBadgeCredential and EndorsementCredential."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..errors import BuildError
from .common import (
    ACHIEVEMENT_CREDENTIAL_SCHEMA,
    ENDORSEMENT_CREDENTIAL_SCHEMA,
    check_endorsements,
    compact,
    contexts,
    credential_id_is_valid,
    credential_schema,
    freeze_sequences,
    json_list,
    optional_timestamp,
    require_text,
    require_uri,
    timestamp,
)
from .profile import Image, Profile
from .subject import AchievementSubject, Evidence


def _check_credential_id(value: Any, what: str) -> None:
    if not isinstance(value, str) or not credential_id_is_valid(value):
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
        freeze_sequences(self)
        _check_credential_id(self.id, "OpenBadgeCredential")
        object.__setattr__(self, "valid_from", timestamp(self.valid_from, "validFrom"))
        object.__setattr__(self, "valid_until", optional_timestamp(self.valid_until, "validUntil"))
        object.__setattr__(
            self, "awarded_date", optional_timestamp(self.awarded_date, "awardedDate")
        )
        _check_validity(self.valid_from, self.valid_until)
        _check_status(self.credential_status)
        check_endorsements(self.endorsements, "OpenBadgeCredential")

    def to_json(self) -> dict:
        achievement = self.subject.achievement
        return compact(
            {
                "@context": contexts(self.credential_schema),
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
                "evidence": json_list(self.evidence),
                "endorsement": list(self.endorsements),
                "credentialStatus": self.credential_status,
                "credentialSchema": credential_schema(ACHIEVEMENT_CREDENTIAL_SCHEMA)
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
    credential_status: dict | None = None  # one object: the endorser can withdraw it later

    def __post_init__(self):
        _check_credential_id(self.id, "EndorsementCredential")
        _check_status(self.credential_status)
        require_uri(self.subject_id, "the endorsed thing's id")
        require_text(self.name, "EndorsementCredential name")
        object.__setattr__(self, "valid_from", timestamp(self.valid_from, "validFrom"))
        object.__setattr__(self, "valid_until", optional_timestamp(self.valid_until, "validUntil"))
        _check_validity(self.valid_from, self.valid_until)

    def to_json(self) -> dict:
        return compact(
            {
                "@context": contexts(self.credential_schema),
                "id": self.id,
                "type": ["VerifiableCredential", "EndorsementCredential"],
                "issuer": self.issuer.to_json(),
                "validFrom": self.valid_from,
                "validUntil": self.valid_until,
                "name": self.name,
                "description": self.description,
                "credentialStatus": self.credential_status,
                "credentialSubject": compact(
                    {
                        "id": self.subject_id,
                        "type": ["EndorsementSubject"],
                        "endorsementComment": self.endorsement_comment,
                    }
                ),
                "credentialSchema": credential_schema(ENDORSEMENT_CREDENTIAL_SCHEMA)
                if self.credential_schema
                else None,
            }
        )


def _check_status(status: dict | None) -> None:
    if status is not None and not (
        isinstance(status, dict) and isinstance(status.get("type"), str) and status.get("id")
    ):
        raise BuildError("credentialStatus must be one object with an 'id' and a 'type'")
