"""The partner admin's pages: profile, trainers, catalogue, credentials, learners (their
records, a copy of their data, erasure), data retention, endorsements, API tokens, audit log,
pilot statistics and bulk issuance from a CSV file; the keys are in admin_keys.py.

Safe defaults: every change is a POST with a CSRF token; destructive ones (revoke, new key) ask
for an explicit confirmation; secrets (an invitation link, an API token) are shown once, in the
response itself, never through the session cookie, and never stored in clear.
"""

from __future__ import annotations

import base64
import binascii
import json
import shutil
import tempfile
import tomllib
from datetime import UTC, datetime, timedelta
from pathlib import Path

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import func, or_, select
from werkzeug.utils import secure_filename
from wtforms import SelectChoice

from issuer.core.clock import utc_seconds
from issuer.core.errors import TemplateError
from issuer.domain.catalogue import SLUG, not_utf8, renamed
from issuer.services import (
    ServiceError,
    account_tokens,
    accounts,
    api_tokens,
    audit,
    bulk,
    bulk_jobs,
    catalogue,
    consent,
    disclosure,
    endorsements,
    learner_data,
    learner_record,
    learners,
    mail,
    publishing,
    retention,
    revocation,
    stats,
    suspension,
    unit_of_work,
)
from issuer.services.account_mail import compose_account_mail
from issuer.services.exports import csv_for_spreadsheets, xlsx_bytes
from issuer.store.models import (
    AchievementTemplate,
    ApiToken,
    AuditEvent,
    Credential,
    Learner,
    Organisation,
    TrainingSession,
    User,
)
from issuer.store.stacking_models import Endorsement

from . import stats_charts
from .auth import current_user, login_required
from .extensions import db, job_queue, settings
from .forms import (
    BulkConfirmForm,
    BulkUploadForm,
    ConfirmForm,
    ConsentForm,
    CredentialSearchForm,
    EndorseForm,
    EraseForm,
    LearnerSearchForm,
    OrganisationForm,
    RetentionForm,
    RevokeForm,
    RevokeManyForm,
    SuspendForm,
    TemplateUploadForm,
    TokenForm,
    TrainerForm,
)
from .i18n import current_language, translated

bp = Blueprint("admin", __name__, url_prefix="/admin")

PAGE_SIZE = 25
AUDIT_PAGE_SIZE = 50
NO_STORE = {"Cache-Control": "no-store"}  # pages that show a secret once


def _organisation():
    return current_user().organisation


def _page() -> int:
    return max(request.args.get("page", 1, type=int) or 1, 1)


@bp.route("/")
@login_required("admin")
def index():
    """The admin's starting page: one link per task."""
    return render_template("admin/index.html", organisation=_organisation())


# --- organisation profile --------------------------------------------------------------------


@bp.route("/organisation", methods=("GET", "POST"))
@login_required("admin")
def organisation():
    """The public profile published in every badge the organisation issues."""
    org = _organisation()
    form = OrganisationForm(obj=org)
    if form.validate_on_submit():
        with unit_of_work(db()):
            for name in ("url", "email", "description", "street_address", "postal_code",
                         "region", "locality", "privacy_email"):
                setattr(org, name, (getattr(form, name).data or "").strip() or None)
            org.name = form.name.data.strip()
            org.country_code = form.country_code.data.upper()
            org.default_language = form.default_language.data
            if form.logo.data and form.logo.data.filename:
                org.logo_png = form.logo.data.read()
            audit(db(), "organisation.update", current_user(), org, org.slug)
        flash(_("The profile is saved. Badges issued from now on carry it."), "success")
        return redirect(url_for(".organisation"))
    return render_template("admin/organisation.html", form=form, organisation=org)


@bp.route("/retention", methods=("GET", "POST"))
@login_required("admin")
def retention_page():
    """How long evidence photos and learners' contact data are kept (`retention run`)."""
    org = _organisation()
    form = RetentionForm(obj=org)
    if form.validate_on_submit():
        with unit_of_work(db()):
            retention.set_periods(db(), org, form.evidence_retention_months.data,
                                  form.contact_retention_months.data, current_user())
        flash(_("The retention periods are saved."), "success")
        return redirect(url_for(".retention_page"))
    status = 422 if form.errors else 200
    return render_template("admin/retention.html", form=form, organisation=org), status


@bp.route("/organisation/logo.png")
@login_required("admin")
def logo():
    """The organisation's current logo."""
    org = _organisation()
    if not org.logo_png:
        abort(404)
    return Response(org.logo_png, mimetype="image/png")


# --- trainers --------------------------------------------------------------------------------


