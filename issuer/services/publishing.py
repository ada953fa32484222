"""Read-side helpers for the public pages: look-ups, the reader's language, and display models.

The signed credential is the truth: every value shown on a verification page comes from the
signed JSON. The catalogue only adds what the signature does not cover and a reader needs —
the same texts in the reader's language when the micro-training was written in it, and the
skills a micro-training stacks into.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import tomllib
from dataclasses import dataclass, field, replace
from datetime import datetime
from urllib.parse import unquote, urlsplit

from babel.core import Locale, UnknownLocaleError
from babel.dates import format_date
from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload

from issuer.core import limits
from issuer.core.builders import CREDENTIALS_V2, OB_CONTEXT
from issuer.core.errors import BadgeError
from issuer.core.messages import N_, Message
from issuer.languages import LANGUAGES
from issuer.services import catalogue as catalogue_service
from issuer.services import issuing, stacking
from issuer.services.keys import issuer_profile
from issuer.services.minting import SHORT_ID_ALPHABET, SHORT_ID_LENGTH
from issuer.services.revocation import REASONS as REVOCATION_REASONS
from issuer.store.models import (
    AchievementTemplate,
    Credential,
    EvidenceFile,
    Learner,
    Organisation,
    StatusList,
)
from issuer.store.stacking_models import SkillAward

SUPPORTED_LANGUAGES = tuple(LANGUAGES)  # en, fr, nl, it, es, pl

# Display states of a verdict, in the words the page uses (never colour alone).
VALID = "valid"
REVOKED = "revoked"
SUSPENDED = "suspended"
EXPIRED = "expired"
NOT_YET_VALID = "not-yet-valid"
UNRESOLVED = "unresolved"
NOT_GENUINE = "not-genuine"
# Genuine, but signed by an issuer this service does not know: its name is only its own claim.
UNKNOWN_ISSUER = "unknown-issuer"
# Genuine, but its revocation status could not be read: never the plain "valid".
STATUS_UNCHECKED = "status-unchecked"


# --- look-ups -------------------------------------------------------------------------------


def card_code(typed: str) -> str | None:
    """The short id in what someone typed from a card: the code alone, the printed line
    (`host/v/CODE`) or the whole URL, with any spaces, dashes or case; None when what was typed
    cannot be a code (a typing question for the reader, never a verdict on a badge)."""
    text = typed.strip()
    if "/v/" in text:
        text = text.rsplit("/v/", 1)[1]
    text = re.split(r"[?#/]", text, maxsplit=1)[0]
    code = re.sub(r"[\s.·-]+", "", text).upper()
    if len(code) == SHORT_ID_LENGTH and set(code) <= set(SHORT_ID_ALPHABET):
        return code
    return None


def credential_by_short_id(db: Session, short_id: str) -> Credential | None:
    """The credential a printed card's QR names, or None (its learner read with it)."""
    return db.scalar(select(Credential).options(joinedload(Credential.learner))
                     .where(Credential.short_id == short_id))


def credential_by_uuid(db: Session, uuid: str) -> Credential | None:
    """The credential whose id ends in this uuid, or None (its learner read with it)."""
    return db.scalar(select(Credential).options(joinedload(Credential.learner))
                     .where(Credential.uuid == uuid.lower()))


def signed_text_by_uuid(db: Session, uuid: str) -> tuple[str, bool] | None:
    """The stored signed text of the credential with this uuid and whether its learner asked
    for erasure, or None: the two columns /credentials/<uuid> needs, in one narrow statement."""
    row = db.execute(
        select(Credential.signed_json, Learner.erased_at)
        .outerjoin(Learner, Learner.id == Credential.learner_id)
        .where(Credential.uuid == uuid.lower())
    ).first()
    return None if row is None else (row.signed_json, row.erased_at is not None)


def organisation_by_slug(db: Session, slug: str) -> Organisation | None:
    """The issuing organisation published at /issuers/<slug>, or None."""
    return db.scalar(select(Organisation).where(Organisation.slug == slug))


def status_list_by_uuid(db: Session, uuid: str) -> StatusList | None:
    """The status list published at /status/<uuid>, or None."""
    return db.scalar(select(StatusList).where(StatusList.uuid == uuid.lower()))


def signed_status_text(db: Session, uuid: str):
    """The uuid, revision, signed revision and signed text of the status list published at
    /status/<uuid>, or None: one narrow statement, without the list's bits."""
    return db.execute(
        select(StatusList.uuid, StatusList.revision, StatusList.signed_revision,
               StatusList.signed_json)
        .where(StatusList.uuid == uuid.lower())
    ).first()


