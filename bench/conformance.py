"""Run the W3C Verifiable Credentials test suites against a local gunicorn, in one command.

    python bench/conformance.py prepare SUITES_DIR   # once: npm-install the fetched suites
    python bench/conformance.py run SUITES_DIR       # start the service, run the five suites

SUITES_DIR holds checkouts of the suite repositories, each in a folder named `owner+name`
(w3c+vc-data-model-2.0-test-suite, w3c+vc-di-eddsa-test-suite,
w3c+vc-bitstring-status-list-test-suite, w3c-ccg+vc-api-issuer-test-suite,
w3c-ccg+vc-api-verifier-test-suite) and of their three git-only dependencies
(w3c+vc-test-suite-implementations, w3c-ccg+vc-test-suite-implementations,
w3c-ccg+data-integrity-test-suite-assertion). `prepare` packs those three with `npm pack`, points
the suites' package.json at the tarballs and runs `npm install` (the only step that needs the npm
registry or its cache). `run` fetches nothing: it makes a throw-away instance (SQLite, one demo
organisation, an API token with the `read` and `sign` permissions, a self-signed certificate for
127.0.0.1), starts gunicorn over https, writes each suite's `localConfig.cjs` so that only this
service is tested, runs mocha and prints passed / failed / pending per suite. Reports (mocha JSON)
are left in the instance folder it names.

The issuer signs as the organisation's did:key (the suites resolve did:key only); the examples
context the suites use is registered as a hash-pinned extra context (SKY_EXTRA_CONTEXTS). The
data-model suite's `EnvelopingProof` tests get an issuer of their own (options.envelope
application/vc+jwt); the bitstring suite's issuer asks for a revocation and a suspension entry.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ENVELOPING = "EnvelopingProof"  # VC-JOSE-COSE: an issuer of its own (options.envelope)
SUITES = {
    # folder: tags the service's endpoints carry in that suite
    "w3c+vc-data-model-2.0-test-suite": ["vc2.0", ENVELOPING],
    "w3c+vc-di-eddsa-test-suite": ["eddsa-rdfc-2022", "eddsa-jcs-2022"],
    "w3c+vc-bitstring-status-list-test-suite": ["BitstringStatusList"],
    "w3c-ccg+vc-api-issuer-test-suite": ["vc-api"],
    "w3c-ccg+vc-api-verifier-test-suite": ["vc-api"],
}
GIT_DEPENDENCIES = {
    "vc-test-suite-implementations": {"w3c": "w3c+vc-test-suite-implementations",
                                      "w3c-ccg": "w3c-ccg+vc-test-suite-implementations"},
    "data-integrity-test-suite-assertion": {
        "w3c-ccg": "w3c-ccg+data-integrity-test-suite-assertion"},
}
EXAMPLES_V2 = "https://www.w3.org/ns/credentials/examples/v2"
# https://www.w3.org/ns/credentials/examples/v2, byte for byte as the W3C publishes it.
EXAMPLES_V2_BYTES = (b'{\n  "@context": {\n    "@vocab": '
                     b'"https://www.w3.org/ns/credentials/examples#"\n  }\n}\n')
ROOT = Path(__file__).resolve().parent.parent


# --- prepare ----------------------------------------------------------------------------------


def prepare(suites_dir: Path) -> None:
    tarballs = suites_dir / "_tarballs"
    tarballs.mkdir(exist_ok=True)
    for folders in GIT_DEPENDENCIES.values():
        for folder in folders.values():
            out = subprocess.run(["npm", "pack", "--ignore-scripts", "--pack-destination",
                                  str(tarballs)], cwd=suites_dir / folder, check=True,
                                 capture_output=True, text=True).stdout.strip().splitlines()[-1]
            (tarballs / out).replace(tarballs / f"{folder}.tgz")
    for suite in SUITES:
        package = suites_dir / suite / "package.json"
        data = json.loads(package.read_text())
        for section in ("dependencies", "devDependencies"):
            for name, spec in data.get(section, {}).items():
                if name in GIT_DEPENDENCIES and not spec.startswith("file:"):
                    owner = "w3c-ccg" if "w3c-ccg" in spec else "w3c"
                    folder = GIT_DEPENDENCIES[name].get(owner) or next(
                        iter(GIT_DEPENDENCIES[name].values()))
                    data[section][name] = f"file:{tarballs / folder}.tgz"
        package.write_text(json.dumps(data, indent=2) + "\n")
        print(f"npm install in {suite} …", flush=True)
        subprocess.run(["npm", "install", "--ignore-scripts", "--no-audit", "--no-fund"],
                       cwd=suites_dir / suite, check=True, stdout=subprocess.DEVNULL)


# --- the service under test -------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _self_signed(folder: Path) -> tuple[Path, Path]:
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=7))
            .add_extension(x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


def _environment(instance: Path, port: int) -> dict:
    contexts = instance / "contexts"
    contexts.mkdir()
    (contexts / "examples-v2.jsonld").write_bytes(EXAMPLES_V2_BYTES)
    index = {EXAMPLES_V2: {"file": "examples-v2.jsonld",
                           "sha256": hashlib.sha256(EXAMPLES_V2_BYTES).hexdigest()}}
    (contexts / "index.json").write_text(json.dumps(index))
    return {**os.environ, "SKY_INSTANCE_PATH": str(instance),
            "PUBLIC_BASE_URL": f"https://127.0.0.1:{port}",
            "SKY_EXTRA_CONTEXTS": str(contexts / "index.json"),
            "SKY_KEY_KDF_ITERATIONS": "1000", "SKY_VERIFY_SLOTS": "8"}


def _seed(env: dict) -> tuple[str, str]:
    """Create the schema, one organisation and a signing token; (token, the org's did:key)."""
    code = """
import sys
from issuer.config import Settings
from issuer.core.keys import PublicKey
from issuer.services import unit_of_work
from issuer.services.api_tokens import create_token
from issuer.services.keys import active_key
from issuer.store.db import make_engine, make_sessionmaker
from issuer.store.migrations import upgrade
from issuer.store.models import Organisation
settings = Settings.from_env()
upgrade(settings.database_url)
db = make_sessionmaker(make_engine(settings.database_url), settings)()
with unit_of_work(db):
    org = Organisation(slug="w3c-suites", name="W3C suites", country_code="BE")
    db.add(org)
    db.flush()
    record, _key = active_key(db, org)
    _token, plain = create_token(db, org, "W3C test suites", scopes=("read", "sign"))
print(plain, PublicKey.from_multibase(record.public_multibase).did_key)
"""
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"seeding the instance failed:\n{done.stderr[-2000:]}")
    out = done.stdout.split()
    return out[-2], out[-1]


