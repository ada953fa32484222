"""Helpers the tests share, imported like any module (fixtures live in the conftest files).

Test data (vectors, the test catalogue, fixed secrets), a `World` to issue in, the real log-in
form's CSRF round trip, and the common steps: evaluate, issue, count what is stored.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from urllib.parse import quote

from babel.support import NullTranslations
from sqlalchemy import create_engine, func, select, text

from issuer.services import stacking, unit_of_work
from issuer.services.accounts import create_user
from issuer.services.catalogue import current_templates, import_catalogue, training_of
from issuer.services.issuing import issue_for_assessment, save_assessment
from issuer.services.keys import active_key
from issuer.services.learners import create_learner
from issuer.store.db import normalise_url
from issuer.store.models import Credential, Organisation, TrainingSession
from issuer.store.stacking_models import SkillAward

VECTORS = Path(__file__).parent / "vectors"
TEST_CATALOGUE = Path(__file__).parent / "services" / "catalogue"
TEST_PASSWORD = "correct horse battery staple"
BASE_URL = "https://badges.example.org"
SMTP_PASSWORD = "s3cret-smtp-passw0rd"
ALL_ACQUIRED = {"dig-hole": "acquired", "stake-and-water": "acquired"}
ONE_NOT_YET = {"dig-hole": "acquired", "stake-and-water": "not-yet"}


def load_vector(*parts: str):
    path = VECTORS.joinpath(*parts)
    return (
        json.loads(path.read_text("utf-8")) if path.suffix == ".json" else path.read_text("utf-8")
    )


# --- settings ------------------------------------------------------------------------------


def settings_for(instance: Path, database_url: str, **extra) -> dict:
    """create_app overrides for a test instance: fixed secrets and cheap argon2 costs."""
    return {
        "TESTING": True,
        "INSTANCE_PATH": str(instance),
        "DATABASE_URL": database_url,
        "PUBLIC_BASE_URL": BASE_URL,
        "SECRET_KEY": "test-secret-key",
        "SKY_KEY_PASSPHRASE": "test-key-passphrase",
        "SKY_PASSWORD_TIME_COST": 1,
        "SKY_PASSWORD_MEMORY_COST": 64,
        "SKY_KEY_KDF_ITERATIONS": 1000,
        **extra,
    }


def smtp_overrides(controller) -> dict:
    """create_app settings sending through the loopback `smtp_server`."""
    return {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": controller.port, "SMTP_STARTTLS": False,
            "SMTP_FROM": "badges@agfe.example.org", "SMTP_USER": "mailer",
            "SMTP_PASSWORD": SMTP_PASSWORD}


# --- a world to issue in -------------------------------------------------------------------


@dataclass
class World:
    """One organisation ready to issue: key, admin, trainer, catalogue, a session, learners."""

    org: Organisation
    admin: object
    trainer: object
    template: object
    session: TrainingSession
    learners: list


def make_organisation(db, slug="agfe", name="AGFE", country="FR", language="fr"):
    """An organisation with its first signing key."""
    org = Organisation(slug=slug, name=name, country_code=country, default_language=language,
                       url=f"https://{slug}.example.org", email=f"contact@{slug}.example.org")
    db.add(org)
    db.flush()
    active_key(db, org)
    return org


def make_world(db, slug="agfe", learner_names=("Zoé Lefèvre", "Łukasz Wiśniewski")) -> World:
    """Build and commit a `World` (the catalogue is imported once per database)."""
    with unit_of_work(db):
        org = make_organisation(db, slug=slug)
        admin = create_user(db, org, f"admin@{slug}.example.org", "Ada Admin", "admin",
                            TEST_PASSWORD)
        trainer = create_user(db, org, f"trainer@{slug}.example.org", "Théo Trainer",
                              "trainer", TEST_PASSWORD)
        templates = import_catalogue(db, TEST_CATALOGUE)
        template = templates[0] if templates else current_templates(db)[0]
        session = TrainingSession(organisation_id=org.id, template_pk=template.id,
                                  trainer_id=trainer.id, title="Jardin partagé", place="Lyon",
                                  language="fr", starts_on=date(2026, 3, 2),
                                  ends_on=date(2026, 3, 2))
        db.add(session)
        learners = [create_learner(db, org, name, language="fr") for name in learner_names]
    return World(org, admin, trainer, template, session, learners)


# --- the common steps ----------------------------------------------------------------------


def evaluate(db, world, learner=None, levels=ALL_ACQUIRED, comments=None, narrative=None,
             evidence_public=False):
    """Save (and commit) an evaluation of `learner` (default: the first) in the world's session."""
    learner = learner or world.learners[0]
    with unit_of_work(db):
        return save_assessment(db, world.session.id, learner.id, levels, comments or {},
                               narrative, world.trainer, evidence_public=evidence_public)


