"""The public address of a credential's verification page, built here and nowhere else.

Cards print it as a QR code, pages and the API link to it, skill badges cite their parts by it.
It imports no other service, so that every one of them can use it.
"""

from __future__ import annotations

from issuer.config import settings
from issuer.store.models import Credential


def verify_path(short_id: str) -> str:
    """The short verification page of a credential, from the site's root (`/v/<short_id>`)."""
    return f"/v/{short_id}"


def verify_url(credential: Credential, base_url: str | None = None) -> str:
    """The verification page as an absolute URL on the public site (`base_url`, else configured)."""
    return (base_url or settings().public_base_url) + verify_path(credential.short_id)
