"""The statistics page's charts, in the reader's language (drawn by rendering/charts.py)."""

from __future__ import annotations

from flask_babel import gettext as _
from markupsafe import Markup

from issuer.rendering.charts import Bar, bar_chart, column_chart
from issuer.rendering.summary import Section, summary_pdf
from issuer.services import stats
from issuer.services.disclosure import Report

from .i18n import localised_count, localised_date, localised_number


def step_names() -> dict[str, str]:
    """The learner's path, step by step, in the reader's language."""
    return {"enrolled": _("Enrolled"), "evaluated": _("Evaluated"), "issued": _("Badge issued"),
            "claim_opened": _("Claim link opened"),
            "claimed": _("Claimed (code set or wallet copy)"),
            "in_wallet": _("Added to a wallet"),
            "viewed": _("Viewed by someone (page opened)"),
            "skill_completed": _("Skill completed"),
            "further_training": _("Further training taken")}


def situation_names() -> dict[str, str]:
    return {"job": _("In a job"), "further_training": _("In further training"),
            "volunteering": _("Volunteering"), "none": _("None of these"),
            "unknown": _("Unknown")}


def intro(where: stats.StatsFilter, figures: Report) -> str:
    """What the page's figures cover, said to this viewer: their own organisation (seen
    exactly), another partner, or the whole project (where small counts are hidden)."""
    if figures.exact:
        return _("Counts of your organisation's learners who agreed to be counted; no learner "
                 "is named.")
    if where.partner is not None:
        return _("Counts of one partner's learners who agreed to be counted; no learner is "
                 "named. Another organisation's counts from 1 to 4 are shown as “<5”.")
    return _("Counts across every partner of the project, of the learners who agreed to be "
             "counted; no learner is named. Counts from 1 to 4 that include another "
             "organisation's learners are shown as “<5”.")


def chart_bars(figures: Report) -> dict[str, list[Bar]]:
    """The figures of each chart (the page's SVG and the PDF summary draw the same)."""
    names, situations = step_names(), situation_names()
    return {
        "targets": [Bar(p.label, p.learners, p.learners_target) for p in figures.progress],
        "path": [Bar(names[step.step], step.count) for step in figures.funnel.total.steps],
        "outcomes": [Bar(situations[name], value)
                     for name, value in figures.six_months.items()],
        "months": [Bar(key, value) for key, value in figures.months],
    }


def chart_titles(figures: Report) -> dict[str, str]:
    """Each chart's title; a partner admin's figures are one organisation's."""
    return {"targets": _("Learners reached and the target of each partner")
            if len(figures.progress) > 1 else _("Learners reached and the target"),
            "path": _("The learner's path"), "outcomes": _("Situations at 6 months"),
            "months": _("Badges issued per month")}


def charts(figures: Report) -> dict[str, Markup]:
    """Every chart of the page, keyed by the section it illustrates."""
    bars, titles = chart_bars(figures), chart_titles(figures)

    def described(items: list[Bar]) -> str:
        return "; ".join(f"{bar.label}: {localised_count(bar.value)}" for bar in items)

    return {
        "targets": Markup(bar_chart(
            "chart-targets", titles["targets"],
            "; ".join(_("%(partner)s: %(count)s of %(target)s", partner=bar.label,
                        count=localised_count(bar.value),
                        target=localised_number(bar.target) if bar.target is not None
                        else _("not set")) for bar in bars["targets"]),
            bars["targets"], localised_count)),
        "path": Markup(bar_chart("chart-path", titles["path"], described(bars["path"]),
                                 bars["path"], localised_count)),
        "outcomes": Markup(bar_chart("chart-outcomes", titles["outcomes"],
                                     described(bars["outcomes"]), bars["outcomes"],
                                     localised_count)),
        "months": Markup(column_chart(
            "chart-months", titles["months"],
            described([Bar(month_name(bar.label), bar.value) for bar in bars["months"]]),
            [Bar(month_name(bar.label, short=True), bar.value) for bar in bars["months"]],
            localised_count)),
    }


def summary(title: str, subtitle: str, figures: Report) -> bytes:
    """The one-page PDF summary of the same figures, in the reader's language."""
    bars, titles = chart_bars(figures), chart_titles(figures)
    bars["months"] = [Bar(month_name(bar.label), bar.value) for bar in bars["months"]]
    return summary_pdf(
        title, subtitle, [Section(titles[key], bars[key]) for key in bars],
        _("Counts only: no learner is named.") if figures.exact else
        _("Counts only: no learner is named. “<5”: a count from 1 to 4 that includes another "
          "organisation's learners."), localised_count,
        _("%(count)s more not shown (see the page)."))


def month_name(key: str, short: bool = False) -> str:
    """`2026-03` as the reader's language says it (“mars 2026”, “03/26” when short)."""
    if short:
        return f"{key[5:]}/{key[2:4]}"
    return localised_date(f"{key}-01", format="LLLL y")
