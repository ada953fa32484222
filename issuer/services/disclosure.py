"""What one viewer may see of the pilot's figures: no count identifies a learner.

A partner admin sees their own organisation's figures exactly. Anyone looking at figures that
include another organisation's learners (the coordinator, across partners) sees every count
from 1 to 4 as hidden (None; the pages say "<5", the exports leave the cell empty), by the rule
of the open-data export (`stats.K_ANONYMITY`): zero stays zero, and a count whose difference
from the count it is measured against is from 1 to 4 is hidden too, since a subtraction would
give the small number back. What is derived from a hidden count (a drop-off, a mean) is hidden
with it. The coordinator's own organisation, when it is a partner, is seen exactly.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from sqlalchemy.orm import Session

from issuer.store.models import Organisation, User

from . import stats
from .organisations import PartnerSummary, partner_overview


@dataclass(frozen=True)
class Disclosure:
    """Whose figures are shown exactly: the whole selection (`whole`), or only the rows of the
    partner `own` (the viewer's organisation)."""

    own: str | None = None
    whole: bool = False

    def exact(self, partner: str | None = None) -> bool:
        """Whether a figure of `partner` (None: a figure across partners) is shown exactly."""
        return self.whole or (partner is not None and partner == self.own)


def disclosure_for(db: Session, viewer: User, where: stats.StatsFilter | None = None
                   ) -> Disclosure:
    """A partner admin's figures are all their own (their filter names their organisation);
    the coordinator's are exact only for their own organisation."""
    own = db.get(Organisation, viewer.organisation_id)
    slug = own.slug if own is not None else None
    if viewer.role != "coordinator":
        return Disclosure(slug, whole=True)
    return Disclosure(slug, whole=where is not None and where.partner is not None
                      and where.partner == slug)


def shown(count: int | None, base: int | None = None) -> int | None:
    """`count`, or None when it, or what separates it from `base`, is from 1 to 4 (a hidden
    `base` hides nothing by itself: its complement is hidden where it is shown)."""
    if count is None:
        return None
    if 0 < count < stats.K_ANONYMITY:
        return None
    if base is not None and 0 < base - count < stats.K_ANONYMITY:
        return None
    return count


def down_columns(raw: list[list[int]], seen: list[list[int | None]], fixed: list[bool]
                 ) -> list[list[int | None]]:
    """A group of rows that splits the same learners (per partner, per theme, per month), once
    more, column by column. A total, or another such group, gives back the sum of a column's
    hidden cells; when those stand for 1 to 4 people, the smallest cells shown are hidden too,
    until the hidden ones stand for at least K_ANONYMITY. `fixed` rows (the viewer's own) stay
    as they are: when only they are left, the other organisations together are fewer than 5
    and their sum can still be worked out (README: "Privacy of the staff views")."""
    result = [list(row) for row in seen]
    for column in range(len(raw[0]) if raw else 0):
        while 0 < _hidden_sum(raw, result, column) < stats.K_ANONYMITY:
            candidates = [index for index, row in enumerate(raw) if not fixed[index]
                          and result[index][column] is not None and row[column] > 0]
            if not candidates:
                break
            smallest = min(candidates, key=lambda index: raw[index][column])
            result[smallest][column] = None
    return result


def _hidden_sum(raw: list[list[int]], seen: list[list[int | None]], column: int) -> int:
    return sum(row[column] for row, out in zip(raw, seen, strict=True) if out[column] is None)


def _group(rows: list, hidden: list, columns: tuple[str, ...], fixed: list[bool]) -> list:
    """`hidden` (the rows seen one by one) with `down_columns` applied to `columns`."""
    cells = down_columns([[getattr(row, name) for name in columns] for row in rows],
                         [[getattr(row, name) for name in columns] for row in hidden],
                         fixed)
    return [replace(row, **dict(zip(columns, values, strict=True)))
            for row, values in zip(hidden, cells, strict=True)]


def statistics(figures: stats.PilotStatistics, seen: Disclosure) -> stats.PilotStatistics:
    """The tables per partner, theme, micro-training and gesture as `seen` may see them."""

    def tally(row: stats.Tally, exact: bool) -> stats.Tally:
        if exact:
            return row
        return replace(row, assessed=shown(row.assessed), issued=shown(row.issued),
                       revoked=shown(row.revoked, row.issued),
                       not_yet_acquired=shown(row.not_yet_acquired, row.assessed))

    def group(rows: list[stats.Tally], fixed: list[bool]) -> list[stats.Tally]:
        return _group(rows, [tally(row, exact) for row, exact in zip(rows, fixed, strict=True)],
                      stats.TALLY_COLUMNS, fixed)

    return stats.PilotStatistics(
        partner=group(figures.partner, [seen.exact(row.key) for row in figures.partner]),
        theme=group(figures.theme, [seen.exact()] * len(figures.theme)),
        micro_training=group(figures.micro_training,
                             [seen.exact()] * len(figures.micro_training)),
        gesture=figures.gesture if seen.exact() else [
            replace(row, acquired=shown(row.acquired),
                    not_yet_acquired=shown(row.not_yet_acquired))
            for row in figures.gesture])


def funnel(path: stats.PilotFunnel, seen: Disclosure) -> stats.PilotFunnel:
    """The learner's path: each step by the open-data rule against its base, each group of
    rows down its columns; a drop-off is hidden with its step or its base."""

    def row_of(row: stats.FunnelRow, exact: bool) -> stats.FunnelRow:
        if exact:
            return row
        counts = {step.step: step.count for step in row.steps}
        return with_counts(row, [shown(step.count, counts[step.base] if step.base else None)
                                 for step in row.steps])

    def with_counts(row: stats.FunnelRow, counts: list[int | None]) -> stats.FunnelRow:
        steps: dict[str, stats.FunnelStep] = {}
        for step, count in zip(row.steps, counts, strict=True):  # a base comes before its steps
            hidden = count is None or (step.base is not None and steps[step.base].count is None)
            steps[step.step] = replace(step, count=count,
                                       dropped=None if hidden else step.dropped)
        return replace(row, steps=list(steps.values()))

    def group(rows: list[stats.FunnelRow], fixed: list[bool]) -> list[stats.FunnelRow]:
        hidden = [row_of(row, exact) for row, exact in zip(rows, fixed, strict=True)]
        cells = down_columns([[step.count for step in row.steps] for row in rows],
                             [[step.count for step in row.steps] for row in hidden], fixed)
        return [row if exact else with_counts(row, counts)
                for row, counts, exact in zip(hidden, cells, fixed, strict=True)]

    return stats.PilotFunnel(
        total=row_of(path.total, seen.exact()),
        partner=group(path.partner, [seen.exact(row.key) for row in path.partner]),
        theme=group(path.theme, [seen.exact()] * len(path.theme)))


def targets(progress: list[stats.TargetProgress], seen: Disclosure
            ) -> list[stats.TargetProgress]:
    """Learners reached per partner (micro-trainings run count trainings, not people)."""
    fixed = [seen.exact(row.key) for row in progress]
    hidden = [row if exact else replace(row, learners=shown(row.learners))
              for row, exact in zip(progress, fixed, strict=True)]
    return _group(progress, hidden, ("learners",), fixed)


def outcomes(report: stats.OutcomeReport, seen: Disclosure) -> stats.OutcomeReport:
    """Follow-ups per micro-training and theme (rows across partners)."""
    if seen.exact():
        return report

    def row_of(row: stats.OutcomeRow) -> stats.OutcomeRow:
        return replace(row, situations={name: shown(value)
                                        for name, value in row.situations.items()},
                       not_recorded=shown(row.not_recorded))

    return stats.OutcomeReport(micro_training=[row_of(row) for row in report.micro_training],
                               theme=[row_of(row) for row in report.theme])


def gestures(ranked: list[stats.GestureAcquisition], seen: Disclosure
             ) -> list[stats.GestureAcquisition]:
    """Gestures tried and acquired; the mean attempts go with the count they average over."""
    if seen.exact():
        return ranked
    hidden = []
    for row in ranked:
        acquired = shown(row.acquired, row.learners)
        hidden.append(replace(row, learners=shown(row.learners), acquired=acquired,
                              attempts_to_acquire=row.attempts_to_acquire
                              if acquired is not None else None))
    return hidden


def months(series: list[tuple[str, int]], seen: Disclosure) -> list[tuple[str, int | None]]:
    """Badges issued per month (the months split the badges as the partners do)."""
    if seen.exact():
        return series
    cells = down_columns([[value] for _month, value in series],
                         [[shown(value)] for _month, value in series], [False] * len(series))
    return [(month, value) for (month, _raw), [value] in zip(series, cells, strict=True)]


def partners(summaries: list[PartnerSummary], seen: Disclosure) -> list[PartnerSummary]:
    """The coordinator's overview: badges issued and revoked (accounts are staff, not learners)."""
    fixed = [seen.exact(row.slug) for row in summaries]
    hidden = [row if exact else
              replace(row, issued=shown(row.issued), revoked=shown(row.revoked, row.issued))
              for row, exact in zip(summaries, fixed, strict=True)]
    return _group(summaries, hidden, ("issued", "revoked"), fixed)


def partner_figures(db: Session, viewer: User) -> list[PartnerSummary]:
    """`organisations.partner_overview` as `viewer` may see it."""
    return partners(partner_overview(db), disclosure_for(db, viewer))


@dataclass(frozen=True)
class Report:
    """Every figure of the statistics page and the PDF summary, as one viewer may see them."""

    statistics: stats.PilotStatistics
    progress: list[stats.TargetProgress]
    funnel: stats.PilotFunnel
    outcomes: stats.OutcomeReport
    gestures: list[stats.GestureAcquisition]
    months: list[tuple[str, int | None]]
    six_months: dict[str, int | None]  # stats.OUTCOMES → learners, at the 6-month follow-up
    exact: bool  # nothing is hidden (the viewer's own organisation)


def report(db: Session, viewer: User, where: stats.StatsFilter, language: str = "en") -> Report:
    """The selection's figures for `viewer`, small counts hidden where they must be."""
    seen = disclosure_for(db, viewer, where)
    follow_ups = stats.outcome_report(db, language, where)
    six = stats.situations_at(follow_ups, 6)
    return Report(
        statistics=statistics(stats.pilot_statistics(db, language, where), seen),
        progress=targets(stats.target_progress(db, where), seen),
        funnel=funnel(stats.learner_funnel(db, language, where), seen),
        outcomes=outcomes(follow_ups, seen),
        gestures=gestures(stats.gesture_acquisitions(db, language, where), seen),
        months=months(stats.monthly_acquisitions(db, where), seen),
        six_months=six if seen.exact() else {name: shown(value) for name, value in six.items()},
        exact=seen.exact())


def target_figures(db: Session, viewer: User) -> list[stats.TargetProgress]:
    """Every partner's progress toward its targets, as `viewer` may see it."""
    return targets(stats.target_progress(db), disclosure_for(db, viewer))


def export_rows(db: Session, dimension: str, language: str, where: stats.StatsFilter,
                viewer: User) -> list[list]:
    """One exported table (a name of `stats.EXPORTS`), header first, as `viewer` may see it:
    a hidden count is an empty cell, as in the open-data export."""
    seen = disclosure_for(db, viewer, where)
    if dimension == "funnel":
        return stats.funnel_rows(funnel(stats.learner_funnel(db, language, where), seen))
    if dimension == "targets":
        return stats.targets_rows(targets(stats.target_progress(db, where), seen))
    if dimension == "outcomes":
        return stats.outcomes_rows(outcomes(stats.outcome_report(db, language, where), seen))
    if dimension == "gestures_ranked":
        return stats.gestures_rows(
            gestures(stats.gesture_acquisitions(db, language, where), seen))
    return stats.table_rows(statistics(stats.pilot_statistics(db, language, where), seen),
                            dimension)


def open_data_rows(db: Session, where: stats.StatsFilter | None = None) -> list[list]:
    """The pilot's figures for publication: counts only, keyed by partner, theme, micro-training
    and gesture (never a learner, trainer or record id), in long form (table, group, key,
    measure, value). Seen as by nobody's own organisation (`Disclosure()`): a count from 1 to 4
    is left empty, and so is a count whose difference from its base is from 1 to 4, or whose
    group's hidden cells would otherwise stand for 1 to 4 people: every published figure stands
    for none or at least K_ANONYMITY people. Names are the catalogue's English ones, so the file
    reads the same wherever published."""
    where = where or stats.StatsFilter()
    nobody = Disclosure()
    rows: list[list] = [["table", "group", "key", "measure", "value"]]
    path = funnel(stats.learner_funnel(db, "en", where), nobody)
    for group, path_rows in (("all", [path.total]), ("partner", path.partner),
                             ("theme", path.theme)):
        for row in path_rows:
            rows += [["path", group, row.key, step.step, step.count] for step in row.steps]
    follow_ups = outcomes(stats.outcome_report(db, "en", where), nobody)
    for group, outcome_rows in (("micro_training", follow_ups.micro_training),
                                ("theme", follow_ups.theme)):
        for row in outcome_rows:
            for name, value in (*row.situations.items(), ("not_recorded", row.not_recorded)):
                rows.append(["outcomes", group, row.key, f"{name}_at_{row.months}_months",
                             value])
    for gesture in gestures(stats.gesture_acquisitions(db, "en", where), nobody):
        key = f"{gesture.training_id}/{gesture.gesture_id}"
        rows.append(["gestures", "gesture", key, "learners", gesture.learners])
        rows.append(["gestures", "gesture", key, "acquired", gesture.acquired])
    return rows
