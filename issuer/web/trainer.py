"""The trainer's pages: sessions → learners → evaluate each gesture → Save / Issue → cards.

Made for a phone in a workshop: one column, big targets, no JavaScript needed. An evaluation is
never lost: Save (and Issue) store it first, in its own transaction; issuing is a second step
that may refuse ("not yet: …") without touching what was saved, and that returns the same
credential when pressed twice.
"""

from __future__ import annotations

import hashlib
import io
import json
import uuid as uuid_module
from datetime import date
from pathlib import Path
from urllib.parse import quote

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    send_from_directory,
    url_for,
)
from flask_babel import force_locale, ngettext
from flask_babel import gettext as _
from flask_wtf.csrf import generate_csrf
from PIL import Image, ImageOps
from sqlalchemy import select
from werkzeug.utils import secure_filename
from wtforms import SelectChoice

from issuer.domain.catalogue import MicroTraining
from issuer.rendering import cards
from issuer.services import (
    NotIssuable,
    catalogue,
    claim_links,
    claims,
    consent,
    issuing,
    mail,
    publishing,
    rosters,
    stacking,
    submissions,
    tables,
    unit_of_work,
)
from issuer.services import cards as card_service
from issuer.services.intake import not_yet_gestures, unanswered_gestures
from issuer.services.urls import verify_path, verify_url
from issuer.store.models import (
    Assessment,
    Credential,
    EvidenceFile,
    Learner,
    TrainingSession,
    User,
)
from issuer.store.stacking_models import SkillAward

from .auth import current_user, login_required
from .extensions import db, settings
from .forms import (
    PHOTO_FORMATS,
    ConfirmForm,
    KnownLearnerForm,
    LearnerForm,
    RosterForm,
    SessionForm,
    assessment_form,
    image_format,
)
from .i18n import current_language, plural_forms, translated

bp = Blueprint("trainer", __name__, url_prefix="/trainer")

PHOTO_MAX_SIDE = 2000  # pixels: plenty for evidence, and keeps phone photos small
SAVE, ISSUE = "save", "issue"
KNOWN_LEARNERS_SHOWN = 500  # the pick-list of earlier learners; a pilot partner has fewer


# --- guards ----------------------------------------------------------------------------------


def _own(record):
    """The record if it belongs to the user's organisation: 404 if missing, 403 if another's."""
    if record is None:
        abort(404)
    if record.organisation_id != current_user().organisation_id:
        abort(403)
    return record


def _own_session(session_id: int) -> TrainingSession:
    return _own(db().get(TrainingSession, session_id))


def _enrolment(training_session: TrainingSession, learner_id: int) -> Assessment:
    """The learner's assessment in this session (a learner is in a session through it)."""
    assessment = db().scalar(select(Assessment).where(
        Assessment.session_id == training_session.id, Assessment.learner_id == learner_id))
    if assessment is None:
        abort(404)
    return assessment


def _credential_of(assessment: Assessment) -> Credential | None:
    return db().scalar(select(Credential).where(Credential.assessment_id == assessment.id))


# --- the installable app: manifest, service worker, the queue's token --------------------------

OFFLINE_ASSETS = Path(__file__).parent / "static" / "trainer"


@bp.route("/sw.js")
def service_worker():
    """The service worker, served from /trainer/ so that its scope covers the trainer's pages."""
    response = send_from_directory(OFFLINE_ASSETS, "sw.js", mimetype="text/javascript",
                                   max_age=0)
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.route("/manifest.webmanifest")
def manifest():
    """The web app manifest: the trainer's pages installed on a phone's home screen."""
    icon = "trainer/icon-{}.png"
    body = {
        "name": _("SKY Badges — trainer"),
        "short_name": "SKY Badges",
        "lang": current_language(),
        "start_url": url_for(".index"),
        "scope": url_for(".index"),
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": "#1d4f91",
        "icons": [
            {"src": url_for("static", filename=icon.format(size)), "sizes": f"{size}x{size}",
             "type": "image/png", "purpose": purpose}
            for size, purpose in ((192, "any"), (512, "any"), (512, "maskable"))
        ],
    }
    response = Response(json.dumps(body, ensure_ascii=False),
                        mimetype="application/manifest+json")
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.route("/offline/token")
@login_required("trainer")
def queue_token():
    """A fresh CSRF token for the evaluations queued on the phone, asked for when they are sent
    (a token in a page cached hours ago may belong to a session that has ended). Signed out:
    the log-in redirect, and the queue waits for the trainer to sign in again."""
    return jsonify({"csrf_token": generate_csrf()})