def _accounts():
    return db().scalars(select(User).where(User.organisation_id == current_user().organisation_id)
                        .order_by(User.active.desc(), User.name)).all()


@bp.route("/trainers", methods=("GET", "POST"))
@login_required("admin")
def trainers():
    """The organisation's accounts; a new one is invited by e-mail to choose its password."""
    form = TrainerForm(language=_organisation().default_language)
    invited = None
    if form.validate_on_submit():
        try:
            with unit_of_work(db()):
                user, token = account_tokens.invite(
                    db(), _organisation(), form.email.data, form.role.data, current_user(),
                    name=form.name.data, language=form.language.data)
            invited = invitation_notice(user, token)
        except ServiceError as error:
            form.email.errors.append(translated(error))
    status = 422 if form.errors else 200
    return _trainers_page(form, invited), status, NO_STORE


def _trainers_page(form, invited=None):
    return render_template("admin/trainers.html", form=form, accounts=_accounts(),
                           invited=invited, confirm=ConfirmForm())


def invitation_notice(user: User, token: str) -> dict:
    """Send the invitation when e-mail is set up; the link is shown once either way."""
    url = account_tokens.link(db(), token, account_tokens.INVITATION)
    sent = False
    if mail.is_configured(settings()):
        message = compose_account_mail(account_tokens.INVITATION, user.email, url,
                                       user.organisation.name, user.language, settings())
        try:
            mail.send(message, settings())
            sent = True
        except mail.MailError:
            pass  # the page says it was not sent; the link is on it
    return {"user": user, "link": url, "sent": sent}


@bp.route("/trainers/<int:user_id>/invite", methods=("POST",))
@login_required("admin")
def reinvite(user_id: int):
    """A new invitation for an account whose person has not chosen a password yet."""
    account = _own_account(user_id)
    try:
        with unit_of_work(db()):
            token = account_tokens.reinvite(db(), account, current_user())
    except ServiceError as error:
        flash(translated(error), "error")
        return redirect(url_for(".trainers"))
    form = TrainerForm(formdata=None, language=_organisation().default_language)
    return _trainers_page(form, invitation_notice(account, token)), 200, NO_STORE


def own(model, row_id: int):
    """A row of the admin's organisation; another organisation's does not exist for them (404)."""
    row = db().get(model, row_id)
    if row is None or row.organisation_id != current_user().organisation_id:
        abort(404)
    return row


