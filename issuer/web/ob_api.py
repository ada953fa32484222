"""The 1EdTech Open Badges 3.0 API (`/ims/ob/v3p0/*`): an OAuth 2.0 resource server whose
resource owner is a learner without an account.

- `GET discovery`: the service description document (an OpenAPI document, unprotected).
- `POST register` (RFC 7591), `GET authorize`, `POST token`, `POST revoke` (RFC 7009).
- `GET/POST credentials`, `GET/PUT profile`: a Bearer access token with the scope each needs.
- The learner's side: `authorize` asks for the link on the back of their card; the consent
  page is `/claim/<token>/connect`, behind the learner's code like every claim page; the claim
  page lists the hosts they connected, each with a button to disconnect it.
API errors are `imsx_StatusInfo` documents; the OAuth endpoints answer RFC 6749's JSON.
The use cases live in `services.oauth` and `services.ob_api`; docs/OB-API.md tells the choices.
"""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit, urlunsplit

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    request,
    session,
    url_for,
)
from flask_babel import force_locale
from flask_babel import gettext as _

from issuer.core.clock import utc_seconds
from issuer.services import claim_links, oauth, ob_api, ob_push, publishing, unit_of_work
from issuer.services import claims as claim_service
from issuer.services.oauth import OAuthProblem, TokenRefused
from issuer.services.ob_api import ApiRefused
from issuer.services.urls import public_url
from issuer.store import ratelimit
from issuer.web.extensions import csrf
from issuer.web.extensions import db as _db
from issuer.web.wallet import NO_STORE, _claim_language, _claimed, _render

bp = Blueprint("ob_api", __name__)

BASE = ob_api.BASE_PATH
PENDING_KEY = "ob_authorize"  # the authorization request waiting for the learner's answer
MAX_BODY_BYTES = 128 * 1024
REGISTRATION_WINDOW = 3600
JSON_TYPES = ("application/json", "application/ld+json", "application/vc+ld+json")


@bp.before_request
def _bounded_body() -> None:
    request.max_content_length = MAX_BODY_BYTES


@bp.after_request
def _private(response: Response) -> Response:
    if not request.path.endswith(("/discovery", "/policies")):
        response.headers.update(NO_STORE)
    if request.path.startswith("/claim/"):
        response.headers["X-Robots-Tag"] = "noindex"
        response.headers["Referrer-Policy"] = "no-referrer"
    return response


# --- errors ------------------------------------------------------------------------------------

STATUS_MINOR = {400: "invalid_data", 401: "unauthorizedrequest", 403: "forbidden",
                404: "not_found", 405: "not_allowed", 406: "not_acceptable",
                413: "invalid_data", 415: "invalid_data", 422: "invalid_data",
                429: "server_busy", 500: "internal_server_error"}


def status_info(status: int, description: str, minor: str | None = None) -> Response:
    """An `imsx_StatusInfo` error document (OB 3.0 §API), with `status`."""
    body = {"imsx_codeMajor": "failure", "imsx_severity": "error",
            "imsx_description": description,
            "imsx_codeMinor": {"imsx_codeMinorField": [{
                "imsx_codeMinorFieldName": "TargetEndSystem",
                "imsx_codeMinorFieldValue": minor or STATUS_MINOR.get(status, "unknown")}]}}
    response = jsonify(body)
    response.status_code = status
    response.headers.update(NO_STORE)
    return response


def is_api_path(path: str) -> bool:
    """Whether `path` is an API resource answered with imsx_StatusInfo errors (pages are not)."""
    return path.startswith(BASE + "/") and not path.startswith(
        (BASE + "/authorize", BASE + "/policies", BASE + "/push/"))


def _refused(error: TokenRefused) -> Response:
    status = 403 if error.error == "insufficient_scope" else 401
    response = status_info(status, str(error), "forbidden" if status == 403
                           else "unauthorizedrequest")
    challenge = "Bearer"
    if error.error:
        challenge += f' error="{error.error}"'
    response.headers["WWW-Authenticate"] = challenge
    return response


def _oauth_error(problem: OAuthProblem, status: int = 400) -> Response:
    response = jsonify({"error": problem.error, "error_description": str(problem)})
    response.status_code = 401 if problem.error == "invalid_client" else status
    if response.status_code == 401:
        response.headers["WWW-Authenticate"] = 'Basic realm="ob"'
    response.headers.update(NO_STORE)
    return response


