"""Sign and verify throughput for a rich SKY credential, against plain pyld in the same run.

Run: `python bench/bench_sign_verify.py [--seconds 2]`. Absolute numbers depend on the machine;
the ratios against the baseline (pyld normalising the same document, measured in this run) are
what to compare between commits. eddsa-rdfc-2022 canonicalises twice (document and proof config)
and verification adds safe-mode expansion, so ~2–3× the baseline's cost is the expected shape.
"""

from __future__ import annotations

import argparse
import time

from pyld import jsonld as pyld

from issuer.core import builders, jsonld, proofs
from issuer.core.keys import PrivateKey, PublicKey


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
        criteria=builders.Criteria(narrative="Les trois gestes observés par la formatrice."),
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


def rate(operation, seconds: float) -> float:
    """Operations per second, run for about `seconds`."""
    count, start = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds:
        operation()
        count += 1
    return count / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=2.0, help="time per measurement")
    seconds = parser.parse_args().seconds

    key = PrivateKey.generate()
    vm = key.public_key.did_key_vm
    credential = rich_credential(key.public_key.did_key)
    signed = proofs.sign(credential, key, vm, created="2026-11-29T10:00:00Z")
    proof = signed["proof"][0]

    def resolve(url, purpose):
        return PublicKey.from_multibase(url.split("#")[1]), url.split("#")[0]

    options = {
        "algorithm": "URDNA2015",
        "format": "application/n-quads",
        "documentLoader": jsonld.default_loader(),
    }
    measurements = {
        "pyld normalize (baseline)": lambda: pyld.normalize(credential, options),
        "sign (eddsa-rdfc-2022)": lambda: proofs.sign(credential, key, vm),
        "verify proof": lambda: proofs.verify_proof(signed, proof, resolve),
    }
    results = {name: rate(op, seconds) for name, op in measurements.items()}
    baseline = results["pyld normalize (baseline)"]
    print(f"{'operation':32} {'ops/s':>10} {'cost vs baseline':>18}")
    for name, ops in results.items():
        print(f"{name:32} {ops:10.1f} {baseline / ops:17.2f}×")


if __name__ == "__main__":
    main()
