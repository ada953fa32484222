"""Shared steps of the service tests: evaluate a learner and issue, count what is stored."""

from __future__ import annotations

import json

from sqlalchemy import func, select

from issuer.services import unit_of_work
from issuer.services.issuing import issue_for_assessment, save_assessment

ALL_ACQUIRED = {"dig-hole": "acquired", "stake-and-water": "acquired"}
ONE_NOT_YET = {"dig-hole": "acquired", "stake-and-water": "not-yet"}


def evaluate(db, world, learner=None, levels=ALL_ACQUIRED, comments=None, narrative=None,
             evidence_public=False):
    """Save (and commit) an evaluation of `learner` (default: the first) in the world's session."""
    learner = learner or world.learners[0]
    with unit_of_work(db):
        return save_assessment(db, world.session.id, learner.id, levels, comments or {},
                               narrative, world.trainer, evidence_public=evidence_public)


def issue(db, world, learner=None, now=None, **evaluation):
    """Evaluate with every gesture acquired, issue, commit; return the credential."""
    assessment = evaluate(db, world, learner, **evaluation)
    with unit_of_work(db):
        return issue_for_assessment(db, assessment.id, world.trainer, now=now)


def document(credential) -> dict:
    return json.loads(credential.signed_json)


def count(db, model) -> int:
    return db.scalar(select(func.count()).select_from(model))
