"""Helpers the tests share, imported like any module (fixtures live in the conftest files).

Test data (vectors, the test catalogue, fixed secrets), a `World` to issue in, the real log-in
form's CSRF round trip, and the common steps: evaluate, issue, count what is stored; documents
built by hand for the core and web tests: a rich unsigned credential, the wallet's presentations
and OID4VCI key proofs, a PNG with a chosen iTXt chunk.
"""

from __future__ import annotations

import copy
import csv
import hashlib
import io
import json
import re
import socket
import struct
import threading
import uuid
import warnings
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from urllib.parse import quote

from babel.support import NullTranslations
from joserfc import jws
from joserfc.jwk import import_key
from PIL import Image
from sqlalchemy import create_engine, func, select, text

from issuer.core import baking, proofs
from issuer.core.jsonld import canonize
from issuer.core.keys import ED25519, P256, RSA, PrivateKey
from issuer.core.multibase import encode_base58btc
from issuer.core.verify import hash_identity
from issuer.services import stacking, unit_of_work
from issuer.services.accounts import create_user
from issuer.services.catalogue import current_templates, import_catalogue, training_of
from issuer.services.consent import Consent
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


def free_port() -> int:
    """A TCP port of 127.0.0.1 that nothing listens on (for a real server started by a test)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


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


# The enrolment form with every consent box ticked (the learner agreed to everything).
CONSENT_TICKED = {f"consent_{purpose}": "y" for purpose in ("name", "email", "photo",
                                                           "statistics")}


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
        learners = [create_learner(db, org, name, language="fr", answers=Consent.everything())
                    for name in learner_names]
    return World(org, admin, trainer, template, session, learners)


def make_coordinator(db):
    """The project coordinator, of CEC (created here), committed."""
    with unit_of_work(db):
        cec = make_organisation(db, slug="cec", name="CEC", country="BE")
        return create_user(db, cec, "coordination@cec.example.org", "Claire Coord",
                           "coordinator", TEST_PASSWORD)


# --- a generated pilot -----------------------------------------------------------------------

PILOT_PARTNERS = ("cec", "scf", "agfe", "mirec", "trinijove", "barka")


def generate_pilot(db, partners=PILOT_PARTNERS, year: int = 2026,
                   validated=lambda slug, month, n: n == 0) -> dict[str, World]:
    """Six partners × 30 learners across `year`: one session a month per partner (three
    learners from January to June, two from July), every learner evaluated, and issued a
    badge when `validated(slug, month, n)` (default: the first learner of each session).
    Committed; returns each partner's `World`."""
    worlds = {}
    for slug in partners:
        world = make_world(db, slug=slug, learner_names=())
        worlds[slug] = world
        for month in range(1, 13):
            with unit_of_work(db):
                session = TrainingSession(
                    organisation_id=world.org.id, template_pk=world.template.id,
                    trainer_id=world.trainer.id, language="fr",
                    starts_on=date(year, month, 3), ends_on=date(year, month, 3))
                db.add(session)
                db.flush()
                learners = [create_learner(db, world.org, f"{slug} {month}-{n}",
                                           answers=Consent.everything())
                            for n in range(3 if month <= 6 else 2)]
                assessments = [save_assessment(
                    db, session.id, learner.id,
                    ALL_ACQUIRED if validated(slug, month, n) else ONE_NOT_YET, {}, None,
                    world.trainer) for n, learner in enumerate(learners)]
            for n, assessment in enumerate(assessments):
                if validated(slug, month, n):
                    with unit_of_work(db):
                        issue_for_assessment(db, assessment.id, world.trainer,
                                             now=datetime(year, month, 4, 10, 0, tzinfo=UTC))
    return worlds


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


def csv_rows(response, delimiter=",") -> list[list[str]]:
    """The rows of a CSV download, after the UTF-8 byte order mark it starts with."""
    text = response.get_data().decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:]), delimiter=delimiter))


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
        learner = create_learner(db, org, learner_name, email=email, language="fr",
                                 answers=Consent.everything())
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
# --- credentials and wallet proofs built by hand (core and web tests) ----------------------

SALT = "FleurDeSel"
EMAIL = "jjefferson18@example.com"