def _start(env: dict, port: int, cert: Path, key: Path, log: Path) -> subprocess.Popen:
    gunicorn = Path(sys.executable).with_name("gunicorn")
    command = [str(gunicorn), "-c", "python:issuer.web.gunicorn_conf", "--workers", "2",
               "--bind", f"127.0.0.1:{port}", "--certfile", str(cert), "--keyfile", str(key),
               "issuer.web:create_app()"]
    server = subprocess.Popen(command, env=env, cwd=ROOT, stdout=log.open("wb"),
                              stderr=subprocess.STDOUT, start_new_session=True)
    import ssl
    context = ssl._create_unverified_context()  # our own self-signed certificate
    for _ in range(120):
        try:
            urllib.request.urlopen(f"https://127.0.0.1:{port}/api/v1/openapi.json",
                                   context=context, timeout=2)
            return server
        except OSError:
            if server.poll() is not None:
                raise SystemExit(f"gunicorn stopped; see {log}") from None
            time.sleep(0.5)
    raise SystemExit(f"gunicorn did not answer; see {log}")


# --- the suites -------------------------------------------------------------------------------


def _local_config(base: str, token: str, did_key: str, tags: list[str]) -> str:
    headers = {"Authorization": f"Bearer {token}"}
    endpoint = {"tags": tags, "headers": headers}
    proofs = [t for t in tags if t != ENVELOPING]
    issuers = [_issuer(base, headers, did_key, proofs, suite)
               for suite in ("eddsa-rdfc-2022", "eddsa-jcs-2022")
               if suite in tags or suite == "eddsa-rdfc-2022"]
    if ENVELOPING in tags:
        issuers.append({"id": did_key, "endpoint": f"{base}/credentials/issue",
                        "headers": headers, "tags": [ENVELOPING],
                        "options": {"envelope": "application/vc+jwt"}})
    implementation = {
        "name": "SKY Badges", "implementation": "SKY Badges VC-API", "issuers": issuers,
        "verifiers": [{**endpoint, "id": f"{base}/credentials/verify",
                       "endpoint": f"{base}/credentials/verify"}],
        # Tagged even for enveloped presentations, which the service does not claim: without a
        # tagged vpVerifier the suite's three tests pass without testing anything (README).
        "vpVerifiers": [{**endpoint, "id": f"{base}/presentations/verify",
                         "endpoint": f"{base}/presentations/verify"}],
    }
    settings = {"enableInteropTests": False, "testAllImplementations": False}
    return ("module.exports = " + json.dumps({"settings": settings,
                                               "implementations": [implementation]}, indent=2)
            + ";\n")


