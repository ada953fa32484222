"""The project coordinator's pages: every partner at a glance, a new partner joining, backups.

The coordinator sees counts only (accounts, badges issued and revoked; the pilot statistics
page for the rest), never a partner's learners, and another organisation's counts from 1 to 4
as "<5" (services/disclosure.py). Adding a partner creates its did:web identity and first key
and invites its first admin, as `sky-badges org create` does. Backups are made and restored on
the server only (a backup holds every partner's data and encrypted keys, so no web account
downloads one): the Backups page says when the last one was written and how to make and test
one.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, redirect, render_template, request, url_for
from sqlalchemy import select

from issuer.core.clock import utc_seconds
from issuer.services import ServiceError, account_tokens, backups, disclosure, stats, unit_of_work
from issuer.services.exports import csv_for_spreadsheets, xlsx_bytes
from issuer.services.organisations import onboard
from issuer.store.models import Organisation

from .admin import NO_STORE, XLSX, invitation_notice
from .auth import current_user, login_required
from .extensions import db
from .forms import NewOrganisationForm, TargetForm
from .i18n import translated

bp = Blueprint("coordinator", __name__, url_prefix="/coordinator")

# A backup older than this is shown as a warning: backups are meant to run every night.
STALE_BACKUP_DAYS = 2


@bp.route("/", methods=("GET", "POST"))
@login_required("coordinator")
def index():
    """The partners, with their counts; the form that adds one and invites its first admin."""
    form = NewOrganisationForm()
    invited = None
    if form.validate_on_submit():
        try:
            with unit_of_work(db()):
                _org, admin, token = onboard(
                    db(), form.slug.data, form.name.data, form.country_code.data,
                    form.admin_email.data, current_user(), form.default_language.data)
            invited = invitation_notice(admin, token)
        except ServiceError as error:
            form.slug.errors.append(translated(error))
        else:
            form = NewOrganisationForm(formdata=None)
    status = 422 if form.errors else 200
    return render_template("coordinator/index.html", form=form, invited=invited,
                           partners=disclosure.partner_figures(db(), current_user()),
                           invitation=account_tokens.INVITATION), status, NO_STORE


@bp.route("/targets", methods=("GET", "POST"))
@login_required("coordinator")
def targets():
    """Each partner's targets side by side with its progress; the coordinator edits them."""
    form = TargetForm()
    if form.validate_on_submit():
        organisation = db().scalar(select(Organisation).where(
            Organisation.slug == form.organisation.data))
        if organisation is None:
            abort(404)
        with unit_of_work(db()):
            stats.set_target(db(), organisation, form.learners.data, form.micro_trainings.data,
                             current_user())
        return redirect(url_for(".targets"), 303)
    status = 422 if form.errors else 200
    progress = disclosure.target_figures(db(), current_user())
    return render_template("coordinator/targets.html", form=form,
                           progress=progress), status, NO_STORE


@bp.route("/open-data.<any(csv, xlsx):kind>")
@login_required("coordinator")
def open_data(kind: str):
    """The anonymised figures the project may publish (README: "Open data")."""
    where = stats.parse_filter(db(), request.args, current_user())
    rows = disclosure.open_data_rows(db(), where)
    headers = {"Content-Disposition": f'attachment; filename="sky-open-data.{kind}"'}
    if kind == "xlsx":
        return Response(xlsx_bytes(rows, "open-data"), mimetype=XLSX, headers=headers)
    return Response(csv_for_spreadsheets(rows, "en"), mimetype="text/csv", headers=headers)


@bp.route("/backups")
@login_required("coordinator")
def backups_page():
    """When the last backup was written and its size; how to make and test one (no download)."""
    last = backups.last_backup(db())
    age_days = (utc_seconds() - last.created_at).days if last is not None else None
    return render_template("coordinator/backups.html", last=last, age_days=age_days,
                           stale_after_days=STALE_BACKUP_DAYS), 200, NO_STORE