@bp.app_template_global()
def offline_texts() -> dict:
    """What the queue's script says, in the reader's language (it holds no texts of its own)."""
    return {
        "waiting": plural_forms("{count} evaluation waiting to be sent",
                                "{count} evaluations waiting to be sent"),
        "sent": plural_forms("{count} evaluation sent", "{count} evaluations sent"),
        "offline": _("No network: evaluations are kept on this phone and sent when the network "
                     "returns."),
        "kept": _("Kept on this phone: %(learner)s. It will be sent when the network returns.",
                  learner="{learner}"),
        "signIn": _("Your session has ended: sign in again to send them. Nothing is lost."),
        "signInLink": _("Sign in"),
        "sending": _("Sending…"),
        "sendNow": _("Send now"),
        "refused": _("Not sent: %(learner)s. Open the evaluation to check it.",
                     learner="{learner}"),
        "open": _("Open"),
        "discard": _("Discard"),
        "clear": _("Hide this list"),
        "waitingMark": _("Waiting to be sent"),
        "learnersWaiting": plural_forms("{count} new learner waiting to be sent",
                                        "{count} new learners waiting to be sent"),
        "newLearnerMark": _("Added on this phone: to evaluate"),
        "photoTooLarge": _("The photos for %(learner)s were too large to send: the evaluation "
                           "was sent without them.", learner="{learner}"),
    }


# --- sessions --------------------------------------------------------------------------------


@bp.route("/")
@login_required("trainer")
def index():
    """The organisation's sessions, the most recent first, and skill badges awaiting a click."""
    sessions = db().scalars(
        select(TrainingSession)
        .where(TrainingSession.organisation_id == current_user().organisation_id)
        .order_by(TrainingSession.starts_on.desc(), TrainingSession.id.desc())
    ).all()
    pending = stacking.pending_awards(db(), current_user().organisation_id)
    return render_template("trainer/index.html", sessions=sessions,
                           names={s.id: _training_name(s) for s in sessions},
                           pending=[(award, _skill_name(award)) for award in pending],
                           confirm=ConfirmForm())


def _skill_name(award: SkillAward) -> str:
    return stacking.skill_of(award.template).name_in(current_user().language or "en")


@bp.route("/awards/<int:award_id>/confirm", methods=("POST",))
@login_required("trainer")
def confirm_award(award_id: int):
    """The trainer's click: issue a skill badge that was waiting (a second click: the same)."""
    award = _own(db().get(SkillAward, award_id))
    if not ConfirmForm().validate_on_submit():
        abort(400)
    learner_name, skill_name = award.learner.name, _skill_name(award)
    try:
        with unit_of_work(db()):
            badge = stacking.confirm_award(db(), award.id, current_user())
    except NotIssuable as error:
        flash(_("No skill badge was issued: %(reason)s.", reason=translated(error)), "error")
        return redirect(url_for(".index"))
    flash(_("Skill badge “%(skill)s” issued to %(name)s.", skill=skill_name, name=learner_name),
          "success")
    return redirect(url_for(".credential", uuid=badge.uuid))


@bp.route("/sessions/new", methods=("GET", "POST"))
@login_required("trainer")
def new_session():
    """Create a session of a micro-training from the imported catalogue."""
    user = current_user()
    form = SessionForm(language=user.organisation.default_language, starts_on=date.today(),
                       ends_on=date.today())
    form.template.choices = _template_choices(user.organisation, user.language or "en")
    if not form.template.choices:
        flash(_("The catalogue is empty: ask your administrator to import it."), "error")
    if form.validate_on_submit():
        with unit_of_work(db()):
            training_session = TrainingSession(
                organisation_id=user.organisation_id, template_pk=form.template.data,
                trainer_id=user.id, title=form.title.data or None, place=form.place.data or None,
                language=form.language.data, starts_on=form.starts_on.data,
                ends_on=form.ends_on.data)
            db().add(training_session)
        return redirect(url_for(".session", session_id=training_session.id))
    return render_template("trainer/session_new.html", form=form)


def _standings(training_session: TrainingSession, training: MicroTraining) -> list[tuple]:
    """(assessment, credential or None, state) for each learner of the session, in order."""
    rows = db().execute(
        select(Assessment, Credential)
        .outerjoin(Credential, Credential.assessment_id == Assessment.id)
        .where(Assessment.session_id == training_session.id)
        .order_by(Assessment.id)
    ).all()
    return [(assessment, credential, _state(training, assessment, credential))
            for assessment, credential in rows]


def _next_to_evaluate(training_session: TrainingSession, learner_id: int) -> Assessment | None:
    """The next learner still to evaluate after `learner_id` (round the list), if any: one
    learner, one screen, then straight on to the next."""
    return next(iter(_to_evaluate_after(training_session, learner_id)), None)


def _to_evaluate_after(training_session: TrainingSession,
                       learner_id: int | None) -> list[Assessment]:
    """The learners still to evaluate, in the order they come after `learner_id` (round; all
    of them in order when None)."""
    training = catalogue.training_of(training_session.template)
    standings = _standings(training_session, training)
    if learner_id is None:
        around = standings
    else:
        here = next((i for i, (a, _c, _s) in enumerate(standings)
                     if a.learner_id == learner_id), 0)
        around = standings[here + 1:] + standings[:here]
    return [a for a, _credential, state in around if state == "to-evaluate"]