# --- discovery and policies -----------------------------------------------------------------------


@bp.get(f"{BASE}/discovery")
def discovery():
    """getServiceDescription: never protected, cacheable for an hour."""
    response = jsonify(ob_api.service_description(_db()))
    response.cache_control.public = True
    response.cache_control.max_age = 3600
    response.add_etag()  # clients SHOULD honour Cache-Control and ETag (OB 3.0 §API)
    return response.make_conditional(request)


@bp.get(f"{BASE}/policies")
def policies():
    """What a host may do with a learner's badges once connected (terms, and privacy)."""
    return _render("ob_api/policies.html", _reader_language())


def _reader_language() -> str:
    accepted = [value for value, _quality in request.accept_languages]
    return publishing.reader_language(request.args.get("lang"), accepted, "en")


# --- registration, token, revocation -------------------------------------------------------------


@bp.post(f"{BASE}/register")
def register():
    """Dynamic client registration (RFC 7591), limited per address and hour."""
    db = _db()
    limit = oauth.REGISTRATIONS_PER_HOUR
    if not ratelimit.hit(db, f"ob-register:{request.remote_addr or 'unknown'}", limit,
                         REGISTRATION_WINDOW, utc_seconds()):
        return _oauth_error(OAuthProblem("too_many_requests", "too many registrations from "
                                         "this address: try again in an hour"), 429)
    if len(request.get_data()) > oauth.MAX_REGISTRATION_BYTES:
        return _oauth_error(OAuthProblem("invalid_client_metadata", "the metadata is too large"))
    try:
        with unit_of_work(db):
            registration = oauth.register_client(db, request.get_json(silent=True))
            body = oauth.registration_response(registration)
    except OAuthProblem as problem:
        return _oauth_error(problem)
    response = jsonify(body)
    response.status_code = 201
    return response


@bp.post(f"{BASE}/token")
def token():
    """The token endpoint: client_secret_basic; authorization_code with PKCE, refresh_token."""
    db = _db()
    if request.mimetype != "application/x-www-form-urlencoded":
        return _oauth_error(OAuthProblem("invalid_request",
                                         "send application/x-www-form-urlencoded"))
    try:
        with unit_of_work(db):
            client = oauth.authenticate_client(db, request.headers.get("Authorization"))
            tokens = oauth.exchange_token(db, client, request.form.to_dict())
    except OAuthProblem as problem:
        if problem.replayed_grant is not None:  # withdrawn in its own transaction
            with unit_of_work(db):
                oauth.withdraw(db, problem.replayed_grant)
        return _oauth_error(problem)
    return jsonify(tokens.as_dict())


@bp.post(f"{BASE}/revoke")
def revoke():
    """RFC 7009 token revocation: the token's grant is withdrawn; 200 whatever the token."""
    db = _db()
    try:
        with unit_of_work(db):
            client = oauth.authenticate_client(db, request.headers.get("Authorization"))
            oauth.revoke_token(db, client, request.form.get("token"))
    except OAuthProblem as problem:
        return _oauth_error(problem)
    return Response(status=200)


# --- authorization: the learner's consent ------------------------------------------------------


@bp.get(f"{BASE}/authorize")
def authorize():
    """Check the host's request, keep it for the learner, and ask for their card."""
    db = _db()
    language = _reader_language()
    try:
        client, pending = oauth.check_authorization_request(db, request.args.to_dict())
    except OAuthProblem as problem:
        if problem.redirect:
            return redirect(_back_to_client(request.args["redirect_uri"], {
                "error": problem.error, "error_description": str(problem),
                "state": request.args.get("state")}))
        return _render("ob_api/authorize.html", language, status=400, client=None,
                       problem=True)
    session[PENDING_KEY] = pending.as_dict()
    return _render("ob_api/authorize.html", language, client=client, problem=False,
                   scopes=pending.scope)


@bp.post(f"{BASE}/authorize")
def authorize_with_card():
    """The learner typed the link (or code) on the back of their card: on to their consent."""
    csrf.protect()
    if PENDING_KEY not in session:
        abort(400)
    token = claim_service.claim_code(request.form.get("card", ""))
    if not token:
        abort(400)
    return redirect(url_for(".connect", token=token, lang=request.args.get("lang")))


