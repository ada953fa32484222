"""The `sky-badges` command: documented exit codes, one-line errors, never a traceback."""

import json

import pytest
from PIL import Image

from issuer.cli import EXIT_NEGATIVE, EXIT_OK, EXIT_USAGE, main
from issuer.core import baking
from issuer.core.keys import PrivateKey
from tests.cli.helpers import PASSPHRASE, unsigned_credential
from tests.helpers import load_vector


def test_generated_key_file_is_encrypted_and_private(key_file):
    assert b"ENCRYPTED PRIVATE KEY" in key_file.read_bytes()
    assert key_file.stat().st_mode & 0o777 == 0o600


def test_generating_a_pem_without_passphrase_is_a_usage_error(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("SKY_KEY_PASSPHRASE")
    assert main(["keys", "generate", "-o", str(tmp_path / "k.pem")]) == EXIT_USAGE
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "SKY_KEY_PASSPHRASE" in err


def test_private_jwk_is_never_written_to_stdout(capsys):
    assert main(["keys", "generate", "--format", "jwk"]) == EXIT_USAGE
    assert '"d"' not in capsys.readouterr().out


def test_keys_show_prints_public_forms_only(key_file, capsys):
    assert main(["keys", "show", str(key_file)]) == EXIT_OK
    out = capsys.readouterr().out
    assert "did:key:z6Mk" in out and "publicKeyMultibase: z6Mk" in out
    assert '"d"' not in out and "PRIVATE" not in out


def test_signed_credential_verifies_with_exit_zero(signed_file, capsys):
    assert main(["verify", str(signed_file)]) == EXIT_OK
    assert capsys.readouterr().out.startswith("verdict: valid")


def test_valid_verdict_says_when_the_status_list_could_not_be_checked(
    tmp_path, key_file, capsys
):
    key = PrivateKey.load(key_file.read_bytes(), PASSPHRASE).public_key
    document = unsigned_credential(key.did_key)
    document["credentialStatus"] = {
        "id": "https://status.invalid/lists/1#7", "type": "BitstringStatusListEntry",
        "statusPurpose": "revocation", "statusListIndex": "7",
        "statusListCredential": "https://status.invalid/lists/1",
    }
    unsigned, signed = tmp_path / "unsigned.json", tmp_path / "signed.json"
    unsigned.write_text(json.dumps(document), "utf-8")
    args = ["sign", str(unsigned), "--key", str(key_file), "--verification-method", key.did_key_vm]
    assert main([*args, "-o", str(signed)]) == EXIT_OK
    capsys.readouterr()
    assert main(["verify", str(signed)]) == EXIT_OK
    summary = capsys.readouterr().out.splitlines()[0]
    assert summary == ("verdict: valid (genuine, but revocation status NOT checked: the issuer may "
                       "have revoked it; try again later)")


def test_signed_credential_without_status_has_a_plain_valid_summary(signed_file, capsys):
    assert main(["verify", str(signed_file)]) == EXIT_OK
    assert capsys.readouterr().out.splitlines()[0] == "verdict: valid"


def test_json_report_checks_the_recipient_email(signed_file, capsys):
    assert main(["verify", str(signed_file), "--json", "--email", "Lucja@Example.org"]) == EXIT_OK
    report = json.loads(capsys.readouterr().out)
    assert report["verdict"] == "valid" and report["recipientVerified"] is True


def test_tampered_credential_exits_one(signed_file, capsys):
    document = json.loads(signed_file.read_text("utf-8"))
    document["name"] = "Something else"
    signed_file.write_text(json.dumps(document), "utf-8")
    assert main(["verify", str(signed_file)]) == EXIT_NEGATIVE
    assert "verdict: invalid" in capsys.readouterr().out


def test_official_vector_signs_byte_for_byte_from_a_jwk_file(tmp_path, capsys):
    seed = bytes.fromhex(load_vector("ob-v3p0-ldp", "key.json")["privateKeySeedHex"])
    jwk = tmp_path / "vector.jwk"
    jwk.write_text(json.dumps(PrivateKey.from_ed25519_seed(seed).to_private_jwk()))
    unsigned = tmp_path / "unsigned.json"
    unsigned.write_text(json.dumps(load_vector("ob-v3p0-ldp", "unsigned-credential.json")))
    options = load_vector("ob-v3p0-ldp", "proof-options.json")
    args = ["sign", str(unsigned), "--key", str(jwk)]
    args += [
        "--verification-method",
        options["verificationMethod"],
        "--created",
        options["created"],
    ]
    assert main(args) == EXIT_OK
    signed = json.loads(capsys.readouterr().out)
    assert (
        signed["proof"][0]["proofValue"]
        == (load_vector("ob-v3p0-ldp", "expected.json")["proofValue"])
    )


def test_bake_then_extract_and_verify_the_png(signed_file, tmp_path, capsys):
    image = tmp_path / "badge.png"
    Image.new("RGB", (32, 32), "green").save(image)
    baked = tmp_path / "baked.png"
    assert main(["bake", str(signed_file), str(image), "-o", str(baked)]) == EXIT_OK
    assert baking.extract(baked.read_bytes()) == json.loads(signed_file.read_text("utf-8"))
    assert main(["verify", str(baked)]) == EXIT_OK
    capsys.readouterr()
    assert main(["extract", str(baked)]) == EXIT_OK
    assert json.loads(capsys.readouterr().out)["id"].endswith("/credentials/1f0c")


def test_cards_from_a_credential_file_make_a_pdf(signed_file, tmp_path):
    output = tmp_path / "cards.pdf"
    assert main(["cards", str(signed_file), "-o", str(output), "--layout", "sheet"]) == EXIT_OK
    assert output.read_bytes().startswith(b"%PDF")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["verify", "missing.json"], "No such file"),
        (["sign", "{bad}", "--key", "k", "--verification-method", "x"], "not valid JSON"),
        (["extract", "{plain}"], "PNG is damaged"),
    ],
)
def test_bad_input_is_one_line_on_stderr_with_exit_two(tmp_path, capsys, argv, message):
    (tmp_path / "{bad}").write_text("{not json")
    (tmp_path / "{plain}").write_bytes(b"\x89PNG\r\n\x1a\n")
    argv = [str(tmp_path / a) if a.startswith("{") else a for a in argv]
    code = main(argv)
    err = capsys.readouterr().err
    assert code == EXIT_USAGE
    assert err.count("\n") == 1 and "Traceback" not in err
    assert message.lower() in err.lower()


