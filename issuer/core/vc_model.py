"""The W3C Verifiable Credentials data model (VC 2.0 and 1.1): what an issuer must refuse to sign
and a verifier must refuse to accept, whatever the credential's kind.

The Open Badges checks (schemas, contexts, recipient) sit on top of these in `verify`; these are
the rules every VC shares (VCDM 2.0 §4, §5; VC 1.1 §4), each refusal named after its property.
"""

from __future__ import annotations

import re
from typing import Any

from .errors import BadgeError
from .jsonld import CREDENTIALS_V2

VC_V1 = "https://www.w3.org/2018/credentials/v1"
DATA_INTEGRITY_V2 = "https://w3id.org/security/data-integrity/v2"
# Base contexts that already define DataIntegrityProof (the 2.0 base context includes it).
_DEFINES_DATA_INTEGRITY = {CREDENTIALS_V2, DATA_INTEGRITY_V2}
# VCDM 2.0 §4.9 dateTimeStamp: a timezone is required.
DATE_TIME_STAMP = re.compile(
    r"^-?([1-9][0-9]{3,}|0[0-9]{3})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"
    r"T(([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]+)?|(24:00:00(\.0+)?))"
    r"(Z|[+-]((0[0-9]|1[0-3]):[0-5][0-9]|14:00))$"
)
# VC 1.1 issuanceDate is an xsd:dateTime: the timezone is optional.
_DATE_TIME = re.compile(
    r"^-?\d{4,}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?$"
)
_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:\S+$")
# Properties whose every value must name its type (VCDM 2.0 §4.5, §4.10, §4.11, §5.4-5.6).
TYPED_PROPERTIES = ("credentialStatus", "termsOfUse", "evidence", "refreshService",
                    "credentialSchema")


class DataModelError(BadgeError):
    """A credential breaks a MUST of the Verifiable Credentials data model."""

    def __init__(self, message: str, problems: list[str] | None = None):
        super().__init__(message)
        self.problems = problems or [message]


def check_credential(credential: Any) -> None:
    """Raise DataModelError naming the first broken rule (and counting the others)."""
    found = problems(credential)
    if found:
        more = f" (and {len(found) - 1} more)" if len(found) > 1 else ""
        raise DataModelError(f"{found[0]}{more}", found)


def problems(credential: Any) -> list[str]:
    """Every data-model rule `credential` breaks, as "property: reason" lines."""
    if not isinstance(credential, dict):
        return ["a credential must be a JSON object"]
    found = _context_problems(credential.get("@context"))
    found += _type_problems(credential.get("type"))
    if "id" in credential and not _is_url(credential["id"]):
        found.append("id: must be a single URL")
    found += _issuer_problems(credential)
    found += _subject_problems(credential.get("credentialSubject", _MISSING))
    found += _language_problems(credential, "name") + _language_problems(credential, "description")
    found += _date_problems(credential)
    for name in TYPED_PROPERTIES:
        if name in credential:
            found += _typed_problems(name, credential[name])
    if "relatedResource" in credential:
        found += _related_problems(credential["relatedResource"])
    return found


def ensure_suite_context(document: dict) -> dict:
    """`document` with the Data Integrity context added when its base context (VC 1.1) lacks
    the terms of a DataIntegrityProof, as the reference libraries do before signing."""
    contexts = document.get("@context")
    listed = contexts if isinstance(contexts, list) else [contexts]
    if not listed or listed[0] != VC_V1 or _DEFINES_DATA_INTEGRITY & {
            c for c in listed if isinstance(c, str)}:
        return document
    return {**document, "@context": [*listed, DATA_INTEGRITY_V2]}


# --- the rules ------------------------------------------------------------------------------

_MISSING = object()


def _context_problems(contexts: Any) -> list[str]:
    if contexts is None:
        return ["@context: is required"]
    if not isinstance(contexts, list) or not contexts:
        return ["@context: must be an ordered array of contexts"]
    if contexts[0] not in (CREDENTIALS_V2, VC_V1):
        return [f"@context: the first item must be {CREDENTIALS_V2} (or {VC_V1})"]
    if any(not isinstance(item, str | dict) for item in contexts):
        return ["@context: items must be URLs or context objects"]
    return []


