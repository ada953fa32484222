"""A verifier outside the service checks its badges over real HTTP, as any other verifier would.

The CLI's verifier resolves the issuer's did:web document and the Bitstring Status List from
the running gunicorn service (http allowed on loopback only for this), with nothing in-process.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from issuer.fetch import SafeFetcher
from issuer.store.db import normalise_url
from issuer.store.models import Credential


def _demo_credential(service, revoked: bool) -> Credential:
    engine = create_engine(normalise_url(service.database_url))
    with Session(engine) as db:
        state = Credential.revoked_at.is_not(None) if revoked else Credential.revoked_at.is_(None)
        query = select(Credential).where(state, Credential.valid_until.is_(None))
        credential = db.scalars(query.order_by(Credential.id).limit(1)).one()
    engine.dispose()
    return credential


def _verify_over_http(service, credential: Credential, tmp_path) -> dict:
    signed = SafeFetcher(allow_http_loopback=True).fetch_bytes(
        service.url(f"/credentials/{credential.uuid}"))
    path = tmp_path / "badge.json"
    path.write_bytes(signed)
    command = [sys.executable, "-m", "issuer.cli", "verify", str(path), "--json",
               "--allow-http-loopback"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=60)
    return json.loads(result.stdout) | {"exit": result.returncode}


@pytest.mark.parametrize(("revoked", "verdict", "exit_code"), [(False, "valid", 0),
                                                               (True, "revoked", 1)])
def test_badges_verify_over_http_from_the_did_web_document_and_status_list(
        service, tmp_path, revoked, verdict, exit_code):
    credential = _demo_credential(service, revoked)
    report = _verify_over_http(service, credential, tmp_path)
    assert (report["verdict"], report["exit"]) == (verdict, exit_code)
    assert report["issuer"]["id"].startswith("did:web:127.0.0.1%3A")
    proof = next(c for c in report["checks"] if c["name"] == "proof")
    status = next(c for c in report["checks"] if c["name"] == "status")
    assert proof["status"] == "passed"
    assert status["status"] == ("failed" if revoked else "passed")