def evidence_by_uuid(db: Session, uuid: str) -> EvidenceFile | None:
    """An evidence file referenced from a signed credential, or None."""
    return db.scalar(select(EvidenceFile).where(EvidenceFile.uuid == uuid.lower()))


def current_template(db: Session, template_id: str) -> AchievementTemplate | None:
    """The current version of a catalogue entry (micro-training or skill), or None."""
    return db.scalar(
        select(AchievementTemplate)
        .where(AchievementTemplate.template_id == template_id)
        .order_by(AchievementTemplate.current.desc(), AchievementTemplate.imported_at.desc())
        .limit(1)
    )


def credential_document(credential: Credential) -> dict:
    """The signed credential as a JSON object (parsed from the stored bytes)."""
    return json.loads(credential.signed_json)


def achievement_segment(credential: Credential) -> str | None:
    """The `/achievements/<segment>` a credential's achievement was issued from (None: unknown)."""
    if credential.template is None:
        return None
    url = catalogue_service.achievement_id(credential.template, credential.language)
    return url.rsplit("/", 1)[1]


def is_erased(credential: Credential) -> bool:
    """Whether the learner asked for erasure: then nothing personal is published any more."""
    return credential.learner is not None and credential.learner.erased_at is not None


def achievement_name(document: dict) -> str:
    """The name of a credential's achievement (what a badge image shows)."""
    subject = _first(document.get("credentialSubject"))
    achievement = _as_object(subject.get("achievement"))
    return _text(achievement.get("name")) or _text(document.get("name")) or "Open Badge"


def profile_document(org: Organisation) -> dict:
    """The organisation's OB Profile as a standalone JSON-LD document."""
    return {"@context": [CREDENTIALS_V2, OB_CONTEXT], **issuer_profile(org)}


def template_default_language(template: AchievementTemplate) -> str:
    """The first language a catalogue entry is written in (English in practice)."""
    names = tomllib.loads(template.source_toml).get("name", {})
    return "en" if "en" in names or not names else next(iter(names))


def achievement_document(db: Session, template: AchievementTemplate, language: str) -> dict | None:
    """The Achievement of a catalogue entry in `language` (else its first language), as JSON-LD.

    A micro-training is built by the function issuance uses (`issuing.achievement_of`,
    endorsements included), so the document at an achievement's id is the achievement embedded
    in the credentials issued from now on. A skill is published as embedded in its newest
    credential (None until one was issued).
    """
    if template.kind != "training":
        return _issued_achievement(db, template, language)
    training = catalogue_service.training_of(template)
    if language not in training.languages:
        language = training.languages[0]
    achievement = issuing.achievement_of(db, template, language, training)
    return {"@context": [CREDENTIALS_V2, OB_CONTEXT], **achievement.to_json()}


def _issued_achievement(db: Session, template: AchievementTemplate, language: str) -> dict | None:
    for wanted in (language, template_default_language(template)):
        credential = db.scalar(
            select(Credential)
            .where(Credential.template_pk == template.id, Credential.language == wanted)
            .order_by(Credential.issued_at.desc())
            .limit(1)
        )
        if credential is not None:
            subject = _first(credential_document(credential).get("credentialSubject"))
            found = _as_object(subject.get("achievement"))
            if found:
                return {"@context": [CREDENTIALS_V2, OB_CONTEXT], **found}
    return None


def jwt_claims(token: str) -> dict:
    """The credential inside a compact JWT, read WITHOUT checking it (for display only)."""
    try:
        payload = token.split(".")[1]
        claims = limits.parse_json(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError):  # LimitError is a ValueError: too deep is unreadable too
        return {}
    if not isinstance(claims, dict):
        return {}
    return _as_object(claims.get("vc")) or claims


def without_personal_data(view: CredentialView) -> CredentialView:
    """The view of an erased learner's credential: the verdict stays, personal data goes."""
    return replace(view, learner_name=None, evidence=[], gestures=[], skills=[])


def etag_for(text: str | bytes) -> str:
    """A strong ETag (quoted) for a public document's exact bytes."""
    data = text.encode("utf-8") if isinstance(text, str) else text
    return '"' + hashlib.sha256(data).hexdigest()[:32] + '"'


# --- language -------------------------------------------------------------------------------


