"""A signature by a key the issuer does not publish is not genuine, in every proof format and
every container (DESIGN §8): {Data Integrity, VC-JWT} × {JSON or JWT text, JSON text, baked PNG,
baked SVG, embedded endorsement, CLR-embedded} × {the issuer's key, an attacker's did:key, a key
in the JWT header, the key of another (real) issuer}.

The issuers are did:web organisations whose documents reach the verifier through `fetch_json`,
exactly as the service's own DID documents do.
"""

import copy
import io
import json

import pytest
from PIL import Image

from issuer.core import baking, jwt, proofs
from issuer.core.did import did_web_document, did_web_url
from issuer.core.keys import PrivateKey
from issuer.core.resolver import KeyResolver
from issuer.core.verify import verify_credential
from tests.helpers import load_vector

CEC = "did:web:badges.example.org:issuers:cec"
SCF = "did:web:badges.example.org:issuers:scf"
OB_CONTEXTS = [
    "https://www.w3.org/ns/credentials/v2",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
]
SIGNERS = ["issuer-key", "other-did-key", "header-jwk", "other-issuer-kid"]
CONTAINERS = ["document", "json-text", "png", "svg", "endorsement", "clr"]


@pytest.fixture(scope="module")
def keys():
    return {name: PrivateKey.generate() for name in ("cec", "scf", "attacker", "host")}


@pytest.fixture(scope="module")
def fetch_json(keys):
    documents = {
        did_web_url(CEC): did_web_document(CEC, [keys["cec"].public_key]),
        did_web_url(SCF): did_web_document(SCF, [keys["scf"].public_key]),
    }
    return documents.__getitem__


def achievement_credential() -> dict:
    return {
        "@context": OB_CONTEXTS,
        "id": "urn:uuid:0c3f4b4e-9a51-4d0b-8f6a-2b7c1d9e0a11",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": {"id": CEC, "type": ["Profile"], "name": "CEC"},
        "name": "Tri des déchets",
        "validFrom": "2026-01-15T10:00:00Z",
        "credentialSubject": {
            "id": "did:example:learner-1",
            "type": ["AchievementSubject"],
            "achievement": {
                "id": "https://badges.example.org/achievements/tri",
                "type": ["Achievement"],
                "name": "Tri des déchets",
                "description": "Trie les déchets d'un petit chantier.",
                "criteria": {"narrative": "Observé par le formateur."},
            },
        },
    }


def endorsement_credential() -> dict:
    return {
        "@context": OB_CONTEXTS,
        "id": "urn:uuid:7d1e2f3a-4b5c-4d6e-8f90-a1b2c3d4e5f6",
        "type": ["VerifiableCredential", "EndorsementCredential"],
        "issuer": {"id": CEC, "type": ["Profile"], "name": "CEC"},
        "name": "CEC endorses this training",
        "validFrom": "2026-01-15T10:00:00Z",
        "credentialSubject": {
            "id": "https://badges.example.org/achievements/tri",
            "type": ["EndorsementSubject"],
            "endorsementComment": "Formation sérieuse.",
        },
    }


def signed_as(credential: dict, proof_format: str, signer: str, keys) -> dict | str:
    """`credential` (issuer CEC) signed in `proof_format` by `signer`."""
    key, method = {
        "issuer-key": (keys["cec"], f"{CEC}#{keys['cec'].public_key.multibase}"),
        "other-did-key": (keys["attacker"], keys["attacker"].public_key.did_key_vm),
        "header-jwk": (keys["attacker"], None),
        "other-issuer-kid": (keys["scf"], f"{SCF}#{keys['scf'].public_key.multibase}"),
    }[signer]
    if proof_format == "vc-jwt":
        return jwt.sign_jwt(credential, key, kid=method)
    return proofs.sign(credential, key, method)


def self_signed(credential: dict, keys, proof_format: str) -> dict | str:
    """A genuine, self-declared did:key carrier for the credential under test, in its format."""
    host = keys["host"]
    credential = copy.deepcopy(credential)
    credential["issuer"] = {"id": host.public_key.did_key, "type": ["Profile"], "name": "Host"}
    if proof_format == "vc-jwt":
        return jwt.sign_jwt(credential, host, kid=host.public_key.did_key_vm)
    return proofs.sign(credential, host, host.public_key.did_key_vm)


