"""Log-in and log-out for trainers and partner admins, and the guards every other view uses.

Sessions are signed cookies that expire after `SESSION_LIFETIME_MINUTES` of inactivity; the
session is cleared on log-in (no fixation). Failed log-ins are counted in the database, so a
lock-out holds across every worker.
"""

from __future__ import annotations

import functools
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    abort,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _

from issuer.services import unit_of_work
from issuer.services.accounts import TooManyAttempts, authenticate
from issuer.store.models import User

from .extensions import db, settings

bp = Blueprint("auth", __name__, url_prefix="/auth")

# Where each role lands after logging in, when the blueprint exists.
HOME_ENDPOINTS = {"admin": "admin.index", "trainer": "trainer.index"}


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
                                    config=settings())
        except TooManyAttempts:
            flash(_("Too many failed log-ins; try again in %(minutes)s minutes.",
                    minutes=settings().login_lockout_minutes), "error")
            return render_template("auth/login.html", email=email), 429
        if user is not None:
            language = session.get("language")  # the switcher's choice outlives the log-in
            session.clear()
            if language:
                session["language"] = language
            session.permanent = True
            session["user_id"] = user.id
            return redirect(_safe_next(request.args.get("next")) or home_url(user))
        flash(_("Wrong e-mail or password."), "error")
        return render_template("auth/login.html", email=email), 401
    return render_template("auth/login.html", email=email)


@bp.route("/logout", methods=("POST",))
def logout():
    """End the session (POST only, so a link on another site cannot log anyone out)."""
    session.clear()
    return redirect(url_for("auth.login"))


def current_user() -> User | None:
    """The logged-in, active user of this request, or None."""
    if "current_user" not in g:
        user_id = session.get("user_id")
        user = db().get(User, user_id) if user_id is not None else None
        g.current_user = user if user is not None and user.active else None
    return g.current_user


def login_required(role: str | None = None):
    """Guard a view: anyone logged in, or only `role`. An admin may also act as a trainer."""

    def decorator(view):
        @functools.wraps(view)
        def wrapped(*args, **kwargs):
            user = current_user()
            if user is None:
                return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
            if role is not None and user.role != role and not (
                role == "trainer" and user.role == "admin"
            ):
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
    from flask import current_app

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