def rich_credential(issuer_id: str, **overrides) -> dict:
    """An unsigned OpenBadgeCredential using most of the OB vocabulary, with non-ASCII text."""
    credential = {
        "@context": [
            "https://www.w3.org/ns/credentials/v2",
            "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
        ],
        "id": "urn:uuid:2f6d3c1e-8a4b-4c7e-9f1a-0b2c3d4e5f60",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": {
            "id": issuer_id,
            "type": ["Profile"],
            "name": "Compétences Łódź – Niño & Città",
            "url": "https://issuer.example/",
            "email": "contact@issuer.example",
        },
        "validFrom": "2025-03-01T10:00:00Z",
        "validUntil": "2027-03-01T10:00:00Z",
        "name": "Tri sélectif des déchets",
        "description": "Micro-formation: trier, étiqueter, expliquer.",
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "identifier": [
                {
                    "type": "IdentityObject",
                    "hashed": True,
                    "identityHash": hash_identity(EMAIL, SALT),
                    "identityType": "emailAddress",
                    "salt": SALT,
                },
                {
                    "type": "IdentityObject",
                    "hashed": False,
                    "identityHash": "Zoë Straße",
                    "identityType": "name",
                },
            ],
            "activityStartDate": "2025-02-28T09:00:00Z",
            "result": [
                {
                    "type": ["Result"],
                    "resultDescription": "urn:uuid:0a1b2c3d-0000-4000-8000-000000000001",
                    "achievedLevel": "urn:uuid:0a1b2c3d-0000-4000-8000-000000000002",
                }
            ],
            "achievement": {
                "id": "https://issuer.example/achievements/tri-selectif",
                "type": ["Achievement"],
                "achievementType": "MicroCredential",
                "name": "Tri sélectif",
                "description": "Geste 1: trier. Geste 2: étiqueter.",
                "criteria": {"narrative": "Évalué en situation par un formateur."},
                "creditsAvailable": 2,
                "resultDescription": [
                    {
                        "id": "urn:uuid:0a1b2c3d-0000-4000-8000-000000000001",
                        "type": ["ResultDescription"],
                        "name": "Trier les déchets",
                        "resultType": "RubricCriterionLevel",
                        "rubricCriterionLevel": [
                            {
                                "id": "urn:uuid:0a1b2c3d-0000-4000-8000-000000000002",
                                "type": ["RubricCriterionLevel"],
                                "name": "Acquis",
                            }
                        ],
                    }
                ],
            },
        },
        "evidence": [
            {"type": ["Evidence"], "name": "Photo", "narrative": "Bac trié correctement."}
        ],
    }
    credential.update(overrides)
    return credential


CREDENTIALS_V1 = "https://www.w3.org/2018/credentials/v1"
CREDENTIALS_V2 = "https://www.w3.org/ns/credentials/v2"
ED25519_2020 = "https://w3id.org/security/suites/ed25519-2020/v1"
CREATED = "2026-03-02T09:59:30Z"


def presentation(holder: str, context: str = CREDENTIALS_V1) -> dict:
    """An unsigned DIDAuth presentation, as the wallet's vc library creates it."""
    return {"@context": [context], "type": ["VerifiablePresentation"], "holder": holder}


def sign_ed25519_2020(document: dict, key: PrivateKey, challenge: str, domain: str,
                      created: str = CREATED) -> dict:
    """Sign like jsonld-signatures' Ed25519Signature2020: the suite context is added to the
    document, the proof options are canonicalized under the document's @context, and the
    signature covers sha256(options) ‖ sha256(document)."""
    document = copy.deepcopy(document)
    if ED25519_2020 not in document["@context"]:
        document["@context"] = [*document["@context"], ED25519_2020]
    options = {"type": "Ed25519Signature2020", "created": created,
               "verificationMethod": key.public_key.did_key_vm,
               "proofPurpose": "authentication", "challenge": challenge, "domain": domain}
    data = (hashlib.sha256(canonize({"@context": document["@context"], **options}).encode())
            .digest() + hashlib.sha256(canonize(document).encode()).digest())
    return {**document, "proof": {**options, "proofValue": encode_base58btc(key.sign(data))}}


def sign_eddsa_rdfc_2022(document: dict, key: PrivateKey, challenge: str, domain: str) -> dict:
    """Sign a DIDAuth presentation with a DataIntegrityProof (eddsa-rdfc-2022)."""
    return proofs.sign(document, key, key.public_key.did_key_vm, created=CREATED,
                       proof_purpose="authentication", challenge=challenge, domain=domain)


def key_proof(key: PrivateKey, nonce: str | None, aud: str = BASE_URL, iat: datetime = NOW,
              header: dict | None = None, by: str = "kid") -> str:
    """An OID4VCI key proof JWT signed by the holder's key, named by its did:key `kid` or `jwk`."""
    alg = {ED25519: "EdDSA", P256: "ES256", RSA: "RS256"}[key.kind]
    protected = {"typ": "openid4vci-proof+jwt", "alg": alg}
    if by == "kid":
        protected["kid"] = key.public_key.did_key_vm
    elif by == "jwk":
        protected["jwk"] = key.public_key.to_jwk()
    protected.update(header or {})
    claims = {"aud": aud, "iat": int(iat.timestamp())}
    if nonce is not None:
        claims["nonce"] = nonce
    with warnings.catch_warnings():  # joserfc prefers "Ed25519"; OID4VCI wallets send EdDSA
        warnings.simplefilter("ignore")
        return jws.serialize_compact(protected, json.dumps(claims).encode(),
                                     import_key(key.to_private_jwk()), algorithms=[alg])