def _template_choices(organisation, language: str) -> list[SelectChoice]:
    # Only the versions this organisation issues from: its own, the shared catalogue's, and
    # those it adopted of partners' trainings.
    templates = sorted(catalogue.issuable_templates(db(), organisation),
                       key=lambda t: (t.theme or "", t.template_id))
    return [SelectChoice(t.id, catalogue.training_of(t).name_in(language)) for t in templates]


def _training_name(training_session: TrainingSession) -> str:
    return catalogue.training_of(training_session.template).name_in(training_session.language)


@bp.route("/sessions/<int:session_id>")
@login_required("trainer")
def session(session_id: int):
    """The learners of a session, each with where their evaluation stands, and quick-add."""
    training_session = _own_session(session_id)
    training = catalogue.training_of(training_session.template)
    learners = _standings(training_session, training)
    return render_template(
        "trainer/session.html", training_session=training_session, training=training,
        learners=learners, form=LearnerForm(), known=_known_learner_form(training_session),
        in_conflict=submissions.learners_in_conflict(db(), training_session.id),
        client_id=str(uuid_module.uuid4()),
        issued=sum(1 for _a, credential, _s in learners if credential is not None))


def _state(training: MicroTraining, assessment: Assessment, credential) -> str:
    """issued / revoked / ready / not-yet / to-evaluate: what the list shows beside a learner."""
    if credential is not None:
        return "revoked" if credential.revoked_at else "issued"
    known = {g.id: {lvl.id for lvl in g.levels} for g in training.gestures}
    levels = {k: v for k, v in assessment.levels.items() if v in known.get(k, ())}
    if training.is_validated(levels):
        return "ready"
    acquired = sum(1 for g in training.gestures if g.id in levels and g.is_acquired(levels[g.id]))
    open_questions = len(training.gestures) - len(levels)
    # A gesture without an answer is still to evaluate, not a failure: "not yet" only once the
    # answers given already rule the badge out.
    if open_questions and acquired + open_questions >= training.gestures_needed:
        return "to-evaluate"
    return "not-yet"


def _known_learner_form(training_session: TrainingSession) -> KnownLearnerForm:
    form = KnownLearnerForm()
    enrolled = select(Assessment.learner_id).where(Assessment.session_id == training_session.id)
    known = db().scalars(
        select(Learner)
        .where(Learner.organisation_id == training_session.organisation_id,
               Learner.erased_at.is_(None), Learner.id.not_in(enrolled))
        .order_by(Learner.name, Learner.id).limit(KNOWN_LEARNERS_SHOWN)
    ).all()
    form.learner.choices = [SelectChoice(learner.id, f"{learner.name} ({learner.email})"
                                         if learner.email else learner.name)
                            for learner in known]
    return form


@bp.route("/sessions/<int:session_id>/learners/known", methods=("POST",))
@login_required("trainer")
def add_known_learner(session_id: int):
    """Enrol a learner the organisation already knows (same person, badges that stack)."""
    training_session = _own_session(session_id)
    form = _known_learner_form(training_session)
    if not form.validate_on_submit():
        flash(_("Choose a learner from the list."), "error")
        return redirect(url_for(".session", session_id=session_id))
    with unit_of_work(db()):
        issuing.save_assessment(db(), training_session.id, form.learner.data, {}, {}, None,
                                current_user())
    return redirect(url_for(".assessment", session_id=session_id, learner_id=form.learner.data))


@bp.route("/sessions/<int:session_id>/learners", methods=("POST",))
@login_required("trainer")
def add_learner(session_id: int):
    """Quick-add: a learner with just a name joins the session and is evaluated next.

    The form carries a client id, so the addition is made once however often it arrives: the
    phone's queue sends a learner added offline (a walk-in) when the network returns, and asks
    for JSON (`Accept: application/json`) to learn where their evaluation lives.
    """
    training_session = _own_session(session_id)
    form = LearnerForm()
    session_page = url_for(".session", session_id=session_id)
    if not form.validate_on_submit():
        problems = [error for errors in form.errors.values() for error in errors]
        if _wants_json():
            return _answer("invalid", _("Not sent: the new learner %(learner)s. %(problems)s",
                                        learner=form.name.data or "…",
                                        problems=" ".join(problems)),
                           session_page, 422, category="error")
        for problem in problems:
            flash(problem, "error")
        return redirect(session_page)
    client_id = request.form.get("client_id") or str(uuid_module.uuid4())
    # The badge is issued in the learner's language: the session's unless they chose one.
    learner = submissions.NewLearner(form.name.data, form.email.data or None,
                                     form.language.data or training_session.language,
                                     form.answers())
    with unit_of_work(db()):
        receipt = submissions.enrol(db(), training_session, client_id, learner, current_user())
    record = receipt.submission.assessment
    page = url_for(".assessment", session_id=session_id, learner_id=record.learner_id)
    if not _wants_json():
        return redirect(page)
    return jsonify({"outcome": "added", "next": page, "version": record.version,
                    "message": _("Added: %(learner)s.", learner=record.learner.name)})


