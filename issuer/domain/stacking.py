"""Stacks: how far a learner's valid micro-training badges go toward a skill (pure).

A skill is complete when the learner holds a valid badge for every one of its parts. Without
`cross_organisation`, those badges must all come from one organisation (the one that awards the
skill); with it, any SKY partner's badge counts. The caller decides which badges are valid
(not revoked, not expired) and which belong to the learner; this module only counts.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from typing import Any

from .catalogue import FurtherTraining, Skill


@dataclass(frozen=True)
class HeldBadge:
    """One valid micro-training badge the learner holds.

    `organisation` identifies the issuer (any hashable: a slug, a database id); `issued_at`
    orders badges (ISO timestamps or datetimes); `reference` is the caller's handle on the
    credential (a record, a URL), carried through untouched.
    """

    training_id: str
    organisation: Hashable
    issued_at: Any = None
    reference: Any = None


@dataclass(frozen=True)
class StackProgress:
    """Where a learner stands on one skill."""

    skill: Skill
    done: tuple[HeldBadge, ...]  # one badge per part held, in the skill's part order
    missing: tuple[str, ...]  # training ids of the parts not held yet, in part order
    organisation: Hashable | None  # the organisation whose badges are counted (None: none held)

    @property
    def complete(self) -> bool:
        """Whether every part is held (the skill badge is due)."""
        return not self.missing

    @property
    def opens(self) -> tuple[FurtherTraining, ...]:
        """The further-training programmes the skill opens the way to."""
        return self.skill.further_training

    @property
    def done_ids(self) -> tuple[str, ...]:
        """Training ids of the parts held, in part order."""
        return tuple(badge.training_id for badge in self.done)


def progress(skill: Skill, held: Iterable[HeldBadge],
             organisation: Hashable | None = None) -> StackProgress:
    """The learner's progress on `skill` from their valid badges `held`.

    For a skill that is not cross-organisation, only one organisation's badges count: the given
    `organisation` (the one that would award it), else the one holding the most parts (ties:
    the most recent badge wins). Among several badges for one part, the earliest is chosen.
    """
    relevant = [badge for badge in held if badge.training_id in skill.parts]
    if not skill.cross_organisation:
        organisation = organisation if organisation is not None else _best_organisation(
            skill, relevant)
        relevant = [badge for badge in relevant if badge.organisation == organisation]
    chosen = {part: _earliest(b for b in relevant if b.training_id == part)
              for part in skill.parts}
    done = tuple(chosen[part] for part in skill.parts if chosen[part] is not None)
    missing = tuple(part for part in skill.parts if chosen[part] is None)
    if skill.cross_organisation:
        organisation = organisation if organisation is not None else _latest_organisation(done)
    return StackProgress(skill, done, missing, organisation if done else None)


def _earliest(badges: Iterable[HeldBadge]) -> HeldBadge | None:
    ordered = sorted(badges, key=lambda b: (b.issued_at is None, str(b.issued_at or "")))
    return ordered[0] if ordered else None


def _best_organisation(skill: Skill, badges: list[HeldBadge]) -> Hashable | None:
    scores: dict[Hashable, tuple[int, str]] = {}
    for organisation in {badge.organisation for badge in badges}:
        own = [b for b in badges if b.organisation == organisation]
        parts = len({b.training_id for b in own})
        latest = max(str(b.issued_at or "") for b in own)
        scores[organisation] = (parts, latest)
    return max(scores, key=scores.__getitem__) if scores else None


def _latest_organisation(done: tuple[HeldBadge, ...]) -> Hashable | None:
    latest = max(done, key=lambda b: str(b.issued_at or ""), default=None)
    return latest.organisation if latest else None