def issue(db, world, learner=None, now=None, **evaluation):
    """Evaluate with every gesture acquired, issue, commit; return the credential."""
    assessment = evaluate(db, world, learner, **evaluation)
    with unit_of_work(db):
        return issue_for_assessment(db, assessment.id, world.trainer, now=now)


def document(credential) -> dict:
    return json.loads(credential.signed_json)


def count(db, model, *where) -> int:
    """How many `model` rows (matching `where`) are stored, as another session committed them."""
    db.expire_all()
    return db.scalar(select(func.count()).select_from(model).where(*where))


# --- pages ---------------------------------------------------------------------------------


def csrf_token(html: str) -> str:
    """The CSRF token of the first form on a page."""
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "the page has no CSRF token"
    return match.group(1)


LEARNERS_CODE = "2468"


def open_claim(client, token: str, code: str = LEARNERS_CODE):
    """Open a claim link as its learner in `client`: choose the code on a first visit, else
    type it. Returns the last response (a redirect to the claim page when the code was taken)."""
    page = f"/claim/{token}"
    html = client.get(page).get_data(as_text=True)
    if 'name="again"' in html:
        return submit(client, page, {"code": code, "again": code}, action=f"{page}/code")
    return submit(client, page, {"code": code}, action=f"{page}/unlock")


def submit(client, page: str, data: dict, action: str | None = None, **kwargs):
    """GET `page`, then POST `data` with its CSRF token to `action` (default: the same page)."""
    token = csrf_token(client.get(page).get_data(as_text=True))
    return client.post(action or page, data={"csrf_token": token, **data}, **kwargs)


class DictTranslations(NullTranslations):
    """A catalogue from a dict: the texts it has, translated; the others, English."""

    def __init__(self, texts: dict[str, str]):
        super().__init__()
        self.texts = texts

    def gettext(self, message: str) -> str:
        return self.texts.get(message, message)


# --- skill badges (the sample catalogue in badge_templates) ---------------------------------

SAMPLE_CATALOGUE = Path(__file__).parents[1] / "badge_templates"
NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
ONLINE = ("email-account", "online-job-application", "video-call-interview")
GREEN = ("sorting-waste", "green-spaces", "energy-saving")
COUNTER = ("welcoming-customers", "cash-register")


def import_sample_catalogue(db) -> dict:
    """Import badge_templates; return every current template by catalogue id."""
    with unit_of_work(db):
        import_catalogue(db, SAMPLE_CATALOGUE)
    return {t.template_id: t for t in current_templates(db, kind=None)}


def evaluate_part(db, templates, trainer, learner, training_id):
    """A committed evaluation of `learner` with every gesture at its required level."""
    with unit_of_work(db):
        template = templates[training_id]
        session = TrainingSession(organisation_id=learner.organisation_id,
                                  template_pk=template.id, trainer_id=trainer.id,
                                  language="fr", starts_on=date(2026, 3, 2),
                                  ends_on=date(2026, 3, 2))
        db.add(session)
        db.flush()
        levels = {g.id: g.required.id for g in training_of(template).gestures}
        return save_assessment(db, session.id, learner.id, levels, {}, None, trainer)


def issue_part(db, templates, trainer, learner, training_id, now=NOW):
    assessment = evaluate_part(db, templates, trainer, learner, training_id)
    with unit_of_work(db):
        return issue_for_assessment(db, assessment.id, trainer, now=now)


def skill_badges(db, skill_id=None):
    query = select(Credential).where(Credential.kind == "skill")
    badges = list(db.scalars(query.order_by(Credential.id)))
    return [b for b in badges if skill_id is None or b.template.template_id == skill_id]


def award_of(db, learner, skill_id):
    return db.scalar(select(SkillAward).where(
        SkillAward.person_key == stacking.person_key(learner), SkillAward.skill_id == skill_id))


def partner(db, slug, learner_name="Zoé Lefèvre", email="zoe@example.org"):
    """A second organisation with a trainer and the same learner (same e-mail)."""
    with unit_of_work(db):
        org = make_organisation(db, slug=slug, name=slug.upper(), country="BE")
        trainer = create_user(db, org, f"trainer@{slug}.example.org", "Tom", "trainer",
                              TEST_PASSWORD)
        learner = create_learner(db, org, learner_name, email=email, language="fr")
    return trainer, learner