@bp.route("/sessions/<int:session_id>/learners/new")
@login_required("trainer")
def walk_in(session_id: int):
    """The evaluation of a learner added on the phone while the network was away: a blank
    form the queue's script fills with their name (kept for offline like the other pages);
    the evaluation is sent after the learner, when the network returns."""
    training_session = _own_session(session_id)
    training = catalogue.training_of(training_session.template)
    following = [url_for(".assessment", session_id=session_id, learner_id=item.learner_id)
                 for item in _to_evaluate_after(training_session, None)]
    return render_template("trainer/walk_in.html", form=assessment_form(
        training, training_session.language), training=training,
        training_session=training_session, language=training_session.language,
        evidence={}, following=following, photos_allowed=True, walk_in=True)


@bp.route("/sessions/<int:session_id>/roster", methods=("GET", "POST"))
@login_required("trainer")
def roster(session_id: int):
    """Import the session's learners from a file before the training: all rows or none."""
    training_session = _own_session(session_id)
    form = RosterForm()
    problems, file_error = [], None
    if form.validate_on_submit():
        try:
            with unit_of_work(db()):
                done = rosters.import_roster(db(), training_session, form.file.data.read(),
                                             current_user())
        except rosters.RosterRejected as error:
            problems = [(line, translated(message)) for line, message in error.problems]
        except tables.TableError as error:
            file_error = translated(error)
        else:
            flash(ngettext("%(num)s learner added to the session.",
                           "%(num)s learners added to the session.", len(done)), "success")
            return redirect(url_for(".session", session_id=session_id))
    status = 422 if (problems or file_error or form.errors) else 200
    return render_template("trainer/roster.html", form=form, training_session=training_session,
                           problems=problems, file_error=file_error,
                           columns=rosters.COLUMNS), status


@bp.route("/sessions/<int:session_id>/roster.csv")
@login_required("trainer")
def roster_template(session_id: int):
    """An empty roster with the right columns."""
    _own_session(session_id)
    return Response(rosters.template_csv(), mimetype="text/csv", headers={
        "Content-Disposition": 'attachment; filename="learners.csv"'})


# --- evaluation ------------------------------------------------------------------------------


@bp.route("/sessions/<int:session_id>/learners/<int:learner_id>", methods=("GET", "POST"))
@login_required("trainer")
def assessment(session_id: int, learner_id: int):
    """Evaluate each gesture; Save stores it, Issue stores it and then issues the badge.

    The form carries a client id and the version it was loaded with (the phone's queue sends
    its own id): a replay is answered without saving twice, a stale version is a conflict the
    trainer settles. The queue asks for JSON (`Accept: application/json`) and gets the outcome
    and where to go next instead of a redirect.
    """
    training_session = _own_session(session_id)
    record = _enrolment(training_session, learner_id)
    training = catalogue.training_of(training_session.template)
    language = training_session.language
    credential = _credential_of(record)
    if request.method == "POST" and request.form.get("client_id"):
        return _receive(training_session, record, training)
    if credential is not None:
        if request.method == "POST":  # a resubmitted Issue: the same badge, nothing new
            return redirect(url_for(".credential", uuid=credential.uuid))
        return render_template("trainer/assessment_issued.html", record=record,
                               credential=credential, training=training, language=language,
                               training_session=training_session,
                               can_email_claim=can_email_claim(credential),
                               email_not_agreed=email_not_agreed(credential))
    form = assessment_form(training, language, data=_initial(record, training))
    if request.method == "POST":
        if form.validate_on_submit() or _only_photo_errors(form, training):
            _save(training_session, record, training, form)
            if request.form.get("action") == ISSUE and not form.errors:
                return _issue(record, training, language) or _render(
                    form, record, training, training_session)
            if not form.errors:
                flash(_("Saved: %(learner)s.", learner=record.learner.name), "success")
                return redirect(_after_save(training_session, learner_id))
        return _render(form, record, training, training_session), 422
    return _render(form, record, training, training_session)


def _after_save(training_session: TrainingSession, learner_id: int) -> str:
    following = _next_to_evaluate(training_session, learner_id)
    if following is None:
        return url_for(".session", session_id=training_session.id)
    return url_for(".assessment", session_id=training_session.id,
                   learner_id=following.learner_id)


def _wants_json() -> bool:
    return request.accept_mimetypes.best_match(("text/html", "application/json")) == \
        "application/json"