def _own_account(user_id: int) -> User:
    account = own(User, user_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    return account


@bp.route("/trainers/<int:user_id>/deactivate", methods=("POST",))
@login_required("admin")
def deactivate(user_id: int):
    """Deactivate an account: it can no longer log in; what it issued stays valid."""
    account = _own_account(user_id)
    try:
        with unit_of_work(db()):
            accounts.deactivate(db(), account, current_user())
    except ServiceError as error:
        flash(translated(error), "error")
    else:
        flash(_("%(name)s can no longer log in.", name=account.name or account.email),
              "success")
    return redirect(url_for(".trainers"))


@bp.route("/trainers/<int:user_id>/reactivate", methods=("POST",))
@login_required("admin")
def reactivate(user_id: int):
    """Let a deactivated account log in again (with its earlier password)."""
    account = _own_account(user_id)
    try:
        with unit_of_work(db()):
            accounts.reactivate(db(), account, current_user())
    except ServiceError as error:
        flash(translated(error), "error")
    else:
        flash(_("%(name)s can log in again.", name=account.name or account.email), "success")
    return redirect(url_for(".trainers"))


# --- catalogue -------------------------------------------------------------------------------


@bp.route("/catalogue")
@login_required("admin")
def catalogue_page():
    """The imported micro-trainings and skills, current versions."""
    return _catalogue_page(TemplateUploadForm(), [])


def _catalogue_page(form, problems: list[str], status: int = 200):
    templates = catalogue.current_templates(db(), kind=None)
    names = {template.id: _template_name(template) for template in templates}
    issued = {t.template_id: t for t in catalogue.issuable_templates(db(), _organisation(), None)}
    owners = {org.id: org.name for org in db().scalars(select(Organisation))}
    # Each problem is a core Message: shown in the reader's language (file and field stay as typed).
    return render_template("admin/catalogue.html", templates=templates, names=names, form=form,
                           problems=[translated(p) for p in problems], confirm=ConfirmForm(),
                           folder=settings().catalogue_path, issued=issued, owners=owners,
                           own_id=_organisation().id,
                           themes=catalogue.theme_names(settings().catalogue_path,
                                                        current_language())), status


@bp.route("/catalogue/<int:template_pk>/adopt", methods=("POST",))
@login_required("admin")
def adopt_template(template_pk: int):
    """Issue from this version of a partner's (or the shared) training from now on."""
    template = db().get(AchievementTemplate, template_pk)
    if template is None or not ConfirmForm().validate_on_submit():
        abort(404 if template is None else 400)
    with unit_of_work(db()):
        catalogue.adopt(db(), _organisation(), template, current_user())
    flash(_("Your organisation now issues version %(version)s of this training.",
            version=template.version), "success")
    return redirect(url_for(".catalogue_page"))


@bp.route("/catalogue/import", methods=("POST",))
@login_required("admin")
def import_bundled():
    """Import the catalogue folder shipped with the service (new versions only)."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        with unit_of_work(db()):
            added = catalogue.import_catalogue(db(), settings().catalogue_path, current_user())
    except TemplateError as error:
        return _catalogue_page(TemplateUploadForm(), error.problems, 422)
    flash(_("%(count)s new template version(s) imported.", count=len(added)), "success")
    return redirect(url_for(".catalogue_page"))


@bp.route("/catalogue/upload", methods=("POST",))
@login_required("admin")
def upload_template():
    """Add one micro-training file; every problem is listed with the file and the field."""
    form = TemplateUploadForm()
    if not form.validate_on_submit():
        return _catalogue_page(form, [], 422)
    upload = form.file.data
    name = secure_filename(upload.filename or "") or "upload.toml"
    try:
        text = upload.read().decode("utf-8")
    except UnicodeDecodeError:
        return _catalogue_page(form, [not_utf8(name)], 422)
    try:
        with unit_of_work(db()):
            added = _import_one(text, name)
    except TemplateError as error:
        return _catalogue_page(form, error.problems, 422)
    flash(_("%(count)s new template version(s) imported.", count=len(added)), "success")
    return redirect(url_for(".catalogue_page"))


def _import_one(text: str, name: str) -> list[AchievementTemplate]:
    """Import one file through the folder importer, with the catalogue's own themes.

    The file is placed in a scratch catalogue as `trainings/<id>.toml`; problems are reported
    under the uploaded file's name.
    """
    file_id = _declared_id(text) or Path(name).stem
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        (root / "trainings").mkdir()
        themes = Path(settings().catalogue_path) / "themes.toml"
        if themes.is_file():
            shutil.copy(themes, root / "themes.toml")
        (root / "trainings" / f"{file_id}.toml").write_text(text, "utf-8")
        try:
            return catalogue.import_catalogue(db(), root, current_user(), owner=_organisation())
        except TemplateError as error:
            problems = [renamed(p, f"trainings/{file_id}.toml", name) for p in error.problems]
            raise TemplateError("\n".join(problems), problems) from error


def _declared_id(text: str) -> str | None:
    try:
        declared = tomllib.loads(text).get("id")
    except tomllib.TOMLDecodeError:
        return None
    return declared if isinstance(declared, str) and SLUG.match(declared) else None


# --- credentials and revocation --------------------------------------------------------------


@bp.route("/credentials")
@login_required("admin")
def credentials():
    """The organisation's badges, newest first; search by learner, training or short id, and
    filter by status. A learner's wallet copies are listed under the badge they copy."""
    form = CredentialSearchForm(request.args)
    query = (select(Credential, Learner, AchievementTemplate)
             .outerjoin(Learner, Credential.learner_id == Learner.id)
             .join(AchievementTemplate, Credential.template_pk == AchievementTemplate.id)
             .where(Credential.organisation_id == current_user().organisation_id,
                    Credential.supersedes_id.is_(None)))
    query = _with_status(query, form.status.data)
    text = (form.q.data or "").strip()
    if text:
        pattern = f"%{text.lower()}%"
        query = query.where(or_(func.lower(Learner.name).like(pattern),
                                func.lower(AchievementTemplate.template_id).like(pattern),
                                func.lower(Credential.short_id).like(pattern),
                                Credential.uuid == text.lower()))
    total = db().scalar(select(func.count()).select_from(query.subquery()))
    rows = db().execute(query.order_by(Credential.issued_at.desc(), Credential.id.desc())
                        .limit(PAGE_SIZE).offset((_page() - 1) * PAGE_SIZE)).all()
    copies = _wallet_copies([credential.id for credential, _l, _t in rows])
    return render_template("admin/credentials.html", form=form, rows=rows, total=total,
                           page=_page(), pages=max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1),
                           names={t.id: _template_name(t) for _c, _l, t in rows},
                           copies=copies, now=utc_seconds(),
                           reasons={c.id: publishing.revocation_label(c) for c, _l, _t in rows})


