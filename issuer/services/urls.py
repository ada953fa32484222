"""The public addresses of this service, built on its site's base URL here and nowhere else.

Credentials name their issuer, achievement, status list and evidence by these URLs; cards print
the verification page as a QR code. The site is the `public_base_url` of the settings that
travel with the database session (`base.settings_of`). It imports no other service, so every
one of them can use it.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from sqlalchemy.orm import Session

from issuer.store.models import Credential

from .base import settings_of


def public_url(where: Session | object, path: str = "", base: str | None = None) -> str:
    """`path` on the public site of the session `where` (or of the session of record `where`),
    or on `base`, one of its former addresses (see `site_bases`)."""
    return (base or settings_of(where).public_base_url) + path


def site_bases(where: Session | object) -> list[str]:
    """The site's address, then its former ones (SKY_FORMER_BASE_URLS): badges issued under a
    former address name it in their issuer's did:web, so it keeps answering for them."""
    settings = settings_of(where)
    former = [url.strip().rstrip("/") for url in settings.former_base_urls.split(",")]
    return [settings.public_base_url] + [url for url in former
                                         if url and url != settings.public_base_url]


def former_base(where: Session | object, host: str) -> str | None:
    """The former address whose host (and port) is `host`, if there is one."""
    for base in site_bases(where)[1:]:
        if urlsplit(base).netloc.lower() == host.lower():
            return base
    return None


def verify_path(short_id: str) -> str:
    """The short verification page of a credential, from the site's root (`/v/<short_id>`)."""
    return f"/v/{short_id}"


def verify_url(credential: Credential) -> str:
    """The verification page of `credential` as an absolute URL (what its card's QR encodes)."""
    return public_url(credential, verify_path(credential.short_id))