# --- the command line on a test instance ----------------------------------------------------

CLI_SETTINGS = ("DATABASE_URL", "PUBLIC_BASE_URL", "SKY_KEY_PASSPHRASE", "SECRET_KEY",
                "SKY_PASSWORD_TIME_COST", "SKY_PASSWORD_MEMORY_COST", "SKY_KEY_KDF_ITERATIONS")


def point_cli_at(monkeypatch, overrides: dict, **changes) -> dict:
    """Set the environment `sky-badges` reads to the test instance of `overrides` (with
    `changes`, environment names); return the settings it now sees."""
    settings = {**overrides, **changes}
    for name in CLI_SETTINGS:
        monkeypatch.setenv(name, str(settings[name]))
    monkeypatch.setenv("SKY_INSTANCE_PATH", str(settings["INSTANCE_PATH"]))
    for name in ("SMTP_HOST", "SMTP_FROM"):
        monkeypatch.delenv(name, raising=False)
    return settings


@contextmanager
def blank_postgres_schema(base_url: str) -> Iterator[str]:
    """The URL of a new, empty schema on the PostgreSQL database `base_url`, dropped after."""
    schema = f"sky_blank_{uuid.uuid4().hex[:10]}"
    admin = create_engine(normalise_url(base_url))
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in base_url else "?"
    try:
        yield f"{base_url}{separator}options={quote(f'-csearch_path={schema}')}"
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


# --- a verifier written apart from the engine ----------------------------------------------

_BASE58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def _base58btc(multibase: str) -> bytes:
    assert multibase.startswith("z")
    number = 0
    for char in multibase[1:]:
        number = number * 58 + _BASE58.index(char)
    body = number.to_bytes((number.bit_length() + 7) // 8, "big")
    return b"\0" * (len(multibase[1:]) - len(multibase[1:].lstrip("1"))) + body


def independently_verified(credential: dict, did_document: dict) -> bool:
    """Whether an eddsa-rdfc-2022 proof verifies by the W3C algorithm, done here with PyLD's
    own canonicalisation and pyca's Ed25519 (not the engine's fast path or key code), against
    the published DID document: the key must be one of its assertion methods."""
    document = dict(credential)
    proofs = document.pop("proof")
    proofs = proofs if isinstance(proofs, list) else [proofs]
    return bool(proofs) and all(_proof_verified(document, dict(p), did_document) for p in proofs)


def _proof_verified(document: dict, proof: dict, did_document: dict) -> bool:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
    from pyld import jsonld as pyld

    from issuer.core.jsonld import make_loader

    method = next((m for m in did_document["verificationMethod"]
                   if m["id"] == proof["verificationMethod"]
                   and m["id"] in did_document["assertionMethod"]), None)
    if method is None or proof.get("cryptosuite") != "eddsa-rdfc-2022":
        return False
    signature = _base58btc(proof.pop("proofValue"))
    proof["@context"] = document["@context"]
    options = {"algorithm": "URDNA2015", "format": "application/n-quads",
               "documentLoader": make_loader()}
    data = (hashlib.sha256(pyld.normalize(proof, options).encode()).digest()
            + hashlib.sha256(pyld.normalize(document, options).encode()).digest())
    key = _base58btc(method["publicKeyMultibase"])
    assert key[:2] == b"\xed\x01"
    try:
        Ed25519PublicKey.from_public_bytes(key[2:]).verify(signature, data)
    except InvalidSignature:
        return False
    return True
# --- concurrency (PostgreSQL) ---------------------------------------------------------------


def run_together(app, jobs):
    """Run each job(db) in its own thread and session, all released at once; re-raise errors."""
    barrier = threading.Barrier(len(jobs))
    errors = []

    def worker(job):
        session = app.extensions["sky_sessionmaker"]()
        try:
            barrier.wait()
            with unit_of_work(session):
                job(session)
        except Exception as error:  # noqa: BLE001 - collected and re-raised below
            errors.append(error)
        finally:
            session.close()

    threads = [threading.Thread(target=worker, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]


@contextmanager
def statements_of(engine) -> Iterator[list[str]]:
    """The SQL statements `engine` runs inside the block (a list filled as they run)."""
    from sqlalchemy import event

    seen: list[str] = []

    def listen(_conn, _cursor, statement, _params, _context, _many):
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", listen)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", listen)