def png_with_itxt(text: bytes, compressed: bool, keyword: bytes = baking.PNG_KEYWORD) -> bytes:
    image = io.BytesIO()
    Image.new("RGB", (2, 2)).save(image, "PNG")
    body = zlib.compress(text, 9) if compressed else text
    data = keyword + b"\x00" + bytes([int(compressed)]) + b"\x00\x00\x00" + body
    chunk = struct.pack(">I", len(data)) + b"iTXt" + data + struct.pack(
        ">I", zlib.crc32(b"iTXt" + data))
    png = image.getvalue()
    return png[:-12] + chunk + png[-12:]


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


# --- SD-JWT VC from another library (openbadgeslib[eudi], a test-only dependency) -------------


def openbadgeslib_presentation(issuer: PrivateKey, holder: PrivateKey, issuer_id: str,
                               kid: str, vct: str, audience: str, nonce: str,
                               status: dict | None = None) -> str:
    """A badge issued as SD-JWT VC by openbadgeslib and presented with a Key Binding JWT by
    openvc-core's holder (P-256, as EU wallets sign)."""
    from jwcrypto.jwk import JWK
    from openbadgeslib.ob3.credential import OpenBadgeCredential
    from openbadgeslib.ob3.eudi import issue_badge_sd_jwt
    from openvc.keys import P256SigningKey
    from openvc.proof.sd_jwt import SdJwtVcProofSuite

    def pem(key: PrivateKey) -> bytes:
        return JWK(**key.to_private_jwk()).export_to_pem(private_key=True, password=None)

    badge = {
        "@context": ["https://www.w3.org/ns/credentials/v2",
                     "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"],
        "id": "urn:uuid:6b7c8d1e-2f3a-4b5c-9d6e-7f8a9b0c1d2e",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": {"id": issuer_id, "type": ["Profile"], "name": "Python Academy"},
        "validFrom": "2026-01-01T00:00:00Z", "name": "Python basics",
        "credentialSubject": {
            "type": ["AchievementSubject"], "id": "did:key:z6MkholderXYZ",
            "achievement": {"id": "https://academy.example/achievements/python",
                            "type": ["Achievement"], "name": "Python basics",
                            "description": "Writes small programs.",
                            "criteria": {"narrative": "Passed the test."}}},
    }
    token = issue_badge_sd_jwt(OpenBadgeCredential.from_vc_document(badge),
                               privkey_pem=pem(issuer), kid=kid,
                               holder_jwk=holder.public_key.to_jwk(), vct=vct, status=status)
    return SdJwtVcProofSuite().create_presentation(
        token, holder_key=P256SigningKey.from_pem(pem(holder), kid="holder"),
        audience=audience, nonce=nonce)


# --- Open Badges 2.0 fixtures, served over real HTTP ---------------------------------------------

OB2_CONTEXT = "https://w3id.org/openbadges/v2"
OB2_EMAIL = "ana@example.org"
OB2_SALT = "deadsea"


