"""Sign and verify throughput against Digital Bazaar's JavaScript reference, in the same run.

Run: `python bench/bench_sign_verify.py [--seconds 2]`. The first run installs the reference
(`@digitalbazaar/eddsa-rdfc-2022-cryptosuite` and `@digitalbazaar/vc`, pinned in
bench/js/package.json) with `npm ci`; without node the table has the Python figures only.
Figures are operations per CPU-second of one process (one core), for a rich SKY credential and a
plain small one, signed with the same key and `created` on both sides: the proofs must match
byte for byte, and the run stops if they do not.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from issuer.core import builders, jsonld, proofs
from issuer.core.keys import PrivateKey
from issuer.core.resolver import KeyResolver
from issuer.core.verify import verify_credential

sys.path.insert(0, str(Path(__file__).parent))
from report import Row, write_json  # noqa: E402

JS_DIR = Path(__file__).parent / "js"
SEED = bytes(range(32))
CREATED = "2026-11-29T10:00:00Z"


def rich_credential(issuer_id: str) -> dict:
    """A three-gesture micro-training credential with evidence, alignments and non-ASCII text."""
    base = "https://badges.example.org/achievements/tri-dechets/fr"
    levels = ("acquired", "Acquis"), ("not-yet", "Pas encore acquis")
    gestures = [
        builders.ResultDescription(
            id=f"{base}#gesture-{n}",
            name=name,
            result_type="RubricCriterion",
            rubric_criterion_levels=tuple(
                builders.RubricCriterionLevel(id=f"{base}#gesture-{n}-{lid}", name=lname)
                for lid, lname in levels
            ),
            required_level=f"{base}#gesture-{n}-acquired",
        )
        for n, name in enumerate(
            ["Trier les déchets du chantier", "Réduire les volumes", "Étiqueter les bacs"]
        )
    ]
    achievement = builders.Achievement(
        id=base,
        name="Tri sélectif des déchets sur un chantier",
        description="Trie les déchets d'un petit chantier dans les bonnes filières — Łódź, España.",
        # Multi-line, as every badge the service issues: the gestures as a Markdown list.
        criteria=builders.Criteria(narrative="La formatrice observe ces gestes\u00a0:\n\n"
                                   "- **Trier**\u00a0: les bons bacs\n- **Réduire**\n"
                                   "- **Étiqueter**"),
        result_descriptions=tuple(gestures),
        alignments=(
            builders.Alignment(
                target_name="gérer les déchets",
                target_url="http://data.europa.eu/esco/skill/example",
                target_framework="ESCO",
                target_type="ext:ESCOSkill",
            ),
        ),
        in_language="fr",
        tags=("green-jobs", "workload:PT6H"),
    )
    subject = builders.AchievementSubject(
        achievement=achievement,
        identifiers=(
            builders.name_identifier("Łucja Żółkiewska"),
            builders.email_identifier("lucja@example.org", salt="a1b2c3"),
        ),
        results=tuple(
            builders.Result(result_description=g.id, achieved_level=g.required_level)
            for g in gestures
        ),
        narrative="Travail soigné, gestes sûrs.",
    )
    return builders.OpenBadgeCredential(
        id="urn:uuid:6b1c3f0e-2c1a-4a8e-9d3b-1f2e3d4c5b6a",
        issuer=builders.Profile(id=issuer_id, name="AGFE — Île-de-France"),
        subject=subject,
        valid_from="2026-11-29T10:00:00Z",
        evidence=(builders.Evidence(name="Photo du tri", narrative="Bacs étiquetés."),),
        credential_status={
            "id": "https://badges.example.org/status/1#94567",
            "type": "BitstringStatusListEntry",
            "statusPurpose": "revocation",
            "statusListIndex": "94567",
            "statusListCredential": "https://badges.example.org/status/1",
        },
    ).to_json()


def plain_credential(issuer_id: str) -> dict:
    """The smallest credential SKY would issue: a name, a criterion, a hashed email."""
    achievement = builders.Achievement(
        id="https://badges.example.org/achievements/plain/en",
        name="Plain badge",
        description="A badge with nothing optional.",
        criteria=builders.Criteria(narrative="Observed once."),
    )
    subject = builders.AchievementSubject(
        achievement=achievement,
        identifiers=(builders.email_identifier("plain@example.org", salt="s1"),),
    )
    return builders.OpenBadgeCredential(
        id="urn:uuid:0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0",
        issuer=builders.Profile(id=issuer_id, name="Plain issuer"),
        subject=subject,
        valid_from="2026-11-29T10:00:00Z",
    ).to_json()


def cpu_rate(operation, seconds: float) -> float:
    """Operations per CPU-second of this process, run for about `seconds` of CPU."""
    for _ in range(3):
        operation()
    count, start = 0, time.process_time()
    while (elapsed := time.process_time() - start) < seconds:
        operation()
        count += 1
    return count / elapsed


def python_rates(cases: dict, key: PrivateKey, seconds: float) -> dict:
    vm = key.public_key.did_key_vm
    results = {}
    for name, credential in cases.items():
        signed = proofs.sign(credential, key, vm, created=CREATED)

        def verify(signed=signed):
            report = verify_credential(signed, resolver=KeyResolver())
            assert report.valid, report

        def sign(credential=credential):
            proofs.sign(credential, key, vm, created=CREATED)

        results[name] = {
            "sign": cpu_rate(sign, seconds),
            "verify": cpu_rate(verify, seconds),
            "proofValue": signed["proof"][0]["proofValue"],
        }
    return results


def js_rates(cases: dict, seconds: float) -> dict | None:
    """The reference's figures, or None when node/npm are missing."""
    if not (shutil.which("node") and shutil.which("npm")):
        return None
    if not (JS_DIR / "node_modules").is_dir():
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--silent"], cwd=JS_DIR, check=True)
    contexts = {
        url: json.loads(jsonld._context_bytes(entry["file"]))
        for url, entry in jsonld.context_index().items()
    }
    payload = {"contexts": contexts, "seed": SEED.hex(), "created": CREATED, "cases": cases}
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump(payload, handle)
    try:
        out = subprocess.run(["node", "bench.mjs", handle.name, str(seconds)], cwd=JS_DIR,
                             check=True, capture_output=True, text=True).stdout
    finally:
        os.unlink(handle.name)
    return json.loads(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=2.0, help="CPU time per measurement")
    parser.add_argument("--json", type=Path, help="write the rows there (bench/run.py)")
    args = parser.parse_args()
    seconds = args.seconds

    key = PrivateKey.from_ed25519_seed(SEED)
    issuer_id = key.public_key.did_key
    cases = {"rich": rich_credential(issuer_id), "plain": plain_credential(issuer_id)}
    reference = js_rates(cases, seconds)
    ours = python_rates(cases, key, seconds)
    print(f"cores: {os.cpu_count()} (each figure uses one); ops per CPU-second")
    print(f"{'credential':10} {'operation':8} {'Python':>9} {'JS ref':>9} {'ratio':>7}")
    rows = []
    for name in cases:
        if reference and reference[name]["proofValue"] != ours[name]["proofValue"]:
            raise SystemExit(f"{name}: the proofs differ from the reference's")
        for op in ("sign", "verify"):
            js = reference[name][op] if reference else None
            ratio = f"{ours[name][op] / js:6.2f}×" if js else "      -"
            js_text = f"{js:9.1f}" if js else "        -"
            print(f"{name:10} {op:8} {ours[name][op]:9.1f} {js_text} {ratio}")
            rows.append(Row("sign/verify", f"{op}, {name} credential (1 core)", ours[name][op],
                            "ops/CPU-s", "JS reference" if js else "JS reference (no node)",
                            js, ours[name][op] / js if js else None))
    if args.json:
        write_json(args.json, rows)


if __name__ == "__main__":
    main()
