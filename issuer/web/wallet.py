"""Getting a badge into a wallet or onto a profile: the claim page and the wallet protocols.

- `/claim/<token>`: the learner's private page (no account), in their language: download the
  badge, add it to a wallet, add it to LinkedIn, see the skill it counts toward.
- `/claim/<token>/record.json` and `/record.pdf`: all the learner's valid badges in one signed
  CLR 2.0 file (for a training centre), and a printable A4 summary with a QR per badge.
- `/claim/<token>/wallet`: fresh, short-lived invitations shown on screen (never on paper):
  the Learner Credential Wallet deep link (`https://lcw.app/request?request=…`, VC-API) with
  its `interaction:` form, and an OpenID4VCI credential offer by reference.
- VC-API exchange (`/wallet/exchanges/<id>`): `POST {}` asks for DIDAuthentication with a
  challenge; `POST {"verifiablePresentation": …}` returns the badge bound to the holder's DID.
- OpenID4VCI 1.0 pre-authorized code flow: issuer and authorization-server metadata under
  `/.well-known/`, offers, token, nonce and credential endpoints under `/oid4vci/`.
Protocol errors are JSON in each protocol's own shape; state lives in the database.
"""

from __future__ import annotations

import json
import math
from datetime import datetime
from urllib.parse import quote, urlencode, urlsplit

import qrcode
import qrcode.image.svg
from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import force_locale, ngettext
from flask_babel import gettext as _
from markupsafe import Markup, escape

from issuer.core.builders import CREDENTIALS_V2, OB_CONTEXT
from issuer.core.clock import utc_seconds
from issuer.rendering import cards as core_cards
from issuer.services import (
    NotFound,
    ServiceError,
    cards,
    claim_links,
    consent,
    europass,
    exchanges,
    learner_record,
    publishing,
    stacking,
    unit_of_work,
)
from issuer.services import claims as claim_service
from issuer.services.claims import ClaimClosed
from issuer.services.exchanges import ExchangeError, OAuthError
from issuer.services.urls import public_url, verify_url
from issuer.web.errors import http_status
from issuer.web.extensions import csrf, settings
from issuer.web.extensions import db as _db
from issuer.web.i18n import translated

bp = Blueprint("wallet", __name__)

BADGE_TYPE = ["VerifiableCredential", "OpenBadgeCredential"]
LCW_REQUEST = "https://lcw.app/request"
LINKEDIN_ADD = "https://www.linkedin.com/profile/add"
OFFER_SCHEME = "openid-credential-offer://"
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
# A presentation, key proof or token request is a few kB; a bigger body would only buy an
# attacker JSON-LD canonicalisation time.
MAX_BODY_BYTES = 64 * 1024
CORS_HEADERS = {"Access-Control-Allow-Origin": "*",
                "Access-Control-Allow-Headers": "Authorization, Content-Type",
                "Access-Control-Allow-Methods": "GET, POST, OPTIONS"}


def _base() -> str:
    return public_url(_db())


@bp.before_request
def _bounded_body() -> None:
    request.max_content_length = MAX_BODY_BYTES


@bp.after_request
def _protocol_headers(response: Response) -> Response:
    """Wallets in browsers call the protocol endpoints cross-origin; the claim pages stay
    private to the learner (never cached, never indexed)."""
    if request.path.startswith(("/claim/",)):
        response.headers.update(NO_STORE)
        response.headers["X-Robots-Tag"] = "noindex"
        response.headers["Referrer-Policy"] = "no-referrer"  # the token is in the path
    else:
        response.headers.update(CORS_HEADERS)
    return response


# --- the claim page ----------------------------------------------------------------------------


