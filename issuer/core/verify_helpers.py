"""Small pure functions the verifier's steps share: reading a credential, times, messages."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from functools import cache
from typing import Any

from . import jsonld, limits
from .errors import BadgeError
from .messages import N_, message_of


def _issuer_of(credential: dict) -> tuple[str | None, str | None]:
    issuer = credential.get("issuer")
    if isinstance(issuer, dict):
        name = issuer.get("name")
        return issuer.get("id"), name if isinstance(name, str) else None
    return (issuer if isinstance(issuer, str) else None), None


@cache
def _loader(variant: str | None) -> jsonld.DocumentLoader:
    return jsonld.make_loader(variant) if variant else jsonld.default_loader()


def _loaders_for(credential: dict) -> list[tuple[str | None, jsonld.DocumentLoader]]:
    """The primary contexts, then every known edition that replaces one of the used contexts."""
    contexts = credential.get("@context")
    # Inline context objects are valid JSON-LD but never replaced by an edition.
    used = {c for c in contexts if isinstance(c, str)} if isinstance(contexts, list) else set()
    variants = [v for v, files in jsonld.CONTEXT_VARIANTS.items() if used & set(files)]
    return [(None, _loader(None))] + [(v, _loader(v)) for v in variants]


def _worth_retrying(results: list) -> bool:
    # Another context edition can only help when the document hashed differently or expanded
    # badly; a missing key or an unsupported suite stays wrong under any context.
    retry = ("does not match the document", "safe mode", "JSON-LD")
    return any(any(mark in r.message for mark in retry) for r in results)


def _email_matches(email: str, identifiers: Any) -> bool:
    candidates = list(dict.fromkeys([email, email.strip(), email.strip().lower()]))
    for identity in identifiers if isinstance(identifiers, list) else [identifiers]:
        if not isinstance(identity, dict) or identity.get("identityType") != "emailAddress":
            continue
        stored = identity.get("identityHash")
        if not isinstance(stored, str):
            continue
        for candidate in candidates:
            if identity.get("hashed") is True:
                if _hash_matches(stored, candidate, identity.get("salt")):
                    return True
            elif stored.strip().lower() == candidate.lower():
                return True
    return False


def _hash_matches(stored: str, identity: str, salt: Any) -> bool:
    algorithm, _, digest = stored.partition("$")
    if algorithm.lower() not in ("sha256", "md5") or not digest:
        return False
    salt = salt if isinstance(salt, str) else ""
    computed = hashlib.new(algorithm.lower(), (identity + salt).encode("utf-8")).hexdigest()
    return computed == digest.lower()


def _endorsements_of(credential: dict) -> list:
    """Embedded endorsements on the credential, its achievement and its issuer Profile."""
    holders = [credential]
    subject = credential.get("credentialSubject")
    if isinstance(subject, dict) and isinstance(subject.get("achievement"), dict):
        holders.append(subject["achievement"])
    if isinstance(credential.get("issuer"), dict):
        holders.append(credential["issuer"])
    found: list = []
    for holder in holders:
        for key in ("endorsement", "endorsementJwt"):
            value = holder.get(key)
            found += value if isinstance(value, list) else [value] if value else []
    return found


def _parse_time(value: Any, name: str, required: bool) -> datetime | None:
    if value is None and not required:
        return None
    if not isinstance(value, str):
        raise ValueError(N_("%(name)s is missing", name=name) if value is None
                         else N_("%(name)s is not a string", name=name))
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise ValueError(N_("%(name)s %(value)s is not an ISO 8601 date-time",
                            name=name, value=repr(value))) from None
    if parsed.tzinfo is None:
        raise ValueError(N_("%(name)s %(value)s has no timezone", name=name, value=repr(value)))
    return parsed


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _jwt_messages(result: Any) -> str:
    return _joined(getattr(result, "messages", None) or [])


def _joined(messages: list[str]) -> str:
    """Distinct messages joined with "; " — a single one stays itself (a translatable Message)."""
    distinct = list(dict.fromkeys(messages))
    return distinct[0] if len(distinct) == 1 else "; ".join(distinct)


def _describe(error: BaseException | None) -> str:
    if error is None:
        return N_("unknown error")
    if isinstance(error, json.JSONDecodeError):
        return N_("not valid JSON: %(reason)s at line %(line)s column %(column)s",
                  reason=error.msg, line=error.lineno, column=error.colno)
    if isinstance(error, (BadgeError, ValueError)):
        return message_of(error) or str(error)
    return f"{type(error).__name__}: {error}"


def _too_many_proofs(count: int) -> str:
    return N_("the credential has %(count)s proofs; at most %(limit)s are checked",
              count=count, limit=limits.MAX_PROOFS)


def _work_limit_reached() -> str:
    return N_("this verification reached its limit of %(limit)s signature checks",
              limit=limits.MAX_PROOF_CHECKS)  # or of canonicalised values: the same remedy