def _answer(outcome: str, message: str, target: str, status: int = 200, *,
            category: str = "success", record: Assessment | None = None,
            photos: str | None = None):
    """The outcome of a sent evaluation: JSON for the phone's queue, else a flash and a redirect.

    The queue's background sends (`X-Sky-Queue: background`) leave no flash behind: the page
    lists what was sent itself.
    """
    if not _wants_json():
        flash(message, category)
        return redirect(target)
    if request.headers.get("X-Sky-Queue") != "background":
        flash(message, category)
    body = {"outcome": outcome, "message": message, "next": target}
    if photos:
        body["photos"] = photos
    if record is not None:
        body["version"] = record.version
    return jsonify(body), status


def _receive(training_session: TrainingSession, record: Assessment, training: MicroTraining):
    """An evaluation sent with its client id (from the queue, or a form loaded online)."""
    learner = record.learner.name
    page = url_for(".assessment", session_id=training_session.id, learner_id=record.learner_id)
    form = assessment_form(training, training_session.language)
    version = request.form.get("version", "")
    if not form.validate_on_submit() and not _only_photo_errors(form, training):
        if _wants_json():
            return _answer("invalid", _("Not sent: the evaluation of %(learner)s has errors. "
                                        "Open it to correct them.", learner=learner),
                           page, 422, category="error")
        return _render(form, record, training, training_session), 422
    if not version.isdigit() or len(version) > 9:
        abort(400)
    action = ISSUE if request.form.get("action") == ISSUE else SAVE
    with unit_of_work(db()):
        receipt = submissions.receive(
            db(), record, request.form["client_id"], int(version),
            _evaluation(form, training), action, current_user())
        if not receipt.replayed:
            _add_photos(record, training, form)
    db().refresh(record)
    photos = None
    if form.errors and request.headers.get("X-Sky-Queue") == "background":
        # Sent from the queue, the trainer is elsewhere: the evaluation goes on (issued if
        # asked), and the queue says in plain words which photo was not kept and why.
        photos = _photos_not_kept(form, record, training)
    elif form.errors:  # a photo was refused: the rest is saved, the trainer sees why
        if _wants_json():
            return _answer("invalid", _("Not sent: the evaluation of %(learner)s has errors. "
                                        "Open it to correct them.", learner=learner),
                           page, 422, category="error", record=record)
        return _render(form, record, training, training_session), 422
    if receipt.conflict:
        return _answer("conflict", _("%(learner)s was evaluated on another device meanwhile: "
                                     "choose which evaluation stands.", learner=learner),
                       url_for(".conflicts", session_id=training_session.id,
                               learner_id=record.learner_id), 409, category="error",
                       record=record, photos=photos)
    if action == ISSUE:
        return _issue_sent(record, training, training_session.language, page, photos)
    return _answer("saved", _("Saved: %(learner)s.", learner=learner),
                   _after_save(training_session, record.learner_id), record=record,
                   photos=photos)


def _photos_not_kept(form, record: Assessment, training: MicroTraining) -> str:
    """Why the photos sent with an evaluation were not kept, in the trainer's words."""
    learner = record.learner.name
    if not consent.given(record.learner, consent.PHOTO):
        return _("%(learner)s did not agree to photos: the photo was not kept. The evaluation "
                 "was sent.", learner=learner)
    reasons = dict.fromkeys(str(error) for gesture in training.gestures
                            for error in form[f"photo_{gesture.id}"].errors)
    return _("The photo for %(learner)s was not kept: %(reason)s The evaluation was sent.",
             learner=learner, reason=" ".join(reasons))


def _issue_sent(record: Assessment, training: MicroTraining, language: str, page: str,
                photos: str | None = None):
    credential = _credential_of(record)
    if credential is None:
        try:
            with unit_of_work(db()):
                credential = issuing.issue_for_assessment(db(), record.id, current_user())
        except NotIssuable as error:
            db().refresh(record)
            return _answer("not-issued", _not_issued_message(training, record, language, error),
                           page, category="error", record=record, photos=photos)
    return _answer("issued", _("Badge issued: %(learner)s.", learner=record.learner.name),
                   url_for(".credential", uuid=credential.uuid), record=record, photos=photos)


def _render(form, record, training, training_session):
    # Offline, the phone's queue moves on to the next learner it has not evaluated yet.
    following = [url_for(".assessment", session_id=training_session.id,
                         learner_id=item.learner_id)
                 for item in _to_evaluate_after(training_session, record.learner_id)]
    return render_template("trainer/assessment.html", form=form, record=record,
                           training=training, training_session=training_session,
                           language=training_session.language,
                           evidence=_evidence_by_gesture(record), confirm=ConfirmForm(),
                           client_id=str(uuid_module.uuid4()), following=following,
                           in_conflict=bool(submissions.open_conflicts(db(), record)),
                           photos_allowed=consent.given(record.learner, consent.PHOTO),
                           consent_answers=consent.answers_of(record.learner).as_dict(),
                           can_change_consent=current_user().role != "trainer")


