"""The database model (SQLAlchemy 2). Names follow the Open Badges vocabulary where one exists.

The signed credential is stored as the exact JSON text that was signed: those bytes are the truth,
every other column is an index into them.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

from issuer.core.clock import utc_seconds


def utcnow() -> datetime:
    # Without parameters: SQLAlchemy would hand a one-parameter column default its context.
    return utc_seconds()


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC datetimes on every backend (SQLite forgets the zone otherwise)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC) if value is not None else None

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC) if value is not None else None


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime(), dict: JSON, list: JSON}


class Organisation(Base):
    """An issuing partner; published as an OB `Profile` with a did:web identifier."""

    __tablename__ = "organisation"
    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    url: Mapped[str | None] = mapped_column(String(500))
    email: Mapped[str | None] = mapped_column(String(320))
    description: Mapped[str | None] = mapped_column(Text)
    country_code: Mapped[str] = mapped_column(String(2))
    region: Mapped[str | None] = mapped_column(String(200))
    locality: Mapped[str | None] = mapped_column(String(200))
    street_address: Mapped[str | None] = mapped_column(String(200))
    postal_code: Mapped[str | None] = mapped_column(String(20))
    # Where learners write to about their data (a copy, erasure); the general e-mail otherwise.
    privacy_email: Mapped[str | None] = mapped_column(String(320))
    default_language: Mapped[str] = mapped_column(String(8), default="en")
    logo_png: Mapped[bytes | None] = mapped_column(LargeBinary)
    # How long evidence photos (from when they were taken) and learners' contact data (from
    # their last evaluation or badge) are kept; `sky-badges retention run` removes the rest.
    evidence_retention_months: Mapped[int] = mapped_column(Integer, default=12,
                                                           server_default="12")
    contact_retention_months: Mapped[int] = mapped_column(Integer, default=24,
                                                          server_default="24")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    keys: Mapped[list[SigningKey]] = relationship(
        back_populates="organisation", order_by="SigningKey.version"
    )


class User(Base):
    """A trainer, partner admin or the project's coordinator; belongs to one organisation.

    An address belongs to one active account at a time: a deactivated account's address can
    be given to a new one (the partial unique index).
    """

    __tablename__ = "user_account"
    __table_args__ = (
        Index("ux_user_account_active_email", "email", unique=True,
              sqlite_where=text("active"), postgresql_where=text("active")),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    email: Mapped[str] = mapped_column(String(320), index=True)
    name: Mapped[str] = mapped_column(String(200))
    # Empty until an invited person chooses a password (nobody can log in with it).
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))  # "trainer", "admin" or "coordinator"
    language: Mapped[str | None] = mapped_column(String(8))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # RFC 6238 shared secret once the person turned the second factor on, sealed with the key
    # passphrase (services/second_factor.py), and the last time step accepted (a code is good
    # once).
    totp_secret: Mapped[str | None] = mapped_column(String(128))
    totp_last_step: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    organisation: Mapped[Organisation] = relationship()


class RecoveryCode(Base):
    """A single-use code that stands in for the second factor (only its sha256 is stored)."""

    __tablename__ = "recovery_code"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    code_sha256: Mapped[str] = mapped_column(String(64))
    used_at: Mapped[datetime | None]


class ApiToken(Base):
    """A per-organisation API token; only its sha256 is stored."""

    __tablename__ = "api_token"
    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    name: Mapped[str] = mapped_column(String(200))
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    # Space-separated: what the token may do (read, issue, revoke, learners).
    scopes: Mapped[str] = mapped_column(String(100), default="read issue revoke learners")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    organisation: Mapped[Organisation] = relationship()


class SigningKey(Base):
    """One version of an organisation's key. Retired keys stay published so old badges verify;
    a withdrawn key (compromised) is published no more, and nothing it signed verifies."""

    __tablename__ = "signing_key"
    __table_args__ = (UniqueConstraint("organisation_id", "version"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    version: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))
    public_multibase: Mapped[str] = mapped_column(String(128))
    encrypted_pem: Mapped[bytes] = mapped_column(LargeBinary)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    retired_at: Mapped[datetime | None]
    withdrawn_at: Mapped[datetime | None]

    organisation: Mapped[Organisation] = relationship(back_populates="keys")


class AchievementTemplate(Base):
    """An imported catalogue entry (micro-training or skill) at one version, kept forever."""

    __tablename__ = "achievement_template"
    __table_args__ = (UniqueConstraint("template_id", "version"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    template_id: Mapped[str] = mapped_column(String(100))
    version: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(16))  # "training" or "skill"
    theme: Mapped[str | None] = mapped_column(String(32))
    source_toml: Mapped[str] = mapped_column(Text)
    current: Mapped[bool] = mapped_column(Boolean, default=True)
    imported_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The organisation that publishes this template, the only one that versions it; None for
    # the project's shared catalogue, versioned by the operator.
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"))


class TemplateAdoption(Base):
    """The version of a template an organisation issues from, chosen by that organisation.

    A new version published by the template's owner (or the operator) changes nothing another
    organisation signs until that organisation adopts it.
    """

    __tablename__ = "template_adoption"
    __table_args__ = (UniqueConstraint("organisation_id", "template_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    template_id: Mapped[str] = mapped_column(String(100))
    template_pk: Mapped[int] = mapped_column(ForeignKey("achievement_template.id"))
    adopted_at: Mapped[datetime] = mapped_column(default=utcnow)


class TrainingSession(Base):
    """One delivery of a micro-training by an organisation: a date, a place, a trainer."""

    __tablename__ = "training_session"
    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    template_pk: Mapped[int] = mapped_column(ForeignKey("achievement_template.id"))
    trainer_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    title: Mapped[str | None] = mapped_column(String(200))
    place: Mapped[str | None] = mapped_column(String(200))
    language: Mapped[str] = mapped_column(String(8), default="en")
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    organisation: Mapped[Organisation] = relationship()
    template: Mapped[AchievementTemplate] = relationship()
    trainer: Mapped[User | None] = relationship()


class Learner(Base):
    """The least personal data that works: a display name, optionally an e-mail and a wallet DID."""

    __tablename__ = "learner"
    # Matching a learner by e-mail within an organisation (intake, bulk): migration 0020.
    __table_args__ = (Index("ix_learner_organisation_email", "organisation_id",
                            text("lower(email)")),)
    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320))
    language: Mapped[str | None] = mapped_column(String(8))
    wallet_did: Mapped[str | None] = mapped_column(String(500))
    # Learner records proven to be one person (the learner presented both claim links) share
    # it; an e-mail address alone never makes two records one person.
    person_uuid: Mapped[str | None] = mapped_column(String(36), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    erased_at: Mapped[datetime | None]

    organisation: Mapped[Organisation] = relationship()
    consents: Mapped[list[LearnerConsent]] = relationship(back_populates="learner")


class LearnerConsent(Base):
    """A learner's current answer to one consent question, when and by whom it was recorded.

    One row per learner and purpose (services/consent.py names the four); no row is no consent.
    A changed answer replaces the row and the audit log keeps the earlier one.
    """

    __tablename__ = "learner_consent"
    __table_args__ = (UniqueConstraint("learner_id", "purpose"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    learner_id: Mapped[int] = mapped_column(ForeignKey("learner.id"))
    purpose: Mapped[str] = mapped_column(String(16))
    given: Mapped[bool] = mapped_column(Boolean)
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The account that recorded it, or the API token; neither for the operator's command line.
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    recorded_by_token_id: Mapped[int | None] = mapped_column(ForeignKey("api_token.id"))

    learner: Mapped[Learner] = relationship(back_populates="consents")
    recorded_by: Mapped[User | None] = relationship()
    recorded_by_token: Mapped[ApiToken | None] = relationship()


class Assessment(Base):
    """A trainer's evaluation of one learner in one session: saved before anything is issued."""

    __tablename__ = "assessment"
    __table_args__ = (UniqueConstraint("session_id", "learner_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("training_session.id"))
    learner_id: Mapped[int] = mapped_column(ForeignKey("learner.id"))
    trainer_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    levels: Mapped[dict] = mapped_column(default=dict)  # gesture id → rubric level id
    comments: Mapped[dict] = mapped_column(default=dict)  # gesture id or "" → text
    narrative: Mapped[str | None] = mapped_column(Text)
    # The learner agreed that the trainer's comments and photos travel with the badge, which
    # anyone who checks it can read; otherwise they stay in the organisation's records.
    evidence_public: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    activity_start: Mapped[date | None] = mapped_column(Date)
    activity_end: Mapped[date | None] = mapped_column(Date)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    # Counts the saves: a form carries the version it was loaded with, so a save made on a
    # stale copy (another phone saved in between) is a conflict, not an overwrite.
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    session: Mapped[TrainingSession] = relationship()
    learner: Mapped[Learner] = relationship()
    evidence: Mapped[list[EvidenceFile]] = relationship(back_populates="assessment")


class EvaluationSubmission(Base):
    """One version of an evaluation as a trainer's device sent it, under the id it generated.

    Kept whatever became of it: `applied`, `conflict` (loaded before another save: waits for
    the trainer's choice), then `chosen` or `set-aside`. A replay of the same client id is
    answered from here and never applied twice.
    """

    __tablename__ = "evaluation_submission"
    __table_args__ = (UniqueConstraint("organisation_id", "client_id",
                                       name="uq_evaluation_submission_client"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    client_id: Mapped[str] = mapped_column(String(64))
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessment.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    base_version: Mapped[int | None] = mapped_column(Integer)
    levels: Mapped[dict] = mapped_column(default=dict)
    comments: Mapped[dict] = mapped_column(default=dict)
    narrative: Mapped[str | None] = mapped_column(Text)
    evidence_public: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    activity_start: Mapped[date | None] = mapped_column(Date)
    activity_end: Mapped[date | None] = mapped_column(Date)
    action: Mapped[str] = mapped_column(String(8))
    outcome: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column()
    resolved_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    assessment: Mapped[Assessment] = relationship()
    user: Mapped[User | None] = relationship(foreign_keys=[user_id])


class EvidenceFile(Base):
    """A photo or document a trainer attached as evidence of a gesture."""

    __tablename__ = "evidence_file"
    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessment.id"))
    gesture_id: Mapped[str | None] = mapped_column(String(100))
    filename: Mapped[str] = mapped_column(String(255))
    media_type: Mapped[str] = mapped_column(String(100))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    assessment: Mapped[Assessment] = relationship(back_populates="evidence")


class StatusList(Base):
    """A Bitstring Status List of one organisation; `bits` is the uncompressed bitstring."""

    __tablename__ = "status_list"
    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    purpose: Mapped[str] = mapped_column(String(16), default="revocation")
    size: Mapped[int] = mapped_column(Integer)
    bits: Mapped[bytes] = mapped_column(LargeBinary)
    full: Mapped[bool] = mapped_column(Boolean, default=False)
    revision: Mapped[int] = mapped_column(Integer, default=0)  # bumps on every change (ETag)
    signed_json: Mapped[str | None] = mapped_column(Text)  # cache of the signed list credential
    signed_revision: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class StatusSlot(Base):
    """A taken index: the primary key makes concurrent allocations of one index collide."""

    __tablename__ = "status_slot"
    status_list_id: Mapped[int] = mapped_column(ForeignKey("status_list.id"), primary_key=True)
    index: Mapped[int] = mapped_column(Integer, primary_key=True)


class VcApiStatus(Base):
    """A status slot given to a credential signed through the VC-API (services.vc_api).

    Such a credential is not stored (the caller wrote it; it holds no badge of ours): only its
    `id` and the slot, so `POST /credentials/status` can later revoke or suspend it.
    """

    __tablename__ = "vc_api_status"
    __table_args__ = (Index("ix_vc_api_status_organisation_credential", "organisation_id",
                            "credential_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    credential_id: Mapped[str] = mapped_column(Text)
    status_list_id: Mapped[int] = mapped_column(ForeignKey("status_list.id"))
    status_index: Mapped[int] = mapped_column(Integer)
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)

    status_list: Mapped[StatusList] = relationship()


class Credential(Base):
    """A signed OpenBadgeCredential exactly as issued."""

    __tablename__ = "credential"
    # What the hot queries need at 100,000 badges (migration 0020): a learner's badges
    # (stacking), wallet copies, a template's latest badge in a language, the admin's list.
    __table_args__ = (
        Index("ix_credential_learner_id", "learner_id"),
        Index("ix_credential_supersedes_id", "supersedes_id"),
        Index("ix_credential_template_language_issued", "template_pk", "language", "issued_at"),
        Index("ix_credential_organisation_issued", "organisation_id", "issued_at", "id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True)
    short_id: Mapped[str] = mapped_column(String(16), unique=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    learner_id: Mapped[int | None] = mapped_column(ForeignKey("learner.id"))
    assessment_id: Mapped[int | None] = mapped_column(ForeignKey("assessment.id"), unique=True)
    template_pk: Mapped[int] = mapped_column(ForeignKey("achievement_template.id"))
    kind: Mapped[str] = mapped_column(String(16), default="training")  # training / skill
    language: Mapped[str] = mapped_column(String(8))
    signed_json: Mapped[str] = mapped_column(Text)
    valid_from: Mapped[datetime]
    valid_until: Mapped[datetime | None]
    status_list_id: Mapped[int] = mapped_column(ForeignKey("status_list.id"))
    status_index: Mapped[int] = mapped_column(Integer)
    revoked_at: Mapped[datetime | None]
    revocation_reason: Mapped[str | None] = mapped_column(Text)
    # One of revocation.REASONS: what a reader sees, in their language, whatever the free text.
    revocation_reason_code: Mapped[str | None] = mapped_column(String(32))
    # The reason may hold personal details: public only when the revoker chose so.
    revocation_reason_public: Mapped[bool] = mapped_column(Boolean, default=False,
                                                           server_default=false())
    # A suspension is a hold, not an end: reinstating clears both (the audit log keeps them).
    suspended_at: Mapped[datetime | None]
    suspension_reason: Mapped[str | None] = mapped_column(Text)
    claim_token_sha256: Mapped[str | None] = mapped_column(String(64), unique=True)
    # The printed claim link is derived from (uuid, claim_version): a reprint carries the same
    # link; declaring the card lost bumps the version. A link made before derivation stays
    # valid beside it (`earlier_…`) until the card is declared lost.
    claim_version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    earlier_claim_token_sha256: Mapped[str | None] = mapped_column(String(64), unique=True)
    # The code the learner chose at first claim (argon2), guarding the link on the card's back.
    claim_code_hash: Mapped[str | None] = mapped_column(String(200))
    claim_code_failures: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    claim_code_locked_until: Mapped[datetime | None]
    # The first time the claim link was opened (the learner's path counts it); who opened it,
    # from where, with what, is not kept.
    claim_opened_at: Mapped[datetime | None]
    supersedes_id: Mapped[int | None] = mapped_column(ForeignKey("credential.id"))
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)

    organisation: Mapped[Organisation] = relationship()
    learner: Mapped[Learner | None] = relationship()
    template: Mapped[AchievementTemplate] = relationship()
    status_list: Mapped[StatusList] = relationship()


class ApiIdempotencyKey(Base):
    """An API client's idempotency key: the unique pair makes a concurrent duplicate collide."""

    __tablename__ = "api_idempotency_key"
    __table_args__ = (UniqueConstraint("organisation_id", "key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    key: Mapped[str] = mapped_column(String(200))
    credential_id: Mapped[int] = mapped_column(ForeignKey("credential.id"))
    fingerprint: Mapped[str] = mapped_column(String(64))  # sha256 of the canonical request body
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    credential: Mapped[Credential] = relationship()


class AuditEvent(Base):
    """Who did what: issue, revoke, key and account events. Never holds key material."""

    __tablename__ = "audit_event"
    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    action: Mapped[str] = mapped_column(String(64))
    subject: Mapped[str | None] = mapped_column(String(500))
    detail: Mapped[dict] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class BackupRecord(Base):
    """A whole-instance backup written by `sky-badges backup`: when, how large, of what.

    Only these facts: the file itself stays with the operator (it holds every organisation's
    data and encrypted keys, so no web account can download it)."""

    __tablename__ = "backup_record"
    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    rows: Mapped[int] = mapped_column(BigInteger)
    files: Mapped[int] = mapped_column(Integer)
    revision: Mapped[str] = mapped_column(String(32))


class LoginFailure(Base):
    """A failed log-in, kept briefly: shared by every worker, it rate-limits password guessing."""

    __tablename__ = "login_failure"
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), index=True)
    remote_addr: Mapped[str | None] = mapped_column(String(64), index=True)
    # The browser's device id when it had logged in to this account before (its own budget).
    device: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class StaffSession(Base):
    """A signed-in browser of a trainer or admin; log-out deletes it, so a copied cookie dies.

    Only the sha256 of the session's random id is stored, as for API tokens.
    """

    __tablename__ = "staff_session"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)


class AccountToken(Base):
    """A single-use link sent to a person: an invitation to choose a password, or a reset.

    Only the sha256 of the random token is stored, as for sessions; it expires, and using it
    (or sending a newer one of the same purpose) ends it.
    """

    __tablename__ = "account_token"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    purpose: Mapped[str] = mapped_column(String(16))  # "invitation" or "reset"
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()