class Ob2Site:
    """An OB 2.0 issuer on a real local HTTP server: its Profile, a BadgeClass, a key, hosted
    assertions, signed ones (JWS) and a RevocationList. `documents` maps a path to
    (HTTP status, JSON); change it to change what the server answers."""

    def __init__(self, base: str, kind: str = RSA):
        self.base = base
        self.key = PrivateKey.generate(kind)
        self.issuer_id = f"{base}/issuer"
        self.key_id = f"{base}/key"
        self.documents: dict[str, tuple[int, dict]] = {}
        self.put("/issuer", {
            "@context": OB2_CONTEXT, "type": "Issuer", "id": self.issuer_id,
            "name": "Ancien Organisme de Formation", "url": base, "email": "contact@example.org",
            "publicKey": [self.key_id], "revocationList": f"{base}/revocations"})
        self.put("/badge", {
            "@context": OB2_CONTEXT, "type": "BadgeClass", "id": f"{base}/badge",
            "name": "Soudure à l'arc — niveau 1", "description": "Souder deux tôles.",
            "image": f"{base}/badge.png", "criteria": {"narrative": "Deux soudures propres."},
            "issuer": self.issuer_id})
        self.put("/key", self.key_document(self.key, self.issuer_id))
        self.put("/revocations", {"@context": OB2_CONTEXT, "type": "RevocationList",
                                  "id": f"{base}/revocations", "issuer": self.issuer_id,
                                  "revokedAssertions": []})

    def put(self, path: str, document: dict, status: int = 200) -> None:
        self.documents[path] = (status, document)

    def key_document(self, key: PrivateKey, owner: str, key_id: str | None = None) -> dict:
        from cryptography.hazmat.primitives import serialization
        pem = key.public_key._key.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        return {"@context": OB2_CONTEXT, "type": "CryptographicKey", "id": key_id or self.key_id,
                "owner": owner, "publicKeyPem": pem.decode("ascii")}

    def assertion(self, name: str, hosted: bool = True, **extra) -> dict:
        """An assertion (stored at /assertions/<name> when hosted)."""
        document = {
            "@context": OB2_CONTEXT, "type": "Assertion",
            "id": f"{self.base}/assertions/{name}" if hosted else f"urn:uuid:{uuid.uuid4()}",
            "recipient": {"type": "email", "hashed": True, "salt": OB2_SALT,
                          "identity": "sha256$" + hashlib.sha256(
                              (OB2_EMAIL + OB2_SALT).encode()).hexdigest()},
            "badge": f"{self.base}/badge",
            "verification": {"type": "hosted"} if hosted else {
                "type": "signed", "creator": self.key_id},
            "issuedOn": "2024-03-01T10:00:00Z",
            **extra,
        }
        if hosted:
            self.put(f"/assertions/{name}", document)
        return document

    def signed(self, name: str = "signed", key: PrivateKey | None = None, alg: str | None = None,
               **extra) -> str:
        """A signed assertion: its compact JWS."""
        key = key or self.key
        alg = alg or {RSA: "RS256", P256: "ES256"}[key.kind]
        header = _b64(json.dumps({"alg": alg}).encode())
        payload = _b64(json.dumps(self.assertion(name, hosted=False, **extra)).encode())
        signature = key.sign(f"{header}.{payload}".encode())
        return f"{header}.{payload}.{_b64(signature)}"


def _b64(data: bytes) -> str:
    import base64
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


@contextmanager
def ob2_site(kind: str = RSA) -> Iterator[Ob2Site]:
    """An `Ob2Site` on http://127.0.0.1:<free port>, for the time of the block."""
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    site: list[Ob2Site] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - http.server's name
            status, document = site[0].documents.get(self.path, (404, {"error": "not found"}))
            body = json.dumps(document).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/ld+json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    site.append(Ob2Site(f"http://127.0.0.1:{httpd.server_address[1]}", kind))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield site[0]
    finally:
        httpd.shutdown()
        httpd.server_close()


# --- Europass: the ELM SHACL shapes (tests/vectors/elm, see SOURCES.md) ---------------------

ELM_VECTORS = VECTORS / "elm"
_ELM_CONTEXTS = {
    "http://data.europa.eu/snb/model/context/edc-ap": ELM_VECTORS / "edc-ap-context.jsonld",
    "https://www.w3.org/2018/credentials/v1":
        Path(__file__).parents[1] / "issuer" / "core" / "contexts" / "credentials-v1.jsonld",
}
_ELM_SHAPES = []


def elm_violations(document: dict) -> set[tuple[str, str]]:
    """The SHACL violations of an ELM document against the EDC generic application profile
    (with its controlled-vocabulary shapes), as (focus node, property) pairs, the nested ones of
    a node shape included. pyld expands the JSON-LD with the bundled contexts (never fetched),
    pySHACL validates the graph."""
    import pyshacl
    import rdflib
    from pyld import jsonld

    def loader(url, options=None):
        if url not in _ELM_CONTEXTS:
            raise ValueError(f"context {url} is not bundled")
        return {"contextUrl": None, "documentUrl": url,
                "document": json.loads(_ELM_CONTEXTS[url].read_text("utf-8"))}

    if not _ELM_SHAPES:
        shapes = rdflib.Graph()
        for name in ("EDC-generic-no-cv.ttl", "EDC-generic-full.ttl"):
            shapes.parse(ELM_VECTORS / name, format="turtle")
        _ELM_SHAPES.append(shapes)
    quads = jsonld.to_rdf(document, {"format": "application/n-quads", "documentLoader": loader})
    data = rdflib.Graph()
    data.parse(data=quads, format="nt")  # one graph: N-Triples
    conforms, report, _text = pyshacl.validate(data, shacl_graph=_ELM_SHAPES[0],
                                               inference="none")
    sh = rdflib.Namespace("http://www.w3.org/ns/shacl#")
    found = set()
    for result in report.subjects(rdflib.RDF.type, sh.ValidationResult):
        if report.value(result, sh.resultSeverity) != sh.Violation:
            continue
        found.add((str(report.value(result, sh.focusNode)),
                   str(report.value(result, sh.resultPath)).rsplit("/", 1)[-1]
                   .rsplit("#", 1)[-1]))
    assert conforms == (not found)
    return found