def _initial(record: Assessment, training: MicroTraining) -> dict:
    data = {"narrative": record.narrative, "evidence_public": record.evidence_public,
            "activity_start": record.activity_start,
            "activity_end": record.activity_end}
    for gesture in training.gestures:
        data[f"level_{gesture.id}"] = record.levels.get(gesture.id)
        data[f"comment_{gesture.id}"] = record.comments.get(gesture.id)
    return data


def _only_photo_errors(form, training: MicroTraining) -> bool:
    """A rejected photo must not cost the trainer the levels and comments they entered."""
    photo_fields = {f"photo_{gesture.id}" for gesture in training.gestures}
    return bool(form.errors) and set(form.errors) <= photo_fields


def _evaluation(form, training: MicroTraining) -> submissions.Evaluation:
    levels = {g.id: form[f"level_{g.id}"].data for g in training.gestures
              if form[f"level_{g.id}"].data}
    comments = {g.id: form[f"comment_{g.id}"].data.strip() for g in training.gestures
                if (form[f"comment_{g.id}"].data or "").strip()}
    return submissions.Evaluation(
        levels, comments, (form.narrative.data or "").strip() or None,
        bool(form.evidence_public.data), form.activity_start.data, form.activity_end.data)


def _save(training_session: TrainingSession, record: Assessment, training: MicroTraining,
          form) -> None:
    evaluation = _evaluation(form, training)
    with unit_of_work(db()):
        saved = issuing.save_assessment(
            db(), training_session.id, record.learner_id, evaluation.levels,
            evaluation.comments, evaluation.narrative, current_user(),
            activity_start=evaluation.activity_start, activity_end=evaluation.activity_end,
            evidence_public=evaluation.evidence_public)
        _add_photos(saved, training, form)


def _add_photos(record: Assessment, training: MicroTraining, form) -> None:
    # Photos add evidence whichever version of the levels stands: kept even with a conflict.
    # Without the learner's consent none is kept, and the trainer is told so.
    photos_allowed = consent.given(record.learner, consent.PHOTO)
    for gesture in training.gestures:
        field = form[f"photo_{gesture.id}"]
        if f"photo_{gesture.id}" not in form.errors and field.data and field.data.filename:
            if not photos_allowed:
                field.errors = [translated(consent.NO_PHOTO)]  # the rest is saved
                continue
            db().add(_evidence_file(record, gesture.id, field.data))


def _evidence_file(record: Assessment, gesture_id: str, upload) -> EvidenceFile:
    """The photo, re-encoded: turned upright and stripped of its metadata (GPS, device)."""
    data = upload.read()
    media_type = image_format(data, PHOTO_FORMATS)
    with Image.open(io.BytesIO(data)) as image:
        picture = ImageOps.exif_transpose(image)
        picture.thumbnail((PHOTO_MAX_SIDE, PHOTO_MAX_SIDE))
        out = io.BytesIO()
        if media_type == "image/jpeg":
            picture.convert("RGB").save(out, format="JPEG", quality=88)
        else:
            picture.save(out, format="PNG", optimize=True)
    clean = out.getvalue()
    return EvidenceFile(uuid=str(uuid_module.uuid4()), assessment_id=record.id,
                        gesture_id=gesture_id,
                        filename=secure_filename(upload.filename or "")[:255] or "photo",
                        media_type=media_type, data=clean,
                        sha256=hashlib.sha256(clean).hexdigest())


def _issue(record: Assessment, training: MicroTraining, language: str):
    """Issue from the saved assessment; None (with a message) when it cannot be issued yet."""
    try:
        with unit_of_work(db()):
            credential = issuing.issue_for_assessment(db(), record.id, current_user())
    except NotIssuable as error:
        db().refresh(record)
        flash(_not_issued_message(training, record, language, error), "error")
        return None
    return redirect(url_for(".credential", uuid=credential.uuid))


def _not_issued_message(training: MicroTraining, record: Assessment, language: str,
                        error: NotIssuable) -> str:
    unanswered = unanswered_gestures(training, record.levels, language)
    missing = not_yet_gestures(training, record.levels, language)
    if unanswered:
        return _("No badge was issued: %(gestures)s not evaluated yet. The evaluation is saved.",
                 gestures=", ".join(unanswered))
    if missing:
        return _("Not yet: %(gestures)s. The evaluation is saved; no badge was issued.",
                 gestures=", ".join(missing))
    return _("No badge was issued: %(reason)s. The evaluation is saved.",
             reason=translated(error))


def _evidence_by_gesture(record: Assessment) -> dict[str, list[EvidenceFile]]:
    grouped: dict[str, list[EvidenceFile]] = {}
    for item in record.evidence:
        grouped.setdefault(item.gesture_id or "", []).append(item)
    return grouped


