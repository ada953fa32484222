"""The trainer and admin forms (Flask-WTF: every form carries a CSRF token).

Labels are lazy so they are translated at render time, in the reader's language; the alias `_`
keeps them visible to the default gettext extraction.
"""

from __future__ import annotations

import io

from flask_babel import lazy_gettext as _
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired, FileSize
from PIL import Image, UnidentifiedImageError
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    HiddenField,
    IntegerField,
    PasswordField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
    URLField,
)
from wtforms.validators import (
    URL,
    DataRequired,
    EqualTo,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)

from issuer.core import limits
from issuer.domain.catalogue import MicroTraining
from issuer.languages import LANGUAGES as PROJECT_LANGUAGES
from issuer.services import bulk, retention, revocation, rosters
from issuer.services.consent import PURPOSES, Consent

LANGUAGES = tuple(SelectChoice(code, name) for code, name in PROJECT_LANGUAGES.items())
PHOTO_MAX_BYTES = 5 * 1024 * 1024
LOGO_MAX_BYTES = 1024 * 1024
TOML_MAX_BYTES = 200_000
PHOTO_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png"}


def image_format(data: bytes, allowed: dict[str, str],
                 max_pixels: int = limits.MAX_IMAGE_PIXELS) -> str | None:
    """The media type of `data` if it really is an image in one of the `allowed` formats, of
    at most `max_pixels` pixels (read from its header: nothing is decoded)."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.width * image.height > max_pixels:
                return None
            image.verify()
            return allowed.get(image.format or "")
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError,
            Image.DecompressionBombError):
        return None


def image_pixels(data: bytes) -> int | None:
    """Width × height from the image's header, or None when it is not an image."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            return image.width * image.height
    except Image.DecompressionBombError:
        return Image.MAX_IMAGE_PIXELS * 2 + 1  # Pillow's own refusal: more than twice its limit
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        return None


