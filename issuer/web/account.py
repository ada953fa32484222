"""A person's own account: accepting an invitation, a forgotten password, a new password.

The links sent by e-mail carry single-use tokens (see `services.account_tokens`). Asking for
a reset answers the same page, at about the same speed, whether or not the address has an
account: the e-mail is sent after the answer, from another thread. Every form that takes a
token or sends an e-mail is rate-limited per client address in the database, like log-ins.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from datetime import UTC, datetime
from email.message import EmailMessage

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _

from issuer.config import Settings
from issuer.rendering.cards import qr_matrix
from issuer.services import PermissionDenied, ServiceError, unit_of_work
from issuer.services.account_mail import compose_account_mail
from issuer.services.account_tokens import (
    INVITATION,
    RESET,
    InvalidLink,
    holder,
    link,
    redeem,
    request_reset,
)
from issuer.services.accounts import ADDRESS_FACTOR, change_password, start_session
from issuer.services.mail import MailError, is_configured, send
from issuer.services.second_factor import (
    check_code,
    is_on,
    new_secret,
    provisioning_uri,
    recovery_codes_left,
    renew_recovery_codes,
    turn_off,
    turn_on,
    use_recovery_code,
)
from issuer.store import ratelimit

from .auth import (
    PENDING_SECOND_FACTOR,
    current_user,
    home_url,
    login_required,
    pending_second_factor,
    sign_in,
)
from .extensions import db, settings
from .forms import (
    PASSWORD_HINT,
    ChangePasswordForm,
    CodeForm,
    InvitationForm,
    NewPasswordForm,
    RecoveryCodeForm,
    ResetRequestForm,
)
from .i18n import translated

bp = Blueprint("account", __name__, url_prefix="/account")
log = logging.getLogger(__name__)
NO_STORE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


def _allowed(bucket: str, limit: int) -> bool:
    """Count one attempt in `bucket` for the lock-out window; True while within `limit`."""
    window = settings().login_lockout_minutes * 60
    return ratelimit.hit(db(), bucket, limit, window, datetime.now(UTC))


def _client_allowed() -> bool:
    # As many tries per address as log-ins allow an address before it is refused.
    limit = settings().login_max_failures * ADDRESS_FACTOR
    return _allowed(f"account:{request.remote_addr or 'unknown'}", limit)


def _refused() -> bool:
    """True when this POST is one too many from its client address (it counts either way)."""
    return request.method == "POST" and not _client_allowed()


def _too_many():
    message = _("Too many attempts; try again in %(minutes)s minutes.",
                minutes=settings().login_lockout_minutes)
    return render_template("account/dead_link.html", message=message,
                           heading=_("Please wait")), 429, NO_STORE


# --- invitation ------------------------------------------------------------------------------


@bp.route("/invitation/<token>", methods=("GET", "POST"))
def invitation(token: str):
    """An invited person chooses their name and password, and is signed in."""
    if _refused():
        return _too_many()
    try:
        user = holder(db(), token, INVITATION)
    except InvalidLink as error:
        return _dead_link(error)
    form = InvitationForm(name=user.name)
    if form.validate_on_submit():
        try:
            with unit_of_work(db()):
                user = redeem(db(), token, INVITATION, form.password.data, settings(),
                              name=form.name.data)
                session_id = start_session(db(), user, config=settings())
        except InvalidLink as error:
            return _dead_link(error)
        except ServiceError as error:
            form.password.errors.append(translated(error))
        else:
            flash(_("Welcome, %(name)s. Your account is ready.", name=user.name), "success")
            return sign_in(user, session_id, home_url(user))
    status = 422 if form.errors else 200
    return render_template("account/invitation.html", form=form, account=user,
                           hint=PASSWORD_HINT), status, NO_STORE


def _dead_link(error: InvalidLink):
    return render_template("account/dead_link.html", message=translated(error)), 410, NO_STORE


# --- forgotten password ----------------------------------------------------------------------


@bp.route("/reset", methods=("GET", "POST"))
def reset_request():
    """Ask for a reset link; the answer is the same whether or not the address has an account."""
    if _refused():
        return _too_many()
    form = ResetRequestForm()
    if form.validate_on_submit():
        address = form.email.data.strip().lower()
        # One mailbox gets at most as many links per window as an account allows failed log-ins.
        mailbox = hashlib.sha256(address.encode("utf-8")).hexdigest()[:32]
        if _allowed(f"reset-mail:{mailbox}", settings().login_max_failures):
            _send_reset_link(address)
        return render_template("account/reset_sent.html"), 200, NO_STORE
    return render_template("account/reset_request.html", form=form), \
        422 if form.errors else 200, NO_STORE


def _send_reset_link(address: str) -> None:
    config = settings()
    with unit_of_work(db()):
        found = request_reset(db(), address)
        if found is None or not is_configured(config):
            return
        user, token = found
        message = compose_account_mail(RESET, user.email, link(db(), token, RESET),
                                       user.organisation.name, user.language, config)
    _send_in_background(message, config)


def _send_in_background(message: EmailMessage, config: Settings) -> None:
    """Send after the answer: the SMTP round trip would tell that the address has an account."""

    def deliver():
        try:
            send(message, config)
        except MailError:
            pass  # already logged, without the address

    threading.Thread(target=deliver, name="reset-mail", daemon=True).start()


@bp.route("/reset/<token>", methods=("GET", "POST"))
def reset(token: str):
    """Choose a new password from a reset link; every session of the account ends."""
    if _refused():
        return _too_many()
    try:
        user = holder(db(), token, RESET)
    except InvalidLink as error:
        return _dead_link(error)
    form = NewPasswordForm()
    if form.validate_on_submit():
        try:
            with unit_of_work(db()):
                redeem(db(), token, RESET, form.password.data, settings())
        except InvalidLink as error:
            return _dead_link(error)
        except ServiceError as error:
            form.password.errors.append(translated(error))
        else:
            session.clear()
            flash(_("Your password is changed. Log in with it."), "success")
            return redirect(url_for("auth.login"))
    return render_template("account/reset.html", form=form, account=user, hint=PASSWORD_HINT), \
        422 if form.errors else 200, NO_STORE


# --- a new password, signed in ---------------------------------------------------------------


@bp.route("/password", methods=("GET", "POST"))
@login_required()
def password():
    """Change one's own password; the other sessions of the account end."""
    if _refused():  # a borrowed session guessing the current password
        return _too_many()
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            with unit_of_work(db()):
                change_password(db(), current_user(), form.current.data, form.password.data,
                                settings(), session_token=session.get("sid"))
        except PermissionDenied as error:
            form.current.errors.append(translated(error))
        except ServiceError as error:
            form.password.errors.append(translated(error))
        else:
            flash(_("Your password is changed. Other devices were logged out."), "success")
            return redirect(home_url(current_user()))
    return render_template("account/password.html", form=form, hint=PASSWORD_HINT), \
        422 if form.errors else 200, NO_STORE


