"""Our badges as Open Badges 2.0 hosted assertions, for platforms that read only 2.0.

A hosted assertion is proved by where it is published, not by a signature: the assertion lives
at `/ob2/assertions/<uuid>` (its own id), its BadgeClass at `/ob2/badgeclasses/<uuid>` (the
achievement the badge was signed with, word for word) and the issuer at `/ob2/issuers/<slug>`,
all on this site, so an OB 2.0 verifier's same-origin rule holds. The recipient is the badge's
salted e-mail hash, as signed; a badge that names no e-mail has no OB 2.0 form (OB 2.0 names a
recipient by e-mail, URL or telephone). A revoked badge answers 410 Gone `{"revoked": true}`,
as OB 2.0 hosts do; so does a suspended one while the hold lasts (OB 2.0 has no suspension).
The OB 3.0 credential stays the signed truth; this is a view of it.
"""

from __future__ import annotations

from issuer.core import clr
from issuer.core.clock import utc_stamp
from issuer.store.models import Credential, Organisation

from .publishing import credential_document, profile_document
from .urls import public_url

OB2_CONTEXT = "https://w3id.org/openbadges/v2"


def assertion_url(credential: Credential) -> str:
    return public_url(credential, f"/ob2/assertions/{credential.uuid}")


def assertion(credential: Credential) -> tuple[int, dict] | None:
    """(HTTP status, document) of the badge's hosted assertion; None when it names no e-mail.

    410 with `{"revoked": true}` for a revoked or suspended badge."""
    url = assertion_url(credential)
    if credential.revoked_at is not None or credential.suspended_at is not None:
        return 410, {"@context": OB2_CONTEXT, "id": url, "type": "Assertion", "revoked": True,
                     "revocationReason": "suspended" if credential.revoked_at is None
                     else "revoked"}
    document = credential_document(credential)
    recipient = _recipient(document)
    if recipient is None:
        return None
    found = {
        "@context": OB2_CONTEXT,
        "type": "Assertion",
        "id": url,
        "recipient": recipient,
        "badge": public_url(credential, f"/ob2/badgeclasses/{credential.uuid}"),
        "verification": {"type": "hosted"},
        "issuedOn": document.get("validFrom") or utc_stamp(credential.valid_from),
        "image": public_url(credential, f"/credentials/{credential.uuid}.png"),
        "evidence": public_url(credential, f"/v/{credential.short_id}"),
    }
    if document.get("validUntil"):
        found["expires"] = document["validUntil"]
    return 200, found


def badge_class(credential: Credential) -> dict:
    """The BadgeClass: the signed achievement's name, description, criteria and image."""
    document = credential_document(credential)
    achievement = clr.achievement_of(document) or {}
    criteria = achievement.get("criteria") if isinstance(achievement.get("criteria"), dict) else {}
    image = achievement.get("image")
    return {
        "@context": OB2_CONTEXT,
        "type": "BadgeClass",
        "id": public_url(credential, f"/ob2/badgeclasses/{credential.uuid}"),
        "name": achievement.get("name") or document.get("name") or "",
        "description": achievement.get("description") or document.get("description") or "",
        "image": image.get("id") if isinstance(image, dict) else
        public_url(credential, f"/credentials/{credential.uuid}.png"),
        "criteria": {"narrative": criteria.get("narrative") or "",
                     **({"id": criteria["id"]} if criteria.get("id") else {})},
        "issuer": issuer_url(credential.organisation),
    }


def issuer_url(org: Organisation) -> str:
    return public_url(org, f"/ob2/issuers/{org.slug}")


def issuer_profile(org: Organisation) -> dict:
    """The OB 2.0 Issuer: the organisation's name, site, e-mail and logo, from its Profile."""
    profile = profile_document(org)
    found = {"@context": OB2_CONTEXT, "type": "Issuer", "id": issuer_url(org),
             "name": profile.get("name") or org.name,
             "url": profile.get("url") or public_url(org, f"/issuers/{org.slug}")}
    if profile.get("email"):
        found["email"] = profile["email"]
    image = profile.get("image")
    if isinstance(image, dict) and image.get("id"):
        found["image"] = image["id"]
    return found


def _recipient(document: dict) -> dict | None:
    subject = document.get("credentialSubject")
    identifiers = subject.get("identifier") if isinstance(subject, dict) else None
    for identity in identifiers if isinstance(identifiers, list) else []:
        if isinstance(identity, dict) and identity.get("identityType") == "emailAddress" \
                and identity.get("hashed") is True and identity.get("identityHash"):
            return {"type": "email", "hashed": True, "salt": identity.get("salt") or "",
                    "identity": identity["identityHash"]}
    return None