def reader_language(requested: str | None, accepted: list[str], fallback: str) -> str:
    """The reader's language: `?lang=` first, then Accept-Language, then `fallback`.

    `accepted` is the Accept-Language list, best first. Only the six project languages are
    offered; a regional tag such as `fr-BE` counts as `fr`.
    """
    for candidate in [requested or "", *accepted]:
        primary = candidate.split("-")[0].split("_")[0].lower()
        if primary in SUPPORTED_LANGUAGES:
            return primary
    return fallback if fallback in SUPPORTED_LANGUAGES else "en"


def human_date(value: str | datetime | None, language: str) -> str | None:
    """A date written for people in `language` ("12 mars 2025"); None when there is none."""
    if value is None:
        return None
    if not isinstance(value, str | datetime):  # a stranger's credential may hold anything
        return None
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return value
    try:
        return format_date(value.date(), format="long", locale=Locale.parse(language))
    except (UnknownLocaleError, ValueError):
        return value.date().isoformat()


# --- the verdict ----------------------------------------------------------------------------


def report_json(report) -> dict:
    """The verification report as JSON, whatever shape the engine's report object has."""
    if isinstance(report, dict):
        return report
    return report.to_json()


def verdict_of(report) -> str:
    """One display state for a verification report (see the constants above).

    The engine's verdicts map one to one, except that a "valid" from an issuer this service does
    not know, or whose revocation status could not be read, is never the plain green "valid";
    and "invalid": when the proof (or the issuer's publication of the key) failed only because
    the issuer's documents could not be fetched, the page says "could not be checked" — we could
    not tell — rather than accusing a genuine badge of being fake.
    """
    data = report_json(report)
    verdict = str(data.get("verdict", "invalid")).replace("_", "-")
    if verdict == VALID and data.get("issuerTrusted") is False:
        return UNKNOWN_ISSUER
    if verdict == VALID and data.get("statusChecked") is False:
        return STATUS_UNCHECKED
    if verdict in (VALID, REVOKED, SUSPENDED, EXPIRED, NOT_YET_VALID):
        return verdict
    return UNRESOLVED if _keys_unreachable(data) else NOT_GENUINE


_UNREACHABLE = re.compile(
    r"could not fetch|cannot fetch|refusing to fetch|answered HTTP|took longer than|"
    r"larger than the|no fetcher configured|could not resolve|cannot resolve|did not return",
    re.IGNORECASE)


def _keys_unreachable(data: dict) -> bool:
    """Only the proof failed, and its message is a retrieval error (not a bad signature)."""
    failed = [c for c in data.get("checks", []) if c.get("status") == "failed"]
    return (len(failed) == 1 and failed[0].get("name") in ("proof", "issuer-binding")
            and bool(_UNREACHABLE.search(str(failed[0].get("message", "")))))


def report_messages(report) -> list[str]:
    """The human-readable messages of the report's failed checks, then its warnings."""
    data = report_json(report)
    # The check name (proof, status…) is the verifier's vocabulary: shown, not translated.
    messages = [N_("%(check)s: %(message)s", check=check.get("name"), message=check.get("message"))
                for check in data.get("checks", []) if check.get("status") == "failed"]
    return messages + list(data.get("warnings", []))


# --- the display model ----------------------------------------------------------------------


@dataclass
class LevelView:
    """One rubric level of a gesture; `reached` marks the learner's level."""

    name: str
    description: str | None
    reached: bool


@dataclass
class GestureView:
    """A gesture (an OB ResultDescription) and the learner's result on it."""

    name: str
    observe: str | None
    level_name: str | None
    acquired: bool
    levels: list[LevelView]


@dataclass
class EvidenceView:
    """One piece of evidence named in the credential."""

    name: str | None
    narrative: str | None
    url: str | None
    is_image: bool


@dataclass
class AlignmentView:
    """What the badge proves in a shared framework (ESCO skill, EQF level…)."""

    name: str
    url: str | None
    framework: str | None


@dataclass
class EndorsementView:
    """A partner's endorsement embedded in the badge, with its own verdict."""

    endorser: str
    comment: str | None
    verdict: str  # a display state, as for the badge itself

    @property
    def verified(self) -> bool:
        return self.verdict == VALID


@dataclass
class EmbeddedView:
    """One badge inside a learner record (CLR), with its own verdict."""

    title: str
    issuer_name: str
    verdict: str


