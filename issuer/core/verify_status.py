"""The verifier's status step: one credentialStatus entry checked against its list.

Bitstring Status List / StatusList2021 lists must be signed by a key of their issuer; the
1EdTech revocation list is read as published. Any retrieval problem is a warning ("status
unknown"), never a failure (§C.2).
"""

from __future__ import annotations

from typing import Any

from . import proofs, status_list
from .errors import BadgeError
from .messages import N_
from .verify_helpers import _describe, _issuer_of, _joined
from .verify_report import PASSED, WARNING


class StatusCheck:
    """One credentialStatus entry: Bitstring / StatusList2021, or the 1EdTech revocation list."""

    def __init__(self, run, entry: Any):
        # `run` is the verify._Run this entry belongs to: its report, options and checks.
        self.run_ = run
        self.entry = entry if isinstance(entry, dict) else {}
        self.options = run.options

    def run(self) -> None:
        kind = self.entry.get("type")
        if self.options.fetch_json is None:
            self.warn(N_("%(type)s status not checked: no fetcher configured (offline)", type=kind))
        elif kind in status_list.ENTRY_TYPES:
            self.bitstring()
        elif kind == "1EdTechRevocationList":
            self.revocation_list()
        else:
            self.warn(N_("status type %(type)s is not supported; status unknown", type=repr(kind)))

    def warn(self, message: str) -> None:
        self.run_.add("status", WARNING, message)

    def fetch(self, url: Any) -> dict | None:
        if not isinstance(url, str) or not url:
            self.warn(N_("the status entry names no list URL; status unknown"))
            return None
        try:
            document = self.options.fetch_json(url)
        except Exception as error:  # noqa: BLE001 - any fetch failure is a warning (§C.2)
            self.warn(N_("status list %(url)s could not be retrieved: %(reason)s",
                         url=url, reason=_describe(error)))
            return None
        if not isinstance(document, dict):
            self.warn(N_("status list %(url)s is not a JSON object; status unknown", url=url))
            return None
        return document

    def bitstring(self) -> None:
        url = self.entry.get("statusListCredential")
        list_credential = self.fetch(url)
        if list_credential is None or not self.list_proof_ok(list_credential, url):
            return
        try:
            result = status_list.check_status(self.entry, list_credential, now=self.options.now)
        except BadgeError as error:
            self.warn(N_("status list %(url)s: %(reason)s", url=url, reason=str(error)))
            return
        if result.set and result.purpose == "revocation":
            self.run_.report.revoked = True
            self.run_.fail("status", N_("revoked (%(url)s)", url=url))
        elif result.set and result.purpose == "suspension":
            self.run_.report.suspended = True
            self.run_.fail("status", N_("suspended (%(url)s)", url=url))
        else:
            self.run_.add("status", PASSED, f"{result.purpose}: {result.message}")

    def list_proof_ok(self, list_credential: dict, url: str) -> bool:
        results = [
            proofs.verify_proof(list_credential, p, self.options.resolver)
            for p in proofs.proofs_of(list_credential)
        ]
        valid = [r for r in results if r.valid]
        if not valid:
            reason = _joined([r.message for r in results]) if results else N_("it has no proof")
            self.warn(N_("status list %(url)s does not verify (%(reason)s); status unknown",
                         url=url, reason=reason))
            return False
        list_issuer, _ = _issuer_of(list_credential)
        if list_issuer not in {r.controller for r in valid}:
            self.warn(N_("status list %(url)s is not signed by its issuer %(issuer)s",
                         url=url, issuer=repr(list_issuer)))
            return False
        if list_issuer != self.run_.report.issuer_id:
            self.run_.report.warnings.append(N_(
                "status list %(url)s is issued by %(issuer)s, not by the credential's issuer",
                url=url, issuer=list_issuer))
        return True

    def revocation_list(self) -> None:
        url = self.entry.get("id")
        document = self.fetch(url)
        if document is None:
            return
        listed = document.get("revokedCredential", document.get("revokedCredentials"))
        credential_id = self.run_.credential.get("id")
        for item in listed if isinstance(listed, list) else []:
            if isinstance(item, dict) and item.get("id") == credential_id:
                if item.get("revoked", True) is True:
                    self.run_.report.revoked = True
                    reason = item.get("revocationReason")
                    self.run_.fail("status", N_("revoked (%(url)s): %(reason)s", url=url,
                                                reason=reason) if reason else N_(
                        "revoked (%(url)s)", url=url))
                    return
        self.run_.add("status", PASSED, N_("not on the revocation list %(url)s", url=url))
