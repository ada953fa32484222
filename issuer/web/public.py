"""The public side, no login: verification pages, credentials, issuer documents, /verify.

These URLs are printed on paper and resolved by other verifiers, so they never change
(DESIGN.md §5). Documents are cacheable: status lists for 60 seconds — the longest a revocation
takes to reach a verifier that honours Cache-Control — and the rest longer.
"""

from __future__ import annotations

import io
import json
import re
import threading
from datetime import UTC, datetime

from cachetools import LRUCache
from flask import (
    Blueprint,
    Response,
    abort,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import force_locale
from flask_babel import gettext as _
from PIL import Image
from werkzeug.exceptions import RequestEntityTooLarge

from issuer.core import baking, limits, ob2
from issuer.core.clock import utc_seconds
from issuer.core.errors import BadgeError, LimitError
from issuer.languages import LANGUAGES
from issuer.services import (
    catalogue,
    keys,
    ob2_export,
    pictures,
    publishing,
    retention,
    sd_jwt_vc,
    status_lists,
    verification,
)
from issuer.services.urls import former_base, public_url
from issuer.store import ratelimit
from issuer.web import i18n
from issuer.web.capacity import RETRY_AFTER_SECONDS, verification_slot
from issuer.web.extensions import app_config, count_view, csrf, reader, settings
from issuer.web.extensions import db as _db

bp = Blueprint("public", __name__)

VERIFY_MAX_BYTES = 2 * 1024 * 1024
# Per client address and minute, in the database so every worker shares the count. Config:
# PUBLIC_VERIFY_RATE_LIMIT (POST /verify), PUBLIC_PAGE_RATE_LIMIT (/v/ pages, each verifies).
VERIFY_RATE_LIMIT = 30
PAGE_RATE_LIMIT = 120
RATE_WINDOW = 60  # seconds
STATUS_MAX_AGE = 60  # seconds: the documented revocation propagation time
DOCUMENT_MAX_AGE = 300
CREDENTIAL_MAX_AGE = 3600

VC_JSON = "application/vc+ld+json"
LD_JSON = "application/ld+json"
JSON = "application/json"
HTML = "text/html"
IMAGE_TYPES = {"png": "image/png", "svg": "image/svg+xml"}
THUMBNAIL_SIZES = (96, 192)  # the verification page's picture at 1x and 2x (srcset)
_COMPACT_JWS = re.compile(r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$")


# --- helpers ---------------------------------------------------------------------------------


@bp.context_processor
def _template_helpers() -> dict:
    copied = app_config("SKY_STATIC_EXPORT", None)  # the day of a static copy (static_site.py)
    return {"language_names": LANGUAGES, "static_copy_on": publishing.human_date(
        copied.isoformat(), g.get("language", "en")) if copied else None}


def _language(fallback: str = "en") -> str:
    accepted = [value for value, _quality in request.accept_languages]
    requested = request.args.get("lang") or session.get("language")  # the switcher's choice
    return publishing.reader_language(requested, accepted, fallback)


def _render(template: str, language: str, status: int = 200, **context) -> Response:
    """Render in `language` (Babel's locale forced)."""
    context.update(lang=language, languages=publishing.SUPPORTED_LANGUAGES,
                   base_url=settings().public_base_url)
    g.language = language  # base.html's <html lang>
    with force_locale(language):
        body = render_template(template, **context)
    # A stranger's credential may hold lone surrogates (JSON's "\ud800"): shown as "?".
    return _html(body.encode("utf-8", "replace"), language, status)


def _html(body: bytes, language: str, status: int = 200) -> Response:
    response = Response(body, status=status, mimetype="text/html")
    response.headers["Content-Language"] = language
    response.vary.add("Accept-Language")
    return response


def _wanted(*offers: str) -> str:
    """The best of `offers` for this request's Accept header (the first on a tie)."""
    best = request.accept_mimetypes.best_match(offers, default=offers[0])
    return best or offers[0]


def _document(text: str | bytes, mimetype: str, max_age: int, etag: str | None = None) -> Response:
    """A cacheable public document with an ETag, answering If-None-Match with 304."""
    response = Response(text, mimetype=mimetype)
    response.set_etag((etag or publishing.etag_for(text)).strip('"'))
    response.cache_control.public = True
    response.cache_control.max_age = max_age
    response.headers["Access-Control-Allow-Origin"] = "*"  # verifiers run in browsers too
    return response.make_conditional(request)


def _json_text(document: dict) -> str:
    return json.dumps(document, ensure_ascii=False, indent=2)


def _public_url(endpoint: str, **values) -> str:
    """The canonical URL of a public page, on PUBLIC_BASE_URL whatever host was asked."""
    return public_url(_db(), url_for(endpoint, **values))


def _client_allowed(bucket: str, default_limit: int) -> bool:
    limit = app_config(f"PUBLIC_{bucket.upper()}_RATE_LIMIT", default_limit)
    key = f"{bucket}:{request.remote_addr or 'unknown'}"
    if bucket == "page":  # read often: counted in batches while the client is far from it
        return ratelimit.hit_batched(_db(), key, limit, RATE_WINDOW, utc_seconds())
    return ratelimit.hit(_db(), key, limit, RATE_WINDOW, utc_seconds())


# --- /: what this service is, and where each kind of visitor goes ------------------------------


@bp.get("/")
def home():
    """The front door: check a badge by its printed code, or sign in to issue badges."""
    return _render("public/home.html", _language())


@bp.get("/v")
def verification_code():
    """The code typed from a card (the code, the printed line or the URL) → its page."""
    typed = request.args.get("code", "")
    if not typed.strip():
        return redirect(url_for(".home", lang=request.args.get("lang")))
    code = publishing.card_code(typed)
    if code is None or publishing.credential_by_short_id(_db(), code) is None:
        return _unknown_code(typed[:200])
    return redirect(url_for(".verification_page", short_id=code, lang=request.args.get("lang")))


def _unknown_code(typed: str) -> Response:
    """No badge has this code: most likely a typing slip, so the form again with what was typed,
    never a verdict on a badge nobody has seen."""
    return _render("public/home.html", _language(), status=404, typed=typed)


# --- /v/<short_id>: the page a card's QR points to --------------------------------------------


@bp.get("/v/<short_id>")
def verification_page(short_id: str):
    """Verdict first, then what the badge proves; JSON report or credential on request."""
    db = _db()
    read = verification.read_page(reader(), short_id)
    credential = read.credential if read is not None else None
    wanted = _wanted(HTML, JSON, VC_JSON, LD_JSON)
    if credential is None:
        code = publishing.card_code(short_id)
        if code not in (None, short_id) and publishing.credential_by_short_id(db, code):
            return redirect(url_for(".verification_page", short_id=code,
                                    lang=request.args.get("lang")), 301)
        if wanted != HTML:
            return jsonify({"verdict": publishing.NOT_GENUINE,
                            "message": "No credential is published at this address."}), 404
        return _unknown_code(short_id[:200])
    if not _client_allowed("page", PAGE_RATE_LIMIT):
        return _too_many()
    if wanted in (VC_JSON, LD_JSON):
        return _credential_response(credential, wanted)
    now = datetime.now(UTC)
    verdict_key = verification.verdict_key(db, credential, now, read.verdict_state)
    if wanted == JSON:
        response = jsonify(publishing.report_json(
            _verified(db, credential, now, verdict_key)))
    else:
        response = _credential_page(db, credential, now, verdict_key, read.page_state)
        count_view(credential.id)
    response.vary.add("Accept")
    response.cache_control.no_cache = True  # the verdict is live; always re-verify
    return response


def _verified(db, credential, now, verdict_key):
    report = verification.verify_stored_cached(db, credential, now, verdict_key)
    db.commit()  # keeps a status list signed during verification cached for the next reader
    return report


# The page an anonymous reader gets, kept per worker under everything it shows depends on
# (publishing.page_key): an employer's scan costs two small statements, not a render. A signed-in
# reader (their name and log-out form in the header) or a pending message is never cached.
PAGE_CACHE_SIZE = 1024  # pages kept per worker (about 20 kB each)
_pages: LRUCache = LRUCache(PAGE_CACHE_SIZE)
_pages_lock = threading.Lock()


def _credential_page(db, credential, now, verdict_key, page_state) -> Response:
    language = _language(credential.language)
    cacheable = (not session.get("sid") and "_flashes" not in session
                 and set(request.args) <= {"lang"})  # the switcher's links repeat the query
    key = (publishing.page_key(db, credential, verdict_key, now, page_state), language,
           request.args.get("lang", "")[:8], request.script_root, request.path,
           settings().public_base_url) if cacheable else None
    with _pages_lock:
        kept = _pages.get(key) if key else None
    if kept is not None and (kept[1] is None or now < kept[1]):
        return _html(kept[0], language)
    report = _verified(db, credential, now, verdict_key)
    view = publishing.credential_view(db, credential, report, language, _training_of(credential))
    if publishing.is_erased(credential):
        view = publishing.without_personal_data(view)
    response = _render("public/credential.html", language, view=view, credential=credential,
                       page_url=_public_url(".verification_page", short_id=credential.short_id),
                       image_segment=publishing.achievement_segment(credential))
    if key:
        with _pages_lock:
            _pages[key] = (response.get_data(), publishing.page_expiry(view.skills))
    return response


def _training_of(credential):
    """The catalogue's MicroTraining of a credential's template, if it can be read."""
    if credential.template is None:
        return None
    return _catalogue_training(credential.template)


# --- /credentials/<uuid>: the signed credential and its baked images ---------------------------


@bp.get("/credentials/<uuid:uuid>")
def credential_json(uuid):
    """The signed credential, byte for byte as stored."""
    return _signed_document(uuid, VC_JSON)


@bp.get("/credentials/<uuid:uuid>.json")
def credential_download(uuid):
    """The signed credential as a file to keep."""
    response = _signed_document(uuid, JSON)
    response.headers["Content-Disposition"] = f'attachment; filename="badge-{uuid}.json"'
    return response


@bp.get("/credentials/<uuid:uuid>.png")
def credential_png(uuid):
    """The badge image with the signed credential baked in (iTXt)."""
    return _baked_image(_published_credential(uuid), "png")


@bp.get("/credentials/<uuid:uuid>.svg")
def credential_svg(uuid):
    """The badge image as SVG with the signed credential baked in."""
    return _baked_image(_published_credential(uuid), "svg")


def _signed_document(uuid, mimetype: str) -> Response:
    """The stored signed text (one narrow statement), or 404, or 410 once erased."""
    found = publishing.signed_text_by_uuid(reader(), str(uuid))
    if found is None:
        abort(404)
    signed_json, erased = found
    if erased:
        return _gone()
    return _document(signed_json, mimetype, CREDENTIAL_MAX_AGE)


def _published_credential(uuid):
    credential = publishing.credential_by_uuid(reader(), str(uuid))
    if credential is None:
        abort(404)
    if publishing.is_erased(credential):
        abort(_gone())
    return credential


def _credential_response(credential, mimetype: str) -> Response:
    if publishing.is_erased(credential):
        return _gone()
    return _document(credential.signed_json, mimetype, CREDENTIAL_MAX_AGE)


def _gone() -> Response:
    """410 for an erased learner's credential: we no longer publish it; their copy is theirs."""
    message = _("This badge is no longer published: the learner asked for their personal data "
                "to be erased. The copy the learner holds remains theirs.")
    response = jsonify({"error": {"code": "gone", "message": message}})
    response.status_code = 410
    return response


def _baked_image(credential, kind: str) -> Response:
    """Bake only when the client's cached copy is stale: drawing an image costs real time.

    The picture's title is in the reader's language, as on their card and their page."""
    language = _language(credential.language)
    etag = publishing.etag_for(credential.signed_json + kind + language).strip('"')
    if request.if_none_match.contains(etag):
        response = _document(b"", IMAGE_TYPES[kind], CREDENTIAL_MAX_AGE, etag)
    else:
        document = publishing.credential_document(credential)
        bake = baking.bake_png if kind == "png" else baking.bake_svg
        picture = pictures.credential_picture(credential, language, kind)
        response = _document(bake(picture, document), IMAGE_TYPES[kind], CREDENTIAL_MAX_AGE,
                             etag)
        response.headers["Content-Disposition"] = (
            f'inline; filename="badge-{credential.uuid}.{kind}"')
        response.headers["Content-Security-Policy"] = (
            "default-src 'none'; style-src 'unsafe-inline'")
    response.vary.add("Accept-Language")
    return response


# --- Open Badges 2.0 hosted assertions of our badges (services.ob2_export) -------------------


@bp.get("/ob2/assertions/<uuid:uuid>")
def ob2_assertion(uuid):
    """The badge as an OB 2.0 hosted assertion; 410 {"revoked": true} once revoked or while
    suspended; 404 when it names no e-mail (OB 2.0 has no other recipient we could give)."""
    credential = _published_credential(uuid)
    found = ob2_export.assertion(credential)
    if found is None:
        abort(404)
    status, document = found
    # Short-lived like a status list: a revocation must reach OB 2.0 verifiers as fast.
    response = _document(_json_text(document), LD_JSON, STATUS_MAX_AGE)
    response.status_code = status
    return response


@bp.get("/ob2/badgeclasses/<uuid:uuid>")
def ob2_badge_class(uuid):
    """The OB 2.0 BadgeClass of a badge: its signed achievement."""
    return _document(_json_text(ob2_export.badge_class(_published_credential(uuid))), LD_JSON,
                     DOCUMENT_MAX_AGE)


@bp.get("/ob2/issuers/<slug>")
def ob2_issuer(slug: str):
    """The organisation as an OB 2.0 Issuer profile."""
    return _document(_json_text(ob2_export.issuer_profile(_organisation(slug))), LD_JSON,
                     DOCUMENT_MAX_AGE)


# --- issuers, achievements, status lists, evidence --------------------------------------------


@bp.get("/issuers/<slug>")
def issuer_profile(slug: str):
    """The organisation's OB Profile: JSON for machines, a page for people."""
    org = _organisation(slug)
    profile = publishing.profile_document(org)
    wanted = _wanted(HTML, JSON, LD_JSON)
    if wanted != HTML:
        response = _document(_json_text(profile), wanted, DOCUMENT_MAX_AGE)
    else:
        language = _language(org.default_language)
        response = _render("public/issuer.html", language, org=org, profile=profile,
                           country=publishing.country_name(org.country_code, language),
                           page_url=_public_url(".issuer_profile", slug=slug))
    response.vary.add("Accept")
    return response


@bp.get("/issuers/<slug>/privacy")
def privacy_notice(slug: str):
    """The organisation's privacy notice for its learners, built from its profile."""
    org = _organisation(slug)
    language = _language(org.default_language)
    response = _render("public/privacy.html", language, org=org,
                       country=publishing.country_name(org.country_code, language),
                       contact=org.privacy_email or org.email,
                       periods=retention.periods_of(org))
    response.cache_control.public = True
    response.cache_control.max_age = DOCUMENT_MAX_AGE
    return response


@bp.get("/issuers/<slug>/did.json")
def issuer_did_document(slug: str):
    """The did:web DID document, listing every key version so old badges keep verifying."""
    document = keys.published_did_document(reader(), slug, former_base(reader(), request.host))
    if document is None:
        abort(404)
    wanted = _wanted("application/did+json", JSON, "application/did+ld+json", LD_JSON)
    response = _document(_json_text(document), wanted, DOCUMENT_MAX_AGE)
    response.vary.add("Accept")
    return response


@bp.get("/issuers/<slug>/logo.png")
def issuer_logo(slug: str):
    """The organisation's logo, as referenced from its Profile."""
    org = _organisation(slug)
    if not org.logo_png:
        abort(404)
    return _document(org.logo_png, "image/png", DOCUMENT_MAX_AGE)


def _organisation(slug: str):
    org = publishing.organisation_by_slug(_db(), slug)
    if org is None:
        abort(404)
    return org


@bp.get("/achievements/<segment>")
@bp.get("/achievements/<segment>/<language>")
def achievement(segment: str, language: str | None = None):
    """The Achievement of a catalogue entry in one language: JSON for machines, or a page.

    `segment` is either the id a credential names (`<template>--<version>--<language>`) or a
    template id, whose current version is shown in `language`, `?lang=` or the reader's.
    """
    db = _db()
    template, language = _achievement_template(db, segment, language)
    document = publishing.achievement_document(db, template, language)
    if document is None:
        abort(404)
    wanted = _wanted(HTML, JSON, LD_JSON)
    if wanted != HTML:
        response = _document(_json_text(document), wanted, DOCUMENT_MAX_AGE)
    else:
        shown = document.get("inLanguage") or language
        response = _render("public/achievement.html", shown, achievement=document,
                           segment=segment)
    response.vary.add("Accept")
    return response


@bp.get("/achievements/<segment>/image.png")
def achievement_image(segment: str):
    """The achievement's picture, unbaked and small (`?size=96|192`): what /v/ shows.

    The baked PNG carries the whole credential (tens of kB); an employer on a weak phone
    connection needs only the picture. A versioned segment never changes, so it caches long.
    """
    size = request.args.get("size", THUMBNAIL_SIZES[0], type=int)
    if size not in THUMBNAIL_SIZES:
        abort(404)
    db = _db()
    template, language = _achievement_template(db, segment, None)
    own = pictures.catalogue_image(template, "png")
    etag = publishing.etag_for(
        f"{template.id}|{language}|{size}|{template.theme}|" + (
            publishing.etag_for(own) if own is not None else "drawn")).strip('"')
    versioned = "--" in segment
    max_age = CREDENTIAL_MAX_AGE if versioned else DOCUMENT_MAX_AGE
    if request.if_none_match.contains(etag):
        response = _document(b"", "image/png", max_age, etag)
    else:
        response = _document(_thumbnail(db, template, language, own, size), "image/png",
                             max_age, etag)
    if not versioned:
        response.vary.add("Accept-Language")  # the drawn title is in the reader's language
    return response


def _catalogue_training(template):
    """The catalogue's MicroTraining of a template, or None (skills, unreadable files)."""
    if template.kind != "training":
        return None
    try:
        return catalogue.training_of(template)
    except BadgeError:
        return None


def _thumbnail(db, template, language: str, own: bytes | None, size: int) -> bytes:
    """The catalogue's PNG fitted in `size`, else the badge drawn at `size` with its title."""
    if own is None:
        document = publishing.achievement_document(db, template, language)
        if document is None:
            abort(404)
        own = pictures.picture(template, language, "png", size,
                               title=str(document.get("name") or "Open Badge"))
    return _small_png(own, size)


def _small_png(data: bytes, size: int) -> bytes:
    """A PNG fitted in `size` pixels square, in 256 colours: a quarter of the bytes, and at
    96 px the eye sees no difference (a catalogue image may be 1000 px wide)."""
    with Image.open(io.BytesIO(data)) as picture:
        picture = picture.convert("RGBA")
        picture.thumbnail((size, size), Image.Resampling.LANCZOS)
        out = io.BytesIO()
        picture.quantize(256, method=Image.Quantize.FASTOCTREE).save(out, "PNG", optimize=True)
    return out.getvalue()


def _achievement_template(db, segment: str, language: str | None):
    if "--" in segment:
        try:
            template, issued_in = catalogue.template_for_achievement(db, segment)
        except BadgeError:
            abort(404)
        return template, language or request.args.get("lang") or issued_in
    template = publishing.current_template(db, segment)
    if template is None:
        abort(404)
    accepted = [value for value, _quality in request.accept_languages]
    fallback = publishing.template_default_language(template)
    requested = language or request.args.get("lang")
    return template, publishing.reader_language(requested, accepted, fallback)


@bp.get("/status/<uuid:uuid>")
def status_list(uuid):
    """The signed BitstringStatusListCredential; cached for STATUS_MAX_AGE seconds."""
    db = reader()
    found = publishing.signed_status_text(db, str(uuid))  # not the bits: the signed text has them
    if found is None:
        abort(404)
    if former := former_base(db, request.host):
        # Badges issued under a former address expect the list issued by the did:web there.
        found = publishing.status_list_by_uuid(db, str(uuid))
        signed = _json_text(status_lists.signed_status_list(db, found, base=former))
        response = _document(signed, _wanted(VC_JSON, JSON, LD_JSON), STATUS_MAX_AGE,
                             f'"{found.uuid}-{found.revision}-{former}"')
        response.vary.add("Accept")
        return response
    if not found.signed_json or found.signed_revision != found.revision:
        db = _db()  # a write: in a transaction of its own
        found = publishing.status_list_by_uuid(db, str(uuid))
        status_lists.signed_status_list(db, found)
        db.commit()  # keep the signature cached for this revision
    wanted = _wanted(VC_JSON, JSON, LD_JSON)
    response = _document(found.signed_json, wanted, STATUS_MAX_AGE,
                         f'"{found.uuid}-{found.signed_revision}"')
    response.vary.add("Accept")
    return response


@bp.get("/evidence/<uuid:uuid>")
def evidence(uuid):
    """An evidence file (a photo) referenced from a signed credential."""
    found = publishing.evidence_by_uuid(_db(), str(uuid))
    if found is None or not found.assessment.evidence_public:
        abort(404)  # a photo the learner did not agree to publish is not there for anyone
    response = _document(found.data, found.media_type, CREDENTIAL_MAX_AGE,
                         f'"{found.sha256[:32]}"')
    disposition = "inline" if found.media_type.startswith("image/") else "attachment"
    response.headers["Content-Disposition"] = f'{disposition}; filename="evidence-{uuid}"'
    # A trainer's upload is served from our origin: it must never run as a page.
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


# --- /verify: any OB 3.0 credential -----------------------------------------------------------


class UnusableInput(Exception):
    """What was pasted or uploaded is not a credential we can read (HTTP 400)."""


@bp.get("/verify")
def verify_form():
    """A form to paste a credential (JSON or JWT) or upload a file."""
    return _render("public/verify.html", _language(), max_mb=VERIFY_MAX_BYTES // (1024 * 1024))


@bp.post("/verify")
@csrf.exempt  # public and read-only: no session to protect, and API clients have no token
def verify_submit():
    """Verify what was pasted or uploaded; a result page, or the report as JSON."""
    wants_json = _wanted(HTML, JSON) == JSON
    if not _client_allowed("verify", VERIFY_RATE_LIMIT):
        return _too_many(wants_json)
    request.max_content_length = VERIFY_MAX_BYTES
    try:
        source = _submitted_credential()
    except RequestEntityTooLarge:
        return _refuse(413, _("The file is larger than %(mb)d MB.",
                              mb=VERIFY_MAX_BYTES // (1024 * 1024)), wants_json)
    except UnusableInput as error:
        return _refuse(400, str(error), wants_json)
    if sd_jwt_vc.looks_like_sd_jwt(source):
        return _verify_sd_jwt(source, wants_json)
    with verification_slot(settings().verify_slots) as free:
        if not free:
            return _busy(wants_json)
        report = verification.verify_any(source, db=_db())
    if wants_json:
        return jsonify(publishing.report_json(report))
    language = _language()
    if report.standard == ob2.STANDARD:
        view = publishing.assertion_view(report, language)
    else:
        view = publishing.document_view(_displayed_document(source, report), report, language)
    return _render("public/verify_result.html", language, view=view,
                   view_format=report.proof_format)


MAX_EXPECTED_CHARS = 512  # the nonce and audience a verifier types in


def _verify_sd_jwt(presentation: str, wants_json: bool) -> Response:
    """An SD-JWT VC presentation: its own report, with the nonce and audience the verifier
    expects (optional; without them the page says the key binding's freshness is unproven)."""
    nonce = (request.form.get("nonce") or request.args.get("nonce") or "").strip()
    audience = (request.form.get("audience") or request.args.get("audience") or "").strip()
    if len(nonce) > MAX_EXPECTED_CHARS or len(audience) > MAX_EXPECTED_CHARS:
        return _refuse(400, _("The nonce and the audience are limited to %(count)d characters.",
                              count=MAX_EXPECTED_CHARS), wants_json)
    with verification_slot(settings().verify_slots) as free:
        if not free:
            return _busy(wants_json)
        report = sd_jwt_vc.verify_presentation(_db(), presentation, nonce or None,
                                               audience or None)
    if wants_json:
        return jsonify(report.as_json())
    return _render("public/verify_sd_jwt.html", _language(), report=report,
                   status=200 if report.error is None else 422)


def _submitted_credential() -> dict | str:
    """The credential from the form: a JSON object or a compact JWT; raises UnusableInput."""
    upload = request.files.get("file")
    if upload is not None and upload.filename:
        return _read_upload(upload.filename, upload.read())
    if request.is_json:
        body = request.get_data(as_text=True)
    else:
        body = request.form.get("credential", "")
    return _read_text(body)


def _read_upload(filename: str, data: bytes) -> dict | str:
    if not data:
        raise UnusableInput(_("The file is empty."))
    if data.startswith(baking.PNG_SIGNATURE) or filename.lower().endswith((".png", ".svg")):
        try:
            if baking.is_ob2_image(data):
                return ob2.BakedAssertion(baking.extract_ob2(data))
            return baking.extract(data)
        except BadgeError as error:
            raise UnusableInput(
                _("This image holds no credential we can read: %(reason)s",
                  reason=str(error))) from None
    try:
        return _read_text(data.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise UnusableInput(_("The file is not a JSON credential, a JWT, or a PNG or SVG "
                              "badge image.")) from None


def _read_text(text: str) -> dict | str:
    text = text.strip()
    if not text:
        raise UnusableInput(_("Paste a credential or choose a file to verify."))
    if (_COMPACT_JWS.match(text) or sd_jwt_vc.looks_like_sd_jwt(text)
            or ob2.is_assertion_url(text)):
        return text
    if text.startswith("<"):
        return _read_upload("pasted.svg", text.encode("utf-8"))
    try:
        document = limits.parse_json(text)
    except LimitError as error:
        raise UnusableInput(i18n.translated(error)) from None
    except json.JSONDecodeError as error:
        raise UnusableInput(_("This is not valid JSON (line %(line)d, column %(column)d: "
                              "%(reason)s).", line=error.lineno, column=error.colno,
                              reason=error.msg)) from None
    if not isinstance(document, dict):
        raise UnusableInput(_("A credential is a JSON object ({…}), not a list or a value."))
    return document


def _displayed_document(source: dict | str, report) -> dict:
    """The credential to describe on the result page: the JSON, or the JWT's `vc` claims."""
    if isinstance(source, dict):
        return source
    data = publishing.report_json(report)
    credential = data.get("credential")
    if isinstance(credential, dict):
        return credential
    return publishing.jwt_claims(source)


def _refuse(status: int, message: str, wants_json: bool) -> Response:
    if wants_json:
        response = jsonify({"error": {"code": "bad_request" if status == 400 else "too_large",
                                      "message": message}})
        response.status_code = status
        return response
    return _render("public/verify.html", _language(), status=status, error=message,
                   max_mb=VERIFY_MAX_BYTES // (1024 * 1024))


def _busy(wants_json: bool) -> Response:
    message = _("The verifier is busy. Please try again in a few seconds.")
    if wants_json:
        response = jsonify({"error": {"code": "busy", "message": message}})
    else:
        response = _render("public/message.html", _language(), status=503, message=message)
    response.status_code = 503
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def _too_many(wants_json: bool = False) -> Response:
    message = _("Too many verifications from your address. Please wait a minute and try again.")
    if wants_json:
        response = jsonify({"error": {"code": "too_many_requests", "message": message}})
    else:
        response = _render("public/message.html", _language(), status=429, message=message)
    response.status_code = 429
    response.headers["Retry-After"] = str(RATE_WINDOW)
    return response

