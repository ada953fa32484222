"""The Flask application factory: configuration, one database session per request, blueprints.

Configuration comes from `issuer.config.Settings` (environment, instance folder), then from
`test_config`. Blueprints are registered here and nowhere else, one per audience.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Blueprint, Flask, g, jsonify, render_template, request
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from issuer.config import Settings
from issuer.core import extra_contexts
from issuer.core.errors import BadgeError
from issuer.services import ServiceError
from issuer.services.intake_requests import MAX_ID
from issuer.services.queue import JobQueue
from issuer.services.views import ViewTally
from issuer.store.db import make_engine, make_sessionmaker

from . import (
    account,
    addresses,
    admin,
    api,
    auth,
    coordinator,
    edge,
    i18n,
    logs,
    ob_api,
    public,
    trainer,
    wallet,
)
from . import admin_keys as admin_keys  # its routes join the admin blueprint
from . import follow_ups as follow_ups  # its routes join the trainer blueprint
from . import vc_api as vc_api  # its routes join the API blueprint
from .errors import http_status
from .extensions import app_config, close_db, csrf

# One blueprint per audience, each registered here and nowhere else.
BLUEPRINTS: tuple[Blueprint, ...] = (public.bp, auth.bp, account.bp, trainer.bp, admin.bp,
                                      coordinator.bp, api.bp, wallet.bp,
                                      ob_api.bp)
# Token- or protocol-authenticated blueprints: no browser session, so no CSRF token.
CSRF_EXEMPT: tuple[Blueprint, ...] = (api.bp, wallet.bp, ob_api.bp)

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)


class _RowId(IntegerConverter):
    """`<int:…>` in every route: an id no database column can hold is "not found" (404), never
    an out-of-range error from PostgreSQL (500)."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the application. `test_config` overrides settings (environment names) and Flask."""
    test_config = dict(test_config or {})
    settings = Settings.from_env(test_config)
    app = Flask(__name__, instance_path=str(settings.instance_path), instance_relative_config=True)
    app.url_map.converters["int"] = _RowId
    app.config.from_mapping(
        SECRET_KEY=settings.secret_key,
        SETTINGS=settings,
        # The server ends a staff session (idle and maximum age, services/accounts.py); the
        # cookie only has to outlive it. It is written when the session changes, not on every
        # answer: a background request of the offline trainer app answered late would otherwise
        # put back an older cookie and lose a message just flashed or a language just chosen.
        PERMANENT_SESSION_LIFETIME=timedelta(hours=settings.session_max_hours),
        SESSION_REFRESH_EACH_REQUEST=False,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.public_base_url.startswith("https://"),
        MAX_CONTENT_LENGTH=10 * 1024 * 1024,
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the (expiring) session
        AUTO_MIGRATE=settings.is_sqlite,
    )
    app.config.from_pyfile("config.py", silent=True)
    app.config.update(test_config)
    settings_path = settings.instance_path
    settings_path.mkdir(parents=True, exist_ok=True)

    if settings.trusted_proxies:
        # Behind N reverse proxies the client is the Nth address from the right of
        # X-Forwarded-For: rate limits and log-in limits key on it, never on the proxy.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=settings.trusted_proxies,
                                x_proto=settings.trusted_proxies)
    logs.install(app.logger)
    if settings.extra_contexts:
        extra_contexts.register_index(Path(settings.extra_contexts))
    _init_database(app, settings)
    edge.init_app(app)
    addresses.init_app(app)
    csrf.init_app(app)
    i18n.init_app(app)  # before the blueprints: they use Babel's gettext
    _register_blueprints(app)
    _register_errors(app)
    app.after_request(_security_headers)
    app.context_processor(_template_helpers)
    return app


def _init_database(app: Flask, settings: Settings) -> None:
    # SQLite (embedded) is brought up to date on start; PostgreSQL is upgraded by the operator
    # before new workers start, and a worker refuses to run on an older schema.
    from issuer.store.migrations import is_current, upgrade

    if app.config["AUTO_MIGRATE"]:
        upgrade(settings.database_url)
    elif not is_current(settings.database_url):
        raise ServiceError("the database schema is not up to date: run `sky-badges db upgrade`")
    engine = make_engine(settings.database_url)
    app.extensions["sky_engine"] = engine
    app.extensions["sky_sessionmaker"] = make_sessionmaker(engine, settings)
    app.teardown_appcontext(close_db)
    # Enqueuing only: the workers are `sky-badges worker`, or threads of `sky-badges serve`.
    app.extensions["sky_queue"] = JobQueue(settings)
    app.extensions["sky_views"] = ViewTally(batch=app.config.get("VIEW_COUNT_BATCH", 50))


def _register_blueprints(app: Flask) -> None:
    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)
    for blueprint in CSRF_EXEMPT:
        csrf.exempt(blueprint)


def _template_helpers() -> dict:
    return {"current_user": auth.current_user, "role_name": auth.role_name}


# Their answers carry personal data or secrets (staff pages, the API, a learner's claim page):
# no browser or proxy cache may keep them unless the view chose otherwise (ASVS 8.2.1).
PRIVATE_BLUEPRINTS = ("admin", "trainer", "auth", "account", "coordinator", "api", "wallet")


def _security_headers(response):
    headers = response.headers
    if request.blueprint in PRIVATE_BLUEPRINTS or g.get("current_user") is not None:
        headers.setdefault("Cache-Control", "no-store")
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("X-Frame-Options", "DENY")
    if app_config("SESSION_COOKIE_SECURE"):  # the service is public over https
        headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    return response


# --- errors ----------------------------------------------------------------------------------

_MESSAGES = {
    400: _l("The request could not be understood."),
    403: _l("You are not allowed to do this."),
    404: _l("There is nothing at this address."),
    405: _l("This address does not accept this kind of request."),
    413: _l("The file or form is too large."),
    422: _l("The request could not be carried out."),
    429: _l("Too many attempts. Please wait a few minutes."),
    500: _l("Something went wrong on our side. Please try again later."),
}


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def error_response(status: int, message: str | None = None, code: str | None = None):
    """A JSON error under /api/, an HTML error page elsewhere; never a stack trace."""
    message = message or _MESSAGES.get(status, _MESSAGES[500])
    if ob_api.is_api_path(request.path):  # the OB 3.0 API's errors are imsx_StatusInfo
        return ob_api.status_info(status, str(message))
    if _wants_json():
        code = code or _code_name(status)
        return jsonify({"error": {"code": code, "message": message}}), status
    template = f"errors/{status}.html" if status in (403, 404) else "errors/error.html"
    return render_template(template, status=status, message=message), status


def _code_name(status: int) -> str:
    return {400: "bad_request", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
            413: "too_large", 422: "unprocessable", 429: "too_many_requests"}.get(status, "error")


def _register_errors(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_failed(error):
        return error_response(400, _l("The form expired or was sent twice. Please try again."),
                              "csrf_failed")

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        return error_response(error.code or 500, _MESSAGES.get(error.code or 500))

    @app.errorhandler(BadgeError)
    def badge_error(error: BadgeError):
        status = http_status(error)
        # Pages speak the reader's language; /api/ clients keep the English message.
        text = _one_line(error) if _wants_json() else _one_line(error, i18n.translated(error))
        return error_response(status, text, type(error).__name__)

    @app.errorhandler(Exception)
    def unexpected(error: Exception):
        app.logger.exception("unhandled error on %s", request.path)
        return error_response(500)


def _one_line(error: Exception, text: str | None = None) -> str:
    return " ".join((str(error) if text is None else text).split()) or type(error).__name__
