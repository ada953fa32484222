"""Open Badges 2.0 verification (issuer.core.ob2, issuer.core.versions): hosted and signed
assertions served by a real HTTP server on loopback, fetched through the SSRF-safe fetcher."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from issuer.core import baking, ob2
from issuer.core.keys import P256, RSA, PrivateKey
from issuer.core.resolver import KeyResolver
from issuer.core.versions import verify_any_version
from issuer.fetch import SafeFetcher
from tests.helpers import OB2_EMAIL, ob2_site, png_with_itxt

NOW = datetime(2025, 6, 1, tzinfo=UTC)


def verify(source, email=None, now=NOW, max_fetches=8):
    fetcher = SafeFetcher(allow_http_loopback=True, max_fetches=max_fetches)
    return verify_any_version(source, resolver=KeyResolver(fetcher.fetch_json, True),
                              fetch_json=fetcher.fetch_json, now=now, email=email)


def test_a_hosted_assertion_from_its_url_is_valid_and_says_ob2_was_checked(ob2):
    ob2.assertion("a1")
    report = verify(f"{ob2.base}/assertions/a1")
    assert (report.verdict, report.standard, report.proof_format) == (
        "valid", "Open Badges 2.0", "ob2-hosted")
    assert report.issuer_id == ob2.issuer_id
    assert report.issuer_name == "Ancien Organisme de Formation"
    assert report.related["badgeClass"]["name"] == "Soudure à l'arc — niveau 1"
    assert report.to_json()["standard"] == "Open Badges 2.0"


def test_a_hosted_assertion_given_as_json_is_checked_against_its_published_copy(ob2):
    published = ob2.assertion("a1")
    altered = {**published, "expires": "2099-01-01T00:00:00Z"}
    report = verify(altered)
    assert report.verdict == "valid"
    assert report.credential == published
    assert any("differs from the one its issuer publishes" in w for w in report.warnings)


def test_a_hosted_assertion_whose_id_points_elsewhere_is_not_genuine(ob2):
    genuine = ob2.assertion("a1")
    # A forger copies the assertion to their own path: the document there names another id.
    ob2.put("/assertions/copy", genuine)
    report = verify(f"{ob2.base}/assertions/copy")
    assert report.verdict == "invalid"
    assert report.check("proof").status == "failed"
    assert "names itself" in report.check("proof").message


def test_a_hosted_assertion_on_an_origin_the_issuer_does_not_allow_is_not_genuine(ob2):
    with ob2_site() as forger:
        # The forger hosts an assertion that claims the genuine issuer's badge class.
        forger.assertion("x", badge=f"{ob2.base}/badge")
        report = verify(f"{forger.base}/assertions/x")
    assert report.verdict == "invalid"
    assert report.check("issuer-binding").status == "failed"
    assert "does not allow" in report.check("issuer-binding").message


def test_the_issuers_allowed_origins_admit_another_host(ob2):
    with ob2_site() as host:
        host.assertion("x", badge=f"{ob2.base}/badge")
        issuer = ob2.documents["/issuer"][1]
        ob2.put("/issuer", {**issuer, "verification": {"startsWith": [f"{host.base}/assert"]}})
        report = verify(f"{host.base}/assertions/x")
    assert report.verdict == "valid"


def test_a_starts_with_prefix_is_matched_on_its_origin_not_as_text(ob2):
    with ob2_site() as host:
        host.assertion("x", badge=f"{ob2.base}/badge")
        issuer = ob2.documents["/issuer"][1]
        # "http://127.0.0.1:1" is a text prefix of "http://127.0.0.1:1234/…", not its origin.
        port = host.base.rsplit(":", 1)[1]
        ob2.put("/issuer", {**issuer, "verification": {
            "startsWith": [f"http://127.0.0.1:{port[:-1]}"]}})
        report = verify(f"{host.base}/assertions/x")
    assert report.verdict == "invalid"
    assert "does not allow" in report.check("issuer-binding").message


def test_a_hosted_assertion_marked_revoked_is_revoked(ob2):
    ob2.assertion("a1", revoked=True, revocationReason="Fraude à l'examen")
    report = verify(f"{ob2.base}/assertions/a1")
    assert report.verdict == "revoked"
    assert "Fraude à l'examen" in report.check("status").message


def test_a_hosted_assertion_answering_410_gone_is_revoked(ob2):
    ob2.put("/assertions/gone", {"revoked": True}, status=410)
    report = verify(f"{ob2.base}/assertions/gone")
    assert (report.verdict, report.standard) == ("revoked", "Open Badges 2.0")
    assert "410" in report.check("status").message


def test_an_expired_assertion_is_expired(ob2):
    ob2.assertion("a1", expires="2025-01-01T00:00:00Z")
    assert verify(f"{ob2.base}/assertions/a1").verdict == "expired"


def test_the_hashed_recipient_is_checked_when_an_email_is_given(ob2):
    ob2.assertion("a1")
    assert verify(f"{ob2.base}/assertions/a1", email=OB2_EMAIL).recipient_verified is True
    other = verify(f"{ob2.base}/assertions/a1", email="someone@example.org")
    assert other.recipient_verified is False
    assert other.verdict == "valid"  # the recipient check is reported beside the verdict


def test_an_unreachable_badge_class_is_never_valid(ob2):
    ob2.assertion("a1", badge=f"{ob2.base}/missing-badge")
    report = verify(f"{ob2.base}/assertions/a1")
    assert report.verdict == "invalid"
    assert "404" in report.check("issuer-binding").message


@pytest.mark.parametrize("kind", [RSA, P256])
def test_a_signed_assertion_verifies_under_the_issuers_listed_key(kind):
    with ob2_site(kind) as site:
        report = verify(site.signed())
    assert (report.verdict, report.proof_format, report.standard) == (
        "valid", "ob2-signed", "Open Badges 2.0")
    assert report.check("proof").status == "passed"
    assert report.check("issuer-binding").status == "passed"
    assert report.check("status").status == "passed"  # read on the issuer's revocation list


def test_a_signed_assertion_signed_by_a_key_the_issuer_does_not_list_is_not_genuine(ob2):
    forger = PrivateKey.generate(RSA)
    ob2.put("/forged-key", ob2.key_document(forger, ob2.issuer_id, f"{ob2.base}/forged-key"))
    token = ob2.signed(key=forger, verification={"type": "signed",
                                                 "creator": f"{ob2.base}/forged-key"})
    report = verify(token)
    assert report.verdict == "invalid"
    assert "does not list in publicKey" in report.check("issuer-binding").message


def test_a_signed_assertion_with_another_key_under_the_listed_id_does_not_verify(ob2):
    token = ob2.signed(key=PrivateKey.generate(RSA))
    report = verify(token)
    assert report.verdict == "invalid"
    assert "signature does not match" in report.check("proof").message


def test_a_key_owned_by_someone_else_is_refused(ob2):
    ob2.put("/key", ob2.key_document(ob2.key, "https://someone.example/issuer"))
    report = verify(ob2.signed())
    assert report.verdict == "invalid"
    assert "is owned by" in report.check("issuer-binding").message


def test_an_altered_signed_assertion_does_not_verify(ob2):
    header, payload, signature = ob2.signed().split(".")
    other = ob2.signed(name="other", expires="2099-01-01T00:00:00Z").split(".")[1]
    assert verify(f"{header}.{other}.{signature}").verdict == "invalid"


def test_a_signed_assertion_on_the_revocation_list_is_revoked(ob2):
    token = ob2.signed()
    revoked_id = ob2.documents["/revocations"][1]
    assertion_id = ob2_payload(token)["id"]
    ob2.put("/revocations", {**revoked_id, "revokedAssertions": [
        {"id": assertion_id, "revocationReason": "Délivré par erreur"}]})
    report = verify(token)
    assert report.verdict == "revoked"
    assert "Délivré par erreur" in report.check("status").message


def test_an_unreadable_revocation_list_makes_the_status_unchecked(ob2):
    ob2.documents.pop("/revocations")
    report = verify(ob2.signed())
    assert report.verdict == "valid"
    assert report.status_checked is False


def test_hs256_and_none_are_never_accepted(ob2):
    token = ob2.signed(alg="HS256")
    assert verify(token).verdict == "invalid"


def test_the_fetch_budget_bounds_the_work(ob2):
    ob2.assertion("a1")
    report = verify(f"{ob2.base}/assertions/a1", max_fetches=2)
    assert report.verdict == "invalid"
    assert "limit of 2 remote documents" in " ".join(c.message for c in report.checks)


def test_a_baked_png_with_a_hosted_url_is_verified(ob2):
    ob2.assertion("a1")
    png = png_with_itxt(f"{ob2.base}/assertions/a1".encode(), compressed=False,
                        keyword=baking.OB2_KEYWORD)
    report = verify(png)
    assert (report.verdict, report.standard) == ("valid", "Open Badges 2.0")


def test_a_baked_svg_with_a_signed_assertion_is_verified(ob2):
    token = ob2.signed()
    svg = (f'<svg xmlns="http://www.w3.org/2000/svg" xmlns:openbadges="http://openbadges.org">'
           f'<openbadges:assertion verify="{token}"/></svg>').encode()
    assert baking.extract_ob2(svg) == token
    assert verify(svg).verdict == "valid"


def test_an_ob3_credential_is_reported_as_ob3(vector):
    report = verify(vector("ob-v3p0-ldp", "signed-credential.json"))
    assert report.standard == "Open Badges 3.0"


def test_an_ob3_document_is_not_taken_for_an_ob2_assertion(vector):
    assert not ob2.is_ob2(vector("ob-v3p0-ldp", "signed-credential.json"))


# --- helpers ---------------------------------------------------------------------------------


def ob2_payload(token: str) -> dict:
    import base64
    import json
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))



# --- the independent verifier and signer (openbadgeslib, PyPI) agree with ours -------------


def download(url: str) -> bytes:
    """openbadgeslib's fetch hook, pointed at the test's loopback server (it fetches https
    only by default): a plain GET; a 410 or 404 raises, as its own downloader does."""
    import urllib.request
    with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - loopback only
        return response.read()


def independent(token_or_document, revocation: bool = True) -> bool:
    """Whether openbadgeslib's OB2Verifier accepts the assertion."""
    from openbadgeslib.ob2 import OB2VerificationError, OB2Verifier
    verifier = OB2Verifier(download=download)
    try:
        if isinstance(token_or_document, dict):
            verifier.verify_hosted(token_or_document, check_revocation=revocation)
        else:
            verifier.verify(token_or_document, check_revocation=revocation)
    except OB2VerificationError:
        return False
    return True


