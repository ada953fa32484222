"""The public addresses of this service, built on its site's base URL here and nowhere else.

Credentials name their issuer, achievement, status list and evidence by these URLs; cards print
the verification page as a QR code. It imports no other service, so every one of them can use it.
"""

from __future__ import annotations

from issuer.config import settings
from issuer.store.models import Credential


def public_url(path: str = "", base_url: str | None = None) -> str:
    """`path` on the public site `base_url` (default: PUBLIC_BASE_URL of the active settings)."""
    return (base_url or settings().public_base_url) + path


def verify_path(short_id: str) -> str:
    """The short verification page of a credential, from the site's root (`/v/<short_id>`)."""
    return f"/v/{short_id}"


def verify_url(credential: Credential, base_url: str | None = None) -> str:
    """The verification page of `credential` as an absolute URL (what its card's QR encodes)."""
    return public_url(verify_path(credential.short_id), base_url)