def _type_problems(types: Any) -> list[str]:
    listed = types if isinstance(types, list) else [types]
    if types is None or not listed or any(not isinstance(t, str) or not t for t in listed):
        return ["type: must be one or more strings including VerifiableCredential"]
    if "VerifiableCredential" not in listed:
        return ["type: must include VerifiableCredential"]
    return []


def _issuer_problems(credential: dict) -> list[str]:
    issuer = credential.get("issuer")
    if issuer is None:
        return ["issuer: is required"]
    if isinstance(issuer, dict):
        if not _is_url(issuer.get("id")):
            return ["issuer: an issuer object needs an id that is a URL"]
        return _language_problems(issuer, "name", "issuer.") + _language_problems(
            issuer, "description", "issuer.")
    return [] if _is_url(issuer) else ["issuer: must be a URL or an object with an id"]


def _subject_problems(subject: Any) -> list[str]:
    if subject is _MISSING:
        return ["credentialSubject: is required"]
    listed = subject if isinstance(subject, list) else [subject]
    if not listed or any(not isinstance(s, dict) or not s for s in listed):
        return ["credentialSubject: must be one or more non-empty objects"]
    return []


def _language_problems(holder: dict, name: str, prefix: str = "") -> list[str]:
    if name not in holder:
        return []
    value = holder[name]
    values = value if isinstance(value, list) else [value]
    for item in values:
        if isinstance(item, str):
            continue
        if isinstance(item, dict) and isinstance(item.get("@value"), str) and set(item) <= {
                "@value", "@language", "@direction"}:
            continue
        return [f"{prefix}{name}: must be a string or language value objects"]
    return [] if values else [f"{prefix}{name}: must not be empty"]


def _date_problems(credential: dict) -> list[str]:
    found = []
    for name, pattern in (("validFrom", DATE_TIME_STAMP), ("validUntil", DATE_TIME_STAMP),
                          ("issuanceDate", _DATE_TIME), ("expirationDate", _DATE_TIME)):
        if name in credential and not (isinstance(credential[name], str)
                                       and pattern.match(credential[name])):
            found.append(f"{name}: must be an XML Schema dateTimeStamp with a timezone"
                         if pattern is DATE_TIME_STAMP else f"{name}: must be a dateTime")
    if isinstance(credential.get("@context"), list) and credential["@context"][:1] == [VC_V1]:
        if "issuanceDate" not in credential:
            found.append("issuanceDate: is required in a VC 1.1 credential")
    return found


def _typed_problems(name: str, value: Any) -> list[str]:
    listed = value if isinstance(value, list) else [value]
    if not listed:
        return [f"{name}: must not be empty"]
    for item in listed:
        if not isinstance(item, dict) or _type_problems_of(item.get("type")):
            return [f"{name}: every value must be an object with a type"]
        if "id" in item and not _is_url(item["id"]):
            return [f"{name}: id must be a URL"]
        if name == "credentialSchema" and not _is_url(item.get("id")):
            return [f"{name}: every schema needs an id that is a URL"]
    return []


def _type_problems_of(types: Any) -> bool:
    listed = types if isinstance(types, list) else [types]
    return types is None or not listed or any(not isinstance(t, str) or not t for t in listed)


def _related_problems(value: Any) -> list[str]:
    listed = value if isinstance(value, list) else [value]
    ids = []
    for item in listed:
        if not isinstance(item, dict) or not _is_url(item.get("id")):
            return ["relatedResource: every resource needs an id that is a URL"]
        if not any(isinstance(item.get(d), str) and item[d] for d in
                   ("digestSRI", "digestMultibase")):
            return ["relatedResource: every resource needs digestSRI or digestMultibase"]
        ids.append(item["id"])
    if len(set(ids)) != len(ids):
        return ["relatedResource: ids must be unique"]
    return [] if listed else ["relatedResource: must not be empty"]


def _is_url(value: Any) -> bool:
    return isinstance(value, str) and bool(_URL.match(value))
