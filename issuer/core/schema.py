"""Validation against the bundled 1EdTech JSON schemas (draft 2019-09), offline.

The schemas are package data; their `$id`s are served from a `referencing` Registry built from
those files, so nothing is ever fetched. Two rules live only in the spec's prose, not in the
schemas, and are checked here too: a credentialSubject names its recipient by `id` or
`identifier`, and `DateTimeZ` values carry a timezone.
"""

from __future__ import annotations

import json
import re
from functools import cache, partial
from importlib import resources
from typing import Any

import jsonschema_rs
from jsonschema import Draft201909Validator
from jsonschema.exceptions import ValidationError
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT201909

from .errors import SchemaError
from .messages import N_

# Short name → bundled file. The OB names come first; CLR's own copies carry a `clr_` prefix.
SCHEMA_FILES: dict[str, str] = {
    "achievementcredential": "ob_v3p0_achievementcredential_schema.json",
    "endorsementcredential": "ob_v3p0_endorsementcredential_schema.json",
    "profile": "ob_v3p0_profile_schema.json",
    "getopenbadgecredentialsresponse": "ob_v3p0_getopenbadgecredentialsresponse_schema.json",
    "imsx_statusinfo": "ob_v3p0_imsx_statusinfo_schema.json",
    "clrcredential": "clr_v2p0_clrcredential_schema.json",
    "clr_achievementcredential": "clr_v2p0_achievementcredential_schema.json",
    "clr_endorsementcredential": "clr_v2p0_endorsementcredential_schema.json",
    "clr_profile": "clr_v2p0_profile_schema.json",
    "getclrcredentialsresponse": "clr_v2p0_getclrcredentialsresponse_schema.json",
    "clr_imsx_statusinfo": "clr_v2p0_imsx_statusinfo_schema.json",
}
STRICT_FILES: dict[str, str] = {
    "achievementcredential": "variants/ob_v3p0_achievementcredential_schema.strict-2024-09.json",
}
# Credential types → schema, most specific first.
_TYPE_SCHEMAS = (
    ("ClrCredential", "clrcredential"),
    ("EndorsementCredential", "endorsementcredential"),
    ("OpenBadgeCredential", "achievementcredential"),
    ("AchievementCredential", "achievementcredential"),
    ("Profile", "profile"),
)
# DateTimeZ properties (DIGEST §A.2): a timezone designator is mandatory.
DATETIMEZ_FIELDS = ("validFrom", "validUntil", "awardedDate")
_TIMEZONE = re.compile(r"(Z|z|[+-]\d{2}:?\d{2})$")


def _schemas_dir():
    return resources.files(__package__).joinpath("schemas")


@cache
def _load(filename: str) -> dict:
    return json.loads(_schemas_dir().joinpath(filename).read_text("utf-8"))


@cache
def _registry() -> Registry:
    # Every bundled schema, strict variant included, under its own $id: $refs resolve locally.
    files = list(SCHEMA_FILES.values()) + list(STRICT_FILES.values())
    resources_ = [
        (_load(f)["$id"], Resource.from_contents(_load(f), default_specification=DRAFT201909))
        for f in files
    ]
    return Registry().with_resources(resources_)


@cache
def _validator(schema: str, strict: bool) -> Draft201909Validator:
    files = STRICT_FILES if strict else SCHEMA_FILES
    if schema not in files:
        known = ", ".join(sorted(files))
        if strict:
            raise SchemaError(N_("no bundled strict schema named %(schema)s; known: %(known)s",
                                 schema=repr(schema), known=known))
        raise SchemaError(N_("no bundled schema named %(schema)s; known: %(known)s",
                             schema=repr(schema), known=known))
    return Draft201909Validator(
        _load(files[schema]),
        registry=_registry(),
        format_checker=Draft201909Validator.FORMAT_CHECKER,
    )


