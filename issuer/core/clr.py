"""CLR 2.0 `ClrCredential`: one signed file bundling a learner's signed badges (DIGEST §G).

The embedded credentials are put in unchanged, proofs included: each keeps its own issuer,
status and expiry and is verified on its own; the CLR's outer proof, by the exporting
organisation, covers them all. `achievement` lists the definitions the `association` entries
refer to (a micro-training `isPartOf` a skill), including skills not awarded yet.

The output follows the official 1EdTech vector's shape (`tests/vectors/clr-v2p0-ldp`):
`ClrSubject` and `Association` types are plain strings, as there and as the CLR schema requires
for `Association`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from . import builders, jsonld, schema
from .errors import BuildError

CLR_CONTEXT = jsonld.CLR_CONTEXT_2_0_1
CLR_CREDENTIAL_SCHEMA = (
    "https://purl.imsglobal.org/spec/clr/v2p0/schema/json/clr_v2p0_clrcredential_schema.json"
)
CONTEXTS = [builders.CREDENTIALS_V2, CLR_CONTEXT, builders.OB_CONTEXT, builders.OB_EXTENSIONS]
ASSOCIATION_TYPES = (
    "exactMatchOf", "isChildOf", "isParentOf", "isPartOf", "isPeerOf", "isRelatedTo",
    "precedes", "replacedBy",
)
_EMBEDDABLE_TYPES = ("OpenBadgeCredential", "AchievementCredential")
_URI = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.\-]*:\S+$")


@dataclass(frozen=True)
class Association:
    """`source_id` relates to `target_id` (achievement ids), e.g. a part `isPartOf` a skill."""

    source_id: str
    target_id: str
    association_type: str = "isPartOf"

    def __post_init__(self):
        if self.association_type not in ASSOCIATION_TYPES:
            raise BuildError(
                f"associationType {self.association_type!r} is not one of "
                f"{', '.join(ASSOCIATION_TYPES)}"
            )
        _require_uri(self.source_id, "Association sourceId")
        _require_uri(self.target_id, "Association targetId")

    def to_json(self) -> dict:
        return {
            "type": "Association",
            "associationType": self.association_type,
            "sourceId": self.source_id,
            "targetId": self.target_id,
        }


def clr_credential(
    id: str,
    issuer: builders.Profile | dict,
    credentials: Sequence[dict],
    valid_from: str | datetime,
    name: str,
    *,
    subject_id: str | None = None,
    identifiers: Sequence[dict] = (),
    achievements: Sequence[dict] = (),
    associations: Iterable[Association | tuple[str, str, str]] = (),
    description: str | None = None,
    partial: bool = False,
    credential_schema: bool = True,
) -> dict:
    """The unsigned ClrCredential of one learner, ready for `proofs.sign`.

    `credentials` are complete signed OB credentials, embedded unchanged. The learner is named
    by `subject_id` (a DID), `identifiers` (IdentityObjects, e.g. builders.name_identifier), or
    both. `associations` are Association objects or (source_id, target_id, associationType)
    tuples; each id must be an achievement of `achievements` or of an embedded credential.
    `partial=True` says the record leaves out credentials the publisher knows of.
    Raises BuildError for anything that cannot make a valid CLR.
    """
    _require_uri(id, "ClrCredential id")
    _require_text(name, "ClrCredential name")
    _check_credentials(credentials)
    if not subject_id and not identifiers:
        raise BuildError("the ClrSubject needs the learner's id (a DID) or an identifier")
    _require_uri(subject_id, "ClrSubject id", optional=True)
    links = [a if isinstance(a, Association) else Association(*a) for a in associations]
    _check_associations(links, achievements, credentials)
    subject = {
        "id": subject_id,
        "type": "ClrSubject",
        "identifier": list(identifiers),
        "verifiableCredential": list(credentials),
        "achievement": list(achievements),
        "association": [link.to_json() for link in links],
    }
    document = {
        "@context": CONTEXTS if credential_schema else CONTEXTS[:3],
        "id": id,
        "type": ["VerifiableCredential", "ClrCredential"],
        "issuer": issuer.to_json() if isinstance(issuer, builders.Profile) else dict(issuer),
        "validFrom": builders.timestamp(valid_from, "validFrom"),
        "name": name,
        "description": description,
        "partial": True if partial else None,
        "credentialSubject": _without_empty(subject),
        "credentialSchema": [{"id": CLR_CREDENTIAL_SCHEMA, "type": builders.SCHEMA_VALIDATOR}]
        if credential_schema
        else None,
    }
    return _without_empty(document)


def check_clr(document: dict) -> None:
    """The CLR 2.0 schema and JSON-LD safe mode: run before signing (SchemaError, SafeModeError)."""
    schema.validate(document, "clrcredential")
    jsonld.expand_safely(document)


def achievement_of(credential: dict) -> dict | None:
    """The achievement embedded in an OB credential's subject, if any."""
    subject = credential.get("credentialSubject")
    achievement = subject.get("achievement") if isinstance(subject, dict) else None
    return achievement if isinstance(achievement, dict) else None


def achievements_of(credentials: Iterable[dict]) -> list[dict]:
    """The distinct achievements (by id, first seen wins) of the given credentials."""
    seen: dict[str, dict] = {}
    for credential in credentials:
        achievement = achievement_of(credential)
        if achievement and achievement.get("id") not in seen:
            seen[achievement["id"]] = achievement
    return list(seen.values())


def _check_credentials(credentials: Sequence[dict]) -> None:
    if not credentials:
        raise BuildError("a CLR needs at least one signed credential")
    for position, credential in enumerate(credentials, start=1):
        types = credential.get("type", []) if isinstance(credential, dict) else []
        if not any(t in types for t in _EMBEDDABLE_TYPES):
            raise BuildError(f"credential {position} is not an OpenBadgeCredential")
        if "proof" not in credential:
            raise BuildError(
                f"credential {position} has no proof: a CLR embeds signed credentials unchanged"
            )


def _check_associations(links: list[Association], achievements: Sequence[dict],
                        credentials: Sequence[dict]) -> None:
    known = {a.get("id") for a in list(achievements) + achievements_of(credentials)}
    for link in links:
        for end in (link.source_id, link.target_id):
            if end not in known:
                raise BuildError(
                    f"association names {end!r}, which is neither in the CLR's achievements "
                    "nor the achievement of an embedded credential; add its definition"
                )


def _require_uri(value, what: str, optional: bool = False) -> None:
    if value is None and optional:
        return
    if not isinstance(value, str) or not _URI.match(value):
        raise BuildError(f"{what} must be an absolute URI (https://…, urn:uuid:…, did:…), "
                         f"not {value!r}")


def _require_text(value, what: str) -> None:
    if not isinstance(value, str) or not value.strip():
        raise BuildError(f"{what} is required and must be a non-empty string")


def _without_empty(document: dict) -> dict:
    return {k: v for k, v in document.items() if v is not None and v != [] and v != ""}