@dataclass
class CredentialView:
    """Everything a verification page shows, in one language."""

    verdict: str
    language: str
    title: str
    description: str | None
    criteria: str | None
    issuer_name: str
    issuer_id: str | None
    issuer_country: str | None
    issuer_logo: str | None
    learner_name: str | None
    issued: str | None
    valid_until: str | None
    image: str | None
    gestures: list[GestureView] = field(default_factory=list)
    evidence: list[EvidenceView] = field(default_factory=list)
    learning_outcomes: list[str] = field(default_factory=list)
    alignments: list[AlignmentView] = field(default_factory=list)
    skills: list[stacking.SkillProgressView] = field(default_factory=list)
    endorsements: list[EndorsementView] = field(default_factory=list)
    embedded: list[EmbeddedView] = field(default_factory=list)
    duration_hours: float | None = None
    revocation_reason: str | None = None
    revocation_label: Message | None = None
    messages: list[str] = field(default_factory=list)
    content_language: str | None = None  # the language of the badge's own texts
    # False: the status list could not be retrieved or trusted, so "valid" is not "not revoked"
    status_checked: bool | None = None
    # The web domain that vouches for the issuer id (did:web, https); None: self-declared
    signed_by: str | None = None
    # What it was checked as: "Open Badges 3.0", "Open Badges 2.0", "CLR 2.0" (None: another VC)
    standard: str | None = None


def document_view(document: dict, report, language: str) -> CredentialView:
    """The display model of any OB 3.0 credential, from its JSON alone (third-party issuers)."""
    issuer = _as_object(document.get("issuer"))
    subject = _first(document.get("credentialSubject"))
    achievement = _as_object(subject.get("achievement"))
    return CredentialView(
        verdict=verdict_of(report),
        language=language,
        title=_text(achievement.get("name")) or _text(document.get("name")) or "",
        description=_text(achievement.get("description")) or _text(document.get("description")),
        criteria=_text(_as_object(achievement.get("criteria")).get("narrative")),
        issuer_name=_text(issuer.get("name")) or _text(issuer.get("id")) or "",
        issuer_id=_text(issuer.get("id")),
        issuer_country=_country(issuer, language),
        issuer_logo=_image_url(issuer.get("image")),
        learner_name=_learner_name(subject),
        issued=human_date(document.get("validFrom") or document.get("issuanceDate"), language),
        valid_until=human_date(
            document.get("validUntil") or document.get("expirationDate"), language),
        image=_image_url(achievement.get("image") or document.get("image")),
        gestures=_gestures(achievement, subject),
        evidence=[_evidence(item) for item in _list(document.get("evidence"))],
        alignments=[_alignment(item) for item in _list(achievement.get("alignment"))],
        endorsements=[_endorsement(item) for item in report_json(report).get("endorsements", [])],
        embedded=[_embedded(item) for item in report_json(report).get("embedded", [])],
        messages=report_messages(report),
        status_checked=report_json(report).get("statusChecked"),
        signed_by=signer_domain(_text(issuer.get("id"))),
        standard=report_json(report).get("standard"),
    )


def assertion_view(report, language: str) -> CredentialView:
    """The display model of an Open Badges 2.0 assertion: its BadgeClass and issuer Profile are
    the documents the verifier fetched (the report's `related`), never the copy handed in."""
    data = report_json(report)
    assertion = _as_object(data.get("credential"))
    related = _as_object(data.get("related"))
    badge, issuer = _as_object(related.get("badgeClass")), _as_object(related.get("issuer"))
    return CredentialView(
        verdict=verdict_of(report),
        language=language,
        title=_text(badge.get("name")) or "",
        description=_text(badge.get("description")),
        criteria=_text(_as_object(badge.get("criteria")).get("narrative")),
        issuer_name=_text(issuer.get("name")) or _text(data.get("issuer", {}).get("id")) or "",
        issuer_id=_text(issuer.get("id")),
        issuer_country=None,
        issuer_logo=_image_url(issuer.get("image")),
        learner_name=None,  # an OB 2.0 recipient is an identity (often hashed), not a name
        issued=human_date(_text(assertion.get("issuedOn")), language),
        valid_until=human_date(_text(assertion.get("expires")), language),
        image=_image_url(assertion.get("image") or badge.get("image")),
        messages=report_messages(report),
        status_checked=data.get("statusChecked"),
        signed_by=signer_domain(_text(issuer.get("id"))),
        standard=data.get("standard"),
    )


def signer_domain(issuer_id: str | None) -> str | None:
    """The web domain that answers for an issuer id: a did:web's host or an https URL's host.

    None for did:key and anything else: such an issuer is self-declared, and no domain stands
    behind the name it gives itself.
    """
    if not issuer_id:
        return None
    if issuer_id.startswith("did:web:"):
        return unquote(issuer_id.split(":")[2]) or None
    parts = urlsplit(issuer_id)
    return parts.netloc if parts.scheme == "https" and parts.hostname else None