def cases(site):
    """(name, input) pairs: genuine ones and forgeries, on `site`."""
    forger = PrivateKey.generate(RSA)
    site.put("/forged-key", site.key_document(forger, site.issuer_id, f"{site.base}/forged-key"))
    revoked = site.signed(name="revoked")
    site.put("/revocations", {**site.documents["/revocations"][1], "revokedAssertions": [
        ob2_payload(revoked)["id"]]})
    genuine = site.assertion("genuine")
    site.put("/assertions/copy", genuine)
    return [
        ("signed", site.signed(), True),
        ("hosted", genuine, True),
        ("unlisted key", site.signed(name="forged", key=forger, verification={
            "type": "signed", "creator": f"{site.base}/forged-key"}), False),
        ("other key under the listed id", site.signed(name="k", key=PrivateKey.generate(RSA)),
         False),
        ("revoked", revoked, False),
        ("expired", site.signed(name="old", expires="2024-04-01T00:00:00Z"), False),
    ]


def test_our_verdicts_match_the_independent_verifier(ob2):
    for name, source, genuine in cases(ob2):
        ours = verify(source, now=datetime.now(UTC)).valid
        theirs = independent(source)
        assert (name, ours, theirs) == (name, genuine, genuine)


def test_a_badge_signed_by_the_independent_signer_verifies_here(ob2):
    from cryptography.hazmat.primitives import serialization
    from openbadgeslib.ob2 import Assertion, OB2Signer

    pem = ob2.key._key.private_bytes(serialization.Encoding.PEM,
                                     serialization.PrivateFormat.PKCS8,
                                     serialization.NoEncryption())
    assertion = Assertion.from_dict(ob2_payload(ob2.signed(name="theirs")))
    token = OB2Signer(pem, "RS256").sign(assertion)
    report = verify(token)
    assert (report.verdict, report.proof_format) == ("valid", "ob2-signed")
    assert independent(token)


def test_a_png_baked_with_a_text_chunk_is_read_too(ob2):
    """Older bakers wrote the assertion URL in a tEXt chunk rather than iTXt."""
    import struct
    import zlib
    ob2.assertion("a1")
    plain = png_with_itxt(b"x", compressed=False, keyword=b"unrelated")
    data = baking.OB2_KEYWORD + b"\x00" + f"{ob2.base}/assertions/a1".encode()
    chunk = struct.pack(">I", len(data)) + b"tEXt" + data + struct.pack(
        ">I", zlib.crc32(b"tEXt" + data))
    png = plain[:-12] + chunk + plain[-12:]
    assert baking.extract_ob2(png) == f"{ob2.base}/assertions/a1"
    assert verify(png).verdict == "valid"
