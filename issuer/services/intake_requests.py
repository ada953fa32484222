"""The API's request contract: one JSON Schema per request (`SCHEMAS`, served in the OpenAPI
document at /api/v1/openapi.json) that also checks every request, and the checked requests it
yields (`IssueRequest`, `LearnerInput`).

A refusal is an `IntakeError` whose `details` name each wrong field, in the words the API has
always used ("must be a string", "is not a field of a learner", …): the schema finds what is
wrong, `_explained` says it. Rules between fields (template_id or session_id, learner or
learner_id, dates in order) are checked after the schema, and reported with its problems.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker, validators

from issuer.domain.catalogue import LANGUAGE_CODE

from . import ServiceError

MAX_TEXT = 5000
MAX_NAME = 200
MAX_KEY = 200
MAX_ID = 2**31 - 1  # the largest id every database accepts
# A bulk call is answered inside the request, each item in its own transaction: 100 items take
# about 3 s on SQLite and 5 s on PostgreSQL (measured on the 2-core reference machine, loaded),
# well inside a worker's timeout. Larger volumes are several calls, or a CSV file, which runs
# as a background job (services/bulk_jobs.py).
MAX_BULK_ITEMS = 100
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# Not part of what is issued: a retry may change them without being "a different request".
UNFINGERPRINTED = frozenset({"idempotency_key", "send_claim_email"})
_BOOLEANS = frozenset({"send_claim_email", "publish_evidence"})


class IntakeError(ServiceError):
    """A refused request: `code` says why (validation_failed, forbidden, not_found,
    idempotency_key_reused, too_many_items, learner_erased, not_yet_acquired), `details` names
    each field."""

    def __init__(self, code: str, message: str, details: list | None = None):
        super().__init__(message)
        self.code, self.message, self.details = code, message, details or []


class Problems:
    """Field problems gathered while reading a request, reported together as one error."""

    def __init__(self) -> None:
        self.items: list[dict] = []

    def add(self, field_name: str, message: str, **extra: Any) -> None:
        """Record that `field_name` is wrong and why."""
        self.items.append({"field": field_name, "message": message, **extra})

    def raise_if_any(self) -> None:
        """Refuse the request when anything was recorded."""
        if self.items:
            raise IntakeError("validation_failed", _summary(self.items), self.items)


def _summary(items: list[dict]) -> str:
    first = items[0]
    more = f" (and {len(items) - 1} more problems)" if len(items) > 1 else ""
    return f"{first['field']}: {first['message']}{more}"


# --- the schemas -------------------------------------------------------------------------------


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


_ID = {"type": "integer", "minimum": 1, "maximum": MAX_ID}
_DATE = {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}$", "format": "date",
         "examples": ["2026-03-14"]}
_TEXT_MAP = {"type": "object", "additionalProperties": {"type": "string", "maxLength": MAX_TEXT}}

# The four consent questions (services.consent.PURPOSES), as the API asks them.
_CONSENT_ANSWERS = {
    "name": {"type": "boolean", "description": "The badge may carry the learner's "
             "name; otherwise it carries only a salted hash of it."},
    "email": {"type": "boolean", "description": "The claim link may be sent to the "
              "learner's e-mail (send_claim_email is refused otherwise)."},
    "photo": {"type": "boolean", "description": "Photos of the learner's work may be "
              "taken as evidence and published with the badge."},
    "statistics": {"type": "boolean", "description": "The learner may be counted, "
                   "without their name, in the pilot statistics."},
}

# OpenAPI component schemas (served in /api/v1/openapi.json) and the validation of requests.
# additionalProperties comes first so unknown fields are reported first.
SCHEMAS: dict[str, dict] = {
    "Consent": {
        "type": "object",
        "additionalProperties": False,
        "properties": _CONSENT_ANSWERS,
        "description": "The learner's answers at enrolment (changed later with PUT "
                       "/learners/{learner_id}/consent), recorded with the date and the "
                       "API token. A question left out is answered no; without this object "
                       "nothing is recorded, which also means no to each.",
    },
    "ConsentChange": {
        "type": "object",
        "additionalProperties": False,
        "properties": _CONSENT_ANSWERS,
        "required": list(_CONSENT_ANSWERS),
        "description": "The learner's four answers, all given: a question left out would "
                       "silently become a no. Each changed answer is recorded with today's "
                       "date and the API token, and the audit log keeps the earlier one. "
                       "Withdrawing `email` stops every claim e-mail to the learner at once.",
    },
    "LearnerInput": {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "name": {"type": "string", "minLength": 1, "maxLength": MAX_NAME,
                     "description": "The name as it should appear on the badge."},
            "email": {"type": "string", "maxLength": 320, "pattern": EMAIL.pattern,
                      "format": "email",
                      "description": "Optional; only its salted hash goes into the badge."},
            "language": {"type": "string", "maxLength": 16, "pattern": LANGUAGE_CODE.pattern,
                         "examples": ["fr"], "description": "The badge's language when the "
                         "training is written in it."},
            "wallet_did": {"type": "string", "maxLength": 500, "pattern": "^did:",
                           "description": "The learner's wallet DID, used as the subject id."},
            "consent": {**_ref("Consent"), "description": "Recorded when the request creates "
                        "the learner (an existing learner's answers are changed with PUT "
                        "/learners/{learner_id}/consent, or by an admin)."},
        },
        "required": ["name"],
        "description": "A null or blank value counts as absent.",
    },
    "IssueRequest": {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "template_id": {"type": "string", "maxLength": MAX_NAME, "description": "A "
                            "micro-training id from GET /templates (its current version is "
                            "issued)."},
            "session_id": {**_ID, "description": "An existing training session of your "
                           "organisation; without it, the badge goes into an 'API' session of "
                           "the template for the activity dates (default today)."},
            "learner": _ref("LearnerInput"),
            "learner_id": _ID,
            "results": {**_TEXT_MAP, "description": "Gesture id → rubric level id ('acquired' "
                        "and 'not-yet' are accepted as words for the required level and the "
                        "one below).",
                        "examples": [{"dig-hole": "acquired", "stake-and-water": "acquired"}]},
            "comments": {**_TEXT_MAP, "description": "Gesture id (or '' for the whole "
                         "training) → comment; published as evidence only with "
                         "publish_evidence."},
            "publish_evidence": {"type": "boolean", "default": False, "description": "The "
                                 "learner agreed that the comments and narrative travel with "
                                 "the badge, where anyone who checks it can read them. "
                                 "Without it they stay in the organisation's records."},
            "narrative": {"type": "string", "maxLength": MAX_TEXT},
            "activity_start": _DATE,
            "activity_end": _DATE,
            "idempotency_key": {"type": "string", "maxLength": MAX_KEY, "description": "Sending "
                                "the same request again with this key returns the first "
                                "credential (200), also when both arrive at the same time: the "
                                "key is stored in the issuing transaction, unique per "
                                "organisation, so exactly one credential is issued. The same "
                                "key with a different body is 409 `idempotency_key_reused`."},
            "send_claim_email": {"type": "boolean", "default": False, "description": "E-mail "
                                 "the claim link to the learner once the badge is issued (422 "
                                 "when the learner has no e-mail or the server has no SMTP). "
                                 "The outcome is in `claim_email`; a failed e-mail does not "
                                 "undo the badge."},
        },
        "required": ["results"],
        "description": "Either template_id or session_id, and either learner or learner_id. "
                       "A null value counts as absent, and so does a blank text other than a "
                       "date; send_claim_email is true or false.",
    },
    "BulkIssueRequest": {"type": "array", "maxItems": MAX_BULK_ITEMS,
                         "items": _ref("IssueRequest")},
}

# JSON's 1.0 is not an id: integers are integers, whatever JSON Schema allows.
_Validator = validators.extend(Draft202012Validator, type_checker=(
    Draft202012Validator.TYPE_CHECKER.redefine(
        "integer", lambda _checker, value: isinstance(value, int) and not isinstance(value, bool))))
_VALIDATORS = {name: _Validator({**_ref(name), "components": {"schemas": SCHEMAS}},
                                format_checker=FormatChecker(formats=["date"]))
               for name in SCHEMAS}
_REQUIRED = {"results": "is required: an object mapping each gesture id to a level id",
             "name": "is required: the name as it should appear on the badge"}
_WRONG = {"learner": "must be an object with at least a name",
          "session_id": "must be a positive integer id",
          "learner_id": "must be a positive integer id",
          "send_claim_email": "must be true or false",
          "publish_evidence": "must be true or false"}
_UNKNOWN = {"IssueRequest": "is not a field of an issue request",
            "LearnerInput": "is not a field of a learner"}


def _checked(name: str, instance: Any, root: str = "") -> Problems:
    """One problem per field `instance` gets wrong against the schema `name`, worded as the API
    always worded them."""
    problems = Problems()
    for error in _VALIDATORS[name].iter_errors(instance):
        for field_name, message in _explained(error, root):
            if field_name not in {item["field"] for item in problems.items}:
                problems.add(field_name, message)
    return problems


def _explained(error, root: str) -> list[tuple[str, str]]:
    path = [str(part) for part in error.absolute_path]
    if path[:1] in (["results"], ["comments"]):
        return [(path[0], f"a value is too long (at most {MAX_TEXT} characters)"
                 if error.validator == "maxLength" else
                 "must be an object whose keys and values are strings")]
    if "consent" in path or root == "consent":
        return _consent_problems(error, path)
    if error.validator == "additionalProperties":
        # The learner is the only object inside a request that is checked field by field.
        message = _UNKNOWN["LearnerInput" if path or root else "IssueRequest"]
        return [(_field(path, unknown), message)
                for unknown in sorted(set(error.instance) - set(error.schema["properties"]))]
    if error.validator == "required":
        return [(_field(path, missing), _REQUIRED[missing])
                for missing in error.validator_value if missing not in error.instance]
    name = path[-1] if path else root
    if name in ("activity_start", "activity_end"):
        return [(name, f"{error.instance!r} is not a date like 2026-03-14")]
    if error.validator == "maxLength":
        return [(_field(path) or root, f"is too long (at most {error.validator_value} "
                 "characters)")]
    if error.validator == "pattern":
        return [(_field(path), {
            "email": f"{error.instance!r} is not an e-mail address",
            "language": f"{error.instance!r} is not a language code like en or fr",
            "wallet_did": "must be a DID (starting with 'did:')"}[name])]
    return [(_field(path) or root, _WRONG.get(name, "must be a string"))]


def _consent_problems(error, path: list[str]) -> list[tuple[str, str]]:
    questions = ", ".join(SCHEMAS["Consent"]["properties"])
    if error.validator == "additionalProperties":
        return [(_field(path, unknown), f"is not a consent question ({questions})")
                for unknown in sorted(set(error.instance) - set(error.schema["properties"]))]
    if error.validator == "required":
        return [(_field(path, missing), "is required: true or false")
                for missing in error.validator_value if missing not in error.instance]
    if not path or path[-1] == "consent":
        return [(_field(path), f"must be an object of true/false answers ({questions})")]
    return [(_field(path), "must be true or false")]


def _field(path: list[str], child: str | None = None) -> str:
    return ".".join(path if child is None else [*path, child])


def _cleaned(body: Mapping, schema: str = "IssueRequest") -> dict:
    """The body with its text fields trimmed, and blank or null values left out (they mean
    "absent"); send_claim_email, dates and unknown fields stay as sent, to be checked."""
    properties = SCHEMAS[schema]["properties"]
    cleaned = {}
    for key, value in body.items():
        if isinstance(value, str) and properties.get(key, {}).get("type") == "string" \
                and properties[key].get("format") != "date":
            value = value.strip() or None
        elif key == "learner" and isinstance(value, dict):
            value = _cleaned(value, "LearnerInput")
        if value is not None or key in _BOOLEANS or key not in properties:
            cleaned[key] = value
    return cleaned


# --- reading an API request -------------------------------------------------------------------


@dataclass(frozen=True)
class LearnerInput:
    """A learner described in a request: a name is enough."""

    name: str
    email: str | None = None
    language: str | None = None
    wallet_did: str | None = None
    consent: dict[str, bool] | None = None  # the answers, when the request gave them


@dataclass(frozen=True)
class IssueRequest:
    """One checked request to issue a badge."""

    template_id: str | None
    session_id: int | None
    learner_id: int | None
    learner: LearnerInput | None
    results: dict[str, str]
    comments: dict[str, str]
    narrative: str | None
    activity_start: date | None
    activity_end: date | None
    idempotency_key: str | None
    fingerprint: str
    send_claim_email: bool = False
    publish_evidence: bool = False


def parse_issue_request(body: Any) -> IssueRequest:
    """Check an issue request against its schema and the rules between its fields; raise
    IntakeError (validation_failed) listing every problem."""
    if not isinstance(body, dict):
        raise IntakeError("validation_failed", "the request must be a JSON object",
                          [{"field": "", "message": "expected an object"}])
    fields = _cleaned(body)
    problems = _checked("IssueRequest", fields)
    wrong = {item["field"] for item in problems.items}
    if not {"template_id", "session_id"} & (set(fields) - wrong):
        problems.add("template_id", "give the micro-training's template_id (or a session_id)")
    if "learner" in fields and "learner_id" in fields:
        # Which learner was meant is unclear: the object's own problems would only distract.
        problems.items = [item for item in problems.items
                          if item["field"].partition(".")[0] != "learner"]
        problems.add("learner", "give either a learner object or a learner_id, not both")
    elif "learner" not in fields and "learner_id" not in fields:
        problems.add("learner", "give either a learner object (at least a name) or a learner_id")
    start, end = (date.fromisoformat(fields[key]) if key in set(fields) - wrong else None
                  for key in ("activity_start", "activity_end"))
    if start and end and end < start:
        problems.add("activity_end", f"{end} is before activity_start {start}")
    problems.raise_if_any()
    return IssueRequest(
        template_id=fields.get("template_id"), session_id=fields.get("session_id"),
        learner_id=fields.get("learner_id"),
        learner=_learner_input(fields["learner"]) if "learner" in fields else None,
        results=fields["results"], comments=fields.get("comments", {}),
        narrative=fields.get("narrative"), activity_start=start, activity_end=end,
        idempotency_key=fields.get("idempotency_key"), fingerprint=_fingerprint(body),
        send_claim_email=fields.get("send_claim_email", False),
        publish_evidence=fields.get("publish_evidence", False))


def parse_learner(body: Any) -> LearnerInput:
    """A learner object (name required; e-mail, language code and wallet DID checked if given);
    raise IntakeError (validation_failed) listing every problem."""
    fields = _cleaned(body, "LearnerInput") if isinstance(body, dict) else body
    _checked("LearnerInput", fields, root="learner").raise_if_any()
    return _learner_input(fields)


def parse_consent_change(body: Any) -> dict[str, bool]:
    """The four consent answers of a change (all required, each true or false); raise
    IntakeError (validation_failed) listing every problem."""
    _checked("ConsentChange", body, root="consent").raise_if_any()
    return dict(body)


def _learner_input(fields: Mapping) -> LearnerInput:
    return LearnerInput(" ".join(fields["name"].split()), fields.get("email"),
                        fields.get("language"), fields.get("wallet_did"), fields.get("consent"))


def check_bulk_request(items: Any) -> list:
    """The items of a bulk request; each item is checked on its own when it is issued, so that
    one bad item does not refuse the others."""
    bulk = SCHEMAS["BulkIssueRequest"]
    for error in _Validator({"type": bulk["type"], "maxItems": bulk["maxItems"]}).iter_errors(
            items):
        if error.validator == "maxItems":
            raise IntakeError("too_many_items", f"{len(items)} items; at most "
                              f"{MAX_BULK_ITEMS} per call: split the list")
        raise IntakeError("validation_failed", "the body must be a JSON array of issue "
                          "requests", [{"field": "", "message": "expected an array"}])
    return items


def _fingerprint(body: dict) -> str:
    """What identifies the request's content, whatever its idempotency key."""
    content = {k: v for k, v in body.items() if k not in UNFINGERPRINTED}
    text = json.dumps(content, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