def _with_status(query, status: str | None):
    now = utc_seconds()
    if status == "revoked":
        return query.where(Credential.revoked_at.is_not(None))
    if status == "expired":
        return query.where(Credential.revoked_at.is_(None), Credential.valid_until < now)
    if status == "valid":
        return query.where(Credential.revoked_at.is_(None),
                           or_(Credential.valid_until.is_(None), Credential.valid_until >= now))
    return query


def _wallet_copies(originals: list[int]) -> dict[int, list[Credential]]:
    """The wallet copies of the listed badges, by original (one query for the page)."""
    found: dict[int, list[Credential]] = {}
    if originals:
        for copy in db().scalars(select(Credential).where(Credential.supersedes_id.in_(originals))
                                 .order_by(Credential.id)):
            found.setdefault(copy.supersedes_id, []).append(copy)
    return found


def _template_name(template: AchievementTemplate) -> str:
    """A training's or skill's name in the reader's language; its id if it cannot be read."""
    return catalogue.template_name(template, current_language())


def _own_credential(uuid: str) -> Credential:
    credential = db().scalar(select(Credential).where(Credential.uuid == uuid))
    if credential is None:
        abort(404)
    if credential.organisation_id != current_user().organisation_id:
        abort(403)
    return credential


@bp.route("/credentials/<uuid>/revoke", methods=("GET", "POST"))
@login_required("admin")
def revoke(uuid: str):
    """Revoke a badge: a reason, then an explicit confirmation."""
    credential = _own_credential(uuid)
    form = RevokeForm()
    if credential.revoked_at is None and form.validate_on_submit():
        with unit_of_work(db()):
            revocation.revoke(db(), credential, (form.reason.data or "").strip(),
                              current_user(), public=form.public.data,
                              code=form.reason_code.data)
        flash(_("The badge %(short_id)s is revoked.", short_id=credential.short_id), "success")
        return redirect(url_for(".credentials", q=credential.short_id))
    status = 422 if form.errors else 200
    return render_template("admin/revoke.html", form=form, credential=credential), status


@bp.route("/credentials/<uuid>/suspend", methods=("GET", "POST"))
@login_required("admin")
def suspend(uuid: str):
    """Put a badge on hold, or end the hold (reinstate): a reason either way, audited."""
    credential = _own_credential(uuid)
    form = SuspendForm()
    if credential.revoked_at is None and form.validate_on_submit():
        held = credential.suspended_at is not None
        try:
            with unit_of_work(db()):
                change = suspension.reinstate if held else suspension.suspend
                change(db(), credential, form.reason.data, current_user())
        except ServiceError as error:
            flash(translated(error), "error")
        else:
            flash(_("The badge %(short_id)s is valid again.", short_id=credential.short_id)
                  if held else _("The badge %(short_id)s is suspended.",
                                 short_id=credential.short_id), "success")
            return redirect(url_for(".credentials", q=credential.short_id))
    status = 422 if form.errors else 200
    return render_template("admin/suspend.html", form=form, credential=credential), status


@bp.route("/credentials/revoke", methods=("GET", "POST"))
@login_required("admin")
def revoke_many():
    """Revoke the badges ticked on the list (at most a page's worth), for one reason."""
    chosen = _chosen_credentials(request.values.getlist("uuid"))
    if not chosen:
        flash(_("Tick the badges to revoke first."), "error")
        return redirect(url_for(".credentials"))
    form = RevokeManyForm()
    if request.method == "POST" and form.validate_on_submit():
        try:
            with unit_of_work(db()):
                revocation.revoke_many(db(), chosen, (form.reason.data or "").strip(),
                                       current_user(), public=form.public.data,
                                       code=form.reason_code.data)
        except ServiceError as error:  # one was revoked meanwhile: none is, say so
            flash(translated(error), "error")
        else:
            flash(ngettext("%(num)d badge is revoked.", "%(num)d badges are revoked.",
                           len(chosen)), "success")
            return redirect(url_for(".credentials"))
    status = 422 if form.errors else 200
    return render_template("admin/revoke_many.html", form=form, chosen=chosen,
                           names={c.template_pk: _template_name(c.template) for c in chosen}
                           ), status


def _chosen_credentials(uuids: list[str]) -> list[Credential]:
    """The organisation's badges among `uuids` that can still be revoked (never another's)."""
    uuids = list(dict.fromkeys(u for u in uuids if 0 < len(u) <= 36))[:revocation.MAX_AT_ONCE]
    if not uuids:
        return []
    return list(db().scalars(select(Credential).where(
        Credential.uuid.in_(uuids), Credential.organisation_id == current_user().organisation_id,
        Credential.revoked_at.is_(None), Credential.supersedes_id.is_(None))
        .order_by(Credential.issued_at.desc(), Credential.id.desc())))