@bp.get("/claim/<token>")
def claim_page(token: str):
    """The learner's page: their badge, and every way to keep it or show it.

    Until this browser gave the learner's code, it is the door instead: choose a code (first
    visit), or type it (see `claim_links`). Whoever scanned the back by mistake is sent to the
    front's public page.
    """
    db = _db()
    credential = _claim_credential(token)
    if credential.claim_opened_at is None:  # the first visit writes once; later ones, nothing
        with unit_of_work(db):
            claim_links.note_opened(db, credential)
    language = _claim_language(credential)
    if not _unlocked(credential, token):
        return _door(credential, token, language)
    document = publishing.credential_document(credential)
    return _render("wallet/claim.html", language, token=token, credential=credential,
                   title=publishing.achievement_name(document),
                   issuer_name=(document.get("issuer") or {}).get("name", ""),
                   issued=publishing.human_date(document.get("validFrom"), language),
                   closed=claim_service.can_bind(credential),
                   withdrawn_on=publishing.human_date(credential.revoked_at, language),
                   withdrawn_because=publishing.public_revocation_reason(credential),
                   withdrawn_label=publishing.revocation_label(credential),
                   organisation=credential.organisation,
                   linkedin_url=linkedin_url(credential, document),
                   verify_url=verify_url(credential),
                   skills=stacking.stack_progress(db, credential, language),
                   badges=learner_record.held_badges(db, credential.learner, language)
                   if credential.learner is not None else [],
                   agreed=_agreed(credential.learner))


def _agreed(learner) -> dict[str, bool] | None:
    """The learner's consent answers for "What you agreed to" (none once erased)."""
    if learner is None or learner.erased_at is not None:
        return None
    return consent.answers_of(learner).as_dict()


@bp.post("/claim/<token>/link")
def claim_link(token: str):
    """The learner adds another card's claim link: both cards' badges are shown together."""
    db = _db()
    credential = _claimed(token)
    language = _claim_language(credential)
    other = claim_service.claim_code(request.form.get("other", ""))
    if not _opened_here(other):
        # A card's back alone, handed over with its front, must not join its badges to
        # another person's: the other card is opened with its own code first.
        with force_locale(language):
            flash(_("First open the link on the back of the other card and type its code, in "
                    "this browser. Then add it here."), "error")
        return redirect(url_for(".claim_page", token=token, lang=request.args.get("lang")))
    try:
        with unit_of_work(db):
            claim_service.link_cards(db, token, other)
    except (NotFound, ServiceError):
        with force_locale(language):
            flash(_("We could not open a badge with that link. Check it on the back of the "
                    "card and try again."), "error")
        return redirect(url_for(".claim_page", token=token, lang=request.args.get("lang")))
    with force_locale(language):
        flash(_("Done: the badges of both cards are now shown together."), "success")
    return redirect(url_for(".claim_page", token=token, lang=request.args.get("lang")))


@bp.get("/claim/<token>/record.json")
def claim_record(token: str):
    """Every valid badge of the learner in one signed ClrCredential, as a file to keep."""
    db = _db()
    learner = _claimed_learner(token)
    with unit_of_work(db):
        document = learner_record.clr_document(db, learner)
    body = json.dumps(document, ensure_ascii=False, indent=2)
    return Response(body, mimetype="application/vc+ld+json", headers={
        "Content-Disposition": f'attachment; filename="learner-record-{learner.id}.json"'})


@bp.get("/claim/<token>/europass.jsonld")
def claim_europass(token: str):
    """This badge for Europass: an unsealed European Learning Model credential (ELM 3)."""
    credential = _still_counting(token)
    with unit_of_work(_db()):
        document = europass.badge_document(_db(), credential, _claim_language(credential))
    return _europass_file(document, f"europass-badge-{credential.short_id}.jsonld")


@bp.get("/claim/<token>/record-europass.jsonld")
def claim_record_europass(token: str):
    """Every valid badge of the learner for Europass, as one ELM credential."""
    credential = _claimed(token)
    learner = _claimed_learner(token, credential)
    try:
        with unit_of_work(_db()):
            document = europass.record_document(_db(), learner, _claim_language(credential))
    except NotFound:
        abort(404)  # no valid badge left to put in it
    return _europass_file(document, f"europass-badges-{credential.short_id}.jsonld")


