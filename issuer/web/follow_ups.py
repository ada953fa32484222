"""Follow-ups on the trainer's side: what became of each learner at 3 and 6 months.

Its routes join the trainer blueprint (`/trainer/follow-ups`): trainers, admins and advisers of
the learner's organisation record them; the statistics count them (services/stats.py).
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import redirect, render_template, url_for

from issuer.services import unit_of_work
from issuer.services.outcomes import InvalidOutcome, follow_up_list, record_outcome

from .auth import current_user, login_required
from .extensions import db
from .forms import FollowUpForm
from .i18n import translated
from .trainer import bp


@bp.route("/follow-ups", methods=("GET", "POST"))
@login_required("trainer")
def follow_ups():
    """The organisation's evaluated learners with their follow-ups, and the form to record one."""
    form = FollowUpForm()
    if form.validate_on_submit():
        try:
            with unit_of_work(db()):
                record_outcome(db(), int(form.learner.data), int(form.months.data),
                               form.situation.data, form.observed_on.data, current_user(),
                               datetime.now(UTC))
        except InvalidOutcome as error:
            form.observed_on.errors.append(translated(error))
        else:
            return redirect(url_for(".follow_ups"), 303)
    status = 422 if form.errors else 200
    return render_template("trainer/follow_ups.html", form=form,
                           learners=follow_up_list(db(), current_user().organisation_id),
                           situations={choice.value: choice.label
                                       for choice in form.situation.choices}), status
