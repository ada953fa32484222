"""Fixtures of the command's tests: a passphrase-encrypted key and a credential signed with it."""

import json

import pytest

from issuer.cli import EXIT_OK, main
from issuer.core.keys import PrivateKey
from tests.cli.helpers import PASSPHRASE, unsigned_credential


@pytest.fixture(autouse=True)
def passphrase(monkeypatch):
    monkeypatch.setenv("SKY_KEY_PASSPHRASE", PASSPHRASE)


@pytest.fixture
def key_file(tmp_path):
    path = tmp_path / "issuer.pem"
    assert main(["keys", "generate", "-o", str(path)]) == EXIT_OK
    return path


@pytest.fixture
def signed_file(tmp_path, key_file, capsys):
    key = PrivateKey.load(key_file.read_bytes(), PASSPHRASE).public_key
    unsigned = tmp_path / "unsigned.json"
    unsigned.write_text(json.dumps(unsigned_credential(key.did_key), ensure_ascii=False), "utf-8")
    signed = tmp_path / "signed.json"
    args = ["sign", str(unsigned), "--key", str(key_file), "--verification-method", key.did_key_vm]
    assert main([*args, "--created", "2020-01-01T00:00:00Z", "-o", str(signed)]) == EXIT_OK
    capsys.readouterr()
    return signed