@cache
def _fast_validator(schema: str, strict: bool):
    """The same schema compiled by jsonschema-rs (Rust): it only says whether a document is
    valid, at a fraction of jsonschema's cost; jsonschema still words the errors."""
    _validator(schema, strict)  # the same refusal of an unknown name
    files = list(SCHEMA_FILES.values()) + list(STRICT_FILES.values())
    registry = jsonschema_rs.Registry(
        [(_load(f)["$id"], _load(f)) for f in files], draft=jsonschema_rs.Draft201909
    )
    # Formats by jsonschema's own checkers: Rust's date-time accepts year 0000, Python's does not.
    checker = Draft201909Validator.FORMAT_CHECKER
    formats = {name: partial(checker.conforms, format=name) for name in checker.checkers}
    return jsonschema_rs.Draft201909Validator(
        _load((STRICT_FILES if strict else SCHEMA_FILES)[schema]),
        validate_formats=True, formats=formats, registry=registry,
    )


def _is_valid(document: Any, schema: str, strict: bool) -> bool:
    try:
        return _fast_validator(schema, strict).is_valid(document)
    except (ValueError, TypeError):  # not JSON (a tuple, a non-string key...): jsonschema decides
        return False


def schema_for(document: Any) -> str:
    """The schema name matching a document's `type` (ClrCredential, EndorsementCredential, …)."""
    types = document.get("type") if isinstance(document, dict) else None
    types = types if isinstance(types, list) else [types]
    for type_name, schema in _TYPE_SCHEMAS:
        if type_name in types:
            return schema
    raise SchemaError(N_("no schema for a document of type %(types)s", types=repr(types)))


def errors(document: Any, schema: str | None = None, strict: bool = False) -> list[str]:
    """Readable `path: message` strings for every schema and prose-rule violation; [] if valid.

    `schema=None` picks the schema from the document's `type`.
    """
    schema = schema or schema_for(document)
    found = []
    if not _is_valid(document, schema, strict):
        validator = _validator(schema, strict)
        found = [_describe(e) for e in sorted(validator.iter_errors(document), key=_error_order)]
    if isinstance(document, dict):
        flagged = {line.split(":", 1)[0] for line in found}
        found += [e for e in _prose_errors(document, schema) if e.split(":", 1)[0] not in flagged]
    return found


def validate(document: Any, schema: str | None = None, strict: bool = False) -> None:
    """Raise SchemaError listing every violation when `document` does not validate."""
    problems = errors(document, schema, strict)
    if problems:
        name = schema or schema_for(document)
        if len(problems) > 1:
            message = N_("does not conform to the %(schema)s schema: %(problem)s "
                         "(and %(more)s more)", schema=name, problem=problems[0],
                         more=len(problems) - 1)
        else:
            message = N_("does not conform to the %(schema)s schema: %(problem)s",
                         schema=name, problem=problems[0])
        raise SchemaError(message, errors=problems)


def _error_order(error: ValidationError) -> tuple:
    return tuple(str(p) for p in error.absolute_path)


def _describe(error: ValidationError) -> str:
    # oneOf/anyOf failures say only "is not valid under any of the given schemas"; the best
    # sub-error names the real problem.
    while error.context:
        error = max(error.context, key=lambda e: (len(e.absolute_path), -len(e.context or [])))
    message = error.message if len(error.message) <= 160 else error.message[:157] + "..."
    return f"{_path(error.absolute_path)}: {message}"


def _path(parts) -> str:
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(root)"


def _prose_errors(document: dict, schema: str) -> list[str]:
    found = []
    for name in DATETIMEZ_FIELDS:
        value = document.get(name)
        if isinstance(value, str) and not _TIMEZONE.search(value):
            found.append(f"{name}: {value!r} has no timezone; DateTimeZ needs one, e.g. 'Z'")
    if schema in ("achievementcredential", "clr_achievementcredential"):
        found += _subject_errors(document.get("credentialSubject"))
    return found


def _subject_errors(subject: Any) -> list[str]:
    subjects = subject if isinstance(subject, list) else [subject]
    found = []
    for index, item in enumerate(subjects):
        if isinstance(item, dict) and not item.get("id") and not item.get("identifier"):
            where = "credentialSubject" + (f"[{index}]" if isinstance(subject, list) else "")
            found.append(f"{where}: needs an 'id' or at least one 'identifier' for the recipient")
    return found
