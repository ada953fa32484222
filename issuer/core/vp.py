"""Verifiable presentations of any kind (VCDM 2.0 §4.13), as the VC-API verifies them.

`presentations.verify_presentation` answers the wallet protocols' narrower question (a did:key
holder proving control for one exchange); this checks a presentation a verifier is handed: its
data model, each of its proofs (`authentication`, with the challenge and domain asked for) and
every credential it carries, through the caller's credential verifier.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from . import limits, proofs
from .jsonld import CREDENTIALS_V2
from .resolver import KeyResolver
from .vc_model import VC_V1
from .verify_report import VerificationReport

AUTHENTICATION = "authentication"


@dataclass
class PresentationReport:
    """What a presentation proved: `problems` empty means verified."""

    problems: list[str] = field(default_factory=list)
    checks: list[str] = field(default_factory=list)
    credentials: list[VerificationReport] = field(default_factory=list)

    @property
    def verified(self) -> bool:
        return not self.problems


def verify_presentation(presentation: Any, resolver: KeyResolver,
                        verify_credential: Callable[[Any], VerificationReport],
                        challenge: str | None = None, domain: str | None = None,
                        ) -> PresentationReport:
    """Check a presentation; never raises for bad input."""
    report = PresentationReport()
    report.problems = _model_problems(presentation)
    if report.problems:
        return report
    report.checks.append("data-model")
    _check_proofs(presentation, resolver, challenge, domain, report)
    for credential in _credentials(presentation)[: limits.MAX_NESTED_CREDENTIALS]:
        verified = verify_credential(credential)
        report.credentials.append(verified)
        if not verified.valid:
            report.problems.append(f"a presented credential is {verified.verdict}")
    if len(_credentials(presentation)) > limits.MAX_NESTED_CREDENTIALS:
        report.problems.append(f"at most {limits.MAX_NESTED_CREDENTIALS} credentials are "
                               "verified in one presentation")
    return report


def _model_problems(presentation: Any) -> list[str]:
    if not isinstance(presentation, dict):
        return ["verifiablePresentation: must be a JSON object"]
    contexts = presentation.get("@context")
    if not isinstance(contexts, list) or not contexts or contexts[0] not in (CREDENTIALS_V2,
                                                                               VC_V1):
        return [f"@context: must be an array whose first item is {CREDENTIALS_V2}"]
    types = presentation.get("type")
    listed = types if isinstance(types, list) else [types]
    if "VerifiablePresentation" not in listed or any(not isinstance(t, str) for t in listed):
        return ["type: must include VerifiablePresentation"]
    holder = presentation.get("holder")
    if holder is not None and not _url_or_object(holder):
        return ["holder: must be a URL or an object with an id"]
    if "verifiableCredential" in presentation and any(
            not isinstance(c, dict) for c in _credentials(presentation)):
        return ["verifiableCredential: must be one or more credential objects"]
    return []


def _check_proofs(presentation: dict, resolver: KeyResolver, challenge: str | None,
                  domain: str | None, report: PresentationReport) -> None:
    found = proofs.proofs_of(presentation)
    if not found:
        report.problems.append("proof: the presentation has no proof")
        return
    if len(found) > limits.MAX_PROOFS:
        report.problems.append(f"proof: at most {limits.MAX_PROOFS} proofs are checked")
        return
    for proof in found:
        if not isinstance(proof, dict):
            report.problems.append("proof: must be an object")
            return
        if challenge is not None and proof.get("challenge") != challenge:
            report.problems.append("proof: the challenge is not the one asked for")
        if domain is not None and proof.get("domain") != domain:
            report.problems.append("proof: the domain is not the one asked for")
        result = proofs.verify_proof(presentation, proof, resolver,
                                     expected_purpose=AUTHENTICATION)
        if not result.valid:
            report.problems.append(f"proof: {result.message}")
    if not report.problems:
        report.checks.append("proof")


def _credentials(presentation: dict) -> list:
    value = presentation.get("verifiableCredential")
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _url_or_object(value: Any) -> bool:
    if isinstance(value, dict):
        value = value.get("id")
    return isinstance(value, str) and ":" in value
