"""The statistics page's charts, in the reader's language (drawn by rendering/charts.py)."""

from __future__ import annotations

from flask_babel import gettext as _
from markupsafe import Markup

from issuer.rendering.charts import Bar, bar_chart, column_chart
from issuer.rendering.summary import Section, summary_pdf
from issuer.services import stats

from .i18n import localised_date, localised_number


def step_names() -> dict[str, str]:
    """The learner's path, step by step, in the reader's language."""
    return {"enrolled": _("Enrolled"), "evaluated": _("Evaluated"), "issued": _("Badge issued"),
            "claimed": _("Claimed (code set or wallet copy)"),
            "in_wallet": _("Added to a wallet"),
            "viewed": _("Viewed by someone (page opened)"),
            "skill_completed": _("Skill completed"),
            "further_training": _("Further training taken")}


def situation_names() -> dict[str, str]:
    return {"job": _("In a job"), "further_training": _("In further training"),
            "volunteering": _("Volunteering"), "none": _("None of these"),
            "unknown": _("Unknown")}


def chart_bars(progress: list[stats.TargetProgress], funnel: stats.PilotFunnel,
               outcomes: stats.OutcomeReport, months: list[tuple[str, int]]
               ) -> dict[str, list[Bar]]:
    """The figures of each chart (the page's SVG and the PDF summary draw the same)."""
    names, situations = step_names(), situation_names()
    six = {name: 0 for name in stats.OUTCOMES}
    for row in outcomes.theme:
        if row.months == 6:
            for name, value in row.situations.items():
                six[name] += value
    return {
        "targets": [Bar(p.label, p.learners, p.learners_target) for p in progress],
        "path": [Bar(names[step.step], step.count) for step in funnel.total.steps],
        "outcomes": [Bar(situations[name], value) for name, value in six.items()],
        "months": [Bar(key, value) for key, value in months],
    }


def chart_titles() -> dict[str, str]:
    return {"targets": _("Learners reached and the target of each partner"),
            "path": _("The learner's path"), "outcomes": _("Situations at 6 months"),
            "months": _("Badges issued per month")}


def charts(progress: list[stats.TargetProgress], funnel: stats.PilotFunnel,
           outcomes: stats.OutcomeReport, months: list[tuple[str, int]]) -> dict[str, Markup]:
    """Every chart of the page, keyed by the section it illustrates."""
    bars, titles = chart_bars(progress, funnel, outcomes, months), chart_titles()

    def described(items: list[Bar]) -> str:
        return "; ".join(f"{bar.label}: {localised_number(bar.value)}" for bar in items)

    return {
        "targets": Markup(bar_chart(
            "chart-targets", titles["targets"],
            "; ".join(_("%(partner)s: %(count)s of %(target)s", partner=bar.label,
                        count=localised_number(bar.value),
                        target=localised_number(bar.target) if bar.target is not None
                        else _("not set")) for bar in bars["targets"]),
            bars["targets"], localised_number)),
        "path": Markup(bar_chart("chart-path", titles["path"], described(bars["path"]),
                                 bars["path"], localised_number)),
        "outcomes": Markup(bar_chart("chart-outcomes", titles["outcomes"],
                                     described(bars["outcomes"]), bars["outcomes"],
                                     localised_number)),
        "months": Markup(column_chart(
            "chart-months", titles["months"],
            described([Bar(month_name(bar.label), bar.value) for bar in bars["months"]]),
            [Bar(month_name(bar.label, short=True), bar.value) for bar in bars["months"]],
            localised_number)),
    }


def summary(title: str, subtitle: str, progress: list[stats.TargetProgress],
            funnel: stats.PilotFunnel, outcomes: stats.OutcomeReport,
            months: list[tuple[str, int]]) -> bytes:
    """The one-page PDF summary of the same figures, in the reader's language."""
    bars, titles = chart_bars(progress, funnel, outcomes, months), chart_titles()
    bars["months"] = [Bar(month_name(bar.label), bar.value) for bar in bars["months"]]
    return summary_pdf(
        title, subtitle, [Section(titles[key], bars[key]) for key in bars],
        _("Counts only: no learner is named."), localised_number,
        _("%(count)s more not shown (see the page)."))


def month_name(key: str, short: bool = False) -> str:
    """`2026-03` as the reader's language says it (“mars 2026”, “03/26” when short)."""
    if short:
        return f"{key[5:]}/{key[2:4]}"
    return localised_date(f"{key}-01", format="LLLL y")
