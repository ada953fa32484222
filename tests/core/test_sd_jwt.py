"""SD-JWT / SD-JWT VC mechanics: issue, present with chosen disclosures and a KB-JWT, verify,
and every refusal (tampering, replays, reserved names, sizes); the IETF Token Status List."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from issuer.core import sd_jwt, status_list, token_status_list
from issuer.core.errors import ResolutionError, SigningError, StatusListError
from issuer.core.keys import P256, PrivateKey
from issuer.core.multibase import b64url, unb64url

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
ISSUER = PrivateKey.from_ed25519_seed(bytes(range(32)))
OTHER = PrivateKey.from_ed25519_seed(bytes(range(1, 33)))
HOLDER = PrivateKey.generate(P256)
VERIFIER = "https://employer.example"
IDENTITY = [("credentialSubject", "id"), ("credentialSubject", "name"),
            ("credentialSubject", "identifier")]


def claims(**extra) -> dict:
    return {"iss": "https://badges.example/issuers/cec", "iat": int(NOW.timestamp()),
            "vct": "https://badges.example/types/open-badge",
            "cnf": {"jwk": HOLDER.public_key.to_jwk()},
            "achievement": {"name": "First aid", "criteria": {"narrative": "Did it"}},
            "credentialSubject": {"id": "did:key:z6Mk", "name": "Ann Lee",
                                  "identifier": [{"identityHash": "sha256$abc"}]},
            **extra}


def issuer_key(header, payload):
    return ISSUER.public_key


def issued(**extra) -> str:
    return sd_jwt.issue(claims(**extra), IDENTITY, ISSUER, {"kid": "k1"})


def presented(names=("name",), nonce="n-1", audience=VERIFIER, token=None, at=NOW) -> str:
    return sd_jwt.present(token or issued(), names, HOLDER, nonce, audience, now=at)


def verify(presentation, **options):
    options.setdefault("now", NOW)
    return sd_jwt.verify(presentation, issuer_key, **options)


def test_identity_is_hidden_and_the_achievement_is_not():
    token = issued()
    jwt, disclosures, kb = sd_jwt.split(token)
    payload = json.loads(unb64url(jwt.split(".")[1]))
    header = json.loads(unb64url(jwt.split(".")[0]))
    assert (header["typ"], header["alg"], payload["_sd_alg"]) == ("dc+sd-jwt", "EdDSA", "sha-256")
    assert payload["achievement"]["name"] == "First aid"
    assert set(payload["credentialSubject"]) == {"_sd"}
    assert len(payload["credentialSubject"]["_sd"]) == 3 + 2  # three claims, two decoys
    assert "Ann Lee" not in jwt and len(disclosures) == 3 and kb == ""


def test_salts_differ_so_equal_claims_give_different_digests():
    assert sd_jwt.split(issued())[1] != sd_jwt.split(issued())[1]


def test_holder_shows_only_the_chosen_claims_with_key_binding():
    result = verify(presented(["name"]), nonce="n-1", audience=VERIFIER)
    assert result.claims["credentialSubject"] == {"name": "Ann Lee"}
    assert [item.path for item in result.disclosed] == [("credentialSubject", "name")]
    assert result.key_bound and result.nonce_checked and result.audience_checked
    assert result.claims["achievement"]["name"] == "First aid"
    assert "_sd" not in json.dumps(result.claims)


def test_nothing_disclosed_still_verifies_the_badge():
    result = verify(presented([]), nonce="n-1", audience=VERIFIER)
    assert result.claims["credentialSubject"] == {} and result.disclosed == []


def test_without_key_binding_the_result_says_so():
    result = verify(sd_jwt.present(issued(), ["name"]))
    assert not result.key_bound and result.key_binding is None
    with pytest.raises(sd_jwt.SdJwtError, match="Key Binding JWT is required"):
        verify(sd_jwt.present(issued(), ["name"]), require_key_binding=True)


def test_key_binding_without_expected_nonce_is_not_reported_as_checked():
    result = verify(presented())
    assert result.key_bound and not result.nonce_checked and not result.audience_checked


@pytest.mark.parametrize("options, message", [
    ({"nonce": "other"}, "nonce"),
    ({"audience": "https://evil.example"}, "aud"),
])
def test_replayed_presentation_is_refused(options, message):
    with pytest.raises(sd_jwt.SdJwtError, match=message):
        verify(presented(), **options)


@pytest.mark.parametrize("at, message", [(NOW - timedelta(minutes=6), "too old"),
                                         (NOW + timedelta(minutes=2), "future")])
def test_key_binding_must_be_fresh(at, message):
    with pytest.raises(sd_jwt.SdJwtError, match=message):
        verify(presented(at=at))


def test_dropping_a_disclosure_after_binding_breaks_sd_hash():
    full = presented(["name", "identifier"])
    jwt, disclosures, kb = sd_jwt.split(full)
    with pytest.raises(sd_jwt.SdJwtError, match="sd_hash"):
        verify("~".join([jwt, disclosures[0], kb]))


def test_a_disclosure_with_a_changed_value_is_not_referenced():
    jwt, disclosures, _kb = sd_jwt.split(issued())
    salt, name, _value = json.loads(unb64url(disclosures[0]))
    forged = b64url(json.dumps([salt, name, "Mallory"]).encode())
    with pytest.raises(sd_jwt.SdJwtError, match="not referenced"):
        verify("~".join([jwt, forged, ""]))


def test_a_disclosure_from_another_token_is_not_referenced():
    _jwt, others, _kb = sd_jwt.split(issued())
    jwt, _mine, _kb = sd_jwt.split(issued())
    with pytest.raises(sd_jwt.SdJwtError, match="not referenced"):
        verify("~".join([jwt, others[0], ""]))


def test_the_same_disclosure_twice_is_refused():
    jwt, disclosures, _kb = sd_jwt.split(issued())
    with pytest.raises(sd_jwt.SdJwtError, match="twice"):
        verify("~".join([jwt, disclosures[0], disclosures[0], ""]))


def test_signature_by_another_key_is_refused():
    token = sd_jwt.issue(claims(), IDENTITY, OTHER)
    with pytest.raises(sd_jwt.SdJwtError, match="signature does not verify"):
        verify(token)


def test_an_issuer_key_that_cannot_be_found_is_a_failure():
    def unknown(header, payload):
        raise ResolutionError("no such key")

    with pytest.raises(sd_jwt.SdJwtError, match="cannot be established"):
        sd_jwt.verify(issued(), unknown, NOW)


def _resigned(header: dict, payload: dict, key=ISSUER) -> str:
    return sd_jwt.sign_compact(header, payload, key)


@pytest.mark.parametrize("alg", ["none", "HS256", "RS256"])
def test_only_asymmetric_sd_jwt_algorithms(alg):
    jwt = _resigned({"typ": "dc+sd-jwt"}, claims())
    head = b64url(json.dumps({"typ": "dc+sd-jwt", "alg": alg}).encode())
    with pytest.raises(sd_jwt.SdJwtError, match="alg"):
        verify(head + jwt[jwt.index("."):] + "~")


def test_wrong_typ_is_refused_and_the_old_one_warned():
    with pytest.raises(sd_jwt.SdJwtError, match="typ"):
        verify(_resigned({"typ": "JWT"}, claims()) + "~")
    assert verify(_resigned({"typ": "vc+sd-jwt"}, claims()) + "~").warnings


def test_a_disclosure_may_not_carry_iss_or_a_reserved_name():
    for name in ("iss", "_sd"):
        disclosure = sd_jwt.make_disclosure(name, "x")
        payload = {**claims(), "_sd": [sd_jwt.digest(disclosure)]}
        if name == "iss":
            payload.pop("iss")
        token = _resigned({"typ": "dc+sd-jwt"}, payload) + "~" + disclosure + "~"
        with pytest.raises(sd_jwt.SdJwtError, match="not allowed|must not"):
            verify(token)


def test_a_disclosed_claim_cannot_overwrite_a_signed_one():
    disclosure = sd_jwt.make_disclosure("achievement", {"name": "Brain surgery"})
    payload = {**claims(), "_sd": [sd_jwt.digest(disclosure)]}
    with pytest.raises(sd_jwt.SdJwtError, match="already exists"):
        verify(_resigned({"typ": "dc+sd-jwt"}, payload) + "~" + disclosure + "~")


def test_issuing_refuses_to_hide_what_decides_the_check():
    for path in (("iss",), ("cnf",), ("status",), ("exp",)):
        with pytest.raises(SigningError):
            sd_jwt.issue(claims(), [path], ISSUER)


def test_limits_on_size_and_number_of_disclosures():
    jwt, disclosures, _kb = sd_jwt.split(issued())
    with pytest.raises(sd_jwt.SdJwtError, match="more than"):
        verify("~".join([jwt, *[disclosures[0]] * (sd_jwt.MAX_DISCLOSURES + 1), ""]))
    with pytest.raises(sd_jwt.SdJwtError, match="larger"):
        verify(jwt + "~" + "A" * sd_jwt.MAX_PRESENTATION_BYTES + "~")
    with pytest.raises(sd_jwt.SdJwtError, match="larger"):
        verify("~".join([jwt, "A" * (sd_jwt.MAX_DISCLOSURE_BYTES + 1), ""]))


def test_garbage_is_a_clear_error_not_a_crash():
    for text in ("", "abc", "a.b.c~", "~~~", "e30.e30.AA~WyJ4Il0~", 42):
        with pytest.raises(sd_jwt.SdJwtError):
            verify(text)


def test_cnf_with_a_private_key_is_refused():
    private = {"cnf": {"jwk": HOLDER.to_private_jwk()}}
    token = sd_jwt.issue(claims(**private), IDENTITY, ISSUER)
    with pytest.raises(sd_jwt.SdJwtError, match="public key"):
        verify(sd_jwt.present(token, [], HOLDER, "n", VERIFIER, now=NOW))


def test_expiry_is_reported_not_raised():
    result = verify(issued(exp=int((NOW - timedelta(days=1)).timestamp())))
    assert result.expired and not result.not_yet_valid
    assert verify(issued(nbf=int((NOW + timedelta(days=1)).timestamp()))).not_yet_valid


# --- IETF Token Status List -----------------------------------------------------------------

URI = "https://badges.example/status/1/token"


def _token(bits, exp=NOW + timedelta(hours=1)) -> str:
    payload = token_status_list.token_payload(URI, bits, NOW, exp, 60)
    return token_status_list.sign_token(payload, ISSUER, "k1")


def test_token_status_list_reads_the_same_bits_as_the_bitstring_list():
    bits = status_list.new_bitstring()
    for index in (0, 9, 131071):
        status_list.set_status(bits, index)
    token = _token(bits)
    for index in (0, 1, 8, 9, 10, 131070, 131071):
        expected = status_list.get_status(bits, index)
        assert token_status_list.read_status(token, URI, index, issuer_key, NOW) == expected


def test_token_status_list_refuses_what_it_cannot_trust():
    bits = status_list.new_bitstring()
    with pytest.raises(StatusListError, match="sub"):
        token_status_list.read_status(_token(bits), URI + "x", 0, issuer_key, NOW)
    with pytest.raises(StatusListError, match="expired"):
        token_status_list.read_status(_token(bits, NOW - timedelta(seconds=1)), URI, 0,
                                      issuer_key, NOW)
    with pytest.raises(StatusListError, match="outside"):
        token_status_list.read_status(_token(bits), URI, len(bits) * 8, issuer_key, NOW)
    with pytest.raises(StatusListError, match="signature"):
        token_status_list.read_status(_token(bits), URI, 0, lambda h, p: OTHER.public_key, NOW)


# --- anything at all: a clear refusal, never a crash ----------------------------------------

_PIECES = st.sampled_from(["~", ".", "e30", "eyJhbGciOiJFZERTQSJ9", "WyJhIiwiYiIsMV0", "AA",
                           "eyJ0eXAiOiJkYytzZC1qd3QiLCJhbGciOiJFZERTQSJ9", "-", "_", "x"])


@settings(max_examples=300, deadline=None)
@given(st.lists(_PIECES, max_size=30).map("".join))
def test_any_text_is_refused_with_an_sd_jwt_error(text):
    try:
        verify(text)
    except sd_jwt.SdJwtError:
        pass


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.sampled_from(["status", "cnf", "exp", "nbf", "iat", "_sd", "iss"]),
                       st.one_of(st.none(), st.integers(), st.text(max_size=5),
                                 st.lists(st.integers(), max_size=2),
                                 st.dictionaries(st.sampled_from(["jwk", "status_list", "idx"]),
                                                 st.one_of(st.text(max_size=3),
                                                           st.integers())))))
def test_odd_signed_claims_never_crash_the_verifier(extra):
    token = sd_jwt.sign_compact({"typ": "dc+sd-jwt"}, {**claims(), **extra}, ISSUER) + "~"
    try:
        verify(token)
        verify(token + sd_jwt.sign_compact({"typ": "kb+jwt"}, {"iat": 1}, HOLDER))
    except sd_jwt.SdJwtError:
        pass