def png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "white").save(buffer, "PNG")
    return buffer.getvalue()


SVG = '<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"></svg>'


def contained(signed: dict | str, container: str, keys):
    """What a verifier is handed, and how to find the report of the credential under test."""
    if container == "document":
        return signed, lambda report: report
    if container == "json-text":
        text = signed if isinstance(signed, str) else json.dumps(signed, ensure_ascii=False)
        return text, lambda report: report
    if container == "png":
        return baking.bake_png(png(), signed), lambda report: report
    if container == "svg":
        return baking.bake_svg(SVG, signed), lambda report: report
    if container == "endorsement":
        host = achievement_credential()
        host["endorsementJwt" if isinstance(signed, str) else "endorsement"] = [signed]
        return self_signed(host, keys, format_of(signed)), lambda report: report.endorsements[0]
    clr = load_vector("clr-v2p0-ldp", "unsigned-credential.json")
    clr.pop("proof", None)
    clr["credentialSubject"]["verifiableCredential"] = [signed]
    clr["credentialSubject"]["id"] = "did:example:learner-1"
    return self_signed(clr, keys, format_of(signed)), lambda report: report.embedded[0]


def format_of(signed: dict | str) -> str:
    return "vc-jwt" if isinstance(signed, str) else "data-integrity"


CASES = [
    pytest.param(proof_format, container, signer, id=f"{proof_format}-{container}-{signer}")
    for proof_format in ("data-integrity", "vc-jwt")
    for container in CONTAINERS
    for signer in SIGNERS
    # a Data Integrity proof has no header to carry a key, and its JSON is its only text form
    if not (proof_format == "data-integrity" and signer == "header-jwk")
]


@pytest.mark.parametrize("proof_format, container, signer", CASES)
def test_only_the_issuers_published_key_makes_a_genuine_credential(
        proof_format, container, signer, keys, fetch_json):
    unsigned = endorsement_credential() if container == "endorsement" else achievement_credential()
    source, report_of = contained(signed_as(unsigned, proof_format, signer, keys), container, keys)
    outer = verify_credential(source, resolver=KeyResolver(fetch_json), fetch_json=fetch_json)
    report = report_of(outer)
    assert report.issuer_id == CEC
    assert report.check("proof").status == "passed"
    if signer == "issuer-key":
        assert report.check("issuer-binding").status == "passed"
        assert report.verdict == "valid"
    else:
        assert report.check("issuer-binding").status == "failed"
        assert report.verdict == "invalid"
    # The carrier is genuine and its verdict its own; the CLR 2.0 schema admits only JSON
    # credentials, so a CLR carrying a JWT fails its schema while the JWT is still checked.
    if report is not outer:
        clr_of_jwt = container == "clr" and proof_format == "vc-jwt"
        assert outer.verdict == ("invalid" if clr_of_jwt else "valid")


def test_a_jwt_header_key_is_genuine_when_the_issuer_publishes_that_key(keys, fetch_json):
    token = jwt.sign_jwt(achievement_credential(), keys["cec"], kid=None)
    report = verify_credential(token, resolver=KeyResolver(fetch_json), fetch_json=fetch_json)
    assert report.check("issuer-binding").status == "passed"
    assert report.check("issuer-binding").message == (
        f"the JWT key {CEC}#{keys['cec'].public_key.multibase} belongs to {CEC}"
    )
    assert report.verdict == "valid"


def test_an_unreachable_issuer_document_is_not_genuine_and_says_why(keys):
    token = jwt.sign_jwt(achievement_credential(), keys["attacker"], kid=None)
    unreachable = {}.__getitem__
    report = verify_credential(token, resolver=KeyResolver(unreachable), fetch_json=unreachable)
    assert report.check("issuer-binding").status == "failed"
    assert report.verdict == "invalid"
    assert report.check("issuer-binding").message == (
        f"could not fetch {did_web_url(CEC)}: {did_web_url(CEC)!r}"
    )