def credential_view(db: Session, credential: Credential, report, language: str,
                    training=None) -> CredentialView:
    """The display model of one of our credentials, in the reader's language when we can.

    `training` is the catalogue's MicroTraining for the credential's template (None for skills
    or when the template cannot be read); its texts replace the issued ones when it is written
    in `language`, so a Polish employer reads a French learner's badge in Polish.
    """
    view = document_view(credential_document(credential), report, language)
    view.content_language = credential.language
    if training is not None:
        if language in training.languages:
            view.content_language = language
        _translate(view, training, credential.language, view.content_language)
        view.duration_hours = training.duration_hours
        view.skills = _stack_progress(db, credential, language)
    view.revocation_reason = public_revocation_reason(credential)
    view.revocation_label = revocation_label(credential)
    return view


def page_state_columns() -> list:
    """The newest badge, skill award and catalogue version (`page_key`), as columns to select."""
    return [select(func.max(Credential.id)).scalar_subquery(),
            select(func.max(SkillAward.id)).scalar_subquery(),
            select(func.max(AchievementTemplate.id)).scalar_subquery()]


def page_key(db: Session, credential: Credential, verdict_key: tuple, now: datetime,
             newest: tuple | None = None) -> tuple:
    """What a badge's public page shows, beyond its verdict (`verdict_key`), depends on.

    Its skills' progress changes with a new badge, skill award or catalogue version (the newest
    id of each: one index look-up each), with a revocation (a status-list revision, already in
    the verdict key), with the learner's erasure, and with time as parts expire: that one is not
    in the key but in `page_expiry` (a page is kept until its first part expires).
    `newest` is the row of `page_state_columns` when the caller already read it.
    """
    if newest is None:
        newest = db.execute(select(*page_state_columns())).one()
    erased = credential.learner.erased_at if credential.learner is not None else None
    return (verdict_key, tuple(newest), erased)


def page_expiry(skills: list[stacking.SkillProgressView]) -> datetime | None:
    """When time alone changes a page showing these skills' progress: the first expiry of a part
    they count (None: never; the badge's own validity is in the verdict key)."""
    return min((skill.changes_at for skill in skills if skill.changes_at), default=None)


def revocation_label(credential: Credential) -> Message | None:
    """Why the badge was withdrawn, from the fixed list every reader sees in their language
    (None for "other": only the free text, when published, says more)."""
    if credential.revoked_at is None or credential.revocation_reason_code == "other":
        return None
    return REVOCATION_REASONS.get(credential.revocation_reason_code or "")


def public_revocation_reason(credential: Credential) -> str | None:
    """The revocation reason, only when the admin chose to publish it."""
    if credential.revoked_at is None or not getattr(credential, "revocation_reason_public", False):
        return None
    return credential.revocation_reason


def _stack_progress(db: Session, credential: Credential,
                    language: str) -> list[stacking.SkillProgressView]:
    """The skills the badge counts toward, with the holder's progress; a skill file that cannot
    be read hides the section rather than the verdict."""
    try:
        return stacking.stack_progress(db, credential, language)
    except BadgeError:
        return []


def _translate(view: CredentialView, training, issued: str, language: str) -> None:
    """Show the catalogue's texts in `language` (the same template version the badge was issued
    from), and what the signature does not carry: what the trainer observes, the outcomes."""
    renamed = {gesture.text("name", issued): gesture.text("name", language)
               for gesture in training.gestures}
    for item in view.evidence:
        item.name = renamed.get(item.name, item.name)
    view.title = training.text("name", language)
    view.description = training.text("description", language)
    view.learning_outcomes = list(training.learning_outcomes.get(language, ()))
    by_position = {index: gesture for index, gesture in enumerate(view.gestures)}
    for index, gesture in enumerate(training.gestures):
        shown = by_position.get(index)
        if shown is None or len(shown.levels) != len(gesture.levels):
            continue
        shown.name = gesture.text("name", language)
        shown.observe = gesture.text("observe", language)
        for level_view, level in zip(shown.levels, gesture.levels, strict=True):
            level_view.name = level.text("name", language)
            level_view.description = level.text("description", language)
        reached = next((lv.name for lv in shown.levels if lv.reached), None)
        shown.level_name = reached or shown.level_name