@bp.get("/claim/<token>/connect")
def connect(token: str):
    """The consent page: who asks, for what, in the learner's language (behind their code)."""
    credential = _claimed(token)
    language = _claim_language(credential)
    client, pending = _pending()
    if client is None or credential.learner is None:
        return redirect(url_for("wallet.claim_page", token=token, lang=request.args.get("lang")))
    response = _render("ob_api/consent.html", language, token=token, client=client,
                       scopes=pending.scope, organisation=credential.organisation)
    # The answer goes back to the host: the form may lead there (CSP form-action).
    parts = urlsplit(pending.redirect_uri)
    response.headers["Content-Security-Policy"] = (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
        f"form-action 'self' {parts.scheme}://{parts.netloc}")
    return response


@bp.post("/claim/<token>/connect")
def connect_answer(token: str):
    """The learner's answer: a code for the host, or access_denied; back to the host."""
    csrf.protect()
    db = _db()
    credential = _claimed(token)
    client, pending = _pending()
    if client is None or credential.learner is None:
        abort(400)
    session.pop(PENDING_KEY, None)
    if request.form.get("answer") != "allow":
        return redirect(_back_to_client(pending.redirect_uri, {
            "error": "access_denied", "state": pending.state}))
    with unit_of_work(db):
        code = oauth.approve(db, credential.learner, pending)
    return redirect(_back_to_client(pending.redirect_uri, {"code": code, "state": pending.state}))


@bp.post("/claim/<token>/hosts/<int:grant_id>/disconnect")
def disconnect(token: str, grant_id: int):
    """The learner withdraws a host's access from their claim page."""
    csrf.protect()
    db = _db()
    credential = _claimed(token)
    if credential.learner is None:
        abort(404)
    with unit_of_work(db):
        done = oauth.disconnect(db, credential.learner, grant_id)
    if not done:
        abort(404)
    with force_locale(_claim_language(credential)):
        flash(_("Done: this website can no longer see your badges."), "success")
    return redirect(url_for("wallet.claim_page", token=token, lang=request.args.get("lang")))


def _pending():
    """The registered client and the request kept in this browser's session, or (None, None)."""
    kept = session.get(PENDING_KEY)
    if not isinstance(kept, dict):
        return None, None
    try:
        client, pending = oauth.check_authorization_request(_db(), {
            **kept, "response_type": "code", "code_challenge_method": "S256"})
    except OAuthProblem:
        return None, None
    return client, pending


def _back_to_client(redirect_uri: str, params: dict) -> str:
    parts = urlsplit(redirect_uri)
    extra = urlencode({k: v for k, v in params.items() if v is not None})
    query = f"{parts.query}&{extra}" if parts.query else extra
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, ""))


@bp.app_template_global()
def ob_connections(credential) -> dict:
    """For the claim page: the hosts the learner connected, and a host waiting for an answer."""
    learner = credential.learner
    hosts = oauth.connected_hosts(_db(), learner) if learner is not None else []
    client, _pending_request = _pending()
    return {"hosts": hosts, "waiting": client}


# --- the reverse: the learner sends their badges to another platform's API ---------------------


@bp.post("/claim/<token>/push")
def push(token: str):
    """Register with the platform the learner named; show them the way to its consent page."""
    csrf.protect()
    db = _db()
    credential = _claimed(token)
    language = _claim_language(credential)
    try:
        with unit_of_work(db):
            url = ob_push.start(db, credential, request.form.get("platform", ""),
                                ob_push.fetcher_for(db))
    except ob_push.PushFailed as error:
        current_app.logger.info("OB 3.0 push refused: %s", error)
        with force_locale(language):
            flash(_("We could not connect to this platform. Check its address, or ask it "
                    "whether it accepts Open Badges 3.0."), "error")
        return redirect(url_for("wallet.claim_page", token=token, lang=request.args.get("lang")))
    return _render("ob_api/push.html", language, token=token, url=url,
                   platform=urlsplit(url).netloc, organisation=credential.organisation)


