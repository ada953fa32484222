"""SKY_EXTRA_CONTEXTS: the operator's hash-pinned contexts reach the service and the CLI."""

from __future__ import annotations

import hashlib
import json

import pytest

from issuer.cli import EXIT_OK, EXIT_USAGE, main
from issuer.core import extra_contexts, proofs
from issuer.core.keys import PrivateKey
from issuer.web import create_app

EXAMPLES_V2 = "https://www.w3.org/ns/credentials/examples/v2"
EXAMPLES_BYTES = b'{"@context": {"@vocab": "https://www.w3.org/ns/credentials/examples#"}}'


@pytest.fixture
def index(tmp_path):
    (tmp_path / "examples.json").write_bytes(EXAMPLES_BYTES)
    path = tmp_path / "index.json"
    path.write_text(json.dumps({EXAMPLES_V2: {
        "file": "examples.json", "sha256": hashlib.sha256(EXAMPLES_BYTES).hexdigest()}}))
    yield path
    extra_contexts.unregister(EXAMPLES_V2)


def alumni_credential() -> dict:
    """Signed while the context is registered; the registration is undone before returning."""
    extra_contexts.register(EXAMPLES_V2, EXAMPLES_BYTES,
                            hashlib.sha256(EXAMPLES_BYTES).hexdigest())
    try:
        return _signed_alumni()
    finally:
        extra_contexts.unregister(EXAMPLES_V2)


def _signed_alumni() -> dict:
    key = PrivateKey.generate()
    document = {"@context": ["https://www.w3.org/ns/credentials/v2", EXAMPLES_V2],
                "type": ["VerifiableCredential", "AlumniCredential"],
                "issuer": key.public_key.did_key, "validFrom": "2025-01-01T00:00:00Z",
                "credentialSubject": {"id": "did:example:alumna", "alumniOf": "Example U"}}
    return proofs.sign(document, key, key.public_key.did_key_vm)


def test_the_service_loads_the_operators_contexts(overrides, index, world, headers):
    credential = alumni_credential()
    app = create_app({**overrides, "SKY_EXTRA_CONTEXTS": str(index)})
    try:
        response = app.test_client().post("/api/v1/credentials/verify", headers=headers,
                                          json={"verifiableCredential": credential})
    finally:
        app.extensions["sky_engine"].dispose()
    assert response.status_code == 200, response.json


def test_a_context_nobody_registered_is_refused(client, headers):
    credential = {**alumni_credential(), "@context": [
        "https://www.w3.org/ns/credentials/v2", "https://partner.example/contexts/v1"]}
    response = client.post("/api/v1/credentials/verify", headers=headers,
                           json={"verifiableCredential": credential})
    assert response.status_code == 422
    assert "unknown JSON-LD context" in response.json["error"]["message"]


def test_the_cli_reads_the_setting_and_refuses_a_wrong_pin(tmp_path, index, monkeypatch,
                                                            capsys):
    credential = tmp_path / "alumni.json"
    credential.write_text(json.dumps(alumni_credential()))
    monkeypatch.setenv("SKY_EXTRA_CONTEXTS", str(index))
    assert main(["verify", str(credential)]) == EXIT_OK
    extra_contexts.unregister(EXAMPLES_V2)
    entries = json.loads(index.read_text())
    entries[EXAMPLES_V2]["sha256"] = "0" * 64
    index.write_text(json.dumps(entries))
    assert main(["verify", str(credential)]) == EXIT_USAGE
    assert "pinned" in capsys.readouterr().err