def _gestures(achievement: dict, subject: dict) -> list[GestureView]:
    """Each ResultDescription with the learner's Result, in the achievement's order."""
    results = {
        _text(result.get("resultDescription")): result
        for result in _list(subject.get("result")) if isinstance(result, dict)
    }
    gestures = []
    for description in _list(achievement.get("resultDescription")):
        if not isinstance(description, dict):
            continue
        result = results.get(_text(description.get("id")), {})
        achieved = _text(result.get("achievedLevel"))
        levels = [_as_object(level) for level in _list(description.get("rubricCriterionLevel"))]
        gestures.append(GestureView(
            name=_text(description.get("name")) or "",
            observe=None,
            level_name=next((_text(lv.get("name")) for lv in levels if lv.get("id") == achieved),
                            _text(result.get("value"))),
            acquired=_is_acquired(description, levels, achieved, result),
            levels=[LevelView(_text(lv.get("name")) or "", _text(lv.get("description")),
                              lv.get("id") == achieved) for lv in levels],
        ))
    return gestures


def _is_acquired(description: dict, levels: list[dict], achieved: str | None,
                 result: dict) -> bool:
    """Acquired when the achieved level is the required level or above it (levels low→high)."""
    ids = [level.get("id") for level in levels]
    required = description.get("requiredLevel")
    if achieved in ids and required in ids:
        return ids.index(achieved) >= ids.index(required)
    if achieved in ids:
        return ids.index(achieved) == len(ids) - 1
    return result.get("status") == "Completed"


def _endorsement(nested: dict) -> EndorsementView:
    """An endorsement's view from its nested report: who vouches, what they say, verified."""
    credential = _as_object(nested.get("credential"))
    subject = _first(credential.get("credentialSubject"))
    issuer = _as_object(nested.get("issuer"))
    return EndorsementView(
        endorser=_text(issuer.get("name")) or _text(issuer.get("id")) or "",
        comment=_text(subject.get("endorsementComment")),
        verdict=verdict_of(nested),
    )


def _embedded(nested: dict) -> EmbeddedView:
    """An embedded badge's view from its nested report."""
    issuer = _as_object(nested.get("issuer"))
    return EmbeddedView(
        title=achievement_name(_as_object(nested.get("credential"))),
        issuer_name=_text(issuer.get("name")) or _text(issuer.get("id")) or "",
        verdict=verdict_of(nested),
    )


def _evidence(item) -> EvidenceView:
    item = _as_object(item)
    url = _text(item.get("id"))
    return EvidenceView(
        name=_text(item.get("name")),
        narrative=_text(item.get("narrative")) or _text(item.get("description")),
        url=url if url and url.startswith(("https://", "http://")) else None,
        is_image=bool(url) and (
            "/evidence/" in url or url.lower().endswith((".png", ".jpg", ".jpeg", ".webp"))),
    )


def _alignment(item) -> AlignmentView:
    item = _as_object(item)
    return AlignmentView(
        name=_text(item.get("targetName")) or _text(item.get("targetUrl")) or "",
        url=_text(item.get("targetUrl")),
        framework=_text(item.get("targetFramework")) or _text(item.get("targetType")),
    )


def _learner_name(subject: dict) -> str | None:
    """The plain `name` identifier (hashed identifiers are never shown)."""
    for identifier in _list(subject.get("identifier")):
        identifier = _as_object(identifier)
        if identifier.get("identityType") == "name" and identifier.get("hashed") is False:
            return _text(identifier.get("identityHash"))
    return _text(subject.get("name"))


def country_name(code: str, language: str) -> str:
    """The country of an ISO 3166 code, named in `language` ("BE" → "Belgique" in French)."""
    try:
        return Locale.parse(language).territories.get(code.upper(), code)
    except (UnknownLocaleError, ValueError):
        return code


def _country(issuer: dict, language: str) -> str | None:
    address = _as_object(issuer.get("address"))
    code = _text(address.get("addressCountryCode"))
    return country_name(code, language) if code else _text(address.get("addressCountry"))


def _image_url(image) -> str | None:
    url = _text(image.get("id")) if isinstance(image, dict) else _text(image)
    return url if url and url.startswith(("https://", "http://", "data:image/")) else None


def _text(value) -> str | None:
    return value if isinstance(value, str) and value else None


def _as_object(value) -> dict:
    return value if isinstance(value, dict) else {}


def _list(value) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _first(value) -> dict:
    items = _list(value)
    return _as_object(items[0]) if items else {}