def _issuer(base: str, headers: dict, did_key: str, tags: list[str], suite: str) -> dict:
    """One issuer entry per cryptosuite: the suites pick an issuer by its tags."""
    options: dict = {"cryptosuite": suite}
    if "BitstringStatusList" in tags:  # both purposes the service's lists serve
        options["credentialStatus"] = [
            {"type": "BitstringStatusListEntry", "statusPurpose": "revocation"},
            {"type": "BitstringStatusListEntry", "statusPurpose": "suspension"}]
    other = {"eddsa-rdfc-2022", "eddsa-jcs-2022"} - {suite}
    return {"id": did_key, "endpoint": f"{base}/credentials/issue", "headers": headers,
            "tags": [t for t in tags if t not in other], "options": options}


def _run_suite(folder: Path, report: Path) -> dict:
    mocha = folder / "node_modules" / ".bin" / "mocha"
    tests = "tests/" if (folder / "tests").is_dir() else "tests"
    env = {**os.environ, "NODE_TLS_REJECT_UNAUTHORIZED": "0"}
    subprocess.run([str(mocha), tests, "--reporter", "json", "--reporter-option",
                    f"output={report}", "--timeout", "30000", "--preserve-symlinks"],
                   cwd=folder, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    stats = json.loads(report.read_text())["stats"]
    return {k: stats.get(k, 0) for k in ("tests", "passes", "failures", "pending")}


def _print_failures(report: Path) -> None:
    for failure in json.loads(report.read_text())["failures"]:
        message = " ".join(str(failure["err"].get("message", "")).split())
        print(f"    FAIL {failure['fullTitle'][:140]}\n         {message[:240]}")


def run(suites_dir: Path, only: list[str], verbose: bool) -> int:
    instance = Path(tempfile.mkdtemp(prefix="sky-conformance-"))
    port = _free_port()
    env = _environment(instance, port)
    token, did_key = _seed(env)
    cert, key = _self_signed(instance)
    server = _start(env, port, cert, key, instance / "gunicorn.log")
    totals = {"tests": 0, "passes": 0, "failures": 0, "pending": 0}
    try:
        base = f"https://127.0.0.1:{port}/api/v1"
        print(f"{'suite':45} {'tests':>5} {'passed':>6} {'failed':>6} {'pending':>7}")
        for suite, tags in SUITES.items():
            if only and not any(o in suite for o in only):
                continue
            folder = suites_dir / suite
            config = folder / "localConfig.cjs"
            config.write_text(_local_config(base, token, did_key, tags))
            try:
                stats = _run_suite(folder, instance / f"{suite}.json")
            finally:
                config.unlink()
            for name in totals:
                totals[name] += stats[name]
            print(f"{suite:45} {stats['tests']:>5} {stats['passes']:>6} {stats['failures']:>6} "
                  f"{stats['pending']:>7}", flush=True)
            if verbose:
                _print_failures(instance / f"{suite}.json")
        print(f"{'total':45} {totals['tests']:>5} {totals['passes']:>6} {totals['failures']:>6} "
              f"{totals['pending']:>7}")
        print(f"mocha reports and the service log: {instance}")
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    return 0 if totals["failures"] == 0 else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=("prepare", "run"))
    parser.add_argument("suites_dir", type=Path)
    parser.add_argument("--only", action="append", default=[],
                        help="run only the suites whose folder contains this text")
    parser.add_argument("--failures", action="store_true", help="print each failed test")
    args = parser.parse_args()
    if args.command == "prepare":
        prepare(args.suites_dir.resolve())
        return 0
    return run(args.suites_dir.resolve(), args.only, args.failures)


if __name__ == "__main__":
    sys.exit(main())
