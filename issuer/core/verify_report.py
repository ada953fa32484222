"""What the verifier reports: one Check per step of the checklist, and the VerificationReport."""

from __future__ import annotations

from dataclasses import dataclass, field

PASSED, FAILED, WARNING, SKIPPED = "passed", "failed", "warning", "skipped"
# A failure in any of these means the credential is not genuine or not well-formed.
STRUCTURAL_CHECKS = frozenset(
    {
        "parse",
        "context",
        "type",
        "data-model",
        "schema",
        "subject",
        "safe-mode",
        "proof",
        "issuer-binding",
        "dates",
        "internal",
    }
)
VERDICTS = ("valid", "revoked", "suspended", "expired", "not_yet_valid", "invalid")


@dataclass(frozen=True)
class Check:
    """One step of the checklist: `status` is passed, failed, warning or skipped."""

    name: str
    status: str
    message: str

    def to_json(self) -> dict:
        return {"name": self.name, "status": self.status, "message": self.message}


@dataclass
class VerificationReport:
    """Everything a verifier learned about one credential (and its nested credentials)."""

    verdict: str = "invalid"
    checks: list[Check] = field(default_factory=list)
    credential: dict | None = None
    issuer_id: str | None = None
    issuer_name: str | None = None
    revoked: bool = False
    suspended: bool = False
    expired: bool = False
    not_yet_valid: bool = False
    recipient_verified: bool | None = None
    issuer_trusted: bool | None = None
    context_variant: str | None = None
    proof_format: str | None = None
    # None: no credentialStatus; False: a status could not be retrieved or trusted, so "valid"
    # does not mean "not revoked" (the 1EdTech validator's verdict stays valid, with a warning).
    status_checked: bool | None = None
    # What the credential was checked as: "Open Badges 3.0", "CLR 2.0", "Open Badges 2.0"; None
    # for any other Verifiable Credential.
    standard: str | None = None
    # Documents an OB 2.0 assertion points to, as fetched: {"badgeClass": …, "issuer": …}
    related: dict = field(default_factory=dict)
    endorsements: list[VerificationReport] = field(default_factory=list)
    embedded: list[VerificationReport] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        """True only when the verdict is "valid"."""
        return self.verdict == "valid"

    def check(self, name: str) -> Check | None:
        """The recorded check called `name`, if it ran."""
        return next((c for c in self.checks if c.name == name), None)

    def to_json(self) -> dict:
        """A stable JSON form (camelCase keys, as in the OB vocabulary) for APIs and pages."""
        credential = self.credential if isinstance(self.credential, dict) else {}
        return {
            "verdict": self.verdict,
            "valid": self.valid,
            "credentialId": credential.get("id"),
            "issuer": {"id": self.issuer_id, "name": self.issuer_name},
            "flags": {
                "revoked": self.revoked,
                "suspended": self.suspended,
                "expired": self.expired,
                "notYetValid": self.not_yet_valid,
            },
            "recipientVerified": self.recipient_verified,
            "issuerTrusted": self.issuer_trusted,
            "contextVariant": self.context_variant,
            "proofFormat": self.proof_format,
            "standard": self.standard,
            "statusChecked": self.status_checked,
            "checks": [c.to_json() for c in self.checks],
            "warnings": list(self.warnings),
            "endorsements": [r.to_json() for r in self.endorsements],
            "embedded": [r.to_json() for r in self.embedded],
            "credential": self.credential,
            **({"related": self.related} if self.related else {}),
        }


class Checklist:
    """What every verification run shares (OB 3.0 and OB 2.0): checks recorded on `report`."""

    report: VerificationReport

    def add(self, name: str, status: str, message: str) -> None:
        self.report.checks.append(Check(name, status, message))

    def fail(self, name: str, message: str) -> None:
        self.add(name, FAILED, message)

    def structural_failure(self) -> bool:
        """A failed check that makes the credential not genuine or not well-formed."""
        return any(c.status == FAILED and c.name in STRUCTURAL_CHECKS for c in self.report.checks)

    def settle(self) -> None:
        """The report's warnings, status_checked and verdict, from the checks recorded:
        a structural failure is "invalid"; else revoked > suspended > expired > not yet valid."""
        report = self.report
        report.warnings.extend(c.message for c in report.checks if c.status == WARNING)
        report.warnings = list(dict.fromkeys(report.warnings))
        # None when no status entry was looked at; False when any could not be checked.
        looked = [c for c in report.checks if c.name == "status" and c.status != SKIPPED]
        report.status_checked = all(c.status != WARNING for c in looked) if looked else None
        if self.structural_failure() or not report.checks:
            report.verdict = "invalid"
        elif report.revoked:
            report.verdict = "revoked"
        elif report.suspended:
            report.verdict = "suspended"
        elif report.expired:
            report.verdict = "expired"
        elif report.not_yet_valid:
            report.verdict = "not_yet_valid"
        else:
            report.verdict = "valid"
