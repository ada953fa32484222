"""`sky-badges verify` on an SD-JWT VC presentation: what it proved, what it could not, what
the holder disclosed; offline here, the issuer a self-contained did:jwk."""

import json

from issuer.cli import EXIT_NEGATIVE, main
from issuer.core import sd_jwt
from issuer.core.keys import P256, PrivateKey
from issuer.core.multibase import b64url

ISSUER = PrivateKey.generate()
HOLDER = PrivateKey.generate(P256)
DID = "did:jwk:" + b64url(json.dumps(ISSUER.public_key.to_jwk()).encode())


def _presentation(tmp_path, names=("identifier",)):
    claims = {"iss": DID, "vct": "https://badges.example/types/open-badge",
              "cnf": {"jwk": HOLDER.public_key.to_jwk()},
              "achievement": {"name": "Tri sélectif"},
              "credentialSubject": {"identifier": [{"identityHash": "Łucja"}]}}
    token = sd_jwt.issue(claims, [("credentialSubject", "identifier")], ISSUER,
                         {"kid": DID + "#0"})
    path = tmp_path / "presentation.txt"
    path.write_text(sd_jwt.present(token, names, HOLDER, "n-1", "https://hr.example") + "\n")
    return path


def test_a_genuine_presentation_without_status_is_not_called_valid(tmp_path, capsys):
    path = _presentation(tmp_path)
    code = main(["verify", str(path), "--nonce", "n-1", "--audience", "https://hr.example"])
    out = capsys.readouterr().out
    assert code == EXIT_NEGATIVE
    assert "genuine, but not everything is proven" in out and "verdict: valid" not in out
    assert "not proven: the credential names no status list" in out
    assert 'disclosed: credentialSubject.identifier = [{"identityHash": "Łucja"}]' in out


def test_json_report_names_the_key_binding_and_the_unchecked_nonce(tmp_path, capsys):
    assert main(["verify", str(_presentation(tmp_path)), "--json"]) == EXIT_NEGATIVE
    report = json.loads(capsys.readouterr().out)
    assert report["format"] == "dc+sd-jwt" and report["key_bound"] is True
    assert report["verified"] is False and report["verdict"] == "unproven"
    assert report["own_issuer"] is False
    assert any("nonce" in item for item in report["unproven"])


def test_a_wrong_nonce_is_invalid(tmp_path, capsys):
    code = main(["verify", str(_presentation(tmp_path)), "--nonce", "other",
                 "--audience", "https://hr.example"])
    out = capsys.readouterr().out
    assert code == EXIT_NEGATIVE and "verdict: invalid" in out and "nonce" in out