# --- learners: records, a copy of their data, erasure ---------------------------------------


def _own_learner(learner_id: int) -> Learner:
    return own(Learner, learner_id)


@bp.route("/learners/<int:learner_id>/consent", methods=("GET", "POST"))
@login_required("admin")
def learner_consent(learner_id: int):
    """Change a learner's consent answers: each changed one is recorded again with today's date
    and this admin, and the audit log keeps the earlier answer."""
    learner = _own_learner(learner_id)
    if learner.erased_at is not None:
        abort(404)
    form = ConsentForm(data={f"consent_{purpose}": given for purpose, given
                             in consent.answers_of(learner).as_dict().items()})
    if form.validate_on_submit():
        with unit_of_work(db()):
            changed = consent.record(db(), learner, form.answers(), current_user())
        flash(_("The learner's answers are saved.") if changed else _("Nothing changed."),
              "success")
        return redirect(url_for(".learner_consent", learner_id=learner.id))
    return render_template("admin/learner_consent.html", form=form, learner=learner,
                           recorded=consent.recorded(learner))


@bp.route("/learners")
@login_required("admin")
def learners_page():
    """The organisation's learners, newest first; search by name or e-mail."""
    form = LearnerSearchForm(request.args)
    query = select(Learner).where(Learner.organisation_id == current_user().organisation_id)
    text = (form.q.data or "").strip().lower()[:200]
    if text:
        pattern = f"%{text}%"
        query = query.where(or_(func.lower(Learner.name).like(pattern),
                                func.lower(Learner.email).like(pattern)))
    total = db().scalar(select(func.count()).select_from(query.subquery()))
    rows = db().scalars(query.order_by(Learner.created_at.desc(), Learner.id.desc())
                        .limit(PAGE_SIZE).offset((_page() - 1) * PAGE_SIZE)).all()
    return render_template("admin/learners.html", form=form, rows=rows, total=total,
                           page=_page(), pages=max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1))


def _badges_of(learner: Learner) -> list[Credential]:
    return list(db().scalars(select(Credential).where(
        Credential.learner_id == learner.id, Credential.supersedes_id.is_(None),
        Credential.organisation_id == learner.organisation_id)
        .order_by(Credential.issued_at.desc(), Credential.id.desc())))


@bp.route("/learners/<int:learner_id>")
@login_required("admin")
def learner_page(learner_id: int):
    """One learner: what is kept about them, their badges, a copy of their data, erasure."""
    learner = _own_learner(learner_id)
    badges = _badges_of(learner)
    return render_template("admin/learner.html", learner=learner, badges=badges,
                           names={c.template_pk: _template_name(c.template) for c in badges},
                           now=utc_seconds())


@bp.route("/learners/<int:learner_id>/data.zip")
@login_required("admin")
def learner_data_zip(learner_id: int):
    """Everything kept about the learner, for them (GDPR access): JSON and their credentials."""
    learner = _own_learner(learner_id)
    with unit_of_work(db()):
        data = learner_data.export_zip(db(), learner, current_user())
    return Response(data, mimetype="application/zip", headers={
        **NO_STORE,
        "Content-Disposition": f'attachment; filename="learner-data-{learner.id}.zip"'})


@bp.route("/learners/<int:learner_id>/erase", methods=("GET", "POST"))
@login_required("admin")
def erase_learner(learner_id: int):
    """Erasure at the learner's request, after a page that says what it does to their badges."""
    learner = _own_learner(learner_id)
    form = EraseForm()
    if learner.erased_at is None and form.validate_on_submit():
        with unit_of_work(db()):
            learners.erase_learner(db(), learner, current_user())
        learners.forget_deleted(db())
        flash(_("The learner's personal data is erased and their badges are revoked."),
              "success")
        return redirect(url_for(".learner_page", learner_id=learner.id))
    badges = _badges_of(learner)
    status = 422 if form.errors else 200
    return render_template("admin/erase.html", form=form, learner=learner,
                           valid=sum(1 for badge in badges if badge.revoked_at is None),
                           total=len(badges)), status


@bp.route("/learners/<int:learner_id>/record.json")
@login_required("admin")
def learner_record_json(learner_id: int):
    """The learner's valid badges as one signed ClrCredential (CLR 2.0), to hand over."""
    learner = _own_learner(learner_id)
    with unit_of_work(db()):
        document = learner_record.clr_document(db(), learner, current_user())
    return Response(json.dumps(document, ensure_ascii=False, indent=2),
                    mimetype="application/vc+ld+json", headers={
                        **NO_STORE,
                        "Content-Disposition":
                            f'attachment; filename="learner-record-{learner.id}.json"'})


