"""The work one input may cost the engine (issuer.core.limits): each limit refuses quickly,
with a named error or a failed check, what would otherwise hold a worker."""

from __future__ import annotations

import copy
import json

import pytest

from issuer.core import baking, limits, proofs
from issuer.core.errors import BakingError, LimitError
from issuer.core.keys import PublicKey
from issuer.core.resolver import KeyResolver
from issuer.core.verify import _Budget, verify_credential
from tests.helpers import load_vector, png_with_itxt

SIGNED = load_vector("ob-v3p0-ldp", "signed-credential.json")
CLR = load_vector("clr-v2p0-ldp", "signed-credential.json")


def clr_of(credentials: list) -> dict:
    """A CLR bundling `credentials`: its own proof breaks, yet each bundled one is checked."""
    clr = copy.deepcopy(CLR)
    clr["credentialSubject"]["verifiableCredential"] = credentials
    return clr


def verify(source):
    return verify_credential(source, resolver=KeyResolver())


def nested_array(depth: int) -> str:
    return "[" * depth + "]" * depth


def test_json_within_the_limits_parses():
    assert limits.parse_json(nested_array(limits.MAX_JSON_DEPTH)) == json.loads(
        nested_array(limits.MAX_JSON_DEPTH))
    assert limits.parse_json('{"n": ' + "9" * limits.MAX_INT_DIGITS + "}")["n"] > 0


@pytest.mark.parametrize("text", [nested_array(limits.MAX_JSON_DEPTH + 1), nested_array(200_000),
                                  '{"a": ' * 500 + "1" + "}" * 500])
def test_json_nested_too_deep_is_a_limit_error(text):
    with pytest.raises(LimitError, match="nests deeper than 64 levels"):
        limits.parse_json(text)


@pytest.mark.parametrize("digits", ["9" * 641, "-" + "1" * 5_000])
def test_json_integer_with_too_many_digits_is_a_limit_error(digits):
    with pytest.raises(LimitError, match="more than 640 digits"):
        limits.parse_json('{"n": ' + digits + "}")


def test_a_deep_credential_fails_to_parse_before_anything_recursive_runs():
    credential = copy.deepcopy(SIGNED)
    credential["credentialSubject"]["deep"] = json.loads(nested_array(300))
    for source in (credential, json.dumps(credential)):
        report = verify(source)
        assert report.verdict == "invalid"
        assert "nests deeper than 64 levels" in report.check("parse").message


@pytest.fixture
def signature_checks(monkeypatch) -> list:
    """Every Ed25519 signature check made (the work is counted, never timed)."""
    made = []
    real = PublicKey.verify
    monkeypatch.setattr(PublicKey, "verify",
                        lambda self, signature, data: made.append(1) or real(self, signature, data))
    return made


@pytest.fixture
def canonicalisations(monkeypatch) -> list:
    made = []
    real = proofs.canonize
    monkeypatch.setattr(proofs, "canonize", lambda *args, **kw: made.append(1) or real(*args, **kw))
    return made


def test_a_credential_with_many_proofs_is_refused_without_checking_them(signature_checks):
    credential = copy.deepcopy(SIGNED)
    credential["proof"] = [SIGNED["proof"]] * 50
    report = verify(credential)
    assert len(signature_checks) <= 4
    assert report.check("proof").message == "the credential has 50 proofs; at most 4 are checked"


def test_signature_checks_per_verification_are_bounded(signature_checks):
    tampered = copy.deepcopy(SIGNED)
    tampered["name"] = "Changed"
    tampered["proof"] = [SIGNED["proof"]] * 2
    report = verify(clr_of([tampered] * 16))  # 32 checks and more wanted: 24 are made
    limited = ["limit of 24 signature checks" in r.check("proof").message
               for r in report.embedded]
    assert limited[0] is False and limited[-1] is True
    assert len(signature_checks) <= limits.MAX_PROOF_CHECKS


def test_nested_credentials_beyond_the_limit_are_not_verified_and_the_report_says_so():
    report = verify(clr_of([{"type": ["VerifiableCredential"]}] * 70))
    assert len(report.embedded) == limits.MAX_NESTED_CREDENTIALS
    assert ("46 more nested credential(s) not verified: at most 24 are verified at once"
            in report.warnings)


def test_a_compressed_baked_text_larger_than_the_limit_is_refused():
    png = png_with_itxt(b"{" + b" " * limits.MAX_TEXT_BYTES + b"}", compressed=True)
    assert len(png) < 100_000
    with pytest.raises(BakingError, match="too large"):
        baking.extract(png)


def test_an_svg_credential_larger_than_the_limit_is_refused():
    svg = (b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:openbadges="https://purl.imsglobal.org/'
           b'ob/v3p0"><openbadges:credential>{' + b" " * limits.MAX_TEXT_BYTES
           + b"}</openbadges:credential></svg>")
    with pytest.raises(BakingError, match="too large"):
        baking.extract(svg)


def test_a_credential_with_too_many_json_values_is_refused_before_json_ld_runs(
        canonicalisations):
    credential = copy.deepcopy(SIGNED)
    credential["credentialSubject"]["achievement"]["alignment"] = [
        {"type": ["Alignment"], "targetName": f"n{i}", "targetUrl": f"https://e.org/{i}"}
        for i in range(limits.MAX_CREDENTIAL_NODES // 5)]
    report = verify(credential)
    assert canonicalisations == []
    assert report.check("parse").message == "the document holds more than 5000 JSON values"


def test_canonicalised_values_per_verification_are_bounded():
    budget = _Budget()
    document = {"values": list(range(limits.MAX_CANONICAL_NODES // 2))}
    assert budget.take_proof_checks(1, document) is True
    assert budget.take_proof_checks(1, document) is False  # one value over: nothing spent
    assert budget.take_proof_checks(1, {"small": "document"}) is True
