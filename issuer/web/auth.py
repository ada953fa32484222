"""Log-in and log-out for trainers and partner admins, and the guards every other view uses.

Sessions are signed cookies carrying the random id of a server-side session that expires after
`SESSION_LIFETIME_MINUTES` of inactivity; log-out deletes it, so a copied cookie stops working.
The session is cleared on log-in (no fixation). Failed log-ins are counted in the database, so a
lock-out holds across every worker; a browser that signed in before carries a signed device
cookie that gives it its own budget (nobody can lock a person out by guessing at their address).
"""

from __future__ import annotations

import functools
import hashlib
import secrets
import time
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeSerializer

from issuer.services import unit_of_work
from issuer.services.accounts import (
    TooManyAttempts,
    authenticate,
    end_session,
    session_user,
    start_session,
)
from issuer.store.models import User

from .extensions import app_config, db, settings

bp = Blueprint("auth", __name__, url_prefix="/auth")

# Where each role lands after logging in, when the blueprint exists.
HOME_ENDPOINTS = {"coordinator": "coordinator.index", "admin": "admin.index",
                  "trainer": "trainer.index"}
RANKS = {"trainer": 1, "admin": 2, "coordinator": 3}


@bp.route("/login", methods=("GET", "POST"))
def login():
    """Show the log-in form; on POST, check the e-mail and password and start a session."""
    email = ""
    if request.method == "POST":
        email = request.form.get("email", "")
        password = request.form.get("password", "")
        try:
            with unit_of_work(db()):
                user = authenticate(db(), email, password, request.remote_addr,
                                    device=_known_device(email), config=settings())
                session_id = (start_session(db(), user, config=settings())
                              if user is not None and not user.totp_secret else None)
        except TooManyAttempts:
            flash(_("Too many failed log-ins; try again in %(minutes)s minutes.",
                    minutes=settings().login_lockout_minutes), "error")
            return render_template("auth/login.html", email=email), 429
        target = _safe_next(request.args.get("next")) or home_url(user) if user else None
        if user is not None and user.totp_secret:
            return _ask_for_code(user, target)
        if user is not None:
            return sign_in(user, session_id, target)
        flash(_("Wrong e-mail or password."), "error")
        return render_template("auth/login.html", email=email), 401
    return render_template("auth/login.html", email=email)


# A password checked, a code still to type: who, since when (seconds), and where to go next.
PENDING_SECOND_FACTOR = "second_factor"
SECOND_FACTOR_MINUTES = 5


def _ask_for_code(user: User, target: str):
    language = session.get("language")
    session.clear()
    if language:
        session["language"] = language
    session[PENDING_SECOND_FACTOR] = [user.id, int(time.time()), target]
    return redirect(url_for("account.second_factor_code"))


def pending_second_factor() -> tuple[User, str] | None:
    """The user whose password was right a moment ago and who now owes a code, and where
    they were going; None when nobody is waiting (or waited too long)."""
    pending = session.get(PENDING_SECOND_FACTOR)
    if not isinstance(pending, list) or len(pending) != 3:
        return None
    user_id, since, target = pending
    if time.time() - since > SECOND_FACTOR_MINUTES * 60:
        return None
    user = db().get(User, user_id)
    return (user, target) if user is not None and user.active and user.totp_secret else None


def sign_in(user: User, session_id: str, target: str):
    """Tie this browser to the new server-side session `session_id` and go to `target`.

    The cookie starts afresh (no fixation); the language chosen before signing in stays.
    """
    language = session.get("language")
    session.clear()
    if language:
        session["language"] = language
    session.permanent = True
    session["user_id"] = user.id
    session["sid"] = session_id
    response = redirect(target)
    _remember_device(response, user.email)
    return response


@bp.route("/logout", methods=("POST",))
def logout():
    """End the session (POST only, so a link on another site cannot log anyone out)."""
    with unit_of_work(db()):
        end_session(db(), session.get("sid"))
    session.clear()
    return redirect(url_for("auth.login"))


DEVICE_COOKIE = "sky_device"
DEVICE_COOKIE_DAYS = 365


def _devices() -> URLSafeSerializer:
    return URLSafeSerializer(app_config("SECRET_KEY"), salt="sky-device")


def _email_tag(email: str) -> str:
    return hashlib.sha256(email.strip().lower().encode("utf-8")).hexdigest()[:32]


def _known_device(email: str) -> str | None:
    """The id of this browser if it signed in to `email`'s account before, else None."""
    try:
        tag, device = _devices().loads(request.cookies.get(DEVICE_COOKIE, ""))
    except (BadSignature, ValueError, TypeError):
        return None
    return device if tag == _email_tag(email) and isinstance(device, str) else None


def _remember_device(response, email: str) -> None:
    device = _known_device(email) or secrets.token_urlsafe(16)
    response.set_cookie(DEVICE_COOKIE, _devices().dumps([_email_tag(email), device]),
                        max_age=DEVICE_COOKIE_DAYS * 86400, httponly=True, samesite="Lax",
                        secure=app_config("SESSION_COOKIE_SECURE"),
                        path=url_for("auth.login"))


def role_name(role: str) -> str:
    """A role as the pages name it, in the reader's language."""
    names = {"admin": _("Admin"), "trainer": _("Trainer"), "coordinator": _("Coordinator")}
    return names.get(role, role)


def current_user() -> User | None:
    """The logged-in, active user of this request, or None."""
    if "current_user" not in g:
        user = None
        if session.get("sid"):
            with unit_of_work(db()):
                user = session_user(db(), session.get("sid"), config=settings())
        g.current_user = user if user is not None and user.id == session.get("user_id") else None
    return g.current_user


def login_required(role: str | None = None):
    """Guard a view: anyone logged in, or `role` and above (an admin may act as a trainer, the
    coordinator as their own organisation's admin)."""

    def decorator(view):
        @functools.wraps(view)
        def wrapped(*args, **kwargs):
            user = current_user()
            if user is None:
                return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
            if role is not None and RANKS.get(user.role, 0) < RANKS[role]:
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def require_same_org(obj) -> None:
    """404 unless `obj` (anything with `organisation_id`) belongs to the user's organisation.

    404 rather than 403: another organisation's records are not even acknowledged.
    """
    user = current_user()
    if obj is None or user is None or getattr(obj, "organisation_id", None) != user.organisation_id:
        abort(404)


def home_url(user: User) -> str:
    """The landing page for the user's role (the log-in page while that UI does not exist)."""

    endpoint = HOME_ENDPOINTS.get(user.role)
    if endpoint and endpoint in current_app.view_functions:
        return url_for(endpoint)
    other = HOME_ENDPOINTS["trainer"]
    if other in current_app.view_functions:
        return url_for(other)
    return url_for("auth.login")


def _safe_next(target: str | None) -> str | None:
    # Only same-site paths: an open redirect would make a convincing phishing link.
    if not target or not target.startswith("/") or target.startswith("//"):
        return None
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc and "\\" not in target else None