@bp.route("/learners/<int:learner_id>/record.pdf")
@login_required("admin")
def learner_record_pdf(learner_id: int):
    """The printable A4 summary of the learner's badges, in the learner's language."""
    learner = _own_learner(learner_id)
    with unit_of_work(db()):
        data = learner_record.summary_pdf(db(), learner, current_user(),
                                          language=learner.language)
    return Response(data, mimetype="application/pdf", headers={
        **NO_STORE,
        "Content-Disposition": f'attachment; filename="learner-record-{learner.id}.pdf"'})


# --- endorsements ----------------------------------------------------------------------------


def _endorse_form() -> EndorseForm:
    form = EndorseForm()
    form.template.choices = [SelectChoice(t.id, _template_name(t))
                             for t in catalogue.current_templates(db())]
    return form


def _endorsement_groups() -> list[list[Endorsement]]:
    """The organisation's endorsements, one group per act (every language signed together)."""
    groups: dict[tuple, list[Endorsement]] = {}
    for item in endorsements.endorsements_by(db(), _organisation()):
        groups.setdefault((item.template_pk, item.created_at), []).append(item)
    return list(groups.values())


@bp.route("/endorsements", methods=("GET", "POST"))
@login_required("admin")
def endorsements_page():
    """Endorse a micro-training (signed with the organisation's key); list and withdraw."""
    form = _endorse_form()
    if form.validate_on_submit():
        template = db().get(AchievementTemplate, form.template.data)
        try:
            with unit_of_work(db()):
                endorsements.endorse(db(), _organisation(), template, form.comment.data,
                                     current_user())
        except ServiceError as error:
            form.comment.errors.append(translated(error))
        else:
            flash(_("Your endorsement is signed. Badges of this micro-training issued from now "
                    "on carry it."), "success")
            return redirect(url_for(".endorsements_page"))
    return render_template("admin/endorsements.html", form=form, groups=_endorsement_groups(),
                           name_of=_template_name, confirm=ConfirmForm()), (
        422 if form.errors else 200)


@bp.route("/endorsements/<int:endorsement_id>/withdraw", methods=("POST",))
@login_required("admin")
def withdraw_endorsement(endorsement_id: int):
    """Stop embedding an endorsement (every language of it) in new badges."""
    chosen = db().get(Endorsement, endorsement_id)
    if chosen is None or chosen.endorser_id != current_user().organisation_id:
        abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    siblings = [e for group in _endorsement_groups() if chosen in group for e in group]
    with unit_of_work(db()):
        for item in siblings:
            if item.withdrawn_at is None:
                endorsements.withdraw(db(), item, current_user())
    flash(_("The endorsement is withdrawn: new badges no longer carry it. Badges issued "
            "before keep it."), "success")
    return redirect(url_for(".endorsements_page"))


# --- API tokens ------------------------------------------------------------------------------


@bp.route("/tokens", methods=("GET", "POST"))
@login_required("admin")
def tokens():
    """API tokens: a new one is shown once; only its hash is kept."""
    form = TokenForm()
    token = None
    if form.validate_on_submit():
        with unit_of_work(db()):
            _record, token = api_tokens.create_token(
                db(), _organisation(), form.name.data, current_user(), scopes=form.scopes(),
                lifetime=timedelta(days=form.lifetime_days.data))
        form = TokenForm(formdata=None)
    response = render_template("admin/tokens.html", form=form, token=token, confirm=ConfirmForm(),
                               tokens=api_tokens.tokens_of(db(), _organisation()),
                               now=utc_seconds())
    return response, 422 if form.errors else 200, NO_STORE


@bp.route("/tokens/<int:token_id>/revoke", methods=("POST",))
@login_required("admin")
def revoke_token(token_id: int):
    """Revoke an API token: it stops working at once."""
    record = db().get(ApiToken, token_id)
    if record is None or record.organisation_id != current_user().organisation_id:
        abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    with unit_of_work(db()):
        api_tokens.revoke_token(db(), record, current_user())
    flash(_("The token “%(name)s” is revoked.", name=record.name), "success")
    return redirect(url_for(".tokens"))


# --- audit log -------------------------------------------------------------------------------


