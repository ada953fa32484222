"""The partner admin's signing keys: the versions, a rotation, and the withdrawal of a
compromised key. Its routes join the admin blueprint (`/admin/keys`).

A withdrawal (services.key_withdrawal) takes the key out of the DID document in the request
itself — that is what stops a thief — and hands the re-issuing of its badges to the job queue:
about 10 ms a badge, too long for a request once there are thousands. The Keys page shows how
many are left and reloads itself until none is; Carry on queues the work again (a worker that
stopped, a lost message), which only ever takes what is still left.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from issuer.services import audit, keys, unit_of_work
from issuer.services.key_withdrawal import left_to_resign, withdraw_key
from issuer.store.models import SigningKey

from .admin import bp, own
from .auth import current_user, login_required
from .extensions import db, job_queue
from .forms import ConfirmForm, RotateKeyForm, WithdrawKeyForm

# The Keys page reloads itself this often while badges are being re-issued.
PROGRESS_RELOAD_SECONDS = 5


@bp.route("/keys", methods=("GET", "POST"))
@login_required("admin")
def signing_keys():
    """Key versions (public parts only); generate or rotate after confirmation; how far the
    re-issuing of a withdrawn key's badges has gone."""
    org = current_user().organisation
    form = RotateKeyForm()
    if form.validate_on_submit():
        with unit_of_work(db()):
            record = keys.rotate_key(db(), org, current_user())
        flash(_("Key version %(version)s is now used for new badges. Earlier badges stay "
                "verifiable.", version=record.version), "success")
        return redirect(url_for(".signing_keys"))
    versions = db().scalars(select(SigningKey).where(SigningKey.organisation_id == org.id)
                            .order_by(SigningKey.version.desc())).all()
    left = {key.id: left_to_resign(db(), key) for key in versions if key.withdrawn_at}
    return render_template("admin/keys.html", form=form, versions=versions, organisation=org,
                           method_id=lambda key: keys.verification_method_id(org, key),
                           did=keys.issuer_did(org), left=left, carry_on=ConfirmForm(),
                           reload_seconds=PROGRESS_RELOAD_SECONDS if any(left.values())
                           else None), 422 if form.errors else 200


def _own_key(key_id: int) -> SigningKey:
    return own(SigningKey, key_id)


@bp.route("/keys/<int:key_id>/withdraw", methods=("GET", "POST"))
@login_required("admin")
def withdraw_signing_key(key_id: int):
    """Withdraw a compromised key, after a confirmation saying what happens; its badges are
    then re-issued in the background."""
    key = _own_key(key_id)
    if key.withdrawn_at is not None:
        return redirect(url_for(".signing_keys"), 303)
    form = WithdrawKeyForm()
    if form.validate_on_submit():
        with unit_of_work(db()):
            withdraw_key(db(), key.organisation, key.version, current_user())
        job_queue().enqueue_resign(key.id)
        flash(_("Key version %(version)s is withdrawn: it is no longer in your DID document. "
                "Its badges are being re-issued under the key in use; this page shows how far "
                "it has gone.", version=key.version), "success")
        return redirect(url_for(".signing_keys"), 303)
    return render_template("admin/key_withdraw.html", form=form, key=key,
                           badges=left_to_resign(db(), key),
                           method_id=keys.verification_method_id(key.organisation, key)), (
        422 if form.errors else 200)


@bp.route("/keys/<int:key_id>/resign", methods=("POST",))
@login_required("admin")
def resign_signing_key(key_id: int):
    """Queue the re-issuing of a withdrawn key's badges again (what is done stays done)."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    key = _own_key(key_id)
    if key.withdrawn_at is None:
        abort(404)
    audit(db(), "key.resign_queued", current_user(), key.organisation_id,
          keys.verification_method_id(key.organisation, key), version=key.version)
    db().commit()
    job_queue().enqueue_resign(key.id)
    flash(_("The re-issuing is queued again; the badges already re-issued are skipped."),
          "success")
    return redirect(url_for(".signing_keys"), 303)