def test_unparseable_file_given_to_verify_exits_two(tmp_path, capsys):
    path = tmp_path / "garbage.json"
    path.write_text("{garbage")
    assert main(["verify", str(path)]) == EXIT_USAGE
    assert "parse" in capsys.readouterr().out


def test_verify_a_hosted_ob2_assertion_by_its_url(ob2, capsys):
    ob2.assertion("a1")
    url = f"{ob2.base}/assertions/a1"
    assert main(["verify", url, "--allow-http-loopback"]) == EXIT_OK
    out = capsys.readouterr().out
    assert "verdict: valid" in out
    assert "checked as: Open Badges 2.0" in out


def test_verify_a_signed_ob2_assertion_from_a_file(ob2, tmp_path, capsys):
    path = tmp_path / "assertion.jws"
    path.write_text(ob2.signed(), "utf-8")
    assert main(["verify", str(path), "--allow-http-loopback", "--json"]) == EXIT_OK
    report = json.loads(capsys.readouterr().out)
    assert (report["standard"], report["proofFormat"]) == ("Open Badges 2.0", "ob2-signed")


def test_verify_refuses_a_revoked_ob2_assertion(ob2, capsys):
    ob2.assertion("a1", revoked=True)
    assert main(["verify", f"{ob2.base}/assertions/a1", "--allow-http-loopback"]) == EXIT_NEGATIVE
    assert "verdict: revoked" in capsys.readouterr().out