@bp.route("/audit")
@login_required("admin")
def audit_log():
    """The organisation's audit events, newest first, a page at a time."""
    where = AuditEvent.organisation_id == current_user().organisation_id
    total = db().scalar(select(func.count()).select_from(AuditEvent).where(where))
    events = db().execute(
        select(AuditEvent, User).outerjoin(User, AuditEvent.user_id == User.id).where(where)
        .order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
        .limit(AUDIT_PAGE_SIZE).offset((_page() - 1) * AUDIT_PAGE_SIZE)
    ).all()
    return render_template("admin/audit.html", events=events, page=_page(), total=total,
                           pages=max((total + AUDIT_PAGE_SIZE - 1) // AUDIT_PAGE_SIZE, 1))


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# --- pilot statistics ------------------------------------------------------------------------


@bp.route("/stats")
@login_required("admin")
def statistics():
    """Assessed / issued / not yet acquired per partner, theme, micro-training and gesture, for
    the period and filters asked for (a partner admin: their own organisation only)."""
    language = current_language()
    choices = stats.filter_choices(db(), current_user(), language)
    try:
        where = stats.parse_filter(db(), request.args, current_user())
    except stats.InvalidFilter as error:
        return render_template("admin/stats.html", statistics=None, where=None,
                               choices=choices, filter_error=translated(error)), 422
    figures = disclosure.report(db(), current_user(), where, language)
    return render_template("admin/stats.html", where=where, choices=choices, filter_error=None,
                           statistics=figures.statistics, funnel=figures.funnel,
                           progress=figures.progress, outcomes=figures.outcomes,
                           months=figures.months, gestures=figures.gestures,
                           steps=stats.FUNNEL_STEPS, step_names=stats_charts.step_names(),
                           situation_keys=stats.OUTCOMES,
                           situation_names=stats_charts.situation_names(),
                           month_name=stats_charts.month_name,
                           intro=stats_charts.intro(where, figures),
                           charts=stats_charts.charts(figures))


@bp.route("/stats/summary.pdf")
@login_required("admin")
def statistics_summary():
    """One A4 page of the selection's figures: a partner's, or the whole project's."""
    language = current_language()
    where = stats.parse_filter(db(), request.args, current_user())
    partner = dict(stats.filter_choices(db(), current_user(), language).partners).get(
        where.partner) if where.partner else _("the whole project")
    period = " – ".join(value.isoformat() if value else "…" for value in (where.start, where.end))
    pdf = stats_charts.summary(
        _("SKY pilot: %(partner)s", partner=partner),
        _("Period: %(period)s · made on %(day)s", period=period,
          day=datetime.now(UTC).date().isoformat()),
        disclosure.report(db(), current_user(), where, language))
    return Response(pdf, mimetype="application/pdf", headers={
        "Content-Disposition": 'attachment; filename="sky-summary.pdf"'})


@bp.route("/stats/<dimension>.<any(csv, xlsx):kind>")
@login_required("admin")
def statistics_csv(dimension: str, kind: str):
    """One table of the statistics, filtered as the page was, as a CSV or XLSX download made
    for the reader's spreadsheet (exports.csv_for_spreadsheets)."""
    if dimension not in stats.EXPORTS:
        abort(404)
    where = stats.parse_filter(db(), request.args, current_user())
    rows = disclosure.export_rows(db(), dimension, current_language(), where, current_user())
    filename = f"sky-statistics-{dimension}.{kind}"
    if kind == "xlsx":
        return Response(xlsx_bytes(rows, dimension), mimetype=XLSX, headers={
            "Content-Disposition": f'attachment; filename="{filename}"'})
    return Response(csv_for_spreadsheets(rows, current_language()),
                    mimetype="text/csv", headers={
                        "Content-Disposition": f'attachment; filename="{filename}"'})


# --- bulk issuance from a CSV ----------------------------------------------------------------


def _own_session(session_id) -> TrainingSession:
    training_session = db().get(TrainingSession, session_id) if session_id else None
    if training_session is None:
        abort(404)
    if training_session.organisation_id != current_user().organisation_id:
        abort(403)
    return training_session


def _session_choices() -> list[SelectChoice]:
    sessions = db().scalars(
        select(TrainingSession)
        .where(TrainingSession.organisation_id == current_user().organisation_id)
        .order_by(TrainingSession.starts_on.desc(), TrainingSession.id.desc())).all()
    return [SelectChoice(s.id, f"{s.starts_on.isoformat()} · "
                         f"{s.title or catalogue.training_of(s.template).name_in(s.language)}"
                         f"{' · ' + s.place if s.place else ''}") for s in sessions]


def _bulk_form() -> BulkUploadForm:
    form = BulkUploadForm(session=request.args.get("session", type=int))
    form.session.choices = _session_choices()
    return form


@bp.route("/bulk", methods=("GET", "POST"))
@login_required("admin")
def bulk_upload():
    """Upload a CSV for a session; the answer is a dry run: nothing is issued yet."""
    form = _bulk_form()
    offered = {choice.value for choice in form.session.choices}
    selected = form.session.data if form.session.data in offered else None
    chosen = _own_session(selected) if selected else None
    training = catalogue.training_of(chosen.template) if chosen else None
    if form.validate_on_submit():
        training_session = _own_session(form.session.data)
        data = form.file.data.read()
        try:
            results = bulk.preview(db(), training_session, data)
        except bulk.BulkFileError as error:
            form.file.errors.append(translated(error))
        else:
            summary = bulk.summary(results)
            confirm = BulkConfirmForm(session=str(training_session.id),
                                      csv_text=base64.b64encode(data).decode("ascii"),
                                      filename=secure_filename(form.file.data.filename or ""))
            # A file with an error issues nothing: it is corrected and uploaded again.
            return render_template("admin/bulk_preview.html", results=results,
                                   confirm=None if summary.get(bulk.ERROR) else confirm,
                                   training_session=training_session, summary=summary,
                                   verdicts=_verdict_labels())
    return render_template("admin/bulk.html", form=form, training=training,
                           language=chosen.language if chosen else "en",
                           columns=bulk.csv_columns(training) if training else None,
                           jobs=[(job, _job_state(job)) for job in
                                 bulk_jobs.jobs_of(db(), current_user().organisation_id)]), (
        422 if form.errors else 200)


@bp.route("/bulk/run", methods=("POST",))
@login_required("admin")
def bulk_run():
    """Queue a previewed file as a job (checked whole again) and show its progress page.

    The rows are carried out by a worker, never in this request: a thousand rows take longer
    than a request may last."""
    form = BulkConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    training_session = _own_session(int(form.session.data))
    try:
        data = base64.b64decode(form.csv_text.data, validate=True)
        with unit_of_work(db()):
            job = bulk_jobs.start(db(), training_session, data, current_user(),
                                  form.filename.data)
    except (binascii.Error, bulk.BulkFileError, bulk_jobs.InvalidBulkFile) as error:
        flash(translated(error), "error")
        return redirect(url_for(".bulk_upload", session=training_session.id))
    job_queue().enqueue_bulk_job(job.id)
    return redirect(url_for(".bulk_job", job_id=job.id), 303)


@bp.route("/bulk/jobs/<int:job_id>")
@login_required("admin")
def bulk_job(job_id: int):
    """A job's progress; the page reloads itself (no JavaScript) until the job ends."""
    job = bulk_jobs.job_of(db(), current_user().organisation_id, job_id)
    counts = bulk_jobs.counts(db(), job)
    return render_template(
        "admin/bulk_job.html", job=job, counts=counts, done=sum(counts.values()),
        stopped=bulk_jobs.is_stopped(job), resume=ConfirmForm(),
        results=bulk_jobs.results(db(), job, (bulk.ERROR, bulk.NOT_YET_ACQUIRED)),
        verdicts=_verdict_labels())


@bp.route("/bulk/jobs/<int:job_id>/resume", methods=("POST",))
@login_required("admin")
def bulk_job_resume(job_id: int):
    """Queue a stopped job again: the rows already done are never done twice."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    job = bulk_jobs.job_of(db(), current_user().organisation_id, job_id)
    if bulk_jobs.resume(db(), job):
        audit(db(), "bulk.resume", current_user(), job.organisation_id, f"bulk job {job.id}")
        db().commit()
        job_queue().enqueue_bulk_job(job.id)
        flash(_("The job is queued again; the lines already done are skipped."), "success")
    else:
        flash(_("This job is not stopped: nothing to resume."), "error")
    return redirect(url_for(".bulk_job", job_id=job.id), 303)


@bp.route("/bulk/template/<int:session_id>.csv")
@login_required("admin")
def bulk_template(session_id: int):
    """An empty CSV with the right columns for this session's micro-training."""
    training_session = _own_session(session_id)
    training = catalogue.training_of(training_session.template)
    return Response(bulk.template_csv(training), mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="{training.id}-learners.csv"'})


def _job_state(job) -> str:
    if bulk_jobs.is_stopped(job):
        return _("stopped: open it to resume")
    return {bulk_jobs.QUEUED: _("waiting for a worker"), bulk_jobs.RUNNING: _("issuing"),
            bulk_jobs.DONE: _("finished")}[job.status]


def _verdict_labels() -> dict[str, str]:
    return {
        bulk.WILL_ISSUE: _("will issue"),
        bulk.NOT_YET_ACQUIRED: _("not yet"),
        bulk.ERROR: _("error"),
        bulk.ISSUED: _("issued"),
        bulk.ALREADY_ISSUED: _("already issued"),
    }