# --- the second factor -----------------------------------------------------------------------

SETUP_SECRET = "second_factor_setup"


@bp.route("/code", methods=("GET", "POST"))
def second_factor_code():
    """The code from the authenticator app, after a right password; then the session starts."""
    if _refused():
        return _too_many()
    pending = pending_second_factor()
    if pending is None:
        session.pop(PENDING_SECOND_FACTOR, None)
        return redirect(url_for("auth.login"))
    user, target = pending
    form, recovery = CodeForm(), RecoveryCodeForm()
    sent = form if "code" in request.form else recovery
    if sent.validate_on_submit():
        # Each account gets as many wrong codes per window as it gets wrong passwords.
        if not _allowed(f"code:{user.id}", settings().login_max_failures):
            return _too_many()
        with unit_of_work(db()):
            right = (check_code(user, form.code.data) if sent is form
                     else use_recovery_code(db(), user, recovery.recovery_code.data))
            session_id = start_session(db(), user, config=settings()) if right else None
        if session_id is not None:
            if sent is recovery:
                flash(_("You used a recovery code; %(count)s left. Make new ones on the "
                        "second factor page.", count=recovery_codes_left(db(), user)), "info")
            return sign_in(user, session_id, target or home_url(user))
        field = form.code if sent is form else recovery.recovery_code
        field.errors.append(_("This code is not right. Type the one your app shows now.")
                            if sent is form else _("This recovery code is not right, or it "
                                                   "was used already."))
    failed = bool(form.errors or recovery.errors)
    return render_template("account/code.html", form=form, recovery=recovery), \
        422 if failed else 200, NO_STORE


@bp.route("/second-factor", methods=("GET", "POST"))
@login_required("admin")
def second_factor():
    """Turn the second factor on (scan, then type a code) or off (type a code)."""
    if _refused():
        return _too_many()
    user, form = current_user(), CodeForm()
    secret = None if is_on(user) else session.setdefault(SETUP_SECRET, new_secret())
    renewing = request.form.get("action") == "renew"
    if form.validate_on_submit():
        try:
            with unit_of_work(db()):
                if secret:
                    codes = turn_on(db(), user, secret, form.code.data)
                elif renewing:
                    codes = renew_recovery_codes(db(), user, form.code.data)
                else:
                    codes = turn_off(db(), user, form.code.data)
        except ServiceError as error:
            form.code.errors.append(translated(error))
        else:
            session.pop(SETUP_SECRET, None)
            if codes:  # shown in this answer only, never stored where they could be read back
                return render_template("account/recovery_codes.html", codes=codes,
                                       first=bool(secret)), 200, NO_STORE
            flash(_("Logging in no longer asks for a code."), "success")
            return redirect(url_for(".second_factor"))
    uri = provisioning_uri(secret, user.email) if secret else None
    left = None if secret else recovery_codes_left(db(), user)
    return render_template("account/second_factor.html", form=form, secret=secret, uri=uri,
                           qr_path=_qr_path(uri) if uri else None, codes_left=left), \
        422 if form.errors else 200, NO_STORE


def _qr_path(text: str) -> tuple[int, str]:
    """The QR code of `text` as an SVG path: (size in modules, path data)."""
    matrix = qr_matrix(text)
    path = "".join(f"M{x} {y}h1v1h-1z" for y, row in enumerate(matrix)
                   for x, dark in enumerate(row) if dark)
    return len(matrix), path