def _europass_file(document: dict, filename: str) -> Response:
    return Response(json.dumps(document, ensure_ascii=False, indent=2),
                    mimetype=europass.MEDIA_TYPE,
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@bp.get("/claim/<token>/record.pdf")
def claim_record_pdf(token: str):
    """A printable summary of the learner's badges, in their language, a QR code per badge."""
    db = _db()
    credential = _claimed(token)
    learner = _claimed_learner(token, credential)
    with unit_of_work(db):
        data = learner_record.summary_pdf(db, learner, language=_claim_language(credential))
    return Response(data, mimetype="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="learner-record-{learner.id}.pdf"'})


@bp.get("/claim/<token>/card.pdf")
def claim_card(token: str):
    """The learner's card again (front only: its back would print their private claim link)."""
    card = cards.card_for(_still_counting(token))
    return _pdf(core_cards.card_pdf([card]), "badge-card.pdf")


@bp.get("/claim/<token>/certificate.pdf")
def claim_certificate(token: str):
    """A one-page A4 certificate of the badge, with the verification QR code."""
    card = cards.card_for(_still_counting(token))
    return _pdf(core_cards.certificate_pdf(card, "A4"), "badge-certificate.pdf")


def _pdf(data: bytes, filename: str) -> Response:
    return Response(data, mimetype="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@bp.get("/claim/<token>/wallet")
def claim_wallet(token: str):
    """Fresh wallet invitations for this badge, as QR codes and links (valid for minutes)."""
    db = _db()
    credential = _claimed(token)
    language = _claim_language(credential)
    if claim_service.can_bind(credential) is not None:
        return _render("wallet/closed.html", language, status=410, token=token,
                       organisation=credential.organisation)
    with unit_of_work(db):
        _exchange, exchange_id = exchanges.open_exchange(db, credential)
        offer = exchanges.create_offer(db, credential)
    lcw_link = lcw_request_url(exchange_url(exchange_id))
    offer_link = credential_offer_url(offer_uri(offer.offer_id))
    return _render("wallet/wallet.html", language, token=token,
                   organisation=credential.organisation,
                   lcw_link=lcw_link, lcw_qr=qr_svg(lcw_link),
                   interaction_link="interaction:" + interaction_url(exchange_id),
                   offer_link=offer_link, offer_qr=qr_svg(offer_link),
                   minutes=int(exchanges.OFFER_LIFETIME.total_seconds() // 60))


def _claim_credential(token: str):
    """The credential behind a claim link, before the learner's code is asked."""
    try:
        credential = claim_service.credential_for_claim(_db(), token)
    except NotFound:
        abort(404)
    if publishing.is_erased(credential):
        abort(410)
    return credential


def _claimed(token: str):
    """The credential behind a claim link, for the browser that gave the learner's code; any
    other is sent to the door (the claim page)."""
    credential = _claim_credential(token)
    if not _unlocked(credential, token):
        abort(redirect(url_for("wallet.claim_page", token=token,
                               lang=request.args.get("lang"))))
    return credential


# --- the door: the learner's code -----------------------------------------------------------------

UNLOCKED_KEY = "claims"
MAX_UNLOCKED = 20  # claim links one browser keeps open (a learner's cards, a family's)


def _link_id(token: str) -> str:
    """What the browser's session keeps of an opened link: never the token itself."""
    return claim_links.token_digest(token)[:32]


def _unlocked(credential, token: str) -> bool:
    return (credential.claim_code_hash is not None
            and _link_id(token) in session.get(UNLOCKED_KEY, []))


def _opened_here(token: str) -> bool:
    """Whether this browser gave the code of the card behind `token` (unknown: False)."""
    try:
        credential = claim_service.credential_for_claim(_db(), token)
    except NotFound:
        return False
    return _unlocked(credential, token)


def _unlock(token: str) -> None:
    opened = [item for item in session.get(UNLOCKED_KEY, []) if item != _link_id(token)]
    session[UNLOCKED_KEY] = [*opened, _link_id(token)][-MAX_UNLOCKED:]


def _door(credential, token: str, language: str, status: int = 200, error: str | None = None
          ) -> Response:
    first_visit = credential.claim_code_hash is None
    return _render("wallet/door.html", language, status=status, token=token,
                   first_visit=first_visit, error=error,
                   low=claim_links.CODE_DIGITS[0], high=claim_links.CODE_DIGITS[1],
                   verify_url=verify_url(credential),
                   organisation=credential.organisation)


@bp.post("/claim/<token>/code")
def claim_choose_code(token: str):
    """First visit: the learner chooses the code that guards this link from now on."""
    csrf.protect()
    db = _db()
    credential = _claim_credential(token)
    language = _claim_language(credential)
    code, again = request.form.get("code", ""), request.form.get("again", "")
    with force_locale(language):
        if code.strip() != again.strip():
            return _door(credential, token, language, 422,
                         _("The two codes are not the same. Type the same code twice."))
        try:
            with unit_of_work(db):
                claim_links.set_code(db, credential, code, settings())
        except claim_links.ClaimCodeError as error:
            return _door(credential, token, language, 422, translated(error))
    _unlock(token)
    return redirect(url_for(".claim_page", token=token, lang=request.args.get("lang")))


@bp.post("/claim/<token>/unlock")
def claim_unlock(token: str):
    """The learner types their code; a wrong one is counted, many wrong ones lock the link."""
    csrf.protect()
    db = _db()
    credential = _claim_credential(token)
    language = _claim_language(credential)
    try:
        with unit_of_work(db):
            right = claim_links.check_code(db, credential, request.form.get("code", ""),
                                           config=settings())
    except claim_links.ClaimCodeLocked as locked:
        with force_locale(language):
            minutes = max(1, math.ceil((locked.until - utc_seconds()).total_seconds() / 60))
            return _door(credential, token, language, 429, ngettext(
                "Too many wrong codes. Try again in %(num)s minute.",
                "Too many wrong codes. Try again in %(num)s minutes.", minutes))
    if not right:
        with force_locale(language):
            return _door(credential, token, language, 403,
                         _("This is not the code. Try again."))
    _unlock(token)
    return redirect(url_for(".claim_page", token=token, lang=request.args.get("lang")))


def _still_counting(token: str):
    """The claimed badge, for what shows it off (card, certificate): a withdrawn badge is 410,
    since a certificate saying "has passed" must not outlive it."""
    credential = _claimed(token)
    if claim_service.can_bind(credential):
        abort(410)
    return credential


def _claimed_learner(token: str, credential=None):
    """The learner a claim token belongs to (404 for a badge without one)."""
    learner = (credential or _claimed(token)).learner
    if learner is None:
        abort(404)
    return learner


def _claim_language(credential) -> str:
    """`?lang=` first, then the learner's own language, then the browser's."""
    learner = credential.learner
    own = (learner.language if learner is not None else None) or credential.language
    if request.args.get("lang"):
        return publishing.reader_language(request.args["lang"], [], own)
    accepted = [value for value, _quality in request.accept_languages]
    return publishing.reader_language(own, accepted, own)


def _render(template: str, language: str, status: int = 200, **context) -> Response:
    g.language = language
    g.language_override = language  # the app's locale selector honours it (issuer.web.i18n)
    with force_locale(language):
        body = render_template(template, lang=language, **context)
    response = Response(body, status=status, mimetype="text/html")
    response.headers["Content-Language"] = language
    return response


def linkedin_url(credential, document: dict) -> str:
    """LinkedIn's add-to-profile link for this badge, pointing at its public /v/ page."""
    issuer = document.get("issuer") or {}
    issued: datetime = credential.valid_from
    params = {"startTask": "CERTIFICATION_NAME", "name": publishing.achievement_name(document),
              "organizationName": issuer.get("name") or credential.organisation.name,
              "issueYear": issued.year, "issueMonth": issued.month}
    if credential.valid_until is not None:
        params.update(expirationYear=credential.valid_until.year,
                      expirationMonth=credential.valid_until.month)
    params.update(certUrl=verify_url(credential), certId=credential.short_id)
    return f"{LINKEDIN_ADD}?{urlencode(params, quote_via=quote)}"


# --- invitations ---------------------------------------------------------------------------------


def exchange_url(exchange_id: str) -> str:
    return f"{_base()}/wallet/exchanges/{exchange_id}"


def interaction_url(exchange_id: str) -> str:
    return f"{_base()}/wallet/interactions/{exchange_id}?iuv=1"


def lcw_request_url(exchange: str) -> str:
    """The Learner Credential Wallet's universal link carrying a VC-API exchange invitation."""
    invitation = {"credentialRequestOrigin": _origin(), "protocols": {"vcapi": exchange}}
    text = json.dumps(invitation, separators=(",", ":"))
    return f"{LCW_REQUEST}?request={quote(text, safe='')}"


def offer_uri(offer_id: str) -> str:
    return f"{_base()}/oid4vci/offers/{offer_id}"


def credential_offer_url(uri: str) -> str:
    """The OID4VCI credential offer by reference, for a QR code or a link to a wallet app."""
    return f"{OFFER_SCHEME}?credential_offer_uri={quote(uri, safe='')}"


def qr_svg(data: str) -> Markup:
    """A QR code as inline SVG (dark on white, scalable), drawn on the server: no JavaScript."""
    image = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathImage, border=4,
                        error_correction=qrcode.constants.ERROR_CORRECT_M)
    svg = image.to_string(encoding="unicode")
    svg = svg.replace('width="', 'data-mm-width="', 1).replace('height="', 'data-mm-height="', 1)
    opening, _end, rest = svg.partition(">")
    label = escape(_("QR code"))
    return Markup(f'{opening} class="qr" role="img" aria-label="{label}">'
                  f'<rect width="100%" height="100%" fill="#ffffff"/>{rest}')


def _origin() -> str:
    parts = urlsplit(_base())
    return f"{parts.scheme}://{parts.netloc}"


def _domain() -> str:
    return urlsplit(_base()).netloc


# --- VC-API exchange (Learner Credential Wallet) ----------------------------------------------


@bp.get("/wallet/interactions/<exchange_id>")
def interaction(exchange_id: str):
    """A VC-API interaction URL: the protocols map as JSON, a short page for people."""
    protocols = {"vcapi": exchange_url(exchange_id)}
    # JSON wins ties: wallets send Accept: application/json, browsers prefer text/html.
    if request.accept_mimetypes.best_match(["application/json", "text/html"]) == "text/html":
        return render_template("wallet/interaction.html", lcw_link=lcw_request_url(
            protocols["vcapi"]))
    return jsonify({"protocols": protocols})


@bp.post("/wallet/exchanges/<exchange_id>")
def exchange(exchange_id: str):
    """`{}` → the DIDAuthentication request; `{"verifiablePresentation"}` → the bound badge."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return _exchange_error("the body must be a JSON object", "invalid_request", 400)
    db = _db()
    try:
        with unit_of_work(db):
            if "verifiablePresentation" not in body:
                return jsonify(_presentation_request(db, exchange_id))
            copy = exchanges.complete_exchange(db, exchange_id, body["verifiablePresentation"],
                                               _domain())
            credential = json.loads(copy.signed_json)
    except ExchangeError as error:
        return _exchange_error(str(error), error.code, http_status(error))
    except ClaimClosed as error:
        return _exchange_error(str(error), "credential_unavailable", http_status(error))
    return jsonify({"verifiablePresentation": {
        "@context": [CREDENTIALS_V2], "type": ["VerifiablePresentation"],
        "verifiableCredential": [credential]}})


def _presentation_request(db, exchange_id: str) -> dict:
    pending = exchanges.exchange_for_request(db, exchange_id)
    return {"verifiablePresentationRequest": {
        "query": [{"type": "DIDAuthentication", "acceptedMethods": [{"method": "key"}],
                   "acceptedCryptosuites": [{"cryptosuite": "Ed25519Signature2020"},
                                            {"cryptosuite": "eddsa-rdfc-2022"}]}],
        "challenge": pending.challenge,
        "domain": _domain(),
        "interact": {"service": [{"type": "UnmediatedPresentationService2021",
                                  "serviceEndpoint": exchange_url(exchange_id)}]},
    }}


def _exchange_error(message: str, code: str, status: int) -> Response:
    response = jsonify({"error": {"code": code, "message": message}})
    response.status_code = status
    response.headers.update(NO_STORE)
    return response


# --- OpenID4VCI 1.0: metadata -----------------------------------------------------------------


@bp.get("/.well-known/openid-credential-issuer")
@bp.get("/.well-known/openid-credential-issuer/<path:tenant>")
def credential_issuer_metadata(tenant: str = ""):
    """Credential Issuer Metadata; `credential_issuer` is PUBLIC_BASE_URL, exactly."""
    _require_issuer_path(tenant)
    base = _base()
    return jsonify({
        "credential_issuer": base,
        "credential_endpoint": f"{base}/oid4vci/credential",
        "nonce_endpoint": f"{base}/oid4vci/nonce",
        "display": [{"name": "SKY Badges", "locale": language}
                    for language in publishing.SUPPORTED_LANGUAGES],
        "credential_configurations_supported": {
            exchanges.LDP_CONFIGURATION: _configuration(
                "ldp_vc", ["eddsa-rdfc-2022"],
                {"@context": [CREDENTIALS_V2, OB_CONTEXT], "type": BADGE_TYPE}),
            exchanges.JWT_CONFIGURATION: _configuration(
                "jwt_vc_json", ["EdDSA"], {"type": BADGE_TYPE}),
        },
    })


def _configuration(format_: str, signing: list[str], definition: dict) -> dict:
    return {
        "format": format_,
        "credential_definition": definition,
        "cryptographic_binding_methods_supported": ["did:key", "did:jwk", "jwk"],
        "credential_signing_alg_values_supported": signing,
        "proof_types_supported": {"jwt": {"proof_signing_alg_values_supported":
                                          ["EdDSA", "ES256"]}},
        "credential_metadata": {"display": [
            {"name": _BADGE_NAMES[language], "locale": language}
            for language in publishing.SUPPORTED_LANGUAGES]},
    }


_BADGE_NAMES = {"en": "Open Badge", "fr": "Open Badge", "nl": "Open Badge", "it": "Open Badge",
                "es": "Insignia Open Badge", "pl": "Odznaka Open Badge"}


@bp.get("/.well-known/oauth-authorization-server")
@bp.get("/.well-known/oauth-authorization-server/<path:tenant>")
def authorization_server_metadata(tenant: str = ""):
    """RFC 8414 metadata: the credential issuer is its own authorization server."""
    _require_issuer_path(tenant)
    base = _base()
    return jsonify({
        "issuer": base,
        "token_endpoint": f"{base}/oid4vci/token",
        "grant_types_supported": [exchanges.PRE_AUTHORIZED_GRANT],
        "token_endpoint_auth_methods_supported": ["none"],
        "pre-authorized_grant_anonymous_access_supported": True,
    })


def _require_issuer_path(tenant: str) -> None:
    """The well-known segment goes between host and path: only our own path is served."""
    if tenant.strip("/") != urlsplit(_base()).path.strip("/"):
        abort(404)


# --- OpenID4VCI 1.0: offer, token, nonce, credential ------------------------------------------


@bp.get("/oid4vci/offers/<offer_id>")
def credential_offer(offer_id: str):
    """The Credential Offer object a `credential_offer_uri` points at."""
    try:
        document = exchanges.offer_document(_db(), offer_id, _base(), settings().secret_key)
    except ExchangeError as error:
        return _exchange_error(str(error), error.code, http_status(error))
    response = jsonify(document)
    response.headers.update(NO_STORE)
    return response


@bp.post("/oid4vci/token")
def token():
    """Token endpoint for the pre-authorized code grant (form-encoded, anonymous access)."""
    if request.mimetype != "application/x-www-form-urlencoded":
        return _oauth_error(OAuthError("invalid_request",
                                       "send the token request as application/x-www-form-"
                                       "urlencoded"))
    db = _db()
    try:
        with unit_of_work(db):
            access_token, lifetime = exchanges.redeem_code(db, request.form.to_dict())
    except OAuthError as error:
        if error.offer_id is not None:
            with unit_of_work(db):
                exchanges.count_tx_code_failure(db, error.offer_id)
        return _oauth_error(error)
    response = jsonify({"access_token": access_token, "token_type": "Bearer",
                        "expires_in": lifetime})
    response.headers.update(NO_STORE)
    return response


@bp.post("/oid4vci/nonce")
def nonce():
    """A fresh c_nonce for the key proof (no authentication; never cached)."""
    db = _db()
    with unit_of_work(db):
        value = exchanges.new_nonce(db)
    response = jsonify({"c_nonce": value})
    response.headers.update(NO_STORE)
    return response


@bp.post("/oid4vci/credential")
def credential():
    """Credential endpoint: Bearer access token, one jwt key proof, the badge bound to it."""
    db = _db()
    try:
        with unit_of_work(db):
            offer = exchanges.offer_for_token(db, request.headers.get("Authorization"))
            if request.mimetype != "application/json":
                raise OAuthError("invalid_credential_request",
                                 "the credential request must be application/json")
            body = exchanges.issue_to_wallet(db, offer, request.get_json(silent=True), _base())
    except OAuthError as error:
        return _oauth_error(error)
    response = jsonify(body)
    response.headers.update(NO_STORE)
    return response


def _oauth_error(error: OAuthError) -> Response:
    """RFC 6749 §5.2 / RFC 6750 §3 / OID4VCI error responses, never cached."""
    body = {"error": error.error, "error_description": str(error)} if error.error else {}
    response = jsonify(body)
    response.status_code = http_status(error)
    response.headers.update(NO_STORE)
    if response.status_code == 401:
        challenge = "Bearer"
        if error.error:
            challenge += f' error="{error.error}", error_description="{error}"'
        response.headers["WWW-Authenticate"] = challenge
    current_app.logger.info("wallet protocol refused: %s", error.error or "no token")
    return response