@bp.route("/sessions/<int:session_id>/learners/<int:learner_id>/conflicts")
@login_required("trainer")
def conflicts(session_id: int, learner_id: int):
    """Two devices evaluated the same learner: each version side by side, the trainer chooses."""
    training_session = _own_session(session_id)
    record = _enrolment(training_session, learner_id)
    waiting = submissions.open_conflicts(db(), record)
    if not waiting:
        return redirect(url_for(".assessment", session_id=session_id, learner_id=learner_id))
    training = catalogue.training_of(training_session.template)
    return render_template("trainer/conflicts.html", record=record, waiting=waiting,
                           standing=submissions.Evaluation.of(record), training=training,
                           standing_by=db().get(User, record.trainer_id)
                           if record.trainer_id else None,
                           training_session=training_session,
                           language=training_session.language,
                           issued=_credential_of(record), confirm=ConfirmForm())


@bp.route("/sessions/<int:session_id>/learners/<int:learner_id>/conflicts", methods=("POST",))
@login_required("trainer")
def choose_version(session_id: int, learner_id: int):
    """The trainer's choice: `keep` is a submission's id, or "standing" for what stands now."""
    training_session = _own_session(session_id)
    record = _enrolment(training_session, learner_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    keep = request.form.get("keep", "")
    if keep != "standing" and not (keep.isdigit() and len(keep) <= 12):
        abort(400)
    page = url_for(".assessment", session_id=session_id, learner_id=learner_id)
    try:
        with unit_of_work(db()):
            submissions.choose(db(), record, None if keep == "standing" else int(keep),
                               current_user())
    except issuing.AlreadyIssued:
        flash(_("This badge is issued: its evaluation can no longer change. Revoke it to "
                "evaluate again."), "error")
        return redirect(url_for(".conflicts", session_id=session_id, learner_id=learner_id))
    flash(_("Chosen: this evaluation of %(learner)s stands. The other one is kept in the "
            "history.", learner=record.learner.name), "success")
    return redirect(page)


@bp.route("/evidence/<uuid>")
@login_required("trainer")
def evidence(uuid: str):
    """An evidence photo, for the trainer's own organisation only."""
    item = db().scalar(select(EvidenceFile).where(EvidenceFile.uuid == uuid))
    if item is None:
        abort(404)
    _own(item.assessment.session)
    return Response(item.data, mimetype=item.media_type,
                    headers={"Cache-Control": "private, max-age=3600"})


@bp.route("/evidence/<uuid>/delete", methods=("POST",))
@login_required("trainer")
def delete_evidence(uuid: str):
    """Remove a photo from an evaluation that is not issued yet."""
    item = db().scalar(select(EvidenceFile).where(EvidenceFile.uuid == uuid))
    if item is None:
        abort(404)
    record = item.assessment
    _own(record.session)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if _credential_of(record) is not None:
        flash(_("This badge is issued: its evidence can no longer change."), "error")
    else:
        with unit_of_work(db()):
            db().delete(item)
        flash(_("Photo removed."), "success")
    return redirect(url_for(".assessment", session_id=record.session_id,
                            learner_id=record.learner_id))


# --- after issuing ---------------------------------------------------------------------------


def _own_credential(uuid: str) -> Credential:
    return _own(db().scalar(select(Credential).where(Credential.uuid == uuid)))


@bp.route("/credentials/<uuid>")
@login_required("trainer")
def credential(uuid: str):
    """The badge just issued: the link its QR code opens, and the printable card."""
    return _credential_page(_own_credential(uuid))


def _credential_page(issued: Credential, **shown):
    record = db().get(Assessment, issued.assessment_id) if issued.assessment_id else None
    following = (_next_to_evaluate(record.session, record.learner_id)
                 if record is not None else None)
    return render_template("trainer/credential.html", credential=issued,
                           session_id=record.session_id if record is not None else None,
                           next_learner=following,
                           badge_name=publishing.achievement_name(
                               publishing.credential_document(issued)),
                           verify_path=verify_path(issued.short_id),
                           verify_url=verify_url(issued),
                           can_email_claim=can_email_claim(issued),
                           email_not_agreed=email_not_agreed(issued), **shown)


@bp.route("/credentials/<uuid>/claim-link", methods=("POST",))
@login_required("trainer")
def share_claim(uuid: str):
    """The learner's claim link, shown on demand (never in a URL or a log) to copy, text or
    e-mail to them from the trainer's own phone: the same link as on their card."""
    issued = _own_credential(uuid)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    link = _claim_url_to_print(issued)
    if link is None:
        flash(_("This badge can no longer be claimed."), "error")
        return redirect(url_for(".credential", uuid=uuid))
    with force_locale(issued.learner.language if issued.learner else None):
        subject = _("Your badge")
        body = _("Here is your badge. Open this link to keep it on your phone: %(link)s",
                 link=link)
    mailto = (f"mailto:?subject={quote(subject, safe='')}&body={quote(body, safe='')}"
              if consent.given(issued.learner, consent.EMAIL) else None)
    response = _credential_page(
        issued, claim_link=link, sms_url="sms:?&body=" + quote(body, safe=""),
        mailto_url=mailto)
    return response, 200, {"Cache-Control": "no-store"}


def can_email_claim(credential: Credential) -> bool:
    """Whether the "send the claim link by e-mail" button makes sense for this badge."""
    learner = credential.learner
    return (learner is not None and bool(learner.email) and claims.can_bind(credential) is None
            and consent.given(learner, consent.EMAIL) and mail.is_configured(settings()))


def email_not_agreed(credential: Credential) -> bool:
    """Whether the learner has an e-mail address but did not agree to receive the link there:
    the trainer is told so, and offered the card or a text message instead."""
    learner = credential.learner
    return (learner is not None and bool(learner.email)
            and not consent.given(learner, consent.EMAIL))


@bp.route("/credentials/<uuid>/claim-email", methods=("POST",))
@login_required("trainer")
def email_claim(uuid: str):
    """E-mail the learner their claim link: the same link as on the card they hold."""
    issued = _own_credential(uuid)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    refusal = claims.can_bind(issued)
    if refusal is not None:
        flash(_("No e-mail was sent: %(reason)s.", reason=translated(refusal)), "error")
        return redirect(url_for(".credential", uuid=uuid))
    try:
        with unit_of_work(db()):
            mail.email_claim_link(issued, claim_links.printable_token(db(), issued), settings())
    except mail.MailError as error:
        flash(_("No e-mail was sent: %(reason)s.", reason=translated(error)), "error")
    else:
        flash(_("The claim link was sent to %(email)s. It is the same link as on the card.",
                email=issued.learner.email), "success")
    return redirect(url_for(".credential", uuid=uuid))


@bp.route("/credentials/<uuid>/card-lost", methods=("POST",))
@login_required("trainer")
def card_lost(uuid: str):
    """The learner lost their card: its claim link stops working; the next print has a new one."""
    issued = _own_credential(uuid)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    with unit_of_work(db()):
        claim_links.declare_lost(db(), issued, current_user())
    flash(_("The lost card's claim link no longer works. Print the card again for a new one."),
          "success")
    return redirect(url_for(".credential", uuid=uuid))


@bp.route("/credentials/<uuid>/card.pdf", methods=("GET", "POST"))
@login_required("trainer")
def card_pdf(uuid: str):
    """The learner's printable ID-1 card, front and back.

    Printed with POST (the button), the back carries the claim link as its QR code: the same
    link on every print, until the card is declared lost. A GET (no side effect) prints the
    back without a claim code.
    """
    issued = _own_credential(uuid)
    claim = None
    if request.method == "POST":
        if not ConfirmForm().validate_on_submit():
            abort(400)
        claim = _claim_url_to_print(issued)
    response = _pdf(cards.card_pdf([card_service.card_for(issued, claim)], back=True),
                    f"badge-{issued.short_id}.pdf")
    response.headers["Cache-Control"] = "no-store"
    return response


def _claim_url_to_print(issued: Credential) -> str | None:
    """The claim link for the back of a card, or None when the badge can no longer be claimed."""
    if claims.can_bind(issued) is not None:
        return None
    with unit_of_work(db()):
        return claims.claim_url(issued, claim_links.printable_token(db(), issued))


@bp.route("/sessions/<int:session_id>/cards.pdf", methods=("GET", "POST"))
@login_required("trainer")
def session_cards_pdf(session_id: int):
    """A4 sheets of the session's issued cards, with crop marks.

    A GET prints the fronts, ten a page. The buttons POST `backs`: "duplex" (fronts, then their
    backs with each learner's claim link, lined up for a printer that flips on the long edge)
    or "folded" (a single-sided printer: each front beside its back, to fold).
    """
    training_session = _own_session(session_id)
    issued = db().scalars(
        select(Credential).join(Assessment, Credential.assessment_id == Assessment.id)
        .where(Assessment.session_id == training_session.id, Credential.revoked_at.is_(None))
        .order_by(Assessment.id)
    ).all()
    if not issued:
        flash(_("No badge has been issued in this session yet."), "error")
        return redirect(url_for(".session", session_id=session_id))
    backs = "none"
    if request.method == "POST":
        if not ConfirmForm().validate_on_submit():
            abort(400)
        backs = request.form.get("backs", "")
        if backs not in ("duplex", "folded"):
            abort(400)
    claim = {item.id: _claim_url_to_print(item) if backs != "none" else None for item in issued}
    response = _pdf(cards.sheet_pdf([card_service.card_for(item, claim[item.id])
                                     for item in issued], backs),
                    f"session-{training_session.id}-cards.pdf")
    response.headers["Cache-Control"] = "no-store"
    return response


def _pdf(data: bytes, filename: str) -> Response:
    return Response(data, mimetype="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="{filename}"'})