@bp.get(f"{BASE}/push/callback")
def push_callback():
    """The platform sends the learner back: send their badges, then back to their badge."""
    db = _db()
    state, code = request.args.get("state", ""), request.args.get("code")
    try:
        with unit_of_work(db):
            if not code:
                credential, result = ob_push.cancel(db, state), None
            else:
                credential, result = ob_push.finish(db, state, code, ob_push.fetcher_for(db))
            token = claim_links.printable_token(db, credential)
    except ob_push.PushFailed as error:
        current_app.logger.info("OB 3.0 push failed: %s", error)
        return _render("ob_api/push_failed.html", _reader_language(), status=400)
    with force_locale(_claim_language(credential)):
        if result is None:
            flash(_("Nothing was sent."), "success")
        else:
            flash(_("Sent: %(platform)s accepted %(kept)s of your %(sent)s badges.",
                    platform=result.platform, kept=result.kept, sent=result.sent),
                  "success" if result.kept == result.sent else "error")
    return redirect(url_for("wallet.claim_page", token=token))


# --- the resources -------------------------------------------------------------------------------


@bp.get(f"{BASE}/credentials")
def get_credentials():
    """getCredentials: a page of the learner's credentials, X-Total-Count and Link headers."""
    db = _db()
    try:
        grant = oauth.grant_for_token(db, request.headers.get("Authorization"),
                                      oauth.CREDENTIAL_READ)
        page = ob_api.get_credentials(db, grant, request.args.get("limit"),
                                      request.args.get("offset"), request.args.get("since"))
    except TokenRefused as error:
        return _refused(error)
    except ApiRefused as error:
        return status_info(error.status, str(error), error.minor)
    response = jsonify(page.body)
    response.headers["X-Total-Count"] = str(page.total)
    links = _links(page)
    if links:
        response.headers["Link"] = links
    return response


def _links(page: ob_api.CredentialsPage) -> str:
    """RFC 8288 links to the first, previous, next and last pages (OB 3.0 §API paging)."""
    base = public_url(_db(), f"{BASE}/credentials")
    since = request.args.get("since")

    def link(offset: int, rel: str) -> str:
        query = {"limit": page.limit, "offset": offset} | ({"since": since} if since else {})
        return f'<{base}?{urlencode(query)}>; rel="{rel}"'

    last = max(0, (page.total - 1) // page.limit * page.limit)
    found = [link(0, "first")]
    if page.offset > 0:
        found.append(link(max(0, page.offset - page.limit), "prev"))
    if page.offset + page.limit < page.total:
        found.append(link(page.offset + page.limit, "next"))
    found.append(link(last, "last"))
    return ", ".join(found)


@bp.post(f"{BASE}/credentials")
def upsert_credential():
    """upsertCredential: 201 when kept anew, 200 when it replaced the same id; body echoed."""
    db = _db()
    try:
        with unit_of_work(db):
            grant = oauth.grant_for_token(db, request.headers.get("Authorization"),
                                          oauth.CREDENTIAL_UPSERT)
            compact = request.mimetype == "text/plain"
            if not compact and request.mimetype not in JSON_TYPES:
                raise ApiRefused("send the credential as application/json, or a VC-JWT as "
                                 "text/plain", 415, "invalid_data")
            kept, created = ob_api.upsert_credential(db, grant, request.get_data(),
                                                     compact=compact)
    except TokenRefused as error:
        return _refused(error)
    except ApiRefused as error:
        return status_info(error.status, str(error), error.minor)
    response = Response(kept, mimetype="text/plain") if compact else jsonify(kept)
    response.status_code = 201 if created else 200
    return response


@bp.get(f"{BASE}/profile")
def get_profile():
    """getProfile: only what the learner lets a connected host see."""
    return _profile(oauth.PROFILE_READ, lambda db, grant: ob_api.get_profile(db, grant))


@bp.put(f"{BASE}/profile")
def put_profile():
    """putProfile: the learner's name, from a whole Profile."""
    def update(db, grant):
        if request.mimetype not in JSON_TYPES:
            raise ApiRefused("send the profile as application/json", 415, "invalid_data")
        return ob_api.put_profile(db, grant, request.get_data())

    return _profile(oauth.PROFILE_UPDATE, update)


def _profile(scope: str, act) -> Response:
    db = _db()
    try:
        with unit_of_work(db):
            grant = oauth.grant_for_token(db, request.headers.get("Authorization"), scope)
            profile = act(db, grant)
    except TokenRefused as error:
        return _refused(error)
    except ApiRefused as error:
        return status_info(error.status, str(error), error.minor)
    return jsonify(profile)