class ImageContent:
    """Checks the uploaded bytes, not the file name, are a picture of an allowed format and of
    at most `max_pixels` pixels: a small file can decode to gigabytes (a decompression bomb)."""

    def __init__(self, allowed: dict[str, str], message, max_pixels=limits.MAX_IMAGE_PIXELS):
        self.allowed = allowed
        self.message = message
        self.max_pixels = max_pixels

    def __call__(self, form, field):
        upload = field.data
        if not upload or not getattr(upload, "filename", None):
            return
        data = upload.read()
        upload.seek(0)
        pixels = image_pixels(data)
        if pixels is not None and pixels > self.max_pixels:
            raise ValidationError(_("This picture is too large: at most %(megapixels)s "
                                    "megapixels.", megapixels=self.max_pixels // 1_000_000))
        if image_format(data, self.allowed, self.max_pixels) is None:
            raise ValidationError(self.message)


def _email() -> Regexp:
    # A syntax check is enough: nothing is ever sent without the person asking for it.
    return Regexp(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", message=_("This is not an e-mail address."))


def _photo_field(label) -> FileField:
    return FileField(label, render_kw={"accept": "image/jpeg,image/png"}, validators=[
        Optional(),
        FileAllowed(["jpg", "jpeg", "png"], _("Choose a JPEG or PNG photo.")),
        FileSize(PHOTO_MAX_BYTES, message=_("A photo may be at most 5 MB.")),
        ImageContent(PHOTO_FORMATS, _("This file is not a JPEG or PNG photo.")),
    ])


class ConfirmForm(FlaskForm):
    """A button that changes something: carries only the CSRF token."""


# --- trainer ---------------------------------------------------------------------------------


class SessionForm(FlaskForm):
    """A new delivery of a micro-training."""

    template = SelectField(_("Micro-training"), coerce=int, validators=[InputRequired()])
    title = StringField(_("Title (optional)"), validators=[Optional(), Length(max=200)])
    starts_on = DateField(_("First day"), validators=[InputRequired()])
    ends_on = DateField(_("Last day"), validators=[InputRequired()])
    place = StringField(_("Place"), validators=[Optional(), Length(max=200)])
    language = SelectField(_("Language of the session"), choices=LANGUAGES)

    def validate_ends_on(self, field):
        if self.starts_on.data and field.data and field.data < self.starts_on.data:
            raise ValidationError(_("The last day cannot be before the first day."))


class ConsentForm(FlaskForm):
    """The four consent questions, read to the learner; each box stays empty unless they say
    yes (services/consent.py says what each answer allows)."""

    consent_name = BooleanField(_("Their name may be written on the badge"))
    consent_email = BooleanField(_("The link to their badge may be sent to their e-mail"))
    consent_photo = BooleanField(_("Photos of their work may be taken and shown with the badge"))
    consent_statistics = BooleanField(_("They may be counted, without their name, in the "
                                        "project's statistics"))

    def answers(self) -> Consent:
        """The answers ticked."""
        return Consent(**{purpose: bool(self[f"consent_{purpose}"].data)
                          for purpose in PURPOSES})

    def consent_fields(self) -> list:
        return [self[f"consent_{purpose}"] for purpose in PURPOSES]


class LearnerForm(ConsentForm):
    """Quick-add: a name is enough; consent is asked, every answer "no" until ticked."""

    name = StringField(_("Name"), validators=[DataRequired(), Length(max=200)])
    email = EmailField(_("E-mail (optional)"),
                        validators=[Optional(), _email(), Length(max=320)])
    language = SelectField(_("Language (optional)"), choices=[SelectChoice("", "—"), *LANGUAGES],
                           validators=[Optional()])


class KnownLearnerForm(FlaskForm):
    """A learner of an earlier session joins this one: their badges stack into skills."""

    learner = SelectField(_("Learner from an earlier session"), coerce=int,
                          validators=[InputRequired()])


class AssessmentForm(FlaskForm):
    """The evaluation of one learner; gesture fields are added per micro-training."""

    narrative = TextAreaField(_("General comment (optional)"),
                              validators=[Optional(), Length(max=2000)])
    evidence_public = BooleanField(_("The learner agrees that the comments and photos go with "
                                     "the badge, where anyone who checks it can see them"))
    activity_start = DateField(_("From"), validators=[Optional()])
    activity_end = DateField(_("To"), validators=[Optional()])


def assessment_form(training: MicroTraining, language: str, **kwargs) -> AssessmentForm:
    """An evaluation form with, per gesture, a level radio group, a comment and a photo."""

    class Form(AssessmentForm):
        pass

    for gesture in training.gestures:
        choices = [SelectChoice(level.id, level.name_in(language)) for level in gesture.levels]
        setattr(Form, f"level_{gesture.id}", RadioField(
            gesture.name_in(language), choices=choices, validators=[Optional()]))
        setattr(Form, f"comment_{gesture.id}", TextAreaField(
            _("Comment"), validators=[Optional(), Length(max=1000)]))
        setattr(Form, f"photo_{gesture.id}", _photo_field(_("Photo as evidence (optional)")))
    return Form(**kwargs)


# --- admin -----------------------------------------------------------------------------------


class OrganisationForm(FlaskForm):
    """The organisation's public profile, published in every badge it issues."""

    name = StringField(_("Organisation name"), validators=[DataRequired(), Length(max=200)])
    url = URLField(_("Web site"), validators=[Optional(), URL(require_tld=True),
                                                 Length(max=500)])
    email = EmailField(_("Public e-mail"),
                        validators=[Optional(), _email(), Length(max=320)])
    description = TextAreaField(_("Description"), validators=[Optional(), Length(max=2000)])
    country_code = StringField(_("Country code (two letters, e.g. BE)"), validators=[
        DataRequired(), Regexp(r"^[A-Za-z]{2}$", message=_("Two letters, e.g. BE, FR, PL."))])
    street_address = StringField(_("Street and number"),
                                 validators=[Optional(), Length(max=200)])
    postal_code = StringField(_("Postal code"), validators=[Optional(), Length(max=20)])
    region = StringField(_("Region"), validators=[Optional(), Length(max=200)])
    locality = StringField(_("Town or city"), validators=[Optional(), Length(max=200)])
    privacy_email = EmailField(_("E-mail for questions about personal data"),
                               validators=[Optional(), _email(), Length(max=320)])
    default_language = SelectField(_("Default language"), choices=LANGUAGES)
    logo = FileField(_("Logo (PNG, at most 1 MB)"), validators=[
        Optional(),
        FileAllowed(["png"], _("The logo must be a PNG file.")),
        FileSize(LOGO_MAX_BYTES, message=_("The logo may be at most 1 MB.")),
        ImageContent({"PNG": "image/png"}, _("This file is not a PNG image."),
                     limits.MAX_LOGO_PIXELS),
    ])


class NewOrganisationForm(FlaskForm):
    """A partner joining the project, and the address of its first admin."""

    name = StringField(_("Organisation name"), validators=[DataRequired(), Length(max=200)])
    slug = StringField(_("Short name in its addresses (lower case, digits, hyphens)"),
                       validators=[DataRequired(), Length(max=64), Regexp(
                           r"^[a-z0-9]+(-[a-z0-9]+)*$",
                           message=_("Lower-case letters, digits and hyphens, e.g. barka."))])
    country_code = StringField(_("Country code (two letters, e.g. BE)"), validators=[
        DataRequired(), Regexp(r"^[A-Za-z]{2}$", message=_("Two letters, e.g. BE, FR, PL."))])
    default_language = SelectField(_("Default language"), choices=LANGUAGES)
    admin_email = EmailField(_("Its first admin's e-mail"),
                             validators=[DataRequired(), _email(), Length(max=320)])


class TargetForm(FlaskForm):
    """One partner's targets for the pilot (the coordinator's form)."""

    organisation = HiddenField(validators=[DataRequired(), Length(max=64)])
    learners = IntegerField(_("Learners to reach"),
                            validators=[InputRequired(), NumberRange(min=0, max=10_000)])
    micro_trainings = IntegerField(_("Micro-trainings to run"),
                                   validators=[InputRequired(), NumberRange(min=0, max=10_000)])


class FollowUpForm(FlaskForm):
    """A learner's situation 3 or 6 months after the training, as a trainer or adviser heard it."""

    learner = HiddenField(validators=[DataRequired(), Regexp(r"^[0-9]{1,12}$")])
    months = SelectField(_("Follow-up"), choices=[SelectChoice("3", _("At 3 months")),
                                                  SelectChoice("6", _("At 6 months"))])
    situation = SelectField(_("Situation"), choices=[
        SelectChoice("job", _("In a job")),
        SelectChoice("further_training", _("In further training")),
        SelectChoice("volunteering", _("Volunteering")),
        SelectChoice("none", _("None of these")), SelectChoice("unknown", _("Unknown"))])
    observed_on = DateField(_("On"), validators=[InputRequired()])


class TrainerForm(FlaskForm):
    """A new account; its person is invited by e-mail to choose a password."""

    name = StringField(_("Name"), validators=[DataRequired(), Length(max=200)])
    email = EmailField(_("E-mail (used to log in)"),
                        validators=[DataRequired(), _email(), Length(max=320)])
    role = SelectField(_("Role"), choices=[SelectChoice("trainer", _("Trainer")),
                                           SelectChoice("admin", _("Admin"))])
    language = SelectField(_("Language"), choices=LANGUAGES)


class RotateKeyForm(FlaskForm):
    """Generating a new key version needs an explicit confirmation."""

    confirm = BooleanField(_("I understand: new badges will be signed with a new key; earlier "
                             "badges stay verifiable."),
                           validators=[DataRequired(_("Tick the box to confirm."))])


class WithdrawKeyForm(FlaskForm):
    """Withdrawing a compromised key needs an explicit confirmation."""

    confirm = BooleanField(_("I understand: this key will no longer vouch for anything, and "
                             "its badges are re-issued under a new key."),
                           validators=[DataRequired(_("Tick the box to confirm."))])


class TemplateUploadForm(FlaskForm):
    """One micro-training file (TOML) to add to the catalogue."""

    file = FileField(_("Micro-training file (.toml)"), validators=[
        FileRequired(_("Choose a .toml file.")),
        FileAllowed(["toml"], _("The file must end in .toml.")),
        FileSize(TOML_MAX_BYTES, message=_("The file is too large for a micro-training.")),
    ])


class CredentialSearchForm(FlaskForm):
    """Search credentials by learner, micro-training or short id (a GET form: no CSRF)."""

    class Meta:
        csrf = False

    q = StringField(_("Search"), validators=[Optional(), Length(max=200)])
    status = SelectField(_("Status"), default="", validators=[Optional()], choices=[
        SelectChoice("", _("All")), SelectChoice("valid", _("valid")),
        SelectChoice("expired", _("expired")), SelectChoice("revoked", _("revoked"))])


class SuspendForm(FlaskForm):
    """A hold on a badge, or its end: why, in a few words (kept in the audit log only)."""

    reason = TextAreaField(_("Why? (kept in the audit log, not shown to readers)"),
                           validators=[DataRequired(_("Say why.")), Length(max=500)])


class RevokeForm(FlaskForm):
    """Revocation: a reason from the list (every reader sees it in their language), details
    when needed, and a second, explicit confirmation."""

    # "Other reason" with details is what a form without a listed reason means.
    reason_code = SelectField(_("Why is the badge withdrawn?"), default="other",
                              validators=[DataRequired()],
                              choices=[SelectChoice(code, _(label.template))
                                       for code, label in revocation.REASONS.items()])
    reason = TextAreaField(_("Details (kept in the audit log; required for “Other reason”)"),
                           validators=[Length(max=500)])
    # Unchecked by default: a reason may hold personal details.
    public = BooleanField(_("Show this reason on the public verification page"), default=False)
    confirm = BooleanField(_("I confirm: this badge will show as revoked everywhere, for good."),
                           validators=[DataRequired(_("Tick the box to confirm."))])

    def validate_reason(self, field) -> None:
        if self.reason_code.data == "other" and not (field.data or "").strip():
            raise ValidationError(_("Say why the badge is withdrawn."))


class RevokeManyForm(RevokeForm):
    """Revocation of the badges chosen on the list, for one reason."""

    confirm = BooleanField(_("I confirm: these badges will show as revoked everywhere, for good."),
                           validators=[DataRequired(_("Tick the box to confirm."))])


class RetentionForm(FlaskForm):
    """How long the organisation keeps evidence photos and learners' contact data."""

    evidence_retention_months = IntegerField(
        _("Keep evidence photos for (months)"),
        validators=[InputRequired(), NumberRange(retention.MIN_MONTHS, retention.MAX_MONTHS)])
    contact_retention_months = IntegerField(
        _("Keep learners' contact data for (months)"),
        validators=[InputRequired(), NumberRange(retention.MIN_MONTHS, retention.MAX_MONTHS)])


class LearnerSearchForm(FlaskForm):
    """The search box of the learners page (GET: no CSRF token)."""

    class Meta:
        csrf = False

    q = StringField(_("Search"), validators=[Optional(), Length(max=200)])


class EraseForm(FlaskForm):
    """Erasure of a learner's personal data: an explicit confirmation."""

    confirm = BooleanField(_("I confirm: the learner asked for it, and it cannot be undone."),
                           validators=[DataRequired(_("Tick the box to confirm."))])


class TokenForm(FlaskForm):
    """A new API token, its permissions and expiry; the token itself is shown once."""

    name = StringField(_("What the token is for"), validators=[DataRequired(), Length(max=200)])
    read = BooleanField(_("Read badges and training descriptions, verify badges"), default=True)
    issue = BooleanField(_("Issue badges"), default=True)
    revoke = BooleanField(_("Revoke badges"))
    learners = BooleanField(_("Manage learners (add, read, erase)"))
    # Off by default: the VC-API issuer signs any credential the caller writes.
    sign = BooleanField(_("Sign any W3C credential as the organisation (VC-API)"))
    status = BooleanField(_("Revoke or suspend credentials signed through the VC-API"))
    lifetime_days = SelectField(_("Expires after"), coerce=int, default=365, choices=[
        SelectChoice(30, _("30 days")), SelectChoice(90, _("90 days")),
        SelectChoice(365, _("one year"))])

    def scopes(self) -> tuple[str, ...]:
        """The permissions ticked, in the API's scope names."""
        return tuple(name for name in ("read", "issue", "revoke", "learners", "sign", "status")
                     if self[name].data)

    def validate(self, extra_validators=None) -> bool:
        if not super().validate(extra_validators):
            return False
        if not self.scopes():
            self.read.errors.append(_("Tick at least one thing the token may do."))
            return False
        return True


class EndorseForm(FlaskForm):
    """Endorse a micro-training: what the organisation vouches for, then a confirmation."""

    template = SelectField(_("Micro-training"), coerce=int, validators=[InputRequired()])
    comment = TextAreaField(_("What you vouch for (shown with every badge of this training)"),
                            validators=[DataRequired(), Length(min=3, max=2000)])
    confirm = BooleanField(_("I confirm: our organisation signs this endorsement, and badges "
                             "issued from now on will carry it."),
                           validators=[DataRequired(_("Tick the box to confirm."))])


class BulkUploadForm(FlaskForm):
    """A CSV of learners for one session: first a dry run."""

    session = SelectField(_("Session"), coerce=int, validators=[InputRequired()])
    file = FileField(_("CSV file"), validators=[
        FileRequired(_("Choose a CSV file.")),
        FileAllowed(["csv", "txt"], _("The file must end in .csv.")),
        FileSize(bulk.MAX_BYTES, message=_("The file may be at most 300 kB; split it.")),
    ])


class RosterForm(FlaskForm):
    """A session's list of learners, before the training: CSV or spreadsheet."""

    file = FileField(_("List of learners (CSV or .xlsx)"), validators=[
        FileRequired(_("Choose a file.")),
        FileAllowed(["csv", "txt", "xlsx"], _("The file must end in .csv or .xlsx.")),
        FileSize(rosters.MAX_BYTES, message=_("The file may be at most 300 kB; split it.")),
    ])


class BulkConfirmForm(FlaskForm):
    """Confirms a dry run: the same CSV travels back in a hidden field, checked again."""

    session = HiddenField(validators=[DataRequired()])
    csv_text = HiddenField(validators=[DataRequired(), Length(max=bulk.MAX_BYTES * 4 // 3 + 4)])
    filename = HiddenField(validators=[Optional(), Length(max=200)])



# --- a person's own account ------------------------------------------------------------------

PASSWORD_HINT = _("At least 12 characters. A few unrelated words make a strong password that "
                  "is easy to remember.")


class NewPasswordForm(FlaskForm):
    """A new password, typed twice (the rules themselves are the service's)."""

    password = PasswordField(_("New password"), validators=[DataRequired(), Length(max=128)],
                             render_kw={"autocomplete": "new-password"})
    confirm = PasswordField(_("The new password again"), validators=[
        DataRequired(), EqualTo("password", message=_("The two passwords are not the same."))],
        render_kw={"autocomplete": "new-password"})


class InvitationForm(NewPasswordForm):
    """An invited person's name and first password."""

    name = StringField(_("Your name"), validators=[DataRequired(), Length(max=200)],
                       render_kw={"autocomplete": "name"})


class ChangePasswordForm(NewPasswordForm):
    """A signed-in person's new password, with the current one."""

    current = PasswordField(_("Current password"), validators=[DataRequired(), Length(max=128)],
                            render_kw={"autocomplete": "current-password"})


class ResetRequestForm(FlaskForm):
    """The address of an account whose password was forgotten."""

    email = EmailField(_("E-mail"), validators=[DataRequired(), Length(max=320)],
                       render_kw={"autocomplete": "username"})


class CodeForm(FlaskForm):
    """Six digits from an authenticator app."""

    code = StringField(_("Code from your authenticator app"),
                       validators=[DataRequired(), Length(max=12)],
                       render_kw={"autocomplete": "one-time-code", "inputmode": "numeric"})


class RecoveryCodeForm(FlaskForm):
    """One of the recovery codes printed when the second factor was turned on."""

    recovery_code = StringField(_("Recovery code"), validators=[DataRequired(), Length(max=40)],
                                render_kw={"autocomplete": "off", "autocapitalize": "none",
                                           "spellcheck": "false"})
