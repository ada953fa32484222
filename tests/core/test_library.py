"""The engine as a library: its public face, and that it runs without the service's packages."""

import subprocess
import sys
from pathlib import Path

import issuer.core

ROOT = Path(__file__).resolve().parents[2]

# A fresh interpreter in which the service's and the renderer's packages cannot be imported,
# as after `pip install sky-badges` without extras. It verifies the official OB 3.0 vector.
WITHOUT_SERVICE = r'''
import importlib.abc, json, sys
from datetime import UTC, datetime
from pathlib import Path

BLOCKED = {"flask", "flask_wtf", "flask_babel", "werkzeug", "wtforms", "sqlalchemy", "alembic",
           "psycopg", "gunicorn", "argon2", "babel", "reportlab", "qrcode", "PIL"}

class Blocker(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in BLOCKED:
            raise ImportError(f"{name} is not installed")
        return None

sys.meta_path.insert(0, Blocker())

from issuer.core import KeyResolver, PublicKey, verify_credential
from issuer.core.did import verification_method

vectors = Path(sys.argv[1]) / "tests" / "vectors" / "ob-v3p0-ldp"
key = json.loads((vectors / "key.json").read_text())
method = verification_method(key["controller"], PublicKey.from_multibase(key["publicKeyMultibase"]))
documents = {key["controller"]: {
    "@context": ["https://www.w3.org/ns/cid/v1"], "id": key["controller"],
    "verificationMethod": [method], "assertionMethod": [method["id"]]}}
signed = json.loads((vectors / "signed-credential.json").read_text())
report = verify_credential(signed, resolver=KeyResolver(documents.__getitem__),
                           now=datetime(2026, 1, 1, tzinfo=UTC))
loaded = sorted({m.partition(".")[0] for m in sys.modules} & BLOCKED)
outer = sorted(m for m in sys.modules
               if m.startswith("issuer.") and not m.startswith("issuer.core"))
print(report.verdict, loaded, outer)
'''


def test_the_engine_verifies_a_signed_vector_without_the_service_packages():
    result = subprocess.run([sys.executable, "-c", WITHOUT_SERVICE, str(ROOT)], cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    assert result.stderr == ""
    assert result.stdout.strip() == "valid [] []"


def test_the_blocker_really_blocks_a_service_package():
    probe = WITHOUT_SERVICE.split("from issuer.core import")[0] + "import flask\n"
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode != 0
    assert "flask is not installed" in result.stderr


def test_every_public_name_is_exported():
    assert issuer.core.__all__
    for name in issuer.core.__all__:
        assert getattr(issuer.core, name) is not None
