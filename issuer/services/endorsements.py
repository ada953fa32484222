"""Endorsements: a partner or quality-assurance body vouches for a micro-training (DIGEST §A.8).

The endorser signs one `EndorsementCredential` per language of the template version, with its
own key: each one's subject is exactly the Achievement it will be embedded in, so a verifier
never sees an endorsement about a different achievement than the one in front of it. The
signed JSON is stored and embedded, unchanged, in `achievement.endorsement` of every credential
issued afterwards from that version (`endorsements_for`). Credentials issued before keep what
they were signed with; a withdrawn endorsement is no longer embedded in new ones, and its
`credentialStatus` (a revocation slot of the endorser's list) is set, so the copies embedded in
badges already issued stop verifying as valid endorsements. A new version
of the training needs a new endorsement: the endorser vouched for the content they read.
"""

from __future__ import annotations

import json
import uuid as uuidlib
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from issuer.core import builders, schema
from issuer.core.clock import utc_seconds
from issuer.core.errors import TemplateError
from issuer.core.messages import N_
from issuer.domain import catalogue as core_catalogue
from issuer.domain.signed_texts import ENDORSEMENT_NAME
from issuer.languages import in_language
from issuer.store.models import AchievementTemplate, Organisation, StatusList
from issuer.store.stacking_models import Endorsement

from .base import Actor, ServiceError, audit, require_organisation
from .catalogue import SKILL, achievement_id
from .keys import issuer_profile_builder, sign
from .status_lists import REVOCATION, allocate_slot, set_revoked, status_entry

MAX_COMMENT_LENGTH = 2000


def endorse(db: Session, endorser: Organisation, template: AchievementTemplate, comment: str,
            actor: Actor, now: datetime | None = None) -> list[Endorsement]:
    """Sign and store `endorser`'s endorsement of every language of `template` (this version).

    `comment` (Markdown, required) says what the endorser vouches for. Returns one stored
    Endorsement per language, flushed.
    """
    require_organisation(actor, endorser.id)
    comment = (comment or "").strip()
    if not comment:
        raise ServiceError(
            N_("say what you endorse: the comment is shown with the endorsement"))
    if len(comment) > MAX_COMMENT_LENGTH:
        raise ServiceError(N_("the comment is too long (at most %(count)s characters)",
                              count=MAX_COMMENT_LENGTH))
    now = utc_seconds(now)
    names = _names(template)
    stored = [_endorse_one(db, endorser, template, language, name, comment, now)
              for language, name in names.items()]
    audit(db, "endorsement.sign", actor, endorser, f"{template.template_id}@{template.version}",
          languages=list(names))
    return stored


def endorsements_for(db: Session, template: AchievementTemplate,
                     language: str | None = None) -> list[dict]:
    """The signed endorsements to embed in the achievement of `template` (in `language`).

    Without `language`, those of every language. Withdrawn endorsements are left out.
    """
    query = select(Endorsement).where(Endorsement.template_pk == template.id,
                                      Endorsement.withdrawn_at.is_(None))
    if language is not None:
        query = query.where(Endorsement.language == language)
    return [json.loads(e.signed_json) for e in db.scalars(query.order_by(Endorsement.id))]


def withdraw(db: Session, endorsement: Endorsement, actor: Actor,
             now: datetime | None = None) -> Endorsement:
    """Stop embedding this endorsement in new credentials, and revoke it: the credentials
    issued before keep its signed copy, whose status now reads revoked wherever it is checked.
    (An endorsement signed before endorsements had a status can only stop being embedded.)"""
    require_organisation(actor, endorsement.endorser_id)
    if endorsement.status_list_id is not None and endorsement.withdrawn_at is None:
        set_revoked(db, db.get(StatusList, endorsement.status_list_id), endorsement.status_index)
    endorsement.withdrawn_at = utc_seconds(now)
    db.flush()
    audit(db, "endorsement.withdraw", actor, endorsement.endorser_id, endorsement.uuid)
    return endorsement


def endorsements_by(db: Session, endorser: Organisation) -> list[Endorsement]:
    """Every endorsement `endorser` signed, newest first (for its admin page)."""
    return list(db.scalars(select(Endorsement).where(Endorsement.endorser_id == endorser.id)
                           .order_by(Endorsement.id.desc())))


def _endorse_one(db: Session, endorser: Organisation, template: AchievementTemplate,
                 language: str, name: str, comment: str, now: datetime) -> Endorsement:
    endorsement_uuid = str(uuidlib.uuid4())
    subject_id = achievement_id(template, language)
    label = in_language(ENDORSEMENT_NAME, language).format(name=name)
    status_list, index = allocate_slot(db, endorser, REVOCATION)
    document = builders.EndorsementCredential(
        id=f"urn:uuid:{endorsement_uuid}",
        issuer=issuer_profile_builder(endorser),
        subject_id=subject_id,
        name=label,
        valid_from=now,
        endorsement_comment=comment,
        credential_status=status_entry(status_list, index),
    ).to_json()
    schema.validate(document)
    signed = sign(db, endorser, document, builders.timestamp(now))
    record = Endorsement(uuid=endorsement_uuid, endorser_id=endorser.id, template_pk=template.id,
                         language=language, achievement_id=subject_id, comment=comment,
                         signed_json=json.dumps(signed, ensure_ascii=False), created_at=now,
                         status_list_id=status_list.id, status_index=index)
    db.add(record)
    db.flush()
    return record


def _names(template: AchievementTemplate) -> dict[str, str]:
    """Language → name of the micro-training or skill, from its stored source."""
    parse = core_catalogue.parse_skill if template.kind == SKILL else core_catalogue.parse_training
    item, problems = parse(template.source_toml, f"{template.template_id}.toml",
                           themes=(template.theme,) if template.theme else ())
    if problems:
        raise TemplateError("\n".join(problems), problems)
    return dict(item.name)
